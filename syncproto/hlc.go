package syncproto

import (
	"fmt"
	"sync"
	"time"
)

// Timestamp is a hybrid logical clock reading: milliseconds since the Unix
// epoch in the high 48 bits and a logical counter in the low 16. Readings
// from one clock strictly increase, whatever the wall clock does.
type Timestamp uint64

const logicalBits = 16

// MakeTimestamp builds a Timestamp from wall milliseconds and a counter.
func MakeTimestamp(ms int64, logical uint16) Timestamp {
	return Timestamp(uint64(ms)<<logicalBits | uint64(logical))
}

// Millis returns the wall part in milliseconds since the epoch.
func (t Timestamp) Millis() int64 { return int64(t >> logicalBits) }

// Logical returns the counter part.
func (t Timestamp) Logical() uint16 { return uint16(t) }

// Time returns the wall part as a time.Time.
func (t Timestamp) Time() time.Time { return time.UnixMilli(t.Millis()) }

func (t Timestamp) String() string {
	return fmt.Sprintf("%s+%d", t.Time().UTC().Format("2006-01-02T15:04:05.000Z"), t.Logical())
}

// DefaultMaxSkew bounds how far ahead of the local wall clock an observed
// remote timestamp may be before it is refused.
const DefaultMaxSkew = 5 * time.Minute

// Clock is a hybrid logical clock. It starts from a persisted high-water
// mark, so a node that reboots with its wall clock back in 1970 still issues
// timestamps after every one it issued before. It is safe for concurrent use.
type Clock struct {
	mu      sync.Mutex
	wall    func() time.Time
	last    Timestamp
	maxSkew time.Duration
}

// NewClock returns a clock reading wall (time.Now when nil) that never goes
// below hwm. maxSkew <= 0 means DefaultMaxSkew.
func NewClock(wall func() time.Time, hwm Timestamp, maxSkew time.Duration) *Clock {
	if wall == nil {
		wall = time.Now
	}
	if maxSkew <= 0 {
		maxSkew = DefaultMaxSkew
	}
	return &Clock{wall: wall, last: hwm, maxSkew: maxSkew}
}

// Now returns a new timestamp greater than every one issued or observed.
func (c *Clock) Now() Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last = next(c.last, c.wall().UnixMilli())
	return c.last
}

// Observe merges a timestamp seen from another node, so later local readings
// come after it. A timestamp more than maxSkew ahead of the local wall clock
// is refused with CodeClockSkew and leaves the clock unchanged: one node's
// bad clock must not drag every other node into the future.
func (c *Clock) Observe(remote Timestamp) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	wall := c.wall()
	if ahead := remote.Time().Sub(wall); ahead > c.maxSkew {
		return &Error{Code: CodeClockSkew, Msg: fmt.Sprintf("remote clock %s ahead", ahead.Round(time.Second))}
	}
	if remote > c.last {
		c.last = remote
	}
	c.last = next(c.last, wall.UnixMilli())
	return nil
}

// Last returns the high-water mark: the greatest timestamp issued or
// observed. Persist it to resume the clock after a restart.
func (c *Clock) Last() Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}

// next returns the smallest timestamp after last that is not behind wallMs.
func next(last Timestamp, wallMs int64) Timestamp {
	if wallMs > last.Millis() {
		return MakeTimestamp(wallMs, 0)
	}
	if last.Logical() == 1<<logicalBits-1 {
		return MakeTimestamp(last.Millis()+1, 0)
	}
	return last + 1
}
