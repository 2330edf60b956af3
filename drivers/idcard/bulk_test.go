package idcard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/drivers/pty"
)

// ptyBulk is a BulkDevice whose far end is the simulator's terminal: it
// stands in for the USB host controller, so the bulk link's splitting and
// joining meet the simulator's real bytes. It hands out answers in 64-byte
// transfers, as a full-speed bulk endpoint does.
type ptyBulk struct {
	f      *os.File
	frames chan []byte
	head   []byte // written on 0x02, waiting for the rest on 0x06
	rest   []byte // of the answer whose head was read on 0x81

	mu     sync.Mutex
	writes []string // "02:7" …
	gone   bool     // unplugged: every transfer fails
}

func newPtyBulk(t *testing.T, s *Simulator) *ptyBulk {
	t.Helper()
	f, err := pty.OpenRaw(s.Path())
	require.NoError(t, err)
	d := &ptyBulk{f: f, frames: make(chan []byte, 8)}
	go func() {
		var sc scanner
		buf := make([]byte, 1024)
		for {
			n, err := f.Read(buf)
			sc.feed(buf[:n])
			for fr := sc.next(); fr != nil; fr = sc.next() {
				d.frames <- fr
			}
			if err != nil {
				close(d.frames)
				return
			}
		}
	}()
	return d
}

var errUnplugged = errors.New("LIBUSB_ERROR_NO_DEVICE")

// bulkTimeout bounds a transfer, longer than a command's timeout, as
// USBTimeout is.
const bulkTimeout = time.Second

func (d *ptyBulk) WriteBulk(ep byte, b []byte) error {
	d.mu.Lock()
	d.writes = append(d.writes, fmt.Sprintf("%02X:%d", ep, len(b)))
	gone := d.gone
	d.mu.Unlock()
	if gone {
		return errUnplugged
	}
	switch ep {
	case EPOutHead:
		d.head = append([]byte(nil), b...)
		return nil
	case EPOutBody:
		_, err := d.f.Write(append(d.head, b...))
		return err
	}
	return fmt.Errorf("no OUT endpoint %02X", ep)
}

func (d *ptyBulk) ReadBulk(ep byte, b []byte) (int, error) {
	d.mu.Lock()
	gone := d.gone
	d.mu.Unlock()
	if gone {
		return 0, errUnplugged
	}
	switch ep {
	case EPInHead:
		select {
		case fr, ok := <-d.frames:
			if !ok {
				return 0, errUnplugged
			}
			d.rest = fr[headerLen:]
			return copy(b, fr[:headerLen]), nil
		case <-time.After(bulkTimeout):
			return 0, fmt.Errorf("read %02X: %w", ep, ErrTimeout)
		}
	case EPInBody:
		if len(d.rest) == 0 {
			return 0, fmt.Errorf("read %02X: %w", ep, ErrTimeout)
		}
		n := copy(b[:min(len(b), 64)], d.rest)
		d.rest = d.rest[n:]
		return n, nil
	}
	return 0, fmt.Errorf("no IN endpoint %02X", ep)
}

func (d *ptyBulk) Close() error { return d.f.Close() }

func (d *ptyBulk) unplug() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.gone = true
}

func (d *ptyBulk) writeLog() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.writes...)
}

func TestBulkLink(t *testing.T) {
	s := newSim(t, SimOptions{})
	dev := newPtyBulk(t, s)
	r := New(NewBulkLink(dev), testOptions(""))
	defer r.Close()
	ctx := context.Background()

	require.NoError(t, r.SAMStatus(ctx))
	assert.Equal(t, []string{"02:7", "06:3"}, dev.writeLog(), "head on 0x02, CMD Para CHK on 0x06")
	for _, c := range DemoCards() {
		s.RemoveCard()
		require.NoError(t, s.PlaceCard(c))
		id, err := r.ReadCard(ctx)
		require.NoError(t, err)
		assert.Equal(t, c.Number, id.Number.Full())
	}

	s.DropNext()
	_, err := r.Exchange(ctx, CmdSAMStatus, nil, short)
	assert.ErrorIs(t, err, ErrTimeout)
	require.NoError(t, r.SAMStatus(ctx), "the link goes on after an answer that never came")

	dev.unplug()
	assert.ErrorIs(t, r.SAMStatus(ctx), ErrClosed)
}

func TestBulkLinkWrites(t *testing.T) {
	s := newSim(t, SimOptions{})
	l := NewBulkLink(newPtyBulk(t, s))
	_, err := l.Write([]byte{0xAA, 0xAA})
	assert.ErrorIs(t, err, ErrProtocol)
	_, err = l.Write(unhex(t, "AA AA AA 96 69 00 09 20 01"))
	assert.ErrorIs(t, err, ErrProtocol, "length and bytes disagree")
	n, err := l.Write(CmdSAMID.Frame())
	require.NoError(t, err)
	assert.Equal(t, 10, n)
	answer := make([]byte, 64)
	read := make(chan error, 1)
	go func() {
		n, err = io.ReadAtLeast(l, answer, headerLen+3+16+1)
		read <- err
	}()
	select {
	case err := <-read:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("no answer")
	}
	resp, err := ParseResponse(answer[:n])
	require.NoError(t, err)
	assert.Len(t, resp.Data, 16)
	require.NoError(t, l.Close())
	require.NoError(t, l.Close())
	_, err = l.Read(answer)
	assert.ErrorIs(t, err, ErrClosed)
}

// Watch over a Dial of the caller's: the USB-bulk link.
func TestWatchBulk(t *testing.T) {
	s := newSim(t, SimOptions{})
	var mu sync.Mutex
	var dev *ptyBulk
	w := watch(t, Options{Dial: func() (io.ReadWriteCloser, error) {
		mu.Lock()
		defer mu.Unlock()
		dev = newPtyBulk(t, s)
		return NewBulkLink(dev), nil
	}})
	w.next(EventReady)
	require.NoError(t, s.PlaceCard(card(t, "陈美玲")))
	assert.Equal(t, "H12345678", w.next(EventCard).Identity.PassNumber)
	mu.Lock()
	dev.unplug()
	mu.Unlock()
	assert.ErrorIs(t, w.next(EventAbsent).Err, ErrClosed)
	w.next(EventReady)
}
