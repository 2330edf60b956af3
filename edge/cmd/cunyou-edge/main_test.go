package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/edge/config"
	"cunyou/edge/store"
	"cunyou/syncproto"
)

// runResult is what one command printed and returned.
type runResult struct {
	stdout, stderr string
	err            error
}

// clearEnv keeps the caller's CUNYOU_EDGE_* settings out of the test: Load
// ignores empty values.
func clearEnv(t *testing.T) {
	t.Helper()
	for name := range config.Env {
		t.Setenv(name, "")
	}
}

// run runs one command in-process with stdin as its standard input.
func run(t *testing.T, stdin string, args ...string) runResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	m := &Main{Stdin: strings.NewReader(stdin), Stdout: &stdout, Stderr: &stderr}
	err := m.Run(context.Background(), args)
	return runResult{stdout: stdout.String(), stderr: stderr.String(), err: err}
}

// mustRun runs a command that must succeed and returns its output.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	r := run(t, "", args...)
	require.NoError(t, r.err, "%v\nstderr: %s", args, r.stderr)
	return r.stdout
}

var incarnationRe = regexp.MustCompile(`incarnation ([0-9a-zA-Z-]+)`)

// incarnation returns the incarnation a command printed.
func incarnation(t *testing.T, out string) string {
	t.Helper()
	m := incarnationRe.FindStringSubmatch(out)
	require.NotNil(t, m, "no incarnation in %q", out)
	return m[1]
}

func TestRunInitUsersShelves(t *testing.T) {
	clearEnv(t)
	dir := filepath.Join(t.TempDir(), "data")
	db := filepath.Join(dir, "edge.db")

	r := run(t, "", "init", "--data", dir)
	require.Error(t, r.err)
	assert.Contains(t, r.err.Error(), "--node is required")
	r = run(t, "", "user", "list", "--data", dir)
	require.Error(t, r.err)
	assert.Contains(t, r.err.Error(), "cunyou-edge init")

	out := mustRun(t, "init", "--data", dir, "--node", "ST-T1")
	assert.Contains(t, out, "created station ST-T1")
	assert.Contains(t, out, db)
	assert.Contains(t, out, "user add --data "+dir)
	inc := incarnation(t, out)

	r = run(t, "", "init", "--data", dir, "--node", "ST-T2")
	require.Error(t, r.err)
	assert.Contains(t, r.err.Error(), "already exists")
	assert.Contains(t, mustRun(t, "check", "--data", dir), "station ST-T1 incarnation "+inc, "a second init leaves the first alone")

	out = mustRun(t, "user", "add", "--data", dir, "--username", "boss", "--role", "owner", "--pin", "112233")
	assert.Equal(t, "added boss (boss, owner)\n", out)
	r = run(t, "Cunyou-2025\n", "user", "add", "--data", dir, "--username", "li", "--name", "小李", "--secret-stdin")
	require.NoError(t, r.err, r.stderr)
	assert.Equal(t, "added li (小李, clerk)\n", r.stdout)

	tests := []struct {
		name    string
		stdin   string
		args    []string
		wantErr string
	}{
		{"name taken", "", []string{"--username", "boss", "--pin", "223344"}, "username_taken: 用户名 boss 已存在"},
		{"short PIN", "", []string{"--username", "zhao", "--pin", "123"}, "pin_invalid: PIN 码应为 6 位数字。"},
		{"bad role", "", []string{"--username", "zhao", "--role", "admin", "--pin", "223344"}, "role_invalid"},
		{"weak password", "password\n", []string{"--username", "zhao", "--secret-stdin"}, "password_weak"},
		{"no secret", "", []string{"--username", "zhao"}, "--secret-stdin"},
	}
	for _, tt := range tests {
		t.Run("user add "+tt.name, func(t *testing.T) {
			r := run(t, tt.stdin, append([]string{"user", "add", "--data", dir}, tt.args...)...)
			require.Error(t, r.err)
			assert.Contains(t, r.err.Error(), tt.wantErr)
		})
	}

	out = mustRun(t, "user", "list", "--data", dir)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2, out)
	assert.Equal(t, []string{"boss", "boss", "owner", "pin", "active"}, strings.Fields(lines[0]))
	assert.Equal(t, []string{"li", "小李", "clerk", "password", "active"}, strings.Fields(lines[1]))
	assert.Equal(t, "unlocked li\n", mustRun(t, "user", "unlock", "--data", dir, "--username", "li"))
	r = run(t, "", "user", "unlock", "--data", dir, "--username", "nobody")
	require.Error(t, r.err)
	assert.Contains(t, r.err.Error(), "operator_not_found")
	r = run(t, "", "user", "remove", "--data", dir)
	require.Error(t, r.err)
	assert.Contains(t, r.err.Error(), `unknown subcommand "remove"`)

	out = mustRun(t, "shelves", "set", "--data", dir, "--shelves", "3", "--layers", "2", "--capacity", "5")
	var want strings.Builder
	for s := 1; s <= 3; s++ {
		for l := 1; l <= 2; l++ {
			fmt.Fprintf(&want, "shelf %2d layer %d:   0 /   5\n", s, l)
		}
	}
	assert.Equal(t, want.String(), out)
	assert.Equal(t, want.String(), mustRun(t, "shelves", "--data", dir), "shows the layout")
	r = run(t, "", "shelves", "set", "--data", dir, "--shelves", "1", "--layers", "12")
	require.Error(t, r.err)
	assert.Contains(t, r.err.Error(), "shelves_invalid")

	assert.Equal(t, "overdue_days   3\nreturn_days    7\nid_for_proxy   true\nid_high_value  false\nid_value_yuan  1000\n",
		mustRun(t, "settings", "--data", dir), "the defaults")
	assert.Equal(t, "overdue_days   3\nreturn_days    7\nid_for_proxy   false\nid_high_value  true\nid_value_yuan  800\n",
		mustRun(t, "settings", "set", "--data", dir, "--id-for-proxy=false", "--id-high-value", "--id-value-yuan", "800"))
	r = run(t, "", "settings", "set", "--data", dir, "--id-value-yuan", "0")
	require.Error(t, r.err)
	assert.Contains(t, r.err.Error(), "settings_invalid")
	r = run(t, "", "settings", "set", "--data", dir)
	require.Error(t, r.err)
	assert.Contains(t, r.err.Error(), "name a setting")

	out = mustRun(t, "check", "--data", dir)
	assert.Regexp(t, `^ok: station ST-T1 incarnation \S+, 5 ops \(last seq 5\), schema \d+\n$`, out)
}

func TestRunDemoCheckBackupRestore(t *testing.T) {
	clearEnv(t)
	dir := filepath.Join(t.TempDir(), "demo")
	out := mustRun(t, "demo", "--data", dir)
	assert.Equal(t, "demo station ST-V0101 ready at "+filepath.Join(dir, "edge.db")+"\n", out)
	assert.Contains(t, mustRun(t, "demo", "--data", dir), "already set up", "a second demo changes nothing")

	out = mustRun(t, "check", "--data", dir)
	assert.True(t, strings.HasPrefix(out, "ok: station ST-V0101 incarnation "), out)
	inc := incarnation(t, out)

	backup := filepath.Join(t.TempDir(), "edge-backup.db")
	if r := run(t, "", "backup", "--data", dir, backup); r.err != nil {
		// TestRunBackup reports this; take the same copy by hand so that
		// restore is still tested.
		t.Logf("backup: %v; copying with VACUUM INTO on a writable connection instead", r.err)
		vacuumInto(t, filepath.Join(dir, "edge.db"), backup)
	}

	out = mustRun(t, "restore", "--data", dir, backup)
	assert.Contains(t, out, "restored ST-V0101 from "+backup)
	assert.Contains(t, out, ".replaced")
	restored := regexp.MustCompile(`new incarnation (\S+);`).FindStringSubmatch(out)
	require.NotNil(t, restored, out)
	assert.NotEqual(t, inc, restored[1], "a restored database gets a new incarnation")
	replaced, _ := filepath.Glob(filepath.Join(dir, "edge.db.replaced-*"))
	assert.Len(t, replaced, 1, "the replaced database is kept")

	out = mustRun(t, "check", "--data", dir)
	assert.Contains(t, out, "ok: station ST-V0101 incarnation "+restored[1]+",")
}

// vacuumInto writes a consistent copy of the database at src to dst, as
// the backup command means to.
func vacuumInto(t *testing.T, src, dst string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+src)
	require.NoError(t, err)
	defer db.Close()
	_, err = db.Exec("VACUUM INTO ?", dst)
	require.NoError(t, err)
}

func TestRunBackup(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	mustRun(t, "init", "--data", dir, "--node", "ST-T1")
	backup := filepath.Join(t.TempDir(), "edge-backup.db")

	r := run(t, "", "backup", "--data", dir)
	require.Error(t, r.err)
	assert.Contains(t, r.err.Error(), "give the backup file name")

	r = run(t, "", "backup", "--data", dir, backup)
	if r.err != nil && strings.Contains(r.err.Error(), "readonly") {
		t.Fatal("regression: edge/store/restore.go Backup runs VACUUM INTO on the query_only read pool, so `cunyou-edge backup FILE` always fails:", r.err)
	}
	require.NoError(t, r.err)
	assert.Equal(t, "backed up to "+backup+"\n", r.stdout)
	assert.FileExists(t, backup)
	r = run(t, "", "backup", "--data", dir, backup)
	require.Error(t, r.err, "a backup is never overwritten")
	assert.Contains(t, r.err.Error(), "already exists")
}

func TestRunVersionHelpUnknown(t *testing.T) {
	clearEnv(t)
	assert.Equal(t, fmt.Sprintf("cunyou-edge %s schema %d envelope %d\n", version, store.SchemaVersion(), syncproto.EnvelopeVersion),
		mustRun(t, "version"))
	assert.Contains(t, mustRun(t, "help"), "Usage: cunyou-edge COMMAND")

	r := run(t, "", "frobnicate")
	require.Error(t, r.err)
	assert.Equal(t, `unknown command "frobnicate"`, r.err.Error())
	assert.Contains(t, r.stderr, "Usage: cunyou-edge COMMAND")
	r = run(t, "")
	require.Error(t, r.err)
	assert.Contains(t, r.stderr, "Usage: cunyou-edge COMMAND")
	r = run(t, "", "check", "--no-such-flag")
	require.Error(t, r.err)
}

func TestRunServe(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	mustRun(t, "init", "--data", dir, "--node", "ST-T1")

	// The kiosk stays on loopback unless the config allows otherwise.
	r := run(t, "", "serve", "--data", dir, "--listen", "0.0.0.0:0")
	require.Error(t, r.err)
	assert.Contains(t, r.err.Error(), "allow_remote")
	r = run(t, "", "serve", "--data", filepath.Join(dir, "missing"), "--listen", "127.0.0.1:0")
	require.Error(t, r.err)
	assert.Contains(t, r.err.Error(), "cunyou-edge init")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	var stdout, stderr bytes.Buffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Ready: ready}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, []string{"serve", "--data", dir, "--listen", "127.0.0.1:0"}) }()

	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("serve returned before listening: %v\nstderr: %s", err, stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not listen within 10s")
	}
	host, _, ok := strings.Cut(addr, ":")
	require.True(t, ok, addr)
	assert.Equal(t, "127.0.0.1", host)

	get := func(target string) (int, string, []byte) {
		t.Helper()
		res, err := http.Get("http://" + addr + target)
		require.NoError(t, err)
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return res.StatusCode, res.Header.Get("Content-Type"), b
	}
	status, _, body := get("/healthz")
	require.Equal(t, http.StatusOK, status, "%s", body)
	var health map[string]any
	require.NoError(t, json.Unmarshal(body, &health))
	assert.Equal(t, map[string]any{"ok": true, "node": "ST-T1", "kind": "station", "version": version}, health)

	today := func() string { return time.Now().In(config.Default().Location()).Format(time.DateOnly) }
	before := today()
	status, _, body = get("/api/v1/status")
	require.Equal(t, http.StatusOK, status, "%s", body)
	var st map[string]any
	require.NoError(t, json.Unmarshal(body, &st))
	assert.Equal(t, "ST-T1", st["node"])
	assert.Equal(t, true, st["needs_setup"])
	assert.Contains(t, []any{before, today()}, st["today"], "the station's day in its time zone")

	status, ctype, _ := get("/")
	assert.Equal(t, http.StatusOK, status, "the embedded kiosk page")
	assert.Contains(t, ctype, "text/html")

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err, "serve stops cleanly when its context ends")
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop within 10s of cancel")
	}
	assert.Equal(t, "kiosk: http://"+addr+"/\n", stdout.String())
	assert.Contains(t, stderr.String(), "serving kiosk")
	assert.Contains(t, stderr.String(), "route=/api/v1/status")
	_, err := http.Get("http://" + addr + "/healthz")
	assert.Error(t, err, "nothing listens after serve returns")
}
