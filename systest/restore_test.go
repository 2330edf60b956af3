package systest

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	edgestore "cunyou/edge/store"
	"cunyou/edge/syncer"
	hubstore "cunyou/hub/store"
	"cunyou/syncproto"
	"cunyou/systest/chaos"
)

// manualSync is a sync loop the test drives with SyncOnce.
var manualSync = syncer.Options{Interval: time.Hour, CallTimeout: 10 * time.Second, BackoffMin: time.Millisecond, BackoffMax: 10 * time.Millisecond}

// backupHub writes a consistent copy of the running hub's database, as an
// operator's nightly backup would (VACUUM INTO on a connection of its own).
func backupHub(t *testing.T, h *hubProc) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "hub-backup.db")
	db, err := sql.Open("sqlite", "file:"+filepath.Join(h.dir, hubstore.DBName)+"?_pragma=busy_timeout(5000)")
	require.NoError(t, err)
	defer db.Close()
	_, err = db.Exec("VACUUM INTO ?", dst)
	require.NoError(t, err)
	return dst
}

// restoreHub stops the hub, puts the backup in place of its database and
// starts it again; p then leads to the restarted hub.
func restoreHub(t *testing.T, h *hubProc, p *chaos.Proxy, backup string) {
	t.Helper()
	h.stop()
	dbPath := filepath.Join(h.dir, hubstore.DBName)
	for _, sfx := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(dbPath + sfx); err != nil && !os.IsNotExist(err) {
			require.NoError(t, err)
		}
	}
	copyFile(t, backup, dbPath)
	require.NoError(t, h.start())
	require.NoError(t, p.SetUpstream(h.URL()))
}

func copyFile(t testing.TB, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	require.NoError(t, err)
	defer in.Close()
	out, err := os.Create(dst)
	require.NoError(t, err)
	_, err = io.Copy(out, in)
	require.NoError(t, err)
	require.NoError(t, out.Close())
}

func hubCursors(t *testing.T, h *hubProc, node string) map[string]uint64 {
	t.Helper()
	var c map[string]uint64
	require.NoError(t, h.with(func(st *hubstore.Store) error {
		var err error
		c, err = st.Cursors(context.Background(), node)
		return err
	}))
	return c
}

func readHubState(t *testing.T, h *hubProc) hubState {
	t.Helper()
	h.flush(t)
	var hs hubState
	require.NoError(t, h.with(func(st *hubstore.Store) error {
		var err error
		hs, err = readHub(context.Background(), st.DB())
		return err
	}))
	return hs
}

func doOps(t *testing.T, e *edgeProc, o *operator, n int) {
	t.Helper()
	_, stn, _ := e.parts()
	for range n {
		require.NoError(t, o.act(context.Background(), stn))
	}
}

func syncOnce(t *testing.T, e *edgeProc) {
	t.Helper()
	_, _, sy := e.parts()
	require.NoError(t, sy.SyncOnce(context.Background()))
}

// TestHubRestoredFromOlderBackupIsRefilled: the hub's disk dies and its
// database comes back from last night's backup, without the ops it
// acknowledged since. The station keeps acknowledged ops for the safety
// window (DESIGN §4 rule 4): at its next hello it learns the hub's older
// cursor and sends them again; the hub ends with every op exactly once and
// its projection as before. Downstream, the station's cursor follows the
// hub's back and the changes the hub queues afterwards arrive.
func TestHubRestoredFromOlderBackupIsRefilled(t *testing.T) {
	ctx := context.Background()
	h := newHub(t, discardLogger())
	p, err := chaos.New(chaos.Config{Upstream: h.URL(), Seed: 7}) // a healthy link that follows the hub to its new port
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	e := newEdge(t, h, "ST-R01", p.URL(), manualSync, false)
	o := newOperator(7, 0)
	_, stn, _ := e.parts()
	require.NoError(t, o.setup(ctx, stn))
	doOps(t, e, o, 40)
	want := map[string]syncproto.ManifestEntry{}
	queue := func(n int) uint64 {
		t.Helper()
		var last uint64
		for range n {
			m := manifestEntry(o.rng, fmt.Sprintf("YT%013d", o.rng.Int64N(1e13)))
			seqs, err := h.queueChanges(e.node, syncproto.ChangeManifest, m)
			require.NoError(t, err)
			want[m.Waybill], last = m, seqs[0]
		}
		return last
	}
	queue(3)
	syncOnce(t, e)

	backup := backupHub(t, h)
	st, _, _ := e.parts()
	inc := st.Identity().Incarnation
	before, err := st.Outbox(ctx)
	require.NoError(t, err)

	doOps(t, e, o, 60)
	lost := queue(2)
	syncOnce(t, e)
	after, err := st.Outbox(ctx)
	require.NoError(t, err)
	require.Equal(t, after.LastSeq, hubCursors(t, h, e.node)[inc], "hub before the loss")
	hubBefore := readHubState(t, h)

	restoreHub(t, h, p, backup)
	require.Equal(t, before.LastSeq, hubCursors(t, h, e.node)[inc], "the backup's cursor")

	syncOnce(t, e)
	ops, err := edgeOps(ctx, st.DB())
	require.NoError(t, err)
	hs := readHubState(t, h)
	for _, pr := range exactlyOnce(hs, ops) {
		t.Error(pr)
	}
	parcels, err := edgeParcels(ctx, st.DB())
	require.NoError(t, err)
	for _, pr := range sameParcels(hs, e.node, parcels) {
		t.Error(pr)
	}
	if !reflect.DeepEqual(hs.parcels, hubBefore.parcels) {
		t.Errorf("the refilled hub's parcels differ from before the loss")
	}
	ss, err := st.SyncState(ctx)
	require.NoError(t, err)
	assert.Less(t, ss.DownCursor, lost, "down cursor follows the restored hub back")

	// Changes the restored hub queues now reach the station.
	last := queue(2)
	syncOnce(t, e)
	ss, err = st.SyncState(ctx)
	require.NoError(t, err)
	assert.Equal(t, last, ss.DownCursor, "down cursor")
	got, err := edgeManifest(ctx, st.DB())
	require.NoError(t, err)
	assert.Equal(t, want, got, "manifest: every change applied, the lost ones included")

	s, err := syncer.StoredStatus(ctx, st)
	require.NoError(t, err)
	assert.Zero(t, s.Backlog)
	assert.NoError(t, st.Check(ctx))
	t.Logf("hub restored to seq %d of %d; refilled %d ops", before.LastSeq, after.LastSeq, after.LastSeq-before.LastSeq)
}

// TestHubRestoredChangesQueuedBeforeReconnect: as above, but the restored
// hub queues new changes for the station before the station's next hello.
// The station must still receive every one of them.
func TestHubRestoredChangesQueuedBeforeReconnect(t *testing.T) {
	ctx := context.Background()
	h := newHub(t, discardLogger())
	p, err := chaos.New(chaos.Config{Upstream: h.URL(), Seed: 8})
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	e := newEdge(t, h, "ST-R02", p.URL(), manualSync, false)
	o := newOperator(8, 0)
	_, stn, _ := e.parts()
	require.NoError(t, o.setup(ctx, stn))
	doOps(t, e, o, 10)
	want := map[string]syncproto.ManifestEntry{}
	queue := func(n int) uint64 {
		t.Helper()
		var last uint64
		for range n {
			m := manifestEntry(o.rng, fmt.Sprintf("YT%013d", o.rng.Int64N(1e13)))
			seqs, err := h.queueChanges(e.node, syncproto.ChangeManifest, m)
			require.NoError(t, err)
			want[m.Waybill], last = m, seqs[0]
		}
		return last
	}
	queue(3)
	syncOnce(t, e)
	backup := backupHub(t, h)
	queue(2) // applied at the station, then lost with the hub's disk
	syncOnce(t, e)
	st, _, _ := e.parts()
	ss, err := st.SyncState(ctx)
	require.NoError(t, err)
	cursor := ss.DownCursor

	restoreHub(t, h, p, backup)
	last := queue(3) // the county queues more before the station calls
	syncOnce(t, e)
	ss, err = st.SyncState(ctx)
	require.NoError(t, err)
	got, err := edgeManifest(ctx, st.DB())
	require.NoError(t, err)
	var missing []string
	for wb := range want {
		if _, ok := got[wb]; !ok {
			missing = append(missing, wb)
		}
	}
	assert.Empty(t, missing, "manifest entries queued by the restored hub never applied (station cursor was %d, hub's newest change %d)", cursor, last)
	assert.Equal(t, last, ss.DownCursor, "down cursor")
}

// TestEdgeRestoredFromBackupNewIncarnation: the station's PC is restored
// from its own backup after ops were synced past it. The restored database
// starts a new incarnation, so the seqs it reuses are new identities
// (DESIGN §4 rule 2). The ops of the old incarnation the backup lacks are
// at the hub already and stay; the new incarnation's ops follow; every op
// of both is at the hub exactly once, and the hub's parcels agree with
// what the station did, before and after the restore.
func TestEdgeRestoredFromBackupNewIncarnation(t *testing.T) {
	ctx := context.Background()
	h := newHub(t, discardLogger())
	e := newEdge(t, h, "ST-R03", h.URL(), manualSync, false)
	before := newOperator(9, 0) // the work the backup holds, and after the restore
	st, stn, _ := e.parts()
	require.NoError(t, before.setup(ctx, stn))
	doOps(t, e, before, 30)
	syncOnce(t, e)

	backup := filepath.Join(t.TempDir(), "edge-backup.db")
	require.NoError(t, st.Backup(ctx, backup))
	oldInc := st.Identity().Incarnation

	// Work after the backup, on parcels of their own: lost with the PC,
	// but synced.
	lost := newOperator(9, 1)
	doOps(t, e, lost, 25)
	syncOnce(t, e)
	synced, err := st.Outbox(ctx)
	require.NoError(t, err)

	require.NoError(t, e.halt())
	rst, err := edgestore.Restore(ctx, backup, e.path, edgestore.Options{Synchronous: "NORMAL"})
	require.NoError(t, err)
	replaced := rst.ReplacedPath
	newInc := rst.Identity().Incarnation
	require.NoError(t, rst.Close())
	require.NotEqual(t, oldInc, newInc, "a restore starts a new incarnation")
	require.NoError(t, e.start(false))

	// The operator goes on from the backup's state, and scans in again
	// the parcels still on the shelves that the backup does not know.
	st, stn, _ = e.parts()
	doOps(t, e, before, 30)
	for _, wb := range lost.onShelf[:min(3, len(lost.onShelf))] {
		require.NoError(t, before.rescan(ctx, stn, wb))
	}
	syncOnce(t, e)

	issued, err := edgeOps(ctx, st.DB())
	require.NoError(t, err)
	old := openRO(t, replaced)
	oldOps, err := edgeOps(ctx, old)
	require.NoError(t, err)
	for _, pr := range issued.add(oldOps) {
		t.Error(pr)
	}
	hs := readHubState(t, h)
	for _, pr := range exactlyOnce(hs, issued) {
		t.Error(pr)
	}
	c := hubCursors(t, h, e.node)
	assert.Equal(t, synced.LastSeq, c[oldInc], "old incarnation: every op synced before the restore")
	ob, err := st.Outbox(ctx)
	require.NoError(t, err)
	assert.Equal(t, ob.LastSeq, c[newInc], "new incarnation")

	// Parcels: what the restored station knows, and for parcels only the
	// replaced database knew, what it last said.
	want, err := edgeParcels(ctx, old)
	require.NoError(t, err)
	now, err := edgeParcels(ctx, st.DB())
	require.NoError(t, err)
	for k, s := range now {
		want[k] = s
	}
	for _, pr := range sameParcels(hs, e.node, want) {
		t.Error(pr)
	}

	s, err := syncer.StoredStatus(ctx, st)
	require.NoError(t, err)
	assert.Zero(t, s.Backlog, "backlog")
	for _, in := range s.Incarnations {
		assert.GreaterOrEqual(t, in.Acked, in.LastSeq, "incarnation %s acked", in.ID)
	}
	assert.NoError(t, st.Check(ctx))
	assert.NoError(t, stn.VerifyDerived(ctx))
	t.Logf("old incarnation %s: %d ops (backup held %d); new %s: %d ops", oldInc, synced.LastSeq,
		synced.LastSeq-uint64(lost.counts["inbound"]+lost.counts["pickup"]+lost.counts["problem"]+lost.counts["return"]), newInc, ob.LastSeq)
}
