package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const sample = `goos: linux
goarch: amd64
pkg: cunyou/edge/station
cpu: Intel(R) Xeon(R) CPU @ 2.20GHz
BenchmarkInbound500k-2           	       1	         0.8123 p50-ms	         1.234 p99-ms	         9.800 max-ms	      1100 ops/s
--- BENCH: BenchmarkInbound500k-2
    bench_test.go:120: seeded store /tmp/cunyou-bench-500k-v1.db (cached): 500000 parcels
BenchmarkInbound500kNormalSync-2 	       1	         0.2000 p50-ms	         0.5000 p99-ms
BenchmarkLookupPhoneTail500k-2   	       1	         0.1000 p50-ms	         0.3000 p99-ms
BenchmarkLookupCode500k-2        	       1	         0.0900 p50-ms	         1.5000 p99-ms
PASS
ok  	cunyou/edge/station	95.123s
pkg: cunyou/syncproto
BenchmarkSeal-2                  	  500000	      2400 ns/op	     512 B/op	       3 allocs/op
BenchmarkSeal-2                  	  500000	      2600 ns/op	     512 B/op	       3 allocs/op
BenchmarkBytesPerOp-2            	       1	 212376991 ns/op	        25.60 B/op-wire
PASS
ok  	cunyou/syncproto	3.1s
pkg: cunyou/hub/merge
BenchmarkMerge1000Stations/60ops-batch200-2 	       1	  1200000000 ns/op	     51234 ops/s	     40000 e2e-ops/s
BenchmarkMerge1000Stations/600ops-batch200-2 	       1	  9000000000 ns/op	     60000 ops/s	     45000 e2e-ops/s
BenchmarkRawSQLiteInsert-2       	       1	   400000000 ns/op	    150000 ops/s
pkg: cunyou/hub/trackbench
BenchmarkTrackingLookup10M-2   	       1	7972455327 ns/op	         2.881 phone-max-ms	         0.2176 phone-p50-ms	         1.081 phone-p99-ms	        21.26 phone-rows	         0.1850 sched-p99-ms	         3.992 station-max-ms	         0.2406 station-p50-ms	         1.352 station-p99-ms	        19.10 station-rows	         8.959 trip-max-ms	         0.4897 trip-p50-ms	         1.299 trip-p99-ms	        51.00 trip-rows	         3.426 waybill-max-ms	         0.1155 waybill-p50-ms	         0.4933 waybill-p99-ms	         7.071 waybill-rows
--- BENCH: BenchmarkTrackingLookup10M-2
    bench_test.go:97: county: 1844493 parcels (1708130 in, 136363 out), 11256983 facts (11227057 of parcels)
BenchmarkTrackingHTTP10M/lean-2         	       1	12060050013 ns/op	       114.2 cpu-µs/lookup	     17513 full-cpu-lookups/s	     16828 lookups/s	         3.808 p50-ms	         9.956 p99-ms
BenchmarkTrackingHTTP10M/nethttp-2      	       1	12031651061 ns/op	       224.4 cpu-µs/lookup	      8577 lookups/s	         7.095 p50-ms	        19.58 p99-ms
BenchmarkStatistics30Days10M-2  	       1	1927270922 ns/op	      1927 query-ms	      2105 cpu-ms/query	    125073 in	    117634 picked-up	      2310 station-days
pkg: cunyou/hub/notify
BenchmarkArrivalLatency/window2s-2 	       1	3057595427 ns/op	         2.687 max-s	         2.615 p50-s	         2.687 p99-s
BenchmarkArrivalLatency/window0-2  	       1	1178337360 ns/op	         0.742 max-s	         0.653 p50-s	         0.741 p99-s
pkg: cunyou/hub/sms/smpp
BenchmarkSMPPThroughput/window=10-2 	       1	  25000000 ns/op	     40000 msgs/s
pkg: cunyou/hub/gps
BenchmarkIngest-2               	       1	2880187430 ns/op	     69440 reports/s	     14286 rows/commit
BenchmarkConnectedTerminals-2   	       1	17690756521 ns/op	        16.77 KiB/terminal-hub	        12.33 heartbeat-p99-ms	     10000 terminals	     10000 terminals-tried
ok  	cunyou/syncproto	3.1s
pkg: cunyou/systest
BenchmarkDrain30DaysOffline-2    	       1	26942000000 ns/op	        28.49 B/op-wire-measured	         7.000 cuts	        26.94 s-to-drain
BenchmarkSyncBytesPerOpRealMix-2 	       1	 557682394 ns/op	        28.91 B/op-wire	        24.08 B/op-wire-maxbatch
ok  	cunyou/systest	52.2s
pkg: cunyou/edge/kiosk
BenchmarkKioskScanToCode-2   	       1	9576711579 ns/op	        29.10 max-ms	        14.20 p50-ms	        19.90 p95-ms	       120.0 samples
ok  	cunyou/edge/kiosk	11.2s
`

func TestParse(t *testing.T) {
	out, err := Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Failures) != 0 {
		t.Errorf("failures: %v", out.Failures)
	}
	if got, want := len(out.Results), 22; got != want {
		t.Fatalf("got %d results, want %d", got, want)
	}
	got := out.Results[0]
	want := Result{Pkg: "cunyou/edge/station", Name: "BenchmarkInbound500k", N: 1, Metrics: []Metric{
		{0.8123, "p50-ms"}, {1.234, "p99-ms"}, {9.8, "max-ms"}, {1100, "ops/s"}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if got := out.Results[4]; got.Pkg != "cunyou/syncproto" || got.Name != "BenchmarkSeal" || got.N != 500000 || len(got.Metrics) != 3 {
		t.Errorf("got %+v", got)
	}
}

func TestParseFailures(t *testing.T) {
	in := "pkg: cunyou/edge/station\n--- FAIL: BenchmarkInbound500k-2\n    bench_test.go:9: seed: disk full\nFAIL\tcunyou/edge/station\t3.2s\npanic: boom\n"
	out, err := Parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(out.Failures), 3; got != want {
		t.Errorf("got failures %q, want %d", out.Failures, want)
	}
	if len(out.Results) != 0 {
		t.Errorf("got results %+v", out.Results)
	}
}

func value(f Figure) float64 {
	if f.Value == nil {
		return -1
	}
	return *f.Value
}

func TestBenchFigures(t *testing.T) {
	out, err := Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	figs, missed := BenchFigures(out, Rules)
	if len(missed) != 0 {
		t.Errorf("missed %v", missed)
	}
	byName := map[string]Figure{}
	var names []string
	for _, f := range figs {
		byName[f.Name] = f
		names = append(names, f.Name)
	}
	wantFirst := []string{"edge.inbound.p99", "edge.inbound.p50", "edge.lookup.phone_tail.p99", "edge.lookup.code.p99"}
	if !reflect.DeepEqual(names[:4], wantFirst) {
		t.Errorf("got first figures %v, want %v", names[:4], wantFirst)
	}
	tests := []struct {
		name   string
		value  float64
		unit   string
		target string
		ok     bool
	}{
		{"edge.inbound.p99", 1.234, "ms", "≤ 2 ms", true},
		{"edge.inbound.p50", 0.8123, "ms", "—", true},
		{"edge.lookup.phone_tail.p99", 0.3, "ms", "≤ 1 ms", true},
		{"edge.lookup.code.p99", 1.5, "ms", "≤ 1 ms", false},
		{"station.Inbound500k.max", 9.8, "ms", "—", true},
		{"station.Inbound500k.ops_per_s", 1100, "ops/s", "—", true},
		{"station.Inbound500kNormalSync.p99", 0.5, "ms", "—", true},
		{"station.LookupCode500k.p50", 0.09, "ms", "—", true},
		{"syncproto.Seal.ns_per_op", 2500, "ns/op", "—", true}, // median of two lines
		{"syncproto.Seal.allocs_per_op", 3, "allocs/op", "—", true},
		{"sync.bytes_per_op", 25.6, "B", "≤ 40 B", true},
		{"hub.merge.ops_per_s", 51234, "ops/s", "≥ 50000 ops/s", true},
		{"hub.merge_and_projection.ops_per_s", 40000, "ops/s", "—", true},
		{"hub.merge_600k.ops_per_s", 60000, "ops/s", "—", true},
		{"hub.merge_and_projection_600k.ops_per_s", 45000, "ops/s", "—", true},
		{"hub.tracking.waybill.p99", 0.4933, "ms", "≤ 2 ms", true},
		{"hub.tracking.phone.p99", 1.081, "ms", "≤ 2 ms", true},
		{"hub.tracking.station.p99", 1.352, "ms", "≤ 2 ms", true},
		{"hub.tracking.trip.p99", 1.299, "ms", "≤ 2 ms", true},
		{"hub.tracking.scheduler_noise.p99", 0.185, "ms", "—", true},
		{"hub.tracking.http.lookups_per_s", 16828, "lookups/s", "≥ 15000 lookups/s", true},
		{"hub.tracking.http.p99", 9.956, "ms", "—", true},
		{"hub.tracking.http.cpu_per_lookup", 114.2, "µs", "—", true},
		{"hub.tracking.http.lookups_per_s_full_cpu", 17513, "lookups/s", "—", true},
		{"hub.tracking.http_nethttp_client.lookups_per_s", 8577, "lookups/s", "—", true},
		{"trackbench.TrackingLookup10M.waybill-p50", 0.1155, "ms", "—", true},
		{"trackbench.TrackingLookup10M.trip", 51, "rows", "—", true},
		{"trackbench.TrackingHTTP10M/lean.p50", 3.808, "ms", "—", true},
		{"hub.sms.arrival_latency.p99", 2.687, "s", "≤ 5 s", true},
		{"hub.sms.arrival_latency_no_window.p99", 0.741, "s", "—", true},
		{"hub.sms.smpp.msgs_per_s", 40000, "msgs/s", "≥ 500 msgs/s", true},
		{"sync.drain_30d.seconds", 26.94, "s", "≤ 60 s", true},
		{"sync.drain_30d.bytes_per_op", 28.49, "B", "—", true},
		{"sync.bytes_per_op.station_mix", 28.91, "B", "≤ 40 B", true},
		{"sync.bytes_per_op.station_mix_maxbatch", 24.08, "B", "—", true},
		{"systest.Drain30DaysOffline.cuts", 7, "cuts", "—", true},
	}
	for _, tt := range tests {
		f, ok := byName[tt.name]
		if !ok {
			t.Errorf("no figure %s in %v", tt.name, names)
			continue
		}
		if value(f) != tt.value || f.Unit != tt.unit || f.Target != tt.target || f.OK != tt.ok {
			t.Errorf("%s: got %v %s %q ok=%v, want %v %s %q ok=%v", tt.name, value(f), f.Unit, f.Target, f.OK, tt.value, tt.unit, tt.target, tt.ok)
		}
	}
	if _, ok := byName["station.Inbound500k.ns_per_op"]; ok {
		t.Error("ns/op of a benchmark with its own metrics is reported")
	}
	if _, ok := byName["station.Inbound500k.p99"]; ok {
		t.Error("a mapped metric is reported twice")
	}
}

func TestBenchFiguresMissing(t *testing.T) {
	out, err := Parse(strings.NewReader("pkg: cunyou/edge/station\nBenchmarkLookupCode500k-2 1 0.5 p99-ms\n"))
	if err != nil {
		t.Fatal(err)
	}
	figs, missed := BenchFigures(out, Rules)
	if got, want := len(missed), len(Rules)-1; got != want {
		t.Errorf("got missed %v, want %d", missed, want)
	}
	for _, f := range figs {
		if f.Name == "edge.inbound.p99" && (f.Value != nil || f.OK) {
			t.Errorf("missing figure reported as %+v", f)
		}
	}
}

func TestRuleOtherPackage(t *testing.T) {
	out, err := Parse(strings.NewReader("pkg: cunyou/hub/merge\nBenchmarkInbound500k 1 0.5 p99-ms\n"))
	if err != nil {
		t.Fatal(err)
	}
	figs, _ := BenchFigures(out, Rules)
	if value(figs[0]) != -1 {
		t.Errorf("a benchmark of another package filled %+v", figs[0])
	}
}

func TestTarget(t *testing.T) {
	tests := []struct {
		t    Target
		v    float64
		str  string
		want bool
	}{
		{atMost(2, "ms"), 2, "≤ 2 ms", true},
		{atMost(2, "ms"), 2.01, "≤ 2 ms", false},
		{atMost(0.5, "s"), 0.2, "≤ 0.5 s", true},
		{atLeast(50000, "ops/s"), 49999, "≥ 50000 ops/s", false},
		{Target{}, 1e9, "—", true},
	}
	for _, tt := range tests {
		if got := tt.t.String(); got != tt.str {
			t.Errorf("String() = %q, want %q", got, tt.str)
		}
		if got := tt.t.Met(tt.v); got != tt.want {
			t.Errorf("%s Met(%v) = %v, want %v", tt.str, tt.v, got, tt.want)
		}
	}
}

func TestRoundTo(t *testing.T) {
	tests := []struct{ in, want float64 }{
		{0.086721, 0.08672}, {1.23456, 1.235}, {10665.4, 10665}, {1234567.8, 1234568}, {0, 0},
	}
	for _, tt := range tests {
		if got := roundTo(tt.in, 4); got != tt.want {
			t.Errorf("roundTo(%v, 4) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseVmRSS(t *testing.T) {
	status := "Name:\tcunyou-edge\nVmPeak:\t  800000 kB\nVmRSS:\t   21484 kB\nRssAnon:\t 9000 kB\n"
	got, err := parseVmRSS([]byte(status))
	if err != nil {
		t.Fatal(err)
	}
	if want := 21484 * 1024 / 1e6; got != want {
		t.Errorf("got %v MB, want %v", got, want)
	}
	if _, err := parseVmRSS([]byte("Name:\tx\n")); err == nil {
		t.Error("no VmRSS: no error")
	}
}

func TestKioskWatch(t *testing.T) {
	w := &kioskWatch{addr: make(chan string, 1)}
	w.Write([]byte("kiosk: http://127.0.0.1:4"))
	w.Write([]byte("1234/\n"))
	w.Write([]byte("kiosk: http://127.0.0.1:9/\n"))
	if got := <-w.addr; got != "127.0.0.1:41234" {
		t.Errorf("got %q", got)
	}
}

// TestRun runs the report on sample output without an edge binary: table
// on stdout, JSON file of name, value, unit, target and ok.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "bench.out")
	js := filepath.Join(dir, "bench-results.json")
	if err := os.WriteFile(in, []byte(sample), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"-in", in, "-json", js}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	table := stdout.String()
	for _, want := range []string{"figure", "edge.inbound.p99", "1.234", "≤ 2 ms", "✓", "✗", "1 figure(s) miss"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	b, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	if err := json.Unmarshal(b, &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) < 4 {
		t.Fatalf("got %d rows", len(rows))
	}
	want := map[string]any{"name": "edge.inbound.p99", "value": 1.234, "unit": "ms", "target": "≤ 2 ms", "ok": true}
	if !reflect.DeepEqual(rows[0], want) {
		t.Errorf("got %v, want %v", rows[0], want)
	}

	// A failed benchmark run cannot be measured: non-zero exit.
	if err := os.WriteFile(in, []byte("--- FAIL: BenchmarkInbound500k\nFAIL\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	if code := run(context.Background(), []string{"-in", in}, nil, &stdout, &stderr); code == 0 {
		t.Error("failed benchmarks: exit 0")
	}
}
