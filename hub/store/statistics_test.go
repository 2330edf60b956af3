package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/hub/gazetteer"
	"cunyou/hub/merge"
	"cunyou/hub/store"
	"cunyou/syncproto"
)

var cst = time.FixedZone("CST", 8*3600)

// statsHub is a hub with the demo county whose clock follows the facts
// merged into it.
type statsHub struct {
	t    *testing.T
	st   *store.Store
	m    *merge.Merger
	mu   sync.Mutex
	now  time.Time
	seqs map[string]uint64
}

func newStatsHub(t *testing.T) *statsHub {
	t.Helper()
	ctx := context.Background()
	h := &statsHub{t: t, now: day(10, "05:00"), seqs: map[string]uint64{}}
	st, err := store.Open(ctx, t.TempDir(), store.Options{Now: h.clock})
	require.NoError(t, err)
	m, err := merge.New(ctx, st, merge.Options{})
	require.NoError(t, err)
	t.Cleanup(func() {
		m.Close()
		st.Close()
	})
	c, err := gazetteer.LoadFile("../../testdata/county.json")
	require.NoError(t, err)
	_, err = st.LoadCounty(ctx, c)
	require.NoError(t, err)
	h.st, h.m = st, m
	return h
}

func (h *statsHub) clock() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.now
}

func (h *statsHub) set(t time.Time) {
	h.mu.Lock()
	h.now = t
	h.mu.Unlock()
}

// day is a time of a day of March 2026 in the county.
func day(d int, hhmm string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", fmt.Sprintf("2026-03-%02d %s", d, hhmm), cst)
	if err != nil {
		panic(err)
	}
	return t
}

// apply merges a fact node made at its time at, received a minute later.
func (h *statsHub) apply(node string, at time.Time, kind syncproto.EventKind, payload any) {
	h.t.Helper()
	body, err := json.Marshal(payload)
	require.NoError(h.t, err)
	h.set(at.Add(time.Minute))
	h.seqs[node]++
	op := syncproto.Op{Node: node, Incarnation: "inc1", Seq: h.seqs[node], HLC: syncproto.MakeTimestamp(at.UnixMilli(), 0),
		Actor: "clerk", Kind: kind, Payload: body}
	op.Seal()
	ctx := context.Background()
	_, err = h.m.Apply(ctx, node, syncproto.Batch{Header: syncproto.BatchHeader{Proto: syncproto.ProtoVersion,
		Kind: syncproto.BatchOps, Node: node, Incarnation: "inc1", Count: 1}, Ops: []syncproto.Op{op}})
	require.NoError(h.t, err)
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	require.NoError(h.t, h.m.Flush(ctx))
}

const (
	stA = "ST-V0101"
	stB = "ST-V0102"
)

func (h *statsHub) centre(wb, carrier string, at time.Time) {
	h.apply("CENTRE", at, syncproto.KindParcelAtCentre, syncproto.ParcelAtCentre{Waybill: wb, Carrier: carrier})
}

func (h *statsHub) inbound(node, wb, carrier string, at time.Time) {
	h.apply(node, at, syncproto.KindParcelInbound, syncproto.ParcelInbound{Waybill: wb, Carrier: carrier, ReceiverPhone: "13912345678",
		Shelf: 1, Layer: 1, Code: "1-1-" + wb[len(wb)-4:]})
}

func (h *statsHub) pickup(node, wb string, at time.Time) {
	h.apply(node, at, syncproto.KindParcelsPickedUp, syncproto.ParcelsPickedUp{Waybills: []string{wb},
		Collector: syncproto.Collector{Kind: "receiver"}})
}

// statsFixture: five days, 10 to 14 March, at two stations, two carriers.
func statsFixture(t *testing.T) *statsHub {
	h := newStatsHub(t)
	// F: scanned in the evening before the range, picked up just after
	// midnight, 4.5 h after the centre's scan.
	h.centre("73100000000006", "zto", day(9, "20:00"))
	h.inbound(stA, "73100000000006", "zto", day(9, "23:30"))
	h.pickup(stA, "73100000000006", day(10, "00:30"))
	// A: picked up the day it came, 12 h after the centre; scanned in
	// twice (counted once).
	h.centre("73100000000001", "zto", day(10, "06:00"))
	h.inbound(stA, "73100000000001", "zto", day(10, "09:00"))
	h.inbound(stA, "73100000000001", "zto", day(10, "09:05"))
	// B: waits four days: overdue when picked up.
	h.centre("73100000000002", "zto", day(10, "06:00"))
	h.inbound(stA, "73100000000002", "zto", day(10, "09:00"))
	// C: sent back as overdue after three days.
	h.centre("YT0000000000003", "yto", day(10, "07:00"))
	h.inbound(stB, "YT0000000000003", "yto", day(10, "10:00"))
	h.pickup(stA, "73100000000001", day(10, "18:00"))
	// D: never at the centre; in at 00:30 county time (the 10th in UTC).
	h.inbound(stB, "YT0000000000004", "yto", day(11, "00:30"))
	h.pickup(stB, "YT0000000000004", day(11, "20:00"))
	// E: a villager sends a parcel.
	h.apply(stA, day(12, "11:00"), syncproto.KindParcelAccepted, syncproto.ParcelAccepted{Waybill: "73100000000005", Carrier: "zto",
		WaybillSource: "range", Sender: syncproto.Party{Name: "李娜", Phone: "13800001111"},
		Receiver: syncproto.Party{Name: "赵强", Phone: "13600002222", Province: "北京"}, WeightGrams: 500, PriceFen: 1200})
	h.apply(stB, day(13, "10:00"), syncproto.KindParcelsReturned, syncproto.ParcelsReturned{Waybills: []string{"YT0000000000003"},
		Reason: "overdue"})
	h.pickup(stA, "73100000000002", day(14, "10:00"))
	// G: after the range.
	h.centre("73100000000007", "zto", day(14, "20:00"))
	h.inbound(stA, "73100000000007", "zto", day(15, "00:10"))
	return h
}

func stats(t *testing.T, h *statsHub, q store.StatsQuery) *store.Statistics {
	t.Helper()
	q.From, q.To, q.Loc, q.OverdueAfter = day(10, "00:00"), day(15, "00:00"), cst, 3*24*time.Hour
	got, err := h.st.Statistics(context.Background(), q)
	require.NoError(t, err)
	return got
}

func TestStatistics(t *testing.T) {
	h := statsFixture(t)
	h.set(day(19, "12:00"))
	got := stats(t, h, store.StatsQuery{})

	assert.Equal(t, store.StatsFigures{In: 4, PickedUp: 4, Sent: 1, Returned: 1, Overdue: 2, Waited: 3,
		WaitMedian: 12 * time.Hour, WaitP90: 100 * time.Hour}, got.Total)
	assert.Equal(t, []int{2, 0, 0, 0, 1, 0, 0}, got.WaitBuckets, "4.5 h and 12 h up to 12 h, 100 h up to 120 h")
	days := map[string]store.StatsFigures{}
	var order []string
	for _, d := range got.Days {
		days[d.Day] = d.StatsFigures
		order = append(order, d.Day)
	}
	assert.Equal(t, []string{"2026-03-10", "2026-03-11", "2026-03-12", "2026-03-13", "2026-03-14"}, order)
	assert.Equal(t, store.StatsFigures{In: 3, PickedUp: 2, Waited: 2, WaitMedian: 270 * time.Minute, WaitP90: 12 * time.Hour}, days["2026-03-10"])
	assert.Equal(t, store.StatsFigures{In: 1, PickedUp: 1}, days["2026-03-11"], "00:30 county time is the 11th")
	assert.Equal(t, store.StatsFigures{Sent: 1}, days["2026-03-12"])
	assert.Equal(t, store.StatsFigures{Returned: 1, Overdue: 1}, days["2026-03-13"])
	assert.Equal(t, store.StatsFigures{PickedUp: 1, Overdue: 1, Waited: 1, WaitMedian: 100 * time.Hour, WaitP90: 100 * time.Hour}, days["2026-03-14"])

	require.Len(t, got.Stations, 2)
	assert.Equal(t, stA, got.Stations[0].Station)
	assert.Equal(t, store.StatsFigures{In: 2, PickedUp: 3, Sent: 1, Overdue: 1, Waited: 3, WaitMedian: 12 * time.Hour, WaitP90: 100 * time.Hour},
		got.Stations[0].StatsFigures)
	assert.Equal(t, store.StatsFigures{In: 2, PickedUp: 1, Returned: 1, Overdue: 1}, got.Stations[1].StatsFigures)

	require.Len(t, got.StationDays, 6)
	assert.Equal(t, store.StatsRow{Day: "2026-03-10", Station: stB, StatsFigures: store.StatsFigures{In: 1}}, got.StationDays[1])

	require.Len(t, got.Carriers, 2)
	assert.Equal(t, "yto", got.Carriers[0].Carrier)
	assert.Equal(t, store.StatsFigures{In: 2, PickedUp: 1, Returned: 1, Overdue: 1}, got.Carriers[0].StatsFigures)
	assert.Equal(t, "zto", got.Carriers[1].Carrier)
	assert.Equal(t, 3, got.Carriers[1].PickedUp)
	assert.Equal(t, 1, got.Carriers[1].Sent)

	// G has waited on its shelf since the 15th.
	assert.Equal(t, map[string]int{stA: 1}, got.OverdueNow)
	h.set(day(16, "12:00"))
	assert.Empty(t, stats(t, h, store.StatsQuery{}).OverdueNow)
}

func TestStatisticsFiltered(t *testing.T) {
	h := statsFixture(t)
	h.set(day(19, "12:00"))
	yto := stats(t, h, store.StatsQuery{Carrier: "yto"})
	assert.Equal(t, store.StatsFigures{In: 2, PickedUp: 1, Returned: 1, Overdue: 1}, yto.Total)
	assert.Empty(t, yto.OverdueNow, "G is zto's")
	require.Len(t, yto.Carriers, 1)

	a := stats(t, h, store.StatsQuery{Station: stA})
	assert.Equal(t, 2, a.Total.In)
	assert.Equal(t, 3, a.Total.PickedUp)
	assert.Equal(t, 1, a.Total.Sent)
	require.Len(t, a.Stations, 1)
	assert.Equal(t, map[string]int{stA: 1}, a.OverdueNow)

	none := stats(t, h, store.StatsQuery{Station: "ST-V0103"})
	assert.Equal(t, store.StatsFigures{}, none.Total)
	assert.Len(t, none.Days, 5, "every day, with nothing")
}

func TestStatisticsBounds(t *testing.T) {
	h := newStatsHub(t)
	ctx := context.Background()
	for _, q := range []store.StatsQuery{
		{From: day(10, "00:00"), To: day(10, "00:00"), Loc: cst, OverdueAfter: time.Hour},
		{From: day(10, "00:00"), To: day(10, "00:00").AddDate(0, 0, store.MaxStatsDays+2), Loc: cst, OverdueAfter: time.Hour},
		{From: day(10, "00:00"), To: day(11, "00:00"), OverdueAfter: time.Hour},
		{From: day(10, "00:00"), To: day(11, "00:00"), Loc: cst},
	} {
		_, err := h.st.Statistics(ctx, q)
		assert.ErrorIs(t, err, store.ErrInvalid, "%+v", q)
	}
	got, err := h.st.Statistics(ctx, store.StatsQuery{From: day(10, "00:00"), To: day(11, "00:00"), Loc: cst, OverdueAfter: time.Hour})
	require.NoError(t, err)
	assert.Equal(t, store.StatsFigures{}, got.Total, "a county with no facts")
}

// An undone scan-in does not count (a scan-in after it does); a parcel
// whose centre scan is older than what the statistics read is looked up.
func TestStatisticsUndoneAndOld(t *testing.T) {
	h := newStatsHub(t)
	// H: at the centre three weeks before, picked up on the 10th.
	h.centre("73100000000008", "zto", day(10, "06:00").AddDate(0, 0, -21))
	h.inbound(stA, "73100000000008", "zto", day(10, "08:00"))
	h.pickup(stA, "73100000000008", day(10, "09:00"))
	// I: scanned in by mistake and undone, then scanned in again.
	h.inbound(stA, "73100000000009", "zto", day(11, "08:00"))
	h.apply(stA, day(11, "08:01"), syncproto.KindParcelInboundUndone, syncproto.ParcelInboundUndone{Waybill: "73100000000009",
		Code: "1-1-0009", Shelf: 1, Layer: 1})
	h.inbound(stA, "73100000000009", "zto", day(11, "09:00"))
	// J: scanned in by mistake and undone for good.
	h.inbound(stA, "73100000000010", "zto", day(11, "10:00"))
	h.apply(stA, day(11, "10:01"), syncproto.KindParcelInboundUndone, syncproto.ParcelInboundUndone{Waybill: "73100000000010",
		Code: "1-1-0010", Shelf: 1, Layer: 1})
	// K: scanned in on the 12th at ST-V0102.
	h.apply(stB, day(12, "10:00"), syncproto.KindParcelInbound, syncproto.ParcelInbound{Waybill: "YT0000000000011", Carrier: "yto",
		ReceiverPhone: "13912345678", Shelf: 1, Layer: 1, Code: "1-1-0011"})
	got := stats(t, h, store.StatsQuery{})
	byDay := map[string]store.StatsFigures{}
	for _, d := range got.Days {
		byDay[d.Day] = d.StatsFigures
	}
	assert.Equal(t, store.StatsFigures{In: 1, PickedUp: 1, Waited: 1, WaitMedian: 21*24*time.Hour + 3*time.Hour,
		WaitP90: 21*24*time.Hour + 3*time.Hour}, byDay["2026-03-10"], "H's centre scan is three weeks old")
	assert.Equal(t, 1, byDay["2026-03-11"].In, "I once, J not at all")
	assert.Equal(t, 1, byDay["2026-03-12"].In)
	assert.Equal(t, 1, got.WaitBuckets[len(got.WaitBuckets)-1])
}

// A fact the hub receives more than StatsLateness after the range is
// not counted; one received within it is, on its own day.
func TestStatisticsLateness(t *testing.T) {
	h := newStatsHub(t)
	late := func(wb string, at, received time.Time) {
		h.t.Helper()
		body, err := json.Marshal(syncproto.ParcelInbound{Waybill: wb, Carrier: "zto", ReceiverPhone: "13912345678", Shelf: 1, Layer: 1,
			Code: "1-1-" + wb[len(wb)-4:]})
		require.NoError(t, err)
		h.set(received)
		h.seqs[stA]++
		op := syncproto.Op{Node: stA, Incarnation: "inc1", Seq: h.seqs[stA], HLC: syncproto.MakeTimestamp(at.UnixMilli(), 0),
			Actor: "clerk", Kind: syncproto.KindParcelInbound, Payload: body}
		op.Seal()
		ctx := context.Background()
		_, err = h.m.Apply(ctx, stA, syncproto.Batch{Header: syncproto.BatchHeader{Proto: syncproto.ProtoVersion,
			Kind: syncproto.BatchOps, Node: stA, Incarnation: "inc1", Count: 1}, Ops: []syncproto.Op{op}})
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		require.NoError(t, h.m.Flush(ctx))
	}
	late("73100000000012", day(12, "10:00"), day(17, "10:00"))                                    // five days offline
	late("73100000000013", day(13, "10:00"), day(15, "00:00").Add(store.StatsLateness+time.Hour)) // too late
	got := stats(t, h, store.StatsQuery{})
	assert.Equal(t, 1, got.Total.In)
	assert.Equal(t, 1, got.Days[2].In, "on the 12th, when it happened")
}

// A scan-in on the range's last evening undone just after midnight is
// not counted: the undo is read past the range's end.
func TestStatisticsUndoneAfterTheRange(t *testing.T) {
	h := newStatsHub(t)
	h.inbound(stA, "73100000000014", "zto", day(14, "23:59"))
	h.apply(stA, day(15, "00:01"), syncproto.KindParcelInboundUndone, syncproto.ParcelInboundUndone{Waybill: "73100000000014",
		Code: "1-1-0014", Shelf: 1, Layer: 1})
	got := stats(t, h, store.StatsQuery{})
	assert.Equal(t, 0, got.Total.In)
	assert.Empty(t, got.Stations)
}
