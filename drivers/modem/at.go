package modem

// The AT command layer (3GPP TS 27.007 and 27.005, V.250 framing): one
// command in flight at a time, its information lines and final result
// code told apart from unsolicited result codes that the modem may send at
// any moment, the "> " prompt of AT+CMGS, and recovery when an answer
// never came.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

const (
	ctrlZ   = 0x1A // ends the PDU after the prompt: send it
	esc     = 0x1B // ends the PDU after the prompt: do not send it
	maxLine = 4096 // longer "lines" are garbage
)

// urc is an unsolicited result code: its line and, for the two-line codes
// of PDU mode (+CDS: <length>, +CMT: ,<length>), the PDU line after it.
type urc struct {
	Line string
	PDU  string
}

// atCmd is the command in flight.
type atCmd struct {
	line     string        // as written, without CR: to recognise its echo
	prefix   string        // its information lines' prefix, e.g. "+CSQ:"; they win over a URC of the same name
	prompt   chan struct{} // closed at "> "; nil when no prompt is expected
	prompted bool
	lines    []string   // information lines
	res      chan error // the final result code: nil for OK, *ATError for the others
}

// atConn speaks AT commands over a serial port.
type atConn struct {
	rw    io.ReadWriter
	log   *slog.Logger
	onURC func(urc) // called on the reader goroutine; must not issue commands
	quiet time.Duration

	sem chan struct{} // one command at a time

	mu      sync.Mutex
	cur     *atCmd
	pendURC string    // the first line of a two-line URC, waiting for its PDU
	stale   bool      // a command was abandoned: its answer may still come
	lastRx  time.Time // when the modem last sent anything
	err     error     // why the reader stopped
	done    chan struct{}
}

func newATConn(rw io.ReadWriter, log *slog.Logger, onURC func(urc)) *atConn {
	c := &atConn{rw: rw, log: log, onURC: onURC, quiet: 100 * time.Millisecond,
		sem: make(chan struct{}, 1), done: make(chan struct{})}
	go c.readLoop()
	return c
}

// Done is closed when the port stopped answering reads (closed, unplugged).
func (c *atConn) Done() <-chan struct{} { return c.done }

func (c *atConn) readLoop() {
	buf := make([]byte, 1024)
	var part []byte
	empty := 0
	for {
		n, err := c.rw.Read(buf)
		if n > 0 {
			part = c.feed(buf[:n], part)
			empty = 0
		}
		if err != nil {
			c.stop(err)
			return
		}
		if n == 0 { // a port with a read timeout: do not spin
			if empty++; empty > 10 {
				time.Sleep(10 * time.Millisecond)
			}
		}
	}
}

func (c *atConn) stop(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.err = fmt.Errorf("read: %w: %v", ErrClosed, err)
	if c.cur != nil {
		c.cur.res <- c.err
		c.cur = nil
	}
	close(c.done)
}

// feed takes bytes from the port: lines end at CR or LF (either, both, in
// any number); a partial line "> " is the prompt when one is awaited.
// Unsolicited codes are handed on, and a final result delivered, in the
// order they came, after the lock is let go.
func (c *atConn) feed(b []byte, part []byte) []byte {
	var events []func()
	c.mu.Lock()
	c.lastRx = time.Now()
	for _, ch := range b {
		if ch == '\r' || ch == '\n' {
			if len(part) > 0 {
				if ev := c.line(clean(part)); ev != nil {
					events = append(events, ev)
				}
				part = part[:0]
			}
			continue
		}
		if len(part) >= maxLine {
			c.log.Debug("modem: garbage dropped", "bytes", len(part))
			part = part[:0]
		}
		part = append(part, ch)
	}
	if cur := c.cur; cur != nil && cur.prompt != nil && !cur.prompted && clean(part) == ">" {
		cur.prompted = true
		events = append(events, func() { close(cur.prompt) })
		part = part[:0]
	}
	c.mu.Unlock()
	for _, ev := range events {
		ev()
	}
	return part
}

// clean drops control characters, bytes that are not UTF-8 and spaces at
// the ends: line noise, a stray NUL at power-up.
func clean(b []byte) string {
	var sb strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		b = b[n:]
		if r == utf8.RuneError || r < 0x20 && r != '\t' || r == 0x7F {
			continue
		}
		sb.WriteRune(r)
	}
	return strings.TrimSpace(sb.String())
}

// twoLineURC reports whether a URC line is followed by a PDU line.
func twoLineURC(l string) bool {
	switch {
	case strings.HasPrefix(l, "+CMT:"), strings.HasPrefix(l, "+CBM:"):
		return true
	case strings.HasPrefix(l, "+CDS:"):
		_, err := strconv.Atoi(strings.TrimSpace(l[len("+CDS:"):]))
		return err == nil // PDU mode; text mode has the fields on one line
	}
	return false
}

// urcPrefixes are the unsolicited result codes of 27.005/27.007 and of the
// Quectel and Huawei modems sold in China.
var urcPrefixes = []string{
	"+CMTI:", "+CMT:", "+CDS:", "+CDSI:", "+CBM:", "+CBMI:", "RING", "+CRING:", "+CLIP:", "+CCWA:",
	"+CREG:", "+CGREG:", "+CEREG:", "+C5GREG:", "+CPIN:", "+CIEV:", "+CUSD:", "+CGEV:", "+CFUN:", "+CTZV:", "+CTZE:",
	"RDY", "+QIND:", "+QUSIM:", "+QSTAT", "+PACSP", "SMS READY", "CALL READY", "*PSUTTZ",
	"^", // Huawei: ^RSSI, ^BOOT, ^MODE, ^SRVST, ^SIMST, ^HCSQ …
}

func isURC(l string) bool {
	for _, p := range urcPrefixes {
		if strings.HasPrefix(strings.ToUpper(l), p) {
			return true
		}
	}
	return false
}

// line sorts one line; it returns what to do about it once the lock is
// let go (hand on a URC, deliver a final result), or nil.
func (c *atConn) line(l string) func() {
	if l == "" {
		return nil
	}
	hand := func(u urc) func() { return func() { c.onURC(u) } }
	if c.pendURC != "" {
		head := c.pendURC
		c.pendURC = ""
		if isHex(l) {
			return hand(urc{Line: head, PDU: l})
		}
		c.log.Debug("modem: unsolicited code without its pdu", "line", head)
	}
	cur := c.cur
	if cur != nil && strings.EqualFold(l, cur.line) {
		return nil // echo (before ATE0 took effect)
	}
	if ae, final := parseFinal(l); final {
		if cur == nil {
			c.log.Debug("modem: stray final result code", "line", l)
			return nil
		}
		c.cur = nil
		var err error
		if ae != nil {
			ae.Command = cur.line
			err = ae
		}
		return func() { cur.res <- err }
	}
	if cur != nil && cur.prefix != "" && strings.HasPrefix(l, cur.prefix) {
		cur.lines = append(cur.lines, l)
		return nil
	}
	if isURC(l) {
		if twoLineURC(l) {
			c.pendURC = l
			return nil
		}
		return hand(urc{Line: l})
	}
	if cur != nil {
		cur.lines = append(cur.lines, l)
		return nil
	}
	switch {
	case strings.HasPrefix(strings.ToUpper(l), "AT"): // the echo of an abandoned command is no news
	case isHex(l) && len(l) > 16: // a PDU: it holds a phone number, never logged
		c.log.Debug("modem: stray pdu", "octets", len(l)/2)
	default:
		c.log.Debug("modem: stray line", "line", l)
	}
	return nil
}

func isHex(s string) bool {
	if len(s) == 0 || len(s)%2 != 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case ch >= '0' && ch <= '9', ch >= 'A' && ch <= 'F', ch >= 'a' && ch <= 'f':
		default:
			return false
		}
	}
	return true
}

// Exec runs one command and returns its information lines. prefix names
// them ("+CSQ:") where an unsolicited code could have the same name.
func (c *atConn) Exec(ctx context.Context, cmd, prefix string, timeout time.Duration) ([]string, error) {
	return c.run(ctx, cmd, prefix, "", timeout, 0)
}

// Submit runs a command that prompts for data (AT+CMGS=<length>), sends
// data and Ctrl-Z at the prompt and waits up to dataTimeout for the
// answer.
func (c *atConn) Submit(ctx context.Context, cmd, prefix, data string, timeout, dataTimeout time.Duration) ([]string, error) {
	return c.run(ctx, cmd, prefix, data, timeout, dataTimeout)
}

func (c *atConn) run(ctx context.Context, cmd, prefix, data string, timeout, dataTimeout time.Duration) ([]string, error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-c.done:
		return nil, c.closed()
	}
	defer func() { <-c.sem }()
	c.mu.Lock()
	stale := c.stale
	c.mu.Unlock()
	if stale {
		if err := c.resync(ctx, timeout); err != nil {
			return nil, err
		}
	}
	return c.roundTrip(ctx, cmd, prefix, data, timeout, dataTimeout)
}

func (c *atConn) closed() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// resync brings the dialogue back after an abandoned command: Esc leaves a
// prompt that may still be open, AT must answer OK, and whatever else was
// still coming is let pass while the line goes quiet.
func (c *atConn) resync(ctx context.Context, timeout time.Duration) error {
	c.log.Debug("modem: resynchronising")
	if _, err := c.rw.Write([]byte{esc}); err != nil {
		return fmt.Errorf("write: %w: %v", ErrClosed, err)
	}
	if _, err := c.roundTrip(ctx, "AT", "", "", timeout, 0); err != nil {
		return err
	}
	for {
		c.mu.Lock()
		wait := c.quiet - time.Since(c.lastRx)
		if wait <= 0 {
			c.stale = false
			c.mu.Unlock()
			return nil
		}
		c.mu.Unlock()
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (c *atConn) roundTrip(ctx context.Context, cmd, prefix, data string, timeout, dataTimeout time.Duration) ([]string, error) {
	cc := &atCmd{line: cmd, prefix: prefix, res: make(chan error, 1)}
	if data != "" {
		cc.prompt = make(chan struct{})
	}
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return nil, c.err
	}
	c.cur = cc
	c.mu.Unlock()

	timer := time.NewTimer(timeout)
	defer timer.Stop()
	if _, err := c.rw.Write([]byte(cmd + "\r")); err != nil {
		c.abandon(cc)
		return nil, fmt.Errorf("write %s: %w: %v", cmd, ErrClosed, err)
	}
	if cc.prompt != nil {
		select {
		case <-cc.prompt:
		case err := <-cc.res: // refused without a prompt
			return cc.lines, err
		case <-timer.C:
			c.abandon(cc)
			return nil, fmt.Errorf("%s: %w: no prompt within %v", cmd, ErrTimeout, timeout)
		case <-ctx.Done():
			c.abandon(cc)
			return nil, ctx.Err()
		}
		if _, err := c.rw.Write(append([]byte(data), ctrlZ)); err != nil {
			c.abandon(cc)
			return nil, fmt.Errorf("write %s data: %w: %v", cmd, ErrClosed, err)
		}
		timer.Reset(dataTimeout)
		timeout = dataTimeout
	}
	select {
	case err := <-cc.res:
		c.mu.Lock()
		lines := cc.lines
		c.mu.Unlock()
		return lines, err
	case <-timer.C:
		c.abandon(cc)
		return nil, fmt.Errorf("%s: %w within %v", cmd, ErrTimeout, timeout)
	case <-ctx.Done():
		c.abandon(cc)
		return nil, ctx.Err()
	}
}

// abandon gives up on the command in flight: a late answer is dropped and
// the next command resynchronises first.
func (c *atConn) abandon(cc *atCmd) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur == cc {
		c.cur = nil
	}
	c.stale = true
}

// field returns the information line with prefix and its comma-separated
// values, quotes removed.
func field(lines []string, prefix string) ([]string, bool) {
	for _, l := range lines {
		if rest, ok := strings.CutPrefix(l, prefix); ok {
			parts := strings.Split(strings.TrimSpace(rest), ",")
			for i, p := range parts {
				parts[i] = strings.Trim(strings.TrimSpace(p), `"`)
			}
			return parts, true
		}
	}
	return nil, false
}
