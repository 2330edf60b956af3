package webhook

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Status is where a delivery stands.
type Status string

// The statuses of a delivery.
const (
	StatusPending   Status = "pending"   // queued, not attempted in this series yet
	StatusDelivered Status = "delivered" // the receiver answered 2xx
	StatusFailed    Status = "failed"    // an attempt failed; retried at NextAttempt
	StatusDead      Status = "dead"      // given up; Replay sends it again
)

// Statuses lists every status, in the order of a delivery's life.
var Statuses = []Status{StatusPending, StatusFailed, StatusDelivered, StatusDead}

func (s Status) valid() bool {
	switch s {
	case StatusPending, StatusDelivered, StatusFailed, StatusDead:
		return true
	}
	return false
}

// Delivery is one event for one carrier.
type Delivery struct {
	ID      int64
	Carrier string
	EventID string
	Kind    string
	Waybill string
	Status  Status
	// Attempts counts every attempt, over all series.
	Attempts int
	// NextAttempt is when a pending or failed delivery is due.
	NextAttempt time.Time
	// LastStatus is the last attempt's HTTP status, 0 when there was no
	// answer (or no attempt).
	LastStatus int
	// LastError says why the last attempt failed or why the delivery was
	// given up.
	LastError string
	Created   time.Time
	// Delivered is when the receiver last answered 2xx (zero if never).
	Delivered time.Time
	// Series is 0 for the first attempt series and grows by one with
	// every Replay; SeriesStarted is when the current one began, and the
	// retry window counts from there.
	Series        int
	SeriesStarted time.Time
	// Body is the exact JSON sent; filled by Get only.
	Body json.RawMessage
}

// Attempt is one try at delivering.
type Attempt struct {
	N        int // 1, 2, … over all series
	Series   int
	At       time.Time
	Duration time.Duration
	// URL is the endpoint tried, without its query; "" when no request
	// was made (Error says why).
	URL string
	// HTTPStatus is the receiver's answer, 0 when there was none.
	HTTPStatus int
	Error      string
	// Response is the start of the receiver's answer (at most 512 bytes).
	Response string
}

// Filter selects deliveries for List. Empty fields match everything.
type Filter struct {
	Carrier string
	Status  Status
	Waybill string
	// Limit is the most deliveries returned: 50 when 0, at most 500.
	Limit int
	// Before returns deliveries with a smaller id only: pass the last
	// id of a page for the next.
	Before int64
}

const deliveryColumns = `id, carrier, event_id, kind, waybill, status, attempts, next_attempt_ms,
	last_status, last_error, created_ms, delivered_ms, series, series_ms`

func scanDelivery(sc interface{ Scan(...any) error }, extra ...any) (Delivery, error) {
	var d Delivery
	var next, created, delivered, series int64
	err := sc.Scan(append([]any{&d.ID, &d.Carrier, &d.EventID, &d.Kind, &d.Waybill, &d.Status, &d.Attempts, &next,
		&d.LastStatus, &d.LastError, &created, &delivered, &d.Series, &series}, extra...)...)
	if err != nil {
		return d, err
	}
	if d.Status == StatusPending || d.Status == StatusFailed {
		d.NextAttempt = msTime(next)
	}
	d.Created, d.SeriesStarted = msTime(created), msTime(series)
	if delivered > 0 {
		d.Delivered = msTime(delivered)
	}
	return d, nil
}

// List returns the deliveries that match f, newest first, without bodies.
func (d *Dispatcher) List(ctx context.Context, f Filter) ([]Delivery, error) {
	var where []string
	var args []any
	if f.Carrier != "" {
		where, args = append(where, "carrier = ?"), append(args, f.Carrier)
	}
	if f.Status != "" {
		if !f.Status.valid() {
			return nil, fmt.Errorf("%w: status %q", ErrInvalid, f.Status)
		}
		where, args = append(where, "status = ?"), append(args, string(f.Status))
	}
	if f.Waybill != "" {
		where, args = append(where, "waybill = ?"), append(args, f.Waybill)
	}
	if f.Before > 0 {
		where, args = append(where, "id < ?"), append(args, f.Before)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	page := func(where []string) string {
		q := "SELECT " + deliveryColumns + " FROM webhook_deliveries"
		if len(where) > 0 {
			q += " WHERE " + strings.Join(where, " AND ")
		}
		return q + " ORDER BY id DESC LIMIT ?"
	}
	q := page(where)
	args = append(args, limit)
	if f.Carrier != "" && f.Status == "" && f.Waybill == "" {
		// A page of each status through the (carrier, status, id) index,
		// merged: no sort of all the carrier's deliveries.
		var parts []string
		var all []any
		for _, st := range Statuses {
			parts = append(parts, "SELECT * FROM ("+page(append(where, "status = '"+string(st)+"'"))+")")
			all = append(all, args...)
		}
		q = "SELECT * FROM (" + strings.Join(parts, " UNION ALL ") + ") ORDER BY id DESC LIMIT ?"
		args = append(all, limit)
	}
	rows, err := d.st.DB().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		dl, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("list deliveries: %w", err)
		}
		out = append(out, dl)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	return out, nil
}

// Get returns delivery id with its body and its attempts, oldest first.
func (d *Dispatcher) Get(ctx context.Context, id int64) (Delivery, []Attempt, error) {
	// One read transaction, so the attempts match the delivery.
	tx, err := d.st.DB().BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return Delivery{}, nil, fmt.Errorf("get delivery: %w", err)
	}
	defer tx.Rollback()
	var body []byte
	dl, err := scanDelivery(tx.QueryRowContext(ctx, "SELECT "+deliveryColumns+", body FROM webhook_deliveries WHERE id = ?", id), &body)
	if errors.Is(err, sql.ErrNoRows) {
		return Delivery{}, nil, ErrNotFound
	}
	if err != nil {
		return Delivery{}, nil, fmt.Errorf("get delivery: %w", err)
	}
	dl.Body = body
	rows, err := tx.QueryContext(ctx, `SELECT attempt, series, at_ms, duration_ms, url, http_status, error, response
		FROM webhook_attempts WHERE delivery_id = ? ORDER BY attempt`, id)
	if err != nil {
		return Delivery{}, nil, fmt.Errorf("get attempts: %w", err)
	}
	defer rows.Close()
	var as []Attempt
	for rows.Next() {
		var a Attempt
		var at, dur int64
		if err := rows.Scan(&a.N, &a.Series, &at, &dur, &a.URL, &a.HTTPStatus, &a.Error, &a.Response); err != nil {
			return Delivery{}, nil, fmt.Errorf("get attempts: %w", err)
		}
		a.At, a.Duration = msTime(at), time.Duration(dur)*time.Millisecond
		as = append(as, a)
	}
	if err := rows.Err(); err != nil {
		return Delivery{}, nil, fmt.Errorf("get attempts: %w", err)
	}
	return dl, as, nil
}

// Replay sends a delivered, dead or failed delivery again: a new attempt
// series starts now, with a fresh retry window, the same body, event id
// and delivery id (receivers that dedupe by id will ignore it if they
// already have it). A pending delivery returns ErrQueued. Call it for a
// dispatcher's request; it wakes the dispatcher.
func (d *Dispatcher) Replay(ctx context.Context, id int64) error {
	now := d.now().UnixMilli()
	var dl Delivery
	err := d.st.Write(ctx, func(tx *sql.Tx) error {
		var err error
		dl, err = scanDelivery(tx.QueryRowContext(ctx, "SELECT "+deliveryColumns+" FROM webhook_deliveries WHERE id = ?", id))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("read delivery: %w", err)
		}
		if dl.Status == StatusPending {
			return ErrQueued
		}
		_, err = tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = 'pending', next_attempt_ms = ?,
			series = series + 1, series_ms = ?, series_attempts = 0, holds_line = 0 WHERE id = ?`, now, now, id)
		if err != nil {
			return fmt.Errorf("replay delivery: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	d.log.Info("webhook replay queued", "delivery", id, "carrier", dl.Carrier, "event", dl.Kind,
		"was", string(dl.Status), "series", dl.Series+1)
	d.Notify()
	return nil
}

// Stats are counts for metrics and the console.
type Stats struct {
	// Counts has every status, zero or not.
	Counts map[Status]int
	// OldestPending is the age of the oldest pending or failed delivery
	// (counted from the start of its series), 0 when none: a number that
	// grows means a receiver is down or the dispatcher is stuck.
	OldestPending time.Duration
	// Carriers has the same per carrier.
	Carriers map[string]CarrierStats
}

// CarrierStats are one carrier's counts.
type CarrierStats struct {
	Counts        map[Status]int
	OldestPending time.Duration
}

func zeroCounts() map[Status]int {
	m := make(map[Status]int, len(Statuses))
	for _, s := range Statuses {
		m[s] = 0
	}
	return m
}

// Stats counts the deliveries by status, overall and per carrier.
func (d *Dispatcher) Stats(ctx context.Context) (Stats, error) {
	now := d.now()
	st := Stats{Counts: zeroCounts(), Carriers: map[string]CarrierStats{}}
	rows, err := d.st.DB().QueryContext(ctx, `SELECT carrier, status, COUNT(*),
		MIN(CASE WHEN status IN ('pending', 'failed') THEN series_ms END)
		FROM webhook_deliveries GROUP BY carrier, status`)
	if err != nil {
		return st, fmt.Errorf("count deliveries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var carrier string
		var status Status
		var n int
		var oldest sql.NullInt64
		if err := rows.Scan(&carrier, &status, &n, &oldest); err != nil {
			return st, fmt.Errorf("count deliveries: %w", err)
		}
		cs, ok := st.Carriers[carrier]
		if !ok {
			cs = CarrierStats{Counts: zeroCounts()}
		}
		cs.Counts[status] += n
		st.Counts[status] += n
		if oldest.Valid {
			age := max(now.Sub(msTime(oldest.Int64)), 0)
			cs.OldestPending = max(cs.OldestPending, age)
			st.OldestPending = max(st.OldestPending, age)
		}
		st.Carriers[carrier] = cs
	}
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("count deliveries: %w", err)
	}
	return st, nil
}

// msTime is a stored time in milliseconds since 1970, in UTC.
func msTime(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// pruneBatch is how many deliveries one Prune transaction deletes, so the
// merge never waits long for the writer.
const pruneBatch = 500

// Prune deletes the delivered and dead deliveries, with their attempts,
// whose current series began before cutoff, and returns how many. The hub
// calls it now and then with its retention (e.g. 30 days ago): bodies and
// logs are kept only as long as they are useful. Queued deliveries are
// never pruned.
func (d *Dispatcher) Prune(ctx context.Context, cutoff time.Time) (int, error) {
	total := 0
	for {
		n := 0
		err := d.st.Write(ctx, func(tx *sql.Tx) error {
			rows, err := tx.QueryContext(ctx, `SELECT id FROM webhook_deliveries
				WHERE status IN ('delivered', 'dead') AND series_ms < ? LIMIT ?`, cutoff.UnixMilli(), pruneBatch)
			if err != nil {
				return fmt.Errorf("find deliveries to prune: %w", err)
			}
			var ids []any
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return fmt.Errorf("find deliveries to prune: %w", err)
				}
				ids = append(ids, id)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("find deliveries to prune: %w", err)
			}
			if len(ids) == 0 {
				return nil
			}
			in := "(?" + strings.Repeat(", ?", len(ids)-1) + ")"
			if _, err := tx.ExecContext(ctx, "DELETE FROM webhook_attempts WHERE delivery_id IN "+in, ids...); err != nil {
				return fmt.Errorf("prune attempts: %w", err)
			}
			if _, err := tx.ExecContext(ctx, "DELETE FROM webhook_deliveries WHERE id IN "+in, ids...); err != nil {
				return fmt.Errorf("prune deliveries: %w", err)
			}
			n = len(ids)
			return nil
		})
		total += n
		if err != nil || n < pruneBatch {
			if total > 0 {
				d.log.Info("webhook deliveries pruned", "deleted", total, "before", cutoff.UTC().Format(time.RFC3339))
			}
			return total, err
		}
	}
}
