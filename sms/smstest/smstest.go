// Package smstest is the conformance suite every sms.Gateway passes, run
// against the gateway and the simulator of its provider (an SMSC, the
// clouds' HTTP endpoints, a modem on a pty).
package smstest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/sms"
)

// Got is a message as the simulator received it.
type Got struct {
	Phone string
	// Text is the reassembled text (SMPP, modem), or for template
	// gateways the template id and the parameters as "id:name=value,…".
	Text string
	// MessageID is our Message.ID when the provider carries it (Aliyun
	// OutId, Tencent SessionContext), else "".
	MessageID string
	// ProviderID is what the simulator answered for it.
	ProviderID string
}

// Harness is a gateway under test with its simulator.
type Harness struct {
	// New returns a gateway connected to a fresh simulator.
	New func(t *testing.T) sms.Gateway
	// Received lists what the simulator has received, oldest first.
	Received func() []Got
	// Deliver makes the simulator report providerID's fate, as the
	// provider would (pushed or held for polling).
	Deliver func(providerID string, st sms.Status)
	// FailNext makes the simulator refuse the next submission as a
	// provider does for kind (Temporary: a server error or a dropped
	// connection; Throttled: its rate-limit answer; Permanent: a bad
	// number or blocked content).
	FailNext func(kind sms.Kind)
	// Templates is true for gateways that send a template and its
	// parameters rather than text (the clouds).
	Templates bool
	// Wait is how long receipts may take to arrive; 5 s when 0.
	Wait time.Duration
}

// Message returns a test message with a unique id; long adds enough text
// to need several parts.
func Message(n int, long bool) sms.Message {
	text := fmt.Sprintf("【望奎村邮】您的包裹已到南岗村驿站，取件码 5-2-%04d，营业至 19:30。", n)
	if long {
		text += strings.Repeat("请凭取件码到驿站领取，逾期三天将提醒，七天后退回。", 3)
	}
	return sms.Message{ID: fmt.Sprintf("msg-%d", n), Phone: fmt.Sprintf("139%08d", 10000000+n), Sign: "望奎村邮",
		Template: "SMS_100001", Params: []sms.Param{{Name: "station", Value: "南岗村驿站"}, {Name: "code", Value: fmt.Sprintf("5-2-%04d", n)}},
		Text: text}
}

// Run runs the suite.
func Run(t *testing.T, h Harness) {
	if h.Wait == 0 {
		h.Wait = 5 * time.Second
	}
	ctx := context.Background()
	received := func(t *testing.T, n int) []Got {
		t.Helper()
		var got []Got
		require.Eventually(t, func() bool { got = h.Received(); return len(got) >= n }, h.Wait, 10*time.Millisecond,
			"the simulator received %d of %d messages", len(got), n)
		return got
	}
	want := func(m sms.Message) string {
		if h.Templates {
			var ps []string
			for _, p := range m.Params {
				ps = append(ps, p.Name+"="+p.Value)
			}
			return m.Template + ":" + strings.Join(ps, ",")
		}
		return m.Text
	}

	t.Run("send", func(t *testing.T) {
		g := h.New(t)
		defer g.Close()
		m := Message(1, false)
		sent, err := g.Send(ctx, m)
		require.NoError(t, err)
		assert.NotEmpty(t, sent.ProviderID)
		assert.Equal(t, 1, sent.Parts)
		got := received(t, 1)
		assert.Equal(t, m.Phone, got[0].Phone)
		assert.Equal(t, want(m), got[0].Text, "the receiver reads exactly the text, Chinese included")
		assert.Equal(t, sent.ProviderID, got[0].ProviderID)
		assert.NotEmpty(t, g.Name())
	})
	t.Run("long message in parts", func(t *testing.T) {
		g := h.New(t)
		defer g.Close()
		m := Message(2, true)
		sent, err := g.Send(ctx, m)
		require.NoError(t, err)
		_, parts := sms.Count(m.Text)
		require.Greater(t, parts, 1)
		assert.Equal(t, parts, sent.Parts)
		got := received(t, 1)
		assert.Equal(t, want(m), got[len(got)-1].Text, "parts reassembled in order")
	})
	t.Run("receipts", func(t *testing.T) {
		g := h.New(t)
		defer g.Close()
		a, err := g.Send(ctx, Message(3, false))
		require.NoError(t, err)
		b, err := g.Send(ctx, Message(4, false))
		require.NoError(t, err)
		h.Deliver(a.ProviderID, sms.Delivered)
		h.Deliver(b.ProviderID, sms.Failed)
		var rs []sms.Receipt
		require.Eventually(t, func() bool {
			more, err := g.Receipts(ctx, 100)
			require.NoError(t, err)
			rs = append(rs, more...)
			return len(rs) >= 2
		}, h.Wait, 20*time.Millisecond, "two receipts")
		byID := map[string]sms.Receipt{}
		for _, r := range rs {
			byID[r.ProviderID] = r
		}
		assert.Equal(t, sms.Delivered, byID[a.ProviderID].Status)
		assert.Equal(t, sms.Failed, byID[b.ProviderID].Status)
		assert.NotEmpty(t, byID[b.ProviderID].Code, "the provider's own code is kept")
		more, err := g.Receipts(ctx, 100)
		require.NoError(t, err)
		assert.Empty(t, more, "a receipt is reported once")
	})
	for _, kind := range []sms.Kind{sms.Temporary, sms.Throttled, sms.Permanent} {
		t.Run("refused "+kind.String(), func(t *testing.T) {
			g := h.New(t)
			defer g.Close()
			h.FailNext(kind)
			_, err := g.Send(ctx, Message(5, false))
			require.Error(t, err)
			assert.Equal(t, kind, sms.KindOf(err), "%v", err)
			assert.NotContains(t, err.Error(), Message(5, false).Phone, "no full phone number in errors")
			if kind != sms.Permanent {
				_, err = g.Send(ctx, Message(6, false))
				assert.NoError(t, err, "the gateway recovers")
			}
		})
	}
	t.Run("bad message is refused before sending", func(t *testing.T) {
		g := h.New(t)
		defer g.Close()
		before := len(h.Received())
		m := Message(7, false)
		m.Phone = "12345"
		_, err := g.Send(ctx, m)
		assert.Equal(t, sms.Permanent, sms.KindOf(err))
		assert.Len(t, h.Received(), before)
	})
	t.Run("cancelled", func(t *testing.T) {
		g := h.New(t)
		defer g.Close()
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := g.Send(cctx, Message(8, false))
		assert.Error(t, err)
		assert.NotEqual(t, sms.Permanent, sms.KindOf(err), "a cancelled send may be retried")
	})
	t.Run("concurrent", func(t *testing.T) {
		g := h.New(t)
		defer g.Close()
		before := len(h.Received())
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := g.Send(ctx, Message(100+i, i%5 == 0))
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			assert.NoError(t, err)
		}
		got := received(t, before+20)
		texts := map[string]bool{}
		for _, g := range got[before:] {
			texts[g.Text] = true
		}
		for i := range 20 {
			assert.True(t, texts[want(Message(100+i, i%5 == 0))], "message %d arrived whole", i)
		}
	})
}
