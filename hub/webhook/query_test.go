package webhook

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fill queues deliveries for two carriers and brings them to known
// statuses: ZTO W0..W5 delivered but W1 dead (410), YTO W0..W2 failing.
func fill(t *testing.T) *env {
	t.Helper()
	e := newEnv(t, Options{})
	zto := newReceiver(t, e, "a", func(r received) int {
		if r.id == "at_station/W1/op1" {
			return http.StatusGone
		}
		return http.StatusOK
	})
	yto := newReceiver(t, e, "b", func(received) int { return http.StatusInternalServerError })
	e.ep.set("ZTO", zto.URL, "a")
	e.ep.set("YTO", yto.URL, "b")
	for i := range 6 {
		e.enqueue(ev("ZTO", "at_station", fmt.Sprintf("W%d", i)))
		e.clock.Advance(time.Minute)
	}
	for i := range 3 {
		e.enqueue(ev("YTO", "at_station", fmt.Sprintf("W%d", i)))
	}
	e.start()
	e.waitFor("ZTO done", func() bool { return len(zto.requests()) == 6 })
	// The receiver has them all; wait for the dispatcher to record each
	// answer before stopping it, or the last would be "interrupted".
	for i := range 6 {
		want := StatusDelivered
		if i == 1 {
			want = StatusDead
		}
		e.waitStatus(e.id("ZTO", fmt.Sprintf("at_station/W%d/op1", i)), want, 1)
	}
	e.waitStatus(e.id("YTO", "at_station/W0/op1"), StatusFailed, 1)
	e.stop()
	return e
}

func ids(ds []Delivery) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Carrier+":"+d.Waybill+":"+string(d.Status))
	}
	return out
}

func TestList(t *testing.T) {
	t.Parallel()
	e := fill(t)
	tests := []struct {
		name string
		f    Filter
		want []string
	}{
		{"everything, newest first", Filter{}, []string{"YTO:W2:pending", "YTO:W1:pending", "YTO:W0:failed",
			"ZTO:W5:delivered", "ZTO:W4:delivered", "ZTO:W3:delivered", "ZTO:W2:delivered", "ZTO:W1:dead", "ZTO:W0:delivered"}},
		{"a carrier", Filter{Carrier: "ZTO", Limit: 3}, []string{"ZTO:W5:delivered", "ZTO:W4:delivered", "ZTO:W3:delivered"}},
		{"a carrier, the next page", Filter{Carrier: "ZTO", Limit: 3, Before: e.id("ZTO", "at_station/W3/op1")},
			[]string{"ZTO:W2:delivered", "ZTO:W1:dead", "ZTO:W0:delivered"}},
		{"a carrier's dead", Filter{Carrier: "ZTO", Status: StatusDead}, []string{"ZTO:W1:dead"}},
		{"all failed", Filter{Status: StatusFailed}, []string{"YTO:W0:failed"}},
		{"a waybill", Filter{Waybill: "W1"}, []string{"YTO:W1:pending", "ZTO:W1:dead"}},
		{"a waybill and carrier", Filter{Waybill: "W1", Carrier: "YTO"}, []string{"YTO:W1:pending"}},
		{"nothing", Filter{Carrier: "SF"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.d.List(e.ctx, tt.f)
			require.NoError(t, err)
			assert.Equal(t, tt.want, ids(got))
			for _, d := range got {
				assert.Nil(t, d.Body, "List leaves bodies out")
			}
		})
	}
	_, err := e.d.List(e.ctx, Filter{Status: "lost"})
	assert.ErrorIs(t, err, ErrInvalid)

	d, as, err := e.d.Get(e.ctx, e.id("ZTO", "at_station/W1/op1"))
	require.NoError(t, err)
	assert.Equal(t, StatusDead, d.Status)
	assert.Equal(t, t0.Add(time.Minute), d.Created)
	assert.JSONEq(t, `{"id":"at_station/W1/op1","type":"at_station","created_at":"2026-03-14T09:00:00.000Z",
		"data":{"waybill":"W1","station":"ST-01"}}`, string(d.Body))
	require.Len(t, as, 1)
	assert.Equal(t, 410, as[0].HTTPStatus)
	_, _, err = e.d.Get(e.ctx, 12345)
	assert.ErrorIs(t, err, ErrNotFound)
}

func TestStats(t *testing.T) {
	t.Parallel()
	e := fill(t)
	e.clock.Advance(10 * time.Minute)
	st, err := e.d.Stats(e.ctx)
	require.NoError(t, err)
	assert.Equal(t, map[Status]int{StatusPending: 2, StatusFailed: 1, StatusDelivered: 5, StatusDead: 1}, st.Counts)
	assert.Equal(t, 10*time.Minute, st.OldestPending, "YTO's were queued at t0+6m")
	assert.Equal(t, map[Status]int{StatusPending: 2, StatusFailed: 1, StatusDelivered: 0, StatusDead: 0}, st.Carriers["YTO"].Counts)
	assert.Equal(t, map[Status]int{StatusPending: 0, StatusFailed: 0, StatusDelivered: 5, StatusDead: 1}, st.Carriers["ZTO"].Counts)
	assert.Zero(t, st.Carriers["ZTO"].OldestPending)

	empty := newEnv(t, Options{})
	st, err = empty.d.Stats(empty.ctx)
	require.NoError(t, err)
	assert.Equal(t, map[Status]int{StatusPending: 0, StatusFailed: 0, StatusDelivered: 0, StatusDead: 0}, st.Counts)
}

func TestPrune(t *testing.T) {
	t.Parallel()
	e := fill(t)
	// ZTO W0..W2 were queued before t0+3m; YTO's are still queued.
	n, err := e.d.Prune(e.ctx, t0.Add(3*time.Minute))
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	got, err := e.d.List(e.ctx, Filter{})
	require.NoError(t, err)
	assert.Equal(t, []string{"YTO:W2:pending", "YTO:W1:pending", "YTO:W0:failed",
		"ZTO:W5:delivered", "ZTO:W4:delivered", "ZTO:W3:delivered"}, ids(got))
	var attempts int
	require.NoError(t, e.st.DB().QueryRow("SELECT COUNT(*) FROM webhook_attempts").Scan(&attempts))
	assert.Equal(t, 4, attempts, "ZTO W3..W5 and YTO W0")

	n, err = e.d.Prune(e.ctx, t0.Add(24*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, 3, n, "never a queued one")
}
