package chaos

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHealthyLinkPassesThrough(t *testing.T) {
	up := newUpstream(t)
	p := newProxy(t, up, 1, Faults{})
	c := newClient(t)

	r := call(c, http.MethodPost, p.URL()+"/sync/v1/ops?x=1", "a", []byte("batch"))
	require.NoError(t, r.err)
	assert.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "batch", string(r.body))
	assert.Equal(t, "x=1", r.header.Get("X-Query"))

	r = call(c, http.MethodGet, p.URL()+"/empty", "b", nil)
	require.NoError(t, r.err)
	assert.Equal(t, http.StatusNoContent, r.status)

	r = call(c, http.MethodHead, p.URL()+"/big", "c", nil)
	require.NoError(t, r.err)
	assert.Equal(t, http.StatusOK, r.status)

	assert.Equal(t, []string{"a", "b", "c"}, up.order())
	s := stats(t, p)
	assert.Equal(t, int64(3), s.Requests)
	assert.Equal(t, int64(3), s.Forwarded)
	assert.Equal(t, int64(3), s.Answered)
	assert.Equal(t, int64(len("batch")), s.BytesUp)
	assert.Equal(t, int64(len("batch")), s.BytesDown)
	log := entries(t, p)
	require.Len(t, log, 3)
	assert.Equal(t, "answered 200", log[0].Outcome)
	assert.False(t, log[0].Faulty())
}

func TestDropRequestNeverReachesUpstream(t *testing.T) {
	up := newUpstream(t)
	p := newProxy(t, up, 1, Faults{DropRequest: 1})
	c := newClient(t)

	r := call(c, http.MethodPost, p.URL()+"/sync/v1/ops", "a", []byte("batch"))
	require.Error(t, r.err)
	assert.Zero(t, up.count.Load())
	s := stats(t, p)
	assert.Equal(t, int64(1), s.DroppedRequests)
	assert.Zero(t, s.Forwarded)
	assert.True(t, entries(t, p)[0].DropRequest)
}

func TestDropResponseAfterUpstreamApplied(t *testing.T) {
	up := newUpstream(t)
	p := newProxy(t, up, 5, Faults{DropResponse: 1})
	c := newClient(t)
	body := bytes.Repeat([]byte("op"), 512)

	const n = 12
	for i := range n {
		before := up.count.Load()
		r := call(c, http.MethodPost, p.URL()+"/sync/v1/ops", "a", body)
		require.Error(t, r.err, "request %d", i+1)
		assert.Equal(t, before+1, up.count.Load(), "request %d reached upstream once", i+1)
	}
	var silent, partial int
	for _, e := range entries(t, p) {
		require.True(t, e.DropResponse)
		assert.Equal(t, http.StatusOK, e.Status)
		if e.Silent {
			silent++
		} else {
			partial++
		}
	}
	assert.Positive(t, silent, "some answers withheld whole")
	assert.Positive(t, partial, "some answers cut part way")
	assert.Equal(t, int64(n), stats(t, p).DroppedResponses)
}

func TestTruncateCutsTheBody(t *testing.T) {
	up := newUpstream(t)
	p := newProxy(t, up, 1, Faults{Truncate: 1})
	c := newClient(t)
	body := bytes.Repeat([]byte("0123456789"), 1000)

	r := call(c, http.MethodPost, p.URL()+"/sync/v1/ops", "a", body)
	assert.Equal(t, http.StatusOK, r.status)
	require.ErrorIs(t, r.err, io.ErrUnexpectedEOF)
	assert.Less(t, len(r.body), len(body))
	assert.True(t, bytes.HasPrefix(body, r.body), "what arrived is a prefix of the answer")
	assert.Equal(t, int64(1), up.count.Load())
	assert.Equal(t, int64(1), stats(t, p).Truncated)
	assert.Equal(t, int64(len(r.body)), stats(t, p).BytesDown)

	// No body to cut: the head is cut instead, still an error.
	r = call(c, http.MethodGet, p.URL()+"/empty", "b", nil)
	require.Error(t, r.err)
}

func TestDuplicateSendsTwice(t *testing.T) {
	up := newUpstream(t)
	p := newProxy(t, up, 9, Faults{Duplicate: 1})
	c := newClient(t)

	const n = 8
	for i := range n {
		r := call(c, http.MethodPost, p.URL()+"/sync/v1/ops", "a", []byte("batch"))
		require.NoError(t, r.err)
		assert.Equal(t, "batch", string(r.body))
		assert.Equal(t, int64(2*(i+1)), up.count.Load())
	}
	var parallel int
	for _, e := range entries(t, p) {
		require.True(t, e.Duplicate)
		if e.DupParallel {
			parallel++
		}
	}
	assert.Positive(t, parallel, "some copies race")
	assert.Less(t, parallel, n, "some copies follow each other")
	s := stats(t, p)
	assert.Equal(t, int64(n), s.Duplicated)
	assert.Equal(t, int64(2*n), s.Forwarded)
}

func TestReorderLetsALaterRequestPass(t *testing.T) {
	up := newUpstream(t)
	p := newProxy(t, up, 1, Faults{Reorder: 1, ReorderHold: 10 * time.Second})
	c := newClient(t)

	first := make(chan result, 1)
	go func() { first <- call(c, http.MethodPost, p.URL()+"/sync/v1/ops", "A", []byte("a")) }()
	require.Eventually(t, func() bool { return p.Stats().Reordered == 1 }, 5*time.Second, 5*time.Millisecond)
	require.NoError(t, p.SetFaults(Faults{}))

	r := call(c, http.MethodPost, p.URL()+"/sync/v1/ops", "B", []byte("b"))
	require.NoError(t, r.err)
	ra := <-first
	require.NoError(t, ra.err)
	assert.Equal(t, "a", string(ra.body))

	assert.Equal(t, []string{"B", "A"}, up.order(), "B arrived upstream first")
	log := entries(t, p)
	require.Len(t, log, 2)
	assert.True(t, log[0].Overtaken, "A was released by B, not by its hold running out")
	assert.Equal(t, int64(1), stats(t, p).Overtaken)
}

func TestDelayHoldsTheRequest(t *testing.T) {
	up := newUpstream(t)
	p := newProxy(t, up, 2, Faults{Delay: 1, MaxDelay: 200 * time.Millisecond})
	c := newClient(t)

	start := time.Now()
	r := call(c, http.MethodPost, p.URL()+"/sync/v1/ops", "a", []byte("a"))
	elapsed := time.Since(start)
	require.NoError(t, r.err)
	d := entries(t, p)[0].Delay
	require.Positive(t, d)
	assert.LessOrEqual(t, d, 200*time.Millisecond)
	assert.GreaterOrEqual(t, elapsed, d)
	assert.Equal(t, int64(1), stats(t, p).Delayed)
}

func TestThrottleBothWays(t *testing.T) {
	up := newUpstream(t)
	p := newProxy(t, up, 1, Faults{BitsPerSecond: 1_000_000})
	c := newClient(t)
	body := bytes.Repeat([]byte("y"), 64<<10)

	start := time.Now()
	r := call(c, http.MethodPost, p.URL()+"/sync/v1/ops", "a", body)
	elapsed := time.Since(start)
	require.NoError(t, r.err)
	assert.Equal(t, body, r.body)

	// 64 KiB take 0.52 s each way at 1 Mbit/s, less 20 ms of burst; the
	// bucket never lets them through sooner, however the scheduler runs.
	// Only a generous lower bound is checked, never an upper one. The time
	// spent sleeping can be shorter (a late wake-up uses up link time), so
	// the counters only show that the proxy did throttle.
	s := stats(t, p)
	assert.Equal(t, int64(len(body)), s.BytesUp)
	assert.Equal(t, int64(len(body)), s.BytesDown)
	assert.Positive(t, s.ThrottledUp)
	assert.Positive(t, s.ThrottledDown)
	assert.GreaterOrEqual(t, elapsed, 800*time.Millisecond)
}

func TestCutEveryClosesASlowStream(t *testing.T) {
	up := newUpstream(t)
	// 64 KiB at 64 kbit/s would take 8 s; the link is cut every ~200 ms.
	p := newProxy(t, up, 3, Faults{BitsPerSecond: 64_000, CutEvery: 200 * time.Millisecond})
	c := newClient(t)

	r := call(c, http.MethodGet, p.URL()+"/big", "slow", nil)
	require.Error(t, r.err)
	assert.Less(t, len(r.body), bigSize)
	s := stats(t, p)
	assert.GreaterOrEqual(t, s.Cuts, int64(1))
	assert.GreaterOrEqual(t, s.CutConns, int64(1))
	assert.Less(t, s.BytesDown, int64(bigSize))

	// Healed, the same request goes through.
	require.NoError(t, p.SetFaults(Faults{}))
	r = call(c, http.MethodGet, p.URL()+"/big", "healed", nil)
	require.NoError(t, r.err)
	assert.Len(t, r.body, bigSize)
}

func TestCutNowClosesIdleConnections(t *testing.T) {
	up := newUpstream(t)
	p := newProxy(t, up, 1, Faults{})
	tr := &http.Transport{Proxy: nil} // keeps its connection open
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}

	require.NoError(t, call(c, http.MethodGet, p.URL()+"/a", "a", nil).err)
	assert.Equal(t, 1, p.CutNow())
	assert.Equal(t, 0, p.CutNow())
	s := stats(t, p)
	assert.Equal(t, int64(2), s.Cuts)
	assert.Equal(t, int64(1), s.CutConns)
}

func TestSetFaultsHealsTheLink(t *testing.T) {
	up := newUpstream(t)
	p := newProxy(t, up, 1, Faults{DropRequest: 1})
	c := newClient(t)

	require.Error(t, call(c, http.MethodPost, p.URL()+"/sync/v1/ops", "a", []byte("a")).err)
	require.ErrorIs(t, p.SetFaults(Faults{DropRequest: 2}), ErrInvalidFaults)
	assert.Equal(t, 1.0, p.Faults().DropRequest, "a rejected change changes nothing")
	require.NoError(t, p.SetFaults(Faults{}))
	require.NoError(t, call(c, http.MethodPost, p.URL()+"/sync/v1/ops", "b", []byte("b")).err)
	assert.Equal(t, []string{"b"}, up.order())
}

func TestPathsLimitTheFaults(t *testing.T) {
	up := newUpstream(t)
	p := newProxy(t, up, 1, Faults{DropRequest: 1, Paths: []string{"/sync/v1/ops"}})
	c := newClient(t)

	require.NoError(t, call(c, http.MethodGet, p.URL()+"/sync/v1/changes?after=0", "changes", nil).err)
	require.Error(t, call(c, http.MethodPost, p.URL()+"/sync/v1/ops", "ops", []byte("x")).err)
	assert.Equal(t, []string{"changes"}, up.order())
}

func TestUpstreamDownClosesTheConnection(t *testing.T) {
	up := newUpstream(t)
	p := newProxy(t, up, 1, Faults{})
	c := newClient(t)
	up.Close()

	require.Error(t, call(c, http.MethodGet, p.URL()+"/a", "a", nil).err)
	assert.Equal(t, int64(1), stats(t, p).UpstreamErrors)
}

func TestSetUpstream(t *testing.T) {
	a, b := newUpstream(t), newUpstream(t)
	p := newProxy(t, a, 1, Faults{})
	c := newClient(t)

	require.NoError(t, call(c, http.MethodGet, p.URL()+"/x", "1", nil).err)
	require.NoError(t, p.SetUpstream(b.URL))
	require.NoError(t, call(c, http.MethodGet, p.URL()+"/x", "2", nil).err)
	require.ErrorIs(t, p.SetUpstream("http://192.0.2.1:80"), ErrNotLoopback)
	require.NoError(t, call(c, http.MethodGet, p.URL()+"/x", "3", nil).err)
	assert.Equal(t, []string{"1"}, a.order())
	assert.Equal(t, []string{"2", "3"}, b.order())
}

func TestSameSeedSameRun(t *testing.T) {
	f := Faults{DropRequest: 0.2, DropResponse: 0.2, Truncate: 0.2, Duplicate: 0.3}
	run := func(seed uint64) (decisions []Decision, failed []bool, upstreamCount int64) {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			up := newUpstream(t)
			p := newProxy(t, up, seed, f)
			c := newClient(t)
			for range 30 {
				r := call(c, http.MethodPost, p.URL()+"/sync/v1/ops", "x", []byte("batch"))
				failed = append(failed, r.err != nil)
			}
			for _, e := range entries(t, p) {
				decisions = append(decisions, e.Decision)
			}
			upstreamCount = up.count.Load()
		})
		return decisions, failed, upstreamCount
	}
	d1, f1, n1 := run(42)
	d2, f2, n2 := run(42)
	assert.Equal(t, d1, d2)
	assert.Equal(t, f1, f2)
	assert.Equal(t, n1, n2)
	assert.Contains(t, f1, true)
	assert.Contains(t, f1, false)
	d3, _, _ := run(43)
	assert.NotEqual(t, d1, d3)
}

// settledGoroutines counts goroutines once the count has held still for
// a while: connections closed just before are gone.
func settledGoroutines() int {
	n, same := runtime.NumGoroutine(), 0
	for same < 5 {
		time.Sleep(20 * time.Millisecond)
		if m := runtime.NumGoroutine(); m == n {
			same++
		} else {
			n, same = m, 0
		}
	}
	return n
}

func TestCloseEndsEverything(t *testing.T) {
	up := newUpstream(t)
	c := newClient(t)
	require.NoError(t, call(c, http.MethodGet, up.URL+"/warm", "warm", nil).err)
	c.CloseIdleConnections()
	base := settledGoroutines()

	p, err := New(Config{Upstream: up.URL, Seed: 7, Logf: t.Logf})
	require.NoError(t, err)
	// An idle keep-alive connection…
	kt := &http.Transport{Proxy: nil}
	require.NoError(t, call(&http.Client{Transport: kt}, http.MethodGet, p.URL()+"/idle", "idle", nil).err)
	// …a slow download in flight…
	require.NoError(t, p.SetFaults(Faults{BitsPerSecond: 8000}))
	results := make(chan result, 2)
	go func() { results <- call(c, http.MethodGet, p.URL()+"/big", "slow", nil) }()
	require.Eventually(t, func() bool { return p.Stats().BytesDown > 0 }, 5*time.Second, 5*time.Millisecond)
	// …and a request held for others to pass.
	require.NoError(t, p.SetFaults(Faults{BitsPerSecond: 8000, Reorder: 1, ReorderHold: time.Minute}))
	go func() { results <- call(c, http.MethodPost, p.URL()+"/held", "held", []byte("x")) }()
	require.Eventually(t, func() bool { return p.Stats().Reordered == 1 }, 5*time.Second, 5*time.Millisecond)

	require.NoError(t, p.Close())
	for range 2 {
		assert.Error(t, (<-results).err)
	}
	require.NoError(t, p.Close(), "a second Close does nothing")
	kt.CloseIdleConnections()
	c.CloseIdleConnections()

	assertNoProxyGoroutines(t)
	// Polled here, not with assert.Eventually, whose own goroutine counts.
	for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > base && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines, %d before the proxy:\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
	assert.NotContains(t, up.order(), "held", "the held request never reached upstream")
	assert.True(t, strings.HasPrefix(p.Report(), "chaos proxy "))
}
