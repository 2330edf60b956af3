package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"cunyou/syncproto"
)

// The dispatchers' repairs of what the merge set aside: contradictions
// resolved with a note, dead letters discarded (a retry, which re-runs an
// op through the merge, is hub/merge's Retry), quarantined ops
// acknowledged. Nothing is deleted: each keeps who, when and why.

// Dead letters' states.
const (
	DeadOpen      = "open"
	DeadApplied   = "applied"   // a retry went through the merge
	DeadDiscarded = "discarded" // someone decided it is not to be applied
)

// ResolveException marks exception id resolved by by with note and
// returns it. ErrNotFound: no such exception; ErrResolved: it was
// resolved before (by whom is in the returned exception).
func (s *Store) ResolveException(ctx context.Context, id int64, by, note string) (Exception, error) {
	var e Exception
	err := s.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE exceptions SET resolved_ms = ?, resolved_by = ?, note = ? WHERE id = ? AND resolved_ms = 0",
			s.now().UnixMilli(), by, note, id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		var created, resolved int64
		err = tx.QueryRowContext(ctx, "SELECT id, waybill, direction, reason, ops, created_ms, resolved_ms, resolved_by, note FROM exceptions WHERE id = ?", id).
			Scan(&e.ID, &e.Waybill, &e.Direction, &e.Reason, &e.Ops, &created, &resolved, &e.ResolvedBy, &e.Note)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: no exception %d", ErrNotFound, id)
		}
		if err != nil {
			return err
		}
		e.Created, e.Resolved = time.UnixMilli(created), msTime(resolved)
		if n == 0 {
			return fmt.Errorf("%w: exception %d was resolved by %s", ErrResolved, id, e.ResolvedBy)
		}
		return nil
	})
	if err != nil {
		return e, fmt.Errorf("resolve exception: %w", err)
	}
	return e, nil
}

// Exception returns exception id.
func (s *Store) Exception(ctx context.Context, id int64) (Exception, error) {
	var e Exception
	var created, resolved int64
	err := s.r.QueryRowContext(ctx, "SELECT id, waybill, direction, reason, ops, created_ms, resolved_ms, resolved_by, note FROM exceptions WHERE id = ?", id).
		Scan(&e.ID, &e.Waybill, &e.Direction, &e.Reason, &e.Ops, &created, &resolved, &e.ResolvedBy, &e.Note)
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("%w: no exception %d", ErrNotFound, id)
	}
	if err != nil {
		return e, fmt.Errorf("read exception: %w", classify(err))
	}
	e.Created, e.Resolved = time.UnixMilli(created), msTime(resolved)
	return e, nil
}

const deadLetterCols = "node, incarnation, seq, kind, code, reason, received_ms, payload, hash, state, attempts, retried_ms, handled_by, handled_ms, note"

func scanDeadLetter(sc scanner) (DeadLetter, error) {
	var d DeadLetter
	var kind string
	var received, retried, handled int64
	err := sc.Scan(&d.Node, &d.Incarnation, &d.Seq, &kind, &d.Code, &d.Reason, &received, &d.Payload, &d.Hash, &d.State, &d.Attempts,
		&retried, &d.HandledBy, &handled, &d.Note)
	d.Kind, d.Received, d.Retried, d.Handled = syncproto.EventKind(kind), time.UnixMilli(received), msTime(retried), msTime(handled)
	return d, err
}

// DeadLettersOf lists the dead letters of node (every node when ""),
// only the open ones when open, oldest first.
func (s *Store) DeadLettersOf(ctx context.Context, node string, open bool) ([]DeadLetter, error) {
	q := "SELECT " + deadLetterCols + " FROM dead_letters WHERE 1 = 1"
	var args []any
	if node != "" {
		q += " AND node = ?"
		args = append(args, node)
	}
	if open {
		q += " AND state = 'open'"
	}
	return queryAll(ctx, s, "dead letters", scanDeadLetter, q+" ORDER BY received_ms, node, incarnation, seq", args...)
}

// DeadLetterOf returns the dead letter (node, inc, seq).
func (s *Store) DeadLetterOf(ctx context.Context, node, inc string, seq uint64) (DeadLetter, error) {
	d, err := scanDeadLetter(s.r.QueryRowContext(ctx, "SELECT "+deadLetterCols+" FROM dead_letters WHERE node = ? AND incarnation = ? AND seq = ?",
		node, inc, int64(seq)))
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("%w: no dead letter %s/%s/%d", ErrNotFound, node, inc, seq)
	}
	if err != nil {
		return d, fmt.Errorf("read dead letter: %w", classify(err))
	}
	return d, nil
}

// DiscardDeadLetter marks an open dead letter discarded by by, with note
// (why it is not to be applied). The op stays, never applied.
func (s *Store) DiscardDeadLetter(ctx context.Context, node, inc string, seq uint64, by, note string) (DeadLetter, error) {
	err := s.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE dead_letters SET state = 'discarded', handled_by = ?, handled_ms = ?, note = ?
			WHERE node = ? AND incarnation = ? AND seq = ? AND state = 'open'`, by, s.now().UnixMilli(), note, node, inc, int64(seq))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		var state, who string
		err = tx.QueryRowContext(ctx, "SELECT state, handled_by FROM dead_letters WHERE node = ? AND incarnation = ? AND seq = ?",
			node, inc, int64(seq)).Scan(&state, &who)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: no dead letter %s/%s/%d", ErrNotFound, node, inc, seq)
		}
		if err != nil {
			return err
		}
		return fmt.Errorf("%w: dead letter %s/%s/%d was %s by %s", ErrResolved, node, inc, seq, state, who)
	})
	if err != nil {
		return DeadLetter{}, fmt.Errorf("discard dead letter: %w", err)
	}
	return s.DeadLetterOf(ctx, node, inc, seq)
}

const quarantineCols = "id, node, incarnation, seq, hash_existing, hash_new, kind, reason, received_ms, acked_by, acked_ms, note"

func scanQuarantined(sc scanner) (Quarantined, error) {
	var d Quarantined
	var kind string
	var received, acked int64
	err := sc.Scan(&d.ID, &d.Node, &d.Incarnation, &d.Seq, &d.HashExisting, &d.HashNew, &kind, &d.Reason, &received, &d.AckedBy, &acked, &d.Note)
	d.Kind, d.Received, d.Acked = syncproto.EventKind(kind), time.UnixMilli(received), msTime(acked)
	return d, err
}

// QuarantineOf lists the quarantined ops of node (every node when ""),
// only those not acknowledged when open, in the order received.
func (s *Store) QuarantineOf(ctx context.Context, node string, open bool) ([]Quarantined, error) {
	q := "SELECT " + quarantineCols + " FROM quarantine WHERE 1 = 1"
	var args []any
	if node != "" {
		q += " AND node = ?"
		args = append(args, node)
	}
	if open {
		q += " AND acked_ms = 0"
	}
	return queryAll(ctx, s, "quarantine", scanQuarantined, q+" ORDER BY id", args...)
}

// AckQuarantined acknowledges quarantined op id: by has looked into it
// (note says what was found). The op stays, never applied.
func (s *Store) AckQuarantined(ctx context.Context, id int64, by, note string) (Quarantined, error) {
	var d Quarantined
	err := s.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE quarantine SET acked_by = ?, acked_ms = ?, note = ? WHERE id = ? AND acked_ms = 0",
			by, s.now().UnixMilli(), note, id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		d, err = scanQuarantined(tx.QueryRowContext(ctx, "SELECT "+quarantineCols+" FROM quarantine WHERE id = ?", id))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: no quarantined op %d", ErrNotFound, id)
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%w: quarantined op %d was acknowledged by %s", ErrResolved, id, d.AckedBy)
		}
		return nil
	})
	if err != nil {
		return d, fmt.Errorf("acknowledge quarantined op: %w", err)
	}
	return d, nil
}
