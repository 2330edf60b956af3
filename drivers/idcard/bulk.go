package idcard

import (
	"errors"
	"fmt"
	"io"
	"sync"
)

// The pipes of a USB-bulk reader (PROTOCOLS §1.1): a frame goes out as
// its head (preamble and length) on 0x02 and the rest on 0x06; an answer
// comes back as its head on 0x81 and the rest on 0x85.
const (
	EPOutHead = 0x02
	EPOutBody = 0x06
	EPInHead  = 0x81
	EPInBody  = 0x85
)

// BulkDevice is an opened USB-bulk reader: transfers on its endpoints.
// OpenUSB (build tags cgo and idcard_usb) gives one on libusb.
type BulkDevice interface {
	// WriteBulk sends b on OUT endpoint ep.
	WriteBulk(ep byte, b []byte) error
	// ReadBulk reads at most len(b) bytes from IN endpoint ep. When
	// nothing came in time it returns an error wrapping ErrTimeout;
	// any other error means the device is gone. Its timeout should be
	// no shorter than the Reader's, or a slow answer is given up.
	ReadBulk(ep byte, b []byte) (int, error)
	Close() error
}

// NewBulkLink turns a USB-bulk reader into the byte stream a Reader
// speaks, as a serial port is: each frame written goes out split over
// the two OUT pipes, each answer comes back joined from the two IN pipes.
// Every Write must carry one whole frame, as Reader's do.
func NewBulkLink(dev BulkDevice) io.ReadWriteCloser {
	pr, pw := io.Pipe()
	l := &bulkLink{dev: dev, pr: pr, pw: pw, want: make(chan struct{}, 1), quit: make(chan struct{})}
	go l.fetch()
	return l
}

type bulkLink struct {
	dev  BulkDevice
	pr   *io.PipeReader
	pw   *io.PipeWriter
	want chan struct{} // a frame was sent: fetch its answer
	quit chan struct{}
	once sync.Once
}

func (l *bulkLink) Read(b []byte) (int, error) { return l.pr.Read(b) }

func (l *bulkLink) Write(b []byte) (int, error) {
	if len(b) < headerLen || int(b[5])<<8|int(b[6]) != len(b)-headerLen {
		return 0, fmt.Errorf("write bulk: %w: not one whole frame", ErrProtocol)
	}
	if err := l.dev.WriteBulk(EPOutHead, b[:headerLen]); err != nil {
		return 0, err
	}
	if err := l.dev.WriteBulk(EPOutBody, b[headerLen:]); err != nil {
		return 0, err
	}
	select {
	case l.want <- struct{}{}:
	default:
	}
	return len(b), nil
}

func (l *bulkLink) Close() error {
	var err error
	l.once.Do(func() {
		close(l.quit)
		err = l.dev.Close()
		l.pw.CloseWithError(ErrClosed)
	})
	return err
}

// fetch reads one answer for each frame sent and hands it to Read. An
// answer that does not come in time, or with a head that makes no sense,
// is given up (the Reader times out); any other failure ends the link.
func (l *bulkLink) fetch() {
	for {
		select {
		case <-l.want:
		case <-l.quit:
			return
		}
		frame, err := l.answer()
		switch {
		case err == nil:
			if _, err := l.pw.Write(frame); err != nil {
				return
			}
		case errors.Is(err, ErrTimeout), errors.Is(err, ErrProtocol):
			// Given up; the Reader times out on this command.
		default:
			l.pw.CloseWithError(err)
			return
		}
	}
}

// answer reads the head from 0x81, then as many bytes as it announces
// from 0x85.
func (l *bulkLink) answer() ([]byte, error) {
	frame := make([]byte, headerLen, MaxFrameLen)
	if err := l.readFull(EPInHead, frame); err != nil {
		return nil, err
	}
	n := int(frame[5])<<8 | int(frame[6])
	if n+headerLen > MaxFrameLen {
		return nil, fmt.Errorf("read bulk: %w: length %d", ErrProtocol, n)
	}
	frame = frame[:headerLen+n]
	if err := l.readFull(EPInBody, frame[headerLen:]); err != nil {
		return nil, err
	}
	return frame, nil
}

func (l *bulkLink) readFull(ep byte, b []byte) error {
	for got := 0; got < len(b); {
		n, err := l.dev.ReadBulk(ep, b[got:])
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("read bulk %02X: %w: empty transfer", ep, ErrTimeout)
		}
		got += n
	}
	return nil
}
