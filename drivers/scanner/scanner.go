// Package scanner reads barcode scan guns that are not keyboard wedges: a
// USB virtual COM (CDC) or RS-232 scan gun on a serial port, and, with a
// report source given by the caller, a HID-POS scan gun (PROTOCOLS §2).
//
// A Scanner runs until its context ends. It opens the port, cuts the
// bytes into codes by the configured suffix, strips the prefix, drops
// garbage, collapses repeated reads of the same label and pushes what
// happened into a sink: a Code for each scan, a StateChange when the
// device comes, goes or fails, and a Dropped read for what could not be
// a code. A scan gun missing at start, unplugged or replugged is no
// failure of Run: the scanner says it is absent and reopens the port with
// backoff.
//
// The package also holds a Simulator: a serial scan gun on a
// pseudo-terminal, for tests and the demo.
package scanner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"go.bug.st/serial"

	"cunyou/drivers"
)

// Event is what a Scanner pushes into its sink: a Code, a StateChange or
// a Dropped read.
type Event interface{ event() }

// Code is one scan.
type Code struct {
	Text   string    // the code, trimmed, prefix stripped, printable UTF-8
	At     time.Time // when its last byte was read
	Device string    // the scanner's name
}

// StateChange says the device is now absent, open or failing.
type StateChange struct {
	Device string
	State  State
	Err    error // why it is absent or failing; nil when open
	At     time.Time
}

// Dropped is a read thrown away: garbage without a suffix (ErrTooLong),
// a code that is not printable (ErrNotPrintable) or a malformed HID
// report (ErrHIDReport). The bytes are not kept: a code can carry a
// person's data.
type Dropped struct {
	Device string
	Err    error
	At     time.Time
}

func (Code) event()        {}
func (StateChange) event() {}
func (Dropped) event()     {}

// State is the state of the device.
type State = drivers.State

const (
	StateAbsent = drivers.StateAbsent // not plugged in (or unplugged): retried
	StateOpen   = drivers.StateOpen   // open and reading
	StateError  = drivers.StateError  // there but unusable (busy, no permission): retried
)

// Sink receives a scanner's events, one at a time, from the goroutine of
// Run. It should return quickly: bytes wait in the port's buffer
// meanwhile.
type Sink func(Event)

// ChanSink returns a Sink that sends events into ch, waiting for room
// until ctx ends (then it drops them).
func ChanSink(ctx context.Context, ch chan<- Event) Sink {
	return drivers.ChanSink(ctx, ch)
}

// Options configures a Scanner.
type Options struct {
	// Port is the serial port: /dev/ttyACM0 (CDC) or /dev/ttyUSB0 on
	// Linux, COM3 on Windows. Open needs it.
	Port string
	// Name is the device name in events; Port when "".
	Name string
	// Baud is the port's speed; 9600 when 0. CDC scan guns ignore it.
	Baud int
	// Suffix ends each code; CR when "". A CRLF scan gun read with
	// suffix CR or LF works too (the other byte is trimmed), not the
	// reverse.
	Suffix Suffix
	// Prefix, when set and present, is stripped from each code.
	Prefix string
	// GB18030 reads codes as GB18030 (GBK) instead of UTF-8: many
	// Chinese scan guns send a QR code's Chinese text so by default.
	GB18030 bool
	// MaxLen bounds a code in bytes; bytes running past it without a
	// suffix are garbage, dropped up to the next suffix. 1024 when 0:
	// room for a QR code.
	MaxLen int
	// Window collapses reads of the same code: a read within Window of
	// the code's last read is the same scan. 1.5 s when 0; negative
	// turns collapsing off.
	Window time.Duration
	// Confirm passes a code on only once it was read twice within
	// Window, for damaged labels that misread now and then.
	Confirm bool
	// RetryMin and RetryMax bound the wait between attempts to open an
	// absent or failing device, doubling from RetryMin; 250 ms and 5 s
	// when 0.
	RetryMin, RetryMax time.Duration
	// Sink receives the events; they are dropped when nil.
	Sink Sink
	// Now is the clock that stamps codes and times the Window; time.Now
	// when nil.
	Now func() time.Time
	// Log receives what the scanner does; nothing when nil. Codes are not
	// logged: they can carry a person's data.
	Log *slog.Logger
}

func (o *Options) defaults() error {
	if o.Baud == 0 {
		o.Baud = 9600
	}
	if o.Suffix == "" {
		o.Suffix = CR
	}
	if o.MaxLen == 0 {
		o.MaxLen = 1024
	}
	if o.Window == 0 {
		o.Window = 1500 * time.Millisecond
	}
	if o.RetryMin == 0 {
		o.RetryMin = 250 * time.Millisecond
	}
	if o.RetryMax == 0 {
		o.RetryMax = 5 * time.Second
	}
	if o.Sink == nil {
		o.Sink = func(Event) {}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Name == "" {
		o.Name = o.Port
	}
	switch {
	case o.Baud < 0:
		return fmt.Errorf("scanner baud %d: %w", o.Baud, ErrConfig)
	case !o.Suffix.valid():
		return fmt.Errorf("scanner suffix %s: want CR, LF, CRLF or TAB: %w", o.Suffix, ErrConfig)
	case o.MaxLen < 1:
		return fmt.Errorf("scanner max length %d: %w", o.MaxLen, ErrConfig)
	case o.Confirm && o.Window < 0:
		return fmt.Errorf("scanner confirm needs a window: %w", ErrConfig)
	case o.RetryMin < 0 || o.RetryMax < o.RetryMin:
		return fmt.Errorf("scanner retry %v..%v: %w", o.RetryMin, o.RetryMax, ErrConfig)
	}
	return nil
}

// Opener opens a device's byte or report stream. Its errors should wrap
// ErrNotFound, ErrBusy, ErrPermission or ErrPort.
type Opener func() (io.ReadCloser, error)

// Scanner reads one scan gun. Create it with New or NewHID, then Run it.
type Scanner struct {
	opt  Options
	open Opener
	// pump reads from r until it fails, calling code for each frame and
	// drop for each read thrown away.
	pump func(r io.Reader, code func([]byte), drop func(error)) error
	dd   *deduper

	status drivers.Status
}

// New makes a Scanner for a serial scan gun on opt.Port. It opens
// nothing: Run does.
func New(opt Options) (*Scanner, error) {
	if opt.Port == "" {
		return nil, fmt.Errorf("scanner: no port given: %w", ErrConfig)
	}
	if err := opt.defaults(); err != nil {
		return nil, err
	}
	s := newScanner(opt, func() (io.ReadCloser, error) { return openSerial(opt.Port, opt.Baud) })
	f := newFramer(opt.Suffix, opt.MaxLen)
	s.pump = func(r io.Reader, code func([]byte), drop func(error)) error {
		f.reset()
		buf := make([]byte, 512)
		for {
			n, err := r.Read(buf)
			f.feed(buf[:n], code, func() { drop(ErrTooLong) })
			if err != nil {
				return err
			}
		}
	}
	return s, nil
}

func newScanner(opt Options, open Opener) *Scanner {
	return &Scanner{opt: opt, open: open, dd: newDeduper(opt.Window, opt.Confirm)}
}

// openSerial opens a serial port and translates the library's errors.
func openSerial(port string, baud int) (io.ReadCloser, error) {
	p, err := serial.Open(port, &serial.Mode{BaudRate: baud, DataBits: 8, Parity: serial.NoParity, StopBits: serial.OneStopBit})
	if err != nil {
		return nil, portError("open", port, err)
	}
	return p, nil
}

// Name is the device name its events carry.
func (s *Scanner) Name() string { return s.opt.Name }

// State returns the device's state and, when it is not open, why.
func (s *Scanner) State() (State, error) { return s.status.Get() }

// Run opens the device and reads it until ctx ends, reopening it with
// backoff whenever it is absent, failing or lost. It returns nil when ctx
// ends: a missing device is a state, not an error of Run.
func (s *Scanner) Run(ctx context.Context) error {
	wait := s.opt.RetryMin
	for ctx.Err() == nil {
		rc, err := s.open()
		if err != nil {
			st := StateError
			if errors.Is(err, ErrNotFound) {
				st = StateAbsent
			}
			s.setState(st, err)
			if !drivers.Sleep(ctx, wait) {
				break
			}
			wait = min(2*wait, s.opt.RetryMax)
			continue
		}
		s.setState(StateOpen, nil)
		stop := context.AfterFunc(ctx, func() { rc.Close() })
		read := false
		err = s.pump(rc, func(b []byte) { read = true; s.frame(b) }, func(err error) { read = true; s.drop(err) })
		stop()
		rc.Close()
		if ctx.Err() != nil {
			break
		}
		s.setState(StateAbsent, fmt.Errorf("read %s: %w: %v", s.opt.Name, ErrLost, err))
		// A device that worked is retried soon; one that opens and fails
		// at once, ever more slowly.
		if read {
			wait = s.opt.RetryMin
		}
		if !drivers.Sleep(ctx, wait) {
			break
		}
		wait = min(2*wait, s.opt.RetryMax)
	}
	return nil
}

// frame handles one frame: cleaned, checked, collapsed, passed on.
func (s *Scanner) frame(b []byte) {
	now := s.opt.Now()
	text, err := clean(b, s.opt.Prefix, s.opt.GB18030)
	switch {
	case err != nil:
		s.drop(err)
	case text == "":
	case s.opt.Window < 0 || s.dd.read(text, now):
		s.opt.Sink(Code{Text: text, At: now, Device: s.opt.Name})
	default:
		s.opt.Log.Debug("scanner: repeated read collapsed", "device", s.opt.Name)
	}
}

func (s *Scanner) drop(err error) {
	s.opt.Log.Warn("scanner: read dropped", "device", s.opt.Name, "code", CodeOf(err))
	s.opt.Sink(Dropped{Device: s.opt.Name, Err: err, At: s.opt.Now()})
}

// setState records the state and reports it when it or the error's code
// changed, so a device retried while absent is reported once.
func (s *Scanner) setState(st State, err error) {
	if !s.status.Set(st, err, CodeOf) {
		return
	}
	if err != nil {
		s.opt.Log.Warn("scanner: "+st.String(), "device", s.opt.Name, "code", CodeOf(err), "err", err)
	} else {
		s.opt.Log.Info("scanner: "+st.String(), "device", s.opt.Name)
	}
	s.opt.Sink(StateChange{Device: s.opt.Name, State: st, Err: err, At: s.opt.Now()})
}
