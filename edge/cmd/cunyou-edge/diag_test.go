package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/syncproto"
)

// diagReport is the --json output.
type diagReport struct {
	Version string `json:"version"`
	Node    string `json:"node"`
	Checks  []struct {
		Name   string `json:"name"`
		Status string `json:"status"`
		Detail string `json:"detail"`
		Fix    string `json:"fix"`
	} `json:"checks"`
}

func parseDiag(t *testing.T, out string) (diagReport, map[string]string) {
	t.Helper()
	var rep diagReport
	require.NoError(t, json.Unmarshal([]byte(out), &rep), out)
	status := map[string]string{}
	for _, c := range rep.Checks {
		status[c.Name] = c.Status
	}
	return rep, status
}

func TestDiagNoDatabase(t *testing.T) {
	clearEnv(t)
	dir := filepath.Join(t.TempDir(), "data")
	r := run(t, "", "diag", "--data", dir, "--config", writeConfig(t, dir, freeAddr(t)))
	require.Error(t, r.err)
	assert.Equal(t, 2, exitCode(r.err))
	assert.Contains(t, r.stdout, "故障  db.integrity")
	assert.Contains(t, r.stdout, "处理：新站点运行 cunyou-edge init --node 站点编号")
	assert.Contains(t, r.stdout, "项故障")

	r = run(t, "", "diag", "--data", dir, "--lang", "en", "--json")
	assert.Equal(t, 2, exitCode(r.err))
	rep, status := parseDiag(t, r.stdout)
	assert.Equal(t, "fail", status["db.integrity"])
	assert.Empty(t, rep.Node)
	for _, c := range rep.Checks {
		if c.Name == "db.integrity" {
			assert.Contains(t, c.Fix, "cunyou-edge init --node")
		}
	}
}

func TestDiagNotEnrolled(t *testing.T) {
	clearEnv(t)
	dir := filepath.Join(t.TempDir(), "data")
	mustRun(t, "init", "--data", dir, "--node", "ST-V0101")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "backups"), 0o700))
	mustRun(t, "backup", "--data", dir, filepath.Join(dir, "backups", "edge-1.db"))
	cfg := writeConfig(t, dir, freeAddr(t))

	r := run(t, "", "diag", "--config", cfg, "--json", "--lang", "en")
	require.Error(t, r.err)
	assert.Equal(t, 1, exitCode(r.err), "warnings only: %s", r.stdout)
	assert.Equal(t, "diag: 4 warnings, 0 failures", r.err.Error())
	rep, status := parseDiag(t, r.stdout)
	assert.Equal(t, "ST-V0101", rep.Node)
	for _, name := range []string{"hub.reach", "hub.tls", "hub.credentials", "serve"} {
		assert.Equal(t, "warn", status[name], name)
	}
	assert.Equal(t, "ok", status["backup.recent"])
	assert.Equal(t, "ok", status["db.integrity"])

	r = run(t, "", "diag", "--config", cfg, "--lang", "en")
	assert.Contains(t, r.stdout, "cunyou station diagnosis · node ST-V0101")
	assert.Contains(t, r.stdout, "WARN  hub.reach")
	assert.Contains(t, r.stdout, "fix: run cunyou-edge enroll --hub HUB-URL --code CODE")
	assert.Contains(t, r.stdout, "OK    db.integrity      quick_check passed")

	r = run(t, "", "diag", "--config", cfg, "--full")
	assert.Contains(t, r.stdout, "正常  db.integrity      integrity_check 通过")
	assert.Contains(t, r.stdout, "警告  serve")
}

func TestDiagFlags(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	r := run(t, "", "diag", "--data", dir, "--lang", "fr")
	require.Error(t, r.err)
	assert.Equal(t, 1, exitCode(r.err))
	assert.Contains(t, r.err.Error(), "use zh or en")

	// A config file that does not load is reported, with everything else.
	bad := filepath.Join(dir, "edge.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"version": 1, "listen": `), 0o600))
	r = run(t, "", "diag", "--config", bad, "--data", dir, "--json", "--lang", "en")
	assert.Equal(t, 2, exitCode(r.err))
	rep, status := parseDiag(t, r.stdout)
	assert.Equal(t, "fail", status["config"])
	assert.Len(t, rep.Checks, 16)
	assert.Contains(t, rep.Checks[1].Detail, "cannot read config file "+bad)
}

// A station at work: serve runs and syncs with the hub, the owner changes
// the shelves from the command line meanwhile, and diag reports all well
// with exit status 0, never fighting them for the database.
func TestDiagBesideServe(t *testing.T) {
	clearEnv(t)
	hub := newCmdHub(t, "ST-V0101")
	front := diagFront(t, hub.srv.Config.Handler, "ST-V0101")
	dir := filepath.Join(t.TempDir(), "data")
	mustRun(t, "enroll", "--data", dir, "--hub", front.URL, "--code", "WK-2025-0001")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "backups"), 0o700))
	mustRun(t, "backup", "--data", dir, filepath.Join(dir, "backups", "edge-1.db"))
	listen := freeAddr(t)
	cfg := writeConfig(t, dir, listen)

	ctx, stop := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	served := make(chan error, 1)
	var serveOut bytes.Buffer
	go func() {
		m := &Main{Stdin: strings.NewReader(""), Stdout: &serveOut, Stderr: &serveOut, Ready: ready}
		served <- m.Run(ctx, []string{"serve", "--config", cfg})
	}()
	defer func() {
		stop()
		assert.NoError(t, <-served)
	}()
	select {
	case <-ready:
	case err := <-served:
		t.Fatalf("serve: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not start")
	}

	var wg sync.WaitGroup
	writes := make(chan error, 8)
	wg.Go(func() {
		for i := range 8 {
			writes <- run(t, "", "shelves", "set", "--config", cfg, "--shelves", fmt.Sprint(2+i)).err
		}
	})
	var last runResult
	for range 3 {
		last = run(t, "", "diag", "--config", cfg, "--json", "--lang", "en")
		rep, status := parseDiag(t, last.stdout)
		for _, c := range rep.Checks {
			if c.Name == "disk.free" {
				continue // the test machine's disk is not the station's
			}
			assert.Equal(t, "ok", c.Status, "%s: %s / %s", c.Name, c.Detail, c.Fix)
			assert.NotContains(t, strings.ToLower(c.Detail), "locked")
		}
		assert.Equal(t, "ok", status["serve"])
		assert.NotContains(t, last.stdout, cmdToken, "the token is never shown")
	}
	wg.Wait()
	close(writes)
	for err := range writes {
		assert.NoError(t, err, "a write beside serve and diag")
	}
	_, status := parseDiag(t, last.stdout)
	if status["disk.free"] == "ok" {
		assert.NoError(t, last.err, "every check ok: exit status 0")
	}

	r := run(t, "", "diag", "--config", cfg)
	assert.Contains(t, r.stdout, "正常  serve             cunyou-edge serve 正在运行（"+listen+"）")
	assert.Contains(t, r.stdout, "正常  hub.credentials   县中心认得本站 ST-V0101 的令牌")
}

// diagFront puts the routes diag reads besides sync (GET /healthz, GET
// /metrics) in front of a hub's sync routes.
func diagFront(t *testing.T, sync http.Handler, node string) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"ok": true, "version": "hub-test", "proto": syncproto.ProtoVersion, "min_proto": syncproto.MinProtoVersion})
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "cunyou_hub_station_dead_letters{station=%q} 0\ncunyou_hub_station_quarantined{station=%q} 0\n", node, node)
	})
	mux.Handle("/", sync)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// writeConfig writes a station's config file.
func writeConfig(t *testing.T, dataDir, listen string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "edge.json")
	body, err := json.Marshal(map[string]any{"version": 1, "data_dir": dataDir, "listen": listen})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(p, body, 0o600))
	return p
}

// freeAddr is a loopback address nothing listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}
