package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"cunyou/syncproto"
)

// The outbox's side of sync (DESIGN §4): where the hub stands for each
// incarnation, what is still to send, pruning after the safety window, and
// the sync loop's remembered state. The hub owns the resume point; these
// records are what this node was last told.

// DefaultSafetyWindow is how long acknowledged ops are kept, so that a hub
// restored from an older backup can be refilled.
const DefaultSafetyWindow = 7 * 24 * time.Hour

// SyncConfig is the node's enrollment with a hub.
type SyncConfig struct {
	HubURL     string
	Token      string
	CAFile     string
	EnrolledAt time.Time
}

// SyncConfig returns the enrollment, and false when the node is not
// enrolled.
func (s *Store) SyncConfig(ctx context.Context) (SyncConfig, bool, error) {
	var c SyncConfig
	var ms int64
	err := s.r.QueryRowContext(ctx, "SELECT hub_url, token, ca_file, enrolled_ms FROM sync_config WHERE id = 1").
		Scan(&c.HubURL, &c.Token, &c.CAFile, &ms)
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("read sync config: %w", classify(err))
	}
	c.EnrolledAt = time.UnixMilli(ms)
	return c, true, nil
}

// SetSyncConfig records the enrollment, replacing an earlier one.
func (s *Store) SetSyncConfig(ctx context.Context, c SyncConfig) error {
	if c.HubURL == "" || c.Token == "" {
		return errors.New("store: sync config needs a hub URL and a token")
	}
	if c.EnrolledAt.IsZero() {
		c.EnrolledAt = s.now()
	}
	return s.Write(ctx, "sync", func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sync_config (id, hub_url, token, ca_file, enrolled_ms) VALUES (1, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET hub_url = excluded.hub_url, token = excluded.token, ca_file = excluded.ca_file,
			enrolled_ms = excluded.enrolled_ms`, c.HubURL, c.Token, c.CAFile, c.EnrolledAt.UnixMilli())
		if err != nil {
			return fmt.Errorf("write sync config: %w", err)
		}
		return nil
	})
}

// SyncIncarnation is one incarnation's outbox as sync sees it.
type SyncIncarnation struct {
	ID        string
	StartedAt time.Time
	Current   bool
	FirstSeq  uint64 // first op kept, 0 when none
	LastSeq   uint64 // last op kept, 0 when none
	Acked     uint64 // the hub's cursor as last told
	Pruned    uint64 // ops up to here were pruned after acknowledgement
}

// Pending is how many kept ops the hub has not acknowledged.
func (i SyncIncarnation) Pending() int {
	from := max(i.Acked, i.Pruned)
	if i.LastSeq <= from {
		return 0
	}
	return int(i.LastSeq - max(from, i.FirstSeq-1))
}

// SyncIncarnations lists every incarnation of this database, oldest first,
// with its outbox's ends and the hub's cursor. Each figure is an index
// probe: no op is read.
func (s *Store) SyncIncarnations(ctx context.Context) ([]SyncIncarnation, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT i.incarnation, i.started_at,
		coalesce((SELECT min(seq) FROM outbox o WHERE o.incarnation = i.incarnation), 0),
		coalesce((SELECT max(seq) FROM outbox o WHERE o.incarnation = i.incarnation), 0),
		coalesce(a.acked_seq, 0), coalesce(a.pruned_seq, 0)
		FROM incarnations i LEFT JOIN sync_acks a ON a.incarnation = i.incarnation
		ORDER BY i.started_at, i.rowid`)
	if err != nil {
		return nil, fmt.Errorf("read incarnations: %w", classify(err))
	}
	defer rows.Close()
	var out []SyncIncarnation
	for rows.Next() {
		var in SyncIncarnation
		var started int64
		if err := rows.Scan(&in.ID, &started, &in.FirstSeq, &in.LastSeq, &in.Acked, &in.Pruned); err != nil {
			return nil, fmt.Errorf("read incarnations: %w", classify(err))
		}
		in.StartedAt = time.UnixMilli(started)
		in.Current = in.ID == s.id.Incarnation
		out = append(out, in)
	}
	return out, classify(rows.Err())
}

// OpsOf returns the kept ops of an incarnation with seq > after, oldest
// first: at most limit, and no more than maxBytes of payload (but always
// at least one op when there is one).
func (s *Store) OpsOf(ctx context.Context, incarnation string, after uint64, limit, maxBytes int) ([]syncproto.Op, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT seq, hlc, actor, kind, payload, hash FROM outbox
		WHERE incarnation = ? AND seq > ? ORDER BY seq LIMIT ?`, incarnation, after, limit)
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", classify(err))
	}
	defer rows.Close()
	var ops []syncproto.Op
	size := 0
	for rows.Next() {
		op := syncproto.Op{V: syncproto.EnvelopeVersion, Node: s.id.Node, Incarnation: incarnation}
		var hlc int64
		var kind string
		var payload []byte
		if err := rows.Scan(&op.Seq, &hlc, &op.Actor, &kind, &payload, &op.Hash); err != nil {
			return nil, fmt.Errorf("read outbox: %w", classify(err))
		}
		size += len(payload) + len(op.Actor) + 32
		if len(ops) > 0 && maxBytes > 0 && size > maxBytes {
			break
		}
		op.HLC, op.Kind, op.Payload = syncproto.Timestamp(hlc), syncproto.EventKind(kind), payload
		ops = append(ops, op)
	}
	return ops, classify(rows.Err())
}

// SetAcked records that the hub holds an incarnation's ops up to seq. The
// cursor only moves forward here; see ResetAcked.
func (s *Store) SetAcked(ctx context.Context, incarnation string, seq uint64) error {
	return s.Write(ctx, "sync", func(tx *Tx) error {
		now := tx.Now().UnixMilli()
		var cur uint64
		err := tx.QueryRowContext(ctx, "SELECT acked_seq FROM sync_acks WHERE incarnation = ?", incarnation).Scan(&cur)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if seq == 0 {
				return nil
			}
			_, err = tx.ExecContext(ctx, "INSERT INTO sync_acks (incarnation, acked_seq, acked_ms) VALUES (?, ?, ?)", incarnation, seq, now)
		case err != nil:
			return err
		case seq <= cur:
			return nil
		default:
			_, err = tx.ExecContext(ctx, "UPDATE sync_acks SET acked_seq = ?, acked_ms = ? WHERE incarnation = ?", seq, now, incarnation)
		}
		if err != nil {
			return fmt.Errorf("record ack: %w", err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO sync_ack_log (incarnation, acked_seq, acked_ms) VALUES (?, ?, ?)
			ON CONFLICT DO UPDATE SET acked_ms = excluded.acked_ms`, incarnation, seq, now)
		return err
	})
}

// ResetAcked moves an incarnation's cursor back to seq: the hub reported
// holding less than it had acknowledged (it was restored from an older
// backup), so the ops after seq are to be sent again. They are still here
// if the loss is younger than the safety window.
func (s *Store) ResetAcked(ctx context.Context, incarnation string, seq uint64) error {
	return s.Write(ctx, "sync", func(tx *Tx) error {
		now := tx.Now().UnixMilli()
		if _, err := tx.ExecContext(ctx, `INSERT INTO sync_acks (incarnation, acked_seq, acked_ms) VALUES (?, ?, ?)
			ON CONFLICT (incarnation) DO UPDATE SET acked_seq = excluded.acked_seq, acked_ms = excluded.acked_ms`,
			incarnation, seq, now); err != nil {
			return fmt.Errorf("reset ack: %w", err)
		}
		_, err := tx.ExecContext(ctx, "DELETE FROM sync_ack_log WHERE incarnation = ? AND acked_seq > ?", incarnation, seq)
		return err
	})
}

// pruneChunk bounds one prune transaction, so that pruning never holds the
// writer long enough to delay a scan.
const pruneChunk = 2000

// Prune deletes ops the hub acknowledged more than window ago, and returns
// how many. The newest op of the current incarnation is always kept, so
// Check can still tell that the outbox ends where the seq counter does.
func (s *Store) Prune(ctx context.Context, window time.Duration) (int, error) {
	if window <= 0 {
		window = DefaultSafetyWindow
	}
	incs, err := s.SyncIncarnations(ctx)
	if err != nil {
		return 0, err
	}
	cutoff := s.now().Add(-window).UnixMilli()
	total := 0
	for _, in := range incs {
		var upto sql.NullInt64
		if err := s.r.QueryRowContext(ctx, "SELECT max(acked_seq) FROM sync_ack_log WHERE incarnation = ? AND acked_ms <= ?",
			in.ID, cutoff).Scan(&upto); err != nil {
			return total, fmt.Errorf("prune: %w", classify(err))
		}
		if !upto.Valid {
			continue
		}
		limit := min(uint64(upto.Int64), in.Acked)
		if in.Current && in.LastSeq > 0 {
			limit = min(limit, in.LastSeq-1)
		}
		if limit <= in.Pruned {
			continue
		}
		from := in.Pruned
		for from < limit {
			to := min(limit, from+pruneChunk)
			err := s.Write(ctx, "sync", func(tx *Tx) error {
				r, err := tx.ExecContext(ctx, "DELETE FROM outbox WHERE incarnation = ? AND seq > ? AND seq <= ?", in.ID, from, to)
				if err != nil {
					return err
				}
				n, _ := r.RowsAffected()
				total += int(n)
				if _, err := tx.ExecContext(ctx, "UPDATE sync_acks SET pruned_seq = ? WHERE incarnation = ? AND pruned_seq < ?", to, in.ID, to); err != nil {
					return err
				}
				_, err = tx.ExecContext(ctx, "DELETE FROM sync_ack_log WHERE incarnation = ? AND acked_seq < ? AND acked_ms <= ?", in.ID, to, cutoff)
				return err
			})
			if err != nil {
				return total, fmt.Errorf("prune: %w", err)
			}
			from = to
		}
	}
	return total, nil
}

// prunedSeqs returns each incarnation's pruned prefix, for Check.
func (s *Store) prunedSeqs(ctx context.Context) (map[string]uint64, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT incarnation, pruned_seq FROM sync_acks WHERE pruned_seq > 0")
	if err != nil {
		return nil, fmt.Errorf("read sync acks: %w", classify(err))
	}
	defer rows.Close()
	out := map[string]uint64{}
	for rows.Next() {
		var inc string
		var seq uint64
		if err := rows.Scan(&inc, &seq); err != nil {
			return nil, fmt.Errorf("read sync acks: %w", classify(err))
		}
		out[inc] = seq
	}
	return out, classify(rows.Err())
}

// Backlog is what the hub has not acknowledged yet.
type Backlog struct {
	Ops int
	// Oldest is the HLC time of the oldest unacknowledged op; zero when
	// there is none.
	Oldest time.Time
}

// Backlog counts the unacknowledged ops of every incarnation: a few index
// probes, cheap enough for every status request.
func (s *Store) Backlog(ctx context.Context) (Backlog, error) {
	incs, err := s.SyncIncarnations(ctx)
	if err != nil {
		return Backlog{}, err
	}
	var b Backlog
	for _, in := range incs {
		n := in.Pending()
		if n == 0 {
			continue
		}
		b.Ops += n
		var hlc int64
		if err := s.r.QueryRowContext(ctx, "SELECT hlc FROM outbox WHERE incarnation = ? AND seq > ? ORDER BY seq LIMIT 1",
			in.ID, in.Acked).Scan(&hlc); err != nil {
			return b, fmt.Errorf("read outbox: %w", classify(err))
		}
		if t := syncproto.Timestamp(hlc).Time(); b.Oldest.IsZero() || t.Before(b.Oldest) {
			b.Oldest = t
		}
	}
	return b, nil
}

// SyncState is what the sync loop remembers between runs.
type SyncState struct {
	DownCursor     uint64 // the newest downstream change applied
	LastSuccess    time.Time
	LastAttempt    time.Time
	LastError      string
	LastErrorCode  string
	LastErrorAt    time.Time
	Skew           time.Duration // hub clock − this node's clock
	ChangesSkipped int           // downstream changes of types this build does not know
}

// Keys of sync_state.
const (
	keyDownCursor     = "down_cursor"
	keyLastSuccess    = "last_success_ms"
	keyLastAttempt    = "last_attempt_ms"
	keyLastError      = "last_error"
	keyLastErrorCode  = "last_error_code"
	keyLastErrorAt    = "last_error_ms"
	keySkew           = "skew_ms"
	keyChangesSkipped = "changes_skipped"
)

// SyncState reads the sync loop's state.
func (s *Store) SyncState(ctx context.Context) (SyncState, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT key, value FROM sync_state")
	if err != nil {
		return SyncState{}, fmt.Errorf("read sync state: %w", classify(err))
	}
	defer rows.Close()
	var st SyncState
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return st, fmt.Errorf("read sync state: %w", classify(err))
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		ms := func() time.Time {
			if n == 0 {
				return time.Time{}
			}
			return time.UnixMilli(n)
		}
		switch k {
		case keyDownCursor:
			st.DownCursor, _ = strconv.ParseUint(v, 10, 64)
		case keyLastSuccess:
			st.LastSuccess = ms()
		case keyLastAttempt:
			st.LastAttempt = ms()
		case keyLastError:
			st.LastError = v
		case keyLastErrorCode:
			st.LastErrorCode = v
		case keyLastErrorAt:
			st.LastErrorAt = ms()
		case keySkew:
			st.Skew = time.Duration(n) * time.Millisecond
		case keyChangesSkipped:
			st.ChangesSkipped = int(n)
		}
	}
	return st, classify(rows.Err())
}

func setState(ctx context.Context, tx *Tx, kv ...string) error {
	for i := 0; i+1 < len(kv); i += 2 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sync_state (key, value) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, kv[i], kv[i+1]); err != nil {
			return fmt.Errorf("write sync state: %w", err)
		}
	}
	return nil
}

func msString(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// RecordSyncSuccess records a completed sync cycle.
func (s *Store) RecordSyncSuccess(ctx context.Context, at time.Time) error {
	return s.Write(ctx, "sync", func(tx *Tx) error {
		return setState(ctx, tx, keyLastSuccess, msString(at), keyLastAttempt, msString(at))
	})
}

// RecordSyncError records a failed sync cycle: its stable code and message.
func (s *Store) RecordSyncError(ctx context.Context, at time.Time, code, msg string) error {
	return s.Write(ctx, "sync", func(tx *Tx) error {
		return setState(ctx, tx, keyLastAttempt, msString(at), keyLastError, msg, keyLastErrorCode, code, keyLastErrorAt, msString(at))
	})
}

// SetSkew records the measured clock skew (hub − node).
func (s *Store) SetSkew(ctx context.Context, skew time.Duration) error {
	return s.Write(ctx, "sync", func(tx *Tx) error {
		return setState(ctx, tx, keySkew, strconv.FormatInt(skew.Milliseconds(), 10))
	})
}

// ResetDownCursor moves the downstream cursor to cursor, also backwards:
// used when the hub's newest change is older than the cursor (a hub
// restored from a backup), so that the changes it makes next are not
// mistaken for ones already applied.
func (s *Store) ResetDownCursor(ctx context.Context, cursor uint64) error {
	return s.Write(ctx, "sync", func(tx *Tx) error {
		return setState(ctx, tx, keyDownCursor, strconv.FormatUint(cursor, 10))
	})
}

// DownCursor reads the downstream cursor inside tx.
func (tx *Tx) DownCursor() (uint64, error) {
	var cur int64
	err := tx.QueryRowContext(tx.ctx, `SELECT coalesce((SELECT CAST(value AS INTEGER) FROM sync_state WHERE key = ?), 0)`,
		keyDownCursor).Scan(&cur)
	if err != nil {
		return 0, fmt.Errorf("read down cursor: %w", err)
	}
	return uint64(cur), nil
}

// AdvanceDownCursor moves the downstream cursor forward to cursor inside
// the transaction that applies the changes up to it, and adds skipped to
// the count of skipped changes. It never moves the cursor back.
func (tx *Tx) AdvanceDownCursor(cursor uint64, skipped int) error {
	var cur, n int64
	err := tx.QueryRowContext(tx.ctx, `SELECT coalesce((SELECT CAST(value AS INTEGER) FROM sync_state WHERE key = ?), 0),
		coalesce((SELECT CAST(value AS INTEGER) FROM sync_state WHERE key = ?), 0)`, keyDownCursor, keyChangesSkipped).Scan(&cur, &n)
	if err != nil {
		return fmt.Errorf("read down cursor: %w", err)
	}
	kv := []string{keyChangesSkipped, strconv.FormatInt(n+int64(skipped), 10)}
	if cursor > uint64(cur) {
		kv = append(kv, keyDownCursor, strconv.FormatUint(cursor, 10))
	}
	return setState(tx.ctx, tx, kv...)
}
