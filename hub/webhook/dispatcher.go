package webhook

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Endpoints tells where a carrier's deliveries go. It is asked at Enqueue
// and before every attempt, so a changed URL or secret applies to the next
// attempt and a removed endpoint ends the carrier's queued deliveries.
type Endpoints interface {
	// Endpoint returns the carrier's webhook URL and signing secret; ok is
	// false when the carrier has no endpoint.
	Endpoint(ctx context.Context, carrier string) (url, secret string, ok bool, err error)
}

// EndpointsFunc adapts a function to Endpoints.
type EndpointsFunc func(ctx context.Context, carrier string) (url, secret string, ok bool, err error)

// Endpoint calls f.
func (f EndpointsFunc) Endpoint(ctx context.Context, carrier string) (string, string, bool, error) {
	return f(ctx, carrier)
}

// DB is the hub's store as the dispatcher uses it; *store.Store is one.
type DB interface {
	// Write runs fn in one durable write transaction.
	Write(ctx context.Context, fn func(tx *sql.Tx) error) error
	// DB returns the read-only connection pool.
	DB() *sql.DB
	// Now returns the wall clock.
	Now() time.Time
}

// Options configure a Dispatcher. Zero values take the defaults.
type Options struct {
	// Now is the clock for every time the package stores or sends; the
	// store's clock (DB.Now) when nil.
	Now func() time.Time
	// Client sends the requests; when nil, a client of the package's own
	// that follows no redirects (a 3xx is a failed attempt, as the
	// receiver's URL is wrong) and whose timeout is Timeout.
	Client *http.Client
	// Timeout bounds one attempt: connecting, sending and reading the
	// answer. 10 s.
	Timeout time.Duration
	// Concurrency is how many attempts are in flight at most, across all
	// carriers; 8. Per carrier it is always one (see the package doc).
	Concurrency int
	// PollInterval is how often the queue is read when nothing woke the
	// dispatcher; 5 s.
	PollInterval time.Duration
	// RetryBase is the first retry's backoff ceiling, doubling with every
	// failed attempt up to RetryMax; the wait is a uniformly random
	// duration below the ceiling ("full jitter"). 30 s and 1 h.
	RetryBase, RetryMax time.Duration
	// RetryWindow is how long a delivery is retried after it was queued
	// (or replayed) before it is given up as dead; 24 h.
	RetryWindow time.Duration
	// Version is the hub's version, sent in the User-Agent
	// (cunyou-hub/<Version>); "dev" when empty.
	Version string
	// Log receives a line per attempt (never a body or a secret);
	// slog.Default() when nil.
	Log *slog.Logger
}

// The defaults of Options.
const (
	DefaultTimeout      = 10 * time.Second
	DefaultConcurrency  = 8
	DefaultPollInterval = 5 * time.Second
	DefaultRetryBase    = 30 * time.Second
	DefaultRetryMax     = time.Hour
	DefaultRetryWindow  = 24 * time.Hour
)

const (
	maxExcerpt = 512      // bytes of the receiver's answer kept per attempt
	maxDrain   = 64 << 10 // bytes of the answer read to reuse the connection
)

// Dispatcher queues deliveries (Enqueue), sends them (Run), and answers
// the dispatchers' questions about them (List, Get, Stats, Replay).
// Run one Dispatcher per database.
type Dispatcher struct {
	st      DB
	ep      Endpoints
	o       Options
	now     func() time.Time
	log     *slog.Logger
	client  *http.Client
	agent   string
	wake    chan struct{}
	running atomic.Bool
}

// New returns a Dispatcher over the hub's store st sending to the
// endpoints of ep.
func New(st DB, ep Endpoints, o Options) *Dispatcher {
	if o.Now == nil {
		o.Now = st.Now
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.RetryBase <= 0 {
		o.RetryBase = DefaultRetryBase
	}
	if o.RetryMax <= 0 {
		o.RetryMax = DefaultRetryMax
	}
	o.RetryMax = max(o.RetryMax, o.RetryBase)
	if o.RetryWindow <= 0 {
		o.RetryWindow = DefaultRetryWindow
	}
	if o.Version == "" {
		o.Version = "dev"
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	client := o.Client
	if client == nil {
		client = &http.Client{
			Timeout:       o.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return &Dispatcher{
		st: st, ep: ep, o: o, now: o.Now, log: o.Log, client: client,
		agent: "cunyou-hub/" + o.Version,
		wake:  make(chan struct{}, 1),
	}
}

// Notify wakes the dispatcher to look for due deliveries now; the hub
// calls it after committing a transaction that enqueued. It never blocks.
func (d *Dispatcher) Notify() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run sends due deliveries until ctx ends, then waits for the attempts in
// flight (each is logged as interrupted and retried by the next Run) and
// returns nil. All state is in the database: a Dispatcher started later
// over the same database carries on where this one stopped, and a
// delivery whose attempt was cut by a crash is simply attempted again.
func (d *Dispatcher) Run(ctx context.Context) error {
	if !d.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer d.running.Store(false)
	d.log.Info("webhook dispatcher started", "concurrency", d.o.Concurrency, "timeout", d.o.Timeout)

	busy := map[string]bool{}      // carriers with an attempt in flight
	cool := map[string]time.Time{} // carriers whose last attempt could not be recorded, until when
	type result struct {
		carrier string
		err     error
	}
	done := make(chan result, d.o.Concurrency)
	var wg sync.WaitGroup
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		wait := d.o.PollInterval
		if free := d.o.Concurrency - len(busy); free > 0 && ctx.Err() == nil {
			for c, until := range cool {
				if time.Now().After(until) {
					delete(cool, c)
				}
			}
			picks, next, err := d.due(ctx, free, func(c string) bool { return busy[c] || !cool[c].IsZero() })
			if err != nil && ctx.Err() == nil {
				d.log.Warn("webhook: read the queue", "err", err)
			}
			for _, p := range picks {
				busy[p.carrier] = true
				wg.Add(1)
				go func() {
					defer wg.Done()
					done <- result{p.carrier, d.attempt(ctx, p.id)}
				}()
			}
			if next > 0 {
				wait = min(wait, next)
			}
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			wg.Wait()
			d.log.Info("webhook dispatcher stopped")
			return nil
		case r := <-done:
			delete(busy, r.carrier)
			if r.err != nil {
				// The attempt happened but could not be recorded: the
				// delivery is still due. Leave the carrier alone for a
				// while rather than send it again at once.
				d.log.Error("webhook: record attempt", "carrier", r.carrier, "err", r.err)
				cool[r.carrier] = time.Now().Add(d.o.PollInterval)
			}
		case <-d.wake:
		case <-timer.C:
		}
	}
}

type pick struct {
	carrier string
	id      int64
}

// due returns up to n deliveries to attempt now, at most one per carrier
// and none of a carrier that skip names, oldest first, and how long until
// the next queued delivery falls due (0 when none).
//
// A carrier's deliveries go in the order they were queued: its oldest due
// delivery is picked, unless an older one holds the line (it failed as if
// the receiver were down, and its retry is not due yet). Every read goes
// through the small partial indexes of the queue, so a poll costs a few
// index lookups per carrier however long the queue or the history.
func (d *Dispatcher) due(ctx context.Context, n int, skip func(carrier string) bool) ([]pick, time.Duration, error) {
	now := d.now().UnixMilli()
	db := d.st.DB()
	var carriers []string
	err := eachRow(ctx, db, `WITH RECURSIVE queued(carrier) AS (
			SELECT MIN(carrier) FROM webhook_deliveries INDEXED BY webhook_deliveries_queue
			WHERE status IN ('pending', 'failed')
			UNION ALL
			SELECT (SELECT MIN(carrier) FROM webhook_deliveries INDEXED BY webhook_deliveries_queue
				WHERE status IN ('pending', 'failed') AND carrier > queued.carrier)
			FROM queued WHERE queued.carrier IS NOT NULL
		)
		SELECT carrier FROM queued WHERE carrier IS NOT NULL`, nil, func(r *sql.Rows) error {
		var c string
		if err := r.Scan(&c); err != nil {
			return err
		}
		carriers = append(carriers, c)
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	var picks []pick
	for _, c := range carriers {
		if skip(c) {
			continue
		}
		// The carrier's first delivery that is due or holds the line.
		var p pick
		var next int64
		err := db.QueryRowContext(ctx, `SELECT id, next_attempt_ms FROM webhook_deliveries INDEXED BY webhook_deliveries_queue
			WHERE status IN ('pending', 'failed') AND carrier = ? AND (next_attempt_ms <= ? OR holds_line = 1)
			ORDER BY id LIMIT 1`, c, now).Scan(&p.id, &next)
		if errors.Is(err, sql.ErrNoRows) || err == nil && next > now {
			continue // nothing due, or the line is held
		}
		if err != nil {
			return nil, 0, fmt.Errorf("read queue: %w", err)
		}
		p.carrier = c
		picks = append(picks, p)
	}
	slices.SortFunc(picks, func(a, b pick) int { return cmp.Compare(a.id, b.id) })
	picks = picks[:min(n, len(picks))]

	var next sql.NullInt64
	err = db.QueryRowContext(ctx, `SELECT MIN(next_attempt_ms) FROM webhook_deliveries INDEXED BY webhook_deliveries_due
		WHERE status IN ('pending', 'failed') AND next_attempt_ms > ?`, now).Scan(&next)
	if err != nil {
		return picks, 0, fmt.Errorf("read next due: %w", err)
	}
	var wait time.Duration
	if next.Valid {
		wait = time.Duration(next.Int64-now) * time.Millisecond
	}
	return picks, wait, nil
}

func eachRow(ctx context.Context, db *sql.DB, query string, args []any, fn func(*sql.Rows) error) error {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("read queue: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return fmt.Errorf("read queue: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read queue: %w", err)
	}
	return nil
}

// job is what an attempt needs of its delivery.
type job struct {
	id      int64
	carrier string
	kind    string
	body    []byte
	series  int
}

// verdict is what an attempt's outcome means for its delivery.
type verdict int

const (
	retry       verdict = iota // failed: try again after a backoff, within the window
	delivered                  // 2xx
	dead                       // no point in trying again
	interrupted                // the dispatcher stopped mid-attempt: try again at once
)

// outcome is one attempt's result.
type outcome struct {
	verdict    verdict
	at         time.Time     // when it started, by the clock
	dur        time.Duration // how long it took, measured
	url        string        // the endpoint without query
	status     int           // HTTP status, 0 when no answer
	err        string        // why it failed, "" when delivered
	response   string        // the start of the answer
	holdsLine  bool          // the receiver looked down: the carrier's later deliveries wait
	retryAfter time.Duration // the receiver's Retry-After, if any
}

// attempt sends delivery id once and records the outcome. It returns an
// error only when the outcome could not be recorded.
func (d *Dispatcher) attempt(ctx context.Context, id int64) error {
	j := job{id: id}
	err := d.st.DB().QueryRowContext(ctx, `SELECT carrier, kind, body, series FROM webhook_deliveries
		WHERE id = ? AND status IN ('pending', 'failed')`, id).Scan(&j.carrier, &j.kind, &j.body, &j.series)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // replayed, or no longer queued
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("read delivery %d: %w", id, err)
	}
	return d.record(ctx, j, d.send(ctx, j))
}

// send makes one attempt at delivering j.
func (d *Dispatcher) send(ctx context.Context, j job) outcome {
	o := outcome{at: d.now()}
	rawURL, secret, ok, err := d.ep.Endpoint(ctx, j.carrier)
	switch {
	case ctx.Err() != nil:
		o.verdict, o.err, o.holdsLine = interrupted, "interrupted: the dispatcher stopped", true
		return o
	case err != nil:
		o.verdict, o.err, o.holdsLine = retry, "look up endpoint: "+err.Error(), true
		return o
	case !ok:
		o.verdict, o.err = dead, "carrier "+j.carrier+" has no webhook endpoint any more"
		return o
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		o.verdict, o.err, o.holdsLine = retry, "the endpoint is not an http(s) URL", true
		return o
	}
	o.url = redact(u)

	rctx, cancel := context.WithTimeout(ctx, d.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, u.String(), bytes.NewReader(j.body))
	if err != nil {
		o.verdict, o.err, o.holdsLine = retry, "make request: "+err.Error(), true
		return o
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", d.agent)
	req.Header.Set(HeaderEvent, j.kind)
	req.Header.Set(HeaderDelivery, strconv.FormatInt(j.id, 10))
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(o.at.Unix(), 10))
	req.Header.Set(HeaderSignature, Sign(secret, o.at, j.body))

	start := time.Now()
	resp, err := d.client.Do(req)
	if err != nil {
		o.dur = time.Since(start)
		o.verdict, o.holdsLine = retry, true
		switch {
		case ctx.Err() != nil:
			o.verdict, o.err = interrupted, "interrupted: the dispatcher stopped"
		case rctx.Err() != nil || isTimeout(err):
			o.err = "no answer within " + d.o.Timeout.String()
		default:
			o.err = describe(err)
		}
		return o
	}
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, maxExcerpt))
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
	resp.Body.Close()
	o.dur = time.Since(start)
	o.status = resp.StatusCode
	o.response = strings.ToValidUTF8(string(excerpt), string(utf8.RuneError))
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		o.verdict = delivered
	case c == http.StatusGone:
		o.verdict, o.err = dead, "the receiver answered 410 Gone: it wants no more deliveries"
	default:
		o.verdict, o.err = retry, "the receiver answered "+strconv.Itoa(c)+" "+http.StatusText(c)
		o.holdsLine = c >= 500 || c == http.StatusRequestTimeout || c == http.StatusTooManyRequests
		if c == http.StatusTooManyRequests || c == http.StatusServiceUnavailable {
			o.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), o.at)
		}
	}
	return o
}

// record logs the attempt o of j and moves the delivery on.
func (d *Dispatcher) record(ctx context.Context, j job, o outcome) error {
	// An interrupted attempt is still recorded while the dispatcher stops.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	now := d.now()
	var (
		status  Status
		next    time.Time
		lastErr = o.err
		n       int
	)
	err := d.st.Write(wctx, func(tx *sql.Tx) error {
		var cur Status
		var series, seriesAttempts int
		var seriesMs int64
		err := tx.QueryRowContext(wctx, `SELECT attempts, status, series, series_ms, series_attempts
			FROM webhook_deliveries WHERE id = ?`, j.id).Scan(&n, &cur, &series, &seriesMs, &seriesAttempts)
		if err != nil {
			return fmt.Errorf("read delivery %d: %w", j.id, err)
		}
		n++
		_, err = tx.ExecContext(wctx, `INSERT INTO webhook_attempts
			(delivery_id, attempt, series, at_ms, duration_ms, url, http_status, error, response)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			j.id, n, j.series, o.at.UnixMilli(), o.dur.Milliseconds(), o.url, o.status, o.err, o.response)
		if err != nil {
			return fmt.Errorf("log attempt: %w", err)
		}
		if series != j.series || (cur != StatusPending && cur != StatusFailed) {
			// Replayed while in flight: the new series decides what follows.
			status = cur
			_, err = tx.ExecContext(wctx, "UPDATE webhook_deliveries SET attempts = ? WHERE id = ?", n, j.id)
			return err
		}
		holds := 0
		switch o.verdict {
		case delivered:
			status, lastErr = StatusDelivered, ""
			seriesAttempts++
		case dead:
			status = StatusDead
			seriesAttempts++
		case interrupted:
			status, next, holds = StatusFailed, now, 1
		case retry:
			seriesAttempts++
			deadline := time.UnixMilli(seriesMs).Add(d.o.RetryWindow)
			if !now.Before(deadline) {
				status = StatusDead
				lastErr = fmt.Sprintf("gave up after %d attempts in %s; the last: %s", seriesAttempts, d.o.RetryWindow, o.err)
				break
			}
			wait := max(backoff(seriesAttempts, d.o.RetryBase, d.o.RetryMax), min(o.retryAfter, d.o.RetryMax))
			status, next = StatusFailed, now.Add(wait)
			if next.After(deadline) {
				next = deadline // one last attempt at the end of the window
			}
			if o.holdsLine {
				holds = 1
			}
		}
		nextMs := int64(0)
		if !next.IsZero() {
			nextMs = next.UnixMilli()
		}
		deliveredMs := sql.NullInt64{}
		if status == StatusDelivered {
			deliveredMs = sql.NullInt64{Int64: now.UnixMilli(), Valid: true}
		}
		_, err = tx.ExecContext(wctx, `UPDATE webhook_deliveries SET
			status = ?, attempts = ?, series_attempts = ?, next_attempt_ms = ?, holds_line = ?,
			last_status = ?, last_error = ?, delivered_ms = COALESCE(?, delivered_ms)
			WHERE id = ?`,
			status, n, seriesAttempts, nextMs, holds, o.status, lastErr, deliveredMs, j.id)
		if err != nil {
			return fmt.Errorf("update delivery: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	attrs := []any{"delivery", j.id, "carrier", j.carrier, "event", j.kind, "attempt", n,
		"http_status", o.status, "duration", o.dur.Round(time.Millisecond)}
	switch status {
	case StatusDelivered:
		d.log.Debug("webhook delivered", attrs...)
	case StatusFailed:
		d.log.Info("webhook attempt failed; will retry", append(attrs, "err", o.err, "retry_at", next.UTC().Format(time.RFC3339))...)
	case StatusDead:
		d.log.Warn("webhook given up", append(attrs, "err", lastErr)...)
	}
	return nil
}

// backoff is the wait after the n-th failed attempt of a series: a random
// duration in [0, min(base·2^(n-1), ceiling)] ("full jitter", so receivers
// coming back are not hit by every sender at once).
func backoff(n int, base, ceiling time.Duration) time.Duration {
	c := base
	for i := 1; i < n && c < ceiling; i++ {
		c *= 2
	}
	c = min(c, ceiling)
	return time.Duration(rand.Int64N(int64(c) + 1))
}

// parseRetryAfter reads a Retry-After header: seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// redact returns u without user info, query and fragment, which may hold
// credentials.
func redact(u *url.URL) string {
	c := *u
	c.User, c.RawQuery, c.ForceQuery, c.Fragment, c.RawFragment = nil, "", false, "", ""
	return c.String()
}

// describe returns the cause of a failed request without the URL (whose
// query may hold a token).
func describe(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout() || errors.Is(err, context.DeadlineExceeded)
}
