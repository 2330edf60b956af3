package merge_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/hub/merge"
	"cunyou/syncproto"
)

func undone(node, inc string, seq uint64, wb string) syncproto.Op {
	return op(node, inc, seq, syncproto.KindParcelInboundUndone, syncproto.ParcelInboundUndone{Waybill: wb, Code: "1-2-0001",
		Shelf: 1, Layer: 2, InboundSeq: seq - 1})
}

// notices lists a parcel's notices as "kind station state reason".
func (e *env) notices(t *testing.T, wb string) []string {
	t.Helper()
	e.flush(t)
	rows, err := e.st.DB().Query("SELECT kind, station, state, reason FROM notices WHERE waybill = ? ORDER BY id", wb)
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k, st, state, reason string
		require.NoError(t, rows.Scan(&k, &st, &state, &reason))
		out = append(out, k+" "+st+" "+state+" "+reason)
	}
	require.NoError(t, rows.Err())
	return out
}

// A parcel on the bus is scanned in at the wrong station by mistake, and
// the scan undone: the hub puts it back on the road, cancels the arrival
// SMS that inbound owed, and the right station's scan notifies afresh.
func TestJourneyInboundUndone(t *testing.T) {
	ob := &outbox{}
	e := openEnv(t, t.TempDir(), merge.Options{Outbox: ob})
	e.addNodes(t, "ST-A", "ST-B")
	e.addCentre(t, "CENTRE")
	m := manifested("W1", "ST-A")
	p := m.Payload.(syncproto.ParcelManifested)
	p.ValueFen = 150000
	m.Payload = p
	e.record(t, m)
	const c = "CENTRE"
	e.apply(t, c,
		op(c, inc, 1, syncproto.KindParcelAtCentre, syncproto.ParcelAtCentre{Waybill: "W1", Carrier: "zto", Manifested: true, Station: "ST-A"}),
		op(c, inc, 2, syncproto.KindParcelLoaded, syncproto.ParcelLoaded{Waybill: "W1", Trip: "L1-20260314-0700"}),
		op(c, inc, 3, syncproto.KindTripDeparted, syncproto.TripDeparted{Trip: "L1-20260314-0700", Waybills: []string{"W1"}}))

	e.apply(t, "ST-B", inbound("ST-B", inc, 1, "W1"))
	st, node := e.parcel(t, "W1", "in")
	require.Equal(t, merge.StatusAtStation, st)
	require.Equal(t, "ST-B", node)
	assert.Equal(t, []string{"arrival ST-B pending "}, e.notices(t, "W1"))

	e.apply(t, "ST-B", undone("ST-B", inc, 2, "W1"))
	st, node = e.parcel(t, "W1", "in")
	assert.Equal(t, merge.StatusInTransit, st, "back on the road")
	assert.Empty(t, node)
	assert.Equal(t, []string{"arrival ST-B cancelled inbound undone"}, e.notices(t, "W1"), "the SMS not sent is cancelled")
	tl := e.timeline(t, "W1", "")
	assert.Equal(t, "ST-B parcel.inbound_undone inbound undone: code 1-2-0001 shelf 1-2 given up; back to in_transit", tl[len(tl)-1])

	e.apply(t, "ST-A", inbound("ST-A", inc, 1, "W1"))
	st, node = e.parcel(t, "W1", "in")
	assert.Equal(t, merge.StatusAtStation, st)
	assert.Equal(t, "ST-A", node)
	assert.Equal(t, []string{"arrival ST-B cancelled inbound undone", "arrival ST-A pending "}, e.notices(t, "W1"))
	assert.Equal(t, []string{"at_station", "inbound_undone", "at_station"}, ob.kinds("W1"), "the carrier hears of the mistake")
	ex := e.exceptions(t, "W1")
	require.Len(t, ex, 1, "only the wrong station's scan")
	assert.Contains(t, ex[0], "arrived at ST-B, destined for ST-A")

	// The station gets the declared value with the manifest, for its
	// ID-card rule at pickup.
	e.flush(t)
	var body []byte
	require.NoError(t, e.st.DB().QueryRow("SELECT payload FROM changes WHERE node = 'ST-A' AND type = 'manifest'").Scan(&body))
	var entry syncproto.ManifestEntry
	require.NoError(t, json.Unmarshal(body, &entry))
	assert.Equal(t, 150000, entry.ValueFen)
}

// A parcel the hub never heard of, scanned in and undone in one batch,
// is as unknown as before; scanned in again it notifies afresh. An undo
// the rules cannot allow (after a pickup) changes nothing but raises an
// exception.
func TestInboundUndoneEdgeCases(t *testing.T) {
	e := newEnv(t, "ST-A")
	const n = "ST-A"
	e.apply(t, n, inbound(n, inc, 1, "W2"), undone(n, inc, 2, "W2"))
	st, node := e.parcel(t, "W2", "in")
	assert.Empty(t, st, "the hub knew nothing of it before")
	assert.Empty(t, node)
	assert.Equal(t, []string{"arrival ST-A cancelled inbound undone"}, e.notices(t, "W2"))
	e.apply(t, n, inbound(n, inc, 3, "W2"))
	st, _ = e.parcel(t, "W2", "in")
	assert.Equal(t, merge.StatusAtStation, st)
	assert.Equal(t, []string{"arrival ST-A cancelled inbound undone", "arrival ST-A pending "}, e.notices(t, "W2"))
	assert.Empty(t, e.exceptions(t, "W2"))

	// Undone twice over: each undo goes back to what was before its own
	// inbound.
	e.apply(t, n, undone(n, inc, 4, "W2"), inbound(n, inc, 5, "W2"), undone(n, inc, 6, "W2"))
	st, _ = e.parcel(t, "W2", "in")
	assert.Empty(t, st)

	e.apply(t, n, inbound(n, inc, 7, "W3"), pickup(n, inc, 8, "W3"), undone(n, inc, 9, "W3"))
	st, _ = e.parcel(t, "W3", "in")
	assert.Equal(t, merge.StatusPickedUp, st, "picked up is final")
	ex := e.exceptions(t, "W3")
	require.Len(t, ex, 1)
	assert.Contains(t, ex[0], "parcel.inbound_undone at ST-A after picked_up")

	// A bad payload is a dead letter, not a stall.
	res := e.apply(t, n, op(n, inc, 10, syncproto.KindParcelInboundUndone, map[string]any{"waybill": ""}))
	assert.Equal(t, uint64(10), res.AckedSeq)
	var dead int
	require.NoError(t, e.st.DB().QueryRowContext(context.Background(), "SELECT count(*) FROM dead_letters WHERE seq = 10").Scan(&dead))
	assert.Equal(t, 1, dead)
}

// The station's ID-card rule and a day closed with parcels a stocktake
// missed show in the station's own timeline.
func TestStationRulesInTimeline(t *testing.T) {
	e := newEnv(t, "ST-A")
	const n = "ST-A"
	e.apply(t, n,
		op(n, inc, 1, syncproto.KindSettingsSet, syncproto.SettingsSet{OverdueDays: 3, ReturnDays: 7, IDForProxy: true, IDHighValue: true, IDValueYuan: 1000}),
		op(n, inc, 2, syncproto.KindDayClosed, syncproto.DayClosed{Date: "2026-03-14", Total: syncproto.DayCounts{In: 4, OnShelf: 4}, StocktakeMissing: 1}))
	e.flush(t)
	rows, err := e.st.DB().Query("SELECT detail FROM facts WHERE waybill = '' ORDER BY id")
	require.NoError(t, err)
	defer rows.Close()
	var got []string
	for rows.Next() {
		var d string
		require.NoError(t, rows.Scan(&d))
		got = append(got, d)
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, []string{
		"overdue after 3 days, return after 7 days, ID card read for a proxy, ID card read from 1000 yuan",
		"day 2026-03-14 in 4 out 0 sent 0 problems 0 returns 0 on shelf 4 mismatch 0 stocktake missing 1",
	}, got)
}

// An arrival whose message is made but not yet handed to a gateway (the
// gateway down, say) is given up with the scan-in undone, unless the
// message tells of other parcels too.
func TestInboundUndoneQueuedSMS(t *testing.T) {
	e := newEnv(t, "ST-A")
	const n = "ST-A"
	e.apply(t, n, inbound(n, inc, 1, "W5"), inbound(n, inc, 2, "W6"), inbound(n, inc, 3, "W7"))
	e.flush(t)
	// hub/notify's batch: W5 alone in one message, W6 and W7 together in
	// another.
	queue := func(wbs ...string) int64 {
		t.Helper()
		var id int64
		require.NoError(t, e.st.Write(context.Background(), func(tx *sql.Tx) error {
			if err := tx.QueryRow(`INSERT INTO sms_messages (phone, kind, params, text, parts, next_ms, created_ms)
				VALUES ('13800138000', 'arrival', '[]', 'text', 1, 0, 0) RETURNING id`).Scan(&id); err != nil {
				return err
			}
			for _, wb := range wbs {
				if _, err := tx.Exec("UPDATE notices SET state = 'sent', message = ? WHERE waybill = ?", id, wb); err != nil {
					return err
				}
			}
			return nil
		}))
		return id
	}
	alone, shared := queue("W5"), queue("W6", "W7")
	e.apply(t, n, undone(n, inc, 4, "W5"), undone(n, inc, 5, "W6"))
	e.flush(t)
	state := func(id int64) string {
		t.Helper()
		var s, code string
		require.NoError(t, e.st.DB().QueryRow("SELECT state, error_code FROM sms_messages WHERE id = ?", id).Scan(&s, &code))
		return s + " " + code
	}
	assert.Equal(t, "dead cancelled", state(alone), "not sent")
	assert.Equal(t, "dead cancelled", state(shared), "its text tells W6's code: not sent")
	assert.Equal(t, []string{"arrival ST-A cancelled inbound undone"}, e.notices(t, "W5"))
	assert.Equal(t, []string{"arrival ST-A cancelled inbound undone"}, e.notices(t, "W6"))
	assert.Equal(t, []string{"arrival ST-A pending "}, e.notices(t, "W7"), "W7's arrival goes in a message of its own")
	var msg int64
	require.NoError(t, e.st.DB().QueryRow("SELECT message FROM notices WHERE waybill = 'W7'").Scan(&msg))
	assert.Zero(t, msg)

	// A message a gateway has already is not touched: the notice of the
	// parcel undone stays sent with it.
	sending := queue("W7")
	require.NoError(t, e.st.Write(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec("UPDATE sms_messages SET state = 'sending' WHERE id = ?", sending)
		return err
	}))
	e.apply(t, n, undone(n, inc, 6, "W7"))
	assert.Equal(t, "sending ", state(sending))
	assert.Equal(t, []string{"arrival ST-A sent "}, e.notices(t, "W7"))

	// A parcel of that message picked up meanwhile needs no message of
	// its own.
	e.apply(t, n, inbound(n, inc, 7, "W8"), inbound(n, inc, 8, "W9"))
	e.flush(t)
	both := queue("W8", "W9")
	e.apply(t, n, pickup(n, inc, 9, "W9"), undone(n, inc, 10, "W8"))
	assert.Equal(t, []string{"arrival ST-A cancelled inbound undone"}, e.notices(t, "W8"))
	assert.Equal(t, "dead cancelled", state(both))
	assert.Equal(t, []string{"arrival ST-A cancelled picked up"}, e.notices(t, "W9"))

	// A message a stop caught mid-send may have reached its gateway:
	// hub/notify asks the gateway before it goes again; it is not given
	// up, nor its other parcel told twice.
	e.apply(t, n, inbound(n, inc, 11, "W10"), inbound(n, inc, 12, "W11"))
	e.flush(t)
	interrupted := queue("W10", "W11")
	require.NoError(t, e.st.Write(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec("UPDATE sms_messages SET error_code = 'interrupted' WHERE id = ?", interrupted)
		return err
	}))
	e.apply(t, n, undone(n, inc, 13, "W10"))
	assert.Equal(t, []string{"arrival ST-A sent "}, e.notices(t, "W11"))
	assert.Equal(t, "queued interrupted", state(interrupted))
}

// A batch with a scan-in undone, sent again (its answer was lost),
// changes nothing: no fact, notice, message, webhook or change more.
func TestInboundUndoneReplayed(t *testing.T) {
	ob := &outbox{}
	e := openEnv(t, t.TempDir(), merge.Options{Outbox: ob})
	e.addNodes(t, "ST-A")
	const n = "ST-A"
	b := []syncproto.Op{inbound(n, inc, 1, "W1"), inbound(n, inc, 2, "W2"), undone(n, inc, 3, "W1")}
	e.apply(t, n, b...)
	e.flush(t)
	snapshot := func() []int {
		var out []int
		for _, q := range []string{"SELECT count(*) FROM facts", "SELECT count(*) FROM notices", "SELECT count(*) FROM sms_messages",
			"SELECT count(*) FROM changes", "SELECT count(*) FROM exceptions", "SELECT count(*) FROM ops",
			"SELECT count(*) FROM notices WHERE state = 'pending'"} {
			out = append(out, e.count(t, q))
		}
		return append(out, len(ob.kinds("W1")), len(ob.kinds("W2")))
	}
	before := snapshot()
	res := e.apply(t, n, b...)
	assert.Equal(t, 3, res.Duplicates)
	e.apply(t, n, b[1:]...)
	e.flush(t)
	assert.Equal(t, before, snapshot())
	st, _ := e.parcel(t, "W1", "in")
	assert.Empty(t, st)
	assert.Equal(t, []string{"arrival ST-A cancelled inbound undone"}, e.notices(t, "W1"))
}

// A scan-in undone puts the parcel back with the node that held it: the
// centre, for a parcel loaded whose trip's departure the centre has not
// uploaded yet.
func TestInboundUndoneBackToTheCentre(t *testing.T) {
	e := newEnv(t, "ST-A")
	e.addCentre(t, "CENTRE")
	const c = "CENTRE"
	e.apply(t, c,
		op(c, inc, 1, syncproto.KindParcelAtCentre, syncproto.ParcelAtCentre{Waybill: "W1", Carrier: "zto", Station: "ST-A"}),
		op(c, inc, 2, syncproto.KindParcelLoaded, syncproto.ParcelLoaded{Waybill: "W1", Trip: "L1-20260314-0700"}))
	e.apply(t, "ST-A", inbound("ST-A", inc, 1, "W1"), undone("ST-A", inc, 2, "W1"))
	st, node := e.parcel(t, "W1", "in")
	assert.Equal(t, merge.StatusLoaded, st)
	assert.Equal(t, "CENTRE", node)
}
