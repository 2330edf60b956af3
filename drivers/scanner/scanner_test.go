package scanner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/drivers/pty/ptytest"
)

// clock is a test's clock: it moves only when the test moves it.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.Local)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newSim(t *testing.T, opt SimOptions) *Simulator {
	t.Helper()
	s, err := NewSimulator(opt)
	ptytest.SkipIfMissing(t, err)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// run starts s and returns its events; the test's end stops it.
func run(t *testing.T, s *Scanner) <-chan Event {
	t.Helper()
	ch := make(chan Event, 64)
	ctx, cancel := context.WithCancel(context.Background())
	s.opt.Sink = ChanSink(ctx, ch)
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		assert.NoError(t, <-done)
	})
	return ch
}

// start opens a scanner on the simulator and waits until it is open.
func start(t *testing.T, sim *Simulator, opt Options) <-chan Event {
	t.Helper()
	opt.Port = sim.Path()
	opt.RetryMin, opt.RetryMax = 5*time.Millisecond, 50*time.Millisecond
	s, err := New(opt)
	require.NoError(t, err)
	ch := run(t, s)
	wantState(t, ch, StateOpen, "")
	return ch
}

// next returns the next event; the deadline only keeps a broken test
// from hanging.
func next(t *testing.T, ch <-chan Event) Event {
	t.Helper()
	select {
	case e := <-ch:
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no event")
		return nil
	}
}

func wantCode(t *testing.T, ch <-chan Event, want string) Code {
	t.Helper()
	e := next(t, ch)
	c, ok := e.(Code)
	require.True(t, ok, "want code %q, got %#v", want, e)
	assert.Equal(t, want, c.Text)
	return c
}

func wantDropped(t *testing.T, ch <-chan Event, want error) {
	t.Helper()
	e := next(t, ch)
	d, ok := e.(Dropped)
	require.True(t, ok, "want a dropped read, got %#v", e)
	assert.ErrorIs(t, d.Err, want)
}

func wantState(t *testing.T, ch <-chan Event, want State, code string) StateChange {
	t.Helper()
	e := next(t, ch)
	sc, ok := e.(StateChange)
	require.True(t, ok, "want state %s, got %#v", want, e)
	assert.Equal(t, want, sc.State)
	assert.Equal(t, code, CodeOf(sc.Err))
	return sc
}

func TestSuffixes(t *testing.T) {
	for _, tc := range []struct {
		name      string
		sent, cfg Suffix
	}{
		{"CR", CR, CR},
		{"LF", LF, LF},
		{"CRLF", CRLF, CRLF},
		{"Tab", Tab, Tab},
		{"CRLF read as CR", CRLF, CR},
		{"CRLF read as LF", CRLF, LF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim := newSim(t, SimOptions{Suffix: tc.sent})
			ch := start(t, sim, Options{Suffix: tc.cfg, Name: "gun1"})
			require.NoError(t, sim.Scan("YT2412345678901"))
			require.NoError(t, sim.Scan("JT3098765432100"))
			c := wantCode(t, ch, "YT2412345678901")
			assert.Equal(t, "gun1", c.Device)
			wantCode(t, ch, "JT3098765432100")
		})
	}
}

func TestPrefix(t *testing.T) {
	sim := newSim(t, SimOptions{Prefix: "SCN:"})
	ch := start(t, sim, Options{Prefix: "SCN:"})
	require.NoError(t, sim.Scan("SF1234567890"))
	wantCode(t, ch, "SF1234567890")
	// A code without the prefix is taken as it is.
	sim.SetPrefix("")
	require.NoError(t, sim.Scan("SF1234567891"))
	wantCode(t, ch, "SF1234567891")
	// Space around a prefix goes too.
	sim.SetPrefix(" SCN: ")
	require.NoError(t, sim.Scan("取件码 8-2-1103"))
	wantCode(t, ch, "取件码 8-2-1103")
}

func TestSplitWrites(t *testing.T) {
	for _, suffix := range []Suffix{CR, CRLF} {
		t.Run(suffix.String(), func(t *testing.T) {
			sim := newSim(t, SimOptions{Suffix: suffix, Prefix: "]C1"})
			ch := start(t, sim, Options{Suffix: suffix, Prefix: "]C1"})
			sim.SetSplit(1, time.Millisecond)
			require.NoError(t, sim.Scan("7700123456789"))
			sim.SetSplit(3, time.Millisecond)
			require.NoError(t, sim.Scan("中通 75312345678901"))
			wantCode(t, ch, "7700123456789")
			wantCode(t, ch, "中通 75312345678901")
		})
	}
}

// barrier scans a new marker code (twice when codes need confirming) and
// wants it as the next event: whatever was sent before was read, and
// gave no event. A test moves its clock only after a barrier, since the
// scanner reads the clock when the bytes arrive.
func barrier(t *testing.T, sim *Simulator, ch <-chan Event, confirm bool) {
	t.Helper()
	m := fmt.Sprintf("MARK%d", sim.Scanned())
	require.NoError(t, sim.Scan(m))
	if confirm {
		require.NoError(t, sim.Scan(m))
	}
	wantCode(t, ch, m)
}

// Reads of a held label collapse into one; the window slides from the
// last read.
func TestDedupeWindow(t *testing.T) {
	sim := newSim(t, SimOptions{})
	clk := newClock()
	ch := start(t, sim, Options{Window: 1500 * time.Millisecond, Now: clk.Now})
	require.NoError(t, sim.Scan("A1"))
	c := wantCode(t, ch, "A1")
	assert.Equal(t, clk.Now(), c.At)
	for range 3 {
		clk.Add(time.Second)
		require.NoError(t, sim.Scan("A1"))
		barrier(t, sim, ch, false)
	}
	clk.Add(1501 * time.Millisecond)
	require.NoError(t, sim.Scan("A1"))
	wantCode(t, ch, "A1")
}

func TestDedupeOff(t *testing.T) {
	sim := newSim(t, SimOptions{})
	ch := start(t, sim, Options{Window: -1, Now: newClock().Now})
	for range 3 {
		require.NoError(t, sim.Scan("A1"))
	}
	for range 3 {
		wantCode(t, ch, "A1")
	}
}

func TestConfirm(t *testing.T) {
	sim := newSim(t, SimOptions{})
	clk := newClock()
	ch := start(t, sim, Options{Confirm: true, Now: clk.Now})
	require.NoError(t, sim.Scan("A1")) // read once: not yet
	barrier(t, sim, ch, true)
	clk.Add(time.Second)
	require.NoError(t, sim.Scan("A1")) // the second read within the window
	wantCode(t, ch, "A1")
	require.NoError(t, sim.Scan("A1")) // then collapsed like any other
	barrier(t, sim, ch, true)
	clk.Add(2 * time.Second)
	require.NoError(t, sim.Scan("A1")) // a lone read
	barrier(t, sim, ch, true)
	clk.Add(2 * time.Second)
	require.NoError(t, sim.Scan("A1")) // too late to confirm the one before
	barrier(t, sim, ch, true)
	require.NoError(t, sim.Scan("A1"))
	wantCode(t, ch, "A1")
}

func TestGarbage(t *testing.T) {
	sim := newSim(t, SimOptions{})
	ch := start(t, sim, Options{MaxLen: 64})
	require.NoError(t, sim.Garbage(3000)) // once, however long
	require.NoError(t, sim.Scan("A1"))    // the garbage run ends at this suffix: A1 goes with it
	require.NoError(t, sim.Scan("B1"))
	wantDropped(t, ch, ErrTooLong)
	wantCode(t, ch, "B1")
	require.NoError(t, sim.WriteRaw([]byte("\xff\xfeA2\r")))
	require.NoError(t, sim.Scan("B2"))
	wantDropped(t, ch, ErrNotPrintable)
	wantCode(t, ch, "B2")
}

func TestNoise(t *testing.T) {
	sim := newSim(t, SimOptions{})
	ch := start(t, sim, Options{})
	sim.SetNoise([]byte{0, 0, '\n', 0x1b}) // control bytes around a code are trimmed
	require.NoError(t, sim.Scan("A1"))
	wantCode(t, ch, "A1")
	sim.SetNoise([]byte{0xff, 0x00}) // not UTF-8: the read is dropped, not guessed
	require.NoError(t, sim.Scan("A2"))
	wantDropped(t, ch, ErrNotPrintable)
	sim.SetNoise(nil)
	require.NoError(t, sim.Scan("A3"))
	wantCode(t, ch, "A3")
}

func TestUnplugReplug(t *testing.T) {
	sim := newSim(t, SimOptions{})
	ch := start(t, sim, Options{})
	require.NoError(t, sim.Scan("A1"))
	wantCode(t, ch, "A1")
	require.NoError(t, sim.Unplug())
	assert.ErrorIs(t, sim.Scan("lost"), ErrLost)
	wantState(t, ch, StateAbsent, CodeLost)
	// Retried while unplugged it stays absent, reported once more as the
	// reason changes from lost to not found, however often it retries.
	wantState(t, ch, StateAbsent, CodeNotFound)
	require.NoError(t, sim.Replug())
	wantState(t, ch, StateOpen, "")
	require.NoError(t, sim.Scan("B1"))
	wantCode(t, ch, "B1")
}

func TestAbsentAtStart(t *testing.T) {
	sim := newSim(t, SimOptions{})
	require.NoError(t, sim.Unplug())
	s, err := New(Options{Port: sim.Path(), RetryMin: 5 * time.Millisecond, RetryMax: 20 * time.Millisecond})
	require.NoError(t, err)
	ch := run(t, s)
	sc := wantState(t, ch, StateAbsent, CodeNotFound)
	assert.ErrorIs(t, sc.Err, ErrNotFound)
	st, err := s.State()
	assert.Equal(t, StateAbsent, st)
	assert.ErrorIs(t, err, ErrNotFound)
	require.NoError(t, sim.Replug())
	wantState(t, ch, StateOpen, "")
	require.NoError(t, sim.Scan("A1"))
	wantCode(t, ch, "A1")
}

// Not a terminal: the serial library fails to set it up, which is no
// "not found" but a port to look at.
func TestNotATerminal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ttyUSB0")
	require.NoError(t, os.WriteFile(path, nil, 0o600))
	s, err := New(Options{Port: path, RetryMin: time.Millisecond, RetryMax: time.Millisecond})
	require.NoError(t, err)
	ch := run(t, s)
	sc := wantState(t, ch, StateError, CodePort)
	assert.ErrorIs(t, sc.Err, ErrPort)
}

func TestOptions(t *testing.T) {
	for _, opt := range []Options{
		{},
		{Port: "p", Baud: -1},
		{Port: "p", Suffix: ";"},
		{Port: "p", MaxLen: -1},
		{Port: "p", Confirm: true, Window: -1},
		{Port: "p", RetryMin: time.Second, RetryMax: time.Millisecond},
	} {
		_, err := New(opt)
		assert.ErrorIs(t, err, ErrConfig, "%+v", opt)
		assert.Equal(t, CodeConfig, CodeOf(err))
	}
	s, err := New(Options{Port: "/dev/ttyACM0"})
	require.NoError(t, err)
	assert.Equal(t, "/dev/ttyACM0", s.Name())
	assert.Equal(t, 9600, s.opt.Baud)
	assert.Equal(t, CR, s.opt.Suffix)
	assert.Equal(t, 1500*time.Millisecond, s.opt.Window)
}

func TestParseSuffix(t *testing.T) {
	for name, want := range map[string]Suffix{"CR": CR, "cr": CR, "Enter": CR, "LF": LF, " crlf ": CRLF, "TAB": Tab} {
		got, err := ParseSuffix(name)
		require.NoError(t, err, name)
		assert.Equal(t, want, got, name)
		back, err := ParseSuffix(got.String())
		require.NoError(t, err)
		assert.Equal(t, got, back)
	}
	_, err := ParseSuffix("semicolon")
	assert.ErrorIs(t, err, ErrConfig)
}

// A scan gun sending Chinese as GBK, read with GB18030 on.
func TestGB18030(t *testing.T) {
	sim := newSim(t, SimOptions{})
	ch := start(t, sim, Options{GB18030: true})
	require.NoError(t, sim.WriteRaw([]byte("\xc8\xa1\xbc\xfe\xc2\xeb 8-2-1103\r"))) // 取件码 in GBK
	wantCode(t, ch, "取件码 8-2-1103")
	require.NoError(t, sim.Scan("YT2412345678901"))
	wantCode(t, ch, "YT2412345678901")
}
