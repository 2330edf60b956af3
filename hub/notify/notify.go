// Package notify sends the notices the hub owes people — the arrival SMS
// above all — once, promptly and in the daytime.
//
// The projection writes a notice in the same transaction as the fact that
// causes it, keyed so that a second one cannot exist (one arrival notice
// per parcel and station). The notifier then, in its own transactions:
// combines the due notices of one phone at one station into one message
// (several parcels, one SMS), holds them through the station's quiet
// hours, drops them for phones that opted out or parcels already picked
// up, respects per-phone limits before the providers' own limits refuse
// us, sends each message through the gateways in their failover order,
// retries with backoff, and follows delivery receipts. Permanent failures
// stay listed for dispatchers. Phone numbers are masked in every log line.
package notify

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"cunyou/hub/store"
	"cunyou/sms"
	"cunyou/waybill"
)

// Limits bound the messages one phone gets.
type Limits struct {
	PerMinute, PerHour, PerDay int
}

// DefaultLimits stay under the strictest provider's default for
// notifications (Tencent: 10 a day per number).
var DefaultLimits = Limits{PerMinute: 2, PerHour: 6, PerDay: 10}

// Options configure a Notifier.
type Options struct {
	Store *store.Store
	// Gateways in failover order: the first that accepts a message sends
	// it.
	Gateways []sms.Gateway
	// Sign is the approved signature, without brackets (望奎村邮).
	Sign string
	// Quiet is the county's default quiet hours, HH:MM-HH:MM
	// ("21:00-08:00" when empty); a station's own (sites.quiet) wins.
	Quiet string
	// Location is the county's time zone (Asia/Shanghai when nil).
	Location *time.Location
	Limits   Limits
	// RetryFor is how long a message is retried before it is dead (24 h).
	RetryFor time.Duration
	// Interval is how often the notifier looks for work when not woken
	// (1 s).
	Interval time.Duration
	// RemindAfter is how long a parcel waits at a station before its
	// receiver is reminded, once (3 days; negative: never).
	RemindAfter time.Duration
	Now         func() time.Time
	Log         *slog.Logger
}

// Notifier sends notices.
type Notifier struct {
	o    Options
	st   *store.Store
	log  *slog.Logger
	kick chan struct{}
	mu   sync.Mutex // one pass at a time

	remindedAt time.Time // the last look for parcels to remind

	found, checked, uncertain atomic.Int64 // see Stats
}

// New returns a notifier.
func New(o Options) *Notifier {
	if o.Quiet == "" {
		o.Quiet = "21:00-08:00"
	}
	if o.Location == nil {
		o.Location = time.FixedZone("CST", 8*3600)
	}
	if o.Limits == (Limits{}) {
		o.Limits = DefaultLimits
	}
	if o.RetryFor <= 0 {
		o.RetryFor = 24 * time.Hour
	}
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	if o.RemindAfter == 0 {
		o.RemindAfter = 72 * time.Hour
	}
	if o.Now == nil {
		o.Now = o.Store.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Notifier{o: o, st: o.Store, log: o.Log, kick: make(chan struct{}, 1)}
}

// Kick wakes the notifier (after a projection commit).
func (n *Notifier) Kick() {
	select {
	case n.kick <- struct{}{}:
	default:
	}
}

// Run works until ctx ends.
func (n *Notifier) Run(ctx context.Context) error {
	t := time.NewTicker(n.o.Interval)
	defer t.Stop()
	lastReceipts := time.Time{}
	for {
		if err := n.Pass(ctx); err != nil && ctx.Err() == nil {
			n.log.Error("notify: pass failed", "err", err)
		}
		if time.Since(lastReceipts) >= 5*time.Second {
			if _, err := n.Receipts(ctx); err != nil && ctx.Err() == nil {
				n.log.Warn("notify: receipts", "err", err)
			}
			if _, err := n.Replies(ctx); err != nil && ctx.Err() == nil {
				n.log.Warn("notify: replies", "err", err)
			}
			lastReceipts = time.Now()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-n.kick:
			// Let notices of a bag scanned together fall due together.
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(50 * time.Millisecond):
			}
		case <-t.C:
		}
	}
}

// Pass turns due notices into messages and sends the messages due.
func (n *Notifier) Pass(ctx context.Context) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.o.RemindAfter > 0 && n.o.Now().Sub(n.remindedAt) >= time.Hour {
		if _, err := n.remind(ctx); err != nil {
			return err
		}
		n.remindedAt = n.o.Now()
	}
	if _, err := n.batch(ctx); err != nil {
		return err
	}
	_, err := n.send(ctx)
	return err
}

// remind writes a reminder notice, once, for each parcel waiting at a
// station for longer than RemindAfter.
func (n *Notifier) remind(ctx context.Context) (int64, error) {
	now := n.o.Now().UnixMilli()
	var made int64
	err := n.st.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO notices (key, kind, phone, station, waybill, data, created_ms, due_ms)
			SELECT 'reminder/' || waybill || '/' || node, 'reminder', receiver_phone, node, waybill,
				json_object('code', code, 'carrier', carrier, 'days', CAST((? - updated_ms) / 86400000 AS TEXT)), ?, ?
			FROM parcels WHERE direction = 'in' AND status = 'at_station' AND receiver_phone <> '' AND updated_ms < ?
			ON CONFLICT (key) DO NOTHING`, now, now, now, now-n.o.RemindAfter.Milliseconds())
		if err != nil {
			return err
		}
		made, err = res.RowsAffected()
		return err
	})
	return made, err
}

// notice is a pending notice.
type notice struct {
	id                            int64
	kind, phone, station, waybill string
	data                          map[string]string
}

// site is what a message says of a station.
type site struct {
	name, hours, quiet string
}

func (n *Notifier) site(ctx context.Context, cache map[string]site, node string) (site, error) {
	if s, ok := cache[node]; ok {
		return s, nil
	}
	var s site
	err := n.st.DB().QueryRowContext(ctx, `SELECT n.name, coalesce(s.hours, ''), coalesce(s.quiet, '') FROM nodes n
		LEFT JOIN sites s ON s.node = n.node_id WHERE n.node_id = ?`, node).Scan(&s.name, &s.hours, &s.quiet)
	if errors.Is(err, sql.ErrNoRows) {
		s.name = node
		err = nil
	}
	cache[node] = s
	return s, err
}

// batch combines due notices into messages, in one transaction.
func (n *Notifier) batch(ctx context.Context) (int, error) {
	now := n.o.Now()
	rows, err := n.st.DB().QueryContext(ctx, `SELECT id, kind, phone, station, waybill, data FROM notices
		WHERE state = 'pending' AND due_ms <= ? ORDER BY phone, station, id LIMIT 5000`, now.UnixMilli())
	if err != nil {
		return 0, err
	}
	var due []notice
	for rows.Next() {
		var x notice
		var data string
		if err := rows.Scan(&x.id, &x.kind, &x.phone, &x.station, &x.waybill, &data); err != nil {
			rows.Close()
			return 0, err
		}
		json.Unmarshal([]byte(data), &x.data)
		due = append(due, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(due) == 0 {
		return 0, err
	}
	templates, err := n.Templates(ctx)
	if err != nil {
		return 0, err
	}
	sites := map[string]site{}
	made := 0
	err = n.st.Write(ctx, func(tx *sql.Tx) error {
		for i := 0; i < len(due); {
			j := i + 1
			for j < len(due) && due[j].phone == due[i].phone && due[j].station == due[i].station && due[j].kind == due[i].kind {
				j++
			}
			group := due[i:j]
			if _, ok := templates[group[0].kind+"_many"]; !ok && len(group) > 1 {
				j = i + 1 // no combined form of this kind: one message each
				group = due[i:j]
			}
			i = j
			// Read before this transaction: a notice cancelled since (a
			// scan-in undone) is left out.
			group, err := stillPending(ctx, tx, group)
			if err != nil {
				return err
			}
			if len(group) == 0 {
				continue
			}
			ids := make([]any, len(group))
			for k, x := range group {
				ids[k] = x.id
			}
			first := group[0]
			st, err := n.site(ctx, sites, first.station)
			if err != nil {
				return err
			}
			// Quiet hours: hold them till morning.
			if until, quiet := sms.QuietUntil(now.In(n.o.Location), orDefault(st.quiet, n.o.Quiet)); quiet {
				if err := setNotices(ctx, tx, ids, "due_ms = ?", until.UnixMilli()); err != nil {
					return err
				}
				continue
			}
			reason := ""
			switch {
			case !sms.ValidPhone(first.phone):
				reason = "not a mobile number"
			default:
				var one int
				err := tx.QueryRowContext(ctx, "SELECT 1 FROM sms_optout WHERE phone = ?", first.phone).Scan(&one)
				if err == nil {
					reason = "opted out"
				} else if !errors.Is(err, sql.ErrNoRows) {
					return err
				}
			}
			if reason != "" {
				if err := setNotices(ctx, tx, ids, "state = 'suppressed', reason = ?", reason); err != nil {
					return err
				}
				continue
			}
			kind, vars := first.kind, map[string]string{"station": st.name, "close": closing(st.hours),
				"carrier": carrierName(first.data["carrier"]), "code": first.data["code"], "days": first.data["days"], "waybill": first.waybill}
			if len(group) > 1 {
				kind = first.kind + "_many"
				codes := make([]string, 0, len(group))
				for _, x := range group {
					codes = append(codes, x.data["code"])
				}
				vars["count"] = fmt.Sprint(len(group))
				vars["codes"] = sms.JoinCodes(codes)
			}
			t, ok := templates[kind]
			if !ok {
				return fmt.Errorf("notify: no template %q", kind)
			}
			text, params := t.Render(n.o.Sign, vars)
			_, parts := sms.Count(text)
			pj, _ := json.Marshal(params)
			var msg int64
			if err := tx.QueryRowContext(ctx, `INSERT INTO sms_messages (phone, kind, params, text, parts, next_ms, created_ms)
				VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, first.phone, kind, string(pj), text, parts, now.UnixMilli(), now.UnixMilli()).Scan(&msg); err != nil {
				return err
			}
			if err := setNotices(ctx, tx, ids, "state = 'sent', message = ?", msg); err != nil {
				return err
			}
			made++
		}
		return nil
	})
	return made, err
}

// stillPending keeps the notices of group that are still pending.
func stillPending(ctx context.Context, tx *sql.Tx, group []notice) ([]notice, error) {
	ids := make([]any, len(group))
	for k, x := range group {
		ids[k] = x.id
	}
	rows, err := tx.QueryContext(ctx, "SELECT id FROM notices WHERE state = 'pending' AND id IN (?"+strings.Repeat(", ?", len(ids)-1)+")", ids...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	pending := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		pending[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(pending) == len(group) {
		return group, nil
	}
	var out []notice
	for _, x := range group {
		if pending[x.id] {
			out = append(out, x)
		}
	}
	return out, nil
}

func setNotices(ctx context.Context, tx *sql.Tx, ids []any, set string, arg any) error {
	q := "UPDATE notices SET " + set + " WHERE id IN (?" + strings.Repeat(", ?", len(ids)-1) + ")"
	_, err := tx.ExecContext(ctx, q, append([]any{arg}, ids...)...)
	return err
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// closing is the closing time of opening hours HH:MM-HH:MM.
func closing(hours string) string {
	if _, c, ok := strings.Cut(hours, "-"); ok {
		return c
	}
	return "傍晚"
}

// carrierName is a carrier's short Chinese name (中通), or its code.
func carrierName(code string) string {
	if c, ok := waybill.Lookup(code); ok {
		return c.Short
	}
	return code
}

// queued is a message to send.
type queued struct {
	id                int64
	phone, kind, text string
	params            []sms.Param
	attempts          int
	created           time.Time
	// interrupted: a stop came while gateway had it (Recover).
	interrupted bool
	gateway     string
}

// send sends the messages due, each through the gateways in order. With
// no gateway configured they wait in the queue.
func (n *Notifier) send(ctx context.Context) (int, error) {
	if len(n.o.Gateways) == 0 {
		return 0, nil
	}
	now := n.o.Now()
	rows, err := n.st.DB().QueryContext(ctx, `SELECT id, phone, kind, text, params, attempts, created_ms, error_code = ?, gateway
		FROM sms_messages WHERE state = 'queued' AND next_ms <= ? ORDER BY id LIMIT 500`, codeInterrupted, now.UnixMilli())
	if err != nil {
		return 0, err
	}
	var due []queued
	for rows.Next() {
		var q queued
		var params string
		var created int64
		if err := rows.Scan(&q.id, &q.phone, &q.kind, &q.text, &params, &q.attempts, &created, &q.interrupted, &q.gateway); err != nil {
			rows.Close()
			return 0, err
		}
		json.Unmarshal([]byte(params), &q.params)
		q.created = time.UnixMilli(created)
		due = append(due, q)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if len(due) == 0 {
		return 0, nil
	}
	templates, err := n.Templates(ctx)
	if err != nil {
		return 0, err
	}
	// Hold the messages over a phone's limits; send the others through a
	// few workers, as a gateway answers each submission in turn.
	var ready []queued
	phones := map[string]bool{}
	for _, q := range due {
		if phones[q.phone] {
			continue // one message a phone a pass: the next sees this one in the limits
		}
		phones[q.phone] = true
		if wait, err := n.limited(ctx, q.phone, now); err != nil {
			return 0, err
		} else if wait > 0 {
			if err := n.st.Write(ctx, func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, "UPDATE sms_messages SET next_ms = ? WHERE id = ?", now.Add(wait).UnixMilli(), q.id)
				return err
			}); err != nil {
				return 0, err
			}
			n.log.Info("notify: per-phone limit; message held", "phone", sms.Mask(q.phone), "message", q.id, "for", wait)
			continue
		}
		ready = append(ready, q)
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		sent     int
		firstErr error
		work     = make(chan queued)
	)
	for range min(sendWorkers, len(ready)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for q := range work {
				ok, err := n.sendOne(ctx, q, templates[q.kind], now)
				mu.Lock()
				if ok {
					sent++
				}
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	for _, q := range ready {
		if ctx.Err() != nil {
			break
		}
		work <- q
	}
	close(work)
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return sent, firstErr
}

// sendWorkers is how many messages are in flight at once.
const sendWorkers = 16

// limited returns how long phone must wait for its next message.
func (n *Notifier) limited(ctx context.Context, phone string, now time.Time) (time.Duration, error) {
	var wait time.Duration
	for _, w := range []struct {
		n   int
		per time.Duration
	}{{n.o.Limits.PerMinute, time.Minute}, {n.o.Limits.PerHour, time.Hour}, {n.o.Limits.PerDay, 24 * time.Hour}} {
		if w.n <= 0 {
			continue
		}
		var count int
		var oldest sql.NullInt64
		if err := n.st.DB().QueryRowContext(ctx, `SELECT count(*), min(submitted_ms) FROM (SELECT submitted_ms FROM sms_messages
			WHERE phone = ? AND submitted_ms > ? ORDER BY submitted_ms DESC LIMIT ?)`, phone, now.Add(-w.per).UnixMilli(), w.n).
			Scan(&count, &oldest); err != nil {
			return 0, err
		}
		if count >= w.n && oldest.Valid {
			wait = max(wait, time.UnixMilli(oldest.Int64).Add(w.per).Sub(now))
		}
	}
	return wait, nil
}

// sendOne tries the gateways in order; it reports whether one accepted.
func (n *Notifier) sendOne(ctx context.Context, q queued, t Template, now time.Time) (bool, error) {
	attempt := q.attempts + 1
	if q.interrupted {
		if done, err := n.recovered(ctx, q, t, attempt, now); done || err != nil {
			return done, err
		}
	}
	var (
		last      error
		ambiguous bool // the last gateway may have taken it after all
	)
	for i, g := range n.o.Gateways {
		// Which gateway has the message is durable before it is sent: after
		// a stop mid-send, the notifier asks that gateway whether it took
		// the message before sending it again.
		gone := false
		if err := n.st.Write(ctx, func(tx *sql.Tx) error {
			stmt := "UPDATE sms_messages SET state = 'sending', attempts = ?, gateway = ? WHERE id = ? AND state = 'queued'"
			if i > 0 {
				stmt = "UPDATE sms_messages SET attempts = ?, gateway = ? WHERE id = ? AND state = 'sending'"
			}
			res, err := tx.ExecContext(ctx, stmt, attempt, g.Name(), q.id)
			if err == nil && i == 0 {
				k, _ := res.RowsAffected()
				gone = k == 0
			}
			return err
		}); err != nil {
			return false, err
		}
		if gone {
			return false, nil // no longer queued since it was read: cancelled (a scan-in undone)
		}
		m := n.message(q, t, g)
		sent, err := g.Send(ctx, m)
		rec := func(tx *sql.Tx, ok bool, err error) error {
			kind, code, msg := "", "", ""
			var se *sms.Error
			if err != nil {
				kind, msg = sms.KindOf(err).String(), err.Error()
				if errors.As(err, &se) {
					code = se.Code
				}
			}
			_, e := tx.ExecContext(ctx, `INSERT INTO sms_attempts (message, attempt, at_ms, gateway, ok, error_kind, error_code, error)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, q.id, attempt, n.o.Now().UnixMilli(), g.Name(), ok, kind, code, msg)
			return e
		}
		if err == nil {
			return true, n.st.Write(ctx, func(tx *sql.Tx) error {
				if err := rec(tx, true, nil); err != nil {
					return err
				}
				_, err := tx.ExecContext(ctx, `UPDATE sms_messages SET state = 'submitted', gateway = ?, provider_id = ?, parts = ?,
					submitted_ms = ?, error_code = '', error = '' WHERE id = ?`, g.Name(), sent.ProviderID, max(sent.Parts, 1), n.o.Now().UnixMilli(), q.id)
				return err
			})
		}
		last = err
		n.log.Warn("notify: gateway refused", "gateway", g.Name(), "phone", sms.Mask(q.phone), "message", q.id, "kind", sms.KindOf(err).String(), "err", err)
		if err := n.st.Write(ctx, func(tx *sql.Tx) error { return rec(tx, false, err) }); err != nil {
			return false, err
		}
		if sms.KindOf(err) == sms.Permanent {
			break
		}
		if _, ok := g.(sms.Finder); ok && sms.KindOf(err) == sms.Temporary {
			// A timeout or a dropped answer may hide an acceptance: no
			// other gateway gets it before this one is asked (next pass).
			ambiguous = true
			break
		}
	}
	// No gateway took it: dead when it can never go or is too old,
	// otherwise again later.
	code := ""
	var se *sms.Error
	if errors.As(last, &se) {
		code = se.Code
	}
	if ambiguous {
		code = codeInterrupted
	}
	msg := "no gateway configured"
	if last != nil {
		msg = last.Error()
	}
	dead := last == nil || sms.KindOf(last) == sms.Permanent || (now.Sub(q.created) >= n.o.RetryFor && !ambiguous)
	return false, n.st.Write(ctx, func(tx *sql.Tx) error {
		if dead {
			_, err := tx.ExecContext(ctx, `UPDATE sms_messages SET state = 'dead', error_code = ?, error = ?, final_ms = ? WHERE id = ?`,
				code, msg, now.UnixMilli(), q.id)
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE sms_messages SET state = 'queued', next_ms = ?, error_code = ?, error = ? WHERE id = ?`,
			now.Add(backoff(attempt, last)).UnixMilli(), code, msg, q.id)
		return err
	})
}

// backoff is the wait before attempt+1: a provider's Retry-After, or
// 10 s doubling to 10 minutes, with jitter.
func backoff(attempt int, err error) time.Duration {
	var se *sms.Error
	if errors.As(err, &se) && se.RetryAfter > 0 {
		return se.RetryAfter
	}
	d := 10 * time.Second << min(attempt-1, 6)
	d = min(d, 10*time.Minute)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// provider is the provider part of a gateway's name ("smpp:host" → smpp).
func provider(name string) string {
	p, _, _ := strings.Cut(name, ":")
	return p
}

// codeInterrupted marks a message a stop caught mid-send (Recover).
const codeInterrupted = "interrupted"

// Recover returns messages left in 'sending' by a stop mid-send to the
// queue, marked interrupted: before sending one again, the notifier asks
// the gateway that had it whether its provider took it (sms.Finder), and
// sends it again only if not. A gateway that cannot be asked (SMPP, a
// modem) sends it again, and its receiver may get a second copy: those
// are counted (Stats().Uncertain) and logged.
func (n *Notifier) Recover(ctx context.Context) (int, error) {
	var count int64
	err := n.st.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE sms_messages SET state = 'queued', error_code = ?, error = 'interrupted mid-send' WHERE state = 'sending'",
			codeInterrupted)
		if err != nil {
			return err
		}
		count, err = res.RowsAffected()
		return err
	})
	if count > 0 {
		n.log.Warn("notify: messages interrupted mid-send; each is looked up at its gateway before it goes again", "messages", count)
	}
	return int(count), err
}

// recovered settles a message a stop caught while gateway q.gateway had
// it: found at the provider, it is submitted (done); not found, it is
// sent as usual; a gateway that cannot be asked sends it again, counted
// as uncertain. A failed lookup waits and asks again, sending nothing.
func (n *Notifier) recovered(ctx context.Context, q queued, t Template, attempt int, now time.Time) (done bool, err error) {
	var g sms.Gateway
	for _, x := range n.o.Gateways {
		if x.Name() == q.gateway {
			g = x
		}
	}
	f, ok := g.(sms.Finder)
	if !ok {
		n.uncertain.Add(1)
		n.log.Warn("notify: sending again a message its gateway may have taken; the receiver may get it twice",
			"gateway", q.gateway, "phone", sms.Mask(q.phone), "message", q.id)
		return false, nil
	}
	sent, found, err := f.Find(ctx, n.message(q, t, g), q.created.Add(-time.Minute))
	if err != nil {
		n.log.Warn("notify: cannot ask the gateway about an interrupted message; asking again later", "gateway", g.Name(),
			"phone", sms.Mask(q.phone), "message", q.id, "err", err)
		return false, n.st.Write(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, "UPDATE sms_messages SET next_ms = ? WHERE id = ? AND state = 'queued'",
				now.Add(backoff(attempt, err)).UnixMilli(), q.id)
			return err
		})
	}
	if !found {
		n.checked.Add(1)
		return false, nil
	}
	n.found.Add(1)
	n.log.Info("notify: an interrupted message had reached its gateway; not sent again", "gateway", g.Name(),
		"phone", sms.Mask(q.phone), "message", q.id)
	return true, n.st.Write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sms_attempts (message, attempt, at_ms, gateway, ok, error_kind, error_code, error)
			VALUES (?, ?, ?, ?, 1, '', 'found', 'found at the provider after an interruption') ON CONFLICT DO NOTHING`,
			q.id, attempt, n.o.Now().UnixMilli(), g.Name()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE sms_messages SET state = 'submitted', gateway = ?, provider_id = ?, parts = ?, attempts = ?,
			submitted_ms = ?, error_code = '', error = '' WHERE id = ? AND state = 'queued'`,
			g.Name(), sent.ProviderID, max(sent.Parts, 1), attempt, n.o.Now().UnixMilli(), q.id)
		return err
	})
}

// message is q as gateway g sends it.
func (n *Notifier) message(q queued, t Template, g sms.Gateway) sms.Message {
	return sms.Message{ID: fmt.Sprintf("m%d", q.id), Phone: q.phone, Sign: n.o.Sign, Text: q.text, Params: q.params,
		Template: t.Providers[provider(g.Name())]}
}

// Stats counts what the notifier did about messages a stop caught
// mid-send, since it started.
type Stats struct {
	Found     int64 // the provider had it: not sent again
	Checked   int64 // the provider did not have it: sent again, safely
	Uncertain int64 // the gateway cannot be asked: sent again, maybe a second copy
}

// Stats returns the counts since the notifier started.
func (n *Notifier) Stats() Stats {
	return Stats{Found: n.found.Load(), Checked: n.checked.Load(), Uncertain: n.uncertain.Load()}
}

// tracker is a gateway that polls for the receipts of messages it sent
// and must be told of them again after a restart (Aliyun).
type tracker interface {
	Track(providerID, phone, messageID string, sentAt time.Time)
}

// Resume tells gateways that poll for receipts which of their messages
// still wait for one (at start, after Recover).
func (n *Notifier) Resume(ctx context.Context) error {
	for _, g := range n.o.Gateways {
		t, ok := g.(tracker)
		if !ok {
			continue
		}
		rows, err := n.st.DB().QueryContext(ctx, `SELECT id, phone, provider_id, submitted_ms FROM sms_messages
			WHERE state = 'submitted' AND gateway = ? AND provider_id <> ''`, g.Name())
		if err != nil {
			return err
		}
		for rows.Next() {
			var id, sent int64
			var phone, pid string
			if err := rows.Scan(&id, &phone, &pid, &sent); err != nil {
				rows.Close()
				return err
			}
			t.Track(pid, phone, fmt.Sprintf("m%d", id), time.UnixMilli(sent))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// Replies reads the receivers' replies from the gateways that take them
// and honours opt-outs (TD, 退订, …); it returns how many phones opted out.
func (n *Notifier) Replies(ctx context.Context) (int, error) {
	out := 0
	for _, g := range n.o.Gateways {
		in, ok := g.(sms.Inbox)
		if !ok {
			continue
		}
		rs, err := in.Replies(ctx, 1000)
		if err != nil {
			return out, err
		}
		for _, r := range rs {
			if !sms.IsOptOut(r.Text) || !sms.ValidPhone(r.Phone) {
				continue
			}
			if err := OptOut(ctx, n.st, r.Phone, "reply "+strings.TrimSpace(r.Text)); err != nil {
				return out, err
			}
			out++
			n.log.Info("notify: opted out by reply", "phone", sms.Mask(r.Phone), "gateway", g.Name())
		}
	}
	return out, nil
}

// Receipts polls every gateway for delivery reports and records them.
func (n *Notifier) Receipts(ctx context.Context) (int, error) {
	got := 0
	for _, g := range n.o.Gateways {
		rs, err := g.Receipts(ctx, 1000)
		if err != nil {
			n.log.Warn("notify: receipts", "gateway", g.Name(), "err", err)
			continue
		}
		if len(rs) == 0 {
			continue
		}
		err = n.st.Write(ctx, func(tx *sql.Tx) error {
			for _, r := range rs {
				state := map[sms.Status]string{sms.Delivered: "delivered", sms.Failed: "failed", sms.Expired: "expired"}[r.Status]
				if state == "" {
					continue
				}
				res, err := tx.ExecContext(ctx, `UPDATE sms_messages SET state = ?, error_code = CASE WHEN ? = 'delivered' THEN '' ELSE ? END,
					final_ms = ? WHERE provider_id = ? AND gateway = ? AND state = 'submitted'`,
					state, state, r.Code, r.At.UnixMilli(), r.ProviderID, g.Name())
				if err != nil {
					return err
				}
				if k, _ := res.RowsAffected(); k > 0 {
					got++
					if state != "delivered" {
						n.log.Warn("notify: not delivered", "gateway", g.Name(), "phone", sms.Mask(r.Phone), "status", r.Code)
					}
				}
			}
			return nil
		})
		if err != nil {
			return got, err
		}
	}
	return got, nil
}
