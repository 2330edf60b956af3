//go:build linux

package systest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/drivers/modem"
	"cunyou/hub/sms/smpp"
	hubstore "cunyou/hub/store"
)

// TestStationModemSendsWhileTheHubIsAway runs the real programs: the hub
// sends arrival SMS through an SMSC; the hub goes away; the clerk goes on
// scanning bags in; after modem.after the station sends their arrival SMS
// through its LTE modem (a simulator on a pseudo-terminal). When the hub
// is back and has the station's ops, it sends none of those again: each
// villager got exactly one message.
func TestStationModemSendsWhileTheHubIsAway(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the programs")
	}
	ctx := context.Background()
	smsc, err := smpp.NewSimulator(smpp.SimOptions{SystemID: "sys", Password: "pw"})
	require.NoError(t, err)
	defer smsc.Close()
	sim, err := modem.NewSimulator(modem.SimOptions{})
	require.NoError(t, err)
	defer sim.Close()
	c := startSMSCounty(t, "ST-M01", map[string]any{"window": "0s", "late_hold": "5s",
		"gateways": []map[string]any{{"type": "smpp", "addr": smsc.Addr(), "system_id": "sys", "password": "pw"}},
	}, nil, "CUNYOU_EDGE_MODEM_PORT="+sim.Path(), "CUNYOU_EDGE_MODEM_AFTER=10s")
	hub, kioskURL := c.hub, c.kioskURL
	edgeDB := openRO(t, filepath.Join(c.edgeData, "edge.db"))
	require.NoError(t, poll(ctx, 30*time.Second, 100*time.Millisecond, func() error {
		var text string
		if err := edgeDB.QueryRowContext(ctx, "SELECT text FROM templates WHERE key = 'sms.arrival'").Scan(&text); err != nil {
			return err
		}
		if !strings.Contains(text, "南岗村驿站") {
			return fmt.Errorf("text %q", text)
		}
		return nil
	}), "the station's SMS texts from the hub")
	c.converged(t, false)
	hubDB := openRO(t, filepath.Join(c.hubData, hubstore.DBName))

	// The link goes: the hub is away while bags come in.
	hub.kill()
	token := kioskLogin(t, kioskURL)
	scanCtx, stop := context.WithTimeout(ctx, 2*time.Second)
	scanned := scanBags(scanCtx, kioskURL, token, 11)
	stop()
	// A bag cut off by the deadline may have been stored all the same:
	// count the station's parcels.
	require.NoError(t, edgeDB.QueryRowContext(ctx, "SELECT count(*) FROM parcels WHERE waybill LIKE '7399%'").Scan(&scanned))
	if scanned == 0 {
		body := `{"items":[{"waybill":"73990000999999","carrier":"zto","receiver_phone":"13812345678","receiver_name":"赵"}]}`
		req, _ := http.NewRequest(http.MethodPost, kioskURL+"/api/v1/inbound/batch", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Fatalf("no parcel scanned in: %s %s", resp.Status, b)
	}
	require.NoError(t, poll(ctx, 60*time.Second, 200*time.Millisecond, func() error {
		var left int
		if err := edgeDB.QueryRowContext(ctx, `SELECT count(*) FROM parcels p WHERE p.direction = 'in' AND p.shelf IS NOT NULL
			AND p.waybill LIKE '7399%' AND NOT EXISTS (SELECT 1 FROM station_sms m WHERE m.waybill = p.waybill AND m.state = 'sent')`).Scan(&left); err != nil {
			return err
		}
		if left > 0 {
			return fmt.Errorf("%d parcels without their SMS; the modem sent %d", left, len(sim.Received()))
		}
		return nil
	}), "the station's modem")
	byModem := len(sim.Received())
	require.Positive(t, byModem)
	for _, m := range sim.Received() {
		require.Contains(t, m.Text, "【望奎村邮】", "the hub's text")
		require.Contains(t, m.Text, "南岗村驿站")
	}

	// The hub is back and merges the station's ops: it sends none of them.
	hub.start()
	waitHealthy(t, hub, c.hubURL+"/healthz")
	c.converged(t, true)
	var hubSent int
	require.NoError(t, hubDB.QueryRowContext(ctx, "SELECT count(*) FROM notices WHERE waybill LIKE '7399%' AND message > 0").Scan(&hubSent))
	assert.Zero(t, hubSent, "the hub sent none of the station's")
	var cancelled int
	require.NoError(t, hubDB.QueryRowContext(ctx, "SELECT count(*) FROM notices WHERE reason = 'sent by the station' AND station_sent_ms > 0").
		Scan(&cancelled))
	assert.Equal(t, scanned, cancelled, "every parcel's notice")
	out := runCmd(t, c.hubBin, "sms", "list", "--data", c.hubData)
	assert.Contains(t, out, fmt.Sprintf("arrival SMS sent by stations' modems: %d (also sent by the hub: 0)", scanned))
	t.Logf("%d parcels scanned in while the hub was away: %d messages through the station's modem, none from the hub (the SMSC got %d for the demo's parcels)",
		scanned, byModem, len(smsc.Received()))
}
