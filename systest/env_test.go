package systest

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cunyou/edge/station"
	edgestore "cunyou/edge/store"
	"cunyou/edge/syncer"
	"cunyou/hub/merge"
	hubstore "cunyou/hub/store"
	"cunyou/hub/syncapi"
	"cunyou/syncproto"
)

// cst is the stations' time zone.
var cst = time.FixedZone("CST", 8*3600)

// hubProc is the county hub in this process: its store on a SQLite file in
// a folder of its own, the merger and the sync API behind a real HTTP
// server. stop and start simulate a restart of the hub's process on the
// same data; the server comes back on another port.
type hubProc struct {
	tb          testing.TB
	dir         string
	log         *slog.Logger
	synchronous string

	mu sync.Mutex
	st *hubstore.Store
	m  *merge.Merger
	ts *httptest.Server
}

// newHub starts a hub whose commits are not fsynced (SQLite's NORMAL):
// the tests restart its process, not the machine.
func newHub(tb testing.TB, log *slog.Logger) *hubProc {
	tb.Helper()
	return newHubSync(tb, log, "NORMAL")
}

// newHubSync starts a hub with SQLite's synchronous setting (FULL is the
// hub's default).
func newHubSync(tb testing.TB, log *slog.Logger, synchronous string) *hubProc {
	tb.Helper()
	h := &hubProc{tb: tb, dir: tb.TempDir(), log: log, synchronous: synchronous}
	require.NoError(tb, h.start())
	tb.Cleanup(h.stop)
	return h
}

// start opens the store and serves the sync API on a new port.
func (h *hubProc) start() error {
	ctx := context.Background()
	st, err := hubstore.Open(ctx, h.dir, hubstore.Options{Synchronous: h.synchronous})
	if err != nil {
		return fmt.Errorf("open hub store: %w", err)
	}
	m, err := merge.New(ctx, st, merge.Options{Log: h.log})
	if err != nil {
		st.Close()
		return fmt.Errorf("start merger: %w", err)
	}
	api := syncapi.New(st, m, syncapi.Options{Log: h.log, Version: "systest"})
	ts := httptest.NewServer(api.Handler())
	h.mu.Lock()
	h.st, h.m, h.ts = st, m, ts
	h.mu.Unlock()
	return nil
}

// stop shuts the server down (waiting for the requests in progress), then
// the merger and the store. Stopping twice is harmless.
func (h *hubProc) stop() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ts == nil {
		return
	}
	h.ts.Close()
	h.m.Close()
	if err := h.st.Close(); err != nil {
		h.tb.Errorf("close hub store: %v", err)
	}
	h.st, h.m, h.ts = nil, nil, nil
}

// URL is the sync API's base URL while the hub runs.
func (h *hubProc) URL() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.ts.URL
}

// with runs fn on the running hub's store; a restart waits for it.
func (h *hubProc) with(fn func(st *hubstore.Store) error) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.st == nil {
		return errHubStopped
	}
	return fn(h.st)
}

// flush waits until the hub's tracking index holds every durable op.
func (h *hubProc) flush(t *testing.T) {
	t.Helper()
	h.mu.Lock()
	m := h.m
	h.mu.Unlock()
	require.NotNil(t, m, "hub stopped")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, m.Flush(ctx))
}

// enroll adds a station and trades its one-time code for a token.
func (h *hubProc) enroll(node string) (string, error) {
	var token string
	err := h.with(func(st *hubstore.Store) error {
		ctx := context.Background()
		code, err := st.AddNode(ctx, node, syncproto.NodeStation, node+" 驿站")
		if err != nil {
			return err
		}
		_, token, err = st.Enroll(ctx, code, "", "systest")
		return err
	})
	return token, err
}

// queueChanges queues changes of one type for node and returns their seqs.
func (h *hubProc) queueChanges(node string, typ syncproto.ChangeType, payloads ...any) ([]uint64, error) {
	var seqs []uint64
	err := h.with(func(st *hubstore.Store) error {
		out := make([]hubstore.Outgoing, len(payloads))
		for i, p := range payloads {
			out[i] = hubstore.Outgoing{Node: node, Type: typ, Payload: p}
		}
		var err error
		seqs, err = st.AddChanges(context.Background(), out)
		return err
	})
	return seqs, err
}

// edgeProc is one station's process: its store, the station on it and the
// sync loop, which speaks to the hub through hubURL (the chaos proxy).
// halt and start simulate a restart of the process: the loop stops, the
// database is closed and opened again.
type edgeProc struct {
	tb     testing.TB
	node   string
	path   string
	token  string
	hubURL string
	so     syncer.Options

	mu   sync.Mutex
	st   *edgestore.Store
	stn  *station.Station
	sy   *syncer.Syncer
	stop context.CancelFunc
	done chan struct{}
}

// newEdge creates the station's database, enrolls it with h and opens it;
// when run, its sync loop starts towards hubURL (else the test drives
// SyncOnce itself).
func newEdge(tb testing.TB, h *hubProc, node, hubURL string, so syncer.Options, run bool) *edgeProc {
	tb.Helper()
	token, err := h.enroll(node)
	require.NoError(tb, err)
	e := &edgeProc{tb: tb, node: node, path: filepath.Join(tb.TempDir(), "edge.db"), token: token, hubURL: hubURL, so: so}
	st, err := edgestore.Open(context.Background(), e.path, edgestore.Options{Node: node, Kind: syncproto.NodeStation, Synchronous: "NORMAL"})
	require.NoError(tb, err)
	require.NoError(tb, st.SetSyncConfig(context.Background(), edgestore.SyncConfig{HubURL: hubURL, Token: token}))
	require.NoError(tb, st.Close())
	require.NoError(tb, e.start(run))
	tb.Cleanup(func() {
		if err := e.halt(); err != nil {
			tb.Errorf("%s: %v", node, err)
		}
	})
	return e
}

// start opens the store and, when run, starts the sync loop.
func (e *edgeProc) start(run bool) error {
	st, err := edgestore.Open(context.Background(), e.path, edgestore.Options{Synchronous: "NORMAL"})
	if err != nil {
		return fmt.Errorf("open %s: %w", e.node, err)
	}
	client, err := syncer.NewClient(e.hubURL, e.token, "")
	if err != nil {
		st.Close()
		return err
	}
	stn := station.New(st, cst)
	sy := syncer.New(stn, client, e.so)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.st, e.stn, e.sy = st, stn, sy
	if run {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			sy.Run(ctx)
		}()
		e.stop, e.done = cancel, done
	}
	return nil
}

// halt stops the sync loop and closes the store. Halting twice is
// harmless.
func (e *edgeProc) halt() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.st == nil {
		return nil
	}
	if e.stop != nil {
		e.stop()
		<-e.done
		e.stop, e.done = nil, nil
	}
	err := e.st.Close()
	e.st, e.stn, e.sy = nil, nil, nil
	if err != nil {
		return fmt.Errorf("close %s: %w", e.node, err)
	}
	return nil
}

// restart halts the process and starts it again on the same database.
func (e *edgeProc) restart() error {
	if err := e.halt(); err != nil {
		return err
	}
	return e.start(true)
}

// parts returns the running process's store, station and loop.
func (e *edgeProc) parts() (*edgestore.Store, *station.Station, *syncer.Syncer) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.st, e.stn, e.sy
}

// testLogger writes slog records to t.Log, for replaying one seed.
func testLogger(tb testing.TB, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(tbWriter{tb}, &slog.HandlerOptions{Level: level}))
}

type tbWriter struct{ tb testing.TB }

func (w tbWriter) Write(b []byte) (int, error) {
	w.tb.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// openRO opens a SQLite file read-only, beside whoever writes it.
func openRO(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	if _, err := os.Stat(path); err != nil {
		tb.Fatalf("open %s: %v", path, err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=query_only(1)")
	require.NoError(tb, err)
	tb.Cleanup(func() { db.Close() })
	return db
}

// poll calls cond every interval until it returns nil or timeout passes;
// it returns cond's last error.
func poll(ctx context.Context, timeout, interval time.Duration, cond func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %v: %w", timeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(interval):
		}
	}
}
