package cloud

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/sms"
	"cunyou/sms/smstest"
)

const (
	testSecretID  = "AKIDfakeSecretId0123456789"
	testSecretKey = "fakeSecretKey0123456789"
	testAppID     = "1400006666"
)

func newTencentFake(t *testing.T, now ...func() time.Time) *TencentFake {
	t.Helper()
	o := FakeOptions{KeyID: testSecretID, Secret: testSecretKey, AppID: testAppID, Templates: testTemplates, Signs: []string{"望奎村邮"}}
	if len(now) > 0 {
		o.Now = now[0]
	}
	f := NewTencentFake(o)
	t.Cleanup(func() { f.Close() })
	return f
}

func newTencent(t *testing.T, f *TencentFake, mod func(*TencentOptions)) *Tencent {
	t.Helper()
	o := TencentOptions{Endpoint: f.URL(), SecretID: testSecretID, SecretKey: testSecretKey, AppID: testAppID}
	if mod != nil {
		mod(&o)
	}
	g, err := NewTencent(o)
	require.NoError(t, err)
	return g
}

func TestTencentConformance(t *testing.T) {
	var f *TencentFake
	smstest.Run(t, smstest.Harness{
		New: func(t *testing.T) sms.Gateway {
			f = newTencentFake(t)
			return newTencent(t, f, nil)
		},
		Received:  func() []smstest.Got { return gotOf(f.Received()) },
		Deliver:   func(id string, st sms.Status) { require.True(t, f.Deliver(id, st), id) },
		FailNext:  func(k sms.Kind) { f.FailNext(k) },
		Templates: true,
	})
}

func TestTencentSendCarriesWhatSendSmsNeeds(t *testing.T) {
	f := newTencentFake(t)
	g := newTencent(t, f, func(o *TencentOptions) { o.SignName = "望奎村邮" })
	m := smstest.Message(1, false)
	m.Sign = ""
	sent, err := g.Send(context.Background(), m)
	require.NoError(t, err)
	got := f.Received()
	require.Len(t, got, 1)
	assert.Equal(t, FakeSMS{Phone: m.Phone, Sign: "望奎村邮", Template: "SMS_100001", Params: m.Params, MessageID: m.ID,
		ProviderID: sent.ProviderID, At: got[0].At}, got[0])

	// Without the message's text, the parts are what Tencent bills.
	m = smstest.Message(2, true)
	m.Text = ""
	sent, err = g.Send(context.Background(), m)
	require.NoError(t, err)
	assert.Equal(t, 1, sent.Parts, "the fake's Fee")
}

func TestTencentWrongSecretRefused(t *testing.T) {
	f := newTencentFake(t)
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	m := smstest.Message(1, false)
	for _, tt := range []struct {
		mod  func(*TencentOptions)
		code string
	}{
		{func(o *TencentOptions) { o.SecretKey = "not-the-key" }, "AuthFailure.SignatureFailure"},
		{func(o *TencentOptions) { o.SecretID = "AKIDunknown" }, "AuthFailure.SecretIdNotFound"},
		{func(o *TencentOptions) { o.Now = func() time.Time { return time.Now().Add(10 * time.Minute) } }, "AuthFailure.SignatureExpire"},
		{func(o *TencentOptions) { o.AppID = "1400000000" }, "UnauthorizedOperation.SmsSdkAppIdVerifyFail"},
	} {
		g := newTencent(t, f, func(o *TencentOptions) { tt.mod(o); o.Log = log })
		_, err := g.Send(context.Background(), m)
		var e *sms.Error
		require.ErrorAs(t, err, &e, tt.code)
		assert.Equal(t, tt.code, e.Code)
		assert.Equal(t, sms.Misconfigured, e.Kind, tt.code)
		_, err = g.Receipts(context.Background(), 10)
		assert.Equal(t, sms.Misconfigured, sms.KindOf(err), "pulls are signed too")
	}
	assert.Empty(t, f.Received())
	assert.NotContains(t, logs.String(), m.Phone)
	assert.NotContains(t, logs.String(), "not-the-key")
}

// A request whose body was changed after signing is refused: the
// signature covers the payload's hash.
func TestTencentFakeChecksThePayload(t *testing.T) {
	f := newTencentFake(t)
	body := []byte(`{"Limit":10,"SmsSdkAppId":"1400006666"}`)
	ts := time.Now().Unix()
	host := f.URL()[len("http://") : len(f.URL())-1]
	s := tc3Sign(testSecretKey, "sms", "POST", ts, map[string]string{"content-type": tencentJSON, "host": host}, body)
	for _, tt := range []struct {
		body []byte
		code string
	}{
		{body, ""},
		{[]byte(`{"Limit":99,"SmsSdkAppId":"1400006666"}`), "AuthFailure.SignatureFailure"},
	} {
		req, err := http.NewRequest("POST", f.URL(), bytes.NewReader(tt.body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", tencentJSON)
		req.Header.Set("Authorization", s.Authorization(testSecretID))
		req.Header.Set("X-TC-Action", "PullSmsSendStatus")
		req.Header.Set("X-TC-Version", tencentVersion)
		req.Header.Set("X-TC-Timestamp", strconv.FormatInt(ts, 10))
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		resp.Body.Close()
		if tt.code == "" {
			assert.Contains(t, b.String(), `"PullSmsSendStatusSet":[]`)
		} else {
			assert.Contains(t, b.String(), tt.code)
		}
	}
}

func TestTencentFakeRefusesUnapproved(t *testing.T) {
	f := newTencentFake(t)
	g := newTencent(t, f, nil)
	for _, tt := range []struct {
		mod  func(*sms.Message)
		code string
		kind sms.Kind
	}{
		{func(m *sms.Message) { m.Template = "SMS_999" }, "FailedOperation.TemplateIncorrectOrUnapproved", sms.Misconfigured},
		{func(m *sms.Message) { m.Params = m.Params[:1] }, "FailedOperation.TemplateIncorrectOrUnapproved", sms.Misconfigured},
		{func(m *sms.Message) { m.Sign = "别人的签名" }, "FailedOperation.SignatureIncorrectOrUnapproved", sms.Misconfigured},
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

func TestTencentThrottledRetryAfter(t *testing.T) {
	// 2024-05-01 22:30 Beijing: the daily limit lifts at midnight, 90 min later.
	now := func() time.Time { return time.Date(2024, 5, 1, 22, 30, 0, 0, beijing) }
	f := newTencentFake(t, now)
	g := newTencent(t, f, func(o *TencentOptions) { o.Now = now })
	f.FailWith(http.StatusOK, "LimitExceeded.PhoneNumberDailyLimit", "daily limit")
	_, err := g.Send(context.Background(), smstest.Message(1, false))
	var e *sms.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, sms.Throttled, e.Kind)
	assert.Equal(t, 90*time.Minute, e.RetryAfter)

	f.FailNext(sms.Throttled)
	_, err = g.Send(context.Background(), smstest.Message(1, false))
	require.ErrorAs(t, err, &e)
	assert.Equal(t, 30*time.Second, e.RetryAfter)

	f.FailWith(http.StatusOK, "InternalError", "")
	_, err = g.Send(context.Background(), smstest.Message(1, false))
	require.ErrorAs(t, err, &e)
	assert.Equal(t, sms.Temporary, e.Kind, "Response.Error InternalError")
}

func TestTencentReceipts(t *testing.T) {
	f := newTencentFake(t)
	g := newTencent(t, f, nil)
	ctx := context.Background()
	var ids []string
	for i := range 3 {
		s, err := g.Send(ctx, smstest.Message(i, false))
		require.NoError(t, err)
		ids = append(ids, s.ProviderID)
	}
	f.Deliver(ids[0], sms.Delivered)
	f.Deliver(ids[1], sms.Expired)
	f.Deliver(ids[2], sms.Failed)
	rs, err := g.Receipts(ctx, 2)
	require.NoError(t, err)
	require.Len(t, rs, 2)
	assert.Equal(t, sms.Receipt{ProviderID: ids[0], MessageID: "msg-0", Phone: smstest.Message(0, false).Phone,
		Status: sms.Delivered, Code: "SUCCESS", At: rs[0].At}, rs[0])
	assert.Equal(t, sms.Expired, rs[1].Status)
	rs, err = g.Receipts(ctx, 2)
	require.NoError(t, err)
	require.Len(t, rs, 1)
	assert.Equal(t, sms.Failed, rs[0].Status)
	assert.Equal(t, "FAIL", rs[0].Code)
}

func TestNewTencentValidates(t *testing.T) {
	_, err := NewTencent(TencentOptions{SecretID: "x", AppID: "1"})
	assert.ErrorIs(t, err, ErrNoCredentials)
	_, err = NewTencent(TencentOptions{SecretID: "x", SecretKey: "y"})
	assert.ErrorIs(t, err, ErrNoAppID)
	g, err := NewTencent(TencentOptions{SecretID: "x", SecretKey: "y", AppID: "1"})
	require.NoError(t, err)
	assert.Equal(t, "sms.tencentcloudapi.com", g.host)
	assert.Equal(t, "ap-guangzhou", g.o.Region)
	assert.Equal(t, "tencent", g.Name())
}

// A villager's reply (TD) reaches the hub through PullSmsReplyStatus,
// once.
func TestTencentReplies(t *testing.T) {
	f := newTencentFake(t)
	g := newTencent(t, f, nil)
	ctx := context.Background()
	var in sms.Inbox = g
	rs, err := in.Replies(ctx, 10)
	require.NoError(t, err)
	assert.Empty(t, rs)
	f.Reply("13912345678", "望奎村邮", "TD")
	f.Reply("13800001111", "望奎村邮", "谢谢")
	rs, err = in.Replies(ctx, 1)
	require.NoError(t, err)
	require.Len(t, rs, 1)
	assert.Equal(t, "13912345678", rs[0].Phone)
	assert.Equal(t, "TD", rs[0].Text)
	assert.WithinDuration(t, time.Now(), rs[0].At, 5*time.Second)
	rs, err = in.Replies(ctx, 10)
	require.NoError(t, err)
	require.Len(t, rs, 1, "each reply once")
	assert.Equal(t, "谢谢", rs[0].Text)
}
