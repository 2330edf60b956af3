// Command demo runs the demo county of `make run`: a hub and two village
// stations on loopback, each station enrolled with the hub and syncing,
// with demo data and the hub's manifests flowing down. It starts the real
// binaries from bin/ and stops them all on Ctrl-C.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

type station struct {
	ID, Name string
	Port     int
}

var stations = []station{
	{"ST-V0101", "南岗村驿站", 8701},
	{"ST-V0102", "新兴村驿站", 8702},
}

const hubAddr = "127.0.0.1:8600"

func main() {
	bin := flag.String("bin", "bin", "folder of cunyou-hub and cunyou-edge")
	data := flag.String("data", "demo-data", "folder of the demo's databases")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *bin, *data); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

type demo struct {
	bin, data string
	mu        sync.Mutex
	procs     []*exec.Cmd
}

func run(ctx context.Context, bin, data string) error {
	d := &demo{bin: bin, data: data}
	defer d.stopAll()
	hubData := filepath.Join(data, "hub")
	if err := os.MkdirAll(hubData, 0o700); err != nil {
		return err
	}
	if err := d.start(ctx, "hub", "cunyou-hub", "serve", "--data", hubData, "--listen", hubAddr); err != nil {
		return err
	}
	if err := waitHealthy(ctx, "http://"+hubAddr+"/healthz"); err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	for i, st := range stations {
		dir := filepath.Join(data, st.ID)
		if _, err := os.Stat(filepath.Join(dir, "edge.db")); errors.Is(err, os.ErrNotExist) {
			if err := d.enroll(ctx, hubData, dir, st); err != nil {
				return fmt.Errorf("%s: %w", st.ID, err)
			}
			if err := d.manifest(ctx, hubData, st, uint64(i+1)); err != nil {
				return fmt.Errorf("%s: %w", st.ID, err)
			}
		}
		if _, err := d.output(ctx, "cunyou-edge", "demo", "--data", dir, "--node", st.ID, "--seed", fmt.Sprint(i+1)); err != nil {
			return fmt.Errorf("%s: %w", st.ID, err)
		}
		addr := fmt.Sprintf("127.0.0.1:%d", st.Port)
		if err := d.start(ctx, st.ID, "cunyou-edge", "serve", "--data", dir, "--listen", addr); err != nil {
			return err
		}
		if err := waitHealthy(ctx, "http://"+addr+"/healthz"); err != nil {
			return fmt.Errorf("%s: %w", st.ID, err)
		}
	}
	fmt.Printf("\n  村邮 demo county — a hub and %d stations on loopback, syncing\n", len(stations))
	for _, st := range stations {
		fmt.Printf("  kiosk %s %s:  http://127.0.0.1:%d/\n", st.ID, st.Name, st.Port)
	}
	fmt.Printf("  accounts:  owner / PIN 246810 (店主)   clerk / PIN 135790 (店员)\n")
	fmt.Printf("  hub:       http://%s/healthz   sync state: %s/cunyou-hub station list --data %s\n", hubAddr, bin, hubData)
	fmt.Printf("  data:      %s/   stop with Ctrl-C\n\n", data)
	<-ctx.Done()
	return nil
}

// enroll registers the station with the hub and enrolls its edge.
func (d *demo) enroll(ctx context.Context, hubData, dir string, st station) error {
	out, err := d.output(ctx, "cunyou-hub", "station", "add", "--data", hubData, "--id", st.ID, "--name", st.Name)
	if err != nil {
		return err
	}
	code := regexp.MustCompile(`\b[0-9A-Z]{4}-[0-9A-Z]{4}\b`).FindString(out)
	if code == "" {
		return fmt.Errorf("no enrollment code in %q", out)
	}
	_, err = d.output(ctx, "cunyou-edge", "enroll", "--data", dir, "--hub", "http://"+hubAddr, "--code", code)
	return err
}

// manifest has the hub announce parcels for the station; they flow down
// by sync and prefill the receiver at inbound.
func (d *demo) manifest(ctx context.Context, hubData string, st station, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 42))
	var entries []map[string]any
	for range 12 {
		entries = append(entries, map[string]any{
			"waybill": fmt.Sprintf("YT%013d", rng.Int64N(1e13)), "carrier": "yto",
			"receiver_name":  []string{"赵春梅", "孙立新", "周淑珍", "吴宏伟"}[rng.IntN(4)],
			"receiver_phone": fmt.Sprintf("13%d%08d", 5+rng.IntN(5), rng.IntN(1e8)), "address": "黑龙江省绥化市望奎县",
		})
	}
	body, _ := json.MarshalIndent(entries, "", " ")
	file := filepath.Join(hubData, "manifest-"+st.ID+".json")
	if err := os.WriteFile(file, body, 0o600); err != nil {
		return err
	}
	_, err := d.output(ctx, "cunyou-hub", "manifest", "add", "--data", hubData, "--station", st.ID, "--file", file)
	return err
}

func (d *demo) output(ctx context.Context, prog string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(d.bin, prog), args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w\n%s", prog, strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// start runs a long-lived process, its log lines prefixed with its name.
func (d *demo) start(ctx context.Context, name, prog string, args ...string) error {
	cmd := exec.Command(filepath.Join(d.bin, prog), args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	cmd.Stdout = nil
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			fmt.Printf("%-9s %s\n", name, sc.Text())
		}
	}()
	d.mu.Lock()
	d.procs = append(d.procs, cmd)
	d.mu.Unlock()
	return nil
}

func (d *demo) stopAll() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := len(d.procs) - 1; i >= 0; i-- {
		p := d.procs[i]
		p.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { p.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			p.Process.Kill()
		}
	}
}

func waitHealthy(ctx context.Context, url string) error {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s did not answer", url)
}
