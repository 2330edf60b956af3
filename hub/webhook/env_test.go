package webhook

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cunyou/hub/store"
)

var t0 = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)

// clock is the injected wall clock: tests move it, never wait for it.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// endpoints is a carrier → (URL, secret) table that tests change.
type endpoints struct {
	mu sync.Mutex
	m  map[string][2]string
}

func (e *endpoints) Endpoint(_ context.Context, carrier string) (string, string, bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	v, ok := e.m[carrier]
	return v[0], v[1], ok, nil
}

func (e *endpoints) set(carrier, url, secret string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.m == nil {
		e.m = map[string][2]string{}
	}
	e.m[carrier] = [2]string{url, secret}
}

func (e *endpoints) remove(carrier string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.m, carrier)
}

// env is a hub store in a temporary folder with a dispatcher over it.
type env struct {
	t     testing.TB
	ctx   context.Context
	dir   string
	clock *clock
	st    *store.Store
	ep    *endpoints
	o     Options
	d     *Dispatcher
	stop  func() // stops the running dispatcher; nil when none runs
}

func newEnv(t testing.TB, o Options) *env {
	t.Helper()
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	e := &env{t: t, ctx: context.Background(), dir: t.TempDir(), clock: &clock{t: t0}, ep: &endpoints{}, o: o}
	e.open()
	return e
}

// open opens the store and makes a new Dispatcher over it, as a hub
// process does at start.
func (e *env) open() {
	e.t.Helper()
	st, err := store.Open(e.ctx, e.dir, store.Options{Now: e.clock.Now})
	require.NoError(e.t, err)
	e.st = st
	e.t.Cleanup(func() { st.Close() })
	e.d = New(st, e.ep, e.o)
}

// start runs the dispatcher until stop or the end of the test.
func (e *env) start() {
	e.t.Helper()
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error, 1)
	d := e.d
	go func() { done <- d.Run(ctx) }()
	var once sync.Once
	e.stop = func() {
		once.Do(func() {
			cancel()
			require.NoError(e.t, <-done)
		})
	}
	e.t.Cleanup(e.stop)
}

// restart stops the dispatcher, closes the store, opens it again and
// starts a new dispatcher: a hub process restarted.
func (e *env) restart() {
	e.t.Helper()
	if e.stop != nil {
		e.stop()
	}
	require.NoError(e.t, e.st.Close())
	e.open()
	e.start()
}

func (e *env) enqueue(evs ...Event) {
	e.t.Helper()
	require.NoError(e.t, e.st.Write(e.ctx, func(tx *sql.Tx) error {
		for _, ev := range evs {
			if err := e.d.Enqueue(e.ctx, tx, ev); err != nil {
				return err
			}
		}
		return nil
	}))
	e.d.Notify()
}

// waitFor polls cond until it holds; the deadline only guards against a
// hang, it is no timing assertion.
func (e *env) waitFor(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (e *env) get(id int64) (Delivery, []Attempt) {
	e.t.Helper()
	d, as, err := e.d.Get(e.ctx, id)
	require.NoError(e.t, err)
	return d, as
}

// id returns the delivery id of a carrier's event.
func (e *env) id(carrier, eventID string) int64 {
	e.t.Helper()
	var id int64
	require.NoError(e.t, e.st.DB().QueryRow("SELECT id FROM webhook_deliveries WHERE carrier = ? AND event_id = ?",
		carrier, eventID).Scan(&id))
	return id
}

// waitStatus waits until delivery id has status s after at least n attempts.
func (e *env) waitStatus(id int64, s Status, n int) Delivery {
	e.t.Helper()
	var d Delivery
	e.waitFor("delivery "+strconv.FormatInt(id, 10)+" "+string(s), func() bool {
		d, _ = e.get(id)
		return d.Status == s && d.Attempts >= n
	})
	return d
}

// retryNow moves the clock to delivery id's next attempt and wakes the
// dispatcher.
func (e *env) retryNow(id int64) {
	e.t.Helper()
	d, _ := e.get(id)
	require.False(e.t, d.NextAttempt.IsZero(), "delivery %d is not queued", id)
	if d.NextAttempt.After(e.clock.Now()) {
		e.clock.Set(d.NextAttempt)
	}
	e.d.Notify()
}

// ev is an event for carrier with a made-up id.
func ev(carrier, kind, waybill string) Event {
	return Event{
		ID: kind + "/" + waybill + "/op1", Carrier: carrier, Kind: kind, Waybill: waybill,
		OccurredAt: t0, Data: map[string]any{"waybill": waybill, "station": "ST-01"},
	}
}

// received is one request a receiver got.
type received struct {
	n         int // 1, 2, … in order of arrival
	header    http.Header
	body      []byte
	id        string // the body's id
	verifyErr error
}

// hang, as an answer, keeps the request open until the client gives up.
const hang = -1

// receiver is a carrier's webhook endpoint: a real HTTP server that checks
// every request with Verify and answers as answer says.
type receiver struct {
	*httptest.Server
	secret string
	clock  *clock
	answer func(r received) int

	mu          sync.Mutex
	got         []received
	inflight    int
	maxInflight int
}

func newReceiver(t *testing.T, e *env, secret string, answer func(r received) int) *receiver {
	t.Helper()
	rc := &receiver{secret: secret, clock: e.clock, answer: answer}
	rc.Server = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	var env struct{ ID string }
	json.Unmarshal(body, &env)
	rc.mu.Lock()
	rc.inflight++
	rc.maxInflight = max(rc.maxInflight, rc.inflight)
	got := received{n: len(rc.got) + 1, header: r.Header.Clone(), body: body, id: env.ID,
		verifyErr: Verify(rc.secret, r.Header, body, rc.clock.Now(), 0)}
	rc.got = append(rc.got, got)
	rc.mu.Unlock()
	defer func() {
		rc.mu.Lock()
		rc.inflight--
		rc.mu.Unlock()
	}()
	code := http.StatusOK
	if rc.answer != nil {
		code = rc.answer(got)
	}
	if got.verifyErr != nil {
		code = http.StatusUnauthorized
	}
	if code == hang {
		<-r.Context().Done()
		return
	}
	w.WriteHeader(code)
	io.WriteString(w, `{"ok":`+strconv.FormatBool(code < 300)+`}`)
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// ids returns the event ids received, in order of arrival.
func (rc *receiver) ids() []string {
	var ids []string
	for _, r := range rc.requests() {
		ids = append(ids, r.id)
	}
	return ids
}

func answers(codes ...int) func(r received) int {
	return func(r received) int {
		if r.n <= len(codes) {
			return codes[r.n-1]
		}
		return http.StatusOK
	}
}
