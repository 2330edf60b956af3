package openapi

import (
	"context"
	"crypto/subtle"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"cunyou/hub/auth"
	"cunyou/hub/store"
)

// caller is who sends a request: a client of the open API, the admin
// (the admin token) or a person signed in to the console (a session).
type caller struct {
	id      string // client id, "admin", or the user's name
	carrier string // the only carrier this caller sees; "" for all
	scopes  []string
	// admin: the admin token, or a session whose role sees personal data
	// unmasked (auth.PersonalData). The handlers' own admin checks sit
	// behind the route's permission, checked first (need).
	admin bool
	user  *auth.Identity // a session's user; nil for the others
}

// AdminActor is the actor of the admin's writes (in the parcels'
// timelines) and its key for idempotency.
const AdminActor = "admin"

func (c caller) has(scope string) bool {
	if c.user != nil {
		return c.user.Can(scopePermissions[scope])
	}
	if c.admin {
		return true
	}
	for _, s := range c.scopes {
		if s == scope {
			return true
		}
	}
	return false
}

// actor names the caller in the facts it records.
func (c caller) actor() string {
	if c.user != nil {
		return "user:" + c.user.Username
	}
	if c.admin {
		return AdminActor
	}
	return "api:" + c.id
}

// owner names the caller's idempotency keys: the admin's apart from a
// client's, even one called "admin" ("~" is in no client id).
func (c caller) owner() string {
	if c.user != nil {
		return "~user:" + c.user.Username
	}
	if c.admin {
		return "~" + AdminActor
	}
	return c.id
}

// sees reports whether the caller may see a parcel of carrier.
func (c caller) sees(carrier string) bool { return c.carrier == "" || c.carrier == carrier }

type callerKey struct{}

func callerOf(r *http.Request) caller { return r.Context().Value(callerKey{}).(caller) }

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// authenticate admits the admin token, a console session's token or an
// enabled client's API key, then takes a token from the client's bucket.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := bearer(r)
		if key == "" {
			s.writeProblem(w, r, problem(CodeUnauthorized, "send Authorization: Bearer API_KEY"))
			return
		}
		var c caller
		if s.o.AdminToken != "" && subtle.ConstantTimeCompare([]byte(key), []byte(s.o.AdminToken)) == 1 {
			c = caller{id: AdminActor, admin: true}
		} else if strings.HasPrefix(key, sessionPrefix) && s.o.Auth != nil {
			id, err := s.o.Auth.Session(r.Context(), key)
			if errors.Is(err, auth.ErrSession) {
				s.writeProblem(w, r, problem(CodeUnauthorized, "unknown, expired or revoked session: sign in again"))
				return
			}
			if err != nil {
				s.writeProblem(w, r, err)
				return
			}
			c = caller{id: id.Username, carrier: id.Carrier, admin: id.Can(auth.PersonalData), user: &id}
		} else {
			cl, err := s.auth.client(r.Context(), s.st, key, s.now())
			if errors.Is(err, store.ErrUnauthorized) {
				s.writeProblem(w, r, problem(CodeUnauthorized, "unknown or revoked API key"))
				return
			}
			if err != nil {
				s.writeProblem(w, r, err)
				return
			}
			c = caller{id: cl.ID, carrier: cl.Carrier, scopes: cl.Scopes}
			ok, remaining, wait := s.limits.take(cl.ID, cl.RatePerMin, s.now())
			w.Header().Set("X-RateLimit-Limit", strconv.Itoa(cl.RatePerMin))
			w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
			if !ok {
				secs := int(math.Ceil(wait.Seconds()))
				s.writeProblem(w, r, &apiError{code: CodeRateLimited, retryAfter: secs,
					detail: "over " + strconv.Itoa(cl.RatePerMin) + " requests a minute; retry after the time given"})
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, c)))
	})
}

// need admits callers holding one of scopes (the admin holds all); a
// console session, the permission its route names in routeRules.
func (s *Server) need(scopes ...string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c := callerOf(r)
			if c.user != nil {
				rule, known := ruleOf(r)
				if known && c.user.Can(rule.perm) {
					next.ServeHTTP(w, r)
					return
				}
				s.writeProblem(w, r, problem(CodeInsufficientScope, "the role %s may not do this (%s)", c.user.Role, rule.perm))
				return
			}
			if c.admin {
				next.ServeHTTP(w, r)
				return
			}
			for _, sc := range scopes {
				if c.has(sc) {
					next.ServeHTTP(w, r)
					return
				}
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="cunyou-hub", error="insufficient_scope", scope="`+strings.Join(scopes, " ")+`"`)
			s.writeProblem(w, r, problem(CodeInsufficientScope, "this route needs the scope %s", strings.Join(scopes, " or ")))
		})
	}
}

// limiter holds a token bucket per client: RatePerMin tokens, refilled
// at RatePerMin a minute, one taken per request. In memory: a restart
// fills every bucket.
type limiter struct {
	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time // the last sweep of full buckets
}

type bucket struct {
	tokens float64
	last   time.Time
}

// take takes a token of client's bucket; when there is none, ok is false
// and wait is how long until there is one.
func (l *limiter) take(client string, perMin int, now time.Time) (ok bool, remaining int, wait time.Duration) {
	if perMin <= 0 {
		perMin = 600
	}
	capacity, perSec := float64(perMin), float64(perMin)/60
	l.mu.Lock()
	defer l.mu.Unlock()
	// A bucket untouched for a minute is full again, as good as none:
	// dropped, so that sign-ins from ever new addresses (one bucket each)
	// do not grow the map without end.
	if now.Sub(l.swept) >= time.Minute {
		for k, b := range l.buckets {
			if now.Sub(b.last) >= time.Minute {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b := l.buckets[client]
	if b == nil {
		b = &bucket{tokens: capacity, last: now}
		l.buckets[client] = b
	}
	if dt := now.Sub(b.last).Seconds(); dt > 0 {
		b.tokens = min(capacity, b.tokens+dt*perSec)
		b.last = now
	}
	b.tokens = min(b.tokens, capacity) // the client's rate was lowered
	if b.tokens < 1 {
		return false, 0, time.Duration((1 - b.tokens) / perSec * float64(time.Second))
	}
	b.tokens--
	return true, int(b.tokens), 0
}
