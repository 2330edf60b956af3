package notify_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/hub/notify"
	"cunyou/hub/sms/cloud"
	"cunyou/hub/sms/smpp"
	"cunyou/sms"
)

// The arrival SMS through a real gateway: the Aliyun client signs its
// requests, the fake dysmsapi verifies them, sends only approved
// templates and signatures, and reports delivery; a Tencent client behind
// it takes over when Aliyun refuses.
func TestArrivalThroughTheClouds(t *testing.T) {
	fa := cloud.NewAliyunFake(cloud.FakeOptions{KeyID: "LTAI-test", Secret: "secret-a",
		Templates: map[string][]string{"SMS_1001": {"carrier", "station", "code", "close"}}, Signs: []string{"望奎村邮"}})
	defer fa.Close()
	ft := cloud.NewTencentFake(cloud.FakeOptions{KeyID: "AKID-test", Secret: "secret-t", AppID: "1400006666", Signs: []string{"望奎村邮"}})
	defer ft.Close()
	ali, err := cloud.NewAliyun(cloud.AliyunOptions{Endpoint: fa.URL(), AccessKeyID: "LTAI-test", AccessKeySecret: "secret-a",
		SignName: "望奎村邮", PollEvery: -1})
	require.NoError(t, err)
	ten, err := cloud.NewTencent(cloud.TencentOptions{Endpoint: ft.URL(), SecretID: "AKID-test", SecretKey: "secret-t",
		AppID: "1400006666", SignName: "望奎村邮"})
	require.NoError(t, err)

	e := newEnv(t, time.Now().In(cst))
	ctx := context.Background()
	_, err = notify.SetTemplate(ctx, e.st, "arrival", "望奎村邮", "您的{carrier}包裹已到{station}，取件码{code}，营业至{close}。",
		map[string]string{"aliyun": "SMS_1001", "tencent": "2001"}, "test")
	require.NoError(t, err)
	e.n = notify.New(notify.Options{Store: e.st, Gateways: []sms.Gateway{ali, ten}, Sign: "望奎村邮", Location: cst,
		Quiet: "00:00-00:01", Now: e.clk.now})
	enroll(t, e, "ST-V0101")
	e.scan(t, "ST-V0101", "73100000000001", "13912345678")
	e.clk.advance(3 * time.Second)
	e.pass(t)
	got := fa.Received()
	require.Len(t, got, 1)
	assert.Equal(t, "13912345678", got[0].Phone)
	assert.Equal(t, "SMS_1001:carrier=中通,station=南岗村驿站,code=1-1-0001,close=19:30", got[0].Text())
	pid := e.state(t, "SELECT provider_id FROM sms_messages")
	require.True(t, fa.Deliver(pid, sms.Delivered))
	require.Eventually(t, func() bool {
		_, err := e.n.Receipts(ctx)
		require.NoError(t, err)
		return e.state(t, "SELECT state FROM sms_messages") == "delivered"
	}, 5*time.Second, 20*time.Millisecond)

	// Aliyun throttles: Tencent sends it, with its own template id.
	fa.FailNext(sms.Throttled)
	e.scan(t, "ST-V0101", "73100000000002", "13800001111")
	e.clk.advance(3 * time.Second)
	e.pass(t)
	require.Len(t, ft.Received(), 1)
	assert.Equal(t, "2001:1=中通,2=南岗村驿站,3=1-1-0002,4=19:30", ft.Received()[0].Text())
	assert.Equal(t, "tencent", e.state(t, "SELECT gateway FROM sms_messages WHERE phone = '13800001111'"))
}

// A villager replies TD through the SMSC: no more messages to that phone.
func TestOptOutByReply(t *testing.T) {
	sim, err := smpp.NewSimulator(smpp.SimOptions{SystemID: "u", Password: "p"})
	require.NoError(t, err)
	defer sim.Close()
	g, err := smpp.New(smpp.Options{Addr: sim.Addr(), SystemID: "u", Password: "p"})
	require.NoError(t, err)
	defer g.Close()
	e := newEnv(t, morning)
	e.n = notify.New(notify.Options{Store: e.st, Gateways: []sms.Gateway{g}, Sign: "望奎村邮", Location: cst, Now: e.clk.now})
	sim.Reply("13912345678", "TD")
	require.Eventually(t, func() bool {
		n, err := e.n.Replies(context.Background())
		require.NoError(t, err)
		return n == 1
	}, 5*time.Second, 10*time.Millisecond)
	enroll(t, e, "ST-V0101")
	e.scan(t, "ST-V0101", "73100000000001", "13912345678")
	e.clk.advance(3 * time.Second)
	e.pass(t)
	assert.Empty(t, sim.Received())
	assert.Equal(t, "suppressed", e.state(t, "SELECT state FROM notices"))
	assert.Equal(t, "reply TD", e.state(t, "SELECT source FROM sms_optout"))
}

// A stop between the provider's acceptance and its record, or an answer
// lost on the way back: the notifier asks Aliyun (QuerySendDetails, by
// OutId) before sending again, so the receiver gets one message. A
// gateway that cannot be asked sends again, counted as uncertain.
func TestInterruptedMessageIsLookedUpNotSentTwice(t *testing.T) {
	fa := cloud.NewAliyunFake(cloud.FakeOptions{KeyID: "LTAI-test", Secret: "secret-a",
		Templates: map[string][]string{"SMS_1001": {"carrier", "station", "code", "close"}}, Signs: []string{"望奎村邮"}})
	defer fa.Close()
	ali, err := cloud.NewAliyun(cloud.AliyunOptions{Endpoint: fa.URL(), AccessKeyID: "LTAI-test", AccessKeySecret: "secret-a",
		SignName: "望奎村邮", PollEvery: -1})
	require.NoError(t, err)
	other := &gateway{name: "tencent"}
	e := newEnv(t, time.Now().In(cst))
	ctx := context.Background()
	_, err = notify.SetTemplate(ctx, e.st, "arrival", "望奎村邮", "您的{carrier}包裹已到{station}，取件码{code}，营业至{close}。",
		map[string]string{"aliyun": "SMS_1001", "tencent": "2001"}, "test")
	require.NoError(t, err)
	newNotifier := func() {
		e.n = notify.New(notify.Options{Store: e.st, Gateways: []sms.Gateway{ali, other}, Sign: "望奎村邮", Location: cst,
			Quiet: "00:00-00:01", Now: e.clk.now})
	}
	newNotifier()
	enroll(t, e, "ST-V0101")

	// Accepted, then the hub stopped before recording it.
	e.scan(t, "ST-V0101", "73100000000001", "13912345678")
	e.clk.advance(3 * time.Second)
	e.pass(t)
	require.Len(t, fa.Received(), 1)
	require.NoError(t, e.st.Write(ctx, func(tx *sqlTx) error {
		_, err := tx.Exec("UPDATE sms_messages SET state = 'sending', provider_id = '', submitted_ms = 0")
		return err
	}))
	newNotifier()
	n, err := e.n.Recover(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	e.pass(t)
	assert.Len(t, fa.Received(), 1, "found at Aliyun: not sent again")
	assert.Empty(t, other.texts(), "nor through the next gateway")
	assert.Equal(t, "submitted out:m1", e.state(t, "SELECT state || ' ' || provider_id FROM sms_messages WHERE id = 1"))
	assert.Equal(t, notify.Stats{Found: 1}, e.n.Stats())

	// Aliyun's answer lost (a timeout): the next gateway does not get it
	// at once; the next attempt asks Aliyun first, then sends it, once.
	fa.FailNext(sms.Temporary)
	e.scan(t, "ST-V0101", "73100000000002", "13800001111")
	e.clk.advance(3 * time.Second)
	e.pass(t)
	assert.Len(t, fa.Received(), 1)
	assert.Empty(t, other.texts())
	assert.Equal(t, "queued interrupted", e.state(t, "SELECT state || ' ' || error_code FROM sms_messages WHERE id = 2"))
	e.clk.advance(15 * time.Minute)
	e.pass(t)
	require.Len(t, fa.Received(), 2)
	assert.Equal(t, "13800001111", fa.Received()[1].Phone)
	assert.Equal(t, notify.Stats{Found: 1, Checked: 1}, e.n.Stats())

	// A gateway that cannot be asked: sent again, and counted.
	require.NoError(t, e.st.Write(ctx, func(tx *sqlTx) error {
		_, err := tx.Exec("UPDATE sms_messages SET state = 'sending', gateway = 'tencent' WHERE id = 2")
		return err
	}))
	_, err = e.n.Recover(ctx)
	require.NoError(t, err)
	e.pass(t)
	assert.Len(t, other.texts(), 0, "aliyun, first in order, sends it")
	assert.Len(t, fa.Received(), 3, "a second copy")
	assert.Equal(t, notify.Stats{Found: 1, Checked: 1, Uncertain: 1}, e.n.Stats())
}
