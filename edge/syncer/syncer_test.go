package syncer_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/edge/store"
	"cunyou/edge/syncer"
	"cunyou/syncproto"
)

// receiverPhone is personal data that rides in a manifest change: it must
// never reach a log line.
const receiverPhone = "13812345678"

func TestSyncOnceUploadsAndApplies(t *testing.T) {
	e := newEdge(t)
	hub := newFakeHub(t, testNode)
	e.addOps(t, 10)
	hub.addChange(syncproto.ChangeManifest, syncproto.ManifestEntry{Waybill: "SF1234567890123", Carrier: "sf", ReceiverName: "张三", ReceiverPhone: receiverPhone})
	hub.addChange(syncproto.ChangeTariffs, syncproto.Tariffs{Tariffs: []syncproto.Tariff{{Carrier: "sf", Province: "*", FirstGrams: 1000, FirstFen: 1200, StepGrams: 500, StepFen: 300}}})
	hub.addChange(syncproto.ChangeTemplate, syncproto.Template{Key: "arrival", Text: "您的包裹已到{station}"})
	hub.addChange("gizmo.v9", map[string]string{"x": "y"})
	last := hub.addChange(syncproto.ChangeShelves, syncproto.ShelvesSet{Shelves: []syncproto.Shelf{{No: 1, Layers: 2, Capacity: 10}}})

	devices := []syncproto.DeviceHealth{{Name: "labels", Kind: "printer", State: "error", Code: "printer.paper_out"}}
	s, logs := newSyncer(t, e, hub, syncer.Options{Health: func(context.Context) *syncproto.Health {
		return &syncproto.Health{Devices: devices}
	}})
	require.NoError(t, s.SyncOnce(e.ctx))

	requireSameOps(t, hub, e, e.inc())
	first := get(hub, func(h *fakeHub) []syncproto.Hello { return h.hellos })[0]
	require.NotNil(t, first.Health, "the station reports its health at every hello")
	assert.Equal(t, 10, first.Health.Backlog, "the ops waiting, before the upload")
	assert.Equal(t, devices, first.Health.Devices)
	assert.Equal(t, []string{"hello", "upload", "download", "blobs"}, logs.states())
	_, _, m, err := e.stn.DetectCarrier(e.ctx, "SF1234567890123")
	require.NoError(t, err)
	require.NotNil(t, m, "the manifest arrived")
	assert.Equal(t, "张三", m.ReceiverName)
	price, err := e.stn.Quote(e.ctx, "sf", "广东", 1200)
	require.NoError(t, err)
	assert.Equal(t, 1500, price)
	tpl, err := e.stn.Templates(e.ctx)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"arrival": "您的包裹已到{station}"}, tpl)

	st, err := s.Status(e.ctx)
	require.NoError(t, err)
	assert.Zero(t, st.Backlog)
	assert.True(t, st.OldestUnacked.IsZero())
	assert.Equal(t, last, st.DownCursor)
	assert.Equal(t, 1, st.ChangesSkipped, "the unknown change type is skipped, counted, and does not block")
	assert.False(t, st.Failing)
	assert.Nil(t, st.LastError)
	assert.False(t, st.LastSuccess.IsZero())
	assert.Equal(t, syncer.StartBatch, st.BatchSize)
	assert.Len(t, logs.find("change skipped: type unknown to this version"), 1)
	assert.NotContains(t, logs.text(), receiverPhone, "a phone number in a log line")
	assert.NotContains(t, logs.text(), "3812345678")

	// A second cycle finds nothing to send and nothing new.
	before := len(hub.batchLog())
	require.NoError(t, s.SyncOnce(e.ctx))
	assert.Len(t, hub.batchLog(), before)
	hellos := get(hub, func(h *fakeHub) []syncproto.Hello { return h.hellos })
	require.Len(t, hellos, 2)
	assert.Equal(t, []string{e.inc()}, hellos[1].Incarnations)
	assert.Equal(t, testNode, hellos[1].Node)
}

func TestTimeoutOnHangingHub(t *testing.T) {
	e := newEdge(t)
	hub := newFakeHub(t, testNode)
	e.addOps(t, 5)
	hub.set(func(h *fakeHub) { h.hangOps = 1 })
	s, logs := newSyncer(t, e, hub, syncer.Options{CallTimeout: 2 * time.Second})

	err := s.SyncOnce(e.ctx)
	require.Error(t, err)
	assert.Equal(t, syncer.CodeTimeout, syncer.CodeOf(err))
	st, err := s.Status(e.ctx)
	require.NoError(t, err)
	assert.True(t, st.Failing)
	require.NotNil(t, st.LastError)
	assert.Equal(t, syncer.CodeTimeout, st.LastError.Code)
	assert.Equal(t, 5, st.Backlog)
	assert.Equal(t, syncer.StartBatch/2, st.BatchSize, "a timeout halves the batch")
	assert.Equal(t, map[string]int{syncer.CodeTimeout: 1}, st.ErrorsTotal)
	assert.Equal(t, syncer.StateBackoff, st.State)
	assert.Empty(t, hub.held(e.inc()))

	// The next cycle starts over from the hello and gets everything through.
	require.NoError(t, s.SyncOnce(e.ctx))
	requireSameOps(t, hub, e, e.inc())
	assert.Equal(t, []string{"hello", "upload", "backoff", "hello", "upload", "download", "blobs"}, logs.states())
	st, err = s.Status(e.ctx)
	require.NoError(t, err)
	assert.False(t, st.Failing)
	require.NotNil(t, st.LastError, "the last error stays on record")
	assert.Zero(t, st.Backlog)
}

func TestLoopBacksOffAndHonoursRetryAfter(t *testing.T) {
	e := newEdge(t)
	hub := newFakeHub(t, testNode)
	e.addOps(t, 5)
	hub.set(func(h *fakeHub) { h.busy, h.busyFor = 2, 300*time.Millisecond })
	s, logs := newSyncer(t, e, hub, syncer.Options{})

	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	waitFor(t, "all ops at the hub", func() bool { return len(hub.held(e.inc())) == 5 })
	waitFor(t, "the loop idle", func() bool {
		st, err := s.Status(e.ctx)
		return err == nil && st.State == syncer.StateIdle
	})
	cancel()
	require.NoError(t, <-done)

	fails := logs.find("sync failed")
	require.Len(t, fails, 2)
	for _, f := range fails {
		assert.Equal(t, "busy", f.attrs["code"])
		assert.GreaterOrEqual(t, f.attrs["retry_in"].(time.Duration), 300*time.Millisecond,
			"the wait is what the hub asked for, though the backoff alone would be at most 10ms")
	}
	requireSameOps(t, hub, e, e.inc())
	st, err := s.Status(e.ctx)
	require.NoError(t, err)
	assert.Equal(t, syncer.StateStopped, st.State)
	assert.Equal(t, syncer.StartBatch, st.BatchSize, "busy is no reason to shrink")
	assert.Equal(t, map[string]int{"busy": 2}, st.ErrorsTotal)
}

func TestGapResumesAtHubCursor(t *testing.T) {
	e := newEdge(t)
	hub := newFakeHub(t, testNode)
	e.addOps(t, 6)
	s, _ := newSyncer(t, e, hub, syncer.Options{})
	require.NoError(t, s.SyncOnce(e.ctx))

	// The hub's hello is stale (it says 0 though it holds 6): the first
	// batch, from seq 1, is refused with the hub's cursor, and the upload
	// goes on from there.
	e.addOps(t, 4)
	hub.set(func(h *fakeHub) { h.staleHello = 1 })
	require.NoError(t, s.SyncOnce(e.ctx))
	requireSameOps(t, hub, e, e.inc())
	bl := hub.batchLog()
	assert.Equal(t, "X:1+6 X:1+10 X:7+4", strings.ReplaceAll(hubBatchesString(bl), e.inc()[:4], "X"))

	// An ack lost on the way (the hub stored the batch, the answer never
	// came) costs one resend at most, never a duplicate.
	e.addOps(t, 3)
	hub.set(func(h *fakeHub) { h.commitNoReply = 1 })
	require.Error(t, s.SyncOnce(e.ctx))
	require.NoError(t, s.SyncOnce(e.ctx))
	requireSameOps(t, hub, e, e.inc())
}

func TestHubRestoredFromOlderBackup(t *testing.T) {
	e := newEdge(t)
	hub := newFakeHub(t, testNode)
	e.addOps(t, 20)
	s, logs := newSyncer(t, e, hub, syncer.Options{})
	require.NoError(t, s.SyncOnce(e.ctx))
	requireSameOps(t, hub, e, e.inc())

	// The hub is restored to a backup holding ops 1..8; the station has
	// kept the acknowledged ops and sends 9..25 again.
	hub.restoreTo(e.inc(), 8)
	e.addOps(t, 5)
	require.NoError(t, s.SyncOnce(e.ctx))
	requireSameOps(t, hub, e, e.inc())
	assert.Len(t, logs.find("hub holds fewer ops than it acknowledged (restored from a backup?): sending them again"), 1)

	// Within the safety window pruning keeps them; past it they go, but
	// for the newest.
	n, err := e.st.Prune(e.ctx, 24*time.Hour)
	require.NoError(t, err)
	assert.Zero(t, n)
	e.clock.Advance(25 * time.Hour)
	n, err = e.st.Prune(e.ctx, 24*time.Hour)
	require.NoError(t, err)
	assert.Equal(t, 24, n)
	require.NoError(t, e.st.Check(e.ctx), "a pruned prefix is no gap")
	assert.Len(t, e.ops(t, e.inc()), 1)

	// A hub restored to before the pruned ops cannot be refilled: the
	// error says so and names the lost range; new ops still cannot pass
	// the hole, and the state is visible.
	hub.restoreTo(e.inc(), 3)
	err = s.SyncOnce(e.ctx)
	require.Error(t, err)
	assert.Equal(t, syncer.CodePruned, syncer.CodeOf(err))
	assert.Contains(t, err.Error(), "ops 4-24 are lost")
	assert.Equal(t, "pruned", e.status(t).LastError.Code)
}

func TestBatchSizeFollowsTheLink(t *testing.T) {
	e := newEdge(t)
	hub := newFakeHub(t, testNode)
	e.addOps(t, 3000)
	s, _ := newSyncer(t, e, hub, syncer.Options{})
	require.NoError(t, s.SyncOnce(e.ctx))
	requireSameOps(t, hub, e, e.inc())
	var sizes []int
	for _, b := range hub.batchLog() {
		sizes = append(sizes, b.n)
	}
	assert.Equal(t, []int{256, 512, 1024, 1208}, sizes, "each quick full batch doubles the next")
	size := func() int {
		st, err := s.Status(e.ctx)
		require.NoError(t, err)
		return st.BatchSize
	}
	assert.Equal(t, 2048, size())

	// Failures halve it, down to the floor.
	e.addOps(t, 40)
	hub.set(func(h *fakeHub) { h.fail = 1 })
	require.Error(t, s.SyncOnce(e.ctx))
	assert.Equal(t, 1024, size())
	hub.set(func(h *fakeHub) { h.fail = 10 })
	for range 10 {
		require.Error(t, s.SyncOnce(e.ctx))
	}
	assert.Equal(t, syncer.MinBatch, size())
	n := len(hub.batchLog())
	require.NoError(t, s.SyncOnce(e.ctx))
	requireSameOps(t, hub, e, e.inc())
	var after []int
	for _, b := range hub.batchLog()[n:] {
		after = append(after, b.n)
	}
	assert.Equal(t, []int{16, 24}, after, "from the floor, growing again")
	assert.Equal(t, 32, size())
}

func TestWatchdogRestartsStalledLoop(t *testing.T) {
	e := newEdge(t)
	hub := newFakeHub(t, testNode)
	e.addOps(t, 5)
	// A call deadline far away: only the watchdog can end the hang.
	hub.set(func(h *fakeHub) { h.hangOps = 1 })
	s, logs := newSyncer(t, e, hub, syncer.Options{CallTimeout: time.Hour, Watchdog: 300 * time.Millisecond})

	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	waitFor(t, "all ops acknowledged", func() bool { return len(hub.held(e.inc())) == 5 && e.status(t).Backlog == 0 })
	cancel()
	require.NoError(t, <-done)

	st, err := s.Status(e.ctx)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, st.Restarts, 1)
	assert.GreaterOrEqual(t, st.ErrorsTotal[syncer.CodeWatchdog], 1)
	assert.NotEmpty(t, logs.find("sync stalled: nothing acknowledged while ops wait; restarting the loop"))
	requireSameOps(t, hub, e, e.inc())
	assert.Zero(t, st.Backlog)
}

func TestWatchdogQuietWithoutBacklog(t *testing.T) {
	e := newEdge(t)
	hub := newFakeHub(t, testNode)
	s, logs := newSyncer(t, e, hub, syncer.Options{Watchdog: 50 * time.Millisecond, Interval: time.Hour})
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	waitFor(t, "a first cycle", func() bool { return !e.status(t).LastSuccess.IsZero() })
	time.Sleep(200 * time.Millisecond) // several watchdog periods
	cancel()
	require.NoError(t, <-done)
	assert.Empty(t, logs.find("sync stalled: nothing acknowledged while ops wait; restarting the loop"), "an idle station is not stalled")
}

func TestRestoredEdgeSendsBothIncarnations(t *testing.T) {
	for _, syncedBeforeRestore := range []bool{true, false} {
		t.Run(map[bool]string{true: "synced", false: "never synced"}[syncedBeforeRestore], func(t *testing.T) {
			e := newEdge(t)
			hub := newFakeHub(t, testNode)
			first := e.inc()
			e.addOps(t, 5)
			backup := filepath.Join(t.TempDir(), "backup.db")
			require.NoError(t, e.st.Backup(e.ctx, backup))
			e.addOps(t, 3)
			if syncedBeforeRestore {
				s, _ := newSyncer(t, e, hub, syncer.Options{})
				require.NoError(t, s.SyncOnce(e.ctx))
			}
			e.close(t)

			o := storeOptions(e.clock)
			restored, err := store.Restore(e.ctx, backup, e.path, o)
			require.NoError(t, err)
			e.use(t, restored)
			require.NotEqual(t, first, e.inc(), "a restored database is a new incarnation")
			e.addOps(t, 4)

			s, _ := newSyncer(t, e, hub, syncer.Options{})
			require.NoError(t, s.SyncOnce(e.ctx))
			hellos := get(hub, func(h *fakeHub) []syncproto.Hello { return h.hellos })
			assert.Equal(t, []string{first, e.inc()}, hellos[len(hellos)-1].Incarnations, "oldest incarnation first")
			want := 5
			if syncedBeforeRestore {
				want = 8 // what the hub got before the restore stays
			}
			assert.Len(t, hub.held(first), want)
			for i, op := range hub.held(first)[:5] {
				assert.Equal(t, e.ops(t, first)[i].Hash, op.Hash)
			}
			requireSameOps(t, hub, e, e.inc())
			assert.Zero(t, e.status(t).Backlog)

			// Past the safety window the old incarnation is pruned whole and
			// no longer named in the hello; nothing is resent.
			e.clock.Advance(8 * 24 * time.Hour)
			_, err = e.st.Prune(e.ctx, 0)
			require.NoError(t, err)
			assert.Empty(t, e.ops(t, first))
			s, logs := newSyncer(t, e, hub, syncer.Options{})
			require.NoError(t, s.SyncOnce(e.ctx))
			hellos = get(hub, func(h *fakeHub) []syncproto.Hello { return h.hellos })
			assert.Equal(t, []string{e.inc()}, hellos[len(hellos)-1].Incarnations)
			assert.Empty(t, logs.find("hub holds fewer ops than it acknowledged (restored from a backup?): sending them again"))
		})
	}
}

func TestBlobUploadResumes(t *testing.T) {
	e := newEdge(t)
	hub := newFakeHub(t, testNode)
	photo := make([]byte, 700<<10)
	rand.Read(photo)
	sha, size, err := e.st.PutBlob(e.ctx, bytes.NewReader(photo))
	require.NoError(t, err)
	assert.Equal(t, int64(len(photo)), size)
	sum := sha256.Sum256(photo)
	assert.Equal(t, hex.EncodeToString(sum[:]), sha)
	assert.Equal(t, 1, e.status(t).BlobBacklog)

	// The link breaks on the second chunk.
	hub.set(func(h *fakeHub) { h.failPatchAt[syncer.BlobChunk] = 1 })
	s, _ := newSyncer(t, e, hub, syncer.Options{})
	require.Error(t, s.SyncOnce(e.ctx))
	assert.Equal(t, 1, e.status(t).BlobBacklog)
	require.NoError(t, s.SyncOnce(e.ctx))

	chunk := int64(syncer.BlobChunk)
	assert.Equal(t, []int64{0, chunk, chunk, 2 * chunk}, get(hub, func(h *fakeHub) []int64 { return h.patches }),
		"the upload resumed where the hub stood, not from 0")
	assert.True(t, get(hub, func(h *fakeHub) bool { return h.done[sha] }))
	assert.Equal(t, photo, get(hub, func(h *fakeHub) []byte { return h.blobs[sha] }))
	assert.Zero(t, e.status(t).BlobBacklog)

	// A photo whose file is gone is given up, not retried forever.
	sha2, _, err := e.st.PutBlob(e.ctx, strings.NewReader("second photo"))
	require.NoError(t, err)
	f, err := e.st.OpenBlob(sha2)
	require.NoError(t, err)
	f.Close()
	require.NoError(t, os.Remove(f.Name()))
	require.NoError(t, s.SyncOnce(e.ctx))
	assert.Zero(t, e.status(t).BlobBacklog)
	assert.False(t, get(hub, func(h *fakeHub) bool { return h.done[sha2] }))
}

func TestBlobsAfterOps(t *testing.T) {
	e := newEdge(t)
	hub := newFakeHub(t, testNode)
	_, _, err := e.st.PutBlob(e.ctx, strings.NewReader("photo"))
	require.NoError(t, err)
	e.addOps(t, 2)
	s, logs := newSyncer(t, e, hub, syncer.Options{})
	require.NoError(t, s.SyncOnce(e.ctx))
	assert.Len(t, hub.held(e.inc()), 2)
	assert.Len(t, get(hub, func(h *fakeHub) map[string]bool { return h.done }), 1)
	var order []string
	for _, r := range logs.records() {
		if r.msg == "ops uploaded" || r.msg == "blob uploaded" {
			order = append(order, r.msg)
		}
	}
	assert.Equal(t, []string{"ops uploaded", "blob uploaded"}, order, "blobs are the lower priority")
}

func TestExportImportBundle(t *testing.T) {
	e := newEdge(t)
	hub := newFakeHub(t, testNode)
	e.addOps(t, 4)
	s, _ := newSyncer(t, e, hub, syncer.Options{})
	require.NoError(t, s.SyncOnce(e.ctx))
	e.addOps(t, 6)

	var buf bytes.Buffer
	ops, batches, err := syncer.ExportBundle(e.ctx, e.st, &buf)
	require.NoError(t, err)
	assert.Equal(t, 6, ops)
	assert.Equal(t, 1, batches)
	assert.Equal(t, 6, e.status(t).Backlog, "export marks nothing acknowledged")

	// The bundle reads back through the codec, batch after batch.
	br := bufio.NewReader(&buf)
	var got []syncproto.Op
	for {
		b, err := syncproto.ReadBatch(br)
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		assert.Equal(t, syncproto.BatchOps, b.Header.Kind)
		got = append(got, b.Ops...)
	}
	assert.Equal(t, e.ops(t, e.inc())[4:], got)

	// Downstream: two batches of changes in one file.
	var in bytes.Buffer
	ch := func(seq uint64, typ syncproto.ChangeType, payload string) syncproto.Change {
		return syncproto.Change{Seq: seq, Type: typ, Payload: []byte(payload)}
	}
	require.NoError(t, syncproto.WriteChanges(&in, testNode, []syncproto.Change{
		ch(11, syncproto.ChangeManifest, `{"waybill":"SF1234567890123","carrier":"sf","receiver_name":"张三","receiver_phone":"13812345678"}`),
		ch(12, syncproto.ChangeTemplate, `{"key":"arrival","text":"到了"}`),
	}, 1))
	require.NoError(t, syncproto.WriteChanges(&in, testNode, []syncproto.Change{
		ch(15, syncproto.ChangeManifestCancel, `{"waybill":"SF1234567890123"}`),
		ch(17, "future.kind", `{}`),
	}, 2))
	res, n, err := syncer.ImportChanges(e.ctx, e.stn, bytes.NewReader(in.Bytes()))
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	assert.Equal(t, 3, res.Applied)
	assert.Len(t, res.Skipped, 1)
	assert.Equal(t, uint64(17), e.status(t).DownCursor)

	// A bundle for another station is refused whole.
	var other bytes.Buffer
	require.NoError(t, syncproto.WriteChanges(&other, "ST-OTHER", []syncproto.Change{ch(30, syncproto.ChangeTemplate, `{"key":"x","text":"y"}`)}, 1))
	_, _, err = syncer.ImportChanges(e.ctx, e.stn, &other)
	require.ErrorContains(t, err, "ST-OTHER")
	assert.Equal(t, uint64(17), e.status(t).DownCursor)
}

func TestDownstreamCursorResetsWhenHubIsBehind(t *testing.T) {
	e := newEdge(t)
	hub := newFakeHub(t, testNode)
	hub.addChange(syncproto.ChangeTemplate, syncproto.Template{Key: "a", Text: "1"})
	hub.addChange(syncproto.ChangeTemplate, syncproto.Template{Key: "b", Text: "2"})
	s, _ := newSyncer(t, e, hub, syncer.Options{})
	require.NoError(t, s.SyncOnce(e.ctx))
	assert.Equal(t, uint64(110), e.status(t).DownCursor)

	// The hub is restored from a backup without change 110; the station
	// follows the hub's numbering, so the next change, numbered 110
	// again, is not mistaken for one already applied.
	hub.set(func(h *fakeHub) { h.changes = h.changes[:1] })
	require.NoError(t, s.SyncOnce(e.ctx))
	assert.Equal(t, uint64(100), e.status(t).DownCursor)
	assert.Equal(t, uint64(110), hub.addChange(syncproto.ChangeTemplate, syncproto.Template{Key: "c", Text: "3"}))
	require.NoError(t, s.SyncOnce(e.ctx))
	tpl, err := e.stn.Templates(e.ctx)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"a": "1", "b": "2", "c": "3"}, tpl)
}

func TestClockSkewMeasured(t *testing.T) {
	e := newEdge(t)
	hub := newFakeHub(t, testNode)
	hub.set(func(h *fakeHub) { h.skew = time.Hour })
	s, _ := newSyncer(t, e, hub, syncer.Options{})
	require.NoError(t, s.SyncOnce(e.ctx))
	skew := e.status(t).Skew
	assert.InDelta(t, float64(time.Hour), float64(skew), float64(time.Minute), "skew %s", skew)
}

func TestUnauthorizedAndNotEnrolled(t *testing.T) {
	e := newEdge(t)
	hub := newFakeHub(t, testNode)
	c, err := syncer.NewClient(hub.URL(), "wrong", "")
	require.NoError(t, err)
	s := syncer.New(e.stn, c, syncer.Options{})
	err = s.SyncOnce(e.ctx)
	require.Error(t, err)
	assert.Equal(t, "unauthorized", syncer.CodeOf(err))
	assert.Contains(t, syncer.Advice("unauthorized"), "enroll")

	st := e.status(t)
	assert.False(t, st.Enrolled)
	assert.Equal(t, syncer.StateOff, st.State)

	_, err = syncer.NewClient("ftp://hub", "t", "")
	assert.Error(t, err)
	_, err = syncer.NewClient("https://hub.example", "t", filepath.Join(t.TempDir(), "none.pem"))
	assert.Error(t, err)
}

func TestPushOpsRefusedBatch(t *testing.T) {
	// What the hub answers to a batch it cannot read is a bad_batch with
	// its message, not a network failure.
	hub := newFakeHub(t, testNode)
	c, err := syncer.NewClient(hub.URL(), hub.token, "")
	require.NoError(t, err)
	_, err = c.PushOps(context.Background(), []byte("not a batch"))
	var he *syncer.HubError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, 400, he.Status)
	assert.Equal(t, syncproto.CodeBadBatch, syncproto.CodeOf(err))
	assert.Equal(t, "bad_batch", syncer.CodeOf(err))
}

// TestFaultsSeeded runs cycles against a hub that fails in random ways
// (busy, errors, hangs, lost acks, stale hellos, restores from an older
// backup) while the station keeps working; once the faults stop, one
// cycle brings the hub every op exactly once.
func TestFaultsSeeded(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run("seed "+strconv.FormatUint(seed, 10), func(t *testing.T) {
			rng := mrand.New(mrand.NewPCG(seed, 7))
			e := newEdge(t)
			hub := newFakeHub(t, testNode)
			s, _ := newSyncer(t, e, hub, syncer.Options{CallTimeout: time.Second})
			for range 25 {
				e.addOps(t, rng.IntN(40))
				hub.set(func(h *fakeHub) {
					switch rng.IntN(7) {
					case 0:
						h.busy, h.busyFor = 1, time.Millisecond
					case 1:
						h.fail = 1 + rng.IntN(2)
					case 2:
						h.hangOps = 1
					case 3:
						h.commitNoReply = 1
					case 4:
						h.staleHello = 1
					case 5:
						if n := len(h.ops[e.inc()]); n > 0 {
							h.ops[e.inc()] = h.ops[e.inc()][:rng.IntN(n)]
						}
					}
				})
				s.SyncOnce(e.ctx) // fails or not: the next cycle starts over
			}
			hub.set(func(h *fakeHub) { h.busy, h.fail, h.hangOps, h.commitNoReply, h.staleHello = 0, 0, 0, 0, 0 })
			require.NoError(t, s.SyncOnce(e.ctx))
			requireSameOps(t, hub, e, e.inc())
			assert.Zero(t, e.status(t).Backlog)
		})
	}
}

func TestHubAheadOfThisNodeIsRefused(t *testing.T) {
	// A copy of this database synced more ops under the same incarnation
	// (a cloned disk): the hub's cursor is past what this node issued.
	e := newEdge(t)
	hub := newFakeHub(t, testNode)
	e.addOps(t, 3)
	s, _ := newSyncer(t, e, hub, syncer.Options{})
	require.NoError(t, s.SyncOnce(e.ctx))
	hub.set(func(h *fakeHub) {
		clone := h.ops[e.inc()][2]
		for seq := uint64(4); seq <= 6; seq++ {
			clone.Seq = seq
			h.ops[e.inc()] = append(h.ops[e.inc()], clone)
		}
	})
	err := s.SyncOnce(e.ctx)
	require.Error(t, err)
	assert.Equal(t, syncer.CodeDiverged, syncer.CodeOf(err))
	e.addOps(t, 1)
	assert.Equal(t, 1, e.status(t).Backlog, "this node's new op is not taken as sent")
}
