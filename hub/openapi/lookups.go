package openapi

import (
	"context"
	"crypto/sha256"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"cunyou/hub/store"
)

// The lookup path at county scale (DESIGN §7: ≥ 15k lookups a second on
// 2 cores; hub/trackbench measures it). Profiled on the 10M county, a
// GET /api/v1/parcels/{waybill} spent most of its time preparing the
// timeline's statement and reading pages through a small cache per
// connection, and every request looked its API key up in the database.
// So: the tracking reads go through store.Lookups (statements prepared
// once, the parcel and its timeline in one statement, no goroutines to
// watch a request's cancellation, a read pool of its own sized for the
// cores, with a page cache that holds the B-trees' upper levels and the
// file mapped into memory), a client's authentication is remembered for
// AuthCacheTTL, and the answer is written by hand into a pooled buffer
// (encode.go).

// AuthCacheTTL is how long the server remembers that an API key belongs
// to an enabled client. A client disabled (`cunyou-hub client disable`)
// is refused within this time; an unknown or revoked key is never
// remembered, so a new client is let in at once.
const AuthCacheTTL = 5 * time.Second

// lookups returns the server's prepared lookups, opening them the first
// time they are needed.
func (s *Server) lookups(ctx context.Context) (*store.Lookups, error) {
	if lk := s.lk.Load(); lk != nil {
		return lk, nil
	}
	s.lkMu.Lock()
	defer s.lkMu.Unlock()
	if lk := s.lk.Load(); lk != nil {
		return lk, nil
	}
	if s.closed {
		return nil, problem(CodeUnavailable, "the server is shutting down")
	}
	lk, err := s.st.OpenLookups(ctx, store.LookupOptions{})
	if err != nil {
		return nil, err
	}
	s.lk.Store(lk)
	return lk, nil
}

// Close releases the read pool of the server's lookups. Call it after the
// HTTP server stopped, before the store is closed.
func (s *Server) Close() error {
	s.lkMu.Lock()
	defer s.lkMu.Unlock()
	s.closed = true
	if lk := s.lk.Swap(nil); lk != nil {
		return lk.Close()
	}
	return nil
}

// authCache remembers enabled clients by the SHA-256 of their key (the
// keys themselves are not kept) for AuthCacheTTL of the server's clock.
type authCache struct {
	mu      sync.RWMutex
	clients map[[sha256.Size]byte]authEntry
}

type authEntry struct {
	client store.Client
	until  time.Time
}

// client returns the client holding key: remembered, or from the store
// (and then remembered).
func (a *authCache) client(ctx context.Context, st *store.Store, key string, now time.Time) (store.Client, error) {
	h := sha256.Sum256([]byte(key))
	a.mu.RLock()
	e, ok := a.clients[h]
	a.mu.RUnlock()
	if ok && now.Before(e.until) {
		return e.client, nil
	}
	cl, err := st.AuthClient(ctx, key)
	if err != nil {
		return cl, err
	}
	a.mu.Lock()
	if a.clients == nil || len(a.clients) > 10000 {
		a.clients = map[[sha256.Size]byte]authEntry{} // forget keys of expired entries
	}
	a.clients[h] = authEntry{client: cl, until: now.Add(AuthCacheTTL)}
	a.mu.Unlock()
	return cl, nil
}

// lookupState is the server's share of the lookup path.
type lookupState struct {
	lkMu   sync.Mutex
	lk     atomic.Pointer[store.Lookups]
	closed bool
	auth   authCache
}

// maskCode hides the pickup code of an inbound fact's detail ("code
// 1-2-0001 shelf 1-2" → "code **** shelf 1-2"): what the regular
// expression `^code \S+` replaced by "code ****" did, without one.
func maskCode(detail string) string {
	const prefix = "code "
	if !strings.HasPrefix(detail, prefix) {
		return detail
	}
	end := len(prefix)
	for end < len(detail) && !isSpaceRE2(detail[end]) {
		end++
	}
	if end == len(prefix) {
		return detail // \S+ needs one character at least
	}
	return prefix + "****" + detail[end:]
}

// isSpaceRE2 is RE2's \s: tab, newline, form feed, carriage return and
// space. Every other byte (a byte of a multi-byte character too) is \S.
func isSpaceRE2(b byte) bool { return b == '\t' || b == '\n' || b == '\f' || b == '\r' || b == ' ' }
