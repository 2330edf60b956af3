package gps

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"strings"
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

// BenchmarkConnectedTerminals connects 10,000 simulated terminals to one
// hub at once and has each send two heartbeats while all are connected.
// The terminals live in a second process (this test binary run again as
// TestTerminalsProcess), as they would on other machines: a process may
// hold only so many sockets (here 20,000 files whatever root asks), and
// both ends in one process would halve what the hub is seen to hold.
func BenchmarkConnectedTerminals(b *testing.B) {
	const n = 10000
	raiseFiles()
	h, phones := benchHub(b, n, "NORMAL")
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	cmd := exec.Command(os.Args[0], "-test.run=^TestTerminalsProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "CUNYOU_GPS_TERMINALS="+h.addr+","+phones[0]+","+strconv.Itoa(n))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		stdin.Close() // the terminals' process closes them and ends
		cmd.Wait()
	}()
	var rep terminalsReport
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), "terminals-report "); ok {
			if err := json.Unmarshal([]byte(line), &rep); err != nil {
				b.Fatal(err)
			}
			break
		}
	}
	b.StopTimer()
	if rep.Tried == 0 {
		b.Fatalf("the terminals' process reported nothing: %v", sc.Err())
	}
	if rep.Err != "" {
		b.Logf("terminals: %s", rep.Err)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	held := rep.Held
	if st := h.srv.Stats(); st.Terminals < held {
		held = st.Terminals
	}
	b.ReportMetric(float64(held), "terminals")
	b.ReportMetric(float64(rep.Tried), "terminals-tried")
	b.ReportMetric(rep.P99ms, "heartbeat-p99-ms")
	if held > 0 {
		b.ReportMetric(float64(after.Sys-before.Sys)/float64(held)/1024, "KiB/terminal-hub")
	}
}

// terminalsReport is what the terminals' process tells the benchmark.
type terminalsReport struct {
	Tried int     `json:"tried"`
	Held  int     `json:"held"` // answered both heartbeats while all were connected
	P99ms float64 `json:"p99_ms"`
	Err   string  `json:"err,omitempty"`
}

// TestTerminalsProcess is the terminals' side of
// BenchmarkConnectedTerminals, run only by it: it connects the terminals,
// sends two rounds of heartbeats, reports, and holds the connections
// until its standard input closes.
func TestTerminalsProcess(t *testing.T) {
	spec := os.Getenv("CUNYOU_GPS_TERMINALS")
	if spec == "" {
		t.Skip("run by BenchmarkConnectedTerminals")
	}
	parts := strings.Split(spec, ",")
	addr, first := parts[0], parts[1]
	n, _ := strconv.Atoi(parts[2])
	raiseFiles()
	base, _ := strconv.Atoi(first[3:])
	phones := make([]string, n)
	for i := range phones {
		phones[i] = fmt.Sprintf("139%08d", base+i)
	}
	ctx := context.Background()
	rep := terminalsReport{Tried: n}
	terms, err := login(ctx, addr, phones, 64)
	if err != nil {
		rep.Err = err.Error()
	}
	var mu sync.Mutex
	var rtts []time.Duration
	for range 2 {
		var wg sync.WaitGroup
		sem := make(chan struct{}, 256)
		rep.Held = 0
		rtts = rtts[:0]
		for _, term := range terms {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				t0 := time.Now()
				res, err := term.Heartbeat(ctx)
				d := time.Since(t0)
				mu.Lock()
				defer mu.Unlock()
				if err == nil && res == ResultOK {
					rep.Held++
					rtts = append(rtts, d)
				}
			}()
		}
		wg.Wait()
	}
	if len(rtts) > 0 {
		sort.Slice(rtts, func(i, j int) bool { return rtts[i] < rtts[j] })
		rep.P99ms = float64(rtts[len(rtts)*99/100].Microseconds()) / 1000
	}
	b, _ := json.Marshal(rep)
	fmt.Println("terminals-report " + string(b))
	io.Copy(io.Discard, os.Stdin)
	for _, term := range terms {
		term.Close()
	}
}
