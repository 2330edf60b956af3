package drivers

import (
	"context"
	"time"
)

// ChanSink returns a sink that sends events into ch, waiting for room
// until ctx ends (then it drops them).
func ChanSink[E any](ctx context.Context, ch chan<- E) func(E) {
	return func(e E) {
		select {
		case ch <- e:
		case <-ctx.Done():
		}
	}
}

// Sleep waits d or until ctx ends, reporting whether to go on.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
