package smpp_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/hub/sms/smpp"
	"cunyou/sms"
	"cunyou/sms/smstest"
)

func newSim(t testing.TB, opt smpp.SimOptions) *smpp.Simulator {
	t.Helper()
	if opt.SystemID == "" {
		opt.SystemID, opt.Password = "cunyou", "secret12"
	}
	sim, err := smpp.NewSimulator(opt)
	require.NoError(t, err)
	t.Cleanup(func() { sim.Close() })
	return sim
}

func newGateway(t testing.TB, sim *smpp.Simulator, opt smpp.Options) *smpp.Gateway {
	t.Helper()
	opt.Addr = sim.Addr()
	if opt.SystemID == "" {
		opt.SystemID, opt.Password = "cunyou", "secret12"
	}
	if opt.SourceAddr == "" {
		opt.SourceAddr = "106900001234"
	}
	if opt.Timeout == 0 {
		opt.Timeout = 5 * time.Second
	}
	g, err := smpp.New(opt)
	require.NoError(t, err)
	t.Cleanup(func() { g.Close() })
	return g
}

func TestConformance(t *testing.T) {
	var sim *smpp.Simulator
	smstest.Run(t, smstest.Harness{
		New: func(t *testing.T) sms.Gateway {
			sim = newSim(t, smpp.SimOptions{})
			return newGateway(t, sim, smpp.Options{})
		},
		Received: func() []smstest.Got {
			var got []smstest.Got
			for _, r := range sim.Received() {
				got = append(got, smstest.Got(r))
			}
			return got
		},
		Deliver: func(id string, st sms.Status) { require.NoError(t, sim.Deliver(id, st)) },
		FailNext: func(kind sms.Kind) {
			switch kind {
			case sms.Temporary:
				sim.DropNext()
			case sms.Throttled:
				sim.FailNext(smpp.StatusThrottled)
			case sms.Permanent:
				sim.FailNext(smpp.StatusInvDstAdr)
			default:
				t.Fatalf("no fault for %v", kind)
			}
		},
	})
}

func TestBindRefused(t *testing.T) {
	sim := newSim(t, smpp.SimOptions{})
	for _, c := range []struct{ name, id, pw, code string }{
		{"wrong password", "cunyou", "wrong", "0x0E"},
		{"unknown system id", "nobody", "secret12", "0x0F"},
	} {
		t.Run(c.name, func(t *testing.T) {
			g, err := smpp.New(smpp.Options{Addr: sim.Addr(), SystemID: c.id, Password: c.pw, Timeout: 2 * time.Second})
			require.Error(t, err)
			assert.Nil(t, g)
			assert.Equal(t, sms.Misconfigured, sms.KindOf(err), "%v", err)
			var e *sms.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, c.code, e.Code)
		})
	}
	assert.Equal(t, 2, sim.Stats().BindsRefused)
}

func TestOptionsRefused(t *testing.T) {
	for _, o := range []smpp.Options{
		{SystemID: "x"},
		{Addr: "127.0.0.1:1"},
		{Addr: "127.0.0.1:1", SystemID: "x", Password: "123456789"},
		{Addr: "127.0.0.1:1", SystemID: "x", SourceAddr: "123456789012345678901"},
	} {
		_, err := smpp.New(o)
		assert.Equal(t, sms.Misconfigured, sms.KindOf(err), "%+v: %v", o, err)
	}
}

// An SMSC that cannot be reached is no error at start; Send waits for it
// and says nothing was sent.
func TestSMSCUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	g, err := smpp.New(smpp.Options{Addr: addr, SystemID: "cunyou", Timeout: 300 * time.Millisecond})
	require.NoError(t, err)
	defer g.Close()
	assert.False(t, g.Bound())
	_, err = g.Send(context.Background(), smstest.Message(1, false))
	var e *sms.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, sms.Temporary, e.Kind)
	assert.Equal(t, smpp.CodeNotBound, e.Code)
}

// The SMSC's answers become the contract's kinds.
func TestRefusals(t *testing.T) {
	sim := newSim(t, smpp.SimOptions{})
	g := newGateway(t, sim, smpp.Options{})
	for _, c := range []struct {
		st   smpp.CommandStatus
		kind sms.Kind
	}{
		{smpp.StatusThrottled, sms.Throttled},
		{smpp.StatusMsgQFull, sms.Temporary},
		{smpp.StatusSysErr, sms.Temporary},
		{smpp.StatusTempAppErr, sms.Temporary},
		{smpp.CommandStatus(0x401), sms.Temporary},
		{smpp.StatusInvDstAdr, sms.Permanent},
		{smpp.StatusPermAppErr, sms.Permanent},
		{smpp.StatusInvSrcAdr, sms.Misconfigured},
		{smpp.StatusInvESMClass, sms.Misconfigured},
	} {
		t.Run(c.st.String(), func(t *testing.T) {
			sim.FailNext(c.st)
			_, err := g.Send(context.Background(), smstest.Message(1, false))
			var e *sms.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, c.kind, e.Kind)
			assert.Equal(t, c.st.Code(), e.Code)
			if c.kind == sms.Throttled {
				assert.Equal(t, smpp.ThrottleWait, e.RetryAfter)
			}
		})
	}
	sim.RejectPhone("13900000042")
	m := smstest.Message(42, false)
	m.Phone = "13900000042"
	_, err := g.Send(context.Background(), m)
	assert.Equal(t, sms.Permanent, sms.KindOf(err))
	assert.NotContains(t, err.Error(), m.Phone)

	_, err = g.Send(context.Background(), smstest.Message(2, false))
	assert.NoError(t, err, "the link survives refusals")
	assert.Equal(t, 1, sim.Stats().Binds)
}

func TestThrottledBySMSC(t *testing.T) {
	sim := newSim(t, smpp.SimOptions{MaxPerSecond: 2})
	g := newGateway(t, sim, smpp.Options{})
	kinds := map[sms.Kind]int{}
	for i := range 5 {
		_, err := g.Send(context.Background(), smstest.Message(i, false))
		if err != nil {
			kinds[sms.KindOf(err)]++
		}
	}
	assert.NotZero(t, kinds[sms.Throttled])
	assert.Len(t, kinds, 1, "only throttled: %v", kinds)
}

// The simulator drops the link while a full window waits for answers:
// every Send ends, either sent or Temporary; the sent ones reached the
// SMSC; the gateway rebinds and sends again.
func TestReconnectMidWindow(t *testing.T) {
	sim := newSim(t, smpp.SimOptions{Latency: 100 * time.Millisecond})
	g := newGateway(t, sim, smpp.Options{Window: 5, Timeout: 3 * time.Second})
	const n = 30
	type outcome struct {
		sent sms.Sent
		err  error
	}
	out := make([]outcome, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			s, err := g.Send(context.Background(), smstest.Message(200+i, i%7 == 0))
			out[i] = outcome{s, err}
		})
	}
	time.Sleep(150 * time.Millisecond) // some answered, a window waiting
	sim.Drop()
	time.Sleep(250 * time.Millisecond) // reconnected, more in flight
	sim.Drop()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("sends hang after the link dropped")
	}
	received := map[string]bool{}
	for _, r := range sim.Received() {
		received[r.ProviderID] = true
	}
	var ok, temp int
	for i, o := range out {
		if o.err != nil {
			assert.Equal(t, sms.Temporary, sms.KindOf(o.err), "send %d: %v", i, o.err)
			temp++
			continue
		}
		ok++
		assert.True(t, received[o.sent.ProviderID], "send %d: acknowledged but not at the SMSC", i)
	}
	t.Logf("%d sent, %d temporary failures, %d binds", ok, temp, sim.Stats().Binds)
	assert.NotZero(t, temp, "the drops hit sends in flight")
	assert.GreaterOrEqual(t, sim.Stats().Binds, 2)
	assert.LessOrEqual(t, sim.Stats().MaxOutstanding, 5)

	_, err := g.Send(context.Background(), smstest.Message(300, false))
	assert.NoError(t, err, "sends go on after the rebind")
}

// An SMSC that closes every link right after binding it: the gateway
// binds again and again (backing off), and never takes a dead link for a
// live one.
func TestLinkDiesRightAfterBind(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	var binds atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b, err := smpp.ReadPDU(c)
			if err == nil {
				p, _ := smpp.Decode(b)
				out, _ := smpp.PDU{ID: p.ID.Resp(), Seq: p.Seq, Body: &smpp.BindResp{SystemID: "x"}}.Encode()
				c.Write(out)
				binds.Add(1)
			}
			c.Close()
		}
	}()
	g, err := smpp.New(smpp.Options{Addr: ln.Addr().String(), SystemID: "cunyou", Timeout: 200 * time.Millisecond})
	require.NoError(t, err)
	defer g.Close()
	require.Eventually(t, func() bool { return binds.Load() >= 4 }, 5*time.Second, 10*time.Millisecond)
	_, err = g.Send(context.Background(), smstest.Message(1, false))
	assert.Equal(t, sms.Temporary, sms.KindOf(err), "%v", err)
}

// A send while the link is down waits for the rebind rather than fail.
func TestSendWaitsForRebind(t *testing.T) {
	sim := newSim(t, smpp.SimOptions{})
	g := newGateway(t, sim, smpp.Options{})
	sim.Drop()
	require.Eventually(t, func() bool { return !g.Bound() }, time.Second, time.Millisecond, "the gateway saw the drop")
	sent, err := g.Send(context.Background(), smstest.Message(1, false))
	require.NoError(t, err)
	assert.NotEmpty(t, sent.ProviderID)
}

// With enquire_link every 50 ms the link outlives the SMSC's 500 ms idle
// timeout; without it the SMSC drops it (and the gateway rebinds).
func TestEnquireLinkKeepsIdleLink(t *testing.T) {
	for _, c := range []struct {
		name     string
		interval time.Duration
		kept     bool
	}{
		{"enquire_link every 50ms", 50 * time.Millisecond, true},
		{"enquire_link every 10s", 10 * time.Second, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			sim := newSim(t, smpp.SimOptions{IdleTimeout: 500 * time.Millisecond})
			g := newGateway(t, sim, smpp.Options{EnquireLink: c.interval})
			time.Sleep(1200 * time.Millisecond)
			st := sim.Stats()
			if c.kept {
				assert.Equal(t, 1, st.Binds, "one bind, never dropped")
				assert.GreaterOrEqual(t, st.EnquireLinks, 5)
			} else {
				assert.GreaterOrEqual(t, st.Binds, 2, "dropped when idle, bound again")
			}
			_, err := g.Send(context.Background(), smstest.Message(1, false))
			assert.NoError(t, err)
		})
	}
}

func TestAnswersSMSCEnquireLink(t *testing.T) {
	sim := newSim(t, smpp.SimOptions{EnquireLink: 20 * time.Millisecond})
	newGateway(t, sim, smpp.Options{})
	require.Eventually(t, func() bool { return sim.Stats().EnquireLinkResps >= 3 }, 2*time.Second, 10*time.Millisecond)
}

// No more submit_sm wait for an answer than the window allows, and the
// window is used: sends are pipelined.
func TestWindow(t *testing.T) {
	for _, window := range []int{1, 3, 8} {
		t.Run(fmt.Sprint("window ", window), func(t *testing.T) {
			sim := newSim(t, smpp.SimOptions{Latency: 60 * time.Millisecond})
			g := newGateway(t, sim, smpp.Options{Window: window})
			var wg sync.WaitGroup
			for i := range 16 {
				wg.Go(func() {
					_, err := g.Send(context.Background(), smstest.Message(i, i%4 == 0)) // some in parts
					assert.NoError(t, err)
				})
			}
			wg.Wait()
			assert.Equal(t, window, sim.Stats().MaxOutstanding)
		})
	}
}

// A long message's parts each get a receipt; the caller hears one, under
// the last part's id.
func TestReceiptOfLongMessage(t *testing.T) {
	sim := newSim(t, smpp.SimOptions{})
	g := newGateway(t, sim, smpp.Options{})
	ctx := context.Background()
	sent, err := g.Send(ctx, smstest.Message(1, true))
	require.NoError(t, err)
	require.Greater(t, sent.Parts, 1)
	require.NoError(t, sim.Deliver(sent.ProviderID, sms.Delivered))
	require.Eventually(t, func() bool { return sim.Stats().ReceiptsAcked == sent.Parts }, 2*time.Second, 5*time.Millisecond)
	rs, err := g.Receipts(ctx, 0)
	require.NoError(t, err)
	require.Len(t, rs, 1)
	assert.Equal(t, sent.ProviderID, rs[0].ProviderID)
	assert.Equal(t, sms.Delivered, rs[0].Status)
	assert.Equal(t, "DELIVRD", rs[0].Code)
	assert.Equal(t, smstest.Message(1, true).Phone, rs[0].Phone)
	assert.WithinDuration(t, time.Now(), rs[0].At, 2*time.Minute)
}

// Receipts that follow the last part's answer at once are sorted out too:
// the parts' ids are known before the next PDU is read.
func TestImmediateReceiptsOfLongMessages(t *testing.T) {
	sim := newSim(t, smpp.SimOptions{ReceiptAfter: time.Nanosecond})
	g := newGateway(t, sim, smpp.Options{})
	ctx := context.Background()
	parts, want := 0, map[string]bool{}
	for i := range 20 {
		sent, err := g.Send(ctx, smstest.Message(i, true))
		require.NoError(t, err)
		parts += sent.Parts
		want[sent.ProviderID] = true
	}
	require.Eventually(t, func() bool { return sim.Stats().ReceiptsAcked == parts }, 3*time.Second, 5*time.Millisecond)
	rs, err := g.Receipts(ctx, 0)
	require.NoError(t, err)
	got := map[string]bool{}
	for _, r := range rs {
		got[r.ProviderID] = true
	}
	assert.Len(t, rs, 20)
	assert.Equal(t, want, got)
}

// Receipts issued while the link is down arrive after the rebind.
func TestReceiptAfterReconnect(t *testing.T) {
	sim := newSim(t, smpp.SimOptions{})
	g := newGateway(t, sim, smpp.Options{})
	ctx := context.Background()
	sent, err := g.Send(ctx, smstest.Message(1, false))
	require.NoError(t, err)
	sim.Drop()
	require.NoError(t, sim.Deliver(sent.ProviderID, sms.Expired))
	var rs []sms.Receipt
	require.Eventually(t, func() bool {
		more, _ := g.Receipts(ctx, 10)
		rs = append(rs, more...)
		return len(rs) > 0
	}, 3*time.Second, 10*time.Millisecond)
	assert.Equal(t, sms.Expired, rs[0].Status)
	assert.Equal(t, "EXPIRED", rs[0].Code)
}

func TestAutomaticReceipts(t *testing.T) {
	sim := newSim(t, smpp.SimOptions{ReceiptAfter: 10 * time.Millisecond, Fate: func(phone string) sms.Status {
		if phone == "13900000002" {
			return sms.Failed
		}
		return sms.Delivered
	}})
	g := newGateway(t, sim, smpp.Options{})
	ctx := context.Background()
	a := smstest.Message(1, false)
	a.Phone = "13900000001"
	b := smstest.Message(2, true)
	b.Phone = "13900000002"
	sa, err := g.Send(ctx, a)
	require.NoError(t, err)
	sb, err := g.Send(ctx, b)
	require.NoError(t, err)
	got := map[string]sms.Status{}
	require.Eventually(t, func() bool {
		rs, _ := g.Receipts(ctx, 0)
		for _, r := range rs {
			got[r.ProviderID] = r.Status
		}
		return len(got) >= 2
	}, 3*time.Second, 10*time.Millisecond)
	assert.Equal(t, map[string]sms.Status{sa.ProviderID: sms.Delivered, sb.ProviderID: sms.Failed}, got)
}

func TestReceiptsLimit(t *testing.T) {
	sim := newSim(t, smpp.SimOptions{})
	g := newGateway(t, sim, smpp.Options{})
	ctx := context.Background()
	for i := range 3 {
		s, err := g.Send(ctx, smstest.Message(i, false))
		require.NoError(t, err)
		require.NoError(t, sim.Deliver(s.ProviderID, sms.Delivered))
	}
	require.Eventually(t, func() bool { return sim.Stats().ReceiptsAcked == 3 }, 2*time.Second, 5*time.Millisecond)
	rs, err := g.Receipts(ctx, 2)
	require.NoError(t, err)
	assert.Len(t, rs, 2)
	rs, err = g.Receipts(ctx, 2)
	require.NoError(t, err)
	assert.Len(t, rs, 1)
}

func TestClose(t *testing.T) {
	sim := newSim(t, smpp.SimOptions{})
	g := newGateway(t, sim, smpp.Options{})
	require.NoError(t, g.Close())
	require.NoError(t, g.Close(), "twice is fine")
	_, err := g.Send(context.Background(), smstest.Message(1, false))
	var e *sms.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, sms.Temporary, e.Kind)
	assert.Equal(t, smpp.CodeClosed, e.Code)
	require.Eventually(t, func() bool { return sim.Stats().Open == 0 }, time.Second, 5*time.Millisecond, "unbound and closed")
}

// A send that outlives its Timeout on a slow SMSC is Temporary and says
// the message may have gone.
func TestSlowSMSC(t *testing.T) {
	sim := newSim(t, smpp.SimOptions{Latency: time.Second})
	g := newGateway(t, sim, smpp.Options{Timeout: 100 * time.Millisecond})
	_, err := g.Send(context.Background(), smstest.Message(1, false))
	var e *sms.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, sms.Temporary, e.Kind)
	assert.Equal(t, smpp.CodeTimeout, e.Code)

	sim.SetLatency(0)
	_, err = g.Send(context.Background(), smstest.Message(2, false))
	assert.NoError(t, err, "the late answer is dropped, the link goes on")
}

func TestNoFullPhoneInLogs(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(p)
	}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	sim := newSim(t, smpp.SimOptions{Log: log, ReceiptAfter: time.Millisecond})
	g := newGateway(t, sim, smpp.Options{Log: log})
	ctx := context.Background()
	m := smstest.Message(1, true)
	_, err := g.Send(ctx, m)
	require.NoError(t, err)
	sim.FailNext(smpp.StatusInvDstAdr)
	_, err = g.Send(ctx, m)
	require.Error(t, err)
	sim.DropNext()
	_, err = g.Send(ctx, m)
	require.Error(t, err)
	require.Eventually(t, func() bool { rs, _ := g.Receipts(ctx, 0); return len(rs) > 0 }, 2*time.Second, 5*time.Millisecond)
	g.Close()
	mu.Lock()
	defer mu.Unlock()
	assert.NotContains(t, buf.String(), m.Phone)
	assert.Contains(t, buf.String(), sms.Mask(m.Phone))
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestTLS(t *testing.T) {
	serverTLS, clientTLS := tlsConfigs(t)
	sim := newSim(t, smpp.SimOptions{TLS: serverTLS})
	g := newGateway(t, sim, smpp.Options{TLS: clientTLS})
	sent, err := g.Send(context.Background(), smstest.Message(1, false))
	require.NoError(t, err)
	assert.Equal(t, sent.ProviderID, sim.Received()[0].ProviderID)
}

// tlsConfigs makes a self-signed certificate for 127.0.0.1.
func tlsConfigs(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smsc"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		&tls.Config{RootCAs: pool}
}
