package station

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/edge/store"
	"cunyou/syncproto"
)

const centreNode = "CENTRE"

// The demo county's trips of t0's day as the centre's tests know them.
// L1 serves the V02 villages twice a day, L9 the V01 villages; L5's only
// trip today is cancelled.
var testTrips = []syncproto.Trip{
	{ID: "L1-0700", Line: "L1", LineName: "望奎1路", Date: "2025-03-10", Departure: "07:00", Vehicle: "黑M12345", Driver: "赵师傅",
		Stops: []string{centreNode, "ST-V0201", "ST-V0202", "ST-V0203", centreNode}},
	{ID: "L1-1330", Line: "L1", LineName: "望奎1路", Date: "2025-03-10", Departure: "13:30", Vehicle: "黑M12345",
		Stops: []string{centreNode, "ST-V0201", "ST-V0202", "ST-V0203", centreNode}},
	{ID: "L9-0800", Line: "L9", LineName: "邮政班车", Date: "2025-03-10", Departure: "08:00",
		Stops: []string{centreNode, "ST-V0101", "ST-V0102", centreNode}},
	{ID: "L5-0900", Line: "L5", LineName: "望奎5路", Date: "2025-03-10", Departure: "09:00", Cancelled: true,
		Stops: []string{centreNode, "ST-V0101", "ST-V1401", centreNode}},
}

// newCentreEnv opens a fresh centre. When the test ends it checks what
// must hold after any scenario: the store's integrity and gap-free
// outbox, every op's envelope, statuses that replay from events (the
// station's and the centre's, with the trips and handover lists that
// must agree with them), and one sort label queued by every scan that
// sorted a parcel.
func newCentreEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	clock := &fakeClock{now: t0}
	path := filepath.Join(t.TempDir(), "centre.db")
	st, err := store.Open(ctx, path, store.Options{Node: centreNode, Kind: syncproto.NodeCentre, Now: clock.Now})
	require.NoError(t, err)
	e := &env{ctx: ctx, clock: clock, st: st, s: New(st, cst), path: path}
	t.Cleanup(func() {
		assert.NoError(t, e.st.Check(ctx), "store check")
		assert.NoError(t, e.s.VerifyDerived(ctx), "derived statuses")
		ops, err := e.st.Ops(ctx, 0, 1<<30)
		if assert.NoError(t, err) {
			for _, op := range ops {
				assert.NoError(t, op.Verify(), "op %d %s", op.Seq, op.Kind)
				assert.Equal(t, centreNode, op.Node)
			}
		}
		var labels, scans int
		require.NoError(t, e.st.DB().QueryRowContext(ctx, "SELECT count(*) FROM print_jobs WHERE kind = 'sort_label' AND reprint_of IS NULL").Scan(&labels))
		require.NoError(t, e.st.DB().QueryRowContext(ctx, "SELECT count(*) FROM centre_events WHERE kind IN ('at_centre', 'sorted')").Scan(&scans))
		assert.Equal(t, scans, labels, "one sort label per sort decision")
		var atCentreOps int
		require.NoError(t, e.st.DB().QueryRowContext(ctx, "SELECT count(*) FROM outbox WHERE kind = 'parcel.at_centre'").Scan(&atCentreOps))
		assert.Equal(t, scans, atCentreOps, "one at_centre op per sort decision")
		assert.NoError(t, e.st.Close())
	})
	return e
}

// reopen closes the store and opens it again, as a restart of the program
// would.
func (e *env) reopen(t *testing.T) {
	t.Helper()
	require.NoError(t, e.st.Close())
	st, err := store.Open(e.ctx, e.path, store.Options{Now: e.clock.Now})
	require.NoError(t, err)
	e.st, e.s = st, New(st, cst)
}

// centreDay loads the test trips and a manifest.
func (e *env) centreDay(t *testing.T, manifest ...ManifestEntry) {
	t.Helper()
	require.NoError(t, e.s.ApplyTrips(e.ctx, testTrips))
	require.NoError(t, e.s.ApplyCentreManifest(e.ctx, manifest))
}

// to is a manifest entry of a ZTO parcel for station, planned on trip.
func to(n int, station, trip string) ManifestEntry {
	return ManifestEntry{Waybill: zto(n), Carrier: "zto", ReceiverName: "张三", ReceiverPhone: phone(n), Station: station, Trip: trip, WeightGrams: 800}
}

// scan scans a parcel in and requires a new scan.
func (e *env) scan(t *testing.T, wb string) ScanResult {
	t.Helper()
	res, err := e.s.ScanIn(e.ctx, clerk, ScanInput{Waybill: wb})
	require.NoError(t, err)
	require.False(t, res.Repeat, "%s already scanned", wb)
	return res
}

// load loads a parcel and requires a new load.
func (e *env) load(t *testing.T, wb, trip string) LoadResult {
	t.Helper()
	res, err := e.s.Load(e.ctx, clerk, LoadInput{Waybill: wb, Trip: trip})
	require.NoError(t, err)
	require.False(t, res.Repeat)
	return res
}

// collect receives an outbound parcel.
func (e *env) collect(t *testing.T, wb, dir string) CollectResult {
	t.Helper()
	res, err := e.s.Collect(e.ctx, clerk, CollectInput{Waybill: wb, Direction: dir})
	require.NoError(t, err)
	require.False(t, res.Repeat)
	return res
}

// centreOp runs fn and requires that it appended exactly one valid op of
// kind at the centre.
func (e *env) centreOp(t *testing.T, kind syncproto.EventKind, fn func()) syncproto.Op {
	t.Helper()
	before := e.lastSeq(t)
	fn()
	ops := e.opsSince(t, before)
	require.Len(t, ops, 1, "one action, one op")
	require.Equal(t, kind, ops[0].Kind)
	require.NoError(t, ops[0].Verify())
	assert.Equal(t, centreNode, ops[0].Node)
	return ops[0]
}

// noOp runs fn and requires that it appended no op.
func (e *env) noOp(t *testing.T, fn func()) {
	t.Helper()
	before := e.lastSeq(t)
	fn()
	assert.Equal(t, before, e.lastSeq(t), "no op")
}

// centreParcel reads a centre parcel as stored.
func (e *env) centreParcel(t *testing.T, wb, flow string) CentreParcel {
	t.Helper()
	p, found, err := findCentreParcel(e.ctx, e.st.DB(), wb, flow)
	require.NoError(t, err)
	require.True(t, found, "centre parcel %s/%s", wb, flow)
	return p
}

// centreEvents returns a centre parcel's timeline, oldest first.
func (e *env) centreEvents(t *testing.T, wb, flow string) []evRow {
	t.Helper()
	rows, err := e.st.DB().QueryContext(e.ctx, `SELECT e.kind, e.seq, e.actor, e.detail FROM centre_events e
		JOIN centre_parcels p ON p.id = e.parcel_id WHERE p.waybill = ? AND p.flow = ? ORDER BY e.id`, wb, flow)
	require.NoError(t, err)
	defer rows.Close()
	var out []evRow
	for rows.Next() {
		var r evRow
		require.NoError(t, rows.Scan(&r.Kind, &r.Seq, &r.Actor, &r.Detail))
		out = append(out, r)
	}
	require.NoError(t, rows.Err())
	return out
}

// label decodes a print job's sort label.
func (e *env) label(t *testing.T, id int64) (PrintJob, SortLabel) {
	t.Helper()
	js, err := queryPrintJobs(e.ctx, e.st.DB(), "id = ?", id)
	require.NoError(t, err)
	require.Len(t, js, 1, "print job %d", id)
	var l SortLabel
	require.NoError(t, json.Unmarshal(js[0].Payload, &l))
	return js[0], l
}
