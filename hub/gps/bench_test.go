package gps

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"

	"cunyou/hub/store"
)

// benchHub serves GPS from a fresh database with n vehicles whose
// terminals are 1390000000x; synchronous is FULL (every commit durable)
// or NORMAL.
func benchHub(b *testing.B, n int, synchronous string) (*hub, []string) {
	b.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, b.TempDir(), store.Options{Synchronous: synchronous})
	if err != nil {
		b.Fatal(err)
	}
	phones := make([]string, n)
	for i := range phones {
		phones[i] = fmt.Sprintf("139%08d", i)
		if err := st.PutVehicle(ctx, store.Vehicle{Plate: fmt.Sprintf("黑M%05d", i), Terminal: phones[i], Active: true}); err != nil {
			b.Fatal(err)
		}
	}
	srv := New(Options{Store: st, IdleTimeout: 10 * time.Minute})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx, ln) }()
	b.Cleanup(func() {
		cancel()
		<-done
		st.Close()
	})
	return &hub{st: st, srv: srv, addr: ln.Addr().String()}, phones
}

// login connects and authenticates terminals, par at a time.
func login(ctx context.Context, addr string, phones []string, par int) ([]*Terminal, error) {
	terms := make([]*Terminal, len(phones))
	errs := make(chan error, len(phones))
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for i, p := range phones {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			t, err := Dial(ctx, addr, p, i%2 == 1)
			if err == nil {
				if err = t.Login(ctx, ""); err != nil {
					t.Close()
				}
			}
			if err != nil {
				errs <- err
				return
			}
			terms[i] = t
		}()
	}
	wg.Wait()
	close(errs)
	var out []*Terminal
	for _, t := range terms {
		if t != nil {
			out = append(out, t)
		}
	}
	return out, <-errs
}

// BenchmarkIngest measures location reports ingested end to end: 200
// terminals each send their reports (one 0x0200 frame each) without
// waiting, and the clock stops when every report's answer came back, which
// the hub sends once the report is committed with synchronous=FULL.
func BenchmarkIngest(b *testing.B) {
	const terminals, perTerminal = 200, 1000
	ctx := context.Background()
	h, phones := benchHub(b, terminals, "FULL")
	terms, err := login(ctx, h.addr, phones, 32)
	if err != nil {
		b.Fatal(err)
	}
	bodies := make([][][]byte, len(terms))
	for i := range terms {
		route := Route{{46.80 + float64(i)*1e-3, 126.40}, {46.90, 126.60 + float64(i)*1e-3}}
		for _, l := range (Drive{Route: route, Step: time.Second, Loop: true, Start: time.Now().Add(time.Duration(i) * time.Hour)}).Fixes(perTerminal * b.N) {
			body, err := l.Marshal()
			if err != nil {
				b.Fatal(err)
			}
			bodies[i] = append(bodies[i], body)
		}
	}
	stored0 := h.srv.Stats().Stored
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	errc := make(chan error, len(terms))
	for i, t := range terms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, body := range bodies[i] {
				if _, err := t.Send(MsgLocation, body); err != nil {
					errc <- err
					return
				}
			}
			errc <- t.WaitAcked(ctx, int64(len(bodies[i])))
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(errc)
	for err := range errc {
		if err != nil {
			b.Fatal(err)
		}
	}
	st := h.srv.Stats()
	reports := st.Stored - stored0
	if want := int64(terminals * perTerminal * b.N); reports != want {
		b.Fatalf("stored %d positions, want %d", reports, want)
	}
	b.ReportMetric(float64(reports)/elapsed.Seconds(), "reports/s")
	b.ReportMetric(float64(reports)/float64(st.Flushes), "rows/commit")
	for _, t := range terms {
		t.Close()
	}
}

// BenchmarkConnectedTerminals opens as many simulated terminals as the
// machine's open-file limit allows (the benchmark holds both ends of each
// connection), up to 10,000; each registers, authenticates and then sends
// heartbeats. It reports how many were connected at once and answered a
// heartbeat, and the heartbeats' p99 round trip with all of them
// connected.
func BenchmarkConnectedTerminals(b *testing.B) {
	limit := raiseFiles()
	n := min(10000, (limit-256)/2)
	ctx := context.Background()
	h, phones := benchHub(b, n, "NORMAL")
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	terms, err := login(ctx, h.addr, phones, 64)
	if err != nil {
		b.Logf("login: %v", err)
	}
	defer func() {
		for _, t := range terms {
			t.Close()
		}
	}()
	var mu sync.Mutex
	var rtts []time.Duration
	held := 0
	for range 2 {
		var wg sync.WaitGroup
		sem := make(chan struct{}, 256)
		held = 0
		rtts = rtts[:0]
		for _, t := range terms {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				t0 := time.Now()
				res, err := t.Heartbeat(ctx)
				d := time.Since(t0)
				mu.Lock()
				defer mu.Unlock()
				if err == nil && res == ResultOK {
					held++
					rtts = append(rtts, d)
				}
			}()
		}
		wg.Wait()
	}
	b.StopTimer()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	st := h.srv.Stats()
	if st.Terminals < held {
		held = st.Terminals
	}
	sort.Slice(rtts, func(i, j int) bool { return rtts[i] < rtts[j] })
	b.ReportMetric(float64(held), "terminals")
	b.ReportMetric(float64(n), "terminals-tried")
	b.ReportMetric(float64(limit), "nofile-limit")
	if len(rtts) > 0 {
		b.ReportMetric(float64(rtts[len(rtts)*99/100].Microseconds())/1000, "heartbeat-p99-ms")
	}
	if held > 0 {
		b.ReportMetric(float64(after.Sys-before.Sys)/float64(held)/1024, "KiB/terminal-both-ends")
	}
}
