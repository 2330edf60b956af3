package notify_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cunyou/hub/gazetteer"
	"cunyou/hub/merge"
	"cunyou/hub/notify"
	"cunyou/hub/sms/smpp"
	"cunyou/hub/store"
	"cunyou/sms"
	"cunyou/syncproto"
)

// BenchmarkArrivalLatency: stations' scan-ins merged at the hub while the
// notifier runs as in `cunyou-hub serve`, sending through SMPP to the
// simulator; reports the time from the merge's answer to the SMSC's
// acceptance of the SMS (p50, p99), with the default batching window and
// with none.
func BenchmarkArrivalLatency(b *testing.B) {
	for _, c := range []struct {
		name   string
		window time.Duration
	}{{"window2s", merge.DefaultNoticeWindow}, {"window0", -1}} {
		b.Run(c.name, func(b *testing.B) { benchLatency(b, c.window) })
	}
}

func benchLatency(b *testing.B, window time.Duration) {
	ctx := context.Background()
	st, err := store.Open(ctx, b.TempDir(), store.Options{})
	require.NoError(b, err)
	defer st.Close()
	sim, err := smpp.NewSimulator(smpp.SimOptions{SystemID: "bench", Password: "bench123"})
	require.NoError(b, err)
	defer sim.Close()
	gw, err := smpp.New(smpp.Options{Addr: sim.Addr(), SystemID: "bench", Password: "bench123"})
	require.NoError(b, err)
	defer gw.Close()
	n := notify.New(notify.Options{Store: st, Gateways: []sms.Gateway{gw}, Sign: "望奎村邮", Quiet: "03:00-03:01",
		Limits: notify.Limits{PerMinute: 1000, PerHour: 1000, PerDay: 1000}, Interval: 200 * time.Millisecond})
	m, err := merge.New(ctx, st, merge.Options{NoticeWindow: window, Projected: n.Kick})
	require.NoError(b, err)
	defer m.Close()
	c, err := gazetteer.LoadFile("../../testdata/county.json")
	require.NoError(b, err)
	rep, err := st.LoadCounty(ctx, c)
	require.NoError(b, err)
	stations := []string{"ST-V0101", "ST-V0102", "ST-V0103", "ST-V0104"}
	for _, s := range stations {
		_, _, err := st.Enroll(ctx, rep.Codes[s], s, "bench")
		require.NoError(b, err)
	}
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); n.Run(runCtx) }()
	defer func() { stop(); wg.Wait() }()

	const perStation = 50
	merged := map[string]time.Time{} // phone → when its parcel's op was merged
	seq := map[string]uint64{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k := range perStation {
			for si, s := range stations {
				seq[s]++
				phone := fmt.Sprintf("139%04d%04d", i, k*len(stations)+si)
				o := syncproto.Op{Node: s, Incarnation: "inc", Seq: seq[s], HLC: syncproto.MakeTimestamp(time.Now().UnixMilli(), 0),
					Actor: "clerk", Kind: syncproto.KindParcelInbound}
				o.Payload, _ = jsonMarshal(syncproto.ParcelInbound{Waybill: fmt.Sprintf("7%02d%04d%06d", si, i, k), Carrier: "zto",
					ReceiverPhone: phone, Shelf: 1, Layer: 1, Code: fmt.Sprintf("1-1-%04d", k)})
				o.Seal()
				_, err := m.Apply(ctx, s, syncproto.Batch{Header: syncproto.BatchHeader{Proto: syncproto.ProtoVersion,
					Kind: syncproto.BatchOps, Node: s, Incarnation: "inc", Count: 1}, Ops: []syncproto.Op{o}})
				require.NoError(b, err)
				merged[phone] = time.Now()
			}
			time.Sleep(5 * time.Millisecond) // scans at a station's pace, stations at once
		}
	}
	want := b.N * perStation * len(stations)
	require.Eventually(b, func() bool { return len(sim.Received()) >= want }, 2*time.Minute, 50*time.Millisecond)
	b.StopTimer()
	rows, err := st.DB().Query("SELECT phone, submitted_ms FROM sms_messages WHERE state IN ('submitted', 'delivered')")
	require.NoError(b, err)
	var lat []time.Duration
	for rows.Next() {
		var phone string
		var ms int64
		require.NoError(b, rows.Scan(&phone, &ms))
		lat = append(lat, time.UnixMilli(ms).Sub(merged[phone]))
	}
	rows.Close()
	require.Len(b, lat, want, "one SMS per arrival")
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Milliseconds())/1000, "p50-s")
	b.ReportMetric(float64(lat[len(lat)*99/100].Milliseconds())/1000, "p99-s")
	b.ReportMetric(float64(lat[len(lat)-1].Milliseconds())/1000, "max-s")
}
