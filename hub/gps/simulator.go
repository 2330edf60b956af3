package gps

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Terminal is a simulated JT/T 808 terminal speaking the real bytes over
// TCP, for tests, benchmarks and the demo.
type Terminal struct {
	Phone string
	V2019 bool

	conn net.Conn
	wmu  sync.Mutex
	buf  []byte
	next uint16 // the terminal's serial

	mu      sync.Mutex
	waiters map[uint16]chan Packet // by the serial the answer names
	acked   atomic.Int64           // 0x8001 with result 0 to reports
	failed  atomic.Int64           // other 0x8001 results to reports
	ackc    chan struct{}          // signalled on every report answer
	done    chan struct{}
	err     error
}

// Dial connects a simulated terminal with phone number phone.
func Dial(ctx context.Context, addr, phone string, v2019 bool) (*Terminal, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial hub: %w", err)
	}
	t := &Terminal{Phone: phone, V2019: v2019, conn: c, waiters: map[uint16]chan Packet{}, ackc: make(chan struct{}, 1),
		done: make(chan struct{})}
	go t.read()
	return t, nil
}

// Close closes the connection.
func (t *Terminal) Close() error {
	err := t.conn.Close()
	<-t.done
	return err
}

// Done is closed when the hub closed the connection (or Close did).
func (t *Terminal) Done() <-chan struct{} { return t.done }

func (t *Terminal) read() {
	defer close(t.done)
	r := NewReader(t.conn, 4096)
	for {
		f, err := r.ReadFrame()
		if err != nil {
			t.mu.Lock()
			t.err = err
			t.mu.Unlock()
			return
		}
		p, err := DecodeFrame(f)
		if err != nil {
			continue
		}
		var serial uint16
		switch p.ID {
		case MsgPlatformResponse:
			g, err := ParseGeneralResponse(p.Body)
			if err != nil {
				continue
			}
			serial = g.Serial
			if g.ID == MsgLocation || g.ID == MsgBatchLocation {
				if g.Result == ResultOK {
					t.acked.Add(1)
				} else {
					t.failed.Add(1)
				}
				select {
				case t.ackc <- struct{}{}:
				default:
				}
			}
		case MsgRegisterResponse:
			rr, err := ParseRegisterResponse(p.Body)
			if err != nil {
				continue
			}
			serial = rr.Serial
		default:
			continue
		}
		t.mu.Lock()
		w := t.waiters[serial]
		delete(t.waiters, serial)
		t.mu.Unlock()
		if w != nil {
			w <- p
		}
	}
}

// Send writes one message and returns its serial without waiting.
func (t *Terminal) Send(id uint16, body []byte) (uint16, error) {
	return t.send(id, body, nil)
}

func (t *Terminal) send(id uint16, body []byte, wait chan Packet) (uint16, error) {
	t.wmu.Lock()
	defer t.wmu.Unlock()
	serial := t.next
	t.next++
	if wait != nil {
		t.mu.Lock()
		t.waiters[serial] = wait
		t.mu.Unlock()
	}
	h := Header{ID: id, V2019: t.V2019, Phone: t.Phone, Serial: serial}
	if t.V2019 {
		h.Version = 1
	}
	parts, err := Split(Packet{Header: h, Body: body}, 0, serial)
	if err != nil {
		return 0, err
	}
	t.next = serial + uint16(len(parts))
	t.buf = t.buf[:0]
	for _, p := range parts {
		if t.buf, err = AppendFrame(t.buf, p); err != nil {
			return 0, err
		}
	}
	if wait != nil && len(parts) > 1 {
		// The hub answers the message with the last sub-package's serial.
		t.mu.Lock()
		delete(t.waiters, serial)
		serial = parts[len(parts)-1].Serial
		t.waiters[serial] = wait
		t.mu.Unlock()
	}
	if _, err := t.conn.Write(t.buf); err != nil {
		return 0, fmt.Errorf("send to hub: %w", err)
	}
	return serial, nil
}

// call sends a message and waits for the hub's answer to it.
func (t *Terminal) call(ctx context.Context, id uint16, body []byte) (Packet, error) {
	w := make(chan Packet, 1)
	serial, err := t.send(id, body, w)
	if err != nil {
		return Packet{}, err
	}
	select {
	case p := <-w:
		return p, nil
	case <-t.done:
		t.mu.Lock()
		delete(t.waiters, serial)
		t.mu.Unlock()
		return Packet{}, fmt.Errorf("wait for hub: connection closed: %w", t.err)
	case <-ctx.Done():
		t.mu.Lock()
		delete(t.waiters, serial)
		t.mu.Unlock()
		return Packet{}, fmt.Errorf("wait for hub: %w", ctx.Err())
	}
}

func (t *Terminal) general(ctx context.Context, id uint16, body []byte) (Result, error) {
	p, err := t.call(ctx, id, body)
	if err != nil {
		return 0, err
	}
	g, err := ParseGeneralResponse(p.Body)
	if err != nil {
		return 0, err
	}
	if g.ID != id {
		return 0, fmt.Errorf("%w: answer to 0x%04x names 0x%04x", ErrBody, id, g.ID)
	}
	return g.Result, nil
}

// Register registers the terminal and returns the hub's answer.
func (t *Terminal) Register(ctx context.Context, r Register) (RegisterResponse, error) {
	e := Edition2013
	if t.V2019 {
		e = Edition2019
	}
	body, err := r.Marshal(e)
	if err != nil {
		return RegisterResponse{}, err
	}
	p, err := t.call(ctx, MsgRegister, body)
	if err != nil {
		return RegisterResponse{}, err
	}
	return ParseRegisterResponse(p.Body)
}

// Authenticate sends the auth code (and, in 2019, an IMEI and a version).
func (t *Terminal) Authenticate(ctx context.Context, code string) (Result, error) {
	body, err := Auth{Code: code, IMEI: "860000000000000", Software: "cunyou-sim"}.Marshal(t.V2019)
	if err != nil {
		return 0, err
	}
	return t.general(ctx, MsgAuth, body)
}

// Login registers and authenticates; a refused registration is an
// ErrAuth.
func (t *Terminal) Login(ctx context.Context, plate string) error {
	rr, err := t.Register(ctx, Register{Province: 23, City: 1221, Maker: "CUNYO", Model: "SIM-808", TerminalID: "SIM0001",
		PlateColor: 2, Plate: plate})
	if err != nil {
		return err
	}
	if rr.Result != RegisterOK {
		return fmt.Errorf("%w: registration refused with result %d", ErrAuth, rr.Result)
	}
	res, err := t.Authenticate(ctx, rr.AuthCode)
	if err != nil {
		return err
	}
	if res != ResultOK {
		return fmt.Errorf("%w: authentication refused with result %d", ErrAuth, res)
	}
	return nil
}

// Heartbeat sends a heartbeat and waits for the answer.
func (t *Terminal) Heartbeat(ctx context.Context) (Result, error) {
	return t.general(ctx, MsgHeartbeat, nil)
}

// Logout deregisters the terminal.
func (t *Terminal) Logout(ctx context.Context) (Result, error) {
	return t.general(ctx, MsgLogout, nil)
}

// Report sends a location report and waits until the hub answers (once it
// is stored).
func (t *Terminal) Report(ctx context.Context, l Location) (Result, error) {
	body, err := l.Marshal()
	if err != nil {
		return 0, err
	}
	return t.general(ctx, MsgLocation, body)
}

// ReportBatch sends a batch upload (sub-packaged when it is long) and
// waits for the answer.
func (t *Terminal) ReportBatch(ctx context.Context, typ byte, ls []Location) (Result, error) {
	body, err := BatchLocation{Type: typ, Items: ls}.Marshal()
	if err != nil {
		return 0, err
	}
	return t.general(ctx, MsgBatchLocation, body)
}

// Acked returns how many reports and batches the hub accepted and how
// many it refused, counting answers to messages sent with Send too.
func (t *Terminal) Acked() (ok, failed int64) { return t.acked.Load(), t.failed.Load() }

// WaitAcked waits until the hub answered n reports and batches.
func (t *Terminal) WaitAcked(ctx context.Context, n int64) error {
	for {
		ok, failed := t.Acked()
		if ok+failed >= n {
			if failed > 0 {
				return fmt.Errorf("%w: %d reports refused", ErrAuth, failed)
			}
			return nil
		}
		select {
		case <-t.ackc:
		case <-t.done:
			return errors.New("wait for answers: connection closed")
		case <-ctx.Done():
			return fmt.Errorf("wait for answers: %w", ctx.Err())
		}
	}
}

// Point is a place on a route, in degrees.
type Point struct{ Lat, Lon float64 }

// Route is a polyline a simulated vehicle drives along.
type Route []Point

// Length returns the route's length in metres.
func (r Route) Length() float64 {
	var m float64
	for i := 1; i < len(r); i++ {
		m += metres(r[i-1].Lat, r[i-1].Lon, r[i].Lat, r[i].Lon)
	}
	return m
}

// At returns the point d metres along the route (its end past the end)
// and the heading there in degrees from north.
func (r Route) At(d float64) (Point, int) {
	if len(r) == 0 {
		return Point{}, 0
	}
	for i := 1; i < len(r); i++ {
		seg := metres(r[i-1].Lat, r[i-1].Lon, r[i].Lat, r[i].Lon)
		if d <= seg || i == len(r)-1 {
			f := 1.0
			if seg > 0 {
				f = math.Min(d/seg, 1)
			}
			a, b := r[i-1], r[i]
			return Point{a.Lat + (b.Lat-a.Lat)*f, a.Lon + (b.Lon-a.Lon)*f}, heading(a, b)
		}
		d -= seg
	}
	return r[0], 0
}

func heading(a, b Point) int {
	y := b.Lat - a.Lat
	x := (b.Lon - a.Lon) * math.Cos((a.Lat+b.Lat)/2*math.Pi/180)
	deg := math.Atan2(x, y) * 180 / math.Pi
	if deg < 0 {
		deg += 360
	}
	return int(math.Round(deg)) % 360
}

// Drive says how a simulated vehicle moves.
type Drive struct {
	Route    Route
	SpeedKmH float64       // 35 when 0
	Interval time.Duration // real time between reports; 0: as fast as the hub answers
	// Step is the terminal's time between two fixes (Interval when 0,
	// 10 s when both are 0): a demo can drive faster than the clock.
	Step time.Duration
	// Start is the first fix's time (now when zero).
	Start time.Time
	// Batch > 1 sends that many fixes in one 0x0704 upload.
	Batch int
	// Loop drives the route again from its start when it ends.
	Loop bool
}

func (d Drive) step() time.Duration {
	switch {
	case d.Step > 0:
		return d.Step
	case d.Interval > 0:
		return d.Interval
	}
	return 10 * time.Second
}

// Fix returns the drive's i-th fix (from 0), or false past the route's
// end (never with Loop). Start must be set.
func (d Drive) Fix(i int) (Location, bool) {
	speed := d.SpeedKmH
	if speed <= 0 {
		speed = 35
	}
	length := d.Route.Length()
	dist := speed / 3.6 * d.step().Seconds() * float64(i)
	if d.Loop && length > 0 {
		dist = math.Mod(dist, length)
	} else if dist > length && i > 0 {
		return Location{}, false
	}
	p, dir := d.Route.At(dist)
	return Location{Status: StatusACC | StatusPositioned, LatE6: int64(math.Round(p.Lat * 1e6)),
		LonE6: int64(math.Round(p.Lon * 1e6)), Altitude: 150, Speed: uint16(speed * 10), Direction: uint16(dir),
		Time: d.Start.Add(time.Duration(i) * d.step()).Truncate(time.Second), Satellites: 9, HasSatellites: true, Signal: 20,
		HasSignal: true}, true
}

// Fixes returns the drive's first n fixes at most.
func (d Drive) Fixes(n int) []Location {
	if d.Start.IsZero() {
		d.Start = time.Now()
	}
	var out []Location
	for i := range n {
		l, ok := d.Fix(i)
		if !ok {
			break
		}
		out = append(out, l)
	}
	return out
}

// Run drives the route: it sends the fixes (one by one, or Batch at a time
// in 0x0704 uploads) with Interval between them, each answered before the
// next, until the route ends (Loop: until ctx ends). It returns how many
// fixes the hub accepted.
func (t *Terminal) Run(ctx context.Context, d Drive) (int, error) {
	if d.Start.IsZero() {
		d.Start = time.Now()
	}
	batch := max(d.Batch, 1)
	var tick <-chan time.Time
	if d.Interval > 0 {
		ticker := time.NewTicker(d.Interval)
		defer ticker.Stop()
		tick = ticker.C
	}
	sent := 0
	for i := 0; ; {
		var fixes []Location
		for len(fixes) < batch {
			l, ok := d.Fix(i)
			if !ok {
				break
			}
			fixes = append(fixes, l)
			i++
		}
		if len(fixes) == 0 {
			return sent, nil
		}
		var res Result
		var err error
		if batch > 1 {
			res, err = t.ReportBatch(ctx, BatchNormal, fixes)
		} else {
			res, err = t.Report(ctx, fixes[0])
		}
		if err != nil {
			return sent, err
		}
		if res != ResultOK {
			return sent, fmt.Errorf("%w: report refused with result %d", ErrUnauth, res)
		}
		sent += len(fixes)
		if tick == nil {
			if ctx.Err() != nil {
				return sent, nil
			}
			continue
		}
		select {
		case <-ctx.Done():
			return sent, nil
		case <-tick:
		}
	}
}
