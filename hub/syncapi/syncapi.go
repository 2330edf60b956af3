// Package syncapi is the hub's end of the sync protocol over HTTP
// (syncproto/api.go): enrollment, hello, ops upload, downstream changes
// and resumable blob uploads, with bearer-token authentication, load
// shedding, health and Prometheus metrics. The console's station list
// (GET /api/v1/stations) is hub/openapi's.
package syncapi

import (
	"bufio"
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"

	"cunyou/hub/merge"
	"cunyou/hub/store"
	"cunyou/syncproto"
)

// Options configure a Server.
type Options struct {
	// MaxMerges bounds concurrent merges (merge.DefaultSlots when 0); an
	// upload waits up to MergeWait for one, then gets 503 busy.
	MaxMerges int
	MergeWait time.Duration
	// MaxUploads bounds ops uploads in progress, reading or merging (64
	// when 0); past it an upload gets 503 busy before its body is read.
	MaxUploads int
	// MaxBatchBytes bounds an ops upload's body (32 MiB when 0).
	MaxBatchBytes int64
	// MaxBlobBytes bounds a blob (32 MiB when 0).
	MaxBlobBytes int64
	// MetricsToken, when set, is the bearer token /metrics requires (the
	// scraper's authorization); empty leaves /metrics open.
	MetricsToken string
	// Version is the hub's version, shown by /healthz.
	Version string
	// Log receives errors and notable events; discarded when nil.
	Log *slog.Logger
}

// Server serves the sync API.
type Server struct {
	st      *store.Store
	m       *merge.Merger
	o       Options
	log     *slog.Logger
	merges  *merge.Slots
	uploads *merge.Slots
	enroll  enrollGuard
	started time.Time

	busyTotal atomic.Int64
	rejMu     sync.Mutex
	rejected  map[syncproto.Code]int64
}

// New returns a server on st and m.
func New(st *store.Store, m *merge.Merger, o Options) *Server {
	if o.MaxUploads <= 0 {
		o.MaxUploads = 64
	}
	if o.MaxBatchBytes <= 0 {
		o.MaxBatchBytes = 32 << 20
	}
	if o.MaxBlobBytes <= 0 {
		o.MaxBlobBytes = 32 << 20
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{
		st: st, m: m, o: o, log: log,
		merges:   merge.NewSlots(o.MaxMerges),
		uploads:  merge.NewSlots(max(o.MaxUploads, o.MaxMerges)),
		enroll:   enrollGuard{fails: map[string]*enrollFails{}},
		started:  st.Now(),
		rejected: map[syncproto.Code]int64{},
	}
}

// Merges returns the merge slots (tests hold them to make the hub busy).
func (s *Server) Merges() *merge.Slots { return s.merges }

// Handler returns the HTTP handler with every route.
func (s *Server) Handler() http.Handler {
	r := chi.NewRouter()
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, protoErr(syncproto.CodeNotFound, "no route "+r.URL.Path))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusMethodNotAllowed, syncproto.NewErrorBody(protoErr(syncproto.CodeNotFound, r.Method+" not allowed on "+r.URL.Path)))
	})
	r.Get("/healthz", s.healthz)
	r.With(s.authMetrics).Get("/metrics", s.metrics)
	r.Post(syncproto.PathEnroll, s.enrollNode)
	r.Group(func(r chi.Router) {
		r.Use(s.authNode)
		r.Post(syncproto.PathHello, s.hello)
		r.Post(syncproto.PathOps, s.ops)
		r.Get(syncproto.PathChanges, s.changes)
		r.Head(syncproto.PathBlobs+"{sha}", s.blobHead)
		r.Patch(syncproto.PathBlobs+"{sha}", s.blobPatch)
	})
	return r
}

type ctxKey struct{}

// nodeOf returns the authenticated node of a request.
func nodeOf(r *http.Request) store.Node { return r.Context().Value(ctxKey{}).(store.Node) }

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// authNode admits requests carrying the token of an enrolled, enabled
// node.
func (s *Server) authNode(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := bearer(r)
		if tok == "" {
			s.writeError(w, r, protoErr(syncproto.CodeUnauthorized, "no credentials: send Authorization: Bearer TOKEN from enrollment"))
			return
		}
		n, err := s.st.Authenticate(r.Context(), tok)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, n)))
	})
}

// authMetrics admits scrapers carrying the metrics token, when one is set.
func (s *Server) authMetrics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.o.MetricsToken != "" && subtle.ConstantTimeCompare([]byte(bearer(r)), []byte(s.o.MetricsToken)) != 1 {
			s.writeError(w, r, protoErr(syncproto.CodeUnauthorized, "metrics token required"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if err := s.st.DB().PingContext(r.Context()); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"ok": true, "version": s.o.Version, "proto": syncproto.ProtoVersion, "min_proto": syncproto.MinProtoVersion,
		"envelope": syncproto.EnvelopeVersion, "schema": store.SchemaVersion(),
		"merges_in_flight": s.merges.InUse(), "max_merges": s.merges.Cap(),
	})
}

// readJSON decodes a small JSON body into v.
func readJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return protoErr(syncproto.CodeTooLarge, "request body too large")
		}
		return protoErr(syncproto.CodeBadOp, "bad JSON body: "+err.Error())
	}
	return nil
}

func (s *Server) enrollNode(w http.ResponseWriter, r *http.Request) {
	ip := clientIP(r)
	if wait := s.enroll.blocked(ip, s.st.Now()); wait > 0 {
		s.busyTotal.Add(1)
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		writeJSON(w, http.StatusTooManyRequests, syncproto.ErrorBody{Code: syncproto.CodeBusy, Name: syncproto.CodeBusy.String(),
			Message: "too many wrong enrollment codes from this address; wait", RetryAfterMs: wait.Milliseconds()})
		return
	}
	var req syncproto.EnrollRequest
	if err := readJSON(w, r, 4<<10, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	n, token, err := s.st.Enroll(r.Context(), req.Code, req.Node, req.Software)
	if err != nil {
		if errors.Is(err, store.ErrEnrollCode) {
			s.enroll.fail(ip, s.st.Now())
			s.log.Warn("enrollment refused", "remote", ip)
		}
		s.writeError(w, r, err)
		return
	}
	s.log.Info("node enrolled", "node", n.ID, "kind", n.Kind, "software", req.Software, "remote", ip)
	writeJSON(w, http.StatusOK, syncproto.EnrollResponse{Node: n.ID, Kind: n.Kind, Name: n.Name, Token: token})
}

func (s *Server) hello(w http.ResponseWriter, r *http.Request) {
	n := nodeOf(r)
	var h syncproto.Hello
	if err := readJSON(w, r, 64<<10, &h); err != nil {
		s.writeError(w, r, err)
		return
	}
	if h.Node != "" && h.Node != n.ID {
		s.writeError(w, r, protoErr(syncproto.CodeWrongNode, "hello of node "+h.Node+" with the token of "+n.ID))
		return
	}
	v, err := syncproto.Negotiate(h.MinProto, h.Proto)
	if err != nil {
		s.log.Warn("hello: no common protocol", "node", n.ID, "software", h.Software, "min_proto", h.MinProto, "proto", h.Proto)
		s.writeError(w, r, err)
		return
	}
	now := s.st.Now()
	var skew time.Duration
	if h.TimeMs > 0 {
		skew = time.Duration(h.TimeMs-now.UnixMilli()) * time.Millisecond
	}
	if err := s.st.RecordHello(r.Context(), n.ID, h.Software, skew, h.Health); err != nil {
		s.writeError(w, r, err)
		return
	}
	if skew > syncproto.DefaultMaxSkew || skew < -syncproto.DefaultMaxSkew {
		s.log.Warn("node clock off", "node", n.ID, "skew", skew.Round(time.Second))
	}
	all, err := s.st.Cursors(r.Context(), n.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	cursors := make(map[string]uint64, len(h.Incarnations))
	for _, inc := range h.Incarnations {
		cursors[inc] = all[inc]
	}
	seq, err := s.st.ChangesSeq(r.Context(), n.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, syncproto.Welcome{Proto: v, HubTimeMs: now.UnixMilli(), Cursors: cursors, ChangesSeq: seq})
}

func (s *Server) reject(code syncproto.Code) {
	s.rejMu.Lock()
	s.rejected[code]++
	s.rejMu.Unlock()
}

// ops takes an upload slot before reading the body (a node told to come
// back has sent little), reads the body, waits up to MergeWait for a merge
// slot, then decodes and merges the batch.
func (s *Server) ops(w http.ResponseWriter, r *http.Request) {
	n := nodeOf(r)
	if !s.uploads.Acquire(r.Context(), 0) {
		s.busyTotal.Add(1)
		s.reject(syncproto.CodeBusy)
		s.writeError(w, r, busy("the hub is receiving too many uploads; retry after the time given"))
		return
	}
	defer s.uploads.Release()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.o.MaxBatchBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.reject(syncproto.CodeTooLarge)
			s.writeError(w, r, protoErr(syncproto.CodeTooLarge, "batch larger than "+strconv.FormatInt(s.o.MaxBatchBytes, 10)+" bytes: send smaller batches"))
			return
		}
		s.log.Info("ops upload cut", "node", n.ID, "err", err)
		s.writeError(w, r, protoErr(syncproto.CodeBadBatch, "upload cut short: "+err.Error()))
		return
	}
	if !s.merges.Acquire(r.Context(), s.o.MergeWait) {
		s.busyTotal.Add(1)
		s.reject(syncproto.CodeBusy)
		s.writeError(w, r, busy("the hub is merging other stations' ops; retry after the time given"))
		return
	}
	defer s.merges.Release()
	br := bufio.NewReader(bytes.NewReader(body))
	b, err := syncproto.ReadBatch(br)
	if err == nil {
		if _, more := br.Peek(1); more == nil {
			err = protoErr(syncproto.CodeBadBatch, "data after the batch: send one batch per request")
		}
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = protoErr(syncproto.CodeBadBatch, "empty body: send one ops batch")
		}
		code := syncproto.CodeOf(err)
		if !syncproto.IsBadBatch(err) {
			code = syncproto.CodeBadBatch
			err = protoErr(code, err.Error())
		}
		s.reject(code)
		s.log.Warn("ops batch refused", "node", n.ID, "code", code, "err", err)
		s.writeError(w, r, err)
		return
	}
	res, err := s.m.Apply(r.Context(), n.ID, b)
	if err != nil {
		s.reject(syncproto.CodeOf(err))
		s.writeError(w, r, err)
		return
	}
	s.log.Debug("ops merged", "node", n.ID, "inc", res.Incarnation, "acked", res.AckedSeq, "applied", res.Applied,
		"duplicates", res.Duplicates, "quarantined", res.Quarantined, "dead_lettered", res.DeadLettered)
	writeJSON(w, http.StatusOK, res)
}

// Changes limits.
const (
	DefaultChangesLimit = 500
	MaxChangesLimit     = 5000
)

func (s *Server) changes(w http.ResponseWriter, r *http.Request) {
	n := nodeOf(r)
	q := r.URL.Query()
	var after uint64
	limit := DefaultChangesLimit
	if v := q.Get("after"); v != "" {
		a, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			s.writeError(w, r, protoErr(syncproto.CodeBadOp, "after must be a change seq"))
			return
		}
		after = a
	}
	if v := q.Get("limit"); v != "" {
		l, err := strconv.Atoi(v)
		if err != nil || l < 1 {
			s.writeError(w, r, protoErr(syncproto.CodeBadOp, "limit must be a positive number"))
			return
		}
		limit = min(l, MaxChangesLimit)
	}
	ch, err := s.st.Changes(r.Context(), n.ID, after, limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.st.RecordChangesAfter(r.Context(), n.ID, after, n.ChangesAfter); err != nil {
		s.log.Warn("record changes cursor", "node", n.ID, "err", err)
	}
	var buf bytes.Buffer
	if err := syncproto.WriteChanges(&buf, n.ID, ch, s.st.Now().UnixMilli()); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Write(buf.Bytes())
}

func (s *Server) blobHead(w http.ResponseWriter, r *http.Request) {
	st, size, err := s.st.BlobStatus(r.Context(), chi.URLParam(r, "sha"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Upload-Offset", strconv.FormatInt(st.Offset, 10))
	if size > 0 {
		w.Header().Set("Upload-Length", strconv.FormatInt(size, 10))
	}
	w.Header().Set("Upload-Complete", strconv.FormatBool(st.Complete))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

func (s *Server) blobPatch(w http.ResponseWriter, r *http.Request) {
	n := nodeOf(r)
	offset, err1 := strconv.ParseInt(r.Header.Get("Upload-Offset"), 10, 64)
	length, err2 := strconv.ParseInt(r.Header.Get("Upload-Length"), 10, 64)
	if err1 != nil || err2 != nil || offset < 0 {
		s.writeError(w, r, protoErr(syncproto.CodeBadOp, "give the headers Upload-Offset and Upload-Length"))
		return
	}
	sha := chi.URLParam(r, "sha")
	st, err := s.st.AppendBlob(r.Context(), n.ID, sha, offset, length, s.o.MaxBlobBytes, r.Body)
	if err != nil {
		if errors.Is(err, store.ErrBlobMismatch) {
			s.log.Warn("blob discarded: content does not match its name", "node", n.ID, "sha256", sha)
		}
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Upload-Offset", strconv.FormatInt(st.Offset, 10))
	writeJSON(w, http.StatusOK, st)
}

// clientIP is the remote address without its port.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// enrollGuard slows guessing of enrollment codes: after enrollMaxFails
// wrong codes from one address within enrollWindow, that address waits out
// the rest of the window.
type enrollGuard struct {
	mu    sync.Mutex
	fails map[string]*enrollFails
}

type enrollFails struct {
	n     int
	since time.Time
}

const (
	enrollMaxFails = 10
	enrollWindow   = 10 * time.Minute
)

func (g *enrollGuard) blocked(ip string, now time.Time) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	f := g.fails[ip]
	if f == nil {
		return 0
	}
	if now.Sub(f.since) >= enrollWindow {
		delete(g.fails, ip)
		return 0
	}
	if f.n < enrollMaxFails {
		return 0
	}
	return enrollWindow - now.Sub(f.since)
}

func (g *enrollGuard) fail(ip string, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.fails) > 10000 {
		for k, f := range g.fails { // forget stale addresses
			if now.Sub(f.since) >= enrollWindow {
				delete(g.fails, k)
			}
		}
	}
	f := g.fails[ip]
	if f == nil || now.Sub(f.since) >= enrollWindow {
		f = &enrollFails{since: now}
		g.fails[ip] = f
	}
	f.n++
}
