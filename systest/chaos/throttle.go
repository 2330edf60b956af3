package chaos

import (
	"context"
	"sync"
	"time"
)

// burst is how much idle link time a direction may spend at once: after a
// quiet spell the first bytes go without waiting, as on a real link.
const burst = 20 * time.Millisecond

// bucket is a token bucket kept as the time at which the link is free
// again; all connections in one direction share it.
type bucket struct {
	mu   sync.Mutex
	free time.Time
}

// reserve books n bytes at bps and says how long the sender must wait
// before they are through. bps <= 0 is unlimited.
func (b *bucket) reserve(now time.Time, n int, bps int64) time.Duration {
	if bps <= 0 || n <= 0 {
		return 0
	}
	cost := time.Duration(float64(n) * 8 / float64(bps) * float64(time.Second))
	b.mu.Lock()
	defer b.mu.Unlock()
	start := b.free
	if floor := now.Add(-burst); start.Before(floor) {
		start = floor
	}
	b.free = start.Add(cost)
	return max(b.free.Sub(now), 0)
}

// chunkSize is how many bytes go in one write or read at bps: about 20 ms
// of the link, so that cuts and other connections interleave.
func chunkSize(bps int64) int {
	if bps <= 0 {
		return 64 << 10
	}
	return int(min(max(bps/8/50, 256), 16<<10))
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
