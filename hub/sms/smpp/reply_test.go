package smpp

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A receiver's reply (TD) reaches the gateway's inbox.
func TestReplies(t *testing.T) {
	sim, err := NewSimulator(SimOptions{SystemID: "u", Password: "p"})
	require.NoError(t, err)
	defer sim.Close()
	g, err := New(Options{Addr: sim.Addr(), SystemID: "u", Password: "p"})
	require.NoError(t, err)
	defer g.Close()
	sim.Reply("13912345678", "TD")
	sim.Reply("13800001111", "谢谢，明天去取")
	var got []string
	require.Eventually(t, func() bool {
		rs, err := g.Replies(context.Background(), 10)
		require.NoError(t, err)
		for _, r := range rs {
			got = append(got, r.Phone+" "+r.Text)
		}
		return len(got) == 2
	}, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, []string{"13912345678 TD", "13800001111 谢谢，明天去取"}, got)
	rs, err := g.Replies(context.Background(), 10)
	require.NoError(t, err)
	assert.Empty(t, rs, "each reply once")
}
