package modem

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/drivers/pty"
	"cunyou/drivers/pty/ptytest"
)

// peer is the modem's end of a pty pair, scripted by a test: it hands on
// what the AT layer writes, a command at a time, and writes back raw
// bytes.
type peer struct {
	t      *testing.T
	master *os.File
	cmds   chan string // command lines without CR; PDUs with their Ctrl-Z or Esc
}

// urcLog collects what the AT layer hands on.
type urcLog struct {
	mu   sync.Mutex
	urcs []urc
}

func (l *urcLog) add(u urc) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.urcs = append(l.urcs, u)
}

func (l *urcLog) get() []urc {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]urc(nil), l.urcs...)
}

func newPeer(t *testing.T) (*peer, *atConn, *urcLog) {
	t.Helper()
	master, _, slave, err := pty.OpenPair()
	ptytest.SkipIfMissing(t, err)
	require.NoError(t, err)
	p := &peer{t: t, master: master, cmds: make(chan string, 16)}
	go func() {
		buf := make([]byte, 256)
		var line []byte
		for {
			n, err := master.Read(buf)
			if err != nil {
				close(p.cmds)
				return
			}
			for _, ch := range buf[:n] {
				line = append(line, ch)
				if ch == '\r' || ch == ctrlZ || ch == esc {
					if ch == '\r' {
						line = line[:len(line)-1]
					}
					p.cmds <- string(line)
					line = nil
				}
			}
		}
	}()
	var log urcLog
	c := newATConn(slave, slog.New(slog.DiscardHandler), log.add)
	t.Cleanup(func() {
		slave.Close()
		master.Close()
	})
	return p, c, &log
}

// expect waits for the next command and checks it.
func (p *peer) expect(want string) {
	p.t.Helper()
	select {
	case got := <-p.cmds:
		require.Equal(p.t, want, got)
	case <-time.After(5 * time.Second):
		p.t.Fatalf("no command, want %q", want)
	}
}

func (p *peer) send(s string) {
	p.t.Helper()
	_, err := io.WriteString(p.master, s)
	require.NoError(p.t, err)
}

type execResult struct {
	lines []string
	err   error
}

func goExec(c *atConn, cmd, prefix string, timeout time.Duration) chan execResult {
	ch := make(chan execResult, 1)
	go func() {
		lines, err := c.Exec(context.Background(), cmd, prefix, timeout)
		ch <- execResult{lines, err}
	}()
	return ch
}

func wait(t *testing.T, ch chan execResult) execResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("no result")
	}
	return execResult{}
}

// Lines end in CR, LF, CRLF or LFCR; NULs and noise at power-up are
// dropped; an answer may come one byte at a time.
func TestATLineEndings(t *testing.T) {
	p, c, _ := newPeer(t)
	ch := goExec(c, "AT+CSQ", "+CSQ:", time.Second)
	p.expect("AT+CSQ")
	p.send("\x00\xff\n\r+CSQ: 10,99\n\r\rOK\n")
	r := wait(t, ch)
	require.NoError(t, r.err)
	assert.Equal(t, []string{"+CSQ: 10,99"}, r.lines)

	ch = goExec(c, "AT+CGMI", "", time.Second)
	p.expect("AT+CGMI")
	for _, b := range []byte("\r\nQuectel\r\n\r\nOK\r\n") {
		p.send(string(b))
	}
	r = wait(t, ch)
	require.NoError(t, r.err)
	assert.Equal(t, []string{"Quectel"}, r.lines)
}

// Echo (before ATE0) is not an answer.
func TestATEcho(t *testing.T) {
	p, c, _ := newPeer(t)
	ch := goExec(c, "AT+CGMM", "", time.Second)
	p.expect("AT+CGMM")
	p.send("AT+CGMM\r\r\nEC20F\r\n\r\nOK\r\n")
	r := wait(t, ch)
	require.NoError(t, r.err)
	assert.Equal(t, []string{"EC20F"}, r.lines)
}

// Unsolicited codes in the middle of an answer go to the handler, a
// two-line +CDS with its PDU; a URC with the command's own name (+CREG:
// <stat>) stays among the lines, where parseReg skips it.
func TestATUnsolicitedDuringCommand(t *testing.T) {
	p, c, log := newPeer(t)
	ch := goExec(c, "AT+CREG?", "+CREG:", time.Second)
	p.expect("AT+CREG?")
	p.send("\r\nRING\r\n\r\n+CREG: 1\r\n\r\n+CMTI: \"SM\",4\r\n")
	p.send("\r\n+CDS: 25\r\n" + pduAmroReport + "\r\n")
	p.send("\r\n+CREG: 0,5\r\n\r\n^RSSI: 17\r\n\r\nOK\r\n")
	r := wait(t, ch)
	require.NoError(t, r.err)
	assert.Equal(t, []string{"+CREG: 1", "+CREG: 0,5"}, r.lines)
	assert.Equal(t, regRoaming, parseReg(r.lines, "+CREG:"))
	assert.Equal(t, []urc{{Line: "RING"}, {Line: `+CMTI: "SM",4`}, {Line: "+CDS: 25", PDU: pduAmroReport}, {Line: "^RSSI: 17"}}, log.get())

	// Between commands too.
	p.send("\r\n+CDS: 25\r\n" + pduAmroReport + "\r\n")
	require.Eventually(t, func() bool { return len(log.get()) == 5 }, 5*time.Second, 5*time.Millisecond)
}

func TestATErrors(t *testing.T) {
	p, c, _ := newPeer(t)
	for _, tt := range []struct {
		answer string
		want   ATError
	}{
		{"ERROR", ATError{Command: "AT+X", Kind: "ERROR", Code: -1}},
		{"+CME ERROR: 10", ATError{Command: "AT+X", Kind: "CME", Code: 10}},
		{"+CMS ERROR: 500", ATError{Command: "AT+X", Kind: "CMS", Code: 500}},
		{"+CME ERROR: SIM not inserted", ATError{Command: "AT+X", Kind: "CME", Code: 10, Text: "SIM not inserted"}},
		{"+CME ERROR: SIM PIN required", ATError{Command: "AT+X", Kind: "CME", Code: 11, Text: "SIM PIN required"}},
	} {
		ch := goExec(c, "AT+X", "", time.Second)
		p.expect("AT+X")
		p.send("\r\n" + tt.answer + "\r\n")
		r := wait(t, ch)
		var ae *ATError
		require.ErrorAs(t, r.err, &ae, tt.answer)
		assert.Equal(t, tt.want, *ae)
	}
}

// The prompt arrives in pieces, after a RING; the PDU goes with Ctrl-Z.
func TestATPrompt(t *testing.T) {
	p, c, log := newPeer(t)
	ch := make(chan execResult, 1)
	go func() {
		lines, err := c.Submit(context.Background(), "AT+CMGS=23", "+CMGS:", "0011AB", time.Second, time.Second)
		ch <- execResult{lines, err}
	}()
	p.expect("AT+CMGS=23")
	p.send("\r\nRING\r\n\r\n>")
	p.send(" ")
	p.expect("0011AB\x1a")
	p.send("\r\n+CMGS: 201\r\n\r\nOK\r\n")
	r := wait(t, ch)
	require.NoError(t, r.err)
	assert.Equal(t, []string{"+CMGS: 201"}, r.lines)
	assert.Equal(t, []urc{{Line: "RING"}}, log.get())

	// Refused before the prompt.
	go func() {
		lines, err := c.Submit(context.Background(), "AT+CMGS=23", "+CMGS:", "0011AB", time.Second, time.Second)
		ch <- execResult{lines, err}
	}()
	p.expect("AT+CMGS=23")
	p.send("\r\n+CMS ERROR: 331\r\n")
	r = wait(t, ch)
	var ae *ATError
	require.ErrorAs(t, r.err, &ae)
	assert.Equal(t, 331, ae.Code)
}

// An answer that comes after its command was given up is not taken for
// the next command's: the next command resynchronises first.
func TestATLateAnswer(t *testing.T) {
	p, c, _ := newPeer(t)
	ch := goExec(c, "AT+CGMI", "", 100*time.Millisecond)
	p.expect("AT+CGMI")
	r := wait(t, ch)
	require.ErrorIs(t, r.err, ErrTimeout)

	ch = goExec(c, "AT+CGMM", "", time.Second)
	p.expect("\x1b") // Esc, for a prompt that may be open
	p.send("\r\nQuectel\r\n\r\nOK\r\n")
	p.expect("AT") // the resync's AT, maybe answered by the late OK above
	p.send("\r\nOK\r\n")
	p.expect("AT+CGMM")
	p.send("\r\nEC20F\r\n\r\nOK\r\n")
	r = wait(t, ch)
	require.NoError(t, r.err)
	assert.Equal(t, []string{"EC20F"}, r.lines)
}

// A prompt that never comes, or an answer after the PDU that never comes,
// times out; the command after it resynchronises.
func TestATSubmitTimeouts(t *testing.T) {
	p, c, _ := newPeer(t)
	_, err := c.Submit(context.Background(), "AT+CMGS=23", "+CMGS:", "00", 100*time.Millisecond, time.Second)
	require.ErrorIs(t, err, ErrTimeout)
	p.expect("AT+CMGS=23")

	ch := make(chan error, 1)
	go func() {
		_, err := c.Submit(context.Background(), "AT+CMGS=23", "+CMGS:", "00", time.Second, 100*time.Millisecond)
		ch <- err
	}()
	p.expect("\x1b")
	p.expect("AT")
	p.send("\r\nOK\r\n")
	p.expect("AT+CMGS=23")
	p.send("\r\n> ")
	p.expect("00\x1a")
	require.ErrorIs(t, <-ch, ErrTimeout)
}

func TestATCancel(t *testing.T) {
	p, c, _ := newPeer(t)
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan error, 1)
	go func() {
		_, err := c.Exec(ctx, "AT+COPS?", "+COPS:", 5*time.Second)
		ch <- err
	}()
	p.expect("AT+COPS?")
	cancel()
	require.ErrorIs(t, <-ch, context.Canceled)
}

// A port that closes under a command fails it, and every later one.
func TestATPortClosed(t *testing.T) {
	p, c, _ := newPeer(t)
	ch := goExec(c, "AT", "", 5*time.Second)
	p.expect("AT")
	p.master.Close()
	r := wait(t, ch)
	require.ErrorIs(t, r.err, ErrClosed)
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("reader did not stop")
	}
	_, err := c.Exec(context.Background(), "AT", "", time.Second)
	assert.True(t, errors.Is(err, ErrClosed), "%v", err)
}

func TestClean(t *testing.T) {
	assert.Equal(t, "OK", clean([]byte("\x00\xffOK \x7f")))
	assert.Equal(t, `+COPS: 0,0,"中国移动",7`, clean([]byte(`+COPS: 0,0,"中国移动",7`)))
	assert.True(t, twoLineURC("+CDS: 25"))
	assert.False(t, twoLineURC(`+CDS: 6,0,"13912345678",129,"26/05/01,08:00:00+32","26/05/01,08:00:05+32",0`))
	assert.True(t, twoLineURC("+CMT: ,24"))
}

// Whatever bytes come, the reader neither panics nor loses its footing:
// a command after them is answered.
func FuzzATFeed(f *testing.F) {
	f.Add([]byte("\r\n+CDS: 25\r\n" + pduAmroReport + "\r\n"))
	f.Add([]byte("\r\nRING\r\n\r\n> \x00\xff+CMS ERROR: 42\r\n"))
	f.Add([]byte("+CMT: ,24\r\nZZ\r\nOK\n\r"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c := &atConn{log: slog.New(slog.DiscardHandler), onURC: func(urc) {}, done: make(chan struct{})}
		part := c.feed(b, nil)
		part = c.feed([]byte("\r\n"), part)
		cc := &atCmd{line: "AT+CSQ", prefix: "+CSQ:", res: make(chan error, 1)}
		c.cur = cc
		c.feed([]byte("\r\n+CSQ: 9,99\r\n\r\nOK\r\n"), part)
		select {
		case err := <-cc.res:
			if err != nil || len(cc.lines) == 0 || cc.lines[len(cc.lines)-1] != "+CSQ: 9,99" {
				t.Fatalf("after %q: %v %q", b, err, cc.lines)
			}
		default:
			t.Fatalf("after %q: no answer", b)
		}
	})
}
