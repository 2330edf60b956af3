package printer

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/drivers/pty/ptytest"
)

// skipNoPTY skips a test where the platform has no pseudo-terminals,
// except in CI (CUNYOU_TEST_STRICT=1), where it fails.
func skipNoPTY(t *testing.T, s *Simulator) {
	t.Helper()
	if s.Path() == "" {
		ptytest.SkipIfMissing(t, ErrNoPTY)
	}
}

func newSim(t *testing.T, lang Language) *Simulator {
	t.Helper()
	s, err := NewSimulator(SimOptions{Language: lang})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func newPrinter(t *testing.T, lang Language, tr Transport) *Printer {
	t.Helper()
	p, err := New(Options{Language: lang, Transport: tr, StatusTimeout: 300 * time.Millisecond, WriteTimeout: 5 * time.Second})
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	return p
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

var testPickup = Pickup{Code: "3-2-0417", PhoneTail: "5678", Waybill: "73100000000001", Date: "05-14"}

// transports are the two ways the simulator is reached: the serial port
// library on its pseudo-terminal, and TCP as to port 9100.
func transports(t *testing.T, s *Simulator) map[string]Transport {
	t.Helper()
	out := map[string]Transport{"tcp": TCP(s.Addr())}
	if s.Path() != "" {
		out["serial"] = Serial(s.Path(), 115200)
	} else if os.Getenv("CUNYOU_TEST_STRICT") == "1" {
		t.Fatal("CUNYOU_TEST_STRICT: no pseudo-terminal for the printer simulator")
	}
	return out
}

// The conformance suite: every language over every transport prints the
// pickup sticker, the simulator reads the Chinese back, and the status
// flow holds (paper out before, paper out after, head open).
func TestPrintEndToEnd(t *testing.T) {
	for _, lang := range Languages() {
		t.Run(string(lang), func(t *testing.T) {
			sim := newSim(t, lang)
			for via, tr := range transports(t, sim) {
				t.Run(via, func(t *testing.T) {
					ctx := testCtx(t)
					p := newPrinter(t, lang, tr)
					before := len(sim.Labels())

					// A plain print.
					require.NoError(t, p.Print(ctx, PickupLabel(testPickup)))
					got, err := sim.Wait(ctx, before+1)
					require.NoError(t, err)
					l := got[before]
					assert.Equal(t, map[string]string{"serial": "pty", "tcp": "tcp"}[via], l.Via)
					assert.Equal(t, []string{"取件码", "05-14", "3-2-0417", "尾号 5678", "单号 …000001"}, l.Texts(), "decoded from GB18030")
					assert.Equal(t, []string{"73100000000001"}, l.Barcodes())

					st, err := p.Status(ctx)
					require.NoError(t, err)
					assert.True(t, st.Ready(), st.String())

					// Out of paper: refused before anything is sent.
					sim.SetPaperOut(true)
					err = p.Print(ctx, PickupLabel(testPickup))
					require.Error(t, err)
					if lang == ZPL {
						// A Zebra keeps silent in MEDIA OUT (PROTOCOLS §3.3).
						assert.ErrorIs(t, err, ErrNoReply)
						assert.Contains(t, CodeOf(err).Chinese(), "缺纸")
					} else {
						assert.ErrorIs(t, err, ErrPaperOut)
						assert.Equal(t, "打印机缺纸：请装上新的标签纸，再重新打印。", CodeOf(err).Chinese())
						var pe *Error
						require.ErrorAs(t, err, &pe)
						assert.Equal(t, "status before print", pe.Op)
						require.NotNil(t, pe.Status)
						assert.True(t, pe.Status.PaperOut)
					}
					assert.True(t, Retryable(err))
					assert.Len(t, sim.Labels(), before+1, "nothing printed")
					assert.Empty(t, sim.Held(), "nothing sent")

					// A new roll, and it prints again.
					sim.SetPaperOut(false)
					require.NoError(t, p.Print(ctx, PickupLabel(testPickup)))
					_, err = sim.Wait(ctx, before+2)
					require.NoError(t, err)

					// The paper runs out under the next label: the label is held
					// and the status after says so.
					sim.RunOutAfter(0)
					err = p.Print(ctx, PickupLabel(Pickup{Code: "3-2-0418", Waybill: "73100000000002"}))
					require.Error(t, err)
					if lang == ZPL {
						assert.ErrorIs(t, err, ErrNoReply)
					} else {
						assert.ErrorIs(t, err, ErrPaperOut)
						var pe *Error
						require.ErrorAs(t, err, &pe)
						assert.Equal(t, "status after print", pe.Op)
					}
					require.Len(t, sim.Held(), 1)
					assert.Contains(t, sim.Held()[0].Texts(), "3-2-0418")
					sim.SetPaperOut(false) // the operator loads paper: the held label prints
					got, err = sim.Wait(ctx, before+3)
					require.NoError(t, err)
					assert.Contains(t, got[before+2].Texts(), "3-2-0418")
					assert.Empty(t, sim.Held())

					// The head open.
					sim.SetHeadOpen(true)
					err = p.Print(ctx, PickupLabel(testPickup))
					switch lang {
					case ZPL:
						assert.ErrorIs(t, err, ErrNoReply)
					case ESCPOS:
						assert.ErrorIs(t, err, ErrCoverOpen, "ESC/POS knows only the cover")
					default:
						assert.ErrorIs(t, err, ErrHeadOpen)
						assert.Contains(t, CodeOf(err).Chinese(), "打印头")
					}
					sim.SetHeadOpen(false)
					require.NoError(t, p.Print(ctx, PickupLabel(testPickup)))
					_, err = sim.Wait(ctx, before+4)
					require.NoError(t, err)
				})
			}
		})
	}
}

// Paused is a state a ZPL printer still reports.
func TestZPLPaused(t *testing.T) {
	sim := newSim(t, ZPL)
	p := newPrinter(t, ZPL, TCP(sim.Addr()))
	sim.SetPaused(true)
	err := p.Print(testCtx(t), PickupLabel(testPickup))
	assert.ErrorIs(t, err, ErrPaused)
	assert.Empty(t, sim.Labels())
}

// A printer that does not answer is an error state, not a hang.
func TestNoReply(t *testing.T) {
	sim := newSim(t, TSPL)
	p := newPrinter(t, TSPL, TCP(sim.Addr()))
	sim.Silent(true)
	_, err := p.Status(testCtx(t))
	assert.ErrorIs(t, err, ErrNoReply)
	err = p.Print(testCtx(t), PickupLabel(testPickup))
	assert.ErrorIs(t, err, ErrNoReply)
	assert.Empty(t, sim.Labels())
	sim.Silent(false)
	require.NoError(t, p.Print(testCtx(t), PickupLabel(testPickup)))
}

// A printer that is not there is a retryable error, and the Printer
// connects once it is.
func TestAbsentPrinter(t *testing.T) {
	ctx := testCtx(t)

	p := newPrinter(t, TSPL, Serial("/dev/cunyou-no-such-printer", 9600))
	err := p.Print(ctx, PickupLabel(testPickup))
	assert.ErrorIs(t, err, ErrNotFound)
	assert.True(t, Retryable(err))
	assert.Contains(t, CodeOf(err).Chinese(), "找不到打印机")

	p = newPrinter(t, TSPL, Device(filepath.Join(t.TempDir(), "lp0")))
	assert.ErrorIs(t, p.Print(ctx, PickupLabel(testPickup)), ErrNotFound)

	// A TCP port with no printer yet; then the printer comes.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	p = newPrinter(t, TSPL, TCP(addr))
	err = p.Print(ctx, PickupLabel(testPickup))
	assert.ErrorIs(t, err, ErrNotFound)
	assert.True(t, Retryable(err))
}

// After the connection breaks, the next print reconnects.
func TestReconnect(t *testing.T) {
	ctx := testCtx(t)
	sim := newSim(t, TSPL)
	p := newPrinter(t, TSPL, TCP(sim.Addr()))
	require.NoError(t, p.Print(ctx, PickupLabel(testPickup)))
	sim.Disconnect()
	// The first print after may or may not notice the break; one of two
	// goes through, on a new connection.
	err := p.Print(ctx, PickupLabel(testPickup))
	if err != nil {
		assert.True(t, Retryable(err), "%v", err)
		require.NoError(t, p.Print(ctx, PickupLabel(testPickup)))
	}
	got, err := sim.Wait(ctx, 2)
	require.NoError(t, err)
	assert.Len(t, got, 2)
}

func TestSerialReconnect(t *testing.T) {
	ctx := testCtx(t)
	sim := newSim(t, TSPL)
	skipNoPTY(t, sim)
	p := newPrinter(t, TSPL, Serial(sim.Path(), 9600))
	require.NoError(t, p.Print(ctx, PickupLabel(testPickup)))
	// Close the port under the Printer (as when the cable is pulled): the
	// next operation fails and the one after reopens it.
	p.mu.Lock()
	p.conn.Close()
	p.mu.Unlock()
	if _, err := p.Status(ctx); err != nil {
		assert.True(t, Retryable(err), "%v", err)
	}
	require.NoError(t, p.Print(ctx, PickupLabel(testPickup)))
	_, err := sim.Wait(ctx, 2)
	require.NoError(t, err)
}

// A spool file takes the label's bytes and answers no status.
func TestFileTransport(t *testing.T) {
	ctx := testCtx(t)
	path := filepath.Join(t.TempDir(), "spool.prn")
	p := newPrinter(t, ZPL, File(path))
	l := SortLabel(Sort{Station: "南岗村驿站", RouteCode: "L3-07", Waybill: "73100000000001"})
	require.NoError(t, p.Print(ctx, l))
	require.NoError(t, p.Print(ctx, l))
	want, err := Encode(ZPL, l)
	require.NoError(t, err)
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, append(want, want...), got)
	_, err = p.Status(ctx)
	assert.ErrorIs(t, err, ErrNoStatus)
}

func TestPrintBadLabel(t *testing.T) {
	p := newPrinter(t, TSPL, File(filepath.Join(t.TempDir(), "x")))
	err := p.Print(testCtx(t), Label{})
	assert.ErrorIs(t, err, ErrBadLabel)
	assert.False(t, Retryable(err))
}

func TestClosedPrinter(t *testing.T) {
	p := newPrinter(t, TSPL, File(filepath.Join(t.TempDir(), "x")))
	require.NoError(t, p.Close())
	err := p.Print(testCtx(t), PickupLabel(testPickup))
	assert.ErrorIs(t, err, ErrClosed)
	assert.False(t, Retryable(err))
}

// A cancelled context stops a print that waits for the printer.
func TestPrintCancelled(t *testing.T) {
	sim := newSim(t, TSPL)
	sim.Silent(true)
	p, err := New(Options{Language: TSPL, Transport: TCP(sim.Addr()), StatusTimeout: time.Hour})
	require.NoError(t, err)
	defer p.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Print(ctx, PickupLabel(testPickup)) }()
	require.Eventually(t, func() bool { return slices.Contains(sim.Commands(), "<ESC>!?") }, 10*time.Second, time.Millisecond,
		"the printer is asked for its status")
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)
	assert.Empty(t, sim.Labels())

	// The next print connects anew.
	sim.Silent(false)
	require.NoError(t, p.Print(testCtx(t), PickupLabel(testPickup)))
}

func TestParseTransport(t *testing.T) {
	for _, tt := range []struct {
		in, want string
	}{
		{"tcp:192.168.1.50:9100", "tcp:192.168.1.50:9100"},
		{"tcp:192.168.1.50", "tcp:192.168.1.50:9100"},
		{"serial:/dev/ttyUSB0", "serial:/dev/ttyUSB0"},
		{"serial:COM3@115200", "serial:COM3"},
		{"usb:/dev/usb/lp0", "usb:/dev/usb/lp0"},
		{`usb:\\localhost\Label`, `usb:\\localhost\Label`},
		{"file:/var/spool/label.prn", "file:/var/spool/label.prn"},
	} {
		tr, err := ParseTransport(tt.in)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, tr.String())
	}
	assert.Equal(t, 115200, mustTransport(t, "serial:COM3@115200").(*serialTransport).baud)
	for _, bad := range []string{"", "lp0", "tcp:", "serial:/dev/ttyUSB0@fast", "http://printer"} {
		_, err := ParseTransport(bad)
		assert.Error(t, err, bad)
	}
}

func mustTransport(t *testing.T, s string) Transport {
	t.Helper()
	tr, err := ParseTransport(s)
	require.NoError(t, err)
	return tr
}

func TestParseLanguage(t *testing.T) {
	for in, want := range map[string]Language{"tspl": TSPL, "ZPL": ZPL, "ESC/POS": ESCPOS, " escpos ": ESCPOS} {
		got, err := ParseLanguage(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got)
	}
	_, err := ParseLanguage("pcl")
	assert.Error(t, err)
	_, err = New(Options{Language: "pcl", Transport: TCP("x:1")})
	assert.Error(t, err)
	_, err = New(Options{Language: TSPL})
	assert.Error(t, err)
}

// A Status cancelled while it waits for the reply leaves no closed
// connection behind: the next print connects anew and goes through.
func TestStatusCancelled(t *testing.T) {
	sim := newSim(t, TSPL)
	sim.Silent(true)
	p, err := New(Options{Language: TSPL, Transport: TCP(sim.Addr()), StatusTimeout: time.Hour})
	require.NoError(t, err)
	defer p.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := p.Status(ctx); done <- err }()
	require.Eventually(t, func() bool { return slices.Contains(sim.Commands(), "<ESC>!?") }, 10*time.Second, time.Millisecond,
		"the printer is asked for its status")
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)

	sim.Silent(false)
	require.NoError(t, p.Print(testCtx(t), PickupLabel(testPickup)))
}
