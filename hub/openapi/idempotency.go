package openapi

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"sync"

	"cunyou/hub/store"
)

// IdempotencyHeader carries the client's key for a write; the answer to a
// repeat says so in ReplayedHeader.
const (
	IdempotencyHeader = "Idempotency-Key"
	ReplayedHeader    = "Idempotent-Replayed"
	maxIdempotencyKey = 200
)

// answer is what a write handler answers: a status and a JSON body
// (problem+json from 400 on).
type answer struct {
	status int
	body   []byte
	header http.Header // not stored: a replay sends status and body only
}

func ok(status int, v any) answer { return answer{status: status, body: mustJSON(v)} }

func (s *Server) failed(r *http.Request, err error) answer {
	ae, p := problemOf(r, err)
	if p.Code == CodeInternal {
		s.log.Error("open api", "method", r.Method, "route", routeOf(r), "err", err)
	}
	return answer{status: p.Status, body: mustJSON(p), header: retryHeader(ae.retryAfter)}
}

// inFlight holds the idempotency keys whose first request is running.
type inFlight struct {
	mu   sync.Mutex
	keys map[string]bool
}

func (f *inFlight) start(k string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.keys[k] {
		return false
	}
	f.keys[k] = true
	return true
}

func (f *inFlight) done(k string) {
	f.mu.Lock()
	delete(f.keys, k)
	f.mu.Unlock()
}

// once runs a write under the request's Idempotency-Key, if it has one.
// fingerprint is what makes two requests the same (the body; for a file
// upload its name and bytes, as multipart boundaries differ between
// retries). The same key with the same method, path and fingerprint
// replays the stored answer; with another request it is a conflict.
// Answers of 429 and 5xx are not stored: the request may be retried.
func (s *Server) once(w http.ResponseWriter, r *http.Request, fingerprint []byte, run func() answer) {
	key := r.Header.Get(IdempotencyHeader)
	if key == "" {
		s.write(w, run())
		return
	}
	if len(key) > maxIdempotencyKey || !printable(key) {
		s.writeProblem(w, r, problem(CodeBadIdempotencyKey, "use 1-%d printable ASCII characters (a UUID is good)", maxIdempotencyKey))
		return
	}
	c := callerOf(r)
	h := sha256.New()
	h.Write([]byte(r.Method + " " + r.URL.Path + "\n"))
	h.Write(fingerprint)
	hash := hex.EncodeToString(h.Sum(nil))

	flight := c.owner() + "\x00" + key
	if !s.flight.start(flight) {
		w.Header().Set("Retry-After", "1")
		s.writeProblem(w, r, problem(CodeIdempotencyPending, "a request with this key is still running; retry in a moment"))
		return
	}
	defer s.flight.done(flight)
	prev, found, err := s.st.Idempotent(r.Context(), c.owner(), key)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	if found {
		if prev.RequestHash != hash {
			s.writeProblem(w, r, problem(CodeIdempotencyConflict,
				"this key was used within %s for another request; use a new key for a new request", store.IdemTTL))
			return
		}
		s.write(w, answer{status: prev.Status, body: prev.Body, header: http.Header{ReplayedHeader: {"true"}}})
		return
	}
	a := run()
	if a.status != http.StatusTooManyRequests && a.status < 500 {
		if err := s.st.RememberIdempotent(r.Context(), c.owner(), key, store.Idem{RequestHash: hash, Status: a.status, Body: a.body}); err != nil {
			s.log.Warn("open api: remember idempotent answer", "client", c.id, "err", err)
		}
	}
	s.write(w, a)
}

func (s *Server) write(w http.ResponseWriter, a answer) { writeAnswer(w, a.status, a.body, a.header) }

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
