package printer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// Options configures a Printer.
type Options struct {
	// Language is the printer's command language. Required.
	Language Language
	// Transport reaches the printer. Required.
	Transport Transport
	// StatusTimeout bounds the wait for a status reply; 2 s when 0. A ZPL
	// printer in an error state does not answer, so this is also how long
	// it takes to learn of one.
	StatusTimeout time.Duration
	// WriteTimeout bounds sending one label; 30 s when 0 (a 76×130 mm
	// label is about 2 KB, well under a second at 9600 baud).
	WriteTimeout time.Duration
	// NoStatus sends labels without asking for the status, for printers
	// that do not answer although their connection could carry it.
	NoStatus bool
	// Log receives the printer's events; nothing when nil.
	Log *slog.Logger
}

// Printer prints labels on one printer: a language spoken over a
// transport. It opens the connection when it first needs it and again
// after any error, so a printer that is absent at start, switched off or
// unplugged is a retryable error, never a crash. It is safe for
// concurrent use; one operation runs at a time.
type Printer struct {
	opt  Options
	d    dialect
	log  *slog.Logger
	op   chan struct{} // one operation at a time
	mu   sync.Mutex
	conn Conn
	// noStatus: the connection carries no replies (learnt from a read).
	noStatus bool
	closed   bool
}

// New makes a Printer. It does not connect: a printer that is not there
// yet is no error until something is printed.
func New(opt Options) (*Printer, error) {
	d, ok := dialects[opt.Language]
	if !ok {
		return nil, fmt.Errorf("new printer: unknown language %q", opt.Language)
	}
	if opt.Transport == nil {
		return nil, errors.New("new printer: no transport")
	}
	if opt.StatusTimeout <= 0 {
		opt.StatusTimeout = 2 * time.Second
	}
	if opt.WriteTimeout <= 0 {
		opt.WriteTimeout = 30 * time.Second
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	return &Printer{opt: opt, d: d, op: make(chan struct{}, 1),
		log: opt.Log.With("printer", opt.Transport.String(), "language", string(opt.Language))}, nil
}

// Language is the printer's command language.
func (p *Printer) Language() Language { return p.opt.Language }

func (p *Printer) String() string { return string(p.opt.Language) + " on " + p.opt.Transport.String() }

// Close closes the connection; the Printer can no longer be used.
func (p *Printer) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	if p.conn == nil {
		return nil
	}
	err := p.conn.Close()
	p.conn = nil
	return err
}

// acquire waits for the printer to be free.
func (p *Printer) acquire(ctx context.Context) error {
	select {
	case p.op <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *Printer) release() { <-p.op }

// connect returns the open connection, opening it when there is none.
func (p *Printer) connect(ctx context.Context) (Conn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, &Error{Code: CodeClosed, Op: "open"}
	}
	if p.conn != nil {
		return p.conn, nil
	}
	c, err := p.opt.Transport.Open(ctx)
	if err != nil {
		var pe *Error
		if !errors.As(err, &pe) {
			err = &Error{Code: CodeNotFound, Op: "open " + p.opt.Transport.String(), Err: err}
		}
		p.log.Debug("printer: open", "err", err)
		return nil, err
	}
	p.conn, p.noStatus = c, false
	p.log.Debug("printer: connected")
	return c, nil
}

// drop closes a connection after an error; the next operation reopens.
func (p *Printer) drop(c Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn == c {
		p.conn = nil
	}
	c.Close()
}

// ioError makes an error of a read or write into ours.
func ioError(op string, err error) *Error {
	var pe *Error
	switch {
	case errors.As(err, &pe):
		if pe.Op == "" || pe.Op == "read" || pe.Op == "write" {
			return &Error{Code: pe.Code, Op: op, Err: pe.Err}
		}
		return pe
	case errors.Is(err, os.ErrDeadlineExceeded):
		return &Error{Code: CodeTimeout, Op: op, Err: err}
	}
	return netError(op, err)
}

// guard runs f on the connection, closing the connection if ctx ends
// first so a blocked read or write returns.
func guard(ctx context.Context, c Conn, f func() error) error {
	stop := context.AfterFunc(ctx, func() { c.Close() })
	err := f()
	if !stop() {
		return ctx.Err()
	}
	return err
}

// ask is the dialect's asker on a connection: it skips what is left
// from earlier, sends query, and reads until complete or the status
// timeout.
func (p *Printer) ask(ctx context.Context, c Conn) asker {
	return func(query []byte, complete func([]byte) bool) ([]byte, error) {
		// What arrived since the last question (a late reply) is stale.
		buf := make([]byte, 256)
		if err := c.SetDeadline(time.Now().Add(time.Millisecond)); err != nil {
			return nil, ioError("status", err)
		}
		for {
			_, err := c.Read(buf)
			if errors.Is(err, ErrNoStatus) {
				return nil, ErrNoStatus
			}
			if err != nil {
				break
			}
		}
		deadline := time.Now().Add(p.opt.StatusTimeout)
		if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
		if err := c.SetDeadline(deadline); err != nil {
			return nil, ioError("status", err)
		}
		if _, err := c.Write(query); err != nil {
			return nil, ioError("status", err)
		}
		var reply []byte
		for !complete(reply) {
			n, err := c.Read(buf)
			reply = append(reply, buf[:n]...)
			switch {
			case errors.Is(err, ErrNoStatus):
				return nil, ErrNoStatus
			case errors.Is(err, os.ErrDeadlineExceeded):
				return reply, &Error{Code: CodeNoReply, Op: "status", Err: fmt.Errorf("%d bytes in %v", len(reply), p.opt.StatusTimeout)}
			case err != nil:
				return reply, ioError("status", err)
			}
			if len(reply) > 4096 {
				return reply, &Error{Code: CodeProtocol, Op: "status", Err: errors.New("reply too long")}
			}
		}
		return reply, nil
	}
}

// status asks for the status on c. It returns ErrNoStatus when the
// connection carries no replies.
func (p *Printer) status(ctx context.Context, c Conn) (Status, error) {
	p.mu.Lock()
	no := p.noStatus
	p.mu.Unlock()
	if no || p.opt.NoStatus {
		return Status{}, ErrNoStatus
	}
	var st Status
	err := guard(ctx, c, func() error {
		var err error
		st, err = p.d.status(p.ask(ctx, c))
		return err
	})
	if errors.Is(err, ErrNoStatus) {
		p.mu.Lock()
		p.noStatus = true
		p.mu.Unlock()
		p.log.Info("printer: the connection carries no status; printing without asking")
	}
	return st, err
}

// Status asks the printer for its status. The error is for the asking
// (CodeNoReply, the connection's codes, ErrNoStatus for a connection
// that carries no replies); the printer's faults are in the Status
// (Status.Err).
func (p *Printer) Status(ctx context.Context) (Status, error) {
	if err := p.acquire(ctx); err != nil {
		return Status{}, err
	}
	defer p.release()
	c, err := p.connect(ctx)
	if err != nil {
		return Status{}, err
	}
	st, err := p.status(ctx, c)
	if err != nil && !errors.Is(err, ErrNoStatus) {
		p.drop(c) // also when cancelled: guard may have closed it
	}
	return st, err
}

// Print prints a label: it asks for the status and refuses to send to a
// printer that is not ready, sends the label, and asks again, so that a
// label that ran the printer out of paper or was cut short by an opened
// head is reported. Its errors are *Error (CodeOf, Retryable; the
// sentence for the operator is Code.Chinese); a fault found after
// sending has Op "status after print": the label may or may not have
// printed. Over a connection that carries no replies (a file, a shared
// Windows printer) it only sends.
func (p *Printer) Print(ctx context.Context, l Label) error {
	data, err := Encode(p.opt.Language, l)
	if err != nil {
		return err
	}
	return p.Send(ctx, data)
}

// Send is Print for a label already encoded in the printer's language.
func (p *Printer) Send(ctx context.Context, data []byte) error {
	if err := p.acquire(ctx); err != nil {
		return err
	}
	defer p.release()
	c, err := p.connect(ctx)
	if err != nil {
		return err
	}
	fail := func(err error) error {
		if ctx.Err() != nil {
			p.drop(c)
			return err
		}
		var pe *Error
		if errors.As(err, &pe) && pe.Status == nil {
			p.drop(c) // a connection error, not the printer's state: reopen next time
		}
		p.log.Warn("printer: print failed", "code", string(CodeOf(err)), "err", err)
		return err
	}

	check := func(step string) error {
		st, err := p.status(ctx, c)
		switch {
		case errors.Is(err, ErrNoStatus):
			return nil
		case err == nil:
			err = st.Err()
		}
		if err != nil {
			return fail(inStep(step, err))
		}
		return nil
	}

	if err := check("status before print"); err != nil {
		return err
	}
	err = guard(ctx, c, func() error {
		if err := c.SetDeadline(time.Now().Add(p.opt.WriteTimeout)); err != nil {
			return ioError("write", err)
		}
		for rest := data; len(rest) > 0; {
			n, err := c.Write(rest)
			if err != nil {
				return ioError("write", err)
			}
			rest = rest[n:]
		}
		return nil
	})
	if err != nil {
		return fail(err)
	}
	if err := check("status after print"); err != nil {
		return err
	}
	p.log.Debug("printer: printed", "bytes", len(data))
	return nil
}

// inStep names the step of Print in which an error happened.
func inStep(step string, err error) error {
	var pe *Error
	if !errors.As(err, &pe) {
		return err
	}
	e := *pe
	if e.Op == "" || e.Op == "status" {
		e.Op = step
	} else {
		e.Op = step + ": " + e.Op
	}
	return &e
}
