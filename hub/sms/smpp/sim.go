package smpp

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"
	"unicode/utf16"

	"cunyou/sms"
)

// SimOptions configure a Simulator.
type SimOptions struct {
	// SystemID and Password are the only credentials it binds.
	SystemID string
	Password string
	// Addr is where it listens; 127.0.0.1:0 when "".
	Addr string
	// TLS, when set, makes it a TLS server.
	TLS *tls.Config
	// ReceiptAfter, when > 0, sends every message's delivery receipt this
	// long after its last part arrived, with the status Fate gives the
	// phone (Delivered when Fate is nil). Otherwise receipts go on
	// Deliver only.
	ReceiptAfter time.Duration
	Fate         func(phone string) sms.Status
	// Latency delays every submit_sm_resp (a slow SMSC); answers are still
	// pipelined, so the client's window decides the throughput.
	Latency time.Duration
	// MaxPerSecond answers ESME_RTHROTTLED to the submits beyond it in a
	// second; no limit when 0.
	MaxPerSecond int
	// IdleTimeout drops a link on which nothing arrived for so long, as
	// operators do; never when 0.
	IdleTimeout time.Duration
	// EnquireLink, when > 0, probes every bound client this often.
	EnquireLink time.Duration
	// Log receives its events; none when nil.
	Log *slog.Logger
	// Now is the clock of the receipts' dates; time.Now when nil.
	Now func() time.Time
}

// Received is a message as the simulator reassembled it. It converts to
// smstest.Got.
type Received struct {
	Phone string
	Text  string
	// MessageID is always "": SMPP does not carry the caller's id.
	MessageID string
	// ProviderID is the message_id the simulator gave the last part.
	ProviderID string
}

// SimStats count what the simulator saw.
type SimStats struct {
	Binds            int // binds accepted
	BindsRefused     int
	Submits          int // submit_sm read (answered or not)
	EnquireLinks     int // enquire_link from clients
	EnquireLinkResps int // answers to the simulator's own enquire_link
	ReceiptsSent     int
	ReceiptsAcked    int // deliver_sm_resp received
	Open             int // links open now
	// MaxOutstanding is the most submit_sm one link had waiting for an
	// answer at once: a client's window seen from the SMSC.
	MaxOutstanding int
}

// Simulator is an SMSC for tests and the demo: it binds transceivers,
// answers submit_sm with message ids, reassembles concatenated UCS-2
// messages, and sends delivery receipts. Its faults (FailNext, DropNext,
// Drop, RejectPhone, SetLatency, SetMaxPerSecond) are what the gateway's
// tests inject. It is not an SMSC to run in production.
type Simulator struct {
	opt  SimOptions
	log  *slog.Logger
	ln   net.Listener
	quit chan struct{}
	wg   sync.WaitGroup

	mu         sync.Mutex
	conns      map[*simConn]bool
	received   []Received
	byID       map[string]*simMessage // every part's message_id
	assembling map[assemblyKey]*simMessage
	failNext   []CommandStatus
	dropNext   int
	rejected   map[string]bool
	latency    time.Duration
	perSecond  int
	rateSecond time.Time
	rateCount  int
	nextID     uint64
	queued     []*SM // receipts waiting for a bound client
	stats      SimStats
	closed     bool
}

type simMessage struct {
	phone      string
	sourceAddr string
	parts      []string // message_ids by part; "" until it arrived
	texts      []string
	got        int
	submitted  time.Time
	receipt    bool // the client asked for one
}

type assemblyKey struct {
	phone string
	ref   uint16
	total byte
}

// NewSimulator starts a simulator listening on opt.Addr.
func NewSimulator(opt SimOptions) (*Simulator, error) {
	if opt.Addr == "" {
		opt.Addr = "127.0.0.1:0"
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	ln, err := net.Listen("tcp", opt.Addr)
	if err != nil {
		return nil, fmt.Errorf("smpp simulator: listen: %w", err)
	}
	if opt.TLS != nil {
		ln = tls.NewListener(ln, opt.TLS)
	}
	s := &Simulator{
		opt: opt, log: opt.Log.With("smsc", "simulator"), ln: ln, quit: make(chan struct{}),
		conns: map[*simConn]bool{}, byID: map[string]*simMessage{}, assembling: map[assemblyKey]*simMessage{},
		rejected: map[string]bool{}, latency: opt.Latency, perSecond: opt.MaxPerSecond, nextID: 0x5A000000,
	}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Addr is the host:port it listens on.
func (s *Simulator) Addr() string { return s.ln.Addr().String() }

// Close stops listening, drops every link and waits for its goroutines.
func (s *Simulator) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.quit)
	conns := s.openConns()
	s.mu.Unlock()
	err := s.ln.Close()
	for _, c := range conns {
		c.close()
	}
	s.wg.Wait()
	return err
}

// Received lists the messages whose parts all arrived, oldest first.
func (s *Simulator) Received() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.received...)
}

// Stats returns the counters.
func (s *Simulator) Stats() SimStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Open = len(s.conns)
	return st
}

// FailNext answers the next submit_sm with st (queued: calls add up).
func (s *Simulator) FailNext(st CommandStatus) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = append(s.failNext, st)
}

// DropNext reads the next submit_sm, leaves it unanswered and unrecorded,
// and drops its link.
func (s *Simulator) DropNext() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropNext++
}

// Drop drops every open link now, without unbind, as a network failure
// would: submits in flight stay unanswered.
func (s *Simulator) Drop() {
	s.mu.Lock()
	conns := s.openConns()
	s.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
}

// RejectPhone answers ESME_RINVDSTADR to every message for phone.
func (s *Simulator) RejectPhone(phone string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejected[phone] = true
}

// SetLatency changes how long each submit_sm_resp is held back.
func (s *Simulator) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// SetMaxPerSecond changes the throttle (0: none).
func (s *Simulator) SetMaxPerSecond(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.perSecond = n
}

var receiptStats = map[sms.Status]struct {
	stat  string
	state byte
	err   string
}{
	sms.Delivered: {"DELIVRD", StateDelivered, "000"},
	sms.Failed:    {"UNDELIV", StateUndeliverable, "001"},
	sms.Expired:   {"EXPIRED", StateExpired, "000"},
	sms.Unknown:   {"UNKNOWN", StateUnknown, "000"},
}

// Deliver sends the delivery receipts of the message one of whose parts
// got providerID: one per part, the last part's last. With no client
// bound they wait for the next bind, as an SMSC stores them.
func (s *Simulator) Deliver(providerID string, st sms.Status) error {
	s.mu.Lock()
	m := s.byID[providerID]
	if m == nil {
		s.mu.Unlock()
		return fmt.Errorf("smpp simulator: deliver %q: no such message", providerID)
	}
	rs, ok := receiptStats[st]
	if !ok {
		s.mu.Unlock()
		return fmt.Errorf("smpp simulator: deliver %q: status %q", providerID, st)
	}
	done := s.opt.Now().In(time.FixedZone("CST", 8*3600)).Format(ReceiptDate)
	for _, id := range m.parts {
		if id == "" {
			continue
		}
		dlvrd := "000"
		if st == sms.Delivered {
			dlvrd = "001"
		}
		text := ReceiptText{ID: id, Sub: "001", Dlvrd: dlvrd, SubmitDate: m.submitted.In(time.FixedZone("CST", 8*3600)).Format(ReceiptDate),
			DoneDate: done, Stat: rs.stat, Err: rs.err}.String()
		s.queued = append(s.queued, &SM{
			SourceTON: 1, SourceNPI: 1, SourceAddr: "86" + m.phone,
			DestAddr: m.sourceAddr, ESMClass: ESMClassReceipt, DataCoding: CodingDefault, ShortMessage: []byte(text),
			TLVs: []TLV{
				{Tag: TagReceiptedMessageID, Value: append([]byte(id), 0)},
				{Tag: TagMessageState, Value: []byte{rs.state}},
			},
		})
	}
	s.mu.Unlock()
	s.flush()
	return nil
}

// Reply sends a receiver's message to the gateway (a mobile-originated
// deliver_sm), e.g. TD to opt out; it waits for a bound link like a
// receipt.
func (s *Simulator) Reply(phone, text string) {
	s.mu.Lock()
	s.queued = append(s.queued, &SM{SourceTON: 1, SourceNPI: 1, SourceAddr: "86" + phone, DestAddr: "10690001",
		DataCoding: CodingUCS2, ShortMessage: ucs2(utf16.Encode([]rune(text)))})
	s.mu.Unlock()
	s.flush()
}

// flush sends the queued receipts on a bound link.
func (s *Simulator) flush() {
	s.mu.Lock()
	var c *simConn
	for cc := range s.conns {
		if cc.receives() {
			c = cc
			break
		}
	}
	if c == nil || len(s.queued) == 0 {
		s.mu.Unlock()
		return
	}
	q := s.queued
	s.queued = nil
	s.stats.ReceiptsSent += len(q)
	s.mu.Unlock()
	for i, sm := range q {
		if err := c.request(DeliverSM, sm); err != nil {
			s.mu.Lock()
			s.queued = append(q[i:], s.queued...)
			s.stats.ReceiptsSent -= len(q) - i
			s.mu.Unlock()
			return
		}
	}
}

func (s *Simulator) openConns() []*simConn {
	out := make([]*simConn, 0, len(s.conns))
	for c := range s.conns {
		out = append(out, c)
	}
	return out
}

func (s *Simulator) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		c := &simConn{sim: s, c: nc}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return
		}
		s.conns[c] = true
		s.wg.Add(1)
		s.mu.Unlock()
		go c.serve()
	}
}

// simConn is one client's link.
type simConn struct {
	sim *Simulator
	c   net.Conn

	wmu sync.Mutex
	seq uint32
	buf []byte

	// under sim.mu
	bound       CommandID
	outstanding int

	once sync.Once
}

func (c *simConn) close() { c.once.Do(func() { c.c.Close() }) }

// receives reports (under sim.mu) whether deliver_sm may go to c.
func (c *simConn) receives() bool { return c.bound == BindTransceiver || c.bound == BindReceiver }

func (c *simConn) write(p PDU) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if !p.ID.IsResponse() {
		c.seq++
		p.Seq = c.seq
	}
	b, err := p.Append(c.buf[:0])
	if err != nil {
		return err
	}
	c.buf = b
	c.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.c.Write(b); err != nil {
		c.close()
		return err
	}
	return nil
}

func (c *simConn) request(id CommandID, body Body) error { return c.write(PDU{ID: id, Body: body}) }

func (c *simConn) serve() {
	s := c.sim
	defer s.wg.Done()
	defer func() {
		c.close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	if s.opt.EnquireLink > 0 {
		stop := make(chan struct{})
		defer close(stop)
		s.wg.Add(1)
		go c.probe(stop)
	}
	r := bufio.NewReader(c.c)
	for {
		if s.opt.IdleTimeout > 0 {
			c.c.SetReadDeadline(time.Now().Add(s.opt.IdleTimeout))
		}
		b, err := ReadPDU(r)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				s.log.Info("idle link dropped")
			}
			return
		}
		p, err := Decode(b)
		if err != nil {
			h, _ := ParseHeader(b)
			s.log.Warn("undecodable pdu", "command", h.ID, "err", err)
			if !h.ID.IsResponse() {
				c.write(PDU{ID: GenericNack, Status: NackStatus(err), Seq: h.Seq})
			}
			continue
		}
		if !c.handle(p) {
			return
		}
	}
}

// probe sends enquire_link every interval.
func (c *simConn) probe(stop chan struct{}) {
	defer c.sim.wg.Done()
	t := time.NewTicker(c.sim.opt.EnquireLink)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			c.sim.mu.Lock()
			bound := c.bound != 0
			c.sim.mu.Unlock()
			if bound && c.request(EnquireLink, nil) != nil {
				return
			}
		case <-stop:
			return
		}
	}
}

// handle answers p; false ends the link.
func (c *simConn) handle(p PDU) bool {
	s := c.sim
	switch p.ID {
	case BindTransceiver, BindTransmitter, BindReceiver:
		return c.bind(p)
	case SubmitSM:
		return c.submit(p)
	case EnquireLink:
		s.mu.Lock()
		s.stats.EnquireLinks++
		s.mu.Unlock()
		c.write(PDU{ID: EnquireLinkResp, Seq: p.Seq})
	case EnquireLinkResp:
		s.mu.Lock()
		s.stats.EnquireLinkResps++
		s.mu.Unlock()
	case DeliverSMResp:
		s.mu.Lock()
		s.stats.ReceiptsAcked++
		s.mu.Unlock()
	case Unbind:
		c.write(PDU{ID: UnbindResp, Seq: p.Seq})
		return false
	case UnbindResp, GenericNack:
	default:
		c.write(PDU{ID: GenericNack, Status: StatusInvCmdID, Seq: p.Seq})
	}
	return true
}

func (c *simConn) bind(p PDU) bool {
	s := c.sim
	b := p.Body.(*Bind)
	st := StatusOK
	s.mu.Lock()
	switch {
	case c.bound != 0:
		st = StatusAlreadyBound
	case b.SystemID != s.opt.SystemID:
		st = StatusInvSysID
	case b.Password != s.opt.Password:
		st = StatusInvPaswd
	}
	if st == StatusOK {
		c.bound = p.ID
		s.stats.Binds++
	} else {
		s.stats.BindsRefused++
	}
	s.mu.Unlock()
	if st != StatusOK {
		s.log.Info("bind refused", "system_id", b.SystemID, "status", st)
		c.write(PDU{ID: p.ID.Resp(), Status: st, Seq: p.Seq})
		return st == StatusAlreadyBound
	}
	c.write(PDU{ID: p.ID.Resp(), Seq: p.Seq, Body: &BindResp{SystemID: "cunyou-sim",
		TLVs: []TLV{{Tag: TagSCInterfaceVersion, Value: []byte{InterfaceVersion}}}}})
	s.flush()
	return true
}

func (c *simConn) submit(p PDU) bool {
	s := c.sim
	sm := p.Body.(*SM)
	s.mu.Lock()
	s.stats.Submits++
	if c.bound != BindTransceiver && c.bound != BindTransmitter {
		s.mu.Unlock()
		c.write(PDU{ID: SubmitSMResp, Status: StatusInvBindStatus, Seq: p.Seq})
		return true
	}
	if s.dropNext > 0 {
		s.dropNext--
		s.mu.Unlock()
		s.log.Info("link dropped on submit_sm", "seq", p.Seq)
		return false
	}
	c.outstanding++
	s.stats.MaxOutstanding = max(s.stats.MaxOutstanding, c.outstanding)
	st, id, done := s.take(sm)
	latency := s.latency
	s.mu.Unlock()

	answer := func() {
		resp := PDU{ID: SubmitSMResp, Status: st, Seq: p.Seq}
		if st == StatusOK {
			resp.Body = &SMResp{MessageID: id}
		}
		s.mu.Lock()
		c.outstanding-- // before the answer leaves, or the next submit would overlap it
		s.mu.Unlock()
		c.write(resp)
		if done != nil && s.opt.ReceiptAfter > 0 && done.receipt {
			s.autoReceipt(done)
		}
	}
	if latency <= 0 {
		answer()
		return true
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		select {
		case <-time.After(latency):
			answer()
		case <-s.quit:
		}
	}()
	return true
}

// take decides the fate of a submit_sm and records it (under mu). done
// is the message it completed, if any.
func (s *Simulator) take(sm *SM) (st CommandStatus, id string, done *simMessage) {
	if len(s.failNext) > 0 {
		st, s.failNext = s.failNext[0], s.failNext[1:]
		return st, "", nil
	}
	if s.perSecond > 0 {
		now := time.Now().Truncate(time.Second)
		if !now.Equal(s.rateSecond) {
			s.rateSecond, s.rateCount = now, 0
		}
		if s.rateCount >= s.perSecond {
			return StatusThrottled, "", nil
		}
		s.rateCount++
	}
	phone := nationalPhone(sm.DestAddr)
	if !sms.ValidPhone(phone) || s.rejected[phone] {
		return StatusInvDstAdr, "", nil
	}
	payload := sm.ShortMessage
	if len(payload) == 0 {
		payload, _ = Find(sm.TLVs, TagMessagePayload)
	}
	cc, concat := Concat{Total: 1, Seq: 1}, false
	if sm.ESMClass&ESMClassUDHI != 0 {
		var err error
		if cc, concat, payload, err = SplitUDH(payload); err != nil {
			return StatusInvESMClass, "", nil
		}
		if !concat {
			cc = Concat{Total: 1, Seq: 1}
		}
	}
	text, err := DecodeText(sm.DataCoding, payload)
	if err != nil {
		return StatusInvMsgLen, "", nil
	}
	s.nextID++
	id = fmt.Sprintf("%08X", s.nextID)
	key := assemblyKey{phone, cc.Ref, cc.Total}
	m := s.assembling[key]
	if m == nil || !concat || m.parts[cc.Seq-1] != "" {
		m = &simMessage{phone: phone, sourceAddr: sm.SourceAddr, parts: make([]string, cc.Total),
			texts: make([]string, cc.Total), submitted: s.opt.Now(), receipt: sm.RegisteredDelivery&0x03 != 0}
		if concat {
			s.assembling[key] = m
		}
	}
	m.parts[cc.Seq-1], m.texts[cc.Seq-1] = id, text
	m.got++
	s.byID[id] = m
	if m.got < len(m.parts) {
		return StatusOK, id, nil
	}
	delete(s.assembling, key)
	s.received = append(s.received, Received{Phone: phone, Text: strings.Join(m.texts, ""), ProviderID: m.parts[len(m.parts)-1]})
	return StatusOK, id, m
}

func (s *Simulator) autoReceipt(m *simMessage) {
	st := sms.Delivered
	if s.opt.Fate != nil {
		st = s.opt.Fate(m.phone)
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		select {
		case <-time.After(s.opt.ReceiptAfter):
			s.Deliver(m.parts[len(m.parts)-1], st)
		case <-s.quit:
		}
	}()
}
