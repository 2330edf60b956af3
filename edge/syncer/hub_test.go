package syncer_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"cunyou/syncproto"
)

// fakeHub is a hub in memory behind a real HTTP server, speaking the routes
// and types of syncproto/api.go as the real hub does: ops inserted only
// right after the cursor (else 409 gap with the cursor), changes by
// cursor, blobs by offset. Knobs make it fail the ways a hub and a link
// fail.
type fakeHub struct {
	t     *testing.T
	srv   *httptest.Server
	node  string
	kind  syncproto.NodeKind
	token string
	code  string // the one-time enrollment code

	mu      sync.Mutex
	ops     map[string][]syncproto.Op // per incarnation, seq i+1 at index i
	changes []syncproto.Change
	blobs   map[string][]byte
	done    map[string]bool // blobs received whole and verified
	hellos  []syncproto.Hello
	batches []hubBatch // every ops batch received, in order
	patches []int64    // the offset of every blob chunk received
	skew    time.Duration

	// Knobs: each counts the calls to answer so.
	busy          int           // /ops answers 503 busy
	busyFor       time.Duration // …asking to retry after this
	fail          int           // /ops answers 500
	hangOps       int           // /ops hangs until the caller gives up
	commitNoReply int           // /ops stores the batch, then fails: the ack is lost
	staleHello    int           // hello reports cursor 0 for every incarnation
	failPatchAt   map[int64]int // a chunk at this offset answers 500, storing nothing
	release       chan struct{}
}

type hubBatch struct {
	inc   string
	first uint64
	n     int
}

const hubToken = "tok-3f9a"

func newFakeHub(t *testing.T, node string) *fakeHub {
	t.Helper()
	h := &fakeHub{t: t, node: node, kind: syncproto.NodeStation, token: hubToken, code: "ENROLL-1",
		ops: map[string][]syncproto.Op{}, blobs: map[string][]byte{}, done: map[string]bool{},
		failPatchAt: map[int64]int{}, release: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+syncproto.PathEnroll, h.enroll)
	mux.HandleFunc("POST "+syncproto.PathHello, h.auth(h.hello))
	mux.HandleFunc("POST "+syncproto.PathOps, h.auth(h.pushOps))
	mux.HandleFunc("GET "+syncproto.PathChanges, h.auth(h.getChanges))
	mux.HandleFunc("HEAD "+syncproto.PathBlobs+"{sha}", h.auth(h.blobHead))
	mux.HandleFunc("PATCH "+syncproto.PathBlobs+"{sha}", h.auth(h.blobPatch))
	h.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		close(h.release)
		h.srv.Close()
	})
	return h
}

func (h *fakeHub) URL() string { return h.srv.URL }

func (h *fakeHub) writeErr(w http.ResponseWriter, status int, code syncproto.Code, msg string, cursor *uint64, retry time.Duration) {
	b := syncproto.ErrorBody{Code: code, Name: code.String(), Message: msg, Cursor: cursor, RetryAfterMs: retry.Milliseconds()}
	if retry > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((retry+time.Second-1)/time.Second)))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(b)
}

func (h *fakeHub) writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func (h *fakeHub) auth(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+h.token {
			h.writeErr(w, http.StatusUnauthorized, syncproto.CodeUnauthorized, "bad token", nil, 0)
			return
		}
		next(w, r)
	}
}

func (h *fakeHub) enroll(w http.ResponseWriter, r *http.Request) {
	var req syncproto.EnrollRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		h.writeErr(w, http.StatusBadRequest, syncproto.CodeBadOp, err.Error(), nil, 0)
		return
	}
	h.mu.Lock()
	ok := req.Code != "" && req.Code == h.code
	h.code = "" // one time
	h.mu.Unlock()
	if !ok {
		h.writeErr(w, http.StatusForbidden, syncproto.CodeEnrollCode, "enrollment code unknown or used", nil, 0)
		return
	}
	h.writeJSON(w, syncproto.EnrollResponse{Node: h.node, Kind: h.kind, Name: "南岗村驿站", Token: h.token})
}

func (h *fakeHub) hello(w http.ResponseWriter, r *http.Request) {
	var req syncproto.Hello
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		h.writeErr(w, http.StatusBadRequest, syncproto.CodeBadOp, err.Error(), nil, 0)
		return
	}
	proto, err := syncproto.Negotiate(req.MinProto, req.Proto)
	if err != nil {
		h.writeErr(w, http.StatusBadRequest, syncproto.CodeUnsupportedVersion, err.Error(), nil, 0)
		return
	}
	if req.Node != h.node {
		h.writeErr(w, http.StatusForbidden, syncproto.CodeWrongNode, "not your node", nil, 0)
		return
	}
	h.mu.Lock()
	h.hellos = append(h.hellos, req)
	stale := h.staleHello > 0
	if stale {
		h.staleHello--
	}
	wel := syncproto.Welcome{Proto: proto, HubTimeMs: time.Now().Add(h.skew).UnixMilli(), Cursors: map[string]uint64{}}
	for _, inc := range req.Incarnations {
		if !stale {
			wel.Cursors[inc] = uint64(len(h.ops[inc]))
		}
	}
	if n := len(h.changes); n > 0 {
		wel.ChangesSeq = h.changes[n-1].Seq
	}
	h.mu.Unlock()
	h.writeJSON(w, wel)
}

func (h *fakeHub) pushOps(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	busy, fail, hang, noReply := h.busy > 0, h.fail > 0, h.hangOps > 0, h.commitNoReply > 0
	switch {
	case busy:
		h.busy--
	case fail:
		h.fail--
	case hang:
		h.hangOps--
	case noReply:
		h.commitNoReply--
	}
	busyFor := h.busyFor
	h.mu.Unlock()
	switch {
	case busy:
		h.writeErr(w, http.StatusServiceUnavailable, syncproto.CodeBusy, "merging", nil, busyFor)
		return
	case fail:
		h.writeErr(w, http.StatusInternalServerError, syncproto.CodeInternal, "disk hiccup", nil, 0)
		return
	case hang:
		select {
		case <-r.Context().Done():
		case <-h.release:
		}
		return
	}
	b, err := syncproto.ReadBatch(http.MaxBytesReader(w, r.Body, 64<<20))
	if err != nil {
		h.writeErr(w, http.StatusBadRequest, syncproto.CodeOf(err), err.Error(), nil, 0)
		return
	}
	if b.Header.Kind != syncproto.BatchOps || b.Header.Node != h.node {
		h.writeErr(w, http.StatusForbidden, syncproto.CodeWrongNode, "ops of another node", nil, 0)
		return
	}
	for _, op := range b.Ops {
		if err := op.Verify(); err != nil {
			h.writeErr(w, http.StatusBadRequest, syncproto.CodeBadBatch, err.Error(), nil, 0)
			return
		}
	}
	inc := b.Header.Incarnation
	h.mu.Lock()
	defer h.mu.Unlock()
	cursor := uint64(len(h.ops[inc]))
	first := uint64(0)
	if len(b.Ops) > 0 {
		first = b.Ops[0].Seq
	}
	h.batches = append(h.batches, hubBatch{inc: inc, first: first, n: len(b.Ops)})
	if len(b.Ops) > 0 && first != cursor+1 {
		h.writeErr(w, http.StatusConflict, syncproto.CodeGap, fmt.Sprintf("batch starts at %d, cursor is %d", first, cursor), &cursor, 0)
		return
	}
	for i, op := range b.Ops {
		if op.Seq != first+uint64(i) {
			h.writeErr(w, http.StatusBadRequest, syncproto.CodeBadBatch, "seq not contiguous", nil, 0)
			return
		}
	}
	h.ops[inc] = append(h.ops[inc], b.Ops...)
	if noReply {
		h.writeErr(w, http.StatusInternalServerError, syncproto.CodeInternal, "connection reset", nil, 0)
		return
	}
	h.writeJSON(w, syncproto.OpsResult{Incarnation: inc, AckedSeq: uint64(len(h.ops[inc])), Applied: len(b.Ops)})
}

func (h *fakeHub) getChanges(w http.ResponseWriter, r *http.Request) {
	after, err1 := strconv.ParseUint(r.URL.Query().Get("after"), 10, 64)
	limit, err2 := strconv.Atoi(r.URL.Query().Get("limit"))
	if err1 != nil || err2 != nil || limit <= 0 {
		h.writeErr(w, http.StatusBadRequest, syncproto.CodeBadOp, "after and limit", nil, 0)
		return
	}
	h.mu.Lock()
	var out []syncproto.Change
	for _, c := range h.changes {
		if c.Seq > after && len(out) < limit {
			out = append(out, c)
		}
	}
	h.mu.Unlock()
	var buf bytes.Buffer
	if err := syncproto.WriteChanges(&buf, h.node, out, time.Now().UnixMilli()); err != nil {
		h.writeErr(w, http.StatusInternalServerError, syncproto.CodeInternal, err.Error(), nil, 0)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Write(buf.Bytes())
}

func (h *fakeHub) blobHead(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	b, ok := h.blobs[r.PathValue("sha")]
	h.mu.Unlock()
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	w.Header().Set("Upload-Offset", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
}

func (h *fakeHub) blobPatch(w http.ResponseWriter, r *http.Request) {
	sha := r.PathValue("sha")
	off, err1 := strconv.ParseInt(r.Header.Get("Upload-Offset"), 10, 64)
	total, err2 := strconv.ParseInt(r.Header.Get("Upload-Length"), 10, 64)
	chunk, err3 := io.ReadAll(r.Body)
	if err1 != nil || err2 != nil || err3 != nil {
		h.writeErr(w, http.StatusBadRequest, syncproto.CodeBadOp, "bad blob chunk", nil, 0)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.patches = append(h.patches, off)
	if h.failPatchAt[off] > 0 {
		h.failPatchAt[off]--
		h.writeErr(w, http.StatusInternalServerError, syncproto.CodeInternal, "cut", nil, 0)
		return
	}
	have := h.blobs[sha]
	if off != int64(len(have)) {
		w.Header().Set("Upload-Offset", strconv.Itoa(len(have)))
		h.writeErr(w, http.StatusConflict, syncproto.CodeBadOp, "wrong offset", nil, 0)
		return
	}
	have = append(have, chunk...)
	if int64(len(have)) > total {
		h.writeErr(w, http.StatusRequestEntityTooLarge, syncproto.CodeTooLarge, "longer than its length", nil, 0)
		return
	}
	h.blobs[sha] = have
	st := syncproto.BlobStatus{SHA256: sha, Offset: int64(len(have))}
	if int64(len(have)) == total {
		sum := sha256.Sum256(have)
		if hex.EncodeToString(sum[:]) != sha {
			delete(h.blobs, sha)
			h.writeErr(w, http.StatusUnprocessableEntity, syncproto.CodeBlobMismatch, "bytes do not hash to the name", nil, 0)
			return
		}
		h.done[sha] = true
		st.Complete = true
	}
	h.writeJSON(w, st)
}

// --- helpers for tests

func (h *fakeHub) set(f func(h *fakeHub)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f(h)
}

// held returns the ops the hub holds for an incarnation.
func (h *fakeHub) held(inc string) []syncproto.Op {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.ops[inc])
}

// restoreTo makes the hub forget an incarnation's ops after seq, as a hub
// restored from an older backup would.
func (h *fakeHub) restoreTo(inc string, seq uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ops[inc] = h.ops[inc][:seq]
}

// get reads the hub's state under its lock.
func get[T any](h *fakeHub, f func(h *fakeHub) T) T {
	h.mu.Lock()
	defer h.mu.Unlock()
	return f(h)
}

func (h *fakeHub) batchLog() []hubBatch {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.batches)
}

func (h *fakeHub) addChange(typ syncproto.ChangeType, payload any) uint64 {
	h.t.Helper()
	raw, err := json.Marshal(payload)
	if err != nil {
		h.t.Fatal(err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	seq := uint64(100)
	if n := len(h.changes); n > 0 {
		seq = h.changes[n-1].Seq + 10 // the hub's change cursor is not dense per node
	}
	h.changes = append(h.changes, syncproto.Change{Seq: seq, Type: typ, Payload: raw})
	return seq
}

// waitFor polls cond until it holds or the test's patience ends.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("gave up waiting for %s", what)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func hubBatchesString(bs []hubBatch) string {
	var parts []string
	for _, b := range bs {
		parts = append(parts, fmt.Sprintf("%s:%d+%d", b.inc[:4], b.first, b.n))
	}
	return strings.Join(parts, " ")
}
