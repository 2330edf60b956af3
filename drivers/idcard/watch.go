package idcard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"cunyou/drivers"
)

// EventKind says what happened at the reader.
type EventKind int

const (
	// EventReady: the reader was opened and its SAM answered; SAMID is
	// set when the SAM told it.
	EventReady EventKind = iota + 1
	// EventCard: a card was read; Identity is set. Err is set (wrapping
	// ErrPhoto) when the photo did not decode; the read still counts.
	EventCard
	// EventRemoved: the card that was found has left the field (or no
	// longer answers, as a card just read does); the next card, or the
	// same one put back, is read again.
	EventRemoved
	// EventError: a command or a card failed; Err says why. Watch goes
	// on: a card still in the field is tried again at the next poll,
	// unless the error is final for it (ErrIDNumber, ErrCardData,
	// ErrForeignerCard, ErrCardType).
	EventError
	// EventAbsent: the reader cannot be used — not plugged in, gone, not
	// answering, or its SAM failed; Err says why. Watch keeps trying to
	// open it, with backoff. Sent again only when the reason changes.
	EventAbsent
)

func (k EventKind) String() string {
	switch k {
	case EventReady:
		return "ready"
	case EventCard:
		return "card"
	case EventRemoved:
		return "removed"
	case EventError:
		return "error"
	case EventAbsent:
		return "absent"
	}
	return fmt.Sprintf("event %d", int(k))
}

// Event is what Watch pushes into its sink. It prints and logs masked.
type Event struct {
	Kind     EventKind
	At       time.Time
	Identity *Identity // EventCard
	SAMID    string    // EventReady
	Err      error     // EventError, EventAbsent; EventCard with a photo not decoded
}

// LogValue logs the kind, the masked identity and the error's code.
func (e Event) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("kind", e.Kind.String())}
	if e.Identity != nil {
		attrs = append(attrs, slog.Any("identity", *e.Identity))
	}
	if e.SAMID != "" {
		attrs = append(attrs, slog.String("sam_id", e.SAMID))
	}
	if e.Err != nil {
		attrs = append(attrs, slog.String("code", Code(e.Err)), slog.String("err", e.Err.Error()))
	}
	return slog.GroupValue(attrs...)
}

// maxFailures is how many link failures in a row (timeouts, bad
// frames) make Watch close the reader and open it anew.
const maxFailures = 3

// Watch runs the reader until ctx ends and pushes what happens into sink:
// it opens the reader (retrying with backoff while it is absent: a reader
// missing at start is normal), then polls for a card every opt.Poll. A
// card found is selected and read once; it is read again only after find
// failed (the card left the field), so a card lying on the reader is
// reported once. A link that dies (unplugged) or fails maxFailures times
// in a row is closed and opened again.
//
// sink is called from Watch's goroutine, one event at a time; it should
// return quickly (hand the event to a channel, say). Watch returns
// ctx.Err(), or at once an error for options it cannot use.
func Watch(ctx context.Context, opt Options, sink func(Event)) error {
	if err := opt.validate(); err != nil {
		return err
	}
	opt.defaults()
	w := &watcher{opt: opt, log: opt.Log, sink: sink}
	return w.run(ctx)
}

type watcher struct {
	opt  Options
	log  *slog.Logger
	sink func(Event)
}

func (w *watcher) emit(e Event) {
	e.At = w.opt.Now()
	w.log.Debug("idcard: event", "event", e)
	w.sink(e)
}

func (w *watcher) run(ctx context.Context) error {
	backoff := w.opt.RetryMin
	absent := "" // why the last EventAbsent was sent; "" while ready
	for {
		r, samID, err := w.open(ctx)
		if ctx.Err() != nil {
			if r != nil {
				r.Close()
			}
			return ctx.Err()
		}
		if err != nil {
			if why := reason(err); why != absent {
				w.log.Info("idcard: reader absent", "port", w.opt.Port, "code", Code(err), "err", err)
				w.emit(Event{Kind: EventAbsent, Err: err})
				absent = why
			}
			if !drivers.Sleep(ctx, backoff/2+rand.N(backoff/2+1)) {
				return ctx.Err()
			}
			backoff = min(2*backoff, w.opt.RetryMax)
			continue
		}
		backoff, absent = w.opt.RetryMin, ""
		w.log.Info("idcard: reader ready", "port", w.opt.Port, "sam_id", samID)
		w.emit(Event{Kind: EventReady, SAMID: samID})
		err = w.poll(ctx, r)
		r.Close()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		w.log.Warn("idcard: reader lost", "port", w.opt.Port, "code", Code(err), "err", err)
		w.emit(Event{Kind: EventAbsent, Err: err})
		absent = reason(err)
		if !drivers.Sleep(ctx, w.opt.RetryMin) { // let a replugged device settle
			return ctx.Err()
		}
	}
}

// reason tells apart the causes of absence: the code, or the text of an
// error that is none of ours.
func reason(err error) string {
	if c := Code(err); c != "" {
		return c
	}
	return err.Error()
}

// open opens and checks the reader and asks its SAM id.
func (w *watcher) open(ctx context.Context) (*Reader, string, error) {
	rw, err := w.opt.dial()
	if err != nil {
		return nil, "", err
	}
	r := New(rw, w.opt)
	if err := r.start(ctx); err != nil {
		r.Close()
		return nil, "", err
	}
	id, err := r.SAMID(ctx)
	if err != nil {
		w.log.Warn("idcard: no sam id", "err", err)
	}
	return r, id, nil
}

// poll looks for cards until the link is lost or ctx ends.
func (w *watcher) poll(ctx context.Context, r *Reader) error {
	inField := false // a card answered find and has not left since
	done := false    // that card was read, or refused for good
	failures := 0
	t := time.NewTicker(w.opt.Poll)
	defer t.Stop()
	for {
		err := r.FindCard(ctx)
		switch {
		case err == nil:
			inField = true
			if !done {
				err = w.read(ctx, r)
				done = err == nil || finalForCard(err)
			}
		case errors.Is(err, ErrNoCard):
			if inField {
				w.emit(Event{Kind: EventRemoved})
			}
			inField, done, err = false, false, nil
		}
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err == nil:
			failures = 0
		case errors.Is(err, ErrClosed):
			return err
		default:
			w.emit(Event{Kind: EventError, Err: err})
			if linkFailure(err) {
				if failures++; failures >= maxFailures {
					return err
				}
			}
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// finalForCard tells errors that reading the same card again would
// repeat.
func finalForCard(err error) bool {
	return errors.Is(err, ErrIDNumber) || errors.Is(err, ErrCardData) || errors.Is(err, ErrForeignerCard) || errors.Is(err, ErrCardType)
}

// linkFailure tells errors of the link, which repeated mean the reader is
// gone or wedged, from the card's.
func linkFailure(err error) bool {
	for _, e := range []error{ErrTimeout, ErrChecksum, ErrProtocol, ErrStatus, ErrHostChecksum, ErrHostLength, ErrCommFault} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// read selects and reads the card found and reports it.
func (w *watcher) read(ctx context.Context, r *Reader) error {
	if err := r.SelectCard(ctx); err != nil {
		return err
	}
	id, err := r.ReadBaseInfo(ctx)
	if err != nil {
		return err
	}
	ev := Event{Kind: EventCard, Identity: id}
	if ev.Err = id.DecodePhoto(w.opt.PhotoDecoder); ev.Err != nil {
		w.log.Warn("idcard: photo not decoded", "identity", *id, "err", ev.Err)
	}
	w.emit(ev)
	return nil
}
