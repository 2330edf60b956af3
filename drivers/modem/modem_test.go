package modem

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/drivers/pty"
	"cunyou/drivers/pty/ptytest"
	"cunyou/sms"
	"cunyou/sms/smstest"
)

func newSim(t *testing.T, opt SimOptions) *Simulator {
	t.Helper()
	s, err := NewSimulator(opt)
	ptytest.SkipIfMissing(t, err)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// logBuffer collects log lines for checks on what is logged.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func testOptions(port string, log *logBuffer) Options {
	opt := Options{Port: port, Timeout: 2 * time.Second, SendTimeout: 5 * time.Second}
	if log != nil {
		opt.Log = slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return opt
}

// openSim opens a gateway on the simulator's terminal through the serial
// port library, as on a station.
func openSim(t *testing.T, s *Simulator, opt Options) *Gateway {
	t.Helper()
	if opt.Port == "" {
		opt = testOptions(s.Path(), nil)
	}
	g, err := Open(opt)
	require.NoError(t, err)
	t.Cleanup(func() { g.Close() })
	return g
}

var kindCodes = map[sms.Kind]int{sms.Temporary: 38, sms.Throttled: 42, sms.Permanent: 21}

func TestConformance(t *testing.T) {
	var mu sync.Mutex
	var cur *Simulator
	sim := func() *Simulator {
		mu.Lock()
		defer mu.Unlock()
		return cur
	}
	smstest.Run(t, smstest.Harness{
		New: func(t *testing.T) sms.Gateway {
			s := newSim(t, SimOptions{})
			mu.Lock()
			cur = s
			mu.Unlock()
			return openSim(t, s, Options{})
		},
		Received: func() []smstest.Got {
			var got []smstest.Got
			for _, m := range sim().Received() {
				got = append(got, smstest.Got{Phone: m.Phone, Text: m.Text, ProviderID: m.ProviderID})
			}
			return got
		},
		Deliver: func(id string, st sms.Status) {
			require.NoError(t, sim().Deliver(id, st))
		},
		FailNext: func(kind sms.Kind) { sim().FailNext(kindCodes[kind]) },
	})
}

func TestSendPDU(t *testing.T) {
	s := newSim(t, SimOptions{})
	var log logBuffer
	opt := testOptions(s.Path(), &log)
	opt.SMSC = "+8613800451500"
	g := openSim(t, s, opt)
	m := smstest.Message(1, true)
	sent, err := g.Send(context.Background(), m)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(s.Received()) == 1 }, 5*time.Second, 10*time.Millisecond)
	got := s.Received()[0]
	assert.Equal(t, Address{Number: "86" + m.Phone, Type: TOAInternational}, got.To)
	assert.Equal(t, DCSUCS2, got.DCS)
	assert.True(t, got.StatusReport)
	assert.Equal(t, sent.Parts, got.Parts)
	assert.Equal(t, m.Text, got.Text)
	assert.Equal(t, sent.ProviderID, got.ProviderID)

	cmds := strings.Join(s.Commands(), "\n")
	for _, want := range []string{"ATE0", "AT+CMEE=1", "AT+CMGF=0", "AT+CNMI=2,1,0,1,0", "AT+CPIN?", "AT+CREG?"} {
		assert.Contains(t, cmds, want)
	}
	assert.NotContains(t, log.String(), m.Phone, "no full phone number in the log")
	assert.Contains(t, log.String(), sms.Mask(m.Phone))
}

func TestNationalNumbers(t *testing.T) {
	s := newSim(t, SimOptions{Vendor: "huawei"})
	opt := testOptions(s.Path(), nil)
	opt.National = true
	g := openSim(t, s, opt)
	m := smstest.Message(9, false)
	_, err := g.Send(context.Background(), m)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(s.Received()) == 1 }, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, Address{Number: m.Phone, Type: TOAUnknown}, s.Received()[0].To)
}

// New over a terminal the caller opened, without the serial library.
func TestNewOnOpenPort(t *testing.T) {
	s := newSim(t, SimOptions{})
	f, err := pty.OpenRaw(s.Path())
	require.NoError(t, err)
	g, err := New(f, testOptions("", nil))
	require.NoError(t, err)
	defer g.Close()
	assert.Equal(t, "modem", g.Name())
	sent, err := g.Send(context.Background(), smstest.Message(1, false))
	require.NoError(t, err)
	assert.Equal(t, 1, sent.Parts)
}

// Unsolicited codes, garbage and status reports arrive in the middle of
// commands, answers come a few bytes at a time: sending and receipts are
// not confused.
func TestNoisyLine(t *testing.T) {
	s := newSim(t, SimOptions{})
	g := openSim(t, s, Options{})
	s.Noise(true)
	ctx := context.Background()
	a, err := g.Send(ctx, smstest.Message(1, false))
	require.NoError(t, err)
	require.NoError(t, s.Deliver(a.ProviderID, sms.Delivered)) // held back …
	b, err := g.Send(ctx, smstest.Message(2, true))            // … and sent in the middle of this send's answers
	require.NoError(t, err)
	require.NoError(t, s.Deliver(b.ProviderID, sms.Expired))
	_, err = g.Status(ctx) // one more command carries the last reports
	require.NoError(t, err)

	var rs []sms.Receipt
	require.Eventually(t, func() bool {
		more, err := g.Receipts(ctx, 0)
		require.NoError(t, err)
		rs = append(rs, more...)
		return len(rs) >= 2
	}, 5*time.Second, 10*time.Millisecond)
	require.Len(t, rs, 2, "one receipt per message, whatever its parts")
	assert.Equal(t, sms.Receipt{ProviderID: a.ProviderID, MessageID: "msg-1", Phone: smstest.Message(1, false).Phone,
		Status: sms.Delivered, Code: "TP-ST 0x00", At: rs[0].At}, rs[0])
	assert.Equal(t, b.ProviderID, rs[1].ProviderID)
	assert.Equal(t, "msg-2", rs[1].MessageID)
	assert.Equal(t, sms.Expired, rs[1].Status)
	got := s.Received()
	require.Len(t, got, 2)
	assert.Equal(t, smstest.Message(2, true).Text, got[1].Text)
}

// A modem that stops answering: the send fails as Temporary within the
// timeout; once it answers again the gateway resynchronises and sends.
func TestModemStopsAnswering(t *testing.T) {
	s := newSim(t, SimOptions{})
	opt := testOptions(s.Path(), nil)
	opt.Timeout, opt.SendTimeout = 300*time.Millisecond, 300*time.Millisecond
	g := openSim(t, s, opt)
	ctx := context.Background()

	s.Hang(true)
	start := time.Now()
	_, err := g.Send(ctx, smstest.Message(1, false))
	require.Error(t, err)
	assert.Equal(t, sms.Temporary, sms.KindOf(err), "%v", err)
	assert.Less(t, time.Since(start), 3*time.Second)
	_, err = g.Status(ctx)
	assert.ErrorIs(t, err, ErrTimeout)

	s.Hang(false)
	sent, err := g.Send(ctx, smstest.Message(2, false))
	require.NoError(t, err, "the gateway recovers")
	require.Eventually(t, func() bool { return len(s.Received()) == 1 }, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, sent.ProviderID, s.Received()[0].ProviderID)
}

// The modem stalls in the middle of a submission, after the prompt.
func TestStallAfterPrompt(t *testing.T) {
	s := newSim(t, SimOptions{})
	opt := testOptions(s.Path(), nil)
	opt.SendTimeout = 300 * time.Millisecond
	g := openSim(t, s, opt)
	ctx := context.Background()
	s.SetLatency(0)
	s.HangAfterPrompt()
	_, err := g.Send(ctx, smstest.Message(1, false))
	require.Error(t, err)
	assert.Equal(t, sms.Temporary, sms.KindOf(err))
	s.Hang(false)
	_, err = g.Send(ctx, smstest.Message(2, false))
	require.NoError(t, err)
}

func TestSIMAndNetwork(t *testing.T) {
	for _, tt := range []struct {
		name string
		set  func(*Simulator)
		kind sms.Kind
		code string
		sim  string
		reg  string
	}{
		{"no sim", func(s *Simulator) { s.SetSIM(SIMAbsent) }, sms.Misconfigured, "no_sim", "absent", "not registered"},
		{"pin", func(s *Simulator) { s.SetSIM(SIMPIN) }, sms.Misconfigured, "sim_pin", "PIN", "not registered"},
		{"puk", func(s *Simulator) { s.SetSIM(SIMPUK) }, sms.Misconfigured, "sim_puk", "PUK", "not registered"},
		{"searching", func(s *Simulator) { s.SetRegistration(regSearching) }, sms.Temporary, "not_registered", "ready", "searching"},
		{"denied", func(s *Simulator) { s.SetRegistration(regDenied) }, sms.Misconfigured, "registration_denied", "ready", "denied"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newSim(t, SimOptions{})
			tt.set(s)
			g := openSim(t, s, Options{}) // a modem without SIM or network still opens
			ctx := context.Background()
			m := smstest.Message(1, false)
			_, err := g.Send(ctx, m)
			require.Error(t, err)
			var e *sms.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tt.kind, e.Kind)
			assert.Equal(t, tt.code, e.Code)
			assert.NotContains(t, err.Error(), m.Phone)
			assert.Empty(t, s.Received())

			st, err := g.Status(ctx)
			require.NoError(t, err)
			assert.False(t, st.Ready)
			assert.NotEmpty(t, st.Problem)
			assert.Equal(t, tt.sim, st.SIM)
			assert.Equal(t, tt.reg, st.Registration)

			// Put right, the same gateway sends.
			s.SetSIM(SIMReady)
			s.SetRegistration(regHome)
			_, err = g.Send(ctx, m)
			require.NoError(t, err)
		})
	}
}

func TestStatus(t *testing.T) {
	for _, vendor := range []string{"quectel", "huawei"} {
		t.Run(vendor, func(t *testing.T) {
			s := newSim(t, SimOptions{Vendor: vendor})
			s.SetSignal(20)
			g := openSim(t, s, Options{})
			st, err := g.Status(context.Background())
			require.NoError(t, err)
			assert.Equal(t, s.Path(), st.Port)
			assert.True(t, st.Ready, st.Problem)
			assert.Empty(t, st.Problem)
			assert.Equal(t, "ready", st.SIM)
			assert.Equal(t, "home", st.Registration)
			assert.Equal(t, "CHINA MOBILE", st.Operator)
			assert.Equal(t, "LTE", st.Access)
			assert.Equal(t, 20, st.CSQ)
			assert.Equal(t, -73, st.SignalDBm)
			assert.Equal(t, "+8613800451500", st.SMSC)
			assert.True(t, st.StatusReports)
			assert.NotEmpty(t, st.Manufacturer)
			assert.NotEmpty(t, st.Model)
			assert.Len(t, st.IMEI, 15)
		})
	}
	s := newSim(t, SimOptions{})
	s.SetSignal(99)
	g := openSim(t, s, Options{})
	st, err := g.Status(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 0, st.SignalDBm)
	assert.Contains(t, st.Problem, "signal")
}

func TestSignalDBm(t *testing.T) {
	for csq, want := range map[int]int{0: -113, 1: -111, 2: -109, 15: -83, 30: -53, 31: -51} {
		got, ok := SignalDBm(csq)
		assert.True(t, ok)
		assert.Equal(t, want, got, "csq %d", csq)
	}
	for _, csq := range []int{99, -1, 32} {
		_, ok := SignalDBm(csq)
		assert.False(t, ok)
	}
}

func TestCMSErrorKinds(t *testing.T) {
	for code, want := range map[int]sms.Kind{
		38: sms.Temporary, 42: sms.Throttled, 21: sms.Permanent, 28: sms.Permanent, 29: sms.Permanent,
		310: sms.Misconfigured, 311: sms.Misconfigured, 313: sms.Misconfigured, 330: sms.Misconfigured,
		331: sms.Temporary, 500: sms.Temporary, 999: sms.Temporary, 192: sms.Throttled, 304: sms.Permanent,
	} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			s := newSim(t, SimOptions{})
			g := openSim(t, s, Options{})
			s.FailNext(code)
			_, err := g.Send(context.Background(), smstest.Message(1, false))
			var e *sms.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, want, e.Kind)
			assert.Equal(t, fmt.Sprintf("CMS %d", code), e.Code)
		})
	}
}

func TestOpenErrors(t *testing.T) {
	_, err := Open(Options{Port: "/dev/no-such-modem"})
	assert.ErrorIs(t, err, ErrNotFound)
	_, err = Open(Options{})
	assert.Error(t, err)

	// Something that never answers AT is no modem.
	s := newSim(t, SimOptions{})
	s.Hang(true)
	opt := testOptions(s.Path(), nil)
	opt.Timeout = 200 * time.Millisecond
	_, err = Open(opt)
	assert.ErrorIs(t, err, ErrTimeout)
}

// The port goes away (the modem is unplugged, or reset by the USB hub):
// the gateway reopens it.
func TestPortLost(t *testing.T) {
	s := newSim(t, SimOptions{})
	g := openSim(t, s, Options{})
	ctx := context.Background()
	_, err := g.Send(ctx, smstest.Message(1, false))
	require.NoError(t, err)
	// Break the connection under the gateway, as an unplugged modem does.
	g.mu.Lock()
	g.port.Close()
	g.mu.Unlock()
	<-g.at.Done()
	_, err = g.Send(ctx, smstest.Message(2, false))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(s.Received()) == 2 }, 5*time.Second, 10*time.Millisecond)
}

// A modem restart (RDY) is noticed: the set-up runs again.
func TestModemRestart(t *testing.T) {
	s := newSim(t, SimOptions{})
	g := openSim(t, s, Options{})
	ctx := context.Background()
	_, err := g.Send(ctx, smstest.Message(1, false))
	require.NoError(t, err)
	before := strings.Count(strings.Join(s.Commands(), "\n"), "ATE0")
	s.Restart()
	require.Eventually(t, func() bool {
		g.mu.Lock()
		defer g.mu.Unlock()
		return !g.ready
	}, 5*time.Second, 10*time.Millisecond)
	_, err = g.Send(ctx, smstest.Message(2, false))
	require.NoError(t, err)
	assert.Equal(t, before+1, strings.Count(strings.Join(s.Commands(), "\n"), "ATE0"))
}

// A status report for a message the gateway does not remember (sent
// before a restart) is passed on under its own reference.
func TestForeignReport(t *testing.T) {
	s := newSim(t, SimOptions{})
	g := openSim(t, s, Options{})
	s.Unsolicited("+CDS: 25", "06000B910221815716F2709021510121807090215101718000")
	var rs []sms.Receipt
	require.Eventually(t, func() bool {
		more, _ := g.Receipts(context.Background(), 10)
		rs = append(rs, more...)
		return len(rs) == 1
	}, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, "0", rs[0].ProviderID)
	assert.Equal(t, "", rs[0].MessageID)
	assert.Equal(t, sms.Delivered, rs[0].Status)
	assert.Equal(t, "20121875612", rs[0].Phone)
}

func TestStatusOf(t *testing.T) {
	for st, want := range map[byte]sms.Status{0x00: sms.Delivered, 0x01: sms.Unknown, 0x02: sms.Delivered,
		0x40: sms.Failed, 0x41: sms.Failed, 0x46: sms.Expired, 0x60: sms.Failed, 0x65: sms.Failed, 0x7F: sms.Failed} {
		got, final := statusOf(st)
		assert.True(t, final)
		assert.Equal(t, want, got, "0x%02X", st)
	}
	for _, st := range []byte{0x20, 0x21, 0x25, 0x30, 0x3F} {
		_, final := statusOf(st)
		assert.False(t, final, "0x%02X: the SMSC still tries", st)
	}
}
