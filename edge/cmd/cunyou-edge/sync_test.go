package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/edge/store"
	"cunyou/syncproto"
)

// cmdHub is a small hub for the command tests: enrollment, hello, ops and
// changes, over real HTTP, as syncproto/api.go describes them. (The sync
// loop's own tests have the hub with fault knobs.)
type cmdHub struct {
	srv     *httptest.Server
	mu      sync.Mutex
	node    string
	code    string
	oldHub  bool // ignores EnrollRequest.Node, as hubs before it did
	ops     map[string][]syncproto.Op
	changes []syncproto.Change
}

const cmdToken = "tok-cmd"

func newCmdHub(t *testing.T, node string) *cmdHub {
	t.Helper()
	h := &cmdHub{node: node, code: "WK-2025-0001", ops: map[string][]syncproto.Op{}}
	fail := func(w http.ResponseWriter, status int, code syncproto.Code, cursor *uint64) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(syncproto.ErrorBody{Code: code, Name: code.String(), Message: code.String(), Cursor: cursor})
	}
	authed := func(f http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer "+cmdToken {
				fail(w, http.StatusUnauthorized, syncproto.CodeUnauthorized, nil)
				return
			}
			f(w, r)
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+syncproto.PathEnroll, func(w http.ResponseWriter, r *http.Request) {
		var req syncproto.EnrollRequest
		json.NewDecoder(r.Body).Decode(&req)
		h.mu.Lock()
		ok := req.Code == h.code && h.code != ""
		wrong := ok && !h.oldHub && req.Node != "" && req.Node != h.node
		if ok && !wrong {
			h.code = ""
		}
		h.mu.Unlock()
		if !ok {
			fail(w, http.StatusForbidden, syncproto.CodeEnrollCode, nil)
			return
		}
		if wrong {
			fail(w, http.StatusForbidden, syncproto.CodeWrongNode, nil)
			return
		}
		json.NewEncoder(w).Encode(syncproto.EnrollResponse{Node: h.node, Kind: syncproto.NodeStation, Name: "南岗村驿站", Token: cmdToken})
	})
	mux.HandleFunc("POST "+syncproto.PathHello, authed(func(w http.ResponseWriter, r *http.Request) {
		var req syncproto.Hello
		json.NewDecoder(r.Body).Decode(&req)
		h.mu.Lock()
		defer h.mu.Unlock()
		wel := syncproto.Welcome{Proto: syncproto.ProtoVersion, HubTimeMs: time.Now().UnixMilli(), Cursors: map[string]uint64{}}
		for _, inc := range req.Incarnations {
			wel.Cursors[inc] = uint64(len(h.ops[inc]))
		}
		json.NewEncoder(w).Encode(wel)
	}))
	mux.HandleFunc("POST "+syncproto.PathOps, authed(func(w http.ResponseWriter, r *http.Request) {
		b, err := syncproto.ReadBatch(r.Body)
		if err != nil {
			fail(w, http.StatusBadRequest, syncproto.CodeBadBatch, nil)
			return
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		inc := b.Header.Incarnation
		cursor := uint64(len(h.ops[inc]))
		if b.Ops[0].Seq != cursor+1 {
			fail(w, http.StatusConflict, syncproto.CodeGap, &cursor)
			return
		}
		h.ops[inc] = append(h.ops[inc], b.Ops...)
		json.NewEncoder(w).Encode(syncproto.OpsResult{Incarnation: inc, AckedSeq: uint64(len(h.ops[inc])), Applied: len(b.Ops)})
	}))
	mux.HandleFunc("GET "+syncproto.PathChanges, authed(func(w http.ResponseWriter, r *http.Request) {
		after, _ := strconv.ParseUint(r.URL.Query().Get("after"), 10, 64)
		h.mu.Lock()
		var out []syncproto.Change
		for _, c := range h.changes {
			if c.Seq > after {
				out = append(out, c)
			}
		}
		h.mu.Unlock()
		syncproto.WriteChanges(w, h.node, out, time.Now().UnixMilli())
	}))
	h.srv = httptest.NewServer(mux)
	t.Cleanup(h.srv.Close)
	return h
}

func (h *cmdHub) held() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, ops := range h.ops {
		n += len(ops)
	}
	return n
}

func TestEnroll(t *testing.T) {
	clearEnv(t)
	hub := newCmdHub(t, "ST-V0101")
	dir := filepath.Join(t.TempDir(), "data")

	r := run(t, "", "enroll", "--data", dir, "--hub", hub.srv.URL)
	require.Error(t, r.err)
	assert.Contains(t, r.err.Error(), "--code")

	out := mustRun(t, "enroll", "--data", dir, "--hub", hub.srv.URL, "--code", " WK-2025-0001 ")
	assert.Contains(t, out, "enrolled station ST-V0101 (南岗村驿站) with "+hub.srv.URL)
	assert.Contains(t, out, "created "+filepath.Join(dir, "edge.db"))
	fi, err := os.Stat(filepath.Join(dir, "edge.db"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "the database holds the hub token")

	st, err := store.Open(context.Background(), filepath.Join(dir, "edge.db"), store.Options{})
	require.NoError(t, err)
	assert.Equal(t, "ST-V0101", st.Identity().Node)
	cfg, ok, err := st.SyncConfig(context.Background())
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, hub.srv.URL, cfg.HubURL)
	assert.Equal(t, cmdToken, cfg.Token)
	require.NoError(t, st.Close())

	// The code is used up.
	r = run(t, "", "enroll", "--data", dir, "--hub", hub.srv.URL, "--code", "WK-2025-0001")
	require.Error(t, r.err)
	assert.Contains(t, r.err.Error(), "ask the county for a new one")

	// A database of another node is never taken over.
	other := filepath.Join(t.TempDir(), "other")
	mustRun(t, "init", "--data", other, "--node", "ST-V0999")
	hub.mu.Lock()
	hub.code = "WK-2025-0002"
	hub.mu.Unlock()
	r = run(t, "", "enroll", "--data", other, "--hub", hub.srv.URL, "--code", "WK-2025-0002")
	require.Error(t, r.err)
	assert.Contains(t, r.err.Error(), "belongs to node ST-V0999, but the code was made for another node")
	assert.Contains(t, r.err.Error(), "the code was not used")
	hub.mu.Lock()
	assert.Equal(t, "WK-2025-0002", hub.code, "the code stays usable for its node")
	hub.oldHub = true // a hub that does not check: the edge still refuses
	hub.mu.Unlock()
	r = run(t, "", "enroll", "--data", other, "--hub", hub.srv.URL, "--code", "WK-2025-0002")
	require.Error(t, r.err)
	assert.Contains(t, r.err.Error(), "belongs to node ST-V0999, but the code enrolls node ST-V0101")
	st, err = store.Open(context.Background(), filepath.Join(other, "edge.db"), store.Options{})
	require.NoError(t, err)
	_, ok, err = st.SyncConfig(context.Background())
	require.NoError(t, err)
	assert.False(t, ok, "nothing stored")
	require.NoError(t, st.Close())
}

func TestSyncCommands(t *testing.T) {
	clearEnv(t)
	hub := newCmdHub(t, "ST-V0101")
	dir := t.TempDir()

	r := run(t, "", "sync", "now", "--data", dir)
	require.Error(t, r.err, "no database")
	mustRun(t, "init", "--data", dir, "--node", "ST-V0101")
	r = run(t, "", "sync", "now", "--data", dir)
	require.Error(t, r.err)
	assert.Contains(t, r.err.Error(), "not enrolled")
	out := mustRun(t, "sync", "status", "--data", dir)
	assert.Contains(t, out, "not enrolled")

	mustRun(t, "enroll", "--data", dir, "--hub", hub.srv.URL, "--code", "WK-2025-0001")
	mustRun(t, "shelves", "set", "--data", dir, "--shelves", "2") // one op
	out = mustRun(t, "sync", "status", "--data", dir)
	assert.Regexp(t, `ops waiting\s+1\n`, out)
	assert.Regexp(t, `last success\s+never`, out)

	hub.mu.Lock()
	hub.changes = append(hub.changes, syncproto.Change{Seq: 7, Type: syncproto.ChangeTemplate, Payload: []byte(`{"key":"arrival","text":"到了"}`)})
	hub.mu.Unlock()
	out = mustRun(t, "sync", "now", "--data", dir)
	assert.Equal(t, "sync ok: 0 ops waiting, changes applied up to 7\n", out)
	assert.Equal(t, 1, hub.held())
	out = mustRun(t, "sync", "status", "--data", dir)
	assert.Regexp(t, `ops waiting\s+0\n`, out)
	assert.Regexp(t, `down cursor\s+7\n`, out)

	// Store and forward: the ops not yet at the hub go into a bundle.
	mustRun(t, "shelves", "set", "--data", dir, "--shelves", "3")
	bundle := filepath.Join(t.TempDir(), "to-hub.cysb")
	out = mustRun(t, "sync", "export", "--data", dir, bundle)
	assert.Contains(t, out, "exported 1 ops in 1 batches")
	f, err := os.Open(bundle)
	require.NoError(t, err)
	b, err := syncproto.ReadBatch(bufio.NewReader(f))
	f.Close()
	require.NoError(t, err)
	require.Len(t, b.Ops, 1)
	assert.Equal(t, uint64(2), b.Ops[0].Seq)
	assert.Equal(t, syncproto.KindShelvesSet, b.Ops[0].Kind)

	var changes bytes.Buffer
	require.NoError(t, syncproto.WriteChanges(&changes, "ST-V0101", []syncproto.Change{
		{Seq: 9, Type: syncproto.ChangeTemplate, Payload: []byte(`{"key":"remind","text":"请取件"}`)},
		{Seq: 10, Type: syncproto.ChangeManifest, Payload: []byte(`{"waybill":"SF1234567890123","carrier":"sf","receiver_phone":"13812345678"}`)},
	}, 1))
	from := filepath.Join(t.TempDir(), "from-hub.cysb")
	require.NoError(t, os.WriteFile(from, changes.Bytes(), 0o600))
	out = mustRun(t, "sync", "import", "--data", dir, from)
	assert.Equal(t, "imported 1 batches: 2 changes applied, 0 skipped (unknown type), 0 refused; down cursor 10\n", out)
	require.NoError(t, os.WriteFile(from, []byte("CYSB garbage"), 0o600))
	r = run(t, "", "sync", "import", "--data", dir, from)
	require.Error(t, r.err)

	// With the hub gone, sync now fails with a code and advice.
	hub.srv.Close()
	r = run(t, "", "sync", "now", "--data", dir)
	require.Error(t, r.err)
	assert.Contains(t, r.err.Error(), "sync failed (network)")
	assert.Contains(t, r.err.Error(), "检查网络")
	out = mustRun(t, "sync", "status", "--data", dir)
	assert.Contains(t, out, "FAILING network")
}

func TestServeSyncs(t *testing.T) {
	clearEnv(t)
	hub := newCmdHub(t, "ST-V0101")
	dir := t.TempDir()
	mustRun(t, "enroll", "--data", dir, "--hub", hub.srv.URL, "--code", "WK-2025-0001")
	mustRun(t, "shelves", "set", "--data", dir, "--shelves", "2")
	t.Setenv("CUNYOU_EDGE_SYNC_INTERVAL", "1s")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	var stdout, stderr syncBuffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Ready: ready}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, []string{"serve", "--data", dir, "--listen", "127.0.0.1:0"}) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("serve returned: %v\n%s", err, stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not listen")
	}
	deadline := time.Now().Add(20 * time.Second)
	for hub.held() < 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	require.Equal(t, 1, hub.held(), "serve uploads the op")

	var st struct {
		Sync struct {
			Enrolled bool   `json:"enrolled"`
			State    string `json:"state"`
		} `json:"sync"`
	}
	for time.Now().Before(deadline) {
		res, err := http.Get("http://" + addr + "/api/v1/status")
		require.NoError(t, err)
		require.NoError(t, json.NewDecoder(res.Body).Decode(&st))
		res.Body.Close()
		if st.Sync.State == "idle" {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	assert.True(t, st.Sync.Enrolled)
	assert.Equal(t, "idle", st.Sync.State)
	res, err := http.Get("http://" + addr + "/metrics")
	require.NoError(t, err)
	metrics, _ := io.ReadAll(res.Body)
	res.Body.Close()
	assert.Contains(t, string(metrics), "cunyou_edge_outbox_backlog 0\n")

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
	assert.Contains(t, stderr.String(), "sync started")
	assert.Contains(t, stderr.String(), "sync stopped")
}

// syncBuffer is a bytes.Buffer safe for the goroutines of serve.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
