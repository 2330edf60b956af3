package systest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/edge/syncer"
	hubstore "cunyou/hub/store"
	"cunyou/syncproto"
	"cunyou/systest/chaos"
)

var soak = flag.Int("soak", 0, "TestSyncConvergesUnderFaults: run this many seeds instead of the quick set (or CUNYOU_SOAK=N)")

// quickSeeds run in every `go test`.
var quickSeeds = []uint64{1, 2, 3, 4, 5, 6}

// faultSeeds returns the seeds to run: CUNYOU_SEED replays one (with the
// link's and the loops' logs), CUNYOU_SOAK or -soak runs N seeds from
// CUNYOU_SOAK_BASE (1000 by default), else the quick set.
func faultSeeds(t *testing.T) (seeds []uint64, replay bool) {
	t.Helper()
	if s := os.Getenv("CUNYOU_SEED"); s != "" {
		seed, err := strconv.ParseUint(s, 0, 64)
		require.NoError(t, err, "CUNYOU_SEED")
		return []uint64{seed}, true
	}
	n := *soak
	if s := os.Getenv("CUNYOU_SOAK"); s != "" {
		v, err := strconv.Atoi(s)
		require.NoError(t, err, "CUNYOU_SOAK")
		n = v
	}
	if n <= 0 {
		return quickSeeds, false
	}
	base := uint64(1000)
	if s := os.Getenv("CUNYOU_SOAK_BASE"); s != "" {
		v, err := strconv.ParseUint(s, 0, 64)
		require.NoError(t, err, "CUNYOU_SOAK_BASE")
		base = v
	}
	for i := range n {
		seeds = append(seeds, base+uint64(i))
	}
	return seeds, false
}

// TestSyncConvergesUnderFaults is the property of DESIGN §7 "under injected
// faults: 0 lost, 0 duplicated, 0 stuck": for each seed, three stations
// work at random while their link to a real hub drops requests and
// answers, truncates, duplicates, delays and reorders them; stations'
// processes restart, the hub's process restarts once, and the hub queues
// manifest changes for every station meanwhile. Once the link heals and
// everything drains, every op of every station is at the hub exactly once
// and applied, cursors stand at the last seqs, nothing is quarantined or
// dead-lettered, the hub's parcels match the stations', every downstream
// change took effect in order at its station, and no loop is stuck.
func TestSyncConvergesUnderFaults(t *testing.T) {
	seeds, replay := faultSeeds(t)
	for _, seed := range seeds {
		t.Run(fmt.Sprintf("seed=%#x", seed), func(t *testing.T) {
			runFaultSeed(t, seed, replay)
		})
	}
}

// faultPlan is what one seed does, drawn before anything runs.
type faultPlan struct {
	ops      [3]int             // ops per station
	pauses   [3][]time.Duration // before each op
	restarts [3]map[int]bool    // op numbers before which the station's process restarts
	hubAfter int64              // the hub restarts once this many ops were done in all
	changes  int                // downstream changes queued
}

func drawPlan(rng *rand.Rand) faultPlan {
	var p faultPlan
	total := 0
	for i := range 3 {
		p.ops[i] = 40 + rng.IntN(41)
		total += p.ops[i]
		for range p.ops[i] {
			p.pauses[i] = append(p.pauses[i], time.Duration(rng.IntN(12))*time.Millisecond)
		}
		p.restarts[i] = map[int]bool{}
	}
	// Station 1 restarts once, station 2 once or twice, station 3 never.
	p.restarts[0][1+rng.IntN(p.ops[0]-1)] = true
	for range 1 + rng.IntN(2) {
		p.restarts[1][1+rng.IntN(p.ops[1]-1)] = true
	}
	p.hubAfter = int64(total/5 + rng.IntN(total/2))
	p.changes = 20 + rng.IntN(21)
	return p
}

var errHubStopped = errors.New("hub is stopped")

func runFaultSeed(t *testing.T, seed uint64, replay bool) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 0xfa175))
	plan := drawPlan(rng)
	log := discardLogger()
	var logf func(string, ...any)
	if replay {
		log, logf = testLogger(t, slog.LevelDebug), t.Logf
	}

	h := newHub(t, log)
	p, err := chaos.New(chaos.Config{
		Upstream: h.URL(),
		Seed:     seed,
		Faults: chaos.Faults{
			DropRequest: 0.05, DropResponse: 0.06, Truncate: 0.05,
			Duplicate: 0.08, Delay: 0.1, MaxDelay: 40 * time.Millisecond,
			Reorder: 0.05, ReorderHold: 80 * time.Millisecond,
			Paths: []string{syncproto.PathHello, syncproto.PathOps, syncproto.PathChanges, syncproto.PathBlobs},
		},
		Logf: logf,
	})
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	defer func() {
		if t.Failed() {
			p.WaitIdle(ctx)
			t.Logf("replay: CUNYOU_SEED=%#x go test -run 'TestSyncConvergesUnderFaults' -v ./systest/\n%s", seed, p.Report())
		}
	}()

	so := syncer.Options{
		Interval: 40 * time.Millisecond, CallTimeout: 2 * time.Second, Watchdog: 3 * time.Second,
		BackoffMin: 5 * time.Millisecond, BackoffMax: 150 * time.Millisecond, Log: log,
	}
	var edges [3]*edgeProc
	var workers [3]*operator
	for i := range edges {
		edges[i] = newEdge(t, h, fmt.Sprintf("ST-F%02d", i+1), p.URL(), so, true)
		workers[i] = newOperator(seed, i)
		workers[i].withPhotos = true
	}

	var (
		wg    sync.WaitGroup
		done  atomic.Int64
		errMu sync.Mutex
		errs  []error
	)
	fail := func(err error) {
		errMu.Lock()
		errs = append(errs, err)
		errMu.Unlock()
	}
	for i, e := range edges {
		wg.Go(func() {
			for k := range plan.ops[i] {
				if plan.restarts[i][k] {
					if err := e.restart(); err != nil {
						fail(err)
						return
					}
				}
				_, stn, _ := e.parts()
				var err error
				if k == 0 {
					err = workers[i].setup(ctx, stn)
				} else {
					err = workers[i].act(ctx, stn)
				}
				if err != nil {
					fail(fmt.Errorf("%s op %d: %w", e.node, k, err))
					return
				}
				done.Add(1)
				time.Sleep(plan.pauses[i][k])
			}
		})
	}

	// The hub queues manifests for the stations meanwhile: new parcels,
	// corrections of earlier ones and cancellations, so the order of
	// application shows in the end state.
	want := map[string]map[string]syncproto.ManifestEntry{}
	lastChange := map[string]uint64{}
	for _, e := range edges {
		want[e.node] = map[string]syncproto.ManifestEntry{}
	}
	crng := rand.New(rand.NewPCG(seed, 0xc4a9))
	wg.Go(func() {
		for j := range plan.changes {
			node := edges[crng.IntN(len(edges))].node
			m := want[node]
			var (
				typ     syncproto.ChangeType
				payload any
				apply   func()
			)
			keys := slices.Sorted(maps.Keys(m))
			switch r := crng.IntN(100); {
			case r < 20 && len(keys) > 0:
				wb := keys[crng.IntN(len(keys))]
				typ, payload, apply = syncproto.ChangeManifestCancel, syncproto.ManifestCancel{Waybill: wb}, func() { delete(m, wb) }
			case r < 45 && len(keys) > 0:
				e := m[keys[crng.IntN(len(keys))]]
				e.WeightGrams += 1 + crng.IntN(100)
				typ, payload, apply = syncproto.ChangeManifest, e, func() { m[e.Waybill] = e }
			default:
				e := manifestEntry(crng, fmt.Sprintf("YT%013d", uint64(j)*1_000_003+seed%1000))
				typ, payload, apply = syncproto.ChangeManifest, e, func() { m[e.Waybill] = e }
			}
			for {
				seqs, err := h.queueChanges(node, typ, payload)
				if errors.Is(err, errHubStopped) {
					time.Sleep(5 * time.Millisecond)
					continue
				}
				if err != nil {
					fail(fmt.Errorf("queue change: %w", err))
					return
				}
				apply()
				lastChange[node] = seqs[0]
				break
			}
			time.Sleep(time.Duration(5+crng.IntN(25)) * time.Millisecond)
		}
	})

	// The link also drops every connection now and then, idle or busy.
	// (Timing-driven: a replay meets the cuts at other requests.)
	cuts := make([]time.Duration, 8)
	for i := range cuts {
		cuts[i] = time.Duration(50+rng.IntN(250)) * time.Millisecond
	}
	cutCtx, stopCuts := context.WithCancel(ctx)
	defer stopCuts()
	go func() {
		for i := 0; ; i++ {
			select {
			case <-cutCtx.Done():
				return
			case <-time.After(cuts[i%len(cuts)]):
				p.CutNow()
			}
		}
	}()

	// The hub's process restarts once, mid-run, on another port.
	hubPause := time.Duration(rng.IntN(150)) * time.Millisecond
	wg.Go(func() {
		for done.Load() < plan.hubAfter {
			time.Sleep(2 * time.Millisecond)
		}
		h.stop()
		time.Sleep(hubPause)
		if err := h.start(); err != nil {
			fail(err)
			return
		}
		if err := p.SetUpstream(h.URL()); err != nil {
			fail(err)
		}
	})
	wg.Wait()
	stopCuts()
	require.NoError(t, errors.Join(errs...))

	// Heal the link and let everything drain.
	require.NoError(t, p.SetFaults(chaos.Faults{}))
	for _, e := range edges {
		_, _, sy := e.parts()
		sy.Kick()
	}
	err = poll(ctx, 60*time.Second, 20*time.Millisecond, func() error {
		for _, e := range edges {
			if err := drained(ctx, h, e, lastChange[e.node]); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(t, err, "not drained")
	verifyConverged(t, h, edges[:], want, lastChange)
	var photos []string
	for _, w := range workers {
		photos = append(photos, w.photos...)
	}
	verifyBlobs(t, h, photos)
	if replay || testing.Verbose() {
		st := p.Stats()
		var counts []string
		for i, w := range workers {
			counts = append(counts, fmt.Sprintf("%s %v photos:%d", edges[i].node, w.counts, len(w.photos)))
		}
		t.Logf("seed %#x: %v; requests %d, dropped %d+%d, truncated %d, duplicated %d, reordered %d, delayed %d, cuts %d (%d connections)",
			seed, counts, st.Requests, st.DroppedRequests, st.DroppedResponses, st.Truncated, st.Duplicated, st.Reordered, st.Delayed, st.Cuts, st.CutConns)
	}
}

// drained reports what one station still waits for: ops the hub has not
// acknowledged, changes not applied, a loop not idle.
func drained(ctx context.Context, h *hubProc, e *edgeProc, lastChange uint64) error {
	st, _, sy := e.parts()
	s, err := sy.Status(ctx)
	if err != nil {
		return err
	}
	switch {
	case s.Backlog != 0:
		return fmt.Errorf("%s: %d ops waiting (state %s)", e.node, s.Backlog, s.State)
	case s.DownCursor != lastChange:
		return fmt.Errorf("%s: down cursor %d, last change %d", e.node, s.DownCursor, lastChange)
	case s.BlobBacklog != 0:
		return fmt.Errorf("%s: %d photos waiting (state %s)", e.node, s.BlobBacklog, s.State)
	case s.State != syncer.StateIdle:
		return fmt.Errorf("%s: loop %s", e.node, s.State)
	}
	ob, err := st.Outbox(ctx)
	if err != nil {
		return err
	}
	var cursors map[string]uint64
	if err := h.with(func(hs *hubstore.Store) error {
		cursors, err = hs.Cursors(ctx, e.node)
		return err
	}); err != nil {
		return err
	}
	if got := cursors[st.Identity().Incarnation]; got != ob.LastSeq {
		return fmt.Errorf("%s: hub at %d, outbox at %d", e.node, got, ob.LastSeq)
	}
	return nil
}

// verifyConverged checks every invariant once the stations have drained.
func verifyConverged(t *testing.T, h *hubProc, edges []*edgeProc, want map[string]map[string]syncproto.ManifestEntry, lastChange map[string]uint64) {
	t.Helper()
	ctx := context.Background()
	h.flush(t)
	var hs hubState
	require.NoError(t, h.with(func(st *hubstore.Store) error {
		var err error
		hs, err = readHub(ctx, st.DB())
		return err
	}))
	issued := opSet{}
	for _, e := range edges {
		st, stn, sy := e.parts()
		ops, err := edgeOps(ctx, st.DB())
		require.NoError(t, err)
		for _, p := range issued.add(ops) {
			t.Error(p)
		}
		parcels, err := edgeParcels(ctx, st.DB())
		require.NoError(t, err)
		for _, p := range sameParcels(hs, e.node, parcels) {
			t.Error(p)
		}

		s, err := sy.Status(ctx)
		require.NoError(t, err)
		// drained saw the loop idle; it may have begun its next cycle since.
		assert.NotContains(t, []syncer.State{syncer.StateBackoff, syncer.StateStopped}, s.State, "%s: loop state", e.node)
		assert.Zero(t, s.Backlog, "%s: backlog", e.node)
		assert.False(t, s.Failing, "%s: failing: %+v", e.node, s.LastError)
		assert.Zero(t, s.ChangesSkipped, "%s: changes skipped", e.node)
		assert.Equal(t, lastChange[e.node], s.DownCursor, "%s: down cursor", e.node)
		for _, in := range s.Incarnations {
			assert.Equal(t, in.LastSeq, in.Acked, "%s: incarnation %s acked", e.node, in.ID)
		}
		got, err := edgeManifest(ctx, st.DB())
		require.NoError(t, err)
		if !reflect.DeepEqual(got, want[e.node]) {
			t.Errorf("%s: manifest after every change applied in order:\n got  %v\n want %v", e.node, got, want[e.node])
		}
		var n hubstore.Node
		require.NoError(t, h.with(func(st *hubstore.Store) error {
			n, err = st.Node(ctx, e.node)
			return err
		}))
		assert.Equal(t, lastChange[e.node], n.ChangesAfter, "%s: hub's record of the changes applied", e.node)
		assert.NoError(t, st.Check(ctx), "%s: store check", e.node)
		assert.NoError(t, stn.VerifyDerived(ctx), "%s: derived statuses", e.node)
	}
	for _, p := range exactlyOnce(hs, issued) {
		t.Error(p)
	}
	if !t.Failed() && testing.Verbose() {
		t.Logf("%d ops of %d stations at the hub exactly once", len(issued), len(edges))
	}
}

// verifyBlobs checks that the hub holds every photo whole, under its hash.
func verifyBlobs(t *testing.T, h *hubProc, photos []string) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, h.with(func(st *hubstore.Store) error {
		for _, sha := range photos {
			bs, _, err := st.BlobStatus(ctx, sha)
			if err != nil {
				return err
			}
			if !bs.Complete {
				t.Errorf("photo %s: hub holds %d bytes, not complete", sha, bs.Offset)
				continue
			}
			b, err := os.ReadFile(st.BlobPath(sha))
			if err != nil {
				return err
			}
			if got := sha256.Sum256(b); hex.EncodeToString(got[:]) != sha {
				t.Errorf("photo %s: hub's file hashes to %x", sha, got)
			}
		}
		return nil
	}))
}
