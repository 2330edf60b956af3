package syncer_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/edge/station"
	"cunyou/edge/store"
	"cunyou/edge/syncer"
	"cunyou/syncproto"
)

const testNode = "ST-V0101"

// clock is a wall clock for the store that moves only when told to.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// edge is one station's database on a real SQLite file.
type edge struct {
	ctx   context.Context
	path  string
	clock *clock
	st    *store.Store
	stn   *station.Station
	n     int // ops written so far, for distinct payloads

	closed bool
}

func storeOptions(c *clock) store.Options {
	return store.Options{Node: testNode, Kind: syncproto.NodeStation, Now: c.Now, Synchronous: "NORMAL"}
}

func newEdge(t *testing.T) *edge {
	t.Helper()
	c := &clock{now: time.Now()}
	path := filepath.Join(t.TempDir(), "edge.db")
	st, err := store.Open(context.Background(), path, storeOptions(c))
	require.NoError(t, err)
	e := &edge{ctx: context.Background(), path: path, clock: c}
	e.use(t, st)
	return e
}

// use makes st the edge's store, checked and closed when the test ends
// unless closed before.
func (e *edge) use(t *testing.T, st *store.Store) {
	t.Helper()
	e.st, e.stn, e.closed = st, station.New(st, time.UTC), false
	t.Cleanup(func() {
		if e.st == st && !e.closed {
			assert.NoError(t, st.Check(context.Background()), "store check")
			st.Close()
		}
	})
}

// close checks and closes the edge's store.
func (e *edge) close(t *testing.T) {
	t.Helper()
	require.NoError(t, e.st.Check(e.ctx))
	require.NoError(t, e.st.Close())
	e.closed = true
}

func (e *edge) inc() string { return e.st.Identity().Incarnation }

// addOps writes n ops, each with its own settings payload.
func (e *edge) addOps(t *testing.T, n int) {
	t.Helper()
	for range n {
		e.n++
		err := e.st.Write(e.ctx, "li", func(tx *store.Tx) error {
			_, err := tx.Append(syncproto.KindSettingsSet, syncproto.SettingsSet{OverdueDays: e.n, ReturnDays: 7})
			return err
		})
		require.NoError(t, err)
	}
}

// ops returns the kept ops of an incarnation.
func (e *edge) ops(t *testing.T, inc string) []syncproto.Op {
	t.Helper()
	ops, err := e.st.OpsOf(e.ctx, inc, 0, 1<<30, 0)
	require.NoError(t, err)
	return ops
}

func (e *edge) status(t *testing.T) syncer.Status {
	t.Helper()
	st, err := syncer.StoredStatus(e.ctx, e.st)
	require.NoError(t, err)
	return st
}

// requireSameOps asserts the hub holds exactly the edge's ops of an
// incarnation: each once, in order, with the same hash.
func requireSameOps(t *testing.T, hub *fakeHub, e *edge, inc string) {
	t.Helper()
	held := hub.held(inc)
	local := e.ops(t, inc)
	require.Equal(t, len(local), len(held), "ops held by the hub for %s", inc)
	for i := range local {
		require.Equal(t, uint64(i+1), held[i].Seq)
		require.Equal(t, local[i].Hash, held[i].Hash, "op %d", local[i].Seq)
	}
}

// logSink collects log records, so tests can read the loop's states and
// failures.
type logSink struct {
	mu   sync.Mutex
	recs []logRec
}

type logRec struct {
	level slog.Level
	msg   string
	attrs map[string]any
}

func (l *logSink) Enabled(context.Context, slog.Level) bool { return true }

func (l *logSink) Handle(_ context.Context, r slog.Record) error {
	rec := logRec{level: r.Level, msg: r.Message, attrs: map[string]any{}}
	r.Attrs(func(a slog.Attr) bool {
		rec.attrs[a.Key] = a.Value.Any()
		return true
	})
	l.mu.Lock()
	l.recs = append(l.recs, rec)
	l.mu.Unlock()
	return nil
}

func (l *logSink) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logSink) WithGroup(string) slog.Handler      { return l }

func (l *logSink) records() []logRec {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]logRec(nil), l.recs...)
}

// states lists the states the loop entered, in order.
func (l *logSink) states() []string {
	var out []string
	for _, r := range l.records() {
		if r.msg == "sync state" {
			out = append(out, r.attrs["to"].(string))
		}
	}
	return out
}

// text renders every record, for privacy checks.
func (l *logSink) text() string {
	var b strings.Builder
	for _, r := range l.records() {
		fmt.Fprintf(&b, "%s %s %v\n", r.level, r.msg, r.attrs)
	}
	return b.String()
}

func (l *logSink) find(msg string) []logRec {
	var out []logRec
	for _, r := range l.records() {
		if r.msg == msg {
			out = append(out, r)
		}
	}
	return out
}

// newSyncer returns a loop from the edge to the hub with quick test
// settings over o.
func newSyncer(t *testing.T, e *edge, hub *fakeHub, o syncer.Options) (*syncer.Syncer, *logSink) {
	t.Helper()
	c, err := syncer.NewClient(hub.URL(), hub.token, "")
	require.NoError(t, err)
	sink := &logSink{}
	o.Log = slog.New(sink)
	if o.BackoffMin == 0 {
		o.BackoffMin, o.BackoffMax = time.Millisecond, 10*time.Millisecond
	}
	if o.Interval == 0 {
		o.Interval = 20 * time.Millisecond
	}
	return syncer.New(e.stn, c, o), sink
}
