package chaos

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestBucket(t *testing.T) {
	t0 := time.Unix(1000, 0)
	const bps = 1_000_000 // 125,000 bytes a second
	tests := []struct {
		name string
		at   time.Duration // since t0
		n    int
		want time.Duration
	}{
		{"idle link: the burst is free", 0, 125_000, time.Second - burst},
		{"busy link: queued behind", 0, 12_500, time.Second - burst + 100*time.Millisecond},
		{"later, still busy", 500 * time.Millisecond, 12_500, 700*time.Millisecond - burst},
		{"idle again", 10 * time.Second, 1250, 10*time.Millisecond - burst},
	}
	var b bucket
	for _, tt := range tests {
		got := b.reserve(t0.Add(tt.at), tt.n, bps)
		assert.Equal(t, max(tt.want, 0), got, tt.name)
	}
	assert.Zero(t, b.reserve(t0, 1<<20, 0), "0 is unlimited")
}

func TestChunkSize(t *testing.T) {
	assert.Equal(t, 64<<10, chunkSize(0))
	assert.Equal(t, 256, chunkSize(8000))
	assert.Equal(t, 2500, chunkSize(1_000_000))
	assert.Equal(t, 16<<10, chunkSize(1_000_000_000))
}
