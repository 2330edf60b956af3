package chaos

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRefuseNonLoopbackUpstream(t *testing.T) {
	tests := []struct {
		upstream string
		ok       bool
	}{
		{"http://127.0.0.1:8080", true},
		{"http://127.9.8.7:1", true},
		{"http://[::1]:8080", true},
		{"http://127.0.0.1:8080/prefix", true},
		{"http://10.0.0.1:80", false},
		{"http://192.168.1.1:80", false},
		{"http://0.0.0.0:80", false},
		{"http://[::]:80", false},
		{"http://[::ffff:10.0.0.1]:80", false},
		{"http://example.com:80", false},
		{"http://localhost:8080", false},
		{"https://127.0.0.1:8443", false},
		{"127.0.0.1:8080", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.upstream, func(t *testing.T) {
			p, err := New(Config{Upstream: tt.upstream})
			if tt.ok {
				require.NoError(t, err)
				require.NoError(t, p.Close())
				return
			}
			require.ErrorIs(t, err, ErrNotLoopback)
			assert.Nil(t, p)
		})
	}
	_, err := New(Config{Upstream: "http://127.0.0.1"})
	assert.ErrorIs(t, err, ErrNotLoopback)
	assert.ErrorContains(t, err, "no port")
}

func TestDialRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"192.0.2.1:80", "[2001:db8::1]:80", "example.com:80"} {
		_, err := dialLoopback(context.Background(), "tcp", addr)
		assert.ErrorIs(t, err, ErrNotLoopback, addr)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		f     Faults
		field string // "" when valid
	}{
		{"healthy", Faults{}, ""},
		{"all", Faults{DropRequest: 1, DropResponse: 0.5, Truncate: 0.1, Delay: 1, MaxDelay: time.Second,
			Duplicate: 0.2, Reorder: 0.3, ReorderHold: time.Second, BitsPerSecond: 1e6, CutEvery: time.Second}, ""},
		{"probability above 1", Faults{Truncate: 1.5}, "Truncate"},
		{"negative probability", Faults{Duplicate: -0.1}, "Duplicate"},
		{"NaN", Faults{DropResponse: math.NaN()}, "DropResponse"},
		{"delay without MaxDelay", Faults{Delay: 0.5}, "MaxDelay"},
		{"reorder without hold", Faults{Reorder: 0.5}, "ReorderHold"},
		{"negative bandwidth", Faults{BitsPerSecond: -1}, "BitsPerSecond"},
		{"negative cut", Faults{CutEvery: -time.Second}, "CutEvery"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.f.Validate()
			if tt.field == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrInvalidFaults)
			assert.Contains(t, err.Error(), tt.field)
		})
	}
}

func TestDecideIsAFunctionOfSeedAndNumber(t *testing.T) {
	f := Faults{DropRequest: 0.1, DropResponse: 0.1, Truncate: 0.1, Delay: 0.2, MaxDelay: time.Second,
		Duplicate: 0.1, Reorder: 0.1, ReorderHold: time.Second}
	var a, b, c []Decision
	for seq := uint64(1); seq <= 1000; seq++ {
		a = append(a, Decide(42, seq, f))
		b = append(b, Decide(42, seq, f))
		c = append(c, Decide(43, seq, f))
	}
	assert.Equal(t, a, b)
	assert.NotEqual(t, a, c)
	// Out of order, one at a time: the same.
	assert.Equal(t, a[499], Decide(42, 500, f))
}

func TestDecideRates(t *testing.T) {
	f := Faults{DropRequest: 0.3}
	const n = 10_000
	dropped := 0
	for seq := uint64(1); seq <= n; seq++ {
		if Decide(1, seq, f).DropRequest {
			dropped++
		}
	}
	assert.InDelta(t, 0.3*n, dropped, 0.03*n)
}

func TestDecideKnobsDoNotMoveEachOther(t *testing.T) {
	only := Faults{DropResponse: 0.3}
	more := Faults{DropResponse: 0.3, Delay: 0.5, MaxDelay: time.Second, Reorder: 0.5, ReorderHold: time.Second, Duplicate: 0.5}
	for seq := uint64(1); seq <= 1000; seq++ {
		a, b := Decide(7, seq, only), Decide(7, seq, more)
		require.Equal(t, a.DropResponse, b.DropResponse, "request %d", seq)
		require.Equal(t, a.CutAt, b.CutAt, "request %d", seq)
	}
}

func TestDecisionPrecedence(t *testing.T) {
	all := Faults{DropRequest: 1, DropResponse: 1, Truncate: 1, Duplicate: 1}
	d := Decide(1, 1, all)
	assert.True(t, d.DropRequest)
	assert.False(t, d.Duplicate || d.DropResponse || d.Truncate, "nothing happens after a dropped request")

	d = Decide(1, 1, Faults{DropResponse: 1, Truncate: 1})
	assert.True(t, d.DropResponse)
	assert.False(t, d.Truncate)
	assert.Contains(t, d.String(), "drop-response")
	assert.Equal(t, "#3 clean", Decide(1, 3, Faults{}).String())
}
