package public

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Limits bound how fast one client may query. Zero fields take the
// defaults (DefaultLimits).
type Limits struct {
	// MineTries is how many My parcels queries one client address may
	// make in MineWindow, right or wrong.
	MineTries  int
	MineWindow time.Duration
	// PhoneFails is how many wrong proofs for one phone number, from any
	// address, within PhoneWindow lock the number for PhoneLock.
	PhoneFails  int
	PhoneWindow time.Duration
	PhoneLock   time.Duration
	// TrackTries is how many waybill lookups one client address may make
	// in TrackWindow.
	TrackTries  int
	TrackWindow time.Duration
	// MaxKeys bounds the addresses and phone numbers remembered by each
	// limit. When it is full of live entries a new client is refused (the
	// limits fail closed rather than forget an attacker).
	MaxKeys int
}

// DefaultLimits: 10 My parcels queries per address per 10 minutes; 5
// wrong proofs per phone per hour, then an hour's lock; 120 waybill
// lookups per address per 10 minutes.
var DefaultLimits = Limits{
	MineTries: 10, MineWindow: 10 * time.Minute,
	PhoneFails: 5, PhoneWindow: time.Hour, PhoneLock: time.Hour,
	TrackTries: 120, TrackWindow: 10 * time.Minute,
	MaxKeys: 200_000,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.MineTries <= 0 {
		l.MineTries = d.MineTries
	}
	if l.MineWindow <= 0 {
		l.MineWindow = d.MineWindow
	}
	if l.PhoneFails <= 0 {
		l.PhoneFails = d.PhoneFails
	}
	if l.PhoneWindow <= 0 {
		l.PhoneWindow = d.PhoneWindow
	}
	if l.PhoneLock <= 0 {
		l.PhoneLock = d.PhoneLock
	}
	if l.TrackTries <= 0 {
		l.TrackTries = d.TrackTries
	}
	if l.TrackWindow <= 0 {
		l.TrackWindow = d.TrackWindow
	}
	if l.MaxKeys <= 0 {
		l.MaxKeys = d.MaxKeys
	}
	return l
}

// window counts events per key over a sliding window: at most max in any
// span of per.
type window struct {
	max     int
	per     time.Duration
	maxKeys int

	mu    sync.Mutex
	hits  map[string][]time.Time // oldest first, at most max
	swept time.Time
}

func newWindow(max int, per time.Duration, maxKeys int) *window {
	return &window{max: max, per: per, maxKeys: maxKeys, hits: map[string][]time.Time{}}
}

// live drops key's hits older than the window.
func (w *window) live(key string, now time.Time) []time.Time {
	hs := w.hits[key]
	i := 0
	for i < len(hs) && now.Sub(hs[i]) >= w.per {
		i++
	}
	if i == len(hs) {
		delete(w.hits, key)
		return nil
	}
	hs = hs[i:]
	w.hits[key] = hs
	return hs
}

// sweep forgets every key with no live hit, at most once a minute unless
// the table is full.
func (w *window) sweep(now time.Time) {
	if now.Sub(w.swept) < time.Minute && len(w.hits) < w.maxKeys {
		return
	}
	w.swept = now
	for k := range w.hits {
		w.live(k, now)
	}
}

// take records an event for key if the window allows it; otherwise it
// says how long until it would.
func (w *window) take(key string, now time.Time) (bool, time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.sweep(now)
	hs := w.live(key, now)
	if len(hs) >= w.max {
		return false, w.per - now.Sub(hs[0])
	}
	if hs == nil && len(w.hits) >= w.maxKeys {
		return false, w.per
	}
	w.hits[key] = append(hs, now)
	return true, 0
}

// count is key's live hits.
func (w *window) count(key string, now time.Time) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.live(key, now))
}

// forget drops key.
func (w *window) forget(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.hits, key)
}

// phoneGuard locks a phone number after too many wrong proofs.
type phoneGuard struct {
	fails *window
	lock  time.Duration

	mu     sync.Mutex
	locked map[string]time.Time // phone → locked until
}

func newPhoneGuard(l Limits) *phoneGuard {
	return &phoneGuard{fails: newWindow(l.PhoneFails, l.PhoneWindow, l.MaxKeys), lock: l.PhoneLock, locked: map[string]time.Time{}}
}

// lockedFor says how long phone stays locked (0: not locked).
func (g *phoneGuard) lockedFor(phone string, now time.Time) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	until, ok := g.locked[phone]
	if !ok {
		return 0
	}
	if !now.Before(until) {
		delete(g.locked, phone)
		return 0
	}
	return until.Sub(now)
}

// fail records a wrong proof; it reports whether this one locked the
// phone.
func (g *phoneGuard) fail(phone string, now time.Time) bool {
	// A full table refuses to record: lock then, rather than forget.
	if ok, _ := g.fails.take(phone, now); ok && g.fails.count(phone, now) < g.fails.max {
		return false
	}
	g.fails.forget(phone)
	g.mu.Lock()
	defer g.mu.Unlock()
	for p, until := range g.locked { // locks are rare: sweep them here
		if !now.Before(until) {
			delete(g.locked, p)
		}
	}
	g.locked[phone] = now.Add(g.lock)
	return true
}

// succeed clears phone's wrong proofs.
func (g *phoneGuard) succeed(phone string) { g.fails.forget(phone) }

// clientKey names the client for the limits: its address, or the /64
// network of an IPv6 address (one subscriber's whole prefix). Behind a
// trusted proxy the address comes from X-Forwarded-For: the right-most
// entry that is not itself a trusted proxy.
func clientKey(r *http.Request, trusted []netip.Prefix) string {
	addr := remoteAddr(r.RemoteAddr)
	if addr.IsValid() && isTrusted(addr, trusted) {
		hops := r.Header.Values("X-Forwarded-For")
		var list []string
		for _, h := range hops {
			list = append(list, strings.Split(h, ",")...)
		}
		for i := len(list) - 1; i >= 0; i-- {
			a, err := netip.ParseAddr(strings.TrimSpace(list[i]))
			if err != nil {
				break
			}
			a = a.Unmap()
			addr = a
			if !isTrusted(a, trusted) {
				break
			}
		}
	}
	if !addr.IsValid() {
		return r.RemoteAddr
	}
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}

func remoteAddr(s string) netip.Addr {
	host, _, err := net.SplitHostPort(s)
	if err != nil {
		host = s
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
