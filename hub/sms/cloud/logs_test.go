package cloud

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/sms"
	"cunyou/sms/smstest"
)

// Sends, refusals and receipts log masked numbers and never a secret.
func TestLogsHoldNoPhoneNorSecret(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	af := newAliyunFake(t)
	tf := newTencentFake(t)
	ali := newAliyun(t, af, func(o *AliyunOptions) { o.Log = log })
	ten := newTencent(t, tf, func(o *TencentOptions) { o.Log = log })
	ctx := context.Background()
	m := smstest.Message(1, false)
	for _, g := range []struct {
		sms.Gateway
		fail    func(sms.Kind)
		deliver func(string, sms.Status) bool
	}{{ali, af.FailNext, af.Deliver}, {ten, tf.FailNext, tf.Deliver}} {
		s, err := g.Send(ctx, m)
		require.NoError(t, err)
		g.deliver(s.ProviderID, sms.Failed)
		rs, err := g.Receipts(ctx, 10)
		require.NoError(t, err)
		require.Len(t, rs, 1)
		for _, k := range []sms.Kind{sms.Temporary, sms.Throttled, sms.Permanent, sms.Misconfigured} {
			g.fail(k)
			_, err := g.Send(ctx, m)
			assert.Equal(t, k, sms.KindOf(err), "%s %v", g.Name(), err)
		}
	}
	out := logs.String()
	assert.Contains(t, out, sms.Mask(m.Phone))
	for _, secret := range []string{m.Phone, testSecret, testSecretKey} {
		assert.NotContains(t, out, secret)
	}
	assert.Equal(t, 2*5, strings.Count(out, "sms sent")+strings.Count(out, "sms not sent"))
}

// A request replayed as it was is refused: Aliyun keeps the nonces it saw.
func TestAliyunFakeRefusesReplay(t *testing.T) {
	f := newAliyunFake(t)
	p := map[string]string{
		"AccessKeyId": testKeyID, "Action": "QuerySendDetails", "Format": "JSON", "RegionId": "cn-hangzhou",
		"SignatureMethod": "HMAC-SHA1", "SignatureNonce": nonce(), "SignatureVersion": "1.0",
		"Timestamp": time.Now().UTC().Format(aliyunTimeFmt), "Version": aliyunVersion,
		"PhoneNumber": "13912345678", "SendDate": time.Now().In(beijing).Format(aliyunDateFmt), "PageSize": "10",
	}
	body := aliyunBody(p, aliyunSignature(testSecret, "POST", p))
	for _, want := range []string{`"Code":"OK"`, `"Code":"SignatureNonceUsed"`} {
		resp, err := http.Post(f.URL(), "application/x-www-form-urlencoded", strings.NewReader(body))
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Contains(t, string(b), want)
	}
}
