package syncer

import (
	"math/rand/v2"
	"time"
)

// backoff spaces out retries after failures: exponential with full jitter
// (the wait is drawn between half the minimum and a ceiling that doubles
// with each failure up to the maximum), and never shorter than the hub
// asked for.
type backoff struct {
	min, max time.Duration
	failures int
}

// next returns the wait after one more failure; retryAfter is what the
// hub asked for, or 0.
func (b *backoff) next(retryAfter time.Duration) time.Duration {
	ceil := b.max
	if b.failures < 30 {
		ceil = min(b.max, b.min<<b.failures)
	}
	b.failures++
	floor := b.min / 2
	d := floor
	if ceil > floor {
		d += rand.N(ceil - floor + 1)
	}
	return max(d, retryAfter)
}

func (b *backoff) reset() { b.failures = 0 }
