package smpp

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"cunyou/sms"
)

// Options configure a Gateway.
type Options struct {
	// Addr is the SMSC's host:port.
	Addr string
	// SystemID, Password and SystemType are the bind's credentials
	// (at most 15, 8 and 12 characters).
	SystemID   string
	Password   string
	SystemType string
	// SourceAddr is the sender, e.g. the service number 106900001234,
	// with its TON and NPI (0/0, unknown, by default).
	SourceAddr string
	SourceTON  byte
	SourceNPI  byte
	// National sends destinations as 11 national digits (TON 2, NPI 1);
	// by default they go as international numbers 86… (TON 1, NPI 1).
	National bool
	// TLS, when set, wraps the link in TLS.
	TLS *tls.Config
	// EnquireLink is how long the link may stay silent before an
	// enquire_link asks whether the SMSC is still there; 30 s when 0.
	EnquireLink time.Duration
	// Window is how many submit_sm may wait for their answer at once
	// (the SMSC's window); 10 when 0.
	Window int
	// Timeout bounds a connection's dial and bind, an enquire_link's
	// answer, and one Send in all (waiting for the link, a window slot
	// and the answers); 10 s when 0.
	Timeout time.Duration
	// Location is the zone of the receipts' dates; China Standard Time
	// (UTC+8) when nil.
	Location *time.Location
	// Log receives the gateway's events (phones masked); none when nil.
	Log *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Defaults.
const (
	DefaultEnquireLink = 30 * time.Second
	DefaultWindow      = 10
	DefaultTimeout     = 10 * time.Second
)

// Reconnection: after a link that lived, at once; after failures, a
// jittered backoff doubling from backoffMin to backoffMax. A refused bind
// waits backoffMax every time (operators lock accounts that hammer them
// with a wrong password).
const (
	backoffMin = 100 * time.Millisecond
	backoffMax = 30 * time.Second
	// A link that lived shorter than livedLong does not reset the backoff.
	livedLong = 10 * time.Second
	// maxReceipts and maxPartIDs bound what the gateway holds in memory.
	maxReceipts = 100_000
	maxPartIDs  = 100_000
)

func (o Options) withDefaults() (Options, error) {
	if o.EnquireLink == 0 {
		o.EnquireLink = DefaultEnquireLink
	}
	if o.Window == 0 {
		o.Window = DefaultWindow
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Location == nil {
		o.Location = time.FixedZone("CST", 8*3600)
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	bad := func(field, why string) (Options, error) {
		return o, &sms.Error{Kind: sms.Misconfigured, Code: "options", Msg: "smpp " + field + ": " + why}
	}
	switch {
	case o.Addr == "":
		return bad("Addr", "the SMSC's host:port is required")
	case o.SystemID == "":
		return bad("SystemID", "required")
	case len(o.SystemID) >= maxSystemID:
		return bad("SystemID", fmt.Sprintf("at most %d characters", maxSystemID-1))
	case len(o.Password) >= maxPassword:
		return bad("Password", fmt.Sprintf("at most %d characters", maxPassword-1))
	case len(o.SystemType) >= maxSystemType:
		return bad("SystemType", fmt.Sprintf("at most %d characters", maxSystemType-1))
	case len(o.SourceAddr) >= maxAddr:
		return bad("SourceAddr", fmt.Sprintf("at most %d characters", maxAddr-1))
	case o.EnquireLink < 0 || o.Timeout < 0 || o.Window < 0:
		return bad("EnquireLink, Timeout, Window", "negative")
	}
	return o, nil
}

// Gateway is an SMPP 3.4 client (ESME) bound as a transceiver: it
// submits messages and receives their delivery receipts on one link. It
// implements sms.Gateway and is safe for concurrent use.
//
// Every message goes as UCS-2; a text longer than 70 characters goes in
// parts of 67 with a concatenation header. Sent.ProviderID is the
// message_id of the last part: receipts for the other parts are dropped,
// and the last part's receipt stands for the whole message (operators
// deliver the parts of one message together; a failure of an early part
// alone goes unreported).
//
// A Send that fails is a *sms.Error: Temporary with Code CodeNotBound
// when nothing was sent, CodeLinkLost or CodeTimeout when the SMSC may
// have taken the message without our hearing its answer; the SMSC's
// refusals carry its command_status ("0x58") and the kind of the table
// in submitKind.
type Gateway struct {
	opt   Options
	log   *slog.Logger
	slots chan struct{} // the window: one token per submit_sm in flight
	ref   atomic.Uint32 // concatenation reference

	ctx  context.Context
	stop context.CancelFunc
	done chan struct{}

	mu       sync.Mutex
	sess     *session      // the bound link, nil when down
	up       chan struct{} // closed when a link is bound
	downErr  *sms.Error    // why there is no link
	closed   bool
	receipts []sms.Receipt
	replies  []sms.Reply
	partIDs  map[string]bool // message_ids of parts other than the last
	partFIFO []string
}

// New starts a gateway: it dials and binds in the background and rebinds
// whenever the link drops. It waits for the first bind: a refused bind
// (wrong password, unknown system id) is returned as a Misconfigured
// error; an SMSC that cannot be reached is not an error, the gateway
// keeps trying and Send waits for it.
func New(opt Options) (*Gateway, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	g := &Gateway{
		opt:     opt,
		log:     opt.Log.With("gateway", "smpp", "smsc", opt.Addr),
		slots:   make(chan struct{}, opt.Window),
		done:    make(chan struct{}),
		up:      make(chan struct{}),
		downErr: temporary(CodeNotBound, "not bound yet"),
		partIDs: map[string]bool{},
	}
	g.ref.Store(rand.Uint32())
	g.ctx, g.stop = context.WithCancel(context.Background())
	first := make(chan error, 1)
	go g.run(first)
	if err := <-first; err != nil {
		if sms.KindOf(err) == sms.Misconfigured {
			g.Close()
			return nil, err
		}
		g.log.Warn("smsc not reachable; retrying in the background", "err", err)
	}
	return g, nil
}

// Name identifies the gateway: smpp:host:port.
func (g *Gateway) Name() string { return "smpp:" + g.opt.Addr }

// Bound reports whether the link is bound now.
func (g *Gateway) Bound() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.sess != nil
}

// Close unbinds and closes the link. Sends waiting for an answer get it
// if the SMSC answers before its unbind_resp, else CodeLinkLost.
func (g *Gateway) Close() error {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return nil
	}
	g.closed = true
	g.mu.Unlock()
	g.stop()
	<-g.done
	return nil
}

// Receipts returns the delivery receipts that arrived since the last
// call, oldest first, at most limit (all when limit ≤ 0). They are held
// in memory only: receipts not fetched before Close are lost.
func (g *Gateway) Receipts(ctx context.Context, limit int) ([]sms.Receipt, error) {
	if err := ctx.Err(); err != nil {
		return nil, temporary(CodeCancelled, err.Error())
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	n := len(g.receipts)
	if limit > 0 && limit < n {
		n = limit
	}
	if n == 0 {
		return nil, nil
	}
	out := make([]sms.Receipt, n)
	copy(out, g.receipts)
	g.receipts = append(g.receipts[:0], g.receipts[n:]...)
	return out, nil
}

// Send submits m (as several submit_sm when it is long) and returns when
// the SMSC has answered every part.
func (g *Gateway) Send(ctx context.Context, m sms.Message) (sms.Sent, error) {
	if err := m.Check(); err != nil {
		return sms.Sent{}, err
	}
	if err := ctx.Err(); err != nil {
		return sms.Sent{}, temporary(CodeCancelled, err.Error())
	}
	parts, udhi, err := Split(m.Text, byte(g.ref.Add(1)))
	if err != nil {
		return sms.Sent{}, &sms.Error{Kind: sms.Permanent, Code: CodeBadText, Msg: err.Error()}
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, g.opt.Timeout)
	defer cancel()

	// Each written part waits for its answer on its own and frees its
	// window slot then: a long message never holds a slot while it waits
	// for another.
	ids := make([]string, len(parts))
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	var firstErr error
	for i, p := range parts {
		select {
		case g.slots <- struct{}{}:
		case <-ctx.Done():
			firstErr = g.ctxError(parent, CodeNotBound, "no window slot")
		}
		if firstErr != nil {
			break
		}
		s, seq, ch, err := g.submit(ctx, parent, g.submitSM(m.Phone, p, udhi), i < len(parts)-1)
		if err != nil {
			<-g.slots
			firstErr = err
			break
		}
		wait := func() {
			ids[i], errs[i] = g.answer(ctx, parent, s, seq, ch)
			<-g.slots
		}
		if i == len(parts)-1 {
			wait()
		} else {
			wg.Go(wait)
		}
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if firstErr != nil {
		g.log.Warn("send failed", "phone", sms.Mask(m.Phone), "id", m.ID, "parts", len(parts), "err", firstErr)
		return sms.Sent{}, firstErr
	}
	sent := sms.Sent{ProviderID: ids[len(ids)-1], Parts: len(parts)}
	g.log.Debug("sent", "phone", sms.Mask(m.Phone), "id", m.ID, "provider_id", sent.ProviderID, "parts", sent.Parts)
	return sent, nil
}

func (g *Gateway) submitSM(phone string, payload []byte, udhi bool) *SM {
	sm := &SM{
		SourceTON: g.opt.SourceTON, SourceNPI: g.opt.SourceNPI, SourceAddr: g.opt.SourceAddr,
		DestTON: 1, DestNPI: 1, DestAddr: "86" + phone,
		RegisteredDelivery: RegisteredDeliveryReceipt, DataCoding: CodingUCS2, ShortMessage: payload,
	}
	if g.opt.National {
		sm.DestTON, sm.DestAddr = 2, phone
	}
	if udhi {
		sm.ESMClass = ESMClassUDHI
	}
	return sm
}

// submit writes one submit_sm on the bound link, waiting for one if
// there is none, and writing again on the next link when the link died
// before the PDU was written whole.
func (g *Gateway) submit(ctx, parent context.Context, sm *SM, part bool) (*session, uint32, chan result, error) {
	for {
		s, err := g.session(ctx, parent)
		if err != nil {
			return nil, 0, nil, err
		}
		seq, ch, err := s.call(SubmitSM, sm, part)
		if errors.Is(err, errDead) {
			continue
		}
		if err != nil { // an encoding error: our options or our code
			return nil, 0, nil, &sms.Error{Kind: sms.Misconfigured, Code: CodeProtocol, Msg: err.Error()}
		}
		return s, seq, ch, nil
	}
}

// answer waits for a submit_sm_resp and returns its message_id.
func (g *Gateway) answer(ctx, parent context.Context, s *session, seq uint32, ch chan result) (string, error) {
	res, err := s.wait(ctx, seq, ch)
	switch {
	case errors.Is(err, errDead):
		return "", temporary(CodeLinkLost, "link lost before the smsc answered: the message may have been sent")
	case err != nil:
		return "", g.ctxError(parent, CodeTimeout, "no answer from the smsc: the message may have been sent")
	case res.err != nil:
		return "", temporary(CodeProtocol, "answer to submit_sm: "+res.err.Error())
	case res.pdu.Status != StatusOK:
		return "", statusError(res.pdu.Status)
	case res.pdu.ID != SubmitSMResp:
		return "", temporary(CodeProtocol, "answer to submit_sm: "+res.pdu.ID.String())
	}
	r, _ := res.pdu.Body.(*SMResp)
	if r == nil || r.MessageID == "" {
		return "", temporary(CodeProtocol, "submit_sm_resp without message_id")
	}
	return r.MessageID, nil
}

// ctxError is the error of a Send whose context ended: cancelled when the
// caller's did, else code (our Timeout).
func (g *Gateway) ctxError(parent context.Context, code, msg string) *sms.Error {
	if err := parent.Err(); err != nil {
		return temporary(CodeCancelled, msg+": "+err.Error())
	}
	g.mu.Lock()
	closed := g.closed
	g.mu.Unlock()
	if closed {
		return temporary(CodeClosed, "gateway closed")
	}
	return temporary(code, fmt.Sprintf("%s within %v", msg, g.opt.Timeout))
}

// session returns the bound link, waiting for one. A refused bind is
// returned at once: waiting would not help.
func (g *Gateway) session(ctx, parent context.Context) (*session, error) {
	for {
		g.mu.Lock()
		s, up, down, closed := g.sess, g.up, g.downErr, g.closed
		g.mu.Unlock()
		switch {
		case closed:
			return nil, temporary(CodeClosed, "gateway closed")
		case s != nil:
			return s, nil
		case down != nil && down.Kind == sms.Misconfigured:
			return nil, down
		}
		select {
		case <-up:
		case <-g.ctx.Done():
		case <-ctx.Done():
			e := g.ctxError(parent, CodeNotBound, "no bound link")
			if e.Code == CodeNotBound && down != nil {
				e.Msg += " (" + down.Msg + ")"
			}
			return nil, e
		}
	}
}

func (g *Gateway) notePartID(id string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.partIDs[id] {
		g.partIDs[id] = true
		g.partFIFO = append(g.partFIFO, id)
	}
	for len(g.partFIFO) > maxPartIDs {
		delete(g.partIDs, g.partFIFO[0])
		g.partFIFO = g.partFIFO[1:]
	}
}

// receipt takes a delivery receipt in.
// reply keeps a receiver's message (a TD to opt out) for Replies.
func (g *Gateway) reply(sm *SM) {
	phone := nationalPhone(sm.SourceAddr)
	payload := sm.ShortMessage
	if sm.ESMClass&0x40 != 0 && len(payload) > 0 && int(payload[0])+1 <= len(payload) {
		payload = payload[int(payload[0])+1:] // a part of a long reply: its text without the header
	}
	text, err := DecodeText(sm.DataCoding, payload)
	if err != nil {
		g.log.Warn("unreadable reply dropped", "from", sms.Mask(phone), "err", err)
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.replies) >= maxReceipts {
		g.replies = g.replies[1:]
	}
	g.replies = append(g.replies, sms.Reply{Phone: phone, Text: text, At: g.opt.Now()})
	g.log.Info("reply received", "from", sms.Mask(phone))
}

// Replies returns the receivers' messages that arrived since the last
// call (kept in memory: an SMSC resends what the hub did not answer).
func (g *Gateway) Replies(ctx context.Context, limit int) ([]sms.Reply, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := len(g.replies)
	if limit > 0 && limit < n {
		n = limit
	}
	out := append([]sms.Reply(nil), g.replies[:n]...)
	g.replies = g.replies[n:]
	return out, nil
}

func (g *Gateway) receipt(sm *SM) {
	r, err := receiptOf(sm, g.opt.Location, g.opt.Now())
	if err != nil {
		g.log.Warn("unreadable delivery receipt dropped", "err", err)
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.partIDs[r.ProviderID] {
		delete(g.partIDs, r.ProviderID) // the FIFO entry goes when it ages out
		return
	}
	if len(g.receipts) >= maxReceipts {
		g.log.Warn("receipts not fetched: the oldest dropped", "held", len(g.receipts))
		g.receipts = g.receipts[1:]
	}
	g.receipts = append(g.receipts, r)
}

// run keeps the link bound until Close.
func (g *Gateway) run(first chan<- error) {
	defer close(g.done)
	backoff := backoffMin
	for {
		s, err := g.connect()
		if first != nil {
			first <- err
			first = nil
		}
		if g.ctx.Err() != nil {
			if s != nil {
				s.kill(errors.New("gateway closed"))
			}
			return
		}
		if err != nil {
			e := asSMSError(err)
			g.setDown(nil, e)
			wait := jitter(backoff)
			if e.Kind == sms.Misconfigured {
				wait = backoffMax
			}
			g.log.Warn("bind failed", "err", e, "retry_in", wait.Round(time.Millisecond))
			if !sleep(g.ctx, wait) {
				return
			}
			backoff = min(2*backoff, backoffMax)
			continue
		}
		start := time.Now()
		g.setUp(s)
		g.log.Info("bound", "system_id", g.opt.SystemID)
		select {
		case <-s.dead:
		case <-g.ctx.Done():
			s.unbind(g.opt.Timeout)
			g.setDown(s, temporary(CodeClosed, "gateway closed"))
			return
		}
		// The link may have died before setUp, when kill could not yet
		// take it down: take it down here too.
		g.setDown(s, temporary(CodeLinkLost, s.err.Error()))
		g.log.Warn("link lost", "err", s.err)
		if time.Since(start) >= livedLong {
			backoff = backoffMin
			continue
		}
		if !sleep(g.ctx, jitter(backoff)) {
			return
		}
		backoff = min(2*backoff, backoffMax)
	}
}

func asSMSError(err error) *sms.Error {
	var e *sms.Error
	if errors.As(err, &e) {
		return e
	}
	return temporary(CodeNotBound, err.Error())
}

func (g *Gateway) setUp(s *session) {
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-s.dead: // died on the way: run sees it and goes on
		return
	default:
	}
	g.sess, g.downErr = s, nil
	close(g.up)
}

// setDown records that the link of s (any link when s is nil) is gone.
func (g *Gateway) setDown(s *session, why *sms.Error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if s != nil && g.sess != s {
		return
	}
	if g.sess != nil {
		g.sess = nil
		g.up = make(chan struct{})
	}
	g.downErr = why
}

// connect dials and binds as a transceiver.
func (g *Gateway) connect() (*session, error) {
	ctx, cancel := context.WithTimeout(g.ctx, g.opt.Timeout)
	defer cancel()
	nd := &net.Dialer{KeepAlive: g.opt.EnquireLink}
	var conn net.Conn
	var err error
	if g.opt.TLS != nil {
		conn, err = (&tls.Dialer{NetDialer: nd, Config: g.opt.TLS}).DialContext(ctx, "tcp", g.opt.Addr)
	} else {
		conn, err = nd.DialContext(ctx, "tcp", g.opt.Addr)
	}
	if err != nil {
		return nil, temporary(CodeNotBound, "dial: "+err.Error())
	}
	s := newSession(g, conn)
	seq, ch, err := s.request(BindTransceiver, &Bind{
		SystemID: g.opt.SystemID, Password: g.opt.Password, SystemType: g.opt.SystemType,
		InterfaceVersion: InterfaceVersion,
	})
	if err != nil {
		s.kill(err)
		return nil, temporary(CodeNotBound, "bind: "+err.Error())
	}
	res, err := s.wait(ctx, seq, ch)
	switch {
	case err != nil:
		s.kill(err)
		if errors.Is(err, errDead) {
			err = s.err
		}
		return nil, temporary(CodeNotBound, "bind: "+err.Error())
	case res.err != nil:
		s.kill(res.err)
		return nil, temporary(CodeProtocol, "bind: "+res.err.Error())
	case res.pdu.Status != StatusOK:
		s.kill(errors.New("bind refused"))
		st := res.pdu.Status
		return nil, &sms.Error{Kind: bindKind(st), Code: st.Code(), Msg: "smsc refused bind_transceiver: " + st.String()}
	case res.pdu.ID != BindTransceiverResp:
		s.kill(errors.New("bind answered with " + res.pdu.ID.String()))
		return nil, &sms.Error{Kind: sms.Misconfigured, Code: CodeProtocol, Msg: "bind_transceiver answered with " + res.pdu.ID.String()}
	}
	go s.keepAlive(g.opt.EnquireLink, g.opt.Timeout)
	return s, nil
}

func jitter(d time.Duration) time.Duration {
	return d*4/5 + rand.N(d*2/5+1)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

type result struct {
	pdu PDU
	err error // the answer's body did not decode
}

// session is one TCP (or TLS) link: a reader goroutine dispatching the
// SMSC's answers by sequence number and answering its requests, and a
// keep-alive goroutine.
type session struct {
	g    *Gateway
	conn net.Conn

	wmu sync.Mutex // serialises writes and numbers requests
	seq uint32
	buf []byte

	pmu     sync.Mutex
	pending map[uint32]call

	lastRead atomic.Int64 // unix nanoseconds
	once     sync.Once
	dead     chan struct{}
	err      error // why, set before dead is closed
}

func newSession(g *Gateway, conn net.Conn) *session {
	s := &session{g: g, conn: conn, pending: map[uint32]call{}, dead: make(chan struct{})}
	s.lastRead.Store(time.Now().UnixNano())
	go s.readLoop()
	return s
}

// kill closes the link once; the gateway learns of it before any waiter.
func (s *session) kill(err error) {
	s.once.Do(func() {
		s.err = err
		s.conn.Close()
		s.g.setDown(s, temporary(CodeLinkLost, err.Error()))
		close(s.dead)
	})
}

// call is a request waiting for its answer.
type call struct {
	ch chan result
	// part: a submit_sm of a long message's part other than the last,
	// whose message_id is noted (in the reader, before any receipt for it
	// can be read) so that its receipt is dropped.
	part bool
}

// request writes a request and registers for its answer. errDead means
// it was not written (whole).
func (s *session) request(id CommandID, body Body) (uint32, chan result, error) {
	return s.call(id, body, false)
}

func (s *session) call(id CommandID, body Body, part bool) (uint32, chan result, error) {
	ch := make(chan result, 1)
	s.wmu.Lock()
	defer s.wmu.Unlock()
	select {
	case <-s.dead:
		return 0, nil, errDead
	default:
	}
	s.seq++
	if s.seq > 0x7FFFFFFF {
		s.seq = 1
	}
	seq := s.seq
	b, err := PDU{ID: id, Seq: seq, Body: body}.Append(s.buf[:0])
	if err != nil {
		return 0, nil, err
	}
	s.buf = b
	s.pmu.Lock()
	s.pending[seq] = call{ch, part}
	s.pmu.Unlock()
	if err := s.write(b); err != nil {
		s.forget(seq)
		return 0, nil, errDead
	}
	return seq, ch, nil
}

// reply writes a response; a failed write kills the link.
func (s *session) reply(p PDU) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	b, err := p.Append(s.buf[:0])
	if err != nil {
		s.g.log.Error("encode reply", "pdu", p, "err", err)
		return
	}
	s.buf = b
	s.write(b)
}

// write writes b under wmu.
func (s *session) write(b []byte) error {
	s.conn.SetWriteDeadline(time.Now().Add(s.g.opt.Timeout))
	if _, err := s.conn.Write(b); err != nil {
		s.kill(fmt.Errorf("write: %w", err))
		return err
	}
	return nil
}

func (s *session) forget(seq uint32) {
	s.pmu.Lock()
	delete(s.pending, seq)
	s.pmu.Unlock()
}

// wait waits for the answer to request seq. errDead: the link died first.
func (s *session) wait(ctx context.Context, seq uint32, ch chan result) (result, error) {
	select {
	case r := <-ch:
		return r, nil
	case <-s.dead:
		select {
		case r := <-ch: // answered just before the end
			return r, nil
		default:
		}
		return result{}, errDead
	case <-ctx.Done():
		s.forget(seq)
		return result{}, ctx.Err()
	}
}

func (s *session) readLoop() {
	r := bufio.NewReaderSize(s.conn, 16<<10)
	for {
		b, err := ReadPDU(r)
		if err != nil {
			s.kill(fmt.Errorf("read: %w", err))
			return
		}
		s.lastRead.Store(time.Now().UnixNano())
		p, err := Decode(b)
		if err != nil {
			h, _ := ParseHeader(b)
			s.g.log.Warn("undecodable pdu", "command", h.ID, "seq", h.Seq, "err", err)
			if h.ID.IsResponse() {
				s.answered(h.Seq, result{pdu: PDU{ID: h.ID, Status: h.Status, Seq: h.Seq}, err: err})
			} else {
				s.reply(PDU{ID: GenericNack, Status: NackStatus(err), Seq: h.Seq})
			}
			continue
		}
		s.handle(p)
	}
}

func (s *session) answered(seq uint32, r result) {
	s.pmu.Lock()
	c, ok := s.pending[seq]
	delete(s.pending, seq)
	s.pmu.Unlock()
	if !ok {
		s.g.log.Debug("late or unasked answer dropped", "pdu", r.pdu)
		return
	}
	if resp, _ := r.pdu.Body.(*SMResp); c.part && resp != nil && resp.MessageID != "" {
		s.g.notePartID(resp.MessageID)
	}
	c.ch <- r
}

func (s *session) handle(p PDU) {
	if p.ID.IsResponse() {
		s.answered(p.Seq, result{pdu: p})
		return
	}
	switch p.ID {
	case EnquireLink:
		s.reply(PDU{ID: EnquireLinkResp, Seq: p.Seq})
	case Unbind:
		s.reply(PDU{ID: UnbindResp, Seq: p.Seq})
		s.kill(errors.New("smsc unbound"))
	case DeliverSM:
		sm := p.Body.(*SM)
		if sm.ESMClass&esmTypeMask == ESMClassReceipt {
			s.g.receipt(sm)
		} else {
			s.g.reply(sm)
		}
		s.reply(PDU{ID: DeliverSMResp, Seq: p.Seq, Body: &SMResp{}})
	default:
		s.reply(PDU{ID: GenericNack, Status: StatusInvCmdID, Seq: p.Seq})
	}
}

// keepAlive sends enquire_link when nothing was read for interval and
// kills the link when it goes unanswered for timeout.
func (s *session) keepAlive(interval, timeout time.Duration) {
	for {
		idle := time.Since(time.Unix(0, s.lastRead.Load()))
		if idle < interval {
			t := time.NewTimer(interval - idle)
			select {
			case <-t.C:
			case <-s.dead:
				t.Stop()
				return
			}
			continue
		}
		seq, ch, err := s.request(EnquireLink, nil)
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		_, err = s.wait(ctx, seq, ch)
		cancel()
		if errors.Is(err, errDead) {
			return
		}
		if err != nil {
			s.kill(errors.New("enquire_link unanswered"))
			return
		}
	}
}

// unbind ends the link politely: unbind, then close on its answer or
// after timeout.
func (s *session) unbind(timeout time.Duration) {
	seq, ch, err := s.request(Unbind, nil)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), min(timeout, 2*time.Second))
		s.wait(ctx, seq, ch)
		cancel()
	}
	s.kill(errors.New("gateway closed"))
}
