// Command benchreport prints the DESIGN §7 figures as one table and writes
// them as JSON. It reads the output of `go test -bench` (the benchmarks
// report their own percentiles with b.ReportMetric) and measures the edge
// binary itself: its size, the idle memory of `cunyou-edge serve` and its
// cold start.
//
//	go run ./tools/benchreport -in bench.out -edge bin/cunyou-edge -json bench-results.json
//
// A missed target is reported, not an error: benchreport exits non-zero
// only when a figure could not be measured (a benchmark failed or is
// missing, the edge would not start).
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// Target is a figure's goal: Op Limit Unit, e.g. ≤ 2 ms. The zero Target
// means none.
type Target struct {
	Op    string // "≤" or "≥"
	Limit float64
	Unit  string
}

func (t Target) String() string {
	if t.Op == "" {
		return "—"
	}
	return t.Op + " " + strconv.FormatFloat(t.Limit, 'f', -1, 64) + " " + t.Unit
}

// Met reports whether v meets the target.
func (t Target) Met(v float64) bool {
	switch t.Op {
	case "≤":
		return v <= t.Limit
	case "≥":
		return v >= t.Limit
	}
	return true
}

func atMost(v float64, unit string) Target  { return Target{"≤", v, unit} }
func atLeast(v float64, unit string) Target { return Target{"≥", v, unit} } // for throughput figures

// Rule maps one metric of one benchmark to a named figure.
type Rule struct {
	Pkg    string // import path of the benchmark's package
	Bench  string // benchmark name without its -GOMAXPROCS suffix
	Metric string // unit as reported by b.ReportMetric, e.g. "p99-ms"
	Name   string // figure name
	Unit   string
	Target Target
}

// Rules are the figures taken from benchmarks, in table order. Every rule's
// benchmark must be in the output: a missing one could not be measured.
var Rules = []Rule{
	{"cunyou/edge/station", "BenchmarkInbound500k", "p99-ms", "edge.inbound.p99", "ms", atMost(2, "ms")},
	{"cunyou/edge/station", "BenchmarkInbound500k", "p50-ms", "edge.inbound.p50", "ms", Target{}},
	{"cunyou/edge/station", "BenchmarkLookupPhoneTail500k", "p99-ms", "edge.lookup.phone_tail.p99", "ms", atMost(1, "ms")},
	{"cunyou/edge/station", "BenchmarkLookupCode500k", "p99-ms", "edge.lookup.code.p99", "ms", atMost(1, "ms")},
	{"cunyou/edge/kiosk", "BenchmarkKioskScanToCode", "p95-ms", "edge.kiosk.scan_to_code.p95", "ms", atMost(100, "ms")},
	{"cunyou/syncproto", "BenchmarkBytesPerOp", "B/op-wire", "sync.bytes_per_op", "B", atMost(40, "B")},
	{"cunyou/hub/merge", "BenchmarkMerge1000Stations/60ops-batch200", "ops/s", "hub.merge.ops_per_s", "ops/s", atLeast(50000, "ops/s")},
	{"cunyou/hub/merge", "BenchmarkMerge1000Stations/60ops-batch200", "e2e-ops/s", "hub.merge_and_projection.ops_per_s", "ops/s", Target{}},
	{"cunyou/hub/merge", "BenchmarkMerge1000Stations/600ops-batch200", "ops/s", "hub.merge_600k.ops_per_s", "ops/s", Target{}},
	{"cunyou/hub/merge", "BenchmarkMerge1000Stations/600ops-batch200", "e2e-ops/s", "hub.merge_and_projection_600k.ops_per_s", "ops/s", Target{}},
	{"cunyou/hub/merge", "BenchmarkRawSQLiteInsert", "ops/s", "hub.sqlite_insert_ceiling.ops_per_s", "ops/s", Target{}},
	{"cunyou/hub/trackbench", "BenchmarkTrackingLookup10M", "waybill-p99-ms", "hub.tracking.waybill.p99", "ms", atMost(2, "ms")},
	{"cunyou/hub/trackbench", "BenchmarkTrackingLookup10M", "phone-p99-ms", "hub.tracking.phone.p99", "ms", atMost(2, "ms")},
	{"cunyou/hub/trackbench", "BenchmarkTrackingLookup10M", "station-p99-ms", "hub.tracking.station.p99", "ms", atMost(2, "ms")},
	{"cunyou/hub/trackbench", "BenchmarkTrackingLookup10M", "trip-p99-ms", "hub.tracking.trip.p99", "ms", atMost(2, "ms")},
	{"cunyou/hub/trackbench", "BenchmarkTrackingLookup10M", "sched-p99-ms", "hub.tracking.scheduler_noise.p99", "ms", Target{}},
	{"cunyou/hub/trackbench", "BenchmarkTrackingHTTP10M/lean", "lookups/s", "hub.tracking.http.lookups_per_s", "lookups/s", atLeast(15000, "lookups/s")},
	{"cunyou/hub/trackbench", "BenchmarkTrackingHTTP10M/lean", "p99-ms", "hub.tracking.http.p99", "ms", Target{}},
	{"cunyou/hub/trackbench", "BenchmarkTrackingHTTP10M/lean", "cpu-µs/lookup", "hub.tracking.http.cpu_per_lookup", "µs", Target{}},
	{"cunyou/hub/trackbench", "BenchmarkTrackingHTTP10M/lean", "full-cpu-lookups/s", "hub.tracking.http.lookups_per_s_full_cpu", "lookups/s", Target{}},
	{"cunyou/hub/trackbench", "BenchmarkTrackingHTTP10M/nethttp", "lookups/s", "hub.tracking.http_nethttp_client.lookups_per_s", "lookups/s", Target{}},
	{"cunyou/hub/trackbench", "BenchmarkStatistics30Days10M", "query-ms", "hub.statistics.30_days.query", "ms", Target{}},
	{"cunyou/hub/trackbench", "BenchmarkStatistics30Days10M", "cpu-ms/query", "hub.statistics.30_days.cpu", "ms", Target{}},
	{"cunyou/hub/notify", "BenchmarkArrivalLatency/window2s", "p99-s", "hub.sms.arrival_latency.p99", "s", atMost(5, "s")},
	{"cunyou/hub/notify", "BenchmarkArrivalLatency/window0", "p99-s", "hub.sms.arrival_latency_no_window.p99", "s", Target{}},
	{"cunyou/hub/sms/smpp", "BenchmarkSMPPThroughput/window=10", "msgs/s", "hub.sms.smpp.msgs_per_s", "msgs/s", atLeast(500, "msgs/s")},
	{"cunyou/hub/gps", "BenchmarkIngest", "reports/s", "hub.gps.ingest.reports_per_s", "reports/s", atLeast(20000, "reports/s")},
	{"cunyou/hub/gps", "BenchmarkConnectedTerminals", "terminals", "hub.gps.terminals_connected", "terminals", atLeast(10000, "terminals")},
	{"cunyou/hub/gps", "BenchmarkConnectedTerminals", "heartbeat-p99-ms", "hub.gps.heartbeat.p99", "ms", Target{}},
	{"cunyou/systest", "BenchmarkDrain30DaysOffline", "s-to-drain", "sync.drain_30d.seconds", "s", atMost(60, "s")},
	{"cunyou/systest", "BenchmarkDrain30DaysOffline", "B/op-wire-measured", "sync.drain_30d.bytes_per_op", "B", Target{}},
	{"cunyou/systest", "BenchmarkSyncBytesPerOpRealMix", "B/op-wire", "sync.bytes_per_op.station_mix", "B", atMost(40, "B")},
	{"cunyou/systest", "BenchmarkSyncBytesPerOpRealMix", "B/op-wire-maxbatch", "sync.bytes_per_op.station_mix_maxbatch", "B", Target{}},
}

// Targets of the figures benchreport measures itself.
var (
	idleRSSTarget    = atMost(40, "MB")
	binarySizeTarget = atMost(30, "MB")
	coldStartTarget  = atMost(0.5, "s")
)

// Metric is one value of a benchmark line.
type Metric struct {
	Value float64
	Unit  string
}

// Result is one benchmark line of `go test -bench` output.
type Result struct {
	Pkg     string
	Name    string // without the -GOMAXPROCS suffix
	N       int64
	Metrics []Metric
}

// Output is what Parse found.
type Output struct {
	Results  []Result
	Failures []string // FAIL and panic lines
}

var (
	benchLine = regexp.MustCompile(`^(Benchmark\S*?)(?:-\d+)?\s+(\d+)\s+(.*)$`)
	failLine  = regexp.MustCompile(`^(--- FAIL|FAIL\s|panic:)`)
)

// Parse reads `go test -bench` output.
func Parse(r io.Reader) (Output, error) {
	var out Output
	var pkg string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1024*1024), 16*1024*1024)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimSpace(p)
			continue
		}
		if failLine.MatchString(line) {
			out.Failures = append(out.Failures, line)
			continue
		}
		m := benchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		n, err := strconv.ParseInt(m[2], 10, 64)
		if err != nil {
			continue
		}
		res := Result{Pkg: pkg, Name: m[1], N: n}
		f := strings.Fields(m[3])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				break
			}
			res.Metrics = append(res.Metrics, Metric{v, f[i+1]})
		}
		out.Results = append(out.Results, res)
	}
	return out, sc.Err()
}

// Figure is one row of the report.
type Figure struct {
	Name   string   `json:"name"`
	Value  *float64 `json:"value"` // null when it could not be measured
	Unit   string   `json:"unit"`
	Target string   `json:"target"`
	OK     bool     `json:"ok"`
}

func figure(name string, v float64, unit string, t Target) Figure {
	v = roundTo(v, 4)
	return Figure{Name: name, Value: &v, Unit: unit, Target: t.String(), OK: t.Met(v)}
}

func missing(name, unit string, t Target) Figure {
	return Figure{Name: name, Unit: unit, Target: t.String()}
}

// roundTo keeps digits significant digits, and at least the integer part.
func roundTo(v float64, digits int) float64 {
	if v == 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return v
	}
	scale := math.Pow(10, float64(max(digits-1-int(math.Floor(math.Log10(math.Abs(v)))), 0)))
	return math.Round(v*scale) / scale
}

// standard metrics are the framework's own; a benchmark that reports its
// own metrics times its samples itself and they mean little.
var standard = map[string]bool{"ns/op": true, "B/op": true, "allocs/op": true, "MB/s": true}

// BenchFigures turns parsed results into figures: the rules' first, in
// order, then every other metric. A metric repeated over several lines
// (-count) is the median of its values. missed names the rules whose
// metric was not found.
func BenchFigures(out Output, rules []Rule) (figs []Figure, missed []string) {
	type key struct{ pkg, bench, metric string }
	values := map[key][]float64{}
	var order []key
	for _, r := range out.Results {
		custom := slices.ContainsFunc(r.Metrics, func(m Metric) bool { return !standard[m.Unit] })
		for _, m := range r.Metrics {
			if custom && standard[m.Unit] {
				continue
			}
			k := key{r.Pkg, r.Name, m.Unit}
			if _, ok := values[k]; !ok {
				order = append(order, k)
			}
			values[k] = append(values[k], m.Value)
		}
	}
	used := map[key]bool{}
	for _, rule := range rules {
		var vs []float64
		for _, k := range order {
			if k.bench == rule.Bench && k.metric == rule.Metric && (rule.Pkg == "" || k.pkg == rule.Pkg) {
				vs = append(vs, values[k]...)
				used[k] = true
			}
		}
		if len(vs) == 0 {
			figs = append(figs, missing(rule.Name, rule.Unit, rule.Target))
			missed = append(missed, rule.Bench+" "+rule.Metric)
			continue
		}
		figs = append(figs, figure(rule.Name, median(vs), rule.Unit, rule.Target))
	}
	var others []Figure
	for _, k := range order {
		if used[k] {
			continue
		}
		label, unit := splitMetric(k.metric)
		name := strings.TrimPrefix(k.bench, "Benchmark") + "." + label
		if k.pkg != "" {
			name = path.Base(k.pkg) + "." + name
		}
		others = append(others, figure(name, median(values[k]), unit, Target{}))
	}
	sort.SliceStable(others, func(i, j int) bool { return others[i].Name < others[j].Name })
	return append(figs, others...), missed
}

// splitMetric splits a reported unit into a name and a unit: "p99-ms" is
// p99 in ms, "ops/s" is ops_per_s in ops/s.
func splitMetric(m string) (label, unit string) {
	if i := strings.LastIndex(m, "-"); i > 0 && i < len(m)-1 {
		return m[:i], m[i+1:]
	}
	return strings.ReplaceAll(m, "/", "_per_"), m
}

func median(vs []float64) float64 {
	s := slices.Clone(vs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// formatValue prints a value with a precision that suits its size.
func formatValue(v float64) string {
	a := math.Abs(v)
	switch {
	case a == math.Trunc(a) && a < 1e15:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a < 10:
		return strconv.FormatFloat(v, 'f', 3, 64)
	case a < 1000:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

// PrintTable writes the figures as one aligned table.
func PrintTable(w io.Writer, figs []Figure) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "figure\tvalue\tunit\ttarget\tok")
	for _, f := range figs {
		val, ok := "n/a", "✗"
		if f.Value != nil {
			val = formatValue(*f.Value)
		}
		if f.OK {
			ok = "✓"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", f.Name, val, f.Unit, f.Target, ok)
	}
	return tw.Flush()
}

// errUnsupported: the figure cannot be measured on this system.
var errUnsupported = errors.New("not supported on " + runtime.GOOS)

// BinarySizeMB returns the file's size in MB (10⁶ bytes).
func BinarySizeMB(file string) (float64, error) {
	fi, err := os.Stat(file)
	if err != nil {
		return 0, err
	}
	return float64(fi.Size()) / 1e6, nil
}

// RSSMB returns a process's resident memory in MB (10⁶ bytes), from
// /proc/PID/status.
func RSSMB(pid int) (float64, error) {
	if runtime.GOOS != "linux" {
		return 0, errUnsupported
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return parseVmRSS(b)
}

func parseVmRSS(status []byte) (float64, error) {
	for line := range strings.SplitSeq(string(status), "\n") {
		rest, ok := strings.CutPrefix(line, "VmRSS:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("read VmRSS: unexpected %q", line)
		}
		kb, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			return 0, fmt.Errorf("read VmRSS: %w", err)
		}
		return kb * 1024 / 1e6, nil
	}
	return 0, errors.New("read VmRSS: not in status")
}

// kioskWatch collects serve's standard output and spots the line that
// names the kiosk's address.
type kioskWatch struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	addr  chan string
	found bool
}

var kioskLine = regexp.MustCompile(`(?m)^kiosk: http://(\S+?)/?\r?\n`)

func (w *kioskWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.found {
		if m := kioskLine.FindSubmatch(w.buf.Bytes()); m != nil {
			w.found = true
			w.addr <- string(m[1])
		}
	}
	return len(p), nil
}

// ServeRun is one start of `cunyou-edge serve`.
type ServeRun struct {
	ColdStart time.Duration // from exec to /healthz answering
	RSSMB     float64
	RSSErr    error
}

// MeasureServe starts `edge serve` on the data folder, times its cold
// start, lets it idle, reads its memory and stops it.
func MeasureServe(ctx context.Context, edge, data string, idle time.Duration) (ServeRun, error) {
	var run ServeRun
	ctx, cancel := context.WithTimeout(ctx, idle+30*time.Second)
	defer cancel()
	watch := &kioskWatch{addr: make(chan string, 1)}
	var stderr bytes.Buffer
	cmd := exec.Command(edge, "serve", "--data", data, "--listen", "127.0.0.1:0")
	cmd.Stdout, cmd.Stderr = watch, &stderr
	began := time.Now()
	if err := cmd.Start(); err != nil {
		return run, fmt.Errorf("start serve: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() error {
		if runtime.GOOS == "windows" {
			cmd.Process.Kill()
		} else {
			cmd.Process.Signal(os.Interrupt)
		}
		select {
		case err := <-exited:
			return err
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
			return errors.New("serve did not stop on interrupt; killed")
		}
	}
	fail := func(err error) (ServeRun, error) {
		stop()
		return run, fmt.Errorf("%w; serve's stderr: %s", err, strings.TrimSpace(stderr.String()))
	}
	var addr string
	select {
	case addr = <-watch.addr:
	case err := <-exited:
		exited <- err
		return fail(fmt.Errorf("serve exited before listening: %v", err))
	case <-ctx.Done():
		return fail(errors.New("serve never printed its kiosk address"))
	}
	client := &http.Client{Timeout: time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/healthz", nil)
		resp, err := client.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if ctx.Err() != nil {
			return fail(fmt.Errorf("/healthz never answered: %v", err))
		}
		time.Sleep(2 * time.Millisecond)
	}
	run.ColdStart = time.Since(began)
	client.CloseIdleConnections()
	time.Sleep(idle)
	run.RSSMB, run.RSSErr = RSSMB(cmd.Process.Pid)
	if err := stop(); err != nil {
		return run, fmt.Errorf("stop serve: %w; stderr: %s", err, strings.TrimSpace(stderr.String()))
	}
	return run, nil
}

// EdgeFigures measures the edge binary: size, then `runs` starts of serve
// on a fresh demo station for cold start (median) and idle RSS (largest).
func EdgeFigures(ctx context.Context, edge string, idle time.Duration, runs int, logw io.Writer) ([]Figure, []error) {
	var figs []Figure
	var errs []error
	dir, err := os.MkdirTemp("", "benchreport-")
	if err != nil {
		return nil, []error{err}
	}
	defer os.RemoveAll(dir)
	data := dir + string(os.PathSeparator) + "data"

	var rss []float64
	var cold []float64
	out, err := exec.CommandContext(ctx, edge, "demo", "--data", data).CombinedOutput()
	if err != nil {
		errs = append(errs, fmt.Errorf("edge demo: %v: %s", err, strings.TrimSpace(string(out))))
	} else {
		for i := range runs {
			run, err := MeasureServe(ctx, edge, data, idle)
			if err != nil {
				errs = append(errs, fmt.Errorf("edge serve (run %d): %w", i+1, err))
				break
			}
			fmt.Fprintf(logw, "serve run %d: cold start %v, idle RSS %.1f MB\n", i+1, run.ColdStart.Round(time.Millisecond), run.RSSMB)
			cold = append(cold, run.ColdStart.Seconds())
			switch {
			case errors.Is(run.RSSErr, errUnsupported):
				fmt.Fprintln(logw, "idle RSS:", run.RSSErr)
			case run.RSSErr != nil:
				errs = append(errs, fmt.Errorf("idle RSS: %w", run.RSSErr))
			default:
				rss = append(rss, run.RSSMB)
			}
		}
	}
	if len(rss) > 0 {
		figs = append(figs, figure("edge.idle_rss", slices.Max(rss), "MB", idleRSSTarget))
	} else {
		figs = append(figs, missing("edge.idle_rss", "MB", idleRSSTarget))
	}
	if size, err := BinarySizeMB(edge); err != nil {
		errs = append(errs, fmt.Errorf("binary size: %w", err))
		figs = append(figs, missing("edge.binary_size", "MB", binarySizeTarget))
	} else {
		figs = append(figs, figure("edge.binary_size", size, "MB", binarySizeTarget))
	}
	if len(cold) > 0 {
		figs = append(figs, figure("edge.cold_start", median(cold), "s", coldStartTarget))
	} else {
		figs = append(figs, missing("edge.cold_start", "s", coldStartTarget))
	}
	return figs, errs
}

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("benchreport", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("in", "", "`go test -bench` output to read (- for standard input)")
	edge := fs.String("edge", "", "cunyou-edge binary to measure (size, idle RSS, cold start); none when empty")
	jsonOut := fs.String("json", "", "write the figures to this JSON file")
	idle := fs.Duration("idle", 2*time.Second, "how long serve idles before its RSS is read")
	runs := fs.Int("runs", 3, "starts of serve measured")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *in == "" || fs.NArg() > 0 || *runs < 1 {
		fmt.Fprintln(stderr, "usage: benchreport -in FILE [-edge BINARY] [-json FILE]")
		return 2
	}
	var r io.Reader = stdin
	if *in != "-" {
		f, err := os.Open(*in)
		if err != nil {
			fmt.Fprintln(stderr, "benchreport:", err)
			return 1
		}
		defer f.Close()
		r = f
	}
	out, err := Parse(r)
	if err != nil {
		fmt.Fprintln(stderr, "benchreport: read benchmarks:", err)
		return 1
	}
	var problems []string
	for _, f := range out.Failures {
		problems = append(problems, "benchmark output: "+f)
	}
	if len(out.Results) == 0 {
		problems = append(problems, "no benchmark results in "+*in)
	}
	figs, missed := BenchFigures(out, Rules)
	for _, m := range missed {
		problems = append(problems, "not measured: "+m)
	}
	if *edge != "" {
		efigs, errs := EdgeFigures(ctx, *edge, *idle, *runs, stderr)
		// The edge's own figures go after the benchmarks' mapped ones.
		figs = slices.Insert(figs, len(Rules), efigs...)
		for _, err := range errs {
			problems = append(problems, err.Error())
		}
	}
	fmt.Fprintln(stdout)
	if err := PrintTable(stdout, figs); err != nil {
		fmt.Fprintln(stderr, "benchreport:", err)
		return 1
	}
	if *jsonOut != "" {
		b, err := json.MarshalIndent(figs, "", "  ")
		if err == nil {
			err = os.WriteFile(*jsonOut, append(b, '\n'), 0o644)
		}
		if err != nil {
			fmt.Fprintln(stderr, "benchreport: write JSON:", err)
			return 1
		}
	}
	missedTargets := 0
	for _, f := range figs {
		if !f.OK && f.Value != nil {
			missedTargets++
		}
	}
	if missedTargets > 0 {
		fmt.Fprintf(stdout, "\n%d figure(s) miss their DESIGN §7 target.\n", missedTargets)
	}
	if len(problems) > 0 {
		fmt.Fprintln(stderr)
		for _, p := range problems {
			fmt.Fprintln(stderr, "benchreport:", p)
		}
		return 1
	}
	return 0
}
