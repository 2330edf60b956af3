package merge

import (
	"context"
	"time"
)

// Slots bound how many merges run at once. Past the bound a hub serving
// a thousand reconnecting stations would only queue work it cannot do
// sooner; instead the HTTP layer tells the caller to come back later.
type Slots struct{ ch chan struct{} }

// DefaultSlots is the default bound on concurrent merges. It also bounds
// how many batches one group commit can take: measured with 1,000 stations
// sending 60 ops each, 4 slots gave about 43k ops/s (the writer saw two
// batches a commit, the others still decoding), 8 gave about 50k, 16 no
// more than 8.
const DefaultSlots = 8

// NewSlots returns n slots (DefaultSlots when n <= 0).
func NewSlots(n int) *Slots {
	if n <= 0 {
		n = DefaultSlots
	}
	return &Slots{ch: make(chan struct{}, n)}
}

// Acquire takes a slot, waiting at most wait (and not past ctx), and
// reports whether it got one. A caller that got one must Release it.
func (s *Slots) Acquire(ctx context.Context, wait time.Duration) bool {
	select {
	case s.ch <- struct{}{}:
		return true
	default:
	}
	if wait <= 0 {
		return false
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case s.ch <- struct{}{}:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

// Release gives a slot back.
func (s *Slots) Release() { <-s.ch }

// InUse is how many slots are taken.
func (s *Slots) InUse() int { return len(s.ch) }

// Cap is the number of slots.
func (s *Slots) Cap() int { return cap(s.ch) }
