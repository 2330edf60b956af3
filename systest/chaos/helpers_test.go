package chaos

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// bigSize is what the upstream's /big route answers.
const bigSize = 64 << 10

// upstream stands in for the hub: it counts requests, notes the order of
// their X-Test-Id headers and echoes bodies; /big answers bigSize bytes,
// /empty answers 204.
type upstream struct {
	*httptest.Server
	count atomic.Int64
	mu    sync.Mutex
	ids   []string
}

func newUpstream(t *testing.T) *upstream {
	t.Helper()
	u := &upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		n := u.count.Add(1)
		u.mu.Lock()
		u.ids = append(u.ids, r.Header.Get("X-Test-Id"))
		u.mu.Unlock()
		w.Header().Set("X-Count", strconv.FormatInt(n, 10))
		w.Header().Set("X-Query", r.URL.RawQuery)
		switch r.URL.Path {
		case "/big":
			_, _ = w.Write(bytes.Repeat([]byte("x"), bigSize))
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
		default:
			_, _ = w.Write(body)
		}
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) order() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.ids...)
}

// newProxy starts a proxy in front of u and closes it at the end of the
// test, checking that none of its goroutines is left.
func newProxy(t *testing.T, u *upstream, seed uint64, f Faults) *Proxy {
	t.Helper()
	p, err := New(Config{Upstream: u.URL, Seed: seed, Faults: f, Logf: t.Logf})
	require.NoError(t, err)
	t.Cleanup(func() {
		require.NoError(t, p.Close())
		assertNoProxyGoroutines(t)
		if t.Failed() {
			t.Log(p.Report())
		}
	})
	return p
}

// newClient is a client that opens a new connection for every request,
// so that the transport never retries a request on its own.
func newClient(t *testing.T) *http.Client {
	t.Helper()
	tr := &http.Transport{Proxy: nil, DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: time.Minute}
}

// result is what a client got; err is the first error of the call or of
// reading the body.
type result struct {
	status int
	header http.Header
	body   []byte
	err    error
}

// call makes one request; it is safe in any goroutine.
func call(c *http.Client, method, url, id string, body []byte) result {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return result{err: err}
	}
	req.Header.Set("X-Test-Id", id)
	resp, err := c.Do(req)
	if err != nil {
		return result{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return result{status: resp.StatusCode, header: resp.Header, body: b, err: err}
}

// assertNoProxyGoroutines fails if a goroutine runs the package's own
// (non-test) code.
func assertNoProxyGoroutines(t *testing.T) {
	t.Helper()
	// A handler may still be returning (its deferred log line) just after
	// Close: give the goroutines a moment to end before calling one left.
	var left []string
	for deadline := time.Now().Add(5 * time.Second); ; {
		left = left[:0]
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		for _, g := range strings.Split(string(buf), "\n\n") {
			for _, line := range strings.Split(g, "\n") {
				if strings.Contains(line, "/systest/chaos/") && !strings.Contains(line, "_test.go:") {
					left = append(left, g)
					break
				}
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, g := range left {
		t.Errorf("goroutine left running:\n%s", g)
	}
}

// stats are the proxy's counters once the requests in flight are done.
func stats(t *testing.T, p *Proxy) Stats {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, p.WaitIdle(ctx))
	return p.Stats()
}

// entries is the proxy's log once the requests in flight are done.
func entries(t *testing.T, p *Proxy) []Entry {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, p.WaitIdle(ctx))
	return p.Log()
}
