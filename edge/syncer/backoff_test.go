package syncer

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBackoffFullJitter(t *testing.T) {
	b := backoff{min: time.Second, max: 5 * time.Minute}
	for range 200 {
		b.reset()
		for i := range 20 {
			ceil := min(b.max, b.min<<i)
			got := b.next(0)
			require.GreaterOrEqual(t, got, b.min/2, "failure %d", i+1)
			require.LessOrEqual(t, got, ceil, "failure %d", i+1)
		}
	}
	b.reset()
	assert.Equal(t, 10*time.Minute, b.next(10*time.Minute), "the hub's Retry-After is a floor, also above the ceiling")
	b.failures = 1000
	got := b.next(0)
	assert.True(t, got >= b.min/2 && got <= b.max, "after 1000 failures the wait is %s", got)
}

func TestCallTimeoutShrinksForSmallBatches(t *testing.T) {
	s := &Syncer{o: Options{CallTimeout: 40 * time.Second}}
	tests := []struct {
		ops  int
		want time.Duration
	}{
		{0, 10 * time.Second},
		{MinBatch, 10*time.Second + 30*time.Second*MinBatch/MaxBatch},
		{MaxBatch, 40 * time.Second},
		{2 * MaxBatch, 40 * time.Second},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, s.callTimeout(tt.ops), "%d ops", tt.ops)
	}
}
