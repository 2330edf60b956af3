package idcard

import (
	"bytes"
	"context"
	"errors"
	"image"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// watching runs Watch until the test ends and hands out its events.
type watching struct {
	t      *testing.T
	events chan Event
}

func watch(t *testing.T, opt Options) *watching {
	t.Helper()
	if opt.Poll == 0 {
		opt.Poll = 5 * time.Millisecond
	}
	if opt.RetryMin == 0 {
		opt.RetryMin, opt.RetryMax = 5*time.Millisecond, 50*time.Millisecond
	}
	if opt.Timeout == 0 {
		opt.Timeout, opt.ReadTimeout = 2*time.Second, 3*time.Second
	}
	w := &watching{t: t, events: make(chan Event, 100)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Watch(ctx, opt, func(e Event) {
			select {
			case w.events <- e:
			case <-ctx.Done():
			}
		})
	}()
	t.Cleanup(func() {
		cancel()
		assert.ErrorIs(t, <-done, context.Canceled)
	})
	return w
}

// next returns the next event, which must be of kind.
func (w *watching) next(kind EventKind) Event {
	w.t.Helper()
	select {
	case e := <-w.events:
		require.Equal(w.t, kind, e.Kind, "event %v: %v", e.Kind, e.Err)
		assert.False(w.t, e.At.IsZero())
		return e
	case <-time.After(5 * time.Second):
		w.t.Fatalf("no %v event", kind)
	}
	return Event{}
}

// any returns the next event, whatever its kind.
func (w *watching) any() Event {
	w.t.Helper()
	select {
	case e := <-w.events:
		return e
	case <-time.After(5 * time.Second):
		w.t.Fatal("no event")
	}
	return Event{}
}

// none checks that no event is waiting.
func (w *watching) none() {
	w.t.Helper()
	select {
	case e := <-w.events:
		w.t.Fatalf("unexpected %v event: %v", e.Kind, e.Err)
	default:
	}
}

// polled waits until the reader has seen n more finds.
func polled(t *testing.T, s *Simulator, n int) {
	t.Helper()
	count := func() int { return countOf(s.Commands(), CmdFindCard) }
	start := count()
	require.Eventually(t, func() bool { return count() >= start+n }, 5*time.Second, time.Millisecond)
}

func countOf(cmds []Command, c Command) int {
	n := 0
	for _, x := range cmds {
		if x == c {
			n++
		}
	}
	return n
}

// A card lying on the reader is read once; removed and placed again, it
// is read again.
func TestWatchReadsOnce(t *testing.T) {
	s := newSim(t, SimOptions{})
	w := watch(t, Options{Port: s.Path()})
	assert.Equal(t, "05.01-20101215-000012345-123456789", w.next(EventReady).SAMID)

	require.NoError(t, s.PlaceCard(card(t, "张三")))
	e := w.next(EventCard)
	require.NotNil(t, e.Identity)
	assert.Equal(t, "231221198503120139", e.Identity.Number.Full())
	assert.NoError(t, e.Err)
	polled(t, s, 5)
	w.none()
	assert.Equal(t, 1, countOf(s.Commands(), CmdReadBaseInfo), "read once while it lies there")

	s.RemoveCard()
	w.next(EventRemoved)
	polled(t, s, 3)
	w.none()

	require.NoError(t, s.PlaceCard(card(t, "张三")))
	w.next(EventCard)
	require.NoError(t, s.PlaceCard(card(t, "陈美玲"))) // swapped for another
	w.next(EventRemoved)
	e = w.next(EventCard)
	assert.Equal(t, KindPermit, e.Identity.Kind)
}

// A real card answers no find after it was read: it is reported once,
// then as gone, and not read again until it comes back.
func TestWatchHaltAfterRead(t *testing.T) {
	s := newSim(t, SimOptions{HaltAfterRead: true})
	w := watch(t, Options{Port: s.Path()})
	w.next(EventReady)
	require.NoError(t, s.PlaceCard(card(t, "李桂芳")))
	assert.Equal(t, "李桂芳", w.next(EventCard).Identity.Name)
	w.next(EventRemoved)
	polled(t, s, 5)
	w.none()
	assert.Equal(t, 1, countOf(s.Commands(), CmdReadBaseInfo))

	s.RemoveCard()
	require.NoError(t, s.PlaceCard(card(t, "李桂芳")))
	w.next(EventCard)
}

// A reader missing at start is reported absent, then ready once it is
// plugged in; unplugged and plugged again, it is opened again.
func TestWatchAbsentAndReplug(t *testing.T) {
	link := filepath.Join(t.TempDir(), "usb-SAM_reader-if00")
	w := watch(t, Options{Port: link})
	e := w.next(EventAbsent)
	assert.ErrorIs(t, e.Err, ErrNotFound)
	w.none() // not again for the same reason

	s := newSim(t, SimOptions{Link: link})
	w.next(EventReady)
	require.NoError(t, s.PlaceCard(card(t, "赵小军")))
	w.next(EventCard)

	s.Unplug()
	e = w.next(EventAbsent)
	assert.ErrorIs(t, e.Err, ErrClosed)
	assert.Equal(t, "idcard.closed", Code(e.Err))
	e = w.next(EventAbsent) // the link is gone too: now not found
	assert.ErrorIs(t, e.Err, ErrNotFound)

	require.NoError(t, s.Replug())
	w.next(EventReady)
	w.next(EventCard) // the card still lies there: a new session reads it
}

// A reader that stops answering: errors, then absent, then ready again
// once it answers.
func TestWatchWedged(t *testing.T) {
	s := newSim(t, SimOptions{})
	w := watch(t, Options{Port: s.Path(), Timeout: short, ReadTimeout: short})
	w.next(EventReady)
	s.Silence(true)
	errs := 0
	for e := w.any(); e.Kind != EventAbsent; e = w.any() {
		require.Equal(t, EventError, e.Kind)
		assert.ErrorIs(t, e.Err, ErrTimeout)
		errs++
	}
	assert.GreaterOrEqual(t, errs, maxFailures, "errors, then absent")
	s.Silence(false)
	w.next(EventReady)
}

// A card's errors: one the next poll may cure is tried again; one that
// would repeat is reported once.
func TestWatchCardErrors(t *testing.T) {
	s := newSim(t, SimOptions{})
	w := watch(t, Options{Port: s.Path()})
	w.next(EventReady)

	s.FailOn(CmdReadBaseInfo, 0x41)
	require.NoError(t, s.PlaceCard(card(t, "张三")))
	e := w.next(EventError)
	assert.ErrorIs(t, e.Err, ErrReadCard)
	assert.Equal(t, "idcard.read_failed", Code(e.Err))
	w.next(EventCard)

	s.CorruptNext() // a spoiled answer to a find
	assert.ErrorIs(t, w.next(EventError).Err, ErrChecksum)
	polled(t, s, 2)
	w.none()

	s.RemoveCard()
	w.next(EventRemoved)
	bad := card(t, "张三")
	bad.Number = "231221198503120138"
	require.NoError(t, s.PlaceCard(bad))
	e = w.next(EventError)
	assert.ErrorIs(t, e.Err, ErrIDNumber)
	assert.NotContains(t, e.Err.Error(), "2312211985031201")
	polled(t, s, 5)
	w.none()
	assert.Equal(t, 3, countOf(s.Commands(), CmdReadBaseInfo), "the bad card is read once")

	foreign := card(t, "张三")
	foreign.Kind = KindForeigner
	require.NoError(t, s.PlaceCard(foreign))
	w.next(EventRemoved)
	assert.ErrorIs(t, w.next(EventError).Err, ErrForeignerCard)
	s.RemoveCard()
	w.next(EventRemoved)
}

func TestWatchPhoto(t *testing.T) {
	s := newSim(t, SimOptions{})
	portrait := image.NewRGBA(image.Rect(0, 0, 102, 126))
	var mu sync.Mutex
	fail := false
	dec := func(wlt []byte) (image.Image, error) {
		mu.Lock()
		defer mu.Unlock()
		if fail || len(wlt) != PhotoLen {
			return nil, errors.New("not a WLT")
		}
		return portrait, nil
	}
	w := watch(t, Options{Port: s.Path(), PhotoDecoder: dec})
	w.next(EventReady)
	require.NoError(t, s.PlaceCard(card(t, "王秀英")))
	e := w.next(EventCard)
	assert.NoError(t, e.Err)
	assert.Equal(t, portrait, e.Identity.Portrait)

	mu.Lock()
	fail = true
	mu.Unlock()
	require.NoError(t, s.PlaceCard(card(t, "李桂芳")))
	w.next(EventRemoved)
	e = w.next(EventCard)
	assert.ErrorIs(t, e.Err, ErrPhoto, "read, with its photo not decoded")
	assert.Nil(t, e.Identity.Portrait)
	assert.Len(t, e.Identity.Photo, PhotoLen)
}

// The driver's log never holds a full ID number.
func TestWatchLogs(t *testing.T) {
	var mu sync.Mutex
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(p)
	}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := newSim(t, SimOptions{Log: log})
	w := watch(t, Options{Port: s.Path(), Log: log, PhotoDecoder: func([]byte) (image.Image, error) { return nil, errors.New("no") }})
	w.next(EventReady)
	for _, c := range DemoCards() {
		require.NoError(t, s.PlaceCard(c))
		w.next(EventCard)
		s.RemoveCard()
		w.next(EventRemoved)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, c := range DemoCards() {
		assert.NotContains(t, buf.String(), c.Number)
		assert.NotContains(t, buf.String(), c.Address)
	}
	assert.Contains(t, buf.String(), "231221********0139")
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestWatchOptions(t *testing.T) {
	err := Watch(context.Background(), Options{}, func(Event) {})
	assert.ErrorContains(t, err, "no port")
	err = Watch(context.Background(), Options{Port: "/dev/ttyUSB0", Baud: 1200}, func(Event) {})
	assert.ErrorContains(t, err, "baud")

	kinds := []EventKind{EventReady, EventCard, EventRemoved, EventError, EventAbsent}
	var names []string
	for _, k := range kinds {
		names = append(names, k.String())
	}
	assert.Equal(t, []string{"ready", "card", "removed", "error", "absent"}, names)
	assert.False(t, slices.Contains(names, EventKind(0).String()))
}
