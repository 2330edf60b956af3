package printer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.bug.st/serial"
)

// Transport reaches a printer. Open is called for every connection: at
// the first print, and again after any error, so a printer unplugged and
// plugged back in works again without a restart.
type Transport interface {
	// Open connects. Its errors are *Error with CodeNotFound, CodeBusy,
	// CodePermission or CodeTimeout, all retryable.
	Open(ctx context.Context) (Conn, error)
	// String names the printer's address for logs: "serial:/dev/ttyUSB0".
	String() string
}

// Conn is an open connection to a printer.
type Conn interface {
	io.ReadWriteCloser
	// SetDeadline bounds the reads and writes that follow. A read that
	// passes it fails with an error wrapping os.ErrDeadlineExceeded; a
	// connection that carries no replies fails every read with
	// ErrNoStatus.
	SetDeadline(t time.Time) error
}

// ParseTransport reads a printer address from the configuration:
//
//	tcp:192.168.1.50:9100       a network printer's raw port (port 9100 when left out)
//	serial:/dev/ttyUSB0         a USB-serial or RS-232 printer, 9600 baud
//	serial:COM3@115200          the same at another speed
//	usb:/dev/usb/lp0            a USB printer-class device file (Linux)
//	usb:\\localhost\Label       a shared Windows printer, sent raw
//	file:/var/spool/label.prn   every label appended to a file
func ParseTransport(s string) (Transport, error) {
	kind, rest, ok := strings.Cut(s, ":")
	if !ok || rest == "" {
		return nil, fmt.Errorf("printer address %q: want tcp:, serial:, usb: or file: and a place", s)
	}
	switch kind {
	case "tcp":
		if _, _, err := net.SplitHostPort(rest); err != nil {
			rest = net.JoinHostPort(rest, "9100")
		}
		return TCP(rest), nil
	case "serial":
		port, baud := rest, 9600
		if i := strings.LastIndexByte(rest, '@'); i > 0 {
			n, err := strconv.Atoi(rest[i+1:])
			if err != nil || n <= 0 {
				return nil, fmt.Errorf("printer address %q: baud %q is not a number", s, rest[i+1:])
			}
			port, baud = rest[:i], n
		}
		return Serial(port, baud), nil
	case "usb", "device":
		return Device(rest), nil
	case "file":
		return File(rest), nil
	}
	return nil, fmt.Errorf("printer address %q: unknown kind %q (tcp, serial, usb, file)", s, kind)
}

// Serial is a printer on a serial port (a USB-serial cable shows as
// /dev/ttyUSB0 or /dev/ttyACM0 on Linux, COM3 on Windows), 8N1 at baud
// (9600 when 0, the common TSPL default).
func Serial(port string, baud int) Transport {
	if baud <= 0 {
		baud = 9600
	}
	return &serialTransport{port: port, baud: baud}
}

type serialTransport struct {
	port string
	baud int
}

func (t *serialTransport) String() string { return "serial:" + t.port }

func (t *serialTransport) Open(ctx context.Context) (Conn, error) {
	p, err := serial.Open(t.port, &serial.Mode{BaudRate: t.baud, DataBits: 8, Parity: serial.NoParity, StopBits: serial.OneStopBit})
	if err != nil {
		return nil, serialError("open "+t.port, err)
	}
	return &serialConn{port: p}, nil
}

// serialError translates go.bug.st/serial's errors (its PortError has no
// Unwrap) into ours.
func serialError(op string, err error) *Error {
	code := CodeDisconnected
	var pe *serial.PortError
	if !errors.As(err, &pe) {
		var v serial.PortError
		if errors.As(err, &v) {
			pe = &v
		}
	}
	switch {
	case pe != nil && (pe.Code() == serial.PortNotFound || pe.Code() == serial.InvalidSerialPort),
		errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENODEV), errors.Is(err, syscall.ENXIO):
		code = CodeNotFound
	case pe != nil && pe.Code() == serial.PortBusy, errors.Is(err, syscall.EBUSY):
		code = CodeBusy
	case pe != nil && pe.Code() == serial.PermissionDenied, errors.Is(err, fs.ErrPermission):
		code = CodePermission
	case pe != nil && pe.Code() == serial.PortClosed:
		code = CodeDisconnected
	case errors.Is(err, os.ErrDeadlineExceeded):
		code = CodeTimeout
	}
	// Keep the library's words, not its type: callers match our codes.
	return &Error{Code: code, Op: op, Err: errors.New(err.Error())}
}

// serialConn gives a serial port deadlines: the library has a read
// timeout, and a read that times out returns nothing and no error.
type serialConn struct {
	port     serial.Port
	deadline time.Time
}

func (c *serialConn) SetDeadline(t time.Time) error {
	c.deadline = t
	return nil
}

func (c *serialConn) Read(p []byte) (int, error) {
	timeout := serial.NoTimeout
	if !c.deadline.IsZero() {
		timeout = time.Until(c.deadline)
		if timeout <= 0 {
			return 0, os.ErrDeadlineExceeded
		}
	}
	if err := c.port.SetReadTimeout(timeout); err != nil {
		return 0, serialError("read", err)
	}
	n, err := c.port.Read(p)
	if err != nil {
		return n, serialError("read", err)
	}
	if n == 0 {
		return 0, os.ErrDeadlineExceeded
	}
	return n, nil
}

func (c *serialConn) Write(p []byte) (int, error) {
	n, err := c.port.Write(p)
	if err != nil {
		return n, serialError("write", err)
	}
	return n, nil
}

func (c *serialConn) Close() error { return c.port.Close() }

// TCP is a network printer's raw port, "192.168.1.50:9100".
func TCP(addr string) Transport { return &tcpTransport{addr: addr} }

type tcpTransport struct{ addr string }

func (t *tcpTransport) String() string { return "tcp:" + t.addr }

func (t *tcpTransport) Open(ctx context.Context) (Conn, error) {
	d := net.Dialer{Timeout: 5 * time.Second}
	c, err := d.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return nil, netError("connect "+t.addr, err)
	}
	return c, nil
}

// netError translates a network error into ours. A printer that is off,
// unplugged or not at that address refuses or does not answer: any
// failure to connect is not found, whatever words the system has for it.
func netError(op string, err error) *Error {
	code := CodeDisconnected
	var ne net.Error
	switch {
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		code = CodePermission
	case strings.HasPrefix(op, "connect"):
		code = CodeNotFound
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		code = CodeTimeout
	}
	return &Error{Code: code, Op: op, Err: err}
}

// Device is a printer's device file: /dev/usb/lp0 for a USB printer on
// Linux, or on Windows a shared printer's name such as
// \\localhost\LabelPrinter (share the printer, with its raw or "Generic
// / Text Only" driver, so that what is written reaches it unchanged).
// Windows' own port names (USB001) cannot be opened as files. A device
// that cannot be read (no back channel, a share) answers no status.
func Device(path string) Transport { return &deviceTransport{path: path} }

type deviceTransport struct{ path string }

func (t *deviceTransport) String() string { return "usb:" + t.path }

func (t *deviceTransport) Open(ctx context.Context) (Conn, error) {
	f, err := os.OpenFile(t.path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrPermission) {
		// Some systems let the spooler's group write but not read.
		if wf, werr := os.OpenFile(t.path, os.O_WRONLY, 0); werr == nil {
			return &fileConn{f: wf, noRead: true}, nil
		}
	}
	if err != nil {
		return nil, serialError("open "+t.path, err)
	}
	return &fileConn{f: f}, nil
}

// fileConn is a device file; its reads honour deadlines where the
// system can poll the device, and are refused where it cannot (a read
// without a deadline could wait for ever).
type fileConn struct {
	f      *os.File
	noRead bool
	timed  bool
}

func (c *fileConn) SetDeadline(t time.Time) error {
	if c.noRead {
		return nil
	}
	err := c.f.SetDeadline(t)
	c.timed = err == nil
	if errors.Is(err, os.ErrNoDeadline) {
		return nil
	}
	return err
}

func (c *fileConn) Read(p []byte) (int, error) {
	if c.noRead || !c.timed {
		return 0, ErrNoStatus
	}
	n, err := c.f.Read(p)
	switch {
	case err == nil:
		return n, nil
	case errors.Is(err, os.ErrDeadlineExceeded):
		return n, os.ErrDeadlineExceeded
	case errors.Is(err, io.EOF):
		// A USB printer without a back channel reads as an empty file.
		return n, ErrNoStatus
	}
	return n, serialError("read", err)
}

func (c *fileConn) Write(p []byte) (int, error) {
	n, err := c.f.Write(p)
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return n, &Error{Code: CodeTimeout, Op: "write", Err: err}
		}
		return n, serialError("write", err)
	}
	return n, nil
}

func (c *fileConn) Close() error { return c.f.Close() }

// File appends every label's bytes to a file: a spool for a printer
// attached elsewhere, or a record in tests. It answers no status.
func File(path string) Transport { return &fileTransport{path: path} }

type fileTransport struct {
	path string
	mu   sync.Mutex
}

func (t *fileTransport) String() string { return "file:" + t.path }

func (t *fileTransport) Open(ctx context.Context) (Conn, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f, err := os.OpenFile(t.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, serialError("open "+t.path, err)
	}
	return &fileConn{f: f, noRead: true}, nil
}
