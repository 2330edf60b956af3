//go:build linux

package systest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// smsCounty is a hub with an SMS section in its config and one enrolled
// station with the demo's data, both the real programs, running.
type smsCounty struct {
	hub, edge         *proc
	hubBin, edgeBin   string
	hubData, edgeData string
	cfgPath           string
	hubURL, kioskURL  string
	node              string
}

// startSMSCounty starts the hub with sms (merged over quiet hours half a
// day away and generous per-phone limits), runs setup (when not nil),
// adds, enrolls and seeds station node, and starts it with edgeEnv. Both
// are killed when the test ends, their output logged if it failed.
func startSMSCounty(t *testing.T, node string, sms map[string]any, setup func(*smsCounty), edgeEnv ...string) *smsCounty {
	t.Helper()
	c := &smsCounty{node: node}
	c.hubBin, c.edgeBin = buildBinaries(t)
	work := t.TempDir()
	c.hubData, c.edgeData = filepath.Join(work, "hub"), filepath.Join(work, "edge")
	c.hubURL = fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	quietFrom := time.Now().In(cst).Add(12 * time.Hour) // the test never waits for morning
	section := map[string]any{"sign": "望奎村邮", "quiet": quietFrom.Format("15:04") + "-" + quietFrom.Add(time.Minute).Format("15:04"),
		"per_minute": 1000, "per_hour": 1000, "per_day": 1000}
	for k, v := range sms {
		section[k] = v
	}
	cfg, err := json.Marshal(map[string]any{"version": 1, "sms": section})
	require.NoError(t, err)
	c.cfgPath = filepath.Join(work, "hub.json")
	require.NoError(t, os.WriteFile(c.cfgPath, cfg, 0o600))

	c.hub = &proc{t: t, name: "hub", bin: c.hubBin, args: []string{"serve", "--config", c.cfgPath, "--data", c.hubData,
		"--listen", strings.TrimPrefix(c.hubURL, "http://")}, env: []string{"CUNYOU_HUB_LOG_LEVEL=warn"}}
	kiosk := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	c.kioskURL = "http://" + kiosk
	c.edge = &proc{t: t, name: "edge", bin: c.edgeBin, args: []string{"serve", "--data", c.edgeData, "--listen", kiosk},
		env: append([]string{"CUNYOU_EDGE_SYNC_INTERVAL=1s", "CUNYOU_EDGE_LOG_LEVEL=warn"}, edgeEnv...)}
	t.Cleanup(func() {
		c.edge.kill()
		c.hub.kill()
		if t.Failed() {
			t.Logf("hub output:\n%s\nedge output:\n%s", c.hub.tail(6000), c.edge.tail(4000))
		}
	})
	require.NoError(t, os.MkdirAll(c.hubData, 0o700))
	c.hub.start()
	waitHealthy(t, c.hub, c.hubURL+"/healthz")
	if setup != nil {
		setup(c)
	}
	out := runCmd(t, c.hubBin, "station", "add", "--config", c.cfgPath, "--data", c.hubData, "--id", node, "--name", "南岗村驿站")
	code := regexp.MustCompile(`\b[0-9A-Z]{4}-[0-9A-Z]{4}\b`).FindString(out)
	require.NotEmpty(t, code, "no enrollment code in %q", out)
	runCmd(t, c.edgeBin, "enroll", "--data", c.edgeData, "--hub", c.hubURL, "--code", code)
	runCmd(t, c.edgeBin, "demo", "--data", c.edgeData, "--node", node, "--seed", "3")
	c.edge.start()
	waitHealthy(t, c.edge, c.kioskURL+"/healthz")
	return c
}

// converged waits until the hub holds every op of the station, has
// projected them, and (sent) has no notice or message left to send.
func (c *smsCounty) converged(t *testing.T, sent bool) {
	t.Helper()
	ctx := context.Background()
	hubDB, edgeDB := openRO(t, filepath.Join(c.hubData, "hub.db")), openRO(t, filepath.Join(c.edgeData, "edge.db"))
	require.NoError(t, poll(ctx, 90*time.Second, 50*time.Millisecond, func() error {
		hubAt, acked, last, err := uploadState(ctx, hubDB, edgeDB, c.node)
		if err != nil {
			return err
		}
		if hubAt != last || acked != last {
			return fmt.Errorf("hub at %d, station acked %d, last seq %d", hubAt, acked, last)
		}
		q := "SELECT count(*) FROM ops WHERE hub_seq > (SELECT projected_seq FROM hub)"
		if sent {
			q = `SELECT (SELECT count(*) FROM notices WHERE state = 'pending') +
				(SELECT count(*) FROM sms_messages WHERE state IN ('queued', 'sending')) + (` + q + `)`
		}
		var waiting int
		if err := hubDB.QueryRowContext(ctx, q).Scan(&waiting); err != nil {
			return err
		}
		if waiting > 0 {
			return fmt.Errorf("%d ops to project, notices or messages to send", waiting)
		}
		return nil
	}), "not converged")
}
