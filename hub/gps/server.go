package gps

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"cunyou/hub/store"
	"cunyou/mask"
)

// Options configure a Server.
type Options struct {
	// Store is the hub's database.
	Store *store.Store
	// IdleTimeout closes a connection that sent nothing for so long (3
	// minutes when 0): half-open TCP would otherwise hold it for ever.
	IdleTimeout time.Duration
	// FlushEvery and FlushRows: the buffered positions are written every
	// FlushEvery (100 ms when 0) or as soon as FlushRows wait (2000).
	FlushEvery time.Duration
	FlushRows  int
	// FenceRadius is the geofences' radius in metres (300); FenceRefresh
	// how often the sites and departed trips are read again (5 s).
	FenceRadius  float64
	FenceRefresh time.Duration
	// Log receives the server's lines; phone numbers are masked.
	Log *slog.Logger
	// OnEvents, when set, receives the geofence events of a trip's vehicle
	// (arrivals at and departures from stations and the centre) once they
	// are stored: the hub records them as trip.at_stop facts for the
	// parcels on the trip.
	OnEvents func(ctx context.Context, evs []store.GeofenceEvent)
}

// Server accepts JT/T 808 terminals over TCP: one session per terminal
// phone number, the register and authenticate flow, and location reports
// written in batches.
type Server struct {
	o   Options
	log *slog.Logger
	in  *ingester

	mu       sync.Mutex
	sessions map[string]*session // by phone, once a connection named one
	conns    map[*session]struct{}

	accepted  atomic.Int64
	badFrames atomic.Int64
}

// New returns a server; Serve runs it.
func New(o Options) *Server {
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 3 * time.Minute
	}
	if o.FlushEvery <= 0 {
		o.FlushEvery = 100 * time.Millisecond
	}
	if o.FlushRows <= 0 {
		o.FlushRows = 2000
	}
	if o.FenceRadius <= 0 {
		o.FenceRadius = DefaultFenceRadius
	}
	if o.FenceRefresh <= 0 {
		o.FenceRefresh = 5 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	in := newIngester(o.Store, o.FlushEvery, o.FlushRows, o.FenceRadius, o.Log)
	in.refreshEvery = o.FenceRefresh
	in.onEvents = o.OnEvents
	return &Server{o: o, log: o.Log, in: in, sessions: map[string]*session{}, conns: map[*session]struct{}{}}
}

// Stats are the server's counters.
type Stats struct {
	Connections int   // open now
	Terminals   int   // connections that named a terminal
	Accepted    int64 // connections since start
	Stored      int64 // positions written (repeats not counted)
	Flushes     int64 // transactions
	FailedFlush int64
	BadFrames   int64
}

// Stats returns the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{Connections: len(s.conns), Terminals: len(s.sessions), Accepted: s.accepted.Load(), Stored: s.in.stored.Load(),
		Flushes: s.in.flushes.Load(), FailedFlush: s.in.failed.Load(), BadFrames: s.badFrames.Load()}
}

// Serve accepts connections on ln until ctx ends, then closes them and
// writes what is buffered.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	ingest, stopIngest := context.WithCancel(context.WithoutCancel(ctx))
	ingestDone := make(chan struct{})
	go func() { s.in.run(ingest); close(ingestDone) }()
	var wg sync.WaitGroup
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var err error
	for {
		var c net.Conn
		c, err = ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			break
		}
		s.accepted.Add(1)
		ss := &session{srv: s, conn: c}
		s.mu.Lock()
		s.conns[ss] = struct{}{}
		s.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			ss.run(ctx)
		}()
	}
	s.mu.Lock()
	for ss := range s.conns {
		ss.conn.Close()
	}
	s.mu.Unlock()
	wg.Wait()
	stopIngest()
	<-ingestDone
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("accept: %w", err)
}

// bind makes ss the session of its terminal, closing another connection
// of the same terminal.
func (s *Server) bind(ss *session) {
	s.mu.Lock()
	old := s.sessions[ss.phone]
	s.sessions[ss.phone] = ss
	s.mu.Unlock()
	if old != nil && old != ss {
		s.log.Info("terminal reconnected: old connection closed", "terminal", mask.Phone(ss.phone))
		old.conn.Close()
	}
}

func (s *Server) forget(ss *session) {
	s.mu.Lock()
	delete(s.conns, ss)
	if ss.phone != "" && s.sessions[ss.phone] == ss {
		delete(s.sessions, ss.phone)
	}
	s.mu.Unlock()
}

// session is one terminal's connection.
type session struct {
	srv  *Server
	conn net.Conn

	// Read side: only the session's goroutine.
	phone  string
	plate  string
	authed bool
	reasm  Reassembler

	// Write side: replies come from the reader and from the ingester.
	wmu     sync.Mutex
	serial  uint16 // the platform's serial for this terminal
	out     []byte
	writing bool
	closed  bool
}

func (ss *session) run(ctx context.Context) {
	defer ss.srv.forget(ss)
	defer func() {
		ss.wmu.Lock()
		ss.closed = true
		ss.wmu.Unlock()
		ss.conn.Close()
	}()
	r := NewReader(ss.conn, 1024)
	// A connection has one idle timeout in all to authenticate: until it
	// does, its heartbeats and bad frames do not keep it open.
	authBy := time.Now().Add(ss.srv.o.IdleTimeout)
	for ctx.Err() == nil {
		if ss.authed {
			ss.conn.SetReadDeadline(time.Now().Add(ss.srv.o.IdleTimeout))
		} else {
			ss.conn.SetReadDeadline(authBy)
		}
		frame, err := r.ReadFrame()
		if err != nil {
			if CodeOf(err) == CodeFrame {
				ss.srv.badFrames.Add(1)
				continue
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				ss.srv.log.Info("terminal idle: connection closed", "terminal", mask.Phone(ss.phone))
			}
			return
		}
		p, err := DecodeFrame(frame)
		if err != nil {
			ss.srv.badFrames.Add(1)
			ss.srv.log.Debug("bad frame", "terminal", mask.Phone(ss.phone), "code", int(CodeOf(err)), "err", err)
			continue
		}
		if ss.phone == "" {
			ss.phone = p.Phone // the session is the terminal's once it authenticates
		} else if p.Phone != ss.phone {
			ss.srv.log.Warn("connection changed terminal: closed", "terminal", mask.Phone(ss.phone))
			return
		}
		if !ss.authed && p.Split() && p.Packets > 1 {
			// Registration and authentication fit in one packet: nobody
			// makes the hub hold sub-packages before authenticating.
			ss.reply(p.Header, ResultFail)
			continue
		}
		whole, ok := ss.reasm.Add(p)
		if !ok {
			ss.reply(p.Header, ResultOK) // a sub-package: the last one's answer waits for the message
			continue
		}
		if !ss.handle(ctx, whole) {
			return
		}
	}
}

// handle answers one message; false closes the connection.
func (ss *session) handle(ctx context.Context, p Packet) bool {
	if p.Encryption != 0 {
		ss.reply(p.Header, ResultUnsupported)
		return true
	}
	switch p.ID {
	case MsgRegister:
		ss.register(ctx, p)
	case MsgAuth:
		ss.authenticate(ctx, p)
	case MsgHeartbeat:
		if ss.authed {
			ss.srv.in.touch(p.Phone)
		}
		ss.reply(p.Header, ss.okIfAuthed())
	case MsgLogout:
		// The terminal deregisters: its auth code is void. Only the
		// terminal itself, authenticated, may void it.
		if !ss.authed {
			ss.reply(p.Header, ResultFail)
			return true
		}
		if err := ss.srv.o.Store.UnregisterTerminal(ctx, p.Phone); err != nil {
			ss.srv.log.Error("unregister terminal", "terminal", mask.Phone(p.Phone), "err", err)
			ss.reply(p.Header, ResultFail)
			return true
		}
		ss.authed = false
		ss.reply(p.Header, ResultOK)
	case MsgTerminalResponse:
	case MsgLocation, MsgBatchLocation:
		ss.locations(p)
	default:
		ss.reply(p.Header, ResultUnsupported)
	}
	return true
}

func (ss *session) okIfAuthed() Result {
	if ss.authed {
		return ResultOK
	}
	return ResultFail
}

func (ss *session) register(ctx context.Context, p Packet) {
	reg, _, err := ParseRegister(p.Header, p.Body)
	if err != nil {
		ss.reply(p.Header, ResultBadMessage)
		return
	}
	resp := RegisterResponse{Serial: p.Serial}
	code, plate, err := ss.srv.o.Store.RegisterTerminal(ctx, store.TerminalInfo{Phone: p.Phone, Maker: reg.Maker, Model: reg.Model,
		TerminalID: reg.TerminalID})
	switch {
	case errors.Is(err, store.ErrNotFound):
		resp.Result = RegisterTerminalUnknown
		ss.srv.log.Warn("terminal registration refused: no vehicle has it", "terminal", mask.Phone(p.Phone),
			"code", int(CodeAuth))
	case err != nil:
		ss.srv.log.Error("register terminal", "terminal", mask.Phone(p.Phone), "err", err)
		return // no answer: the terminal asks again
	default:
		resp.AuthCode = code
		ss.srv.log.Info("terminal registered", "terminal", mask.Phone(p.Phone), "plate", plate)
	}
	ss.send(p.Header, MsgRegisterResponse, resp.Marshal())
}

func (ss *session) authenticate(ctx context.Context, p Packet) {
	a, err := ParseAuth(p.Header, p.Body)
	if err != nil {
		ss.reply(p.Header, ResultBadMessage)
		return
	}
	plate, err := ss.srv.o.Store.AuthenticateTerminal(ctx, p.Phone, a.Code, a.IMEI, a.Software)
	switch {
	case errors.Is(err, store.ErrUnauthorized):
		ss.authed = false
		ss.srv.log.Warn("terminal authentication refused", "terminal", mask.Phone(p.Phone), "code", int(CodeAuth))
		ss.reply(p.Header, ResultFail)
	case err != nil:
		ss.srv.log.Error("authenticate terminal", "terminal", mask.Phone(p.Phone), "err", err)
		ss.reply(p.Header, ResultFail)
	default:
		ss.authed, ss.plate = true, plate
		ss.srv.bind(ss) // only now does it replace the terminal's other connection
		ss.srv.log.Debug("terminal authenticated", "terminal", mask.Phone(p.Phone), "plate", plate)
		ss.reply(p.Header, ResultOK)
	}
}

func (ss *session) locations(p Packet) {
	if !ss.authed {
		ss.srv.log.Debug("report before authentication", "terminal", mask.Phone(p.Phone), "code", int(CodeUnauth))
		ss.reply(p.Header, ResultFail)
		return
	}
	var locs []Location
	if p.ID == MsgLocation {
		l, err := ParseLocation(p.Body)
		if err != nil {
			ss.reply(p.Header, ResultBadMessage)
			return
		}
		locs = []Location{l}
	} else {
		b, err := ParseBatchLocation(p.Body)
		if err != nil {
			ss.reply(p.Header, ResultBadMessage)
			return
		}
		locs = b.Items
	}
	now := time.Now()
	// A fix more than a day ahead is a glitch of the terminal's clock:
	// stored, it would stand as the vehicle's latest position and hide
	// every real one (and the geofences' arrivals) until that day.
	fixes := locs[:0]
	for _, l := range locs {
		if !l.Time.After(now.Add(maxFixAhead)) {
			fixes = append(fixes, l)
		}
	}
	if len(fixes) == 0 {
		ss.reply(p.Header, ResultBadMessage)
		return
	}
	locs = fixes
	ps := make([]store.Position, len(locs))
	for i, l := range locs {
		ps[i] = store.Position{Terminal: p.Phone, Plate: ss.plate, Time: l.Time, Lat: l.Lat(), Lon: l.Lon(), Speed: l.SpeedKmH(),
			Heading: int(l.Direction), Altitude: int(l.Altitude), Alarm: l.Alarm, Status: l.Status, Received: now}
	}
	h := p.Header
	ss.srv.in.add(p.Phone, ps, func(err error) {
		if err != nil {
			ss.reply(h, ResultFail)
			return
		}
		ss.reply(h, ResultOK)
	})
}

// maxFixAhead is how far past the hub's clock a fix's time may be.
const maxFixAhead = 24 * time.Hour

// reply sends the platform's general response to the message of h.
func (ss *session) reply(h Header, r Result) {
	ss.send(h, MsgPlatformResponse, GeneralResponse{Serial: h.Serial, ID: h.ID, Result: r}.Marshal())
}

// maxQueuedReplies bounds the answers waiting to be written to one
// terminal.
const maxQueuedReplies = 64 << 10

// send queues a message to the terminal, in the terminal's header
// version, with the platform's next serial.
func (ss *session) send(to Header, id uint16, body []byte) {
	ss.wmu.Lock()
	defer ss.wmu.Unlock()
	if ss.closed {
		return
	}
	if len(ss.out) > maxQueuedReplies {
		// The terminal sends but does not read its answers.
		ss.srv.log.Warn("terminal does not read its answers: connection closed", "terminal", mask.Phone(to.Phone))
		ss.closed, ss.out = true, nil
		ss.conn.Close()
		return
	}
	h := Header{ID: id, V2019: to.V2019, Version: to.Version, Phone: to.Phone, Serial: ss.serial}
	ss.serial++
	var err error
	if ss.out, err = AppendFrame(ss.out, Packet{Header: h, Body: body}); err != nil {
		ss.srv.log.Error("encode reply", "err", err)
		return
	}
	if !ss.writing {
		ss.writing = true
		go ss.flushOut()
	}
}

// flushOut writes the queued replies, then ends: a session has a writer
// goroutine only while it has something to write.
func (ss *session) flushOut() {
	var buf []byte
	for {
		ss.wmu.Lock()
		if len(ss.out) == 0 || ss.closed {
			ss.writing = false
			ss.wmu.Unlock()
			return
		}
		buf, ss.out = ss.out, buf[:0]
		ss.wmu.Unlock()
		ss.conn.SetWriteDeadline(time.Now().Add(30 * time.Second))
		if _, err := ss.conn.Write(buf); err != nil {
			ss.wmu.Lock()
			ss.closed, ss.writing, ss.out = true, false, nil
			ss.wmu.Unlock()
			ss.conn.Close()
			return
		}
	}
}
