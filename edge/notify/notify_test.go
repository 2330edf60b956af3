package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/drivers/modem"
	"cunyou/drivers/pty"
	"cunyou/edge/notify"
	"cunyou/edge/station"
	"cunyou/edge/store"
	"cunyou/syncproto"
	"cunyou/waybill"
)

var cst = time.FixedZone("CST", 8*3600)

type clock struct{ ms atomic.Int64 }

func (c *clock) now() time.Time      { return time.UnixMilli(c.ms.Load()) }
func (c *clock) set(t time.Time)     { c.ms.Store(t.UnixMilli()) }
func (c *clock) add(d time.Duration) { c.ms.Add(d.Milliseconds()) }
func at(h, m int) time.Time          { return time.Date(2026, 11, 27, h, m, 0, 0, cst) }
func day2(h, m int) time.Time        { return at(h, m).AddDate(0, 0, 1) }
func phoneOf(msgs []modem.SimMessage) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Phone)
	}
	return out
}

type env struct {
	st  *store.Store
	stn *station.Station
	clk *clock
	sim *modem.Simulator
	g   notify.Sender
	n   *notify.Notifier
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{clk: &clock{}}
	e.clk.set(at(10, 0))
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "edge.db"), store.Options{Node: "ST-V0101", Kind: syncproto.NodeStation,
		Now: e.clk.now, Synchronous: "NORMAL"})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	e.st, e.stn = st, station.New(st, cst)
	require.NoError(t, e.stn.SetShelves(ctx, "owner", []syncproto.Shelf{{No: 1, Layers: 4, Capacity: 30}}))
	sim, err := modem.NewSimulator(modem.SimOptions{})
	if errors.Is(err, pty.ErrNoPTY) {
		t.Skip(err)
	}
	require.NoError(t, err)
	t.Cleanup(func() { sim.Close() })
	g, err := modem.Open(modem.Options{Port: sim.Path(), Timeout: 5 * time.Second})
	require.NoError(t, err)
	t.Cleanup(func() { g.Close() })
	e.sim, e.g = sim, g
	e.n = notify.New(notify.Options{Station: e.stn, Modem: g, Location: cst, Now: e.clk.now})
	return e
}

func (e *env) scan(t *testing.T, wb, phone string) uint64 {
	t.Helper()
	_, err := e.stn.Inbound(context.Background(), "clerk", station.InboundInput{Waybill: wb, Carrier: waybill.ZTO, ReceiverPhone: phone})
	require.NoError(t, err)
	var seq uint64
	require.NoError(t, e.st.DB().QueryRow("SELECT max(seq) FROM outbox").Scan(&seq))
	return seq
}

// code is the pickup code the station gave wb.
func (e *env) code(t *testing.T, wb string) string {
	t.Helper()
	var c string
	require.NoError(t, e.st.DB().QueryRow("SELECT code FROM parcels WHERE waybill = ?", wb).Scan(&c))
	return c
}

func (e *env) pass(t *testing.T) int {
	t.Helper()
	n, err := e.n.Pass(context.Background())
	require.NoError(t, err)
	return n
}

// notified are the parcel.notified ops in the outbox.
func (e *env) notified(t *testing.T) []syncproto.ParcelsNotified {
	t.Helper()
	rows, err := e.st.DB().Query("SELECT payload FROM outbox WHERE kind = ? ORDER BY seq", string(syncproto.KindParcelsNotified))
	require.NoError(t, err)
	defer rows.Close()
	var out []syncproto.ParcelsNotified
	for rows.Next() {
		var b []byte
		require.NoError(t, rows.Scan(&b))
		var p syncproto.ParcelsNotified
		require.NoError(t, json.Unmarshal(b, &p))
		out = append(out, p)
	}
	return out
}

func TestStationSendsWhatTheHubCannot(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// One parcel reached the hub (acknowledged); then the link went down.
	acked := e.scan(t, "73100000000009", "13700000000")
	require.NoError(t, e.st.SetAcked(ctx, e.st.Identity().Incarnation, acked))
	e.scan(t, "73100000000001", "13912345678")
	e.scan(t, "73100000000002", "13912345678")
	e.scan(t, "73100000000003", "13800001111")

	e.clk.add(5 * time.Minute)
	assert.Zero(t, e.pass(t), "the hub may still get them")
	assert.Empty(t, e.sim.Received())

	e.clk.add(6 * time.Minute)
	assert.Equal(t, 2, e.pass(t))
	got := e.sim.Received()
	require.Len(t, got, 2)
	assert.Equal(t, []string{"13800001111", "13912345678"}, phoneOf(got))
	assert.Equal(t, "您的中通包裹已到驿站，取件码"+e.code(t, "73100000000003")+"，请及时领取。", got[0].Text)
	assert.Equal(t, "您有2个包裹已到驿站，取件码"+e.code(t, "73100000000001")+"、"+e.code(t, "73100000000002")+"，请及时领取。", got[1].Text,
		"one phone's parcels in one message")
	ops := e.notified(t)
	require.Len(t, ops, 2)
	assert.Equal(t, syncproto.ParcelsNotified{Waybills: []string{"73100000000003"}, Via: "modem", Parts: 1}, ops[0])
	assert.Equal(t, []string{"73100000000001", "73100000000002"}, ops[1].Waybills)

	e.clk.add(time.Hour)
	assert.Zero(t, e.pass(t), "never twice")
	assert.Len(t, e.sim.Received(), 2)
	assert.Equal(t, notify.Stats{Sent: 2}, e.n.Stats())
}

func TestStationSMSTextsFromTheHubAndQuietHours(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// The hub's texts for this station: its name, hours and quiet hours.
	_, err := e.stn.ApplyChanges(ctx, []syncproto.Change{
		change(t, 1, syncproto.Template{Key: "sms.arrival", Text: "【望奎村邮】您的{carrier}包裹已到南岗村驿站，取件码{code}，营业至19:30。"}),
		change(t, 2, syncproto.Template{Key: "sms.quiet", Text: "20:00-07:30"}),
	}, 2)
	require.NoError(t, err)
	e.clk.set(at(19, 55))
	e.scan(t, "73100000000001", "13912345678")
	e.clk.set(at(20, 30))
	assert.Zero(t, e.pass(t), "quiet hours")
	e.clk.set(day2(7, 31))
	assert.Equal(t, 1, e.pass(t))
	require.Len(t, e.sim.Received(), 1)
	assert.Equal(t, "【望奎村邮】您的中通包裹已到南岗村驿站，取件码"+e.code(t, "73100000000001")+"，营业至19:30。", e.sim.Received()[0].Text)
}

func TestStationSMSRefusedAndInterrupted(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.scan(t, "73100000000001", "13912345678")
	e.clk.add(11 * time.Minute)
	e.sim.FailNext(500) // +CMS ERROR: 500, unknown error
	assert.Zero(t, e.pass(t))
	assert.Empty(t, e.notified(t))
	assert.Equal(t, 1, e.pass(t), "tried again")
	assert.Len(t, e.notified(t), 1)

	// A stop while the modem had the next one: recorded as sent, maybe.
	e.scan(t, "73100000000002", "13800001111")
	require.NoError(t, e.stn.SendingSMS(ctx, "13800001111", "…", []string{"73100000000002"}))
	n, err := e.n.Recover(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	ops := e.notified(t)
	require.Len(t, ops, 2)
	assert.Equal(t, syncproto.ParcelsNotified{Waybills: []string{"73100000000002"}, Via: "modem", Uncertain: true}, ops[1])
	e.clk.add(11 * time.Minute)
	assert.Zero(t, e.pass(t), "not sent again")
	assert.Equal(t, notify.Stats{Sent: 1, Failed: 1, Uncertain: 1}, e.n.Stats())
	var sent int
	require.NoError(t, e.st.DB().QueryRow("SELECT count(*) FROM station_sms WHERE state = 'sent'").Scan(&sent))
	assert.Equal(t, 2, sent)
}

func change(t *testing.T, seq uint64, payload any) syncproto.Change {
	t.Helper()
	b, err := json.Marshal(payload)
	require.NoError(t, err)
	return syncproto.Change{Seq: seq, Type: syncproto.ChangeTemplate, Payload: b}
}

// A number the network refuses for good is not tried again by the
// station: the hub sends its own once the link is back.
func TestStationSMSRefusedForGood(t *testing.T) {
	e := newEnv(t)
	e.scan(t, "73100000000001", "13912345678")
	e.clk.add(11 * time.Minute)
	e.sim.FailNext(28) // +CMS ERROR: 28, unidentified subscriber
	assert.Zero(t, e.pass(t))
	e.clk.add(time.Minute)
	assert.Zero(t, e.pass(t), "not again")
	assert.Empty(t, e.sim.Received())
	assert.Empty(t, e.notified(t), "the hub is not told: it sends its own")
	var state string
	require.NoError(t, e.st.DB().QueryRow("SELECT state FROM station_sms").Scan(&state))
	assert.Equal(t, "failed", state)
}

// After a restore from a backup the sequence numbers start again in a new
// incarnation: a parcel the hub acknowledged in the old one is not owed an
// SMS, one it did not is.
func TestStationSMSAfterRestore(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	acked := e.scan(t, "73100000000001", "13912345678")
	require.NoError(t, e.st.SetAcked(ctx, e.st.Identity().Incarnation, acked))
	e.scan(t, "73100000000002", "13800001111")
	bak := filepath.Join(t.TempDir(), "backup.db")
	require.NoError(t, e.st.Backup(ctx, bak))
	path := e.st.Path()
	require.NoError(t, e.st.Close())
	st, err := store.Restore(ctx, bak, path, store.Options{Now: e.clk.now, Synchronous: "NORMAL"})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	n := notify.New(notify.Options{Station: station.New(st, cst), Modem: e.g, Location: cst, Now: e.clk.now})

	e.clk.add(11 * time.Minute)
	sent, err := n.Pass(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, sent)
	assert.Equal(t, []string{"13800001111"}, phoneOf(e.sim.Received()), "not the parcel the hub has")
}
