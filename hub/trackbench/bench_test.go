package trackbench_test

// Benchmarks against DESIGN §7 ("hub: tracking lookup — p99 ≤ 2 ms at 10M
// events; ≥ 15k HTTP lookups/s on 2 cores, load generator included") on
// the 10M county (County10M, built once and cached in the OS temp
// folder). `make bench` runs them; tools/benchreport turns their metrics
// into figures. Timings are reported, never asserted.
//
// The machine's other work shows in every figure: the lookups also report
// sched-p99-ms, the p99 of a fixed 100 µs computation timed in between
// (what the scheduler alone adds), the HTTP benchmark cpu-µs/lookup, the
// CPU this process (hub and load generator) spent a lookup, which other
// programs change less than the rate.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cunyou/hub/intake"
	"cunyou/hub/merge"
	"cunyou/hub/openapi"
	"cunyou/hub/store"
	"cunyou/hub/trackbench"
)

// county10M opens the cached 10M county (building it the first time) and
// a sample of its keys.
func county10M(b *testing.B) (*store.Store, trackbench.Info, trackbench.Sample) {
	b.Helper()
	ctx := context.Background()
	dir, info, err := trackbench.Cached(ctx, trackbench.County10M, countyFile, b.Logf)
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(ctx, dir, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	s, err := trackbench.TakeSample(ctx, st.DB(), 20000, 1)
	if err != nil {
		b.Fatal(err)
	}
	return st, info, s
}

// latencies collects durations and reports their percentiles.
type latencies []time.Duration

func (l latencies) at(q float64) float64 {
	if len(l) == 0 {
		return 0
	}
	s := slices.Clone(l)
	slices.Sort(s)
	return float64(s[min(int(q*float64(len(s))), len(s)-1)]) / 1e6
}

func (l latencies) report(b *testing.B, name string) {
	b.ReportMetric(l.at(0.50), name+"-p50-ms")
	b.ReportMetric(l.at(0.99), name+"-p99-ms")
	b.ReportMetric(l.at(1), name+"-max-ms")
}

// schedProbe is a fixed computation of about 100 µs: its spread is what
// the machine's scheduler adds to a lookup's.
var probeBuf = make([]byte, 4096)

func schedProbe() time.Duration {
	start := time.Now()
	for range 40 {
		sha256.Sum256(probeBuf)
	}
	return time.Since(start)
}

// BenchmarkTrackingLookup10M: random lookups on the tracking index of the
// 10M county through store.Lookups, what the open API reads with, one at a
// time: a waybill's parcel and timeline, a receiver's parcels, a station's
// page of 50 in one status, a trip's page of 50. Reports p50, p99 and max
// per kind.
func BenchmarkTrackingLookup10M(b *testing.B) {
	st, info, s := county10M(b)
	ctx := context.Background()
	lk, err := st.OpenLookups(ctx, store.LookupOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer lk.Close()
	b.Logf("county: %s", info)
	rng := rand.New(rand.NewPCG(7, 8))
	pick := func(list []string) string { return list[rng.IntN(len(list))] }
	const page = openapi.DefaultLimit + 1 // the API asks one more, to know of a next page
	kinds := []struct {
		name string
		run  func() (int, error)
	}{
		{"waybill", func() (int, error) {
			ps, fs, err := lk.Tracking(ctx, pick(s.Waybills))
			return len(ps) + len(fs), err
		}},
		{"phone", func() (int, error) {
			ps, err := lk.FindParcels(ctx, store.ParcelQuery{Phone: pick(s.Phones), Limit: page})
			return len(ps), err
		}},
		{"station", func() (int, error) {
			ps, err := lk.FindParcels(ctx, store.ParcelQuery{Station: pick(s.Stations), Status: pick(trackbench.StationStatuses),
				Limit: page})
			return len(ps), err
		}},
		{"trip", func() (int, error) {
			ps, err := lk.FindParcels(ctx, store.ParcelQuery{Trip: pick(s.Trips), Limit: page})
			return len(ps), err
		}},
	}
	const perKind, warmup = 5000, 500
	lat := make([]latencies, len(kinds))
	rows := make([]int, len(kinds))
	var sched latencies
	b.ResetTimer()
	for range b.N {
		for i := range warmup + perKind {
			for k, kind := range kinds {
				start := time.Now()
				n, err := kind.run()
				d := time.Since(start)
				if err != nil {
					b.Fatalf("%s: %v", kind.name, err)
				}
				if i >= warmup {
					lat[k], rows[k] = append(lat[k], d), rows[k]+n
				}
			}
			if i >= warmup && i%4 == 0 {
				sched = append(sched, schedProbe())
			}
		}
	}
	b.StopTimer()
	for k, kind := range kinds {
		lat[k].report(b, kind.name)
		b.ReportMetric(float64(rows[k])/float64(len(lat[k])), kind.name+"-rows")
	}
	b.ReportMetric(sched.at(0.99), "sched-p99-ms")
}

// BenchmarkTrackingHTTP10M: GET /api/v1/parcels/{waybill} of random
// waybills of the 10M county, on a real HTTP server serving the real open
// API (store, merger, intake as `cunyou-hub serve` wires them) with a real
// client's key, and the load generator in the same process on the same
// cores: conns keep-alive connections, each sending its next request when
// the answer is in. Reports lookups a second, the client's latency, the
// CPU the process spent a lookup and the rate that CPU means when the
// process has the cores to itself (full-cpu-lookups/s).
//
// The load generator is lean, like wrk: it writes the request's bytes and
// reads the status line, headers and body, so the cores go to the hub
// (DESIGN's figure is this one). The "nethttp" variant uses net/http's
// client instead, which costs some 40 µs of CPU more a lookup.
func BenchmarkTrackingHTTP10M(b *testing.B) {
	st, info, s := county10M(b)
	ctx := context.Background()
	m, err := merge.New(ctx, st, merge.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	api := openapi.New(openapi.Options{Store: st, Intake: intake.New(st, m, trackbench.Loc), Version: "bench"})
	defer api.Close()
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", api.Handler())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	go srv.Serve(ln)
	defer srv.Close()
	addr := ln.Addr().String()
	b.Logf("county: %s", info)

	for _, v := range []struct {
		name  string
		conns int
		dial  func(addr, key string) (getter, error)
	}{
		{"lean", 64, dialLean},
		{"nethttp", 64, dialNetHTTP},
	} {
		b.Run(v.name, func(b *testing.B) {
			for range b.N {
				// Warm up, then measure.
				if _, err := load(addr, info.APIKey, s.Waybills, v.conns, 2*time.Second, v.dial); err != nil {
					b.Fatal(err)
				}
				r, err := load(addr, info.APIKey, s.Waybills, v.conns, 10*time.Second, v.dial)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(r.perSecond, "lookups/s")
				b.ReportMetric(r.lat.at(0.50), "p50-ms")
				b.ReportMetric(r.lat.at(0.99), "p99-ms")
				b.ReportMetric(r.cpuPerLookup, "cpu-µs/lookup")
				// What the cores would serve if this process had them to
				// itself: other engineers' tests share the machine.
				b.ReportMetric(float64(runtime.GOMAXPROCS(0))*1e6/r.cpuPerLookup, "full-cpu-lookups/s")
			}
		})
	}
}

// getter sends one GET on a kept-alive connection and reads the answer.
type getter interface {
	get(path string) (status int, body []byte, err error)
	close()
}

type loadResult struct {
	perSecond    float64
	lat          latencies
	cpuPerLookup float64
}

// load runs conns connections for d, each asking for random waybills.
func load(addr, key string, waybills []string, conns int, d time.Duration, dial func(addr, key string) (getter, error)) (loadResult, error) {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		lat   latencies
		count atomic.Int64
		first error
		stop  atomic.Bool
	)
	fail := func(err error) {
		mu.Lock()
		if first == nil {
			first = err
		}
		mu.Unlock()
		stop.Store(true)
	}
	cpu0 := processCPU()
	start := time.Now()
	for c := range conns {
		g, err := dial(addr, key)
		if err != nil {
			return loadResult{}, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer g.close()
			rng := rand.New(rand.NewPCG(uint64(c), 99))
			var mine latencies
			for i := 0; !stop.Load(); i++ {
				wb := waybills[rng.IntN(len(waybills))]
				t0 := time.Now()
				status, body, err := g.get("/api/v1/parcels/" + wb)
				if err != nil {
					fail(err)
					return
				}
				mine = append(mine, time.Since(t0))
				if status != http.StatusOK {
					fail(fmt.Errorf("GET %s: %d %s", wb, status, body))
					return
				}
				if i%64 == 0 { // now and then, check the answer is the parcel asked for
					var t openapi.Tracking
					if err := json.Unmarshal(body, &t); err != nil || t.Waybill != wb || len(t.Parcels) == 0 || len(t.Timeline) == 0 {
						fail(fmt.Errorf("GET %s: answered %.200s (%v)", wb, body, err))
						return
					}
				}
				count.Add(1)
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	time.Sleep(d)
	stop.Store(true)
	elapsed := time.Since(start)
	wg.Wait()
	cpu := processCPU() - cpu0
	if first != nil {
		return loadResult{}, first
	}
	n := count.Load()
	return loadResult{perSecond: float64(n) / elapsed.Seconds(), lat: lat, cpuPerLookup: float64(cpu.Microseconds()) / float64(n)}, nil
}

// lean is a minimal HTTP/1.1 client on one connection.
type lean struct {
	c    net.Conn
	r    *bufio.Reader
	w    *bufio.Writer
	auth string
	body []byte
}

func dialLean(addr, key string) (getter, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &lean{c: c, r: bufio.NewReaderSize(c, 16<<10), w: bufio.NewWriter(c), auth: "Authorization: Bearer " + key + "\r\n"}, nil
}

func (l *lean) close() { l.c.Close() }

func (l *lean) get(path string) (int, []byte, error) {
	l.w.WriteString("GET ")
	l.w.WriteString(path)
	l.w.WriteString(" HTTP/1.1\r\nHost: hub\r\n")
	l.w.WriteString(l.auth)
	l.w.WriteString("\r\n")
	if err := l.w.Flush(); err != nil {
		return 0, nil, err
	}
	line, err := l.r.ReadSlice('\n')
	if err != nil {
		return 0, nil, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, nil, fmt.Errorf("bad status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, nil, fmt.Errorf("bad status line %q", line)
	}
	length, chunked := -1, false
	for {
		h, err := l.r.ReadSlice('\n')
		if err != nil {
			return 0, nil, err
		}
		if len(h) <= 2 {
			break
		}
		switch {
		case len(h) > 16 && bytes.EqualFold(h[:15], []byte("Content-Length:")):
			if length, err = strconv.Atoi(string(bytes.TrimSpace(h[15:]))); err != nil {
				return 0, nil, fmt.Errorf("bad header %q", h)
			}
		case bytes.EqualFold(bytes.TrimSpace(h), []byte("Transfer-Encoding: chunked")):
			chunked = true
		}
	}
	l.body = l.body[:0]
	if chunked {
		return status, l.body, l.chunks()
	}
	if length < 0 {
		return 0, nil, errors.New("answer without Content-Length")
	}
	if cap(l.body) < length {
		l.body = make([]byte, length)
	}
	l.body = l.body[:length]
	_, err = io.ReadFull(l.r, l.body)
	return status, l.body, err
}

// chunks reads a chunked body into l.body.
func (l *lean) chunks() error {
	for {
		line, err := l.r.ReadSlice('\n')
		if err != nil {
			return err
		}
		n, err := strconv.ParseInt(string(bytes.TrimSpace(line)), 16, 32)
		if err != nil {
			return fmt.Errorf("bad chunk size %q", line)
		}
		start := len(l.body)
		l.body = slices.Grow(l.body, int(n))[:start+int(n)]
		if _, err := io.ReadFull(l.r, l.body[start:]); err != nil {
			return err
		}
		if _, err := l.r.Discard(2); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
	}
}

// netHTTP is net/http's client, one connection of its own.
type netHTTP struct {
	c    *http.Client
	base string
	key  string
}

func dialNetHTTP(addr, key string) (getter, error) {
	return &netHTTP{c: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}, base: "http://" + addr, key: "Bearer " + key}, nil
}

func (n *netHTTP) close() { n.c.CloseIdleConnections() }

func (n *netHTTP) get(path string) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodGet, n.base+path, nil)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", n.key)
	resp, err := n.c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}
