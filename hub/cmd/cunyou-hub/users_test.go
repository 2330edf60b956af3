package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/hub/store"
	"cunyou/passwd"
)

// runIn runs a command with stdin.
func runIn(stdin string, args ...string) runResult {
	var stdout, stderr bytes.Buffer
	m := &Main{Stdout: &stdout, Stderr: &stderr, Stdin: strings.NewReader(stdin)}
	err := m.Run(context.Background(), args)
	return runResult{stdout: stdout.String(), stderr: stderr.String(), err: err}
}

func TestUserCommands(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	r := runIn("Cunyou-2026\n", "user", "add", "--data", dir, "--username", "Wang", "--role", "dispatcher", "--password-stdin")
	require.NoError(t, r.err, r.stderr)
	assert.Equal(t, "user wang added, role dispatcher\n", r.stdout, "no password echoed")

	out := mustRun(t, "user", "add", "--data", dir, "--username", "boss", "--role", "admin")
	pw := regexp.MustCompile(`(?m)^(\S{14})$`).FindStringSubmatch(out)
	require.NotNil(t, pw, out)
	assert.NoError(t, passwd.Check(pw[1]), "a made password meets the policy")

	for _, bad := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"weak\n", []string{"--username", "li", "--role", "dispatcher", "--password-stdin"}, "8 characters"},
		{"", []string{"--username", "li", "--role", "dispatcher", "--password-stdin"}, "has none"},
		{"Cunyou-2026\n", []string{"--username", "wang", "--role", "dispatcher", "--password-stdin"}, "already exists"},
		{"Cunyou-2026\n", []string{"--username", "li", "--role", "root", "--password-stdin"}, "role"},
		{"Cunyou-2026\n", []string{"--username", "zt", "--role", "carrier_viewer", "--carrier", "zto", "--password-stdin"}, "carrier zto"},
		{"", []string{"--role", "admin"}, "give --username"},
	} {
		r := runIn(bad.stdin, append([]string{"user", "add", "--data", dir}, bad.args...)...)
		assert.ErrorContains(t, r.err, bad.want, "%v", bad.args)
	}
	mustRun(t, "carrier", "add", "--data", dir, "--code", "zto", "--name", "中通快递")
	mustRun(t, "user", "add", "--data", dir, "--username", "zt", "--role", "carrier_viewer", "--carrier", "zto")

	mustRun(t, "user", "disable", "--data", dir, "--username", "wang")
	out = mustRun(t, "user", "totp", "--data", dir, "--username", "boss")
	assert.Regexp(t, `otpauth://totp/cunyou:boss\?algorithm=SHA1&digits=6&issuer=cunyou&period=30&secret=[A-Z2-7]{32}`, out)
	assert.Regexp(t, `secret: [A-Z2-7]{32}`, out)
	list := mustRun(t, "user", "list", "--data", dir)
	assert.Regexp(t, `boss\s+admin\s+-\s+active\s+yes`, list)
	assert.Regexp(t, `wang\s+dispatcher\s+-\s+disabled\s+-`, list)
	assert.Regexp(t, `zt\s+carrier_viewer\s+zto\s+active`, list)
	mustRun(t, "user", "enable", "--data", dir, "--username", "wang")
	assert.Equal(t, "ended 0 sessions of wang\n", mustRun(t, "user", "revoke", "--data", dir, "--username", "wang"))
	r = runIn("Neu-Pass-2026\n", "user", "reset-password", "--data", dir, "--username", "wang", "--password-stdin")
	require.NoError(t, r.err)
	assert.ErrorContains(t, run("user", "revoke", "--data", dir, "--username", "nobody").err, "not found")

	// The audit log has every change, newest first, and no password.
	out = mustRun(t, "audit", "list", "--data", dir)
	assert.NotContains(t, out, "Cunyou-2026")
	assert.NotContains(t, out, pw[1])
	var actions []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		actions = append(actions, strings.Fields(line)[5])
	}
	assert.Equal(t, []string{"user.reset_password", "user.revoke", "user.enable", "user.totp", "user.disable", "user.add", "user.add", "user.add"}, actions)
	assert.Regexp(t, `user\.add\s+zt\s+local\s+ok\s+role carrier_viewer, carrier zto`, out)
	out = mustRun(t, "audit", "list", "--data", dir, "--action", "user.add", "--limit", "1")
	assert.Equal(t, 2, strings.Count(out, "\n"), out)
	assert.Contains(t, out, "zt")

	assert.Regexp(t, `^intact: 8 rows, the last at .*, hash [0-9a-f]{64}\n$`, mustRun(t, "audit", "verify", "--data", dir))

	// Someone edits the database behind the hub's back.
	db, err := sql.Open("sqlite", filepath.Join(dir, store.DBName))
	require.NoError(t, err)
	defer db.Close()
	for _, q := range []string{"DROP TRIGGER audit_no_update", "UPDATE audit SET detail = 'role admin' WHERE seq = 3"} {
		_, err := db.Exec(q)
		require.NoError(t, err)
	}
	r = run("audit", "verify", "--data", dir)
	assert.ErrorContains(t, r.err, "broken at row 3")
	assert.Equal(t, "BROKEN at row 3: its content does not match its hash (changed)\n", r.stdout)
}

// A person added by the CLI signs in to the served API and sees their
// role's routes.
func TestServeConsoleSession(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	r := runIn("Cunyou-2026\n", "user", "add", "--data", dir, "--username", "gov", "--role", "government_viewer", "--password-stdin")
	require.NoError(t, r.err)
	addr := serve(t, "--data", dir)
	base := "http://" + addr + "/api/v1/"
	client := &http.Client{Timeout: 10 * time.Second}
	resp, body := post(t, client, base+"login", "", []byte(`{"username":"gov","password":"Cunyou-2026"}`))
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	var me struct{ Token, Role string }
	require.NoError(t, json.Unmarshal(body, &me))
	assert.Equal(t, "government_viewer", me.Role)
	get := func(path string) int {
		req, err := http.NewRequest(http.MethodGet, base+path, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+me.Token)
		resp, err := client.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusOK, get("counts"))
	assert.Equal(t, http.StatusForbidden, get("parcels?station=ST-V0101"))
	resp, _ = post(t, client, base+"logout", me.Token, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, http.StatusUnauthorized, get("counts"))
	assert.Contains(t, mustRun(t, "audit", "list", "--data", dir, "--user", "gov"), "logout")
}

// A user's role changes and their second factor is removed by the CLI;
// the last enabled admin keeps the role.
func TestUserRoleCommand(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	mustRun(t, "user", "add", "--data", dir, "--username", "boss", "--role", "admin")
	mustRun(t, "user", "add", "--data", dir, "--username", "wang", "--role", "dispatcher")
	assert.Equal(t, "user wang is now government_viewer; it takes effect on their next request\n",
		mustRun(t, "user", "role", "--data", dir, "--username", "wang", "--role", "government_viewer"))
	assert.ErrorContains(t, run("user", "role", "--data", dir, "--username", "boss", "--role", "dispatcher").err, "last enabled admin")
	assert.ErrorContains(t, run("user", "disable", "--data", dir, "--username", "boss").err, "last enabled admin")
	assert.ErrorContains(t, run("user", "role", "--data", dir, "--username", "wang", "--role", "carrier_viewer").err, "names its carrier")
	mustRun(t, "user", "totp", "--data", dir, "--username", "boss")
	mustRun(t, "user", "totp-remove", "--data", dir, "--username", "boss")
	list := mustRun(t, "user", "list", "--data", dir)
	assert.Regexp(t, `boss\s+admin\s+-\s+active\s+-`, list)
	assert.Regexp(t, `wang\s+government_viewer\s+-\s+active`, list)
	out := mustRun(t, "audit", "list", "--data", dir, "--action", "user.role")
	assert.Contains(t, out, "role dispatcher → government_viewer")
}
