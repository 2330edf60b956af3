//go:build linux

package systest

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/hub/sms/cloud"
	hubstore "cunyou/hub/store"
)

// TestArrivalSMSExactlyOnceThroughHubKills runs the real programs: a
// station's clerk scans bags in at the kiosk, the station syncs, the hub
// sends each arrival SMS through Aliyun (a fake that verifies the signed
// requests and answers slowly), and the hub is killed with SIGKILL over
// and over, each time just after Aliyun accepted a message and before its
// answer arrived. At the end every arrival notice went out in exactly one
// message, and Aliyun received every message exactly once.
func TestArrivalSMSExactlyOnceThroughHubKills(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the programs")
	}
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 0x5e5))
	fa := cloud.NewAliyunFake(cloud.FakeOptions{KeyID: "LTAI-systest", Secret: "systest-secret", Signs: []string{"望奎村邮"},
		AnswerDelay: 60 * time.Millisecond})
	defer fa.Close()
	c := startSMSCounty(t, "ST-S01", map[string]any{"window": "300ms",
		"gateways": []map[string]any{{"type": "aliyun", "endpoint": fa.URL(), "key_id": "LTAI-systest", "key_secret": "systest-secret"}},
	}, func(c *smsCounty) {
		for _, tpl := range []struct{ kind, text string }{
			{"arrival", "您的{carrier}包裹已到{station}，取件码{code}，营业至{close}。"},
			{"arrival_many", "您有{count}个包裹在{station}，取件码{codes}，营业至{close}。"},
		} {
			runCmd(t, c.hubBin, "sms", "template", "--config", c.cfgPath, "--data", c.hubData, "--kind", tpl.kind, "--text", tpl.text,
				"--provider", "aliyun=SMS_"+tpl.kind)
		}
	})
	hub, hubURL, kioskURL := c.hub, c.hubURL, c.kioskURL
	stopScan := context.CancelFunc(func() {})
	defer func() { stopScan() }()
	token := kioskLogin(t, kioskURL)

	scanCtx, cancel := context.WithCancel(ctx)
	stopScan = cancel
	scanned := make(chan int, 1)
	go func() { scanned <- scanBags(scanCtx, kioskURL, token, 7) }()

	// Each round waits for Aliyun to accept a message and kills the hub
	// while the answer is on its way back: the hub has sent a message it
	// has no record of sending.
	const rounds = 8
	for round := range rounds {
		before := len(fa.Received())
		require.NoError(t, poll(ctx, 30*time.Second, time.Millisecond, func() error {
			if len(fa.Received()) == before {
				return fmt.Errorf("no message accepted since %d", before)
			}
			return nil
		}), "round %d", round+1)
		hub.kill()
		t.Logf("round %d: killed the hub after Aliyun's message %d", round+1, len(fa.Received()))
		time.Sleep(time.Duration(rng.IntN(200)) * time.Millisecond)
		hub.start()
		waitHealthy(t, hub, hubURL+"/healthz")
	}
	stopScan()
	t.Logf("%d parcels scanned in at the kiosk", <-scanned)

	c.converged(t, true)
	hubDB := openRO(t, filepath.Join(c.hubData, hubstore.DBName))
	c.edge.term()
	hub.term()

	// Every inbound parcel the hub knows has its arrival notice, sent (or
	// dropped because the demo's villager picked the parcel up first).
	var parcels, notices, sent, pickedUp, found int
	require.NoError(t, hubDB.QueryRowContext(ctx, "SELECT count(*) FROM parcels WHERE direction = 'in' AND receiver_phone <> ''").Scan(&parcels))
	require.NoError(t, hubDB.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE state = 'sent' AND message > 0),
		count(*) FILTER (WHERE state = 'cancelled' AND reason = 'picked up') FROM notices WHERE kind = 'arrival'`).
		Scan(&notices, &sent, &pickedUp))
	require.NoError(t, hubDB.QueryRowContext(ctx, "SELECT count(*) FROM sms_attempts WHERE error_code = 'found'").Scan(&found))
	assert.Equal(t, parcels, notices, "one arrival notice a parcel")
	if !assert.Equal(t, notices, sent+pickedUp, "every arrival notice sent") {
		rows, err := hubDB.QueryContext(ctx, "SELECT state, reason, message, count(*) FROM notices GROUP BY 1, 2, 3 HAVING state <> 'sent' OR message = 0")
		require.NoError(t, err)
		for rows.Next() {
			var state, reason string
			var msg, n int
			require.NoError(t, rows.Scan(&state, &reason, &msg, &n))
			t.Logf("%d notices %s (%s) message %d", n, state, reason, msg)
		}
		rows.Close()
	}

	// Each message went to Aliyun exactly once, and Aliyun got nothing
	// else.
	ids, err := messageIDs(ctx, hubDB)
	require.NoError(t, err)
	got := map[string]int{}
	for _, m := range fa.Received() {
		got[m.MessageID]++
	}
	for id, phone := range ids {
		if got[id] != 1 {
			t.Errorf("message %s to %s reached Aliyun %d times", id, phone, got[id])
		}
	}
	for id := range got {
		if _, ok := ids[id]; !ok {
			t.Errorf("Aliyun got message %s the hub does not know", id)
		}
	}
	t.Logf("%d parcels, %d arrival notices (%d picked up before) in %d messages; Aliyun received %d; %d messages a kill caught between acceptance and answer were found at Aliyun",
		parcels, notices, pickedUp, len(ids), len(fa.Received()), found)
	assert.Positive(t, found, "no kill landed mid-send: the test proved nothing")
}

// messageIDs are the hub's messages as gateways know them (m<id>), with
// their phone masked.
func messageIDs(ctx context.Context, db *sql.DB) (map[string]string, error) {
	rows, err := db.QueryContext(ctx, "SELECT id, phone FROM sms_messages")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id int64
		var phone string
		if err := rows.Scan(&id, &phone); err != nil {
			return nil, err
		}
		out[fmt.Sprintf("m%d", id)] = phone[:3] + "****" + phone[7:]
	}
	return out, rows.Err()
}
