package idcard

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Options configures a Reader and Watch.
type Options struct {
	// Port is the reader's serial port: /dev/ttyUSB0, /dev/ttyACM0, a
	// /dev/serial/by-id/… link, or COM3 on Windows. Open and Watch need
	// it unless Dial is set.
	Port string
	// Baud is the port's speed: 115200 (the default, when 0), 57600,
	// 38400, 19200 or 9600.
	Baud int
	// Dial opens another link to the reader instead of Port, e.g. the
	// USB-bulk link of OpenUSB (build tag idcard_usb).
	Dial func() (io.ReadWriteCloser, error)
	// Timeout bounds a short command (reset, status, find, select);
	// 1 s when 0.
	Timeout time.Duration
	// ReadTimeout bounds read base info, which takes the card about a
	// second; 3 s when 0.
	ReadTimeout time.Duration
	// Poll is how often Watch looks for a card; 300 ms when 0.
	Poll time.Duration
	// RetryMin and RetryMax bound Watch's backoff between attempts to
	// open an absent reader; 500 ms and 10 s when 0.
	RetryMin, RetryMax time.Duration
	// PhotoDecoder decodes the photo of each card Watch reads; nil
	// leaves Identity.Portrait empty.
	PhotoDecoder PhotoDecoder
	// Log receives the driver's events; never a full ID number.
	Log *slog.Logger
	// Now is the clock of events; time.Now when nil.
	Now func() time.Time
}

func (o *Options) defaults() {
	if o.Baud == 0 {
		o.Baud = 115200
	}
	if o.Timeout == 0 {
		o.Timeout = time.Second
	}
	if o.ReadTimeout == 0 {
		o.ReadTimeout = 3 * time.Second
	}
	if o.Poll == 0 {
		o.Poll = 300 * time.Millisecond
	}
	if o.RetryMin == 0 {
		o.RetryMin = 500 * time.Millisecond
	}
	if o.RetryMax == 0 {
		o.RetryMax = 10 * time.Second
	}
	if o.RetryMax < o.RetryMin {
		o.RetryMax = o.RetryMin
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

func (o *Options) validate() error {
	if o.Port == "" && o.Dial == nil {
		return errors.New("configure id-card reader: no port given")
	}
	switch o.Baud {
	case 0, 115200, 57600, 38400, 19200, 9600:
		return nil
	}
	return fmt.Errorf("configure id-card reader: baud %d: want 115200, 57600, 38400, 19200 or 9600", o.Baud)
}

// dial opens the link the options name.
func (o *Options) dial() (io.ReadWriteCloser, error) {
	if o.Dial != nil {
		return o.Dial()
	}
	return openSerial(o.Port, o.Baud)
}

// Reader talks to one ID-card reader over an open link. Its commands go
// one at a time; it is safe for concurrent use.
type Reader struct {
	opt  Options
	log  *slog.Logger
	port io.ReadWriteCloser

	op      sync.Mutex    // one exchange at a time
	frames  chan frameErr // what the read loop cut out of the stream
	done    chan struct{} // closed when the read loop ends
	readErr error         // why it ended; set before done closes

	closeOnce sync.Once
	closeErr  error
}

type frameErr struct {
	frame []byte
	err   error
}

// Open opens the reader on opt.Port (or opt.Dial) and checks that its SAM
// answers. It fails when the port cannot be opened (ErrNotFound, ErrBusy,
// ErrPermission), nothing answers (ErrTimeout) or the SAM reports a fault
// (e.g. ErrSAMSelfTest). Watch does this and retries; use Open for a
// single read, e.g. from a command line.
func Open(opt Options) (*Reader, error) {
	if err := opt.validate(); err != nil {
		return nil, err
	}
	opt.defaults()
	rw, err := opt.dial()
	if err != nil {
		return nil, err
	}
	r := New(rw, opt)
	if err := r.start(context.Background()); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// New starts talking to a reader on rw, a link the caller opened; Close
// closes rw. It sends nothing: call Reset or SAMStatus to check the
// reader.
func New(rw io.ReadWriteCloser, opt Options) *Reader {
	opt.defaults()
	r := &Reader{opt: opt, log: opt.Log, port: rw, frames: make(chan frameErr, 8), done: make(chan struct{})}
	go r.readLoop()
	return r
}

// start resets the SAM and asks its status. A reader may not answer the
// reset; the status must be good.
func (r *Reader) start(ctx context.Context) error {
	if err := r.Reset(ctx); errors.Is(err, ErrClosed) {
		return err
	} else if err != nil {
		r.log.Debug("idcard: reset", "err", err)
	}
	return r.SAMStatus(ctx)
}

// Close closes the link.
func (r *Reader) Close() error {
	r.closeOnce.Do(func() {
		r.closeErr = r.port.Close()
		select {
		case <-r.done:
		case <-time.After(time.Second):
			r.log.Warn("idcard: read loop did not end after close")
		}
	})
	return r.closeErr
}

// readLoop cuts frames out of what the link delivers until it fails.
func (r *Reader) readLoop() {
	defer close(r.done)
	var sc scanner
	buf := make([]byte, 2048)
	for {
		n, err := r.port.Read(buf)
		sc.feed(buf[:n])
		for f := sc.next(); f != nil; f = sc.next() {
			fe := frameErr{frame: f}
			if _, perr := ParseFrame(f); perr != nil {
				fe = frameErr{err: perr}
			}
			select {
			case r.frames <- fe:
			default:
				r.log.Debug("idcard: frame dropped, nobody waits")
			}
		}
		if err != nil {
			r.readErr = err
			return
		}
	}
}

// Exchange sends a command and returns the reader's answer, its status
// judged: an error wrapping ErrTimeout when none came in time,
// ErrChecksum or ErrProtocol for a bad frame, ErrClosed when the link
// died, the status's error (e.g. ErrNoCard) when the reader refused.
// Other bytes that arrived before the command are dropped.
func (r *Reader) Exchange(ctx context.Context, cmd Command, data []byte, timeout time.Duration) (Response, error) {
	if err := ctx.Err(); err != nil {
		return Response{}, err
	}
	r.op.Lock()
	defer r.op.Unlock()
	for drained := false; !drained; {
		select {
		case <-r.frames:
		default:
			drained = true
		}
	}
	select {
	case <-r.done:
		return Response{}, r.closedErr(cmd)
	default:
	}
	if _, err := r.port.Write(cmd.Frame(data...)); err != nil {
		return Response{}, fmt.Errorf("%s: %w: %v", cmd, ErrClosed, err)
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	var fe frameErr
	select {
	case fe = <-r.frames:
	case <-r.done:
		select {
		case fe = <-r.frames:
		default:
			return Response{}, r.closedErr(cmd)
		}
	case <-t.C:
		return Response{}, fmt.Errorf("%s: %w in %v", cmd, ErrTimeout, timeout)
	case <-ctx.Done():
		return Response{}, fmt.Errorf("%s: %w", cmd, ctx.Err())
	}
	if fe.err != nil {
		return Response{}, fmt.Errorf("%s: %w", cmd, fe.err)
	}
	resp, err := ParseResponse(fe.frame)
	if err != nil {
		return Response{}, fmt.Errorf("%s: %w", cmd, err)
	}
	if err := resp.Err(); err != nil {
		return resp, fmt.Errorf("%s: %w", cmd, err)
	}
	return resp, nil
}

func (r *Reader) closedErr(cmd Command) error {
	if r.readErr == nil || errors.Is(r.readErr, io.EOF) {
		return fmt.Errorf("%s: %w", cmd, ErrClosed)
	}
	return fmt.Errorf("%s: %w: %v", cmd, ErrClosed, r.readErr)
}

func (r *Reader) short(ctx context.Context, cmd Command) (Response, error) {
	return r.Exchange(ctx, cmd, nil, r.opt.Timeout)
}

// Reset resets the SAM (10 FF).
func (r *Reader) Reset(ctx context.Context) error {
	_, err := r.short(ctx, CmdReset)
	return err
}

// SAMStatus asks the SAM whether it works (11 FF).
func (r *Reader) SAMStatus(ctx context.Context) error {
	_, err := r.short(ctx, CmdSAMStatus)
	return err
}

// SAMID reads the SAM's id (12 FF) and formats it as the vendors' tools
// show it, e.g. "05.01-20101215-000012345-123456789".
func (r *Reader) SAMID(ctx context.Context) (string, error) {
	resp, err := r.short(ctx, CmdSAMID)
	if err != nil {
		return "", err
	}
	return FormatSAMID(resp.Data)
}

// FormatSAMID formats the 16 data bytes of the answer to SAM id.
func FormatSAMID(d []byte) (string, error) {
	if len(d) < 16 {
		return "", fmt.Errorf("format sam id: %w: %d data bytes", ErrProtocol, len(d))
	}
	le := binary.LittleEndian
	return fmt.Sprintf("%02d.%02d-%d-%09d-%09d", d[0], d[2], le.Uint32(d[4:]), le.Uint32(d[8:]), le.Uint32(d[12:])), nil
}

// FindCard looks for a card in the field (20 01); ErrNoCard when none.
func (r *Reader) FindCard(ctx context.Context) error {
	_, err := r.short(ctx, CmdFindCard)
	return err
}

// SelectCard selects the card found (20 02).
func (r *Reader) SelectCard(ctx context.Context) error {
	_, err := r.short(ctx, CmdSelectCard)
	return err
}

// ReadBaseInfo reads the selected card's text and photo (30 01) and
// parses them (see ParseBaseInfo). The photo is not decoded.
func (r *Reader) ReadBaseInfo(ctx context.Context) (*Identity, error) {
	resp, err := r.Exchange(ctx, CmdReadBaseInfo, nil, r.opt.ReadTimeout)
	if err != nil {
		return nil, err
	}
	id, err := parseBaseData(resp.Data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", CmdReadBaseInfo, err)
	}
	return id, nil
}

// ReadCard runs the whole transaction: find, select, read base info.
// With no card it fails with ErrNoCard. A card just read must leave the
// field before it can be found again.
func (r *Reader) ReadCard(ctx context.Context) (*Identity, error) {
	if err := r.FindCard(ctx); err != nil {
		return nil, err
	}
	if err := r.SelectCard(ctx); err != nil {
		return nil, err
	}
	return r.ReadBaseInfo(ctx)
}
