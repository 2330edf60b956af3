package merge_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/hub/merge"
	"cunyou/hub/store"
	"cunyou/syncproto"
)

// deadAsOlderHub holds o as a dead letter the way an older hub wrote it
// (a kind or a rule that build did not know): the op durable, unapplied,
// the cursor past it.
func deadAsOlderHub(tb testing.TB, st *store.Store, o syncproto.Op, reason string) {
	tb.Helper()
	require.NoError(tb, st.Write(context.Background(), func(tx *sql.Tx) error {
		var stream int64
		err := tx.QueryRow("SELECT stream FROM cursors WHERE node = ? AND incarnation = ?", o.Node, o.Incarnation).Scan(&stream)
		if err == sql.ErrNoRows {
			err = tx.QueryRow("INSERT INTO cursors (node, incarnation, acked_seq, updated_ms) VALUES (?, ?, 0, 0) RETURNING stream",
				o.Node, o.Incarnation).Scan(&stream)
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO ops (stream, seq, v, hlc, actor, kind, payload, hash, received_ms, applied) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`,
			stream, int64(o.Seq), o.V, int64(o.HLC), o.Actor, string(o.Kind), []byte(o.Payload), o.Hash, t0.UnixMilli()); err != nil {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO dead_letters (node, incarnation, seq, kind, payload, hash, code, reason, received_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			o.Node, o.Incarnation, int64(o.Seq), string(o.Kind), []byte(o.Payload), o.Hash, int(syncproto.CodeUnknownKind), reason, t0.UnixMilli()); err != nil {
			return err
		}
		_, err = tx.Exec("UPDATE cursors SET acked_seq = max(acked_seq, ?) WHERE stream = ?", int64(o.Seq), stream)
		return err
	}))
}

func TestRetryOfADeadLetterTheBuildStillRefuses(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "ST-A")
	_, err := e.m.Apply(ctx, "ST-A", batch("ST-A", inc, inbound("ST-A", inc, 1, "W1"),
		op("ST-A", inc, 2, syncproto.KindParcelProblem, map[string]any{"waybill": "W1", "reason": "eaten"})))
	require.NoError(t, err)
	e.flush(t)
	before, err := e.st.DeadLetterOf(ctx, "ST-A", inc, 2)
	require.NoError(t, err)

	res, err := e.m.Retry(ctx, "ST-A", inc, 2, "user:wang", "retried after the upgrade")
	require.NoError(t, err)
	assert.False(t, res.Applied)
	assert.Equal(t, syncproto.CodeBadPayload, res.Code)
	assert.Equal(t, before.Reason, res.Reason)

	d, err := e.st.DeadLetterOf(ctx, "ST-A", inc, 2)
	require.NoError(t, err)
	assert.Equal(t, store.DeadOpen, d.State)
	assert.Equal(t, 1, d.Attempts)
	assert.Equal(t, t0, d.Retried.UTC())
	assert.Empty(t, d.HandledBy)
	p, err := e.st.Parcel(ctx, "W1", "in")
	require.NoError(t, err)
	assert.Equal(t, merge.StatusAtStation, p.Status, "the refused op changed nothing")

	_, err = e.m.Retry(ctx, "ST-A", inc, 9, "user:wang", "")
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = e.m.Retry(ctx, "ST-A", inc, 1, "user:wang", "")
	assert.ErrorIs(t, err, store.ErrNotFound, "an applied op is no dead letter")
}

func TestRetryAppliesADeadLetterOnceTheHubUnderstandsIt(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "ST-A")
	_, err := e.m.Apply(ctx, "ST-A", batch("ST-A", inc, inbound("ST-A", inc, 1, "W1")))
	require.NoError(t, err)
	// An older hub did not know parcel.problem: it kept the station's
	// problem report as a dead letter; the station went on.
	problem := op("ST-A", inc, 2, syncproto.KindParcelProblem, syncproto.ParcelProblem{Waybill: "W1", Reason: "damaged", Text: "压坏"})
	deadAsOlderHub(t, e.st, problem, `op kind "parcel.problem" unknown`)
	_, err = e.m.Apply(ctx, "ST-A", batch("ST-A", inc, inbound("ST-A", inc, 3, "W3")))
	require.NoError(t, err)
	e.flush(t)
	st, err := e.st.Stations(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 1, st[0].DeadLetters)

	res, err := e.m.Retry(ctx, "ST-A", inc, 2, "user:wang", "hub upgraded")
	require.NoError(t, err)
	assert.Equal(t, merge.RetryResult{Applied: true}, res)

	p, err := e.st.Parcel(ctx, "W1", "in")
	require.NoError(t, err)
	assert.Equal(t, merge.StatusProblem, p.Status)
	d, err := e.st.DeadLetterOf(ctx, "ST-A", inc, 2)
	require.NoError(t, err)
	assert.Equal(t, store.DeadApplied, d.State)
	assert.Equal(t, "user:wang", d.HandledBy)
	assert.Equal(t, "hub upgraded", d.Note)
	assert.Equal(t, 1, d.Attempts)
	// The op is applied at the end of the hub's order of receipt, its
	// identity and content as received.
	assert.Equal(t, 1, e.count(t, "SELECT count(*) FROM ops o JOIN cursors c USING (stream) WHERE c.node = 'ST-A' AND o.seq = 2 AND o.applied = 1 AND o.hash = ? AND o.hub_seq = (SELECT max(hub_seq) FROM ops)", problem.Hash))
	assert.Equal(t, 1, e.count(t, "SELECT count(*) FROM timeline WHERE waybill = 'W1' AND kind = 'parcel.problem' AND seq = 2"))
	st, err = e.st.Stations(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 0, st[0].DeadLetters, "only open dead letters count")

	_, err = e.m.Retry(ctx, "ST-A", inc, 2, "user:wang", "")
	assert.ErrorIs(t, err, store.ErrResolved)
	_, err = e.st.DiscardDeadLetter(ctx, "ST-A", inc, 2, "user:wang", "no")
	assert.ErrorIs(t, err, store.ErrResolved)

	// Still append-only otherwise: an applied op cannot change.
	err = e.st.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec("UPDATE ops SET payload = x'00' WHERE seq = 2")
		return err
	})
	assert.ErrorContains(t, err, "append-only")

	// A restarted hub does not project it again.
	n := e.count(t, "SELECT count(*) FROM facts")
	e.close()
	e = openEnv(t, e.dir, merge.Options{})
	assert.Equal(t, n, e.count(t, "SELECT count(*) FROM facts"))
}

func TestDiscardAndAcknowledge(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "ST-A")
	first := inbound("ST-A", inc, 1, "W1")
	_, err := e.m.Apply(ctx, "ST-A", batch("ST-A", inc, first, op("ST-A", inc, 2, "parcel.teleported", map[string]string{"waybill": "W1"})))
	require.NoError(t, err)
	other := inbound("ST-A", inc, 1, "W9") // the same identity, other content
	_, err = e.m.Apply(ctx, "ST-A", batch("ST-A", inc, other))
	require.NoError(t, err)

	d, err := e.st.DiscardDeadLetter(ctx, "ST-A", inc, 2, "user:wang", "a test build's kind")
	require.NoError(t, err)
	assert.Equal(t, store.DeadDiscarded, d.State)
	assert.Equal(t, "user:wang", d.HandledBy)
	_, err = e.m.Retry(ctx, "ST-A", inc, 2, "user:wang", "")
	assert.ErrorIs(t, err, store.ErrResolved)
	_, err = e.st.DiscardDeadLetter(ctx, "ST-A", inc, 7, "user:wang", "x")
	assert.ErrorIs(t, err, store.ErrNotFound)
	all, err := e.st.DeadLettersOf(ctx, "ST-A", false)
	require.NoError(t, err)
	assert.Len(t, all, 1, "kept, not deleted")
	open, err := e.st.DeadLettersOf(ctx, "ST-A", true)
	require.NoError(t, err)
	assert.Empty(t, open)

	qs, err := e.st.QuarantineOf(ctx, "ST-A", true)
	require.NoError(t, err)
	require.Len(t, qs, 1)
	q, err := e.st.AckQuarantined(ctx, qs[0].ID, "user:wang", "station restored from an old backup")
	require.NoError(t, err)
	assert.Equal(t, "user:wang", q.AckedBy)
	assert.False(t, q.Acked.IsZero())
	_, err = e.st.AckQuarantined(ctx, qs[0].ID, "user:li", "again")
	assert.ErrorIs(t, err, store.ErrResolved)
	_, err = e.st.AckQuarantined(ctx, 99, "user:li", "x")
	assert.ErrorIs(t, err, store.ErrNotFound)
	st, err := e.st.Stations(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 0, st[0].Quarantined)
	assert.EqualValues(t, 0, st[0].DeadLetters)
}

func TestLost(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "ST-A", "ST-B")
	_, err := e.m.Apply(ctx, "ST-A", batch("ST-A", inc, inbound("ST-A", inc, 1, "W1"), inbound("ST-A", inc, 2, "W2"), pickup("ST-A", inc, 3, "W2")))
	require.NoError(t, err)
	lost := func(wb string) {
		t.Helper()
		require.NoError(t, e.m.Record(ctx, []merge.Fact{{Kind: syncproto.KindParcelLost, Actor: "user:wang",
			Payload: syncproto.ParcelLost{Waybill: wb, Note: "not on the shelf"}}}))
		e.flush(t)
	}
	lost("W1")
	p, err := e.st.Parcel(ctx, "W1", "in")
	require.NoError(t, err)
	assert.Equal(t, merge.StatusLost, p.Status)
	assert.Equal(t, "ST-A", p.Node, "it stays with the node that last held it")
	assert.Equal(t, 0, e.count(t, "SELECT count(*) FROM notices WHERE waybill = 'W1' AND state = 'pending'"))
	assert.Equal(t, 1, e.count(t, "SELECT count(*) FROM timeline WHERE waybill = 'W1' AND kind = 'parcel.lost' AND detail = 'declared lost by user:wang: not on the shelf'"))
	assert.Equal(t, 0, e.count(t, "SELECT count(*) FROM exceptions"))

	// Found at another station: the scan-in moves it on, no exception.
	_, err = e.m.Apply(ctx, "ST-B", batch("ST-B", inc, inbound("ST-B", inc, 1, "W1")))
	require.NoError(t, err)
	e.flush(t)
	p, err = e.st.Parcel(ctx, "W1", "in")
	require.NoError(t, err)
	assert.Equal(t, merge.StatusAtStation, p.Status)
	assert.Equal(t, "ST-B", p.Node)
	assert.Equal(t, 0, e.count(t, "SELECT count(*) FROM exceptions"))

	// Picked up meanwhile: the pickup stands, an exception says so.
	lost("W2")
	p, err = e.st.Parcel(ctx, "W2", "in")
	require.NoError(t, err)
	assert.Equal(t, merge.StatusPickedUp, p.Status)
	assert.Equal(t, 1, e.count(t, "SELECT count(*) FROM exceptions WHERE waybill = 'W2' AND reason = 'declared lost after picked_up'"))

	// A parcel the hub does not know.
	lost("W404")
	assert.Equal(t, 1, e.count(t, "SELECT count(*) FROM exceptions WHERE waybill = 'W404'"))

	// A node may not send it.
	res, err := e.m.Apply(ctx, "ST-B", batch("ST-B", inc, op("ST-B", inc, 2, syncproto.KindParcelLost, syncproto.ParcelLost{Waybill: "W1", Note: "x"})))
	require.NoError(t, err)
	assert.Equal(t, 1, res.DeadLettered)
	// Nor the hub without a note.
	err = e.m.Record(ctx, []merge.Fact{{Kind: syncproto.KindParcelLost, Actor: "user:wang", Payload: syncproto.ParcelLost{Waybill: "W1"}}})
	assert.ErrorContains(t, err, "no note")
}
