package idcard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.bug.st/serial"

	"cunyou/drivers/pty"
	"cunyou/drivers/pty/ptytest"
)

func newSim(t *testing.T, opt SimOptions) *Simulator {
	t.Helper()
	s, err := NewSimulator(opt)
	ptytest.SkipIfMissing(t, err)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// testOptions leave room for a loaded machine; a test that waits for a
// timeout sets a short one itself.
func testOptions(port string) Options {
	return Options{Port: port, Timeout: 2 * time.Second, ReadTimeout: 3 * time.Second}
}

// short is the timeout of a command that is meant to go unanswered.
const short = 100 * time.Millisecond

// openSim opens a Reader on the simulator's terminal through the serial
// library, as on a station.
func openSim(t *testing.T, s *Simulator) *Reader {
	t.Helper()
	r, err := Open(testOptions(s.Path()))
	require.NoError(t, err)
	t.Cleanup(func() { r.Close() })
	return r
}

func TestReader(t *testing.T) {
	s := newSim(t, SimOptions{})
	r := openSim(t, s)
	ctx := context.Background()
	assert.Equal(t, []Command{CmdReset, CmdSAMStatus}, s.Commands(), "Open resets and checks the SAM")

	id, err := r.SAMID(ctx)
	require.NoError(t, err)
	assert.Equal(t, "05.01-20101215-000012345-123456789", id)

	err = r.FindCard(ctx)
	require.ErrorIs(t, err, ErrNoCard)
	assert.Equal(t, "idcard.no_card", Code(err))
	assert.Equal(t, "find card: no card on the reader", err.Error())
	_, err = r.ReadCard(ctx)
	assert.ErrorIs(t, err, ErrNoCard)

	for _, c := range DemoCards() {
		s.RemoveCard()
		require.NoError(t, s.PlaceCard(c))
		got, err := r.ReadCard(ctx)
		require.NoError(t, err, "%v", c)
		assert.Equal(t, c.Number, got.Number.Full())
		assert.Equal(t, c.Name, got.Name)
		assert.Equal(t, c.Kind, got.Kind)
		assert.Len(t, got.Photo, PhotoLen)
	}
	require.NoError(t, s.PlaceCard(card(t, "张三")))
	assert.ErrorIs(t, r.FindCard(ctx), ErrNoCard, "a card swapped for another: the find in between misses")
	require.NoError(t, r.FindCard(ctx))
	s.RemoveCard()
	assert.ErrorIs(t, r.FindCard(ctx), ErrNoCard)
	assert.Equal(t, []Command{CmdFindCard, CmdSelectCard, CmdReadBaseInfo}, s.Commands()[5:8])
}

// Out of order: select with no card found, read with none selected.
func TestReaderOrder(t *testing.T) {
	s := newSim(t, SimOptions{})
	r := openSim(t, s)
	ctx := context.Background()
	require.NoError(t, s.PlaceCard(card(t, "张三")))
	assert.ErrorIs(t, r.SelectCard(ctx), ErrSelectCard)
	_, err := r.ReadBaseInfo(ctx)
	assert.ErrorIs(t, err, ErrReadCard)
	require.NoError(t, r.FindCard(ctx))
	require.NoError(t, r.SelectCard(ctx))
	_, err = r.ReadBaseInfo(ctx)
	require.NoError(t, err)
	_, err = r.ReadBaseInfo(ctx)
	assert.ErrorIs(t, err, ErrReadCard, "read once per selection")
}

// Every SW3 status of PROTOCOLS §1.4, as the reader sends it over the
// line, arrives as its error value.
func TestReaderStatuses(t *testing.T) {
	s := newSim(t, SimOptions{})
	r := openSim(t, s)
	ctx := context.Background()
	require.NoError(t, s.PlaceCard(card(t, "张三")))
	for _, tt := range statusTests {
		t.Run(fmt.Sprintf("SW3 %02X", tt.sw3), func(t *testing.T) {
			s.FailNext(tt.sw3)
			err := r.FindCard(ctx)
			if tt.want == nil {
				assert.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.want)
			assert.Equal(t, tt.code, Code(err))
			zh, en := Sentence(err)
			assert.NotEmpty(t, zh)
			assert.NotEmpty(t, en)
		})
	}
	// A status on the read, the card's part of the transaction.
	s.FailOn(CmdReadBaseInfo, 0x33)
	_, err := r.ReadCard(ctx)
	assert.ErrorIs(t, err, ErrVerify)
	assert.Equal(t, "read base info: card information failed verification", err.Error())
}

func TestReaderFaults(t *testing.T) {
	s := newSim(t, SimOptions{})
	r := openSim(t, s)
	ctx := context.Background()
	require.NoError(t, s.PlaceCard(card(t, "张三")))

	s.CorruptNext()
	err := r.FindCard(ctx)
	assert.ErrorIs(t, err, ErrChecksum)
	assert.Equal(t, "idcard.checksum", Code(err))

	s.CorruptNext()
	_, err = r.ReadCard(ctx) // the find's answer is spoiled
	assert.ErrorIs(t, err, ErrChecksum)

	s.DropNext()
	_, err = r.Exchange(ctx, CmdFindCard, nil, short)
	assert.ErrorIs(t, err, ErrTimeout)
	assert.Equal(t, "idcard.timeout", Code(err))

	s.SetLatency(20 * time.Millisecond)
	got, err := r.ReadCard(ctx)
	require.NoError(t, err, "slow answers within the timeout")
	assert.Equal(t, "张三", got.Name)
	s.SetLatency(0)

	// A late answer to a command that timed out is not taken for the
	// answer to the next.
	s.SetLatency(100 * time.Millisecond)
	_, err = r.Exchange(ctx, CmdSAMStatus, nil, 20*time.Millisecond)
	assert.ErrorIs(t, err, ErrTimeout)
	s.SetLatency(0)
	require.Eventually(t, func() bool { return len(r.frames) == 1 }, 5*time.Second, 5*time.Millisecond, "the late answer arrives")
	_, err = r.SAMID(ctx)
	require.NoError(t, err)

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	assert.ErrorIs(t, r.FindCard(cctx), context.Canceled)
}

// The reader checks the frames it receives: a bad checksum or length
// is answered with SW3 0x10 or 0x11.
func TestSimulatorChecksFrames(t *testing.T) {
	s := newSim(t, SimOptions{})
	f, err := pty.OpenRaw(s.Path())
	require.NoError(t, err)
	r := New(f, testOptions(""))
	defer r.Close()
	ctx := context.Background()

	// A raw exchange: write bytes as they are, read one answer.
	raw := func(b []byte) Response {
		t.Helper()
		_, err := f.Write(b)
		require.NoError(t, err)
		select {
		case fe := <-r.frames:
			require.NoError(t, fe.err)
			resp, err := ParseResponse(fe.frame)
			require.NoError(t, err)
			return resp
		case <-time.After(2 * time.Second):
			t.Fatal("no answer")
		}
		return Response{}
	}
	assert.Equal(t, byte(0x10), raw(unhex(t, "AA AA AA 96 69 00 03 20 01 21")).SW3, "bad checksum")
	assert.Equal(t, byte(0x21), raw(Command{0x77, 0x01}.Frame()).SW3, "unknown command")
	assert.Equal(t, byte(0x90), raw(CmdSAMStatus.Frame()).SW3)
	assert.Equal(t, []Command{{0x77, 0x01}, CmdSAMStatus}, s.Commands())

	_, err = r.Exchange(ctx, Command{0x77, 0x01}, nil, time.Second)
	assert.ErrorIs(t, err, ErrCommand)
}

// New over a terminal the caller opened, without the serial library.
func TestNewOnOpenPort(t *testing.T) {
	s := newSim(t, SimOptions{})
	require.NoError(t, s.PlaceCard(card(t, "王秀英")))
	f, err := pty.OpenRaw(s.Path())
	require.NoError(t, err)
	r := New(f, Options{})
	id, err := r.ReadCard(context.Background())
	require.NoError(t, err)
	assert.True(t, id.LongTerm)
	require.NoError(t, r.Close())
	require.NoError(t, r.Close(), "twice")
	assert.ErrorIs(t, r.FindCard(context.Background()), ErrClosed)
}

func TestOpen(t *testing.T) {
	s := newSim(t, SimOptions{})
	for _, baud := range []int{9600, 19200, 38400, 57600, 115200} {
		opt := testOptions(s.Path())
		opt.Baud = baud
		r, err := Open(opt)
		require.NoError(t, err, "baud %d", baud)
		r.Close()
	}

	_, err := Open(Options{Port: s.Path(), Baud: 12345})
	assert.ErrorContains(t, err, "baud 12345")
	_, err = Open(Options{})
	assert.ErrorContains(t, err, "no port")

	_, err = Open(testOptions(filepath.Join(t.TempDir(), "ttyUSB9")))
	assert.ErrorIs(t, err, ErrNotFound)
	assert.Equal(t, "idcard.not_found", Code(err))

	notSerial := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(notSerial, nil, 0o600))
	_, err = Open(testOptions(notSerial))
	assert.ErrorIs(t, err, ErrProtocol, "a file is not a serial port")

	// A reader that answers nothing.
	s.Silence(true)
	opt := testOptions(s.Path())
	opt.Timeout = short
	_, err = Open(opt)
	assert.ErrorIs(t, err, ErrTimeout)
	s.Silence(false)

	// A SAM that failed its self-test.
	s.FailOn(CmdSAMStatus, 0x60)
	_, err = Open(testOptions(s.Path()))
	assert.ErrorIs(t, err, ErrSAMSelfTest)

	// A Dial of the caller's.
	dialErr := fmt.Errorf("open usb: %w", ErrBusy)
	_, err = Open(Options{Dial: func() (io.ReadWriteCloser, error) { return nil, dialErr }})
	assert.ErrorIs(t, err, ErrBusy)
}

// The serial library's errors are sorted at the adapter.
func TestPortErr(t *testing.T) {
	tests := []struct {
		err  error
		want *Error
	}{
		{&serial.PortError{}, ErrBusy}, // the zero code is PortBusy
		{fmt.Errorf("open: %w", syscall.ENOENT), ErrNotFound},
		{&fs.PathError{Op: "open", Path: "/dev/ttyUSB0", Err: fs.ErrNotExist}, ErrNotFound},
		{syscall.ENXIO, ErrNotFound},
		{syscall.EACCES, ErrPermission},
		{errors.New("something else"), ErrProtocol},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, portErr(tt.err), "%v", tt.err)
	}
}

// The reader unplugged under a Reader: the command fails as closed.
func TestReaderUnplugged(t *testing.T) {
	s := newSim(t, SimOptions{})
	r := openSim(t, s)
	s.Unplug()
	require.Eventually(t, func() bool {
		return errors.Is(r.FindCard(context.Background()), ErrClosed)
	}, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, "idcard.closed", Code(r.FindCard(context.Background())))
}

// Commands from many goroutines go one at a time.
func TestReaderConcurrent(t *testing.T) {
	s := newSim(t, SimOptions{})
	r := openSim(t, s)
	require.NoError(t, s.PlaceCard(card(t, "赵小军")))
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 5 {
				assert.NoError(t, r.SAMStatus(context.Background()))
				_, err := r.SAMID(context.Background())
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
}
