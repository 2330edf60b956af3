package webhook

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDeliverSigned(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{Version: "1.2.3"})
	rc := newReceiver(t, e, "s3cret", nil)
	e.ep.set("ZTO", rc.URL+"/hooks?token=abc", "s3cret")
	e.start()
	e.enqueue(ev("ZTO", "at_station", "ZT100"))
	id := e.id("ZTO", "at_station/ZT100/op1")
	e.waitStatus(id, StatusDelivered, 1)

	d, as := e.get(id)
	reqs := rc.requests()
	require.Len(t, reqs, 1)
	r := reqs[0]
	assert.NoError(t, r.verifyErr)
	assert.Equal(t, []byte(d.Body), r.body, "the body sent is the body stored")
	assert.JSONEq(t, `{"id":"at_station/ZT100/op1","type":"at_station","created_at":"2026-03-14T09:00:00.000Z",
		"data":{"waybill":"ZT100","station":"ST-01"}}`, string(r.body))
	assert.Equal(t, "application/json", r.header.Get("Content-Type"))
	assert.Equal(t, "cunyou-hub/1.2.3", r.header.Get("User-Agent"))
	assert.Equal(t, "at_station", r.header.Get(HeaderEvent))
	assert.Equal(t, strconv.FormatInt(id, 10), r.header.Get(HeaderDelivery))
	assert.Equal(t, strconv.FormatInt(t0.Unix(), 10), r.header.Get(HeaderTimestamp))

	assert.Equal(t, t0, d.Delivered)
	assert.Equal(t, 200, d.LastStatus)
	assert.Empty(t, d.LastError)
	require.Len(t, as, 1)
	assert.Equal(t, Attempt{N: 1, Series: 0, At: t0, Duration: as[0].Duration, URL: rc.URL + "/hooks",
		HTTPStatus: 200, Response: `{"ok":true}`}, as[0], "the token in the query is not kept")
}

func TestRetryAfterServerErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	rc := newReceiver(t, e, "s3cret", answers(500, 500, 200))
	e.ep.set("YTO", rc.URL, "s3cret")
	e.start()
	e.enqueue(ev("YTO", "picked_up", "YT1"))
	id := e.id("YTO", "picked_up/YT1/op1")

	d := e.waitStatus(id, StatusFailed, 1)
	assert.Equal(t, 500, d.LastStatus)
	assert.Contains(t, d.LastError, "500")
	assert.False(t, d.NextAttempt.Before(t0), "next attempt")
	assert.False(t, d.NextAttempt.After(t0.Add(30*time.Second)), "the first backoff is at most 30 s")
	e.retryNow(id)

	now := e.clock.Now()
	d = e.waitStatus(id, StatusFailed, 2)
	assert.False(t, d.NextAttempt.After(now.Add(time.Minute)), "the second backoff is at most 60 s")
	e.retryNow(id)

	d = e.waitStatus(id, StatusDelivered, 3)
	_, as := e.get(id)
	var codes []int
	for _, a := range as {
		codes = append(codes, a.HTTPStatus)
	}
	assert.Equal(t, []int{500, 500, 200}, codes)
	assert.Len(t, rc.requests(), 3)
	for _, r := range rc.requests() {
		assert.NoError(t, r.verifyErr, "every attempt is signed afresh")
		assert.Equal(t, strconv.FormatInt(id, 10), r.header.Get(HeaderDelivery), "the same delivery id on every retry")
	}
}

func TestTimeoutThenRecovers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{Timeout: 100 * time.Millisecond})
	rc := newReceiver(t, e, "s3cret", answers(hang, 200))
	e.ep.set("STO", rc.URL, "s3cret")
	e.start()
	e.enqueue(ev("STO", "problem", "ST9"))
	id := e.id("STO", "problem/ST9/op1")

	d := e.waitStatus(id, StatusFailed, 1)
	assert.Equal(t, 0, d.LastStatus, "no answer")
	assert.Equal(t, "no answer within 100ms", d.LastError)
	e.retryNow(id)
	e.waitStatus(id, StatusDelivered, 2)
}

func TestConnectionRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	rc := newReceiver(t, e, "s3cret", nil)
	url := rc.URL
	rc.Close() // nobody listens there any more
	e.ep.set("JD", url, "s3cret")
	e.start()
	e.enqueue(ev("JD", "returned", "JD1"))
	d := e.waitStatus(e.id("JD", "returned/JD1/op1"), StatusFailed, 1)
	assert.Contains(t, d.LastError, "connection refused")
	assert.NotContains(t, d.LastError, "POST", "the error names no URL")
}

func TestGoneIsDead(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	rc := newReceiver(t, e, "s3cret", answers(http.StatusGone))
	e.ep.set("SF", rc.URL, "s3cret")
	e.start()
	e.enqueue(ev("SF", "handed_over", "SF1"))
	d := e.waitStatus(e.id("SF", "handed_over/SF1/op1"), StatusDead, 1)
	assert.Equal(t, 410, d.LastStatus)
	assert.Contains(t, d.LastError, "410 Gone")
	assert.True(t, d.NextAttempt.IsZero())
	st, err := e.d.Stats(e.ctx)
	require.NoError(t, err)
	assert.Equal(t, 0, st.Counts[StatusPending]+st.Counts[StatusFailed], "nothing left to send")
	assert.Len(t, rc.requests(), 1)
}

func TestGiveUpAfterWindow(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	rc := newReceiver(t, e, "s3cret", func(received) int { return http.StatusBadGateway })
	e.ep.set("YD", rc.URL, "s3cret")
	e.start()
	e.enqueue(ev("YD", "at_station", "YD1"))
	id := e.id("YD", "at_station/YD1/op1")
	for n := 1; ; n++ {
		e.waitFor(fmt.Sprintf("attempt %d", n), func() bool { d, _ := e.get(id); return d.Attempts >= n })
		if d, _ := e.get(id); d.Status == StatusDead {
			break
		}
		require.Less(t, n, 200, "never gave up")
		e.retryNow(id)
	}
	d, as := e.get(id)
	assert.Contains(t, d.LastError, "gave up after")
	assert.Contains(t, d.LastError, "502 Bad Gateway")
	deadline := t0.Add(24 * time.Hour)
	last := as[len(as)-1]
	assert.Equal(t, deadline, last.At, "the last attempt is at the end of the window")
	for i := 1; i < len(as); i++ {
		gap := as[i].At.Sub(as[i-1].At)
		assert.LessOrEqual(t, gap, time.Hour, "backoff is capped at 1 h")
	}
	assert.Greater(t, len(as), 24, "a day of retries")
	assert.Len(t, rc.requests(), len(as))
}

func TestPerCarrierOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{Concurrency: 4})
	// ZTO's receiver is down for its first request: the others wait behind
	// the failed one, then all go in order.
	zto := newReceiver(t, e, "a", answers(http.StatusServiceUnavailable))
	yto := newReceiver(t, e, "b", nil)
	e.ep.set("ZTO", zto.URL, "a")
	e.ep.set("YTO", yto.URL, "b")
	e.start()
	var want []string
	var evs []Event
	for i := range 15 {
		w := fmt.Sprintf("W%02d", i)
		evs = append(evs, ev("ZTO", "at_station", w), ev("YTO", "at_station", w))
		want = append(want, "at_station/"+w+"/op1")
	}
	e.enqueue(evs...)
	first := e.id("ZTO", want[0])
	e.waitStatus(first, StatusFailed, 1)
	e.waitFor("YTO delivered", func() bool { return len(yto.requests()) == 15 })
	assert.Equal(t, []string{want[0]}, zto.ids(), "the rest of ZTO waits behind the failed delivery")

	e.retryNow(first)
	e.waitFor("ZTO delivered", func() bool {
		st, err := e.d.Stats(e.ctx)
		require.NoError(t, err)
		return st.Carriers["ZTO"].Counts[StatusDelivered] == 15
	})
	assert.Equal(t, append([]string{want[0]}, want...), zto.ids())
	assert.Equal(t, want, yto.ids())
	assert.Equal(t, 1, zto.maxInflight, "one request in flight per carrier")
	assert.Equal(t, 1, yto.maxInflight, "one request in flight per carrier")
}

func TestRejectedEventDoesNotHoldTheLine(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	rc := newReceiver(t, e, "s3cret", func(r received) int {
		if r.id == "problem/P0/op1" {
			return http.StatusUnprocessableEntity
		}
		return http.StatusOK
	})
	e.ep.set("JT", rc.URL, "s3cret")
	e.start()
	e.enqueue(ev("JT", "problem", "P0"), ev("JT", "problem", "P1"), ev("JT", "problem", "P2"))
	e.waitStatus(e.id("JT", "problem/P2/op1"), StatusDelivered, 1)
	d, _ := e.get(e.id("JT", "problem/P0/op1"))
	assert.Equal(t, StatusFailed, d.Status, "retried later")
	assert.Equal(t, 422, d.LastStatus)
	assert.Equal(t, []string{"problem/P0/op1", "problem/P1/op1", "problem/P2/op1"}, rc.ids())
}

func TestEnqueueOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	rc := newReceiver(t, e, "s3cret", nil)
	e.ep.set("EMS", rc.URL, "s3cret")
	a := ev("EMS", "at_station", "E1")
	e.enqueue(a)
	e.enqueue(a) // the merge ran again
	again := a
	again.Data = map[string]any{"waybill": "E1", "note": "other"}
	e.enqueue(again) // same id: the first body stays
	e.enqueue(ev("NOBODY", "at_station", "N1"))

	// A rolled back transaction leaves nothing.
	err := e.st.Write(e.ctx, func(tx *sql.Tx) error {
		require.NoError(t, e.d.Enqueue(e.ctx, tx, ev("EMS", "picked_up", "E1")))
		return fmt.Errorf("the fact did not commit")
	})
	require.Error(t, err)

	list, err := e.d.List(e.ctx, Filter{})
	require.NoError(t, err)
	require.Len(t, list, 1, "one delivery, none for a carrier without endpoint, none rolled back")

	e.start()
	e.waitStatus(list[0].ID, StatusDelivered, 1)
	e.enqueue(a) // even after delivery
	d, _ := e.get(list[0].ID)
	assert.Equal(t, StatusDelivered, d.Status, "not queued again")
	assert.Equal(t, 1, d.Attempts)
	assert.NotContains(t, string(d.Body), "other")
	list, err = e.d.List(e.ctx, Filter{})
	require.NoError(t, err)
	assert.Len(t, list, 1)
	assert.Len(t, rc.requests(), 1)
}

func TestEnqueueInvalid(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	e.ep.set("ZTO", "http://127.0.0.1:1/", "s")
	good := ev("ZTO", "at_station", "W1")
	for name, mod := range map[string]func(*Event){
		"no id":          func(ev *Event) { ev.ID = "" },
		"no carrier":     func(ev *Event) { ev.Carrier = "" },
		"kind in header": func(ev *Event) { ev.Kind = "at_station\r\nX-Evil: 1" },
		"no time":        func(ev *Event) { ev.OccurredAt = time.Time{} },
		"data an array":  func(ev *Event) { ev.Data = []int{1} },
		"data unencodable": func(ev *Event) {
			ev.Data = map[string]any{"f": func() {}}
		},
	} {
		t.Run(name, func(t *testing.T) {
			bad := good
			mod(&bad)
			err := e.st.Write(e.ctx, func(tx *sql.Tx) error { return e.d.Enqueue(e.ctx, tx, bad) })
			assert.ErrorIs(t, err, ErrInvalid)
		})
	}
	nodata := good
	nodata.Data = nil
	b, err := nodata.Body()
	require.NoError(t, err)
	assert.Equal(t, `{"id":"at_station/W1/op1","type":"at_station","created_at":"2026-03-14T09:00:00.000Z","data":{}}`, string(b))
	raw := good
	raw.Data = json.RawMessage(` {"a": "<b>"} `)
	b, err = raw.Body()
	require.NoError(t, err)
	assert.Equal(t, `{"id":"at_station/W1/op1","type":"at_station","created_at":"2026-03-14T09:00:00.000Z","data":{"a":"<b>"}}`, string(b))
}

func TestEndpointChangedAndRemoved(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	old := newReceiver(t, e, "old", func(received) int { return http.StatusInternalServerError })
	moved := newReceiver(t, e, "new", nil)
	e.ep.set("ZTO", old.URL, "old")
	e.ep.set("YTO", moved.URL, "new")
	e.start()
	e.enqueue(ev("ZTO", "at_station", "Z1"), ev("YTO", "at_station", "Y1"))
	z := e.id("ZTO", "at_station/Z1/op1")
	e.waitStatus(z, StatusFailed, 1)

	// The carrier moved its endpoint and rotated its secret: the next
	// attempt goes to the new place, signed with the new secret.
	e.ep.set("ZTO", moved.URL, "new")
	e.retryNow(z)
	e.waitStatus(z, StatusDelivered, 2)
	assert.Len(t, old.requests(), 1)

	// The carrier's endpoint is removed: what is queued for it dies.
	y := e.id("YTO", "at_station/Y1/op1")
	e.waitStatus(y, StatusDelivered, 1)
	e.ep.remove("YTO")
	e.enqueue(ev("YTO", "picked_up", "Y1")) // not queued: no endpoint
	require.NoError(t, e.d.Replay(e.ctx, y))
	d := e.waitStatus(y, StatusDead, 2)
	assert.Equal(t, "carrier YTO has no webhook endpoint any more", d.LastError)
	for _, r := range moved.requests() {
		assert.NoError(t, r.verifyErr)
	}
	list, err := e.d.List(e.ctx, Filter{Carrier: "YTO"})
	require.NoError(t, err)
	assert.Len(t, list, 1)
}

func TestRestartLosesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	rc := newReceiver(t, e, "s3cret", func(r received) int {
		if r.n == 3 {
			return hang // in flight when the hub stops
		}
		return http.StatusOK
	})
	e.ep.set("ZTO", rc.URL, "s3cret")
	e.start()
	var evs []Event
	for i := range 6 {
		evs = append(evs, ev("ZTO", "at_station", fmt.Sprintf("W%d", i)))
	}
	e.enqueue(evs...)
	e.waitFor("the third request", func() bool { return len(rc.requests()) == 3 })

	e.restart() // stops the dispatcher mid-request, reopens the store
	third := e.id("ZTO", "at_station/W2/op1")
	e.waitFor("all delivered", func() bool {
		list, err := e.d.List(e.ctx, Filter{Status: StatusDelivered})
		require.NoError(t, err)
		return len(list) == 6
	})
	_, as := e.get(third)
	require.Len(t, as, 2)
	assert.Equal(t, "interrupted: the dispatcher stopped", as[0].Error)
	assert.Equal(t, 200, as[1].HTTPStatus)
	// At least once: the interrupted one came twice, in order, nothing lost.
	assert.Equal(t, []string{"at_station/W0/op1", "at_station/W1/op1", "at_station/W2/op1", "at_station/W2/op1",
		"at_station/W3/op1", "at_station/W4/op1", "at_station/W5/op1"}, rc.ids())
}

func TestCrashedAttemptIsRetried(t *testing.T) {
	t.Parallel()
	// A process killed mid-attempt recorded nothing: the delivery is as it
	// was before the attempt, and the next process sends it.
	e := newEnv(t, Options{})
	rc := newReceiver(t, e, "s3cret", nil)
	e.ep.set("ZTO", rc.URL, "s3cret")
	e.enqueue(ev("ZTO", "at_station", "W1"))
	e.clock.Advance(3 * time.Hour) // the hub was down for a while
	e.restart()
	d := e.waitStatus(e.id("ZTO", "at_station/W1/op1"), StatusDelivered, 1)
	assert.Equal(t, t0, d.Created)
}

func TestReplay(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	rc := newReceiver(t, e, "s3cret", answers(200, http.StatusGone))
	e.ep.set("ZTO", rc.URL, "s3cret")
	e.start()
	e.enqueue(ev("ZTO", "at_station", "W1"), ev("ZTO", "picked_up", "W1"))
	a, b := e.id("ZTO", "at_station/W1/op1"), e.id("ZTO", "picked_up/W1/op1")
	e.waitStatus(a, StatusDelivered, 1)
	e.waitStatus(b, StatusDead, 1)

	e.clock.Advance(48 * time.Hour)
	require.NoError(t, e.d.Replay(e.ctx, a), "replay a delivered one")
	require.NoError(t, e.d.Replay(e.ctx, b), "replay a dead one")
	da := e.waitStatus(a, StatusDelivered, 2)
	db := e.waitStatus(b, StatusDelivered, 2)
	assert.Equal(t, 1, da.Series)
	assert.Equal(t, t0.Add(48*time.Hour), da.SeriesStarted)
	assert.Equal(t, t0.Add(48*time.Hour), db.Delivered)
	_, as := e.get(b)
	require.Len(t, as, 2)
	assert.Equal(t, []int{0, 1}, []int{as[0].Series, as[1].Series})
	assert.Equal(t, []int{410, 200}, []int{as[0].HTTPStatus, as[1].HTTPStatus})

	reqs := rc.requests()
	require.Len(t, reqs, 4)
	assert.Equal(t, reqs[0].body, reqs[2].body, "the same event, byte for byte")
	assert.Equal(t, reqs[0].header.Get(HeaderDelivery), reqs[2].header.Get(HeaderDelivery))
	assert.NoError(t, reqs[2].verifyErr, "signed at the replay's time")

	e.stop()
	e.enqueue(ev("ZTO", "returned", "W1"))
	assert.ErrorIs(t, e.d.Replay(e.ctx, e.id("ZTO", "returned/W1/op1")), ErrQueued)
	assert.ErrorIs(t, e.d.Replay(e.ctx, 999), ErrNotFound)
}

func TestReplayedWindowCountsFromReplay(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{RetryWindow: time.Hour, RetryBase: time.Minute})
	rc := newReceiver(t, e, "s3cret", func(received) int { return 500 })
	e.ep.set("ZTO", rc.URL, "s3cret")
	e.start()
	e.enqueue(ev("ZTO", "at_station", "W1"))
	id := e.id("ZTO", "at_station/W1/op1")
	e.waitStatus(id, StatusFailed, 1)
	e.clock.Advance(2 * time.Hour)
	e.retryNow(id)
	e.waitStatus(id, StatusDead, 2)

	require.NoError(t, e.d.Replay(e.ctx, id))
	d := e.waitStatus(id, StatusFailed, 3)
	assert.Equal(t, 1, d.Series)
	assert.False(t, d.NextAttempt.After(e.clock.Now().Add(time.Minute)), "backoff starts over")
}

func TestRunTwice(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	e.start()
	e.waitFor("running", e.d.running.Load)
	assert.ErrorIs(t, e.d.Run(context.Background()), ErrRunning)
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	for n := 1; n <= 12; n++ {
		ceiling := min(30*time.Second<<(n-1), time.Hour)
		for range 50 {
			b := backoff(n, 30*time.Second, time.Hour)
			assert.GreaterOrEqual(t, b, time.Duration(0))
			assert.LessOrEqual(t, b, ceiling, "attempt %d", n)
		}
	}
	assert.Equal(t, 120*time.Second, parseRetryAfter("120", t0))
	assert.Equal(t, 90*time.Second, parseRetryAfter(t0.Add(90*time.Second).Format(http.TimeFormat), t0))
	assert.Zero(t, parseRetryAfter("soon", t0))
}

func TestReplayWhileInFlight(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	inside, release := make(chan struct{}), make(chan struct{})
	rc := newReceiver(t, e, "s3cret", func(r received) int {
		switch r.n {
		case 1:
			return http.StatusInternalServerError
		case 2:
			close(inside)
			<-release
		}
		return http.StatusOK
	})
	e.ep.set("ZTO", rc.URL, "s3cret")
	e.start()
	e.enqueue(ev("ZTO", "at_station", "W1"))
	id := e.id("ZTO", "at_station/W1/op1")
	e.waitStatus(id, StatusFailed, 1)
	e.retryNow(id)
	<-inside
	require.NoError(t, e.d.Replay(e.ctx, id), "a failed delivery can be sent again now")
	close(release)

	// The answer to the old series is logged; the replay still goes out.
	d := e.waitStatus(id, StatusDelivered, 3)
	assert.Equal(t, 1, d.Series)
	_, as := e.get(id)
	require.Len(t, as, 3)
	assert.Equal(t, []int{0, 0, 1}, []int{as[0].Series, as[1].Series, as[2].Series})
	assert.Equal(t, []int{500, 200, 200}, []int{as[0].HTTPStatus, as[1].HTTPStatus, as[2].HTTPStatus})
}
