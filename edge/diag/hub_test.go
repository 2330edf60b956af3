package diag

import (
	"crypto/tls"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/edge/messages"
)

// An enrolled station whose hub answers everything right.
func TestHubAllGood(t *testing.T) {
	e := newEnv(t)
	e.scanIn(t, 4)
	hub := newTestHub(t)
	hub.srv.StartTLS()
	inc := e.st.Identity().Incarnation
	hub.set(func(h *testHub) { h.cursors[inc] = 3 })
	e.enroll(t, hub.srv.URL, hubToken, writePEM(t, hub.srv.Certificate().Raw))
	rep := e.run(t)

	for _, name := range []string{"hub.reach", "hub.tls", "hub.credentials", "clock.skew", "sync.deadletters", "version"} {
		l := line(t, rep, name)
		assert.Equal(t, StatusOK, l.Status, "%s: %s / %s", name, l.Detail.Text(messages.EN), l.Fix.Text(messages.EN))
	}
	assert.Contains(t, line(t, rep, "hub.reach").Detail.Text(messages.EN), "hub "+hub.srv.URL+" reachable")
	assert.Contains(t, line(t, rep, "hub.tls").Detail.Text(messages.EN), "certificate valid")
	assert.Contains(t, line(t, rep, "version").Detail.Text(messages.EN), "hub cunyou-hub hub-test")
	assert.Equal(t, "the hub holds no dead letters or quarantined ops of this station", line(t, rep, "sync.deadletters").Detail.Text(messages.EN))
	assert.Contains(t, line(t, rep, "sync.backlog").Detail.Text(messages.EN), "5 ops and 0 photos waiting to be sent; the hub holds this incarnation's ops up to seq 3 (this PC has 5)")
	assert.Contains(t, line(t, rep, "clock.skew").Detail.Text(messages.EN), "measured by a sync hello")

	hub.mu.Lock()
	require.Len(t, hub.hellos, 1)
	hello := hub.hellos[0]
	hub.mu.Unlock()
	assert.Equal(t, testNode, hello.Node)
	assert.Equal(t, []string{inc}, hello.Incarnations)
	assert.Contains(t, hello.Software, "diag")

	// Nothing was written: the hub's cursor 3 is not taken as an
	// acknowledgement here (serve does that).
	incs, err := e.st.SyncIncarnations(e.ctx)
	require.NoError(t, err)
	assert.Zero(t, incs[0].Acked)
	ss, err := e.st.SyncState(e.ctx)
	require.NoError(t, err)
	assert.Zero(t, ss.Skew)
	assert.True(t, ss.LastAttempt.IsZero())
}

func TestHubTLS(t *testing.T) {
	county := newTestCA(t, "望奎县 CA")
	other := newTestCA(t, "Some Other CA")
	now := time.Now()
	valid := func(t *testing.T) tls.Certificate {
		return county.issue(t, now.Add(-time.Hour), now.Add(365*24*time.Hour), "127.0.0.1", "hub.wangkui.example")
	}
	tests := []struct {
		name   string
		cert   func(t *testing.T) tls.Certificate
		caFile func(t *testing.T) string
		host   string // in the hub's URL, instead of 127.0.0.1
		want   Status
		detail string
		fix    string
	}{
		{"valid with the county's CA", valid, func(*testing.T) string { return county.pem }, "", StatusOK, "certificate valid, issued by 望奎县 CA", ""},
		{"no CA file", valid, nil, "", StatusFail, "issued by 望奎县 CA, which this PC does not trust", "set ca_file"},
		{"wrong CA file", valid, func(*testing.T) string { return other.pem }, "", StatusFail, "not by the authority in the CA file", "get the right CA certificate"},
		{"expired", func(t *testing.T) tls.Certificate {
			return county.issue(t, now.Add(-60*24*time.Hour), now.Add(-24*time.Hour), "127.0.0.1")
		}, func(*testing.T) string { return county.pem }, "", StatusFail, "the hub's certificate expired", "renew the certificate"},
		{"not yet valid", func(t *testing.T) tls.Certificate {
			return county.issue(t, now.Add(30*24*time.Hour), now.Add(365*24*time.Hour), "127.0.0.1")
		}, func(*testing.T) string { return county.pem }, "", StatusFail, "is valid only from", "set the date and time"},
		{"name mismatch", func(t *testing.T) tls.Certificate {
			return county.issue(t, now.Add(-time.Hour), now.Add(365*24*time.Hour), "hub.wangkui.example")
		}, func(*testing.T) string { return county.pem }, "", StatusFail, "the names on the certificate (hub.wangkui.example) do not include 127.0.0.1", "use a name from the certificate"},
		{"expires soon", func(t *testing.T) tls.Certificate {
			return county.issue(t, now.Add(-300*24*time.Hour), now.Add(5*24*time.Hour), "127.0.0.1")
		}, func(*testing.T) string { return county.pem }, "", StatusWarn, "the certificate expires", "renew"},
		{"CA file missing", valid, func(t *testing.T) string { return filepath.Join(t.TempDir(), "nope.pem") }, "", StatusFail, "cannot read the CA file", "replace ca_file"},
		{"CA file without PEM", valid, func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "ca.pem")
			require.NoError(t, os.WriteFile(p, []byte("not a certificate"), 0o644))
			return p
		}, "", StatusFail, "no PEM certificate", "replace ca_file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			hub := newTestHub(t)
			hub.srv.TLS = &tls.Config{Certificates: []tls.Certificate{tt.cert(t)}}
			hub.srv.StartTLS()
			ca := ""
			if tt.caFile != nil {
				ca = tt.caFile(t)
			}
			e.enroll(t, hub.srv.URL, hubToken, ca)
			rep := e.run(t)
			got := line(t, rep, "hub.tls")
			assert.Equal(t, tt.want, got.Status, got.Detail.Text(messages.EN))
			assert.Contains(t, got.Detail.Text(messages.EN), tt.detail)
			assert.Contains(t, got.Fix.Text(messages.EN), tt.fix)
			assert.NotEmpty(t, got.Detail.Text(messages.ZH))
			reach := line(t, rep, "hub.reach")
			switch {
			case tt.want == StatusOK || tt.want == StatusWarn:
				assert.Equal(t, StatusOK, reach.Status, reach.Detail.Text(messages.EN))
			case strings.Contains(tt.name, "CA file"):
				// The system's authorities do not know the county's CA either.
				assert.Equal(t, StatusFail, reach.Status)
			default:
				assert.Equal(t, StatusFail, reach.Status)
				assert.Contains(t, reach.Detail.Text(messages.EN), "its certificate did not verify (see hub.tls)")
				assert.Equal(t, StatusWarn, line(t, rep, "hub.credentials").Status, "not checked")
			}
		})
	}
}

// The hub's own test server and its certificate, as httptest makes them.
func TestHubTLSWithHTTPTestServer(t *testing.T) {
	e := newEnv(t)
	hub := newTestHub(t)
	hub.srv.StartTLS()
	e.enroll(t, hub.srv.URL, hubToken, "")
	rep := e.run(t)
	assert.Equal(t, StatusFail, line(t, rep, "hub.tls").Status)
	assert.Contains(t, line(t, rep, "hub.tls").Detail.Text(messages.EN), "which this PC does not trust")

	// The same hub under a name its certificate lacks.
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: hub.srv.Certificate().Raw}), 0o644))
	e.cfg.CAFile = caFile
	e.cfg.HubURL = strings.Replace(hub.srv.URL, "127.0.0.1", "localhost", 1)
	rep = e.run(t)
	got := line(t, rep, "hub.tls")
	assert.Equal(t, StatusFail, got.Status)
	assert.Contains(t, got.Detail.Text(messages.EN), "do not include localhost")
	assert.Contains(t, line(t, rep, "config").Detail.Text(messages.EN), "overrides the enrolled address "+hub.srv.URL)
}

func TestHubAnswers(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, e *env, hub *testHub) // before the run; the hub is enrolled over plain HTTP
		check string
		want  Status
		text  string
		fix   string
	}{
		{"wrong token", func(t *testing.T, e *env, hub *testHub) { hub.set(func(h *testHub) { h.token = "tok-other" }) },
			"hub.credentials", StatusFail, "the hub refuses this station's token (HTTP 401 unauthorized: unknown token)", "get a new enrollment code"},
		{"clock 10 min behind", func(t *testing.T, e *env, hub *testHub) { hub.set(func(h *testHub) { h.skew = 10 * time.Minute }) },
			"clock.skew", StatusFail, "this PC's clock is behind the hub's by 10 min", "set the PC's date and time"},
		{"clock 2 min ahead", func(t *testing.T, e *env, hub *testHub) { hub.set(func(h *testHub) { h.skew = -2 * time.Minute }) },
			"clock.skew", StatusWarn, "ahead of the hub's by 2 min (measured by a sync hello just now)", "automatic time"},
		{"dead letters", func(t *testing.T, e *env, hub *testHub) { hub.set(func(h *testHub) { h.dead = 3 }) },
			"sync.deadletters", StatusWarn, "the hub holds 3 dead letters", "cunyou-hub deadletters --station " + testNode},
		{"quarantined", func(t *testing.T, e *env, hub *testHub) { hub.set(func(h *testHub) { h.dead, h.quar = 1, 2 }) },
			"sync.deadletters", StatusFail, "quarantined 2 ops of this station (same seq, other content); the hub holds 1 dead letters", "two copies"},
		{"metrics closed", func(t *testing.T, e *env, hub *testHub) { hub.set(func(h *testHub) { h.metricsOpen = false }) },
			"sync.deadletters", StatusOK, "keeps no record of dead letters and the hub's figures cannot be read (HTTP 401); no recent sync error", ""},
		{"metrics closed, hub refused an op", func(t *testing.T, e *env, hub *testHub) {
			hub.set(func(h *testHub) { h.metricsOpen = false })
			require.NoError(t, e.st.RecordSyncError(e.ctx, time.Now(), "unknown_kind", "hub answered 400 unknown_kind"))
		}, "sync.deadletters", StatusWarn, "last sync error: unknown_kind", "cunyou-hub deadletters"},
		{"hub down", func(t *testing.T, e *env, hub *testHub) { hub.srv.Close() },
			"hub.reach", StatusFail, "refused the connection", "the hub service is down"},
		{"hub down, credentials unchecked", func(t *testing.T, e *env, hub *testHub) { hub.srv.Close() },
			"hub.credentials", StatusWarn, "not checked: the hub cannot be reached", "hub.reach"},
		{"hub down, skew as last measured", func(t *testing.T, e *env, hub *testHub) {
			hub.srv.Close()
			require.NoError(t, e.st.SetSkew(e.ctx, -90*time.Second))
		}, "clock.skew", StatusWarn, "ahead of the hub's by 1 min 30 s (as measured at the last sync)", "automatic time"},
		{"plain HTTP on this PC", func(t *testing.T, e *env, hub *testHub) {},
			"hub.tls", StatusOK, "an address on this PC, plain HTTP", ""},
		{"database readable by all", func(t *testing.T, e *env, hub *testHub) {
			require.NoError(t, os.Chmod(filepath.Join(e.dir, "edge.db"), 0o644))
		}, "hub.credentials", StatusWarn, "mode is 0644: other accounts on this PC can read the token", "chmod 600"},
		{"last sync error shown", func(t *testing.T, e *env, hub *testHub) {
			require.NoError(t, e.st.RecordSyncError(e.ctx, time.Now(), "unauthorized", "hub answered 401 unauthorized"))
		}, "sync.oldest", StatusOK, "last sync error unauthorized", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.scanIn(t, 2)
			hub := newTestHub(t)
			hub.srv.Start()
			e.enroll(t, hub.srv.URL, hubToken, "")
			tt.setup(t, e, hub)
			rep := e.run(t)
			got := line(t, rep, tt.check)
			assert.Equal(t, tt.want, got.Status, "%s / %s", got.Detail.Text(messages.EN), got.Fix.Text(messages.EN))
			assert.Contains(t, got.Detail.Text(messages.EN), tt.text)
			assert.Contains(t, got.Fix.Text(messages.EN), tt.fix)
			for _, l := range rep.Lines {
				for _, lang := range []messages.Lang{messages.ZH, messages.EN} {
					assert.NotContains(t, l.Detail.Text(lang)+l.Fix.Text(lang), hubToken, "the token is never shown")
				}
			}
		})
	}
}
