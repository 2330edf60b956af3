package merge_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/hub/merge"
	"cunyou/hub/store"
	"cunyou/syncproto"
)

const inc = "inc0001"

func TestApply(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "ST-A", "ST-B")

	// New ops.
	res, err := e.m.Apply(ctx, "ST-A", batch("ST-A", inc, inbound("ST-A", inc, 1, "W1"), inbound("ST-A", inc, 2, "W2"), inbound("ST-A", inc, 3, "W3")))
	require.NoError(t, err)
	assert.Equal(t, syncproto.OpsResult{Incarnation: inc, AckedSeq: 3, Applied: 3}, res)
	assert.EqualValues(t, 3, e.cursor(t, "ST-A", inc))

	// The same batch again: duplicates, nothing applied twice.
	res, err = e.m.Apply(ctx, "ST-A", batch("ST-A", inc, inbound("ST-A", inc, 1, "W1"), inbound("ST-A", inc, 2, "W2"), inbound("ST-A", inc, 3, "W3")))
	require.NoError(t, err)
	assert.Equal(t, syncproto.OpsResult{Incarnation: inc, AckedSeq: 3, Duplicates: 3}, res)
	assert.Equal(t, 3, e.count(t, "SELECT count(*) FROM ops"))
	assert.Equal(t, 3, e.count(t, "SELECT count(*) FROM facts"))

	// Seq 2 again with other content, then seq 4: quarantined, never
	// applied; the new op behind it is.
	other := inbound("ST-A", inc, 2, "W-OTHER")
	res, err = e.m.Apply(ctx, "ST-A", batch("ST-A", inc, other, inbound("ST-A", inc, 4, "W4")))
	require.NoError(t, err)
	assert.Equal(t, syncproto.OpsResult{Incarnation: inc, AckedSeq: 4, Applied: 1, Quarantined: 1}, res)
	q, err := e.st.Quarantine(ctx, "ST-A")
	require.NoError(t, err)
	require.Len(t, q, 1)
	assert.Equal(t, other.Hash, q[0].HashNew)
	assert.Equal(t, inbound("ST-A", inc, 2, "W2").Hash, q[0].HashExisting)
	e.flush(t)
	_, err = e.st.Parcel(ctx, "W-OTHER", "in")
	assert.ErrorIs(t, err, store.ErrNotFound)

	// A batch that skips seqs: refused with the cursor, nothing stored.
	_, err = e.m.Apply(ctx, "ST-A", batch("ST-A", inc, inbound("ST-A", inc, 6, "W6")))
	var gap *merge.GapError
	require.ErrorAs(t, err, &gap)
	assert.EqualValues(t, 4, gap.Cursor)
	assert.Equal(t, syncproto.CodeGap, syncproto.CodeOf(err))
	assert.Equal(t, 4, e.count(t, "SELECT count(*) FROM ops"))

	// Another node's batch, or a batch under another node's name.
	_, err = e.m.Apply(ctx, "ST-B", batch("ST-A", inc, inbound("ST-A", inc, 5, "W5")))
	assert.Equal(t, syncproto.CodeWrongNode, syncproto.CodeOf(err))
	_, err = e.m.Apply(ctx, "ST-A", batch("ST-A", inc, inbound("ST-B", inc, 5, "W5")))
	assert.Equal(t, syncproto.CodeWrongNode, syncproto.CodeOf(err))
	// A node the hub does not know.
	_, err = e.m.Apply(ctx, "ST-X", batch("ST-X", inc, inbound("ST-X", inc, 1, "W5")))
	assert.Equal(t, syncproto.CodeUnauthorized, syncproto.CodeOf(err))
	// Malformed batches.
	for name, b := range map[string]syncproto.Batch{
		"kind":        {Header: syncproto.BatchHeader{Kind: syncproto.BatchChanges, Node: "ST-A", Incarnation: inc}},
		"incarnation": batch("ST-A", "", inbound("ST-A", "", 5, "W5")),
		"mixed inc":   batch("ST-A", inc, inbound("ST-A", "other", 5, "W5")),
		"descending":  batch("ST-A", inc, inbound("ST-A", inc, 6, "W6"), inbound("ST-A", inc, 5, "W5")),
		"seq 0":       batch("ST-A", inc, inbound("ST-A", inc, 0, "W5")),
	} {
		_, err := e.m.Apply(ctx, "ST-A", b)
		assert.Equal(t, syncproto.CodeBadBatch, syncproto.CodeOf(err), name)
	}
	assert.EqualValues(t, 4, e.cursor(t, "ST-A", inc))
	// An empty batch tells the cursor.
	res, err = e.m.Apply(ctx, "ST-A", batch("ST-A", inc))
	require.NoError(t, err)
	assert.EqualValues(t, 4, res.AckedSeq)

	st := e.m.Stats()
	assert.EqualValues(t, 4, st.Applied)
	assert.EqualValues(t, 3, st.Duplicates)
	assert.EqualValues(t, 1, st.Quarantined)
}

func TestDeadLettersDoNotBlock(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "ST-A")
	unknown := op("ST-A", inc, 3, "parcel.teleported", map[string]string{"waybill": "W3"})
	future := inbound("ST-A", inc, 4, "W4")
	future.V = syncproto.EnvelopeVersion + 1
	future.Hash = future.ComputeHash()
	tampered := inbound("ST-A", inc, 5, "W5")
	tampered.Payload = []byte(`{"waybill":"W5X","code":"1-1-1"}`)
	ops := []syncproto.Op{
		inbound("ST-A", inc, 1, "W1"),
		op("ST-A", inc, 2, syncproto.KindParcelInbound, map[string]any{"waybill": "", "code": "1-1-1"}), // breaks a rule
		unknown,
		future,
		tampered,
		op("ST-A", inc, 6, syncproto.KindParcelProblem, map[string]any{"waybill": "W1", "reason": "eaten"}),
		op("ST-A", inc, 7, syncproto.KindParcelsPickedUp, `not an object`),
		inbound("ST-A", inc, 8, "W8"),
	}
	res, err := e.m.Apply(ctx, "ST-A", batch("ST-A", inc, ops...))
	require.NoError(t, err)
	assert.Equal(t, syncproto.OpsResult{Incarnation: inc, AckedSeq: 8, Applied: 2, DeadLettered: 6}, res)
	assert.EqualValues(t, 8, e.cursor(t, "ST-A", inc))

	dl, err := e.st.DeadLetters(ctx, "ST-A")
	require.NoError(t, err)
	require.Len(t, dl, 6)
	codes := map[uint64]syncproto.Code{}
	for _, d := range dl {
		codes[d.Seq] = d.Code
		assert.NotEmpty(t, d.Reason)
	}
	assert.Equal(t, map[uint64]syncproto.Code{
		2: syncproto.CodeBadPayload, 3: syncproto.CodeUnknownKind, 4: syncproto.CodeUnsupportedVersion,
		5: syncproto.CodeHashMismatch, 6: syncproto.CodeBadPayload, 7: syncproto.CodeBadPayload,
	}, codes)
	e.flush(t)
	p, err := e.st.Parcel(ctx, "W8", "in")
	require.NoError(t, err)
	assert.Equal(t, merge.StatusAtStation, p.Status)

	// Sent again, the dead letters are duplicates, not new dead letters.
	res, err = e.m.Apply(ctx, "ST-A", batch("ST-A", inc, ops...))
	require.NoError(t, err)
	assert.Equal(t, syncproto.OpsResult{Incarnation: inc, AckedSeq: 8, Duplicates: 8}, res)
}

func TestHoleInBatch(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "ST-A")
	res, err := e.m.Apply(ctx, "ST-A", batch("ST-A", inc, inbound("ST-A", inc, 1, "W1"), inbound("ST-A", inc, 2, "W2"), inbound("ST-A", inc, 4, "W4")))
	require.NoError(t, err)
	assert.EqualValues(t, 2, res.AckedSeq, "the cursor stops at the hole")
	assert.Equal(t, 3, res.Applied)
	// Filling the hole extends the cursor over the op held beyond it.
	res, err = e.m.Apply(ctx, "ST-A", batch("ST-A", inc, inbound("ST-A", inc, 3, "W3")))
	require.NoError(t, err)
	assert.Equal(t, syncproto.OpsResult{Incarnation: inc, AckedSeq: 4, Applied: 1}, res)
}

func TestCursorOnlyAfterCommit(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e := openEnv(t, dir, merge.Options{})
	e.addNodes(t, "ST-A")
	_, err := e.m.Apply(ctx, "ST-A", batch("ST-A", inc, inbound("ST-A", inc, 1, "W1"), inbound("ST-A", inc, 2, "W2")))
	require.NoError(t, err)

	// The transaction fails at its very end: no result, nothing kept.
	boom := errors.New("disk on fire")
	merge.SetBeforeCommit(e.m, func() error { return boom })
	res, err := e.m.Apply(ctx, "ST-A", batch("ST-A", inc, inbound("ST-A", inc, 3, "W3")))
	require.ErrorIs(t, err, boom)
	assert.Zero(t, res)
	assert.EqualValues(t, 2, e.cursor(t, "ST-A", inc))
	assert.Equal(t, 2, e.count(t, "SELECT count(*) FROM ops"))
	e.flush(t)
	_, err = e.st.Parcel(ctx, "W3", "in")
	assert.ErrorIs(t, err, store.ErrNotFound)
	merge.SetBeforeCommit(e.m, nil)

	// The database goes away under the merger.
	require.NoError(t, e.st.Close())
	_, err = e.m.Apply(ctx, "ST-A", batch("ST-A", inc, inbound("ST-A", inc, 3, "W3")))
	require.Error(t, err)
	e.m.Close()

	e2 := openEnv(t, dir, merge.Options{})
	assert.EqualValues(t, 2, e2.cursor(t, "ST-A", inc))
	res, err = e2.m.Apply(ctx, "ST-A", batch("ST-A", inc, inbound("ST-A", inc, 3, "W3")))
	require.NoError(t, err)
	assert.EqualValues(t, 3, res.AckedSeq)
}

func TestClockSkew(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "ST-A")
	ahead := inbound("ST-A", inc, 1, "W1")
	ahead.HLC = syncproto.MakeTimestamp(t0.Add(2*time.Hour).UnixMilli(), 0)
	ahead.Seal()
	normal := inbound("ST-A", inc, 2, "W2")
	res, err := e.m.Apply(ctx, "ST-A", batch("ST-A", inc, ahead, normal))
	require.NoError(t, err)
	assert.Equal(t, 2, res.Applied, "an op from a clock ahead is applied")
	assert.EqualValues(t, 1, e.m.Stats().Skewed)

	n, err := e.st.Node(ctx, "ST-A")
	require.NoError(t, err)
	assert.EqualValues(t, 1, n.FutureOps)
	assert.LessOrEqual(t, n.LastOpHLC.Millis(), t0.UnixMilli(), "the newest op's time is capped at the hub's")
	// The hub's clock did not follow the node into the future.
	assert.Less(t, e.m.Clock().Last().Millis(), t0.Add(time.Minute).UnixMilli())
	hwm, err := e.st.HLC(ctx)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, hwm, normal.HLC, "the clock's high-water mark is persisted")
	assert.Equal(t, e.m.Clock().Last(), hwm)
}

func TestConcurrentNodes(t *testing.T) {
	ctx := context.Background()
	var nodes []string
	for i := range 40 {
		nodes = append(nodes, fmt.Sprintf("ST-%02d", i))
	}
	e := newEnv(t, nodes...)
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range 5 {
				var ops []syncproto.Op
				for s := range 10 {
					seq := uint64(b*10 + s + 1)
					ops = append(ops, inbound(n, inc, seq, fmt.Sprintf("W%02d-%03d", i, seq)))
				}
				if i%4 == 0 && b == 2 {
					// A gap in the middle of everyone's traffic.
					_, err := e.m.Apply(ctx, n, batch(n, inc, ops[5:]...))
					assert.Equal(t, syncproto.CodeGap, syncproto.CodeOf(err))
				}
				res, err := e.m.Apply(ctx, n, batch(n, inc, ops...))
				if assert.NoError(t, err) {
					assert.EqualValues(t, (b+1)*10, res.AckedSeq)
				}
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, 40*50, e.count(t, "SELECT count(*) FROM parcels"))
	assert.EqualValues(t, 40*50, e.m.Stats().Applied)
}

func TestClose(t *testing.T) {
	e := newEnv(t, "ST-A")
	require.NoError(t, e.m.Close())
	_, err := e.m.Apply(context.Background(), "ST-A", batch("ST-A", inc, inbound("ST-A", inc, 1, "W1")))
	assert.ErrorIs(t, err, merge.ErrClosed)
	require.NoError(t, e.m.Close(), "closing twice is harmless")
}

func TestGroupCommitIsolatesAFailingBatch(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "ST-A", "ST-B", "ST-C")
	// A database error half-way through one batch.
	require.NoError(t, e.st.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`CREATE TRIGGER boom BEFORE INSERT ON ops WHEN CAST(NEW.payload AS TEXT) LIKE '%BOOM%' BEGIN SELECT RAISE(ABORT, 'boom'); END`)
		return err
	}))
	// Hold the writer in a commit while the next batches queue up.
	hold, held := make(chan struct{}), make(chan struct{})
	var once sync.Once
	merge.SetBeforeCommit(e.m, func() error {
		once.Do(func() { close(held); <-hold })
		return nil
	})
	first := make(chan error, 1)
	go func() {
		_, err := e.m.Apply(ctx, "ST-C", batch("ST-C", inc, inbound("ST-C", inc, 1, "C1")))
		first <- err
	}()
	<-held
	type result struct {
		res syncproto.OpsResult
		err error
	}
	bad, good := make(chan result, 1), make(chan result, 1)
	go func() {
		res, err := e.m.Apply(ctx, "ST-A", batch("ST-A", inc, inbound("ST-A", inc, 1, "A1"), inbound("ST-A", inc, 2, "BOOM")))
		bad <- result{res, err}
	}()
	go func() {
		res, err := e.m.Apply(ctx, "ST-B", batch("ST-B", inc, inbound("ST-B", inc, 1, "B1")))
		good <- result{res, err}
	}()
	require.Eventually(t, func() bool { return merge.Queued(e.m) == 2 }, 5*time.Second, time.Millisecond)
	close(hold)
	require.NoError(t, <-first)
	b, g := <-bad, <-good
	assert.ErrorContains(t, b.err, "boom")
	require.NoError(t, g.err)
	assert.EqualValues(t, 1, g.res.AckedSeq)
	assert.EqualValues(t, 0, e.cursor(t, "ST-A", inc), "nothing of the failed batch")
	assert.Equal(t, 0, e.count(t, "SELECT count(*) FROM parcels WHERE waybill = 'A1'"))
	assert.EqualValues(t, 1, e.cursor(t, "ST-B", inc))
}

// A projection that fails on one op (here a database rule) neither fails
// the upload nor holds up the ops behind it: the op is kept as an
// exception and the projection goes on.
func TestProjectionSetsAsideAnOpItCannotApply(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "ST-A")
	require.NoError(t, e.st.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`CREATE TRIGGER boom BEFORE INSERT ON parcels WHEN NEW.waybill = 'BOOM' BEGIN SELECT RAISE(ABORT, 'boom'); END`)
		return err
	}))
	res := e.apply(t, "ST-A", inbound("ST-A", inc, 1, "A1"), inbound("ST-A", inc, 2, "BOOM"), inbound("ST-A", inc, 3, "A3"))
	assert.EqualValues(t, 3, res.AckedSeq, "the upload is acknowledged: the ops are durable")
	e.apply(t, "ST-A", pickup("ST-A", inc, 4, "A1"))
	assert.Equal(t, 2, e.count(t, "SELECT count(*) FROM parcels WHERE waybill IN ('A1', 'A3')"))
	st, _ := e.parcel(t, "A1", "in")
	assert.Equal(t, merge.StatusPickedUp, st, "ops behind the failing one are projected")
	assert.Equal(t, 1, e.count(t, "SELECT count(*) FROM exceptions WHERE reason LIKE 'cannot project parcel.inbound:%boom%' AND ops = ?",
		"ST-A/"+inc+"/2"))
	assert.Zero(t, e.m.Stats().ProjectionLag)
}

// The projector gets ops from memory, from the database when the
// hand-over overflowed, and after a restart from where it stopped: in
// every case each op is projected exactly once.
func TestProjectionFromMemoryDatabaseAndRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e := openEnv(t, dir, merge.Options{})
	e.addNodes(t, "ST-A")
	merge.SetMemCap(e.m, 10)
	seq := uint64(0)
	next := func(n int) []syncproto.Op {
		var ops []syncproto.Op
		for range n {
			seq++
			ops = append(ops, inbound("ST-A", inc, seq, fmt.Sprintf("W%d", seq)))
		}
		return ops
	}
	merge.PauseProjector(e.m, true)
	e.apply(t, "ST-A", next(8)...)
	e.apply(t, "ST-A", next(8)...) // past the hand-over's 10: the projector reads the database
	merge.PauseProjector(e.m, false)
	assert.Equal(t, 16, e.count(t, "SELECT count(*) FROM parcels"))
	e.apply(t, "ST-A", next(4)...) // caught up: memory again
	assert.Equal(t, 20, e.count(t, "SELECT count(*) FROM parcels"))

	// Stopped before projecting: the next merger projects what is left.
	merge.PauseProjector(e.m, true)
	e.apply(t, "ST-A", next(5)...)
	assert.EqualValues(t, 5, e.m.Stats().ProjectionLag)
	require.NoError(t, e.m.Close())
	m, err := merge.New(ctx, e.st, merge.Options{})
	require.NoError(t, err)
	e.m = m
	assert.Equal(t, 25, e.count(t, "SELECT count(*) FROM parcels"))
	assert.Equal(t, 25, e.count(t, "SELECT count(*) FROM facts"), "every op once in the timeline")
	assert.Equal(t, 25, e.count(t, "SELECT projected_seq FROM hub"))
}

// Two processes on one database (the server and a command beside it):
// each projects what the other merged, and neither stalls when the other
// moved the projection.
func TestTwoMergersShareTheProjection(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "ST-A")
	other, err := merge.New(ctx, e.st, merge.Options{})
	require.NoError(t, err)
	defer other.Close()
	require.NoError(t, other.Record(ctx, []merge.Fact{{Kind: syncproto.KindParcelManifested, Actor: "file:x",
		Payload: syncproto.ParcelManifested{Waybill: "M1", Carrier: "zto", ReceiverPhone: "13912345678", Source: "file:x",
			Reason: syncproto.DestUnresolved}}}))
	require.NoError(t, other.Flush(ctx))
	e.apply(t, "ST-A", inbound("ST-A", inc, 1, "M1"))
	assert.Eventually(t, func() bool {
		p, err := e.st.Parcel(ctx, "M1", "in")
		return err == nil && p.Status == merge.StatusAtStation
	}, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, other.Record(ctx, []merge.Fact{{Kind: syncproto.KindCarrierEvent, Actor: "api:zto",
		Payload: syncproto.CarrierEvent{Waybill: "M1", Carrier: "zto", Code: "delivered_to_county", AtMs: 1}}}))
	require.NoError(t, other.Flush(ctx))
	e.apply(t, "ST-A", pickup("ST-A", inc, 2, "M1"))
	assert.Eventually(t, func() bool {
		p, err := e.st.Parcel(ctx, "M1", "in")
		return err == nil && p.Status == merge.StatusPickedUp
	}, 10*time.Second, 10*time.Millisecond)
	assert.Equal(t, 4, e.count(t, "SELECT count(*) FROM facts WHERE waybill = 'M1'"), "every fact once")
}
