// Package modem sends SMS through a GSM/LTE USB modem on a station's
// serial port, for when the station's data link is down. It speaks the AT
// commands of 3GPP TS 27.005/27.007 in PDU mode, so Chinese goes as UCS-2
// and long texts as concatenated parts, and asks the network for status
// reports, which it turns into sms.Receipt values.
//
// A Gateway keeps the sms.Gateway contract. Its ProviderID is the TP-MR
// (message reference, 0..255, in decimal) that the modem answered for the
// last part of the message: the network names it in the status report.
// References wrap after 256 messages, so a ProviderID is unique only among
// a station's recent messages; pair it with the phone and the time.
//
// The package also holds the PDU codec (Submit, Deliver, StatusReport) and
// a Simulator: a modem on a pseudo-terminal for tests and the demo.
package modem

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.bug.st/serial"

	"cunyou/sms"
)

// Options configures a Gateway.
type Options struct {
	// Port is the modem's AT port: /dev/ttyUSB2 (Quectel), /dev/ttyUSB0
	// or /dev/ttyACM0 (others), COM5 on Windows. Open needs it.
	Port string
	// Baud is the port's speed; 115200 when 0. USB modems ignore it.
	Baud int
	// SMSC is the service centre, e.g. +8613800451500; "" uses the one
	// stored on the SIM (AT+CSCA).
	SMSC string
	// National sends to the 11-digit number as dialled (type of address
	// 0x81) instead of +86 international (0x91).
	National bool
	// Validity asks the SMSC to give up after this long; 0 leaves it to
	// the SMSC.
	Validity time.Duration
	// Timeout bounds one AT command; 10 s when 0.
	Timeout time.Duration
	// SendTimeout bounds one part's submission to the network after the
	// PDU is written (AT+CMGS); 120 s when 0, as module makers specify.
	SendTimeout time.Duration
	// Log receives the gateway's events; never a full phone number.
	Log *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

func (o *Options) defaults() {
	if o.Baud == 0 {
		o.Baud = 115200
	}
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Second
	}
	if o.SendTimeout == 0 {
		o.SendTimeout = 120 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Gateway is an sms.Gateway on a modem. It is safe for concurrent use;
// its commands to the modem go one at a time.
type Gateway struct {
	opt  Options
	name string
	log  *slog.Logger
	smsc Address
	dial func() (io.ReadWriteCloser, error) // reopens the port; nil for New

	op chan struct{} // one operation on the modem at a time

	mu      sync.Mutex
	port    io.ReadWriteCloser
	at      *atConn
	ready   bool // set up and checked since the port opened
	gen     int  // counts connections and modem restarts: a set-up counts for the generation it ran in
	reports bool // the modem shows status reports (+CNMI accepted)
	closed  bool
	ref     uint8 // concatenation reference of the last long message

	rmu      sync.Mutex
	pending  map[byte]*pending // by the TP-MR of each part
	receipts []sms.Receipt
}

// pending is a sent message waiting for its status reports.
type pending struct {
	id, phone, provider string
	parts               map[byte]*sms.Receipt // by TP-MR; nil until reported
	done                bool
}

const maxReceipts = 4096

var _ sms.Gateway = (*Gateway)(nil)

// Open opens the modem on opt.Port and sets it up. It fails when the port
// cannot be opened (ErrNotFound, ErrBusy, ErrPermission) or nothing on it
// answers AT (ErrTimeout). A missing SIM or network is no failure here:
// Send says so, and Status shows it. The port is reopened after the
// modem went away (unplugged, reset).
func Open(opt Options) (*Gateway, error) {
	if opt.Port == "" {
		return nil, errors.New("open modem: no port given")
	}
	opt.defaults()
	dial := func() (io.ReadWriteCloser, error) { return openSerial(opt.Port, opt.Baud) }
	g, err := newGateway(opt, dial)
	if err != nil {
		return nil, err
	}
	if err := g.start(); err != nil {
		return nil, err
	}
	return g, nil
}

// New sets up the modem on rw (a serial port opened by the caller, or a
// test's terminal); Close closes rw.
func New(rw io.ReadWriteCloser, opt Options) (*Gateway, error) {
	opt.defaults()
	g, err := newGateway(opt, nil)
	if err != nil {
		rw.Close()
		return nil, err
	}
	g.mu.Lock()
	g.attach(rw)
	g.mu.Unlock()
	if err := g.start(); err != nil {
		return nil, err
	}
	return g, nil
}

func newGateway(opt Options, dial func() (io.ReadWriteCloser, error)) (*Gateway, error) {
	g := &Gateway{opt: opt, name: "modem", log: opt.Log, dial: dial, op: make(chan struct{}, 1),
		pending: map[byte]*pending{}, ref: uint8(opt.Now().UnixNano())}
	if opt.Port != "" {
		g.name = "modem:" + opt.Port
	}
	if opt.SMSC != "" {
		a, err := ParseAddress(opt.SMSC)
		if err != nil {
			return nil, fmt.Errorf("modem smsc %q: not a phone number", opt.SMSC)
		}
		g.smsc = a
	}
	return g, nil
}

// openSerial opens a serial port and translates the library's errors.
func openSerial(port string, baud int) (io.ReadWriteCloser, error) {
	p, err := serial.Open(port, &serial.Mode{BaudRate: baud, DataBits: 8, Parity: serial.NoParity, StopBits: serial.OneStopBit})
	if err == nil {
		return p, nil
	}
	kind := ErrProtocol
	var pe *serial.PortError
	switch {
	case errors.As(err, &pe) && pe.Code() == serial.PortNotFound, errors.Is(err, fs.ErrNotExist):
		kind = ErrNotFound
	case errors.As(err, &pe) && pe.Code() == serial.PortBusy:
		kind = ErrBusy
	case errors.As(err, &pe) && pe.Code() == serial.PermissionDenied, errors.Is(err, fs.ErrPermission):
		kind = ErrPermission
	}
	return nil, fmt.Errorf("open %s: %w: %v", port, kind, err)
}

// start sets the modem up for the first time.
func (g *Gateway) start() error {
	ctx := context.Background()
	g.op <- struct{}{}
	defer func() { <-g.op }()
	_, err := g.ensure(ctx)
	if err == nil {
		return nil
	}
	if errors.Is(err, ErrTimeout) || errors.Is(err, ErrClosed) || errors.Is(err, ErrNotFound) ||
		errors.Is(err, ErrBusy) || errors.Is(err, ErrPermission) {
		g.Close()
		return fmt.Errorf("open modem %s: %w", g.opt.Port, err)
	}
	g.log.Warn("modem: not ready", "port", g.opt.Port, "err", err)
	return nil
}

// attach starts talking on rw; the caller holds mu.
func (g *Gateway) attach(rw io.ReadWriteCloser) {
	g.ready = false
	g.gen++
	g.port = rw
	g.at = newATConn(rw, g.log, g.onURC)
}

// Name identifies the gateway: "modem:<port>".
func (g *Gateway) Name() string { return g.name }

// Close closes the port.
func (g *Gateway) Close() error {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return nil
	}
	g.closed = true
	port, at := g.port, g.at
	g.mu.Unlock()
	if port == nil {
		return nil
	}
	err := port.Close()
	select {
	case <-at.Done():
	case <-time.After(time.Second):
	}
	return err
}

func (g *Gateway) acquire(ctx context.Context) error {
	select {
	case g.op <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *Gateway) release() { <-g.op }

// conn returns the live connection, reopening the port after it died.
func (g *Gateway) conn() (*atConn, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil, fmt.Errorf("gateway: %w", ErrClosed)
	}
	if g.at != nil {
		select {
		case <-g.at.Done():
			g.log.Warn("modem: port lost", "port", g.opt.Port)
			g.port.Close()
			g.port, g.at, g.ready = nil, nil, false
		default:
			return g.at, nil
		}
	}
	if g.dial == nil {
		return nil, fmt.Errorf("port: %w", ErrClosed)
	}
	port, err := g.dial()
	if err != nil {
		return nil, err
	}
	g.attach(port)
	return g.at, nil
}

// ensure returns a connection to a modem that is set up, has its SIM and
// is registered; the caller holds op.
func (g *Gateway) ensure(ctx context.Context) (*atConn, error) {
	c, err := g.conn()
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	ready, gen := g.ready, g.gen
	g.mu.Unlock()
	if ready {
		return c, nil
	}
	if err := g.setup(ctx, c); err != nil {
		return nil, err
	}
	g.mu.Lock()
	g.ready = g.gen == gen // else the modem restarted meanwhile: set it up again next time
	g.mu.Unlock()
	return c, nil
}

func (g *Gateway) exec(ctx context.Context, c *atConn, cmd, prefix string) ([]string, error) {
	return c.Exec(ctx, cmd, prefix, g.opt.Timeout)
}

// setup runs the modem's set-up: echo off, numeric errors, SIM, PDU mode,
// status reports shown as +CDS, network registration.
func (g *Gateway) setup(ctx context.Context, c *atConn) error {
	for _, cmd := range []string{"AT", "ATE0", "AT+CMEE=1"} {
		if _, err := g.exec(ctx, c, cmd, ""); err != nil {
			return fmt.Errorf("set up modem: %w", err)
		}
	}
	if err := g.checkSIM(ctx, c); err != nil {
		return err
	}
	if _, err := g.exec(ctx, c, "AT+CMGF=0", ""); err != nil {
		return fmt.Errorf("set up modem: %w", err)
	}
	// Phase 2 service: the modem acknowledges reports itself (no +CNMA).
	if _, err := g.exec(ctx, c, "AT+CSMS=0", "+CSMS:"); err != nil {
		g.log.Debug("modem: AT+CSMS=0 refused", "err", err)
	}
	// Status reports straight to us (<ds>=1) as +CDS; new messages
	// stored with a +CMTI notice. Some modems refuse <mode>=2.
	reports := false
	for _, cmd := range []string{"AT+CNMI=2,1,0,1,0", "AT+CNMI=1,1,0,1,0"} {
		if _, err := g.exec(ctx, c, cmd, ""); err == nil {
			reports = true
			break
		}
	}
	if !reports {
		g.log.Warn("modem: no status reports (AT+CNMI refused); receipts will not come", "port", g.opt.Port)
	}
	g.mu.Lock()
	g.reports = reports
	g.mu.Unlock()
	return g.checkRegistration(ctx, c)
}

// checkSIM reads AT+CPIN?.
func (g *Gateway) checkSIM(ctx context.Context, c *atConn) error {
	lines, err := g.exec(ctx, c, "AT+CPIN?", "+CPIN:")
	var ae *ATError
	if errors.As(err, &ae) && ae.Kind == "CME" {
		switch ae.Code {
		case 10:
			return &sms.Error{Kind: sms.Misconfigured, Code: "no_sim", Msg: "no SIM card in the modem"}
		case 11, 17:
			return &sms.Error{Kind: sms.Misconfigured, Code: "sim_pin", Msg: "the SIM card asks for its PIN"}
		case 12, 16, 18:
			return &sms.Error{Kind: sms.Misconfigured, Code: "sim_puk", Msg: "the SIM card is locked (PUK)"}
		case 13, 15:
			return &sms.Error{Kind: sms.Misconfigured, Code: "sim_failure", Msg: "the SIM card is faulty"}
		case 14:
			return &sms.Error{Kind: sms.Temporary, Code: "sim_busy", Msg: "the SIM card is busy (starting up)"}
		}
	}
	if err != nil {
		return fmt.Errorf("check sim: %w", err)
	}
	f, ok := field(lines, "+CPIN:")
	if !ok || len(f) == 0 {
		return fmt.Errorf("check sim: %w: no +CPIN line", ErrProtocol)
	}
	switch strings.ToUpper(f[0]) {
	case "READY":
		return nil
	case "SIM PIN", "SIM PIN2", "PH-SIM PIN":
		return &sms.Error{Kind: sms.Misconfigured, Code: "sim_pin", Msg: "the SIM card asks for its PIN"}
	case "SIM PUK", "SIM PUK2":
		return &sms.Error{Kind: sms.Misconfigured, Code: "sim_puk", Msg: "the SIM card is locked (PUK)"}
	}
	return &sms.Error{Kind: sms.Misconfigured, Code: "sim_locked", Msg: "the SIM card asks for " + f[0]}
}

// Registration states of +CREG/+CEREG <stat> (27.007 §7.2).
const (
	regNot       = 0
	regHome      = 1
	regSearching = 2
	regDenied    = 3
	regUnknown   = 4
	regRoaming   = 5
)

// registration reads +CREG and, unless registered there, +CEREG (LTE
// modems may be registered for SMS over LTE only); -1 when neither
// answered.
func (g *Gateway) registration(ctx context.Context, c *atConn) (int, error) {
	best, firstErr := -1, error(nil)
	for _, q := range []struct{ cmd, prefix string }{{"AT+CREG?", "+CREG:"}, {"AT+CEREG?", "+CEREG:"}} {
		lines, err := g.exec(ctx, c, q.cmd, q.prefix)
		if err != nil {
			var ae *ATError
			if !errors.As(err, &ae) { // timeout, port closed
				return -1, err
			}
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		stat := parseReg(lines, q.prefix)
		if stat == regHome || stat == regRoaming {
			return stat, nil
		}
		if best < 0 || stat == regDenied || best == regNot {
			best = stat
		}
	}
	if best < 0 {
		return -1, firstErr
	}
	return best, nil
}

// parseReg reads the <stat> of a solicited +CREG: <n>,<stat>[,…] line; an
// unsolicited +CREG: <stat> slipped in has a single field and is skipped.
func parseReg(lines []string, prefix string) int {
	for _, l := range lines {
		f, ok := field([]string{l}, prefix)
		if !ok || len(f) < 2 {
			continue
		}
		if n, err := strconv.Atoi(f[1]); err == nil {
			return n
		}
	}
	return regUnknown
}

func (g *Gateway) checkRegistration(ctx context.Context, c *atConn) error {
	stat, err := g.registration(ctx, c)
	if err != nil {
		return fmt.Errorf("check registration: %w", err)
	}
	switch stat {
	case regHome, regRoaming:
		return nil
	case regDenied:
		return &sms.Error{Kind: sms.Misconfigured, Code: "registration_denied", Msg: "the network refuses the SIM card (registration denied)"}
	case regSearching:
		return &sms.Error{Kind: sms.Temporary, Code: "not_registered", Msg: "the modem is searching for a network"}
	}
	return &sms.Error{Kind: sms.Temporary, Code: "not_registered", Msg: "the modem is not registered on a network"}
}

// address turns an 11-digit mainland number into a destination address.
func (g *Gateway) address(phone string) Address {
	if g.opt.National {
		return Address{Number: phone, Type: TOAUnknown}
	}
	return Address{Number: "86" + phone, Type: TOAInternational}
}

func (g *Gateway) nextRef() uint8 {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.ref++
	return g.ref
}

// Send submits m as one or more PDUs (AT+CMGS), each asking for a status
// report. A long text goes in parts with a concatenation header; when a
// later part fails the earlier ones have gone, and a retry sends all
// parts again under a new reference. A timeout after the PDU was written
// is Temporary although the network may have taken the message.
func (g *Gateway) Send(ctx context.Context, m sms.Message) (sms.Sent, error) {
	if err := m.Check(); err != nil {
		return sms.Sent{}, err
	}
	if m.Text == "" {
		return sms.Sent{}, &sms.Error{Kind: sms.Permanent, Code: "no_text", Msg: "a modem sends text, not templates"}
	}
	if err := ctx.Err(); err != nil {
		return sms.Sent{}, cancelled(err)
	}
	dcs, parts, err := SplitText(m.Text)
	if err != nil {
		return sms.Sent{}, &sms.Error{Kind: sms.Permanent, Code: "too_long", Msg: err.Error()}
	}
	if err := g.acquire(ctx); err != nil {
		return sms.Sent{}, cancelled(err)
	}
	defer g.release()
	c, err := g.ensure(ctx)
	if err != nil {
		return sms.Sent{}, g.fail(err)
	}
	// PDU mode once more: a modem that restarted unseen would read the
	// PDU as text.
	if _, err := g.exec(ctx, c, "AT+CMGF=0", ""); err != nil {
		return sms.Sent{}, g.fail(err)
	}
	head, err := EncodeSMSC(g.smsc)
	if err != nil {
		return sms.Sent{}, &sms.Error{Kind: sms.Misconfigured, Code: "smsc", Msg: err.Error()}
	}
	ref := g.nextRef()
	mrs := make([]byte, 0, len(parts))
	for i, text := range parts {
		sub := Submit{StatusReport: true, To: g.address(m.Phone), DCS: dcs, Validity: g.opt.Validity, Text: text}
		if len(parts) > 1 {
			sub.Concat = &Concat{Ref: uint16(ref), Total: len(parts), Seq: i + 1}
		}
		tpdu, err := sub.Encode()
		if err != nil {
			return sms.Sent{}, &sms.Error{Kind: sms.Permanent, Code: "encode", Msg: err.Error()}
		}
		pdu := strings.ToUpper(hex.EncodeToString(append(head, tpdu...)))
		lines, err := c.Submit(ctx, fmt.Sprintf("AT+CMGS=%d", len(tpdu)), "+CMGS:", pdu, g.opt.Timeout, g.opt.SendTimeout)
		if err != nil {
			if i > 0 {
				g.log.Warn("modem: long message broken off", "id", m.ID, "phone", sms.Mask(m.Phone), "sent", i, "parts", len(parts))
			}
			return sms.Sent{}, g.fail(err)
		}
		f, ok := field(lines, "+CMGS:")
		mr := -1
		if ok && len(f) > 0 {
			mr, _ = strconv.Atoi(f[0])
		}
		if mr < 0 || mr > 255 {
			return sms.Sent{}, g.fail(fmt.Errorf("AT+CMGS: %w: no message reference", ErrProtocol))
		}
		mrs = append(mrs, byte(mr))
	}
	provider := strconv.Itoa(int(mrs[len(mrs)-1]))
	g.track(m, provider, mrs)
	g.log.Info("modem: sms sent", "id", m.ID, "phone", sms.Mask(m.Phone), "parts", len(parts), "mr", provider)
	return sms.Sent{ProviderID: provider, Parts: len(parts)}, nil
}

func cancelled(err error) *sms.Error {
	return &sms.Error{Kind: sms.Temporary, Code: "cancelled", Msg: err.Error()}
}

// fail translates an error for the caller and decides whether the modem
// must be set up again before the next send.
func (g *Gateway) fail(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return cancelled(err)
	}
	e := smsError(err)
	if e.Kind != sms.Permanent && e.Kind != sms.Throttled {
		g.mu.Lock()
		g.ready = false
		g.mu.Unlock()
	}
	g.log.Warn("modem: send failed", "kind", e.Kind.String(), "code", e.Code, "err", e.Msg)
	return e
}

// track remembers a sent message until its reports are in.
func (g *Gateway) track(m sms.Message, provider string, mrs []byte) {
	p := &pending{id: m.ID, phone: m.Phone, provider: provider, parts: map[byte]*sms.Receipt{}}
	g.rmu.Lock()
	defer g.rmu.Unlock()
	for _, mr := range mrs {
		p.parts[mr] = nil
		g.pending[mr] = p // a reference reused after 256 messages replaces the old one
	}
}

// onURC handles unsolicited result codes, on the reader's goroutine.
func (g *Gateway) onURC(u urc) {
	switch {
	case strings.HasPrefix(u.Line, "+CDS:"):
		n, _ := strconv.Atoi(strings.TrimSpace(u.Line[len("+CDS:"):]))
		raw, err := hex.DecodeString(u.PDU)
		if err != nil {
			g.log.Warn("modem: bad status report", "err", err)
			return
		}
		tpdu := raw
		if len(raw) > n && n > 0 { // the SMSC address comes first, as 27.005 says; some modems leave it out
			if _, t, err := SplitSMSC(raw); err == nil && len(t) == n {
				tpdu = t
			} else {
				tpdu = raw[len(raw)-n:]
			}
		}
		r, err := DecodeStatusReport(tpdu)
		if err != nil {
			g.log.Warn("modem: bad status report", "err", err)
			return
		}
		g.report(r)
	case strings.HasPrefix(u.Line, "+CMTI:"), strings.HasPrefix(u.Line, "+CMT:"):
		g.log.Info("modem: incoming sms kept on the modem", "notice", strings.SplitN(u.Line, ":", 2)[0])
	case u.Line == "RDY", u.Line == "+CFUN: 1", u.Line == "SMS READY", u.Line == "+QIND: SMS DONE", u.Line == "+CPIN: READY":
		// A restart of a module on a UART (a USB modem that restarts
		// drops off the bus, and the port is reopened): the set-up is
		// gone. Huawei's ^BOOT is no sign: some send it every few seconds.
		g.mu.Lock()
		g.ready = false
		g.gen++
		g.mu.Unlock()
		g.log.Info("modem: restarted", "notice", u.Line)
	default:
		// The name only: +CLIP and the like carry phone numbers.
		g.log.Debug("modem: unsolicited", "notice", strings.SplitN(u.Line, ":", 2)[0])
	}
}

// statusOf reads TP-ST (23.040 §9.2.3.15); final is false while the SMSC
// is still trying.
func statusOf(st byte) (s sms.Status, final bool) {
	switch {
	case st == 0x00, st == 0x02:
		return sms.Delivered, true // received by the phone; replaced
	case st < 0x20:
		return sms.Unknown, true // forwarded, delivery not confirmed; SC specific
	case st < 0x40:
		return "", false // temporary error, SC still trying
	case st == 0x46:
		return sms.Expired, true
	}
	return sms.Failed, true // permanent error, or temporary with no more tries
}

// national reads a report's recipient as an 11-digit number when it is one.
func national(a Address) string {
	n := a.Number
	if len(n) == 13 && strings.HasPrefix(n, "86") {
		return n[2:]
	}
	return n
}

// samePhone reports whether a report's recipient is the 11-digit phone
// (SMSCs write it back in the submitted format, or their own).
func samePhone(phone string, a Address) bool {
	n := a.Number
	return len(n) >= 11 && n[len(n)-11:] == phone
}

// rank orders outcomes for a message in parts: the worst part decides.
var rank = map[sms.Status]int{sms.Delivered: 0, sms.Unknown: 1, sms.Expired: 2, sms.Failed: 3}

func (g *Gateway) report(r *StatusReport) {
	st, final := statusOf(r.Status)
	if !final {
		g.log.Debug("modem: status report, still trying", "mr", r.MR, "st", fmt.Sprintf("0x%02X", r.Status))
		return
	}
	at := r.Discharge
	if at.IsZero() {
		at = g.opt.Now()
	}
	rc := &sms.Receipt{ProviderID: strconv.Itoa(int(r.MR)), Phone: national(r.Recipient), Status: st,
		Code: fmt.Sprintf("TP-ST 0x%02X", r.Status), At: at}
	g.rmu.Lock()
	defer g.rmu.Unlock()
	p := g.pending[r.MR]
	if p == nil || !samePhone(p.phone, r.Recipient) {
		// Not one we remember (sent before a restart, or the reference
		// was reused): pass it on under its own reference.
		g.push(*rc)
		return
	}
	delete(g.pending, r.MR)
	if p.done {
		return
	}
	p.parts[r.MR] = rc
	worst, all := rc, true
	for _, pr := range p.parts {
		if pr == nil {
			all = false
			continue
		}
		if rank[pr.Status] > rank[worst.Status] {
			worst = pr
		}
	}
	if !all && rank[worst.Status] < rank[sms.Expired] {
		return // wait for the other parts
	}
	p.done = true
	out := *worst
	out.ProviderID, out.MessageID, out.Phone = p.provider, p.id, p.phone
	for _, pr := range p.parts {
		if pr != nil && pr.At.After(out.At) {
			out.At = pr.At
		}
	}
	g.push(out)
	g.log.Info("modem: status report", "id", p.id, "phone", sms.Mask(p.phone), "status", string(out.Status), "code", out.Code)
}

// push queues a receipt; the caller holds rmu.
func (g *Gateway) push(r sms.Receipt) {
	if len(g.receipts) >= maxReceipts {
		g.log.Warn("modem: receipt queue full, oldest dropped")
		g.receipts = g.receipts[1:]
	}
	g.receipts = append(g.receipts, r)
}

// Receipts returns the status reports that arrived since the last call,
// at most limit (all when limit ≤ 0). A port that went away is reopened
// here too, when no send is in progress, so polling keeps reports
// flowing.
func (g *Gateway) Receipts(ctx context.Context, limit int) ([]sms.Receipt, error) {
	if err := ctx.Err(); err != nil {
		return nil, cancelled(err)
	}
	g.revive(ctx)
	g.rmu.Lock()
	defer g.rmu.Unlock()
	n := len(g.receipts)
	if limit > 0 && limit < n {
		n = limit
	}
	out := append([]sms.Receipt(nil), g.receipts[:n]...)
	g.receipts = g.receipts[n:]
	return out, nil
}

// revive reopens and sets up a lost port if nothing else is using the
// modem.
func (g *Gateway) revive(ctx context.Context) {
	g.mu.Lock()
	lost := g.dial != nil && !g.closed
	if lost && g.at != nil {
		select {
		case <-g.at.Done():
		default:
			lost = false
		}
	}
	lost = lost || g.at == nil && g.dial != nil && !g.closed
	g.mu.Unlock()
	if !lost {
		return
	}
	select {
	case g.op <- struct{}{}:
	default:
		return
	}
	defer g.release()
	if _, err := g.ensure(ctx); err != nil {
		g.log.Debug("modem: still away", "err", err)
	}
}
