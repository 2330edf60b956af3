package cloud

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/sms"
	"cunyou/sms/smstest"
)

const (
	testKeyID  = "LTAI5tTestKeyId"
	testSecret = "testSecretOfTheFake"
)

var testTemplates = map[string][]string{"SMS_100001": {"station", "code"}}

func newAliyunFake(t *testing.T) *AliyunFake {
	t.Helper()
	f := NewAliyunFake(FakeOptions{KeyID: testKeyID, Secret: testSecret, Templates: testTemplates, Signs: []string{"望奎村邮"}})
	t.Cleanup(func() { f.Close() })
	return f
}

func newAliyun(t *testing.T, f *AliyunFake, mod func(*AliyunOptions)) *Aliyun {
	t.Helper()
	o := AliyunOptions{Endpoint: f.URL(), AccessKeyID: testKeyID, AccessKeySecret: testSecret, PollEvery: -1}
	if mod != nil {
		mod(&o)
	}
	g, err := NewAliyun(o)
	require.NoError(t, err)
	return g
}

func gotOf(ms []FakeSMS) []smstest.Got {
	var out []smstest.Got
	for _, m := range ms {
		out = append(out, smstest.Got{Phone: m.Phone, Text: m.Text(), MessageID: m.MessageID, ProviderID: m.ProviderID})
	}
	return out
}

func TestAliyunConformance(t *testing.T) {
	var f *AliyunFake
	smstest.Run(t, smstest.Harness{
		New: func(t *testing.T) sms.Gateway {
			f = newAliyunFake(t)
			return newAliyun(t, f, nil)
		},
		Received:  func() []smstest.Got { return gotOf(f.Received()) },
		Deliver:   func(id string, st sms.Status) { require.True(t, f.Deliver(id, st), id) },
		FailNext:  func(k sms.Kind) { f.FailNext(k) },
		Templates: true,
	})
}

func TestAliyunSendCarriesWhatSendSmsNeeds(t *testing.T) {
	f := newAliyunFake(t)
	g := newAliyun(t, f, func(o *AliyunOptions) { o.SignName = "望奎村邮" })
	m := smstest.Message(1, false)
	m.Sign = "" // the gateway's sign name
	m.Params[0].Value = `南岗村 "驿站" & 10%`
	sent, err := g.Send(context.Background(), m)
	require.NoError(t, err)
	got := f.Received()
	require.Len(t, got, 1)
	assert.Equal(t, FakeSMS{Phone: m.Phone, Sign: "望奎村邮", Template: "SMS_100001", Params: m.Params, MessageID: m.ID,
		ProviderID: sent.ProviderID, At: got[0].At}, got[0])
	assert.Equal(t, 1, g.Pending())
}

func TestAliyunWrongSecretRefused(t *testing.T) {
	f := newAliyunFake(t)
	var logs bytes.Buffer
	g := newAliyun(t, f, func(o *AliyunOptions) {
		o.AccessKeySecret = "not-the-secret"
		o.Log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	m := smstest.Message(1, false)
	_, err := g.Send(context.Background(), m)
	var e *sms.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, sms.Misconfigured, e.Kind)
	assert.Equal(t, "SignatureDoesNotMatch", e.Code)
	assert.NotContains(t, err.Error(), m.Phone, "the echoed string to sign is scrubbed")
	assert.Empty(t, f.Received())
	assert.NotContains(t, logs.String(), m.Phone)
	assert.NotContains(t, logs.String(), "not-the-secret")

	g = newAliyun(t, f, func(o *AliyunOptions) { o.AccessKeyID = "LTAIunknown" })
	_, err = g.Send(context.Background(), m)
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "InvalidAccessKeyId.NotFound", e.Code)
	assert.Equal(t, sms.Misconfigured, e.Kind)
}

func TestAliyunClockSkewRefused(t *testing.T) {
	f := newAliyunFake(t)
	g := newAliyun(t, f, func(o *AliyunOptions) { o.Now = func() time.Time { return time.Now().Add(-time.Hour) } })
	_, err := g.Send(context.Background(), smstest.Message(1, false))
	var e *sms.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "InvalidTimeStamp.Expired", e.Code)
	assert.Equal(t, sms.Misconfigured, e.Kind, "a wrong clock is the gateway's fault")
}

func TestAliyunFakeRefusesUnapproved(t *testing.T) {
	f := newAliyunFake(t)
	g := newAliyun(t, f, nil)
	for _, tt := range []struct {
		mod  func(*sms.Message)
		code string
		kind sms.Kind
	}{
		{func(m *sms.Message) { m.Template = "SMS_999" }, "isv.SMS_TEMPLATE_ILLEGAL", sms.Misconfigured},
		{func(m *sms.Message) { m.Sign = "别人的签名" }, "isv.SMS_SIGNATURE_ILLEGAL", sms.Misconfigured},
		{func(m *sms.Message) { m.Params = m.Params[:1] }, "isv.TEMPLATE_MISSING_PARAMETERS", sms.Permanent},
	} {
		m := smstest.Message(1, false)
		tt.mod(&m)
		_, err := g.Send(context.Background(), m)
		var e *sms.Error
		require.ErrorAs(t, err, &e, tt.code)
		assert.Equal(t, tt.code, e.Code)
		assert.Equal(t, tt.kind, e.Kind, tt.code)
	}
	assert.Empty(t, f.Received())
}

func TestAliyunReceiptsPolling(t *testing.T) {
	f := newAliyunFake(t)
	now := time.Now()
	clock := func() time.Time { return now }
	g := newAliyun(t, f, func(o *AliyunOptions) { o.PollEvery = time.Minute; o.GiveUpAfter = time.Hour; o.Now = clock })
	ctx := context.Background()
	a, err := g.Send(ctx, smstest.Message(1, false))
	require.NoError(t, err)
	b, err := g.Send(ctx, smstest.Message(2, false))
	require.NoError(t, err)

	rs, err := g.Receipts(ctx, 10)
	require.NoError(t, err)
	assert.Empty(t, rs, "waiting for the carriers")

	require.True(t, f.Deliver(a.ProviderID, sms.Expired))
	rs, err = g.Receipts(ctx, 10)
	require.NoError(t, err)
	assert.Empty(t, rs, "polled a moment ago: not again before PollEvery")

	now = now.Add(time.Minute)
	rs, err = g.Receipts(ctx, 10)
	require.NoError(t, err)
	require.Len(t, rs, 1)
	assert.Equal(t, sms.Receipt{ProviderID: a.ProviderID, MessageID: "msg-1", Phone: smstest.Message(1, false).Phone,
		Status: sms.Expired, Code: "EXPIRED", At: rs[0].At}, rs[0])
	assert.WithinDuration(t, time.Now(), rs[0].At, 5*time.Second, "ReceiveDate, Beijing time")

	now = now.Add(2 * time.Hour)
	rs, err = g.Receipts(ctx, 10)
	require.NoError(t, err)
	require.Len(t, rs, 1)
	assert.Equal(t, b.ProviderID, rs[0].ProviderID)
	assert.Equal(t, sms.Unknown, rs[0].Status, "no receipt within GiveUpAfter")
	assert.Equal(t, 0, g.Pending())
}

func TestAliyunReceiptsLimit(t *testing.T) {
	f := newAliyunFake(t)
	g := newAliyun(t, f, nil)
	ctx := context.Background()
	for i := range 3 {
		s, err := g.Send(ctx, smstest.Message(i, false))
		require.NoError(t, err)
		f.Deliver(s.ProviderID, sms.Delivered)
	}
	rs, err := g.Receipts(ctx, 2)
	require.NoError(t, err)
	assert.Len(t, rs, 2)
	rs, err = g.Receipts(ctx, 2)
	require.NoError(t, err)
	assert.Len(t, rs, 1)
	assert.Equal(t, "msg-2", rs[0].MessageID, "oldest first")
}

func TestAliyunReceiptsFailureKeepsPending(t *testing.T) {
	f := newAliyunFake(t)
	g := newAliyun(t, f, nil)
	ctx := context.Background()
	s, err := g.Send(ctx, smstest.Message(1, false))
	require.NoError(t, err)
	f.Deliver(s.ProviderID, sms.Delivered)
	f.Close()
	_, err = g.Receipts(ctx, 10)
	assert.Equal(t, sms.Temporary, sms.KindOf(err))
	assert.Equal(t, 1, g.Pending(), "a failed poll loses nothing")
}

func TestNewAliyunValidates(t *testing.T) {
	_, err := NewAliyun(AliyunOptions{AccessKeyID: "x"})
	assert.ErrorIs(t, err, ErrNoCredentials)
	_, err = NewAliyun(AliyunOptions{AccessKeyID: "x", AccessKeySecret: "y", Endpoint: "ftp://x"})
	assert.ErrorIs(t, err, ErrBadEndpoint)
	g, err := NewAliyun(AliyunOptions{AccessKeyID: "x", AccessKeySecret: "y"})
	require.NoError(t, err)
	assert.Equal(t, AliyunEndpoint, g.h.endpoint)
	assert.Equal(t, "aliyun", g.Name())
	_, err = g.Send(context.Background(), sms.Message{ID: "m", Phone: "13912345678", Text: "【村邮】到了"})
	assert.Equal(t, sms.Misconfigured, sms.KindOf(err), "no template: another gateway must send it")
}

func TestAliyunReceiptsSkipAMessageWhoseQueryIsRefused(t *testing.T) {
	f := newAliyunFake(t)
	g := newAliyun(t, f, nil)
	ctx := context.Background()
	g.Track("1^1", "1391234", "msg-bad", time.Now().Add(-time.Minute)) // PhoneNumber refused by the fake
	s, err := g.Send(ctx, smstest.Message(1, false))
	require.NoError(t, err)
	f.Deliver(s.ProviderID, sms.Delivered)
	rs, err := g.Receipts(ctx, 10)
	require.NoError(t, err)
	require.Len(t, rs, 2)
	assert.Equal(t, sms.Receipt{ProviderID: "1^1", MessageID: "msg-bad", Phone: "1391234", Status: sms.Unknown, Code: "isv.MOBILE_NUMBER_ILLEGAL", At: rs[0].At}, rs[0])
	assert.Equal(t, sms.Delivered, rs[1].Status)
}

// A sender that lost SendSms's answer (a crash) finds the message by its
// OutId among the phone's messages, and then gets its receipt.
func TestAliyunFindAfterLostAnswer(t *testing.T) {
	f := newAliyunFake(t)
	sender := newAliyun(t, f, nil)
	ctx := context.Background()
	since := time.Now().Add(-time.Minute)
	// Other messages to the same phone, more than a page's worth.
	for i := range 60 {
		m := smstest.Message(1, false)
		m.ID = fmt.Sprintf("other-%d", i)
		_, err := sender.Send(ctx, m)
		require.NoError(t, err)
	}
	lost := smstest.Message(1, false)
	lost.ID = "m77"
	_, err := sender.Send(ctx, lost)
	require.NoError(t, err)

	// The restarted sender knows only its own message.
	g := newAliyun(t, f, nil)
	s, found, err := g.Find(ctx, lost, since)
	require.NoError(t, err)
	require.True(t, found, "m77 is the 61st message of the day: on the second page")
	assert.Equal(t, "out:m77", s.ProviderID)
	never := smstest.Message(1, false)
	never.ID = "m78"
	_, found, err = g.Find(ctx, never, since)
	require.NoError(t, err)
	assert.False(t, found)

	biz := f.Received()[60].ProviderID
	require.True(t, f.Deliver(biz, sms.Delivered))
	rs, err := g.Receipts(ctx, 10)
	require.NoError(t, err)
	require.Len(t, rs, 1)
	assert.Equal(t, sms.Receipt{ProviderID: "out:m77", MessageID: "m77", Phone: lost.Phone, Status: sms.Delivered, Code: "DELIVERED", At: rs[0].At}, rs[0])

	f.FailNext(sms.Temporary)
	_, _, err = g.Find(ctx, never, since)
	assert.Equal(t, sms.Temporary, sms.KindOf(err), "a failed query is no answer")
}
