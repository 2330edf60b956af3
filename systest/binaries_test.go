//go:build linux

package systest

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/edge/demo"
	"cunyou/edge/station"
	edgestore "cunyou/edge/store"
	hubstore "cunyou/hub/store"
	"cunyou/waybill"
)

// proc is one run of a program, its output kept for a failure message.
type proc struct {
	t    *testing.T
	name string
	bin  string
	args []string
	env  []string

	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan struct{}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (p *proc) start() {
	p.t.Helper()
	p.cmd = exec.Command(p.bin, p.args...)
	p.cmd.Env = append(os.Environ(), p.env...)
	if p.out == nil {
		p.out = &lockedBuffer{}
	}
	fmt.Fprintf(p.out, "--- start %s %s\n", p.name, strings.Join(p.args, " "))
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	require.NoError(p.t, p.cmd.Start(), p.name)
	p.done = make(chan struct{})
	go func() {
		err := p.cmd.Wait()
		fmt.Fprintf(p.out, "--- %s exited: %v\n", p.name, err)
		close(p.done)
	}()
}

func (p *proc) running() bool {
	if p.done == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// kill ends the process with SIGKILL: no deferred close, no checkpoint.
func (p *proc) kill() {
	if !p.running() {
		return
	}
	fmt.Fprintf(p.out, "--- SIGKILL %s\n", p.name)
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// term asks the process to stop and waits for it.
func (p *proc) term() {
	if !p.running() {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		p.t.Errorf("%s did not stop on SIGTERM", p.name)
		p.kill()
	}
}

// tail is the end of the process's output.
func (p *proc) tail(n int) string {
	s := p.out.String()
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	return s
}

// runCmd runs a program to its end and returns its output.
func runCmd(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s %s:\n%s", filepath.Base(bin), strings.Join(args, " "), out)
	return string(out)
}

// freePort returns a loopback port nobody listens on now. The hub keeps it
// across restarts, since the station's enrollment names it.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	return port
}

func waitHealthy(t *testing.T, p *proc, url string) {
	t.Helper()
	err := poll(context.Background(), 20*time.Second, 20*time.Millisecond, func() error {
		if !p.running() {
			return fmt.Errorf("%s exited", p.name)
		}
		resp, err := http.Get(url)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: %s", url, resp.Status)
		}
		return nil
	})
	require.NoError(t, err, "%s not healthy:\n%s", p.name, p.tail(4000))
}

// appendOps writes n more ops into the station's database directly, as
// the station's own kiosk would, while its program is not running.
func appendOps(t *testing.T, path string, o *operator, n int) {
	t.Helper()
	ctx := context.Background()
	start := time.Now()
	st, err := edgestore.Open(ctx, path, edgestore.Options{Synchronous: "NORMAL"})
	require.NoError(t, err)
	defer st.Close()
	stn := station.New(st, cst)
	for range n {
		require.NoError(t, o.act(ctx, stn))
	}
	t.Logf("appended %d ops in %v", n, time.Since(start))
}

// uploadState reads how far the station's current incarnation is at the
// hub and at the station, from both databases, beside the running
// programs.
func uploadState(ctx context.Context, hubDB, edgeDB *sql.DB, node string) (hubAt, acked, last uint64, err error) {
	var inc string
	if err = edgeDB.QueryRowContext(ctx, "SELECT incarnation FROM node WHERE id = 1").Scan(&inc); err != nil {
		return
	}
	if err = edgeDB.QueryRowContext(ctx, "SELECT coalesce(max(seq), 0) FROM outbox WHERE incarnation = ?", inc).Scan(&last); err != nil {
		return
	}
	if err = edgeDB.QueryRowContext(ctx, "SELECT coalesce((SELECT acked_seq FROM sync_acks WHERE incarnation = ?), 0)", inc).Scan(&acked); err != nil {
		return
	}
	err = hubDB.QueryRowContext(ctx, "SELECT coalesce((SELECT acked_seq FROM cursors WHERE node = ? AND incarnation = ?), 0)", node, inc).Scan(&hubAt)
	return
}

// TestRealBinariesKilledMidBatch runs the two programs as a county runs
// them: cunyou-hub serve, a station enrolled with a one-time code,
// cunyou-edge serve uploading a backlog of thousands of ops. Both are
// killed with SIGKILL at random moments (seeded; CUNYOU_KILL_SEED replays
// one) while batches are on their way or being merged, the station works
// on while its program is down, and both restart. In the end the hub holds
// every op of the station exactly once, `cunyou-edge check` is ok, and
// there are no dead letters and nothing in quarantine.
func TestRealBinariesKilledMidBatch(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the programs")
	}
	seed := uint64(1)
	if s := os.Getenv("CUNYOU_KILL_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 0, 64)
		require.NoError(t, err, "CUNYOU_KILL_SEED")
		seed = v
	}
	rng := rand.New(rand.NewPCG(seed, 0xdead))
	hubBin, edgeBin := buildBinaries(t)
	ctx := context.Background()
	work := t.TempDir()
	hubData, edgeData := filepath.Join(work, "hub"), filepath.Join(work, "edge")
	const node = "ST-K01"
	hubURL := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))

	hub := &proc{t: t, name: "hub", bin: hubBin, args: []string{"serve", "--data", hubData, "--listen", strings.TrimPrefix(hubURL, "http://")},
		env: []string{"CUNYOU_HUB_LOG_LEVEL=warn"}}
	edge := &proc{t: t, name: "edge", bin: edgeBin, args: []string{"serve", "--data", edgeData, "--listen", fmt.Sprintf("127.0.0.1:%d", freePort(t))},
		env: []string{"CUNYOU_EDGE_SYNC_INTERVAL=1s", "CUNYOU_EDGE_WATCHDOG=10s", "CUNYOU_EDGE_LOG_LEVEL=warn"}}
	stopScan := context.CancelFunc(func() {})
	defer func() {
		stopScan()
		edge.kill()
		hub.kill()
		if t.Failed() {
			t.Logf("seed %#x (replay: CUNYOU_KILL_SEED=%#x)\nhub output:\n%s\nedge output:\n%s", seed, seed, hub.tail(6000), edge.tail(6000))
		}
	}()
	require.NoError(t, os.MkdirAll(hubData, 0o700))
	hub.start()
	waitHealthy(t, hub, hubURL+"/healthz")

	out := runCmd(t, hubBin, "station", "add", "--data", hubData, "--id", node, "--name", "系统测试驿站")
	code := regexp.MustCompile(`\b[0-9A-Z]{4}-[0-9A-Z]{4}\b`).FindString(out)
	require.NotEmpty(t, code, "no enrollment code in %q", out)
	runCmd(t, edgeBin, "enroll", "--data", edgeData, "--hub", hubURL, "--code", code)
	runCmd(t, edgeBin, "demo", "--data", edgeData, "--node", node, "--seed", "1")
	edgeDBPath := filepath.Join(edgeData, "edge.db")
	o := newOperator(seed, 0)
	{
		st, err := edgestore.Open(ctx, edgeDBPath, edgestore.Options{Synchronous: "NORMAL"})
		require.NoError(t, err)
		require.NoError(t, o.setup(ctx, station.New(st, cst)))
		require.NoError(t, st.Close())
	}
	// A backlog of thousands of ops; fewer under the race detector, which
	// slows this process's writes (not the programs').
	backlog, more := 2000, 200
	if raceEnabled {
		backlog, more = 600, 60
	}
	appendOps(t, edgeDBPath, o, backlog)

	hubDB := openRO(t, filepath.Join(hubData, hubstore.DBName))
	edgeDB := openRO(t, edgeDBPath)
	edge.start()
	kioskURL := "http://" + edge.args[len(edge.args)-1]
	waitHealthy(t, edge, kioskURL+"/healthz")
	token := kioskLogin(t, kioskURL)

	// The clerk scans bags in at the kiosk all along: ops keep coming
	// while batches go up, so the kills below land in uploads and merges.
	scanCtx, cancel := context.WithCancel(ctx)
	stopScan = cancel
	scanned := make(chan int, 1)
	go func() { scanned <- scanBags(scanCtx, kioskURL, token, seed) }()

	const rounds = 6
	kills := map[string]int{}
	for round := range rounds {
		time.Sleep(time.Duration(150+rng.IntN(500)) * time.Millisecond)
		hubAt, acked, last, _ := uploadState(ctx, hubDB, edgeDB, node)
		victims := [][]*proc{{edge}, {edge}, {hub}, {edge, hub}, {edge, hub}}[rng.IntN(5)]
		var names []string
		for _, v := range victims {
			v.kill()
			kills[v.name]++
			names = append(names, v.name)
		}
		t.Logf("round %d: killed %v with the hub at %d, the station acked %d of %d", round+1, names, hubAt, acked, last)
		if !edge.running() {
			// The station works on while its program is down.
			appendOps(t, edgeDBPath, o, more+rng.IntN(more))
		}
		time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
		if !hub.running() {
			hub.start()
			waitHealthy(t, hub, hubURL+"/healthz")
		}
		if !edge.running() {
			edge.start()
			waitHealthy(t, edge, kioskURL+"/healthz")
		}
	}
	stopScan()
	t.Logf("%d parcels scanned in at the kiosk", <-scanned)

	err := poll(ctx, 90*time.Second, 50*time.Millisecond, func() error {
		hubAt, acked, last, err := uploadState(ctx, hubDB, edgeDB, node)
		if err != nil {
			return err
		}
		if hubAt != last || acked != last {
			return fmt.Errorf("hub at %d, station acked %d, last seq %d", hubAt, acked, last)
		}
		return nil
	})
	require.NoError(t, err, "not converged")
	edge.term()
	hub.term()

	out = runCmd(t, edgeBin, "check", "--data", edgeData)
	assert.True(t, strings.HasPrefix(out, "ok:"), "cunyou-edge check: %s", out)
	out = runCmd(t, edgeBin, "sync", "status", "--data", edgeData)
	assert.Regexp(t, `ops waiting\s+0\n`, out, "cunyou-edge sync status")
	out = runCmd(t, hubBin, "deadletters", "--data", hubData)
	assert.Equal(t, "no dead letters\n", out, "cunyou-hub deadletters")

	hs, err := readHub(ctx, hubDB)
	require.NoError(t, err)
	ops, err := edgeOps(ctx, edgeDB)
	require.NoError(t, err)
	for _, p := range exactlyOnce(hs, ops) {
		t.Error(p)
	}
	parcels, err := edgeParcels(ctx, edgeDB)
	require.NoError(t, err)
	for _, p := range sameParcels(hs, node, parcels) {
		t.Error(p)
	}
	t.Logf("seed %#x: %d ops at the hub exactly once after %d rounds (kills: %v)", seed, len(ops), rounds, kills)
}

// kioskLogin logs the demo clerk in at the kiosk and returns the session
// token.
func kioskLogin(t *testing.T, kioskURL string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": demo.ClerkUser, "secret": demo.ClerkPIN})
	resp, err := http.Post(kioskURL+"/api/v1/login", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	var sess station.Session
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&sess))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NotEmpty(t, sess.Token)
	return sess.Token
}

// scanBags posts bags of parcels to the kiosk's batch inbound until ctx
// ends, and returns how many were shelved. A bag sent while the program
// is down (or killed under it) is lost to the clerk; its parcels that
// committed are in the database all the same.
func scanBags(ctx context.Context, kioskURL, token string, seed uint64) int {
	rng := rand.New(rand.NewPCG(seed, 0xba9))
	client := &http.Client{Timeout: 5 * time.Second}
	shelved, n := 0, 0
	for ctx.Err() == nil {
		var items []station.InboundInput
		for range 20 + rng.IntN(30) {
			n++
			items = append(items, station.InboundInput{Waybill: fmt.Sprintf("7399%010d", n), Carrier: waybill.ZTO,
				ReceiverPhone: fmt.Sprintf("138%08d", rng.IntN(1e8)), ReceiverName: "赵春梅"})
		}
		body, _ := json.Marshal(map[string]any{"items": items})
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, kioskURL+"/api/v1/inbound/batch", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err == nil {
			var out struct {
				Items []struct {
					Result *station.InboundResult `json:"result"`
				} `json:"items"`
			}
			if json.NewDecoder(resp.Body).Decode(&out) == nil {
				for _, it := range out.Items {
					if it.Result != nil {
						shelved++
					}
				}
			}
			resp.Body.Close()
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(20+rng.IntN(40)) * time.Millisecond):
		}
	}
	return shelved
}
