package openapi_test

import (
	"database/sql"
	"net/http"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/hub/auth"
	"cunyou/hub/openapi"
	"cunyou/syncproto"
)

// note is a repair's body.
func note(s string) openapi.NoteRequest { return openapi.NoteRequest{Note: s} }

// deniedExcept checks that every role but those allowed gets 403 on a
// POST of path.
func deniedExcept(t *testing.T, e *env, tokens map[string]string, path string, allowed ...string) {
	t.Helper()
	for _, role := range auth.Roles {
		if !slices.Contains(allowed, role) {
			problem(t, e.post(path, tokens[role], note("试试")), http.StatusForbidden, openapi.CodeInsufficientScope)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestResolveException(t *testing.T) {
	e := newEnv(t)
	tokens := e.people()
	e.announce(entry("73100000000001", "zto", "13912345678", addrMinzhu))
	// A pickup at a station that never scanned the parcel in.
	e.apply(stMinzhu, syncproto.KindParcelsPickedUp, syncproto.ParcelsPickedUp{Waybills: []string{"73100000000001"},
		Collector: syncproto.Collector{Kind: "receiver"}})
	list := decode[openapi.ExceptionList](t, e.get("/api/v1/exceptions?open=true", "admin"), http.StatusOK)
	require.Len(t, list.Exceptions, 1)
	x := list.Exceptions[0]
	path := "/api/v1/exceptions/" + itoa(x.ID) + "/resolve"

	deniedExcept(t, e, tokens, path, auth.Admin, auth.Dispatcher)
	problem(t, e.post(path, tokens[auth.Dispatcher], note("  ")), http.StatusUnprocessableEntity, openapi.CodeNoteRequired)
	problem(t, e.post("/api/v1/exceptions/999/resolve", tokens[auth.Dispatcher], note("x")), http.StatusNotFound, openapi.CodeNotFound)
	// A client without the dispatch scope may not (another carrier's
	// with it: TestRepairsScopedToTheCarrier).
	problem(t, e.post(path, "yto-app", note("x")), http.StatusForbidden, openapi.CodeInsufficientScope)

	got := decode[openapi.Exception](t, e.post(path, tokens[auth.Dispatcher], note("电话问过驿站：包裹是代取的，已补扫")), http.StatusOK)
	assert.False(t, got.Open)
	assert.Equal(t, "user:u-dispatcher", got.ResolvedBy)
	assert.Equal(t, "电话问过驿站：包裹是代取的，已补扫", got.Note)
	assert.Equal(t, t0, got.ResolvedAt.UTC())

	p := problem(t, e.post(path, tokens[auth.Admin], note("again")), http.StatusConflict, openapi.CodeAlreadyResolved)
	assert.Contains(t, p.Detail, "user:u-dispatcher")

	assert.Empty(t, decode[openapi.ExceptionList](t, e.get("/api/v1/exceptions?open=true", "admin"), http.StatusOK).Exceptions)
	all := decode[openapi.ExceptionList](t, e.get("/api/v1/exceptions?open=false", "admin"), http.StatusOK)
	require.Len(t, all.Exceptions, 1)
	assert.Equal(t, "user:u-dispatcher", all.Exceptions[0].ResolvedBy)
	assert.Equal(t, got.Note, all.Exceptions[0].Note)

	rows := e.auditRows()
	found := false
	for _, r := range rows {
		found = found || r.Action == "exception.resolve" && r.Actor == "user:u-dispatcher" && r.Result == "ok"
	}
	assert.True(t, found, "the resolution is audited")
}

func TestMarkLost(t *testing.T) {
	e := newEnv(t)
	tokens := e.people()
	e.announce(entry("73100000000001", "zto", "13912345678", addrMinzhu), entry("73100000000002", "zto", "13912345679", addrMinzhu))
	for i, wb := range []string{"73100000000001", "73100000000002"} {
		e.apply(stMinzhu, syncproto.KindParcelInbound, syncproto.ParcelInbound{Waybill: wb, Carrier: "zto", ReceiverPhone: "13912345678",
			Manifested: true, Shelf: 1, Layer: 1, Code: "1-1-000" + itoa(int64(i))})
	}
	e.apply(stMinzhu, syncproto.KindParcelsPickedUp, syncproto.ParcelsPickedUp{Waybills: []string{"73100000000002"},
		Collector: syncproto.Collector{Kind: "receiver"}})
	path := "/api/v1/parcels/73100000000001/lost"

	deniedExcept(t, e, tokens, path, auth.Admin, auth.Dispatcher)
	problem(t, e.post(path, tokens[auth.Dispatcher], note("")), http.StatusUnprocessableEntity, openapi.CodeNoteRequired)
	problem(t, e.post("/api/v1/parcels/73100000000009/lost", tokens[auth.Dispatcher], note("x")), http.StatusNotFound, openapi.CodeNotFound)
	problem(t, e.post("/api/v1/parcels/73100000000001/lost", "yto-app", note("x")), http.StatusForbidden, openapi.CodeInsufficientScope)
	p := problem(t, e.post("/api/v1/parcels/73100000000002/lost", tokens[auth.Dispatcher], note("找不到")), http.StatusConflict, openapi.CodeParcelFinal)
	assert.Contains(t, p.Detail, "picked_up")

	got := decode[openapi.Parcel](t, e.post(path, tokens[auth.Dispatcher], note("货架和库房都找过，没有")), http.StatusOK)
	assert.Equal(t, "lost", got.Status)
	problem(t, e.post(path, tokens[auth.Admin], note("again")), http.StatusConflict, openapi.CodeAlreadyLost)

	tr := decode[openapi.Tracking](t, e.get("/api/v1/parcels/73100000000001", "admin"), http.StatusOK)
	last := tr.Timeline[len(tr.Timeline)-1]
	assert.Equal(t, string(syncproto.KindParcelLost), last.Kind)
	assert.Equal(t, "declared lost by user:u-dispatcher: 货架和库房都找过，没有", last.Detail)

	// Found again: the station scans it in, it is back on the shelf.
	e.apply(stMinzhu, syncproto.KindParcelInbound, syncproto.ParcelInbound{Waybill: "73100000000001", Carrier: "zto",
		ReceiverPhone: "13912345678", Manifested: true, Shelf: 2, Layer: 1, Code: "2-1-0001"})
	tr = decode[openapi.Tracking](t, e.get("/api/v1/parcels/73100000000001", "admin"), http.StatusOK)
	assert.Equal(t, "at_station", tr.Parcels[0].Status)
}

func TestDeadLettersAndQuarantine(t *testing.T) {
	e := newEnv(t)
	tokens := e.people()
	e.announce(entry("73100000000001", "zto", "13912345678", addrMinzhu))
	e.apply(stMinzhu, syncproto.KindParcelInbound, syncproto.ParcelInbound{Waybill: "73100000000001", Carrier: "zto",
		ReceiverPhone: "13912345678", Manifested: true, Shelf: 1, Layer: 1, Code: "1-1-0001"})
	e.apply(stMinzhu, syncproto.KindParcelProblem, map[string]any{"waybill": "73100000000001", "reason": "eaten"}) // seq 2: dead

	for _, role := range auth.Roles {
		r := e.get("/api/v1/deadletters?station="+stMinzhu, tokens[role])
		if auth.Allows(role, auth.StationsRead) {
			list := decode[openapi.DeadLetterList](t, r, http.StatusOK)
			require.Len(t, list.DeadLetters, 1, role)
		} else {
			problem(t, r, http.StatusForbidden, openapi.CodeInsufficientScope)
		}
	}
	problem(t, e.get("/api/v1/deadletters", "zto-app"), http.StatusForbidden, openapi.CodeInsufficientScope)
	d := decode[openapi.DeadLetterList](t, e.get("/api/v1/deadletters", tokens[auth.Technician]), http.StatusOK).DeadLetters[0]
	assert.Equal(t, openapi.DeadLetter{Node: stMinzhu, Incarnation: "inc-1", Seq: 2, Kind: "parcel.problem", Code: syncproto.CodeBadPayload.String(),
		Reason: d.Reason, Waybills: []string{"73100000000001"}, Hash: d.Hash, ReceivedAt: t0, State: "open"}, d)
	base := "/api/v1/deadletters/" + stMinzhu + "/inc-1/2"

	deniedExcept(t, e, tokens, base+"/retry", auth.Admin, auth.Dispatcher)
	deniedExcept(t, e, tokens, base+"/discard", auth.Admin, auth.Dispatcher)
	problem(t, e.post(base+"/retry", tokens[auth.Dispatcher], note("")), http.StatusUnprocessableEntity, openapi.CodeNoteRequired)
	problem(t, e.post("/api/v1/deadletters/"+stMinzhu+"/inc-1/9/retry", tokens[auth.Dispatcher], note("x")), http.StatusNotFound, openapi.CodeNotFound)

	// The running build refuses it still: it stays, with one more attempt.
	ra := decode[openapi.RetryAnswer](t, e.post(base+"/retry", tokens[auth.Dispatcher], note("升级后重试")), http.StatusOK)
	assert.False(t, ra.Applied)
	assert.Equal(t, "open", ra.DeadLetter.State)
	assert.Equal(t, 1, ra.DeadLetter.Attempts)
	assert.Equal(t, syncproto.CodeBadPayload.String(), ra.DeadLetter.Code)

	dd := decode[openapi.DeadLetter](t, e.post(base+"/discard", tokens[auth.Dispatcher], note("驿站旧版本的原因码，已人工登记")), http.StatusOK)
	assert.Equal(t, "discarded", dd.State)
	assert.Equal(t, "user:u-dispatcher", dd.HandledBy)
	problem(t, e.post(base+"/retry", tokens[auth.Admin], note("x")), http.StatusConflict, openapi.CodeAlreadyResolved)
	problem(t, e.post(base+"/discard", tokens[auth.Admin], note("x")), http.StatusConflict, openapi.CodeAlreadyResolved)
	assert.Empty(t, decode[openapi.DeadLetterList](t, e.get("/api/v1/deadletters", "admin"), http.StatusOK).DeadLetters)
	assert.Len(t, decode[openapi.DeadLetterList](t, e.get("/api/v1/deadletters?open=false", "admin"), http.StatusOK).DeadLetters, 1)

	// One an older hub set aside (it did not know the kind) goes through.
	o := syncproto.Op{Node: stMinzhu, Incarnation: "inc-1", Seq: 3, HLC: syncproto.MakeTimestamp(t0.UnixMilli(), 0), Actor: "clerk",
		Kind: syncproto.KindParcelProblem, Payload: []byte(`{"waybill":"73100000000001","reason":"damaged","text":"压坏"}`)}
	o.Seal()
	require.NoError(t, e.st.Write(e.ctx, func(tx *sql.Tx) error {
		if _, err := tx.Exec(`INSERT INTO ops (stream, seq, v, hlc, actor, kind, payload, hash, received_ms, applied)
			SELECT stream, 3, ?, ?, ?, ?, ?, ?, ?, 0 FROM cursors WHERE node = ?`, o.V, int64(o.HLC), o.Actor, string(o.Kind), []byte(o.Payload), o.Hash, t0.UnixMilli(), stMinzhu); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO dead_letters (node, incarnation, seq, kind, payload, hash, code, reason, received_ms) VALUES (?, 'inc-1', 3, ?, ?, ?, ?, 'unknown kind', ?)`,
			stMinzhu, string(o.Kind), []byte(o.Payload), o.Hash, int(syncproto.CodeUnknownKind), t0.UnixMilli())
		return err
	}))
	ra = decode[openapi.RetryAnswer](t, e.post("/api/v1/deadletters/"+stMinzhu+"/inc-1/3/retry", tokens[auth.Dispatcher], note("中心升级了")), http.StatusOK)
	assert.True(t, ra.Applied)
	assert.Equal(t, "applied", ra.DeadLetter.State)
	tr := decode[openapi.Tracking](t, e.get("/api/v1/parcels/73100000000001", "admin"), http.StatusOK)
	assert.Equal(t, "problem", tr.Parcels[0].Status)

	// Quarantine: the same identity with other content.
	e.seqs[stMinzhu] = 0
	e.apply(stMinzhu, syncproto.KindParcelInbound, syncproto.ParcelInbound{Waybill: "73100000000077", Carrier: "zto",
		ReceiverPhone: "13912345678", Shelf: 1, Layer: 1, Code: "1-1-0077"})
	ql := decode[openapi.QuarantineList](t, e.get("/api/v1/quarantine", tokens[auth.Technician]), http.StatusOK)
	require.Len(t, ql.Quarantined, 1)
	q := ql.Quarantined[0]
	assert.True(t, q.Open)
	assert.NotEqual(t, q.HashExisting, q.HashNew)
	qpath := "/api/v1/quarantine/" + itoa(q.ID) + "/ack"
	deniedExcept(t, e, tokens, qpath, auth.Admin, auth.Dispatcher)
	qa := decode[openapi.QuarantinedOp](t, e.post(qpath, tokens[auth.Dispatcher], note("驿站电脑从旧备份恢复过")), http.StatusOK)
	assert.False(t, qa.Open)
	assert.Equal(t, "user:u-dispatcher", qa.AckedBy)
	problem(t, e.post(qpath, tokens[auth.Dispatcher], note("x")), http.StatusConflict, openapi.CodeAlreadyResolved)
	assert.Empty(t, decode[openapi.QuarantineList](t, e.get("/api/v1/quarantine", "admin"), http.StatusOK).Quarantined)

	st := decode[openapi.StationList](t, e.get("/api/v1/stations", "admin"), http.StatusOK)
	for _, s := range st.Stations {
		assert.Zero(t, s.DeadLetters, s.Node)
		assert.Zero(t, s.Quarantined, s.Node)
	}
}

// A carrier's client with the dispatch scope resolves and declares lost
// only its own carrier's parcels: another's is not found.
func TestRepairsScopedToTheCarrier(t *testing.T) {
	e := newEnv(t)
	e.announce(entry("YT0000000000001", "yto", "13912345678", addrMinzhu), entry("YT0000000000002", "yto", "13912345679", addrMinzhu))
	e.apply(stMinzhu, syncproto.KindParcelsPickedUp, syncproto.ParcelsPickedUp{Waybills: []string{"YT0000000000001"},
		Collector: syncproto.Collector{Kind: "receiver"}})
	list := decode[openapi.ExceptionList](t, e.get("/api/v1/exceptions?open=true", "admin"), http.StatusOK)
	require.Len(t, list.Exceptions, 1)
	path := "/api/v1/exceptions/" + itoa(list.Exceptions[0].ID) + "/resolve"

	problem(t, e.post(path, "zto-app", note("x")), http.StatusNotFound, openapi.CodeNotFound)
	problem(t, e.post("/api/v1/parcels/YT0000000000002/lost", "zto-app", note("x")), http.StatusNotFound, openapi.CodeNotFound)
	assert.Empty(t, decode[openapi.ExceptionList](t, e.get("/api/v1/exceptions?open=true", "zto-app"), http.StatusOK).Exceptions)

	// The county's client may.
	decode[openapi.Exception](t, e.post(path, "county", note("查过")), http.StatusOK)
	got := decode[openapi.Parcel](t, e.post("/api/v1/parcels/YT0000000000002/lost", "county", note("找不到")), http.StatusOK)
	assert.Equal(t, "lost", got.Status)
}
