package syncproto_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/syncproto"
)

// fakeWall is a wall clock a test sets by hand.
type fakeWall struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeWall(t time.Time) *fakeWall { return &fakeWall{t: t} }

func (w *fakeWall) Now() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.t
}

func (w *fakeWall) Set(t time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.t = t
}

var (
	day2025 = time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)
	day2030 = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
)

func TestTimestampParts(t *testing.T) {
	tests := []struct {
		name    string
		ms      int64
		logical uint16
		str     string
	}{
		{"epoch", 0, 0, "1970-01-01T00:00:00.000Z+0"},
		{"epoch counter", 0, 7, "1970-01-01T00:00:00.000Z+7"},
		{"2025", day2025.UnixMilli() + 123, 42, "2025-06-01T08:00:00.123Z+42"},
		{"max counter", day2030.UnixMilli(), 0xffff, "2030-01-01T00:00:00.000Z+65535"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := syncproto.MakeTimestamp(tt.ms, tt.logical)
			assert.Equal(t, tt.ms, ts.Millis())
			assert.Equal(t, tt.logical, ts.Logical())
			assert.Equal(t, tt.ms, ts.Time().UnixMilli())
			assert.Equal(t, tt.str, ts.String())
		})
	}
	// Ordering of timestamps is the ordering of (ms, logical).
	assert.Less(t, syncproto.MakeTimestamp(10, 0xffff), syncproto.MakeTimestamp(11, 0))
	assert.Less(t, syncproto.MakeTimestamp(10, 1), syncproto.MakeTimestamp(10, 2))
}

func TestClockFollowsWall(t *testing.T) {
	wall := newFakeWall(day2025)
	c := syncproto.NewClock(wall.Now, 0, 0)

	got := c.Now()
	assert.Equal(t, syncproto.MakeTimestamp(day2025.UnixMilli(), 0), got)
	// Same millisecond: the counter ticks.
	assert.Equal(t, syncproto.MakeTimestamp(day2025.UnixMilli(), 1), c.Now())
	assert.Equal(t, syncproto.MakeTimestamp(day2025.UnixMilli(), 2), c.Now())
	// The wall moves on: back to counter 0 at the new millisecond.
	wall.Set(day2025.Add(time.Second))
	assert.Equal(t, syncproto.MakeTimestamp(day2025.Add(time.Second).UnixMilli(), 0), c.Now())
	assert.Equal(t, syncproto.MakeTimestamp(day2025.Add(time.Second).UnixMilli(), 0), c.Last())
}

func TestClockMonotonicWhateverTheWall(t *testing.T) {
	wall := newFakeWall(day2025)
	c := syncproto.NewClock(wall.Now, 0, 0)
	steps := []struct {
		name string
		wall time.Time
	}{
		{"start", day2025},
		{"same ms", day2025},
		{"back an hour", day2025.Add(-time.Hour)},
		{"1970", time.Unix(0, 0)},
		{"before 1970", time.Unix(-3600, 0)},
		{"zero time", time.Time{}},
		{"forward a little", day2025.Add(time.Millisecond)},
		{"back to 1970 again", time.Unix(0, 0)},
		{"far future", day2030},
		{"back a day", day2030.Add(-24 * time.Hour)},
	}
	prev := c.Last()
	for _, s := range steps {
		wall.Set(s.wall)
		for i := range 3 {
			got := c.Now()
			require.Greater(t, got, prev, "%s, reading %d", s.name, i)
			require.Equal(t, got, c.Last())
			prev = got
		}
	}
	// Once the wall is behind, readings stay on the highest wall seen.
	assert.Equal(t, day2030.UnixMilli(), prev.Millis())
}

func TestNewClockHonoursHighWaterMark(t *testing.T) {
	hwm := syncproto.MakeTimestamp(day2030.UnixMilli(), 7)
	tests := []struct {
		name string
		wall time.Time
		want syncproto.Timestamp
	}{
		{"wall in 1970", time.Unix(0, 0), hwm + 1},
		{"wall before the mark", day2025, hwm + 1},
		{"wall on the mark's ms", day2030, hwm + 1},
		{"wall after the mark", day2030.Add(time.Minute), syncproto.MakeTimestamp(day2030.Add(time.Minute).UnixMilli(), 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := syncproto.NewClock(newFakeWall(tt.wall).Now, hwm, 0)
			assert.Equal(t, hwm, c.Last(), "a fresh clock reports its mark")
			got := c.Now()
			assert.Equal(t, tt.want, got)
			assert.Greater(t, got, hwm)
		})
	}
}

func TestNewClockDefaultsToTimeNow(t *testing.T) {
	before := time.Now().UnixMilli()
	got := syncproto.NewClock(nil, 0, 0).Now()
	after := time.Now().UnixMilli()
	assert.GreaterOrEqual(t, got.Millis(), before)
	assert.LessOrEqual(t, got.Millis(), after)
}

func TestClockCounterOverflowRollsIntoNextMillisecond(t *testing.T) {
	ms := day2025.UnixMilli()
	wall := newFakeWall(day2025)
	c := syncproto.NewClock(wall.Now, syncproto.MakeTimestamp(ms, 0xfffe), 0)

	assert.Equal(t, syncproto.MakeTimestamp(ms, 0xffff), c.Now())
	assert.Equal(t, syncproto.MakeTimestamp(ms+1, 0), c.Now(), "the counter is full: borrow the next ms")
	assert.Equal(t, syncproto.MakeTimestamp(ms+1, 1), c.Now())

	// A whole millisecond's worth of readings with a frozen wall keeps
	// increasing across the rollover.
	c = syncproto.NewClock(wall.Now, 0, 0)
	prev := c.Now()
	for range 1<<16 + 10 {
		got := c.Now()
		require.Greater(t, got, prev)
		prev = got
	}
	assert.Equal(t, syncproto.MakeTimestamp(ms+1, 10), prev)

	// Observe rolls over the same way.
	c = syncproto.NewClock(wall.Now, 0, 0)
	require.NoError(t, c.Observe(syncproto.MakeTimestamp(ms, 0xffff)))
	assert.Equal(t, syncproto.MakeTimestamp(ms+1, 0), c.Last())
}

func TestClockObserve(t *testing.T) {
	const skew = time.Minute
	ms := day2025.UnixMilli()
	tests := []struct {
		name     string
		start    syncproto.Timestamp // the clock's mark before Observe
		remote   syncproto.Timestamp
		wantCode syncproto.Code // CodeOK: merged
		wantLast syncproto.Timestamp
	}{
		{"remote behind", syncproto.MakeTimestamp(ms, 5), syncproto.MakeTimestamp(ms-1000, 9),
			syncproto.CodeOK, syncproto.MakeTimestamp(ms, 6)},
		{"remote equal", syncproto.MakeTimestamp(ms, 5), syncproto.MakeTimestamp(ms, 5),
			syncproto.CodeOK, syncproto.MakeTimestamp(ms, 6)},
		{"remote ahead on the same ms", syncproto.MakeTimestamp(ms, 5), syncproto.MakeTimestamp(ms, 40),
			syncproto.CodeOK, syncproto.MakeTimestamp(ms, 41)},
		{"remote a little ahead", 0, syncproto.MakeTimestamp(ms+30_000, 3),
			syncproto.CodeOK, syncproto.MakeTimestamp(ms+30_000, 4)},
		{"remote exactly max skew ahead", 0, syncproto.MakeTimestamp(ms+skew.Milliseconds(), 0),
			syncproto.CodeOK, syncproto.MakeTimestamp(ms+skew.Milliseconds(), 1)},
		{"remote 1ms past max skew", syncproto.MakeTimestamp(ms, 5), syncproto.MakeTimestamp(ms+skew.Milliseconds()+1, 0),
			syncproto.CodeClockSkew, syncproto.MakeTimestamp(ms, 5)},
		{"remote a year ahead", syncproto.MakeTimestamp(ms, 5), syncproto.MakeTimestamp(ms+365*24*3600*1000, 0),
			syncproto.CodeClockSkew, syncproto.MakeTimestamp(ms, 5)},
		{"remote at the end of time", syncproto.MakeTimestamp(ms, 5), syncproto.Timestamp(1<<64 - 1),
			syncproto.CodeClockSkew, syncproto.MakeTimestamp(ms, 5)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := syncproto.NewClock(newFakeWall(day2025).Now, tt.start, skew)
			err := c.Observe(tt.remote)
			if tt.wantCode == syncproto.CodeOK {
				require.NoError(t, err)
			} else {
				var pe *syncproto.Error
				require.True(t, errors.As(err, &pe), "want *syncproto.Error, got %v", err)
				assert.Equal(t, tt.wantCode, pe.Code)
			}
			assert.Equal(t, tt.wantLast, c.Last())
			got := c.Now()
			assert.Greater(t, got, tt.wantLast)
			if tt.wantCode == syncproto.CodeOK {
				assert.Greater(t, got, tt.remote, "later readings come after what was observed")
			}
		})
	}
}

func TestClockObserveDefaultSkew(t *testing.T) {
	ms := day2025.UnixMilli()
	for _, maxSkew := range []time.Duration{0, -time.Second} {
		c := syncproto.NewClock(newFakeWall(day2025).Now, 0, maxSkew)
		require.NoError(t, c.Observe(syncproto.MakeTimestamp(ms+syncproto.DefaultMaxSkew.Milliseconds(), 0)))
		err := c.Observe(syncproto.MakeTimestamp(ms+syncproto.DefaultMaxSkew.Milliseconds()+1, 0))
		var pe *syncproto.Error
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, syncproto.CodeClockSkew, pe.Code)
	}
}

func TestClockObserveWithWallIn1970(t *testing.T) {
	// A node whose wall is in 1970 but whose mark is recent refuses
	// timestamps near real time as skewed (its wall is the reference), and
	// keeps issuing readings after its mark.
	hwm := syncproto.MakeTimestamp(day2025.UnixMilli(), 0)
	c := syncproto.NewClock(newFakeWall(time.Unix(0, 0)).Now, hwm, 0)
	err := c.Observe(hwm + 10)
	var pe *syncproto.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, syncproto.CodeClockSkew, pe.Code)
	assert.Equal(t, hwm, c.Last())
	assert.Equal(t, hwm+1, c.Now())
}

func TestClockConcurrentReadingsAreUnique(t *testing.T) {
	wall := newFakeWall(day2025)
	c := syncproto.NewClock(wall.Now, 0, 0)
	const workers, each = 8, 500
	got := make([][]syncproto.Timestamp, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				if i%100 == 0 {
					wall.Set(day2025.Add(time.Duration(i) * time.Millisecond))
				}
				if i%7 == 0 {
					_ = c.Observe(syncproto.MakeTimestamp(day2025.UnixMilli(), uint16(i)))
				}
				got[w] = append(got[w], c.Now())
			}
		})
	}
	wg.Wait()
	seen := map[syncproto.Timestamp]bool{}
	for _, ts := range got {
		for i, x := range ts {
			require.False(t, seen[x], "timestamp %s issued twice", x)
			seen[x] = true
			if i > 0 {
				require.Greater(t, x, ts[i-1], "readings of one goroutine increase")
			}
		}
	}
	assert.Len(t, seen, workers*each)
}
