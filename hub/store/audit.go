package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// AuditRow is one row of the audit log (hub/audit seals and checks the
// chain; the store keeps it). Times are kept to the millisecond.
type AuditRow struct {
	Seq    int64
	At     time.Time
	Actor  string
	Role   string
	Action string
	Target string
	Remote string
	Result string
	Detail string
	Prev   string // the hash of the row before
	Hash   string
}

// AuditQuery selects audit rows, newest first. Empty fields match all.
type AuditQuery struct {
	Actor  string
	Action string // an action, or a prefix ending in "." (login. …)
	Since  time.Time
	Before int64 // rows with a smaller seq (a page's continuation), 0: none
	Limit  int   // 50 when 0
}

const auditSelect = "SELECT seq, at_ms, actor, role, action, target, remote, result, detail, prev_hash, hash FROM audit"

func scanAudit(r scanner) (AuditRow, error) {
	var a AuditRow
	var at int64
	err := r.Scan(&a.Seq, &at, &a.Actor, &a.Role, &a.Action, &a.Target, &a.Remote, &a.Result, &a.Detail, &a.Prev, &a.Hash)
	a.At = time.UnixMilli(at)
	return a, err
}

// AppendAudit appends row in one transaction: it gives row the next seq
// and the last row's hash as Prev (genesis for the first), lets seal set
// row.Hash, and inserts it.
func (s *Store) AppendAudit(ctx context.Context, row AuditRow, genesis string, seal func(*AuditRow)) (AuditRow, error) {
	if row.At.IsZero() {
		row.At = s.now()
	}
	row.At = time.UnixMilli(row.At.UnixMilli())
	err := s.Write(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").Scan(&row.Seq, &row.Prev)
		if errors.Is(err, sql.ErrNoRows) {
			row.Seq, row.Prev = 0, genesis
		} else if err != nil {
			return err
		}
		row.Seq++
		seal(&row)
		_, err = tx.ExecContext(ctx, `INSERT INTO audit (seq, at_ms, actor, role, action, target, remote, result, detail, prev_hash, hash)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, row.Seq, row.At.UnixMilli(), row.Actor, row.Role, row.Action, row.Target,
			row.Remote, row.Result, row.Detail, row.Prev, row.Hash)
		return err
	})
	if err != nil {
		return AuditRow{}, fmt.Errorf("append audit: %w", err)
	}
	return row, nil
}

// AuditRows returns the rows q selects, newest first.
func (s *Store) AuditRows(ctx context.Context, q AuditQuery) ([]AuditRow, error) {
	var where []string
	var args []any
	if q.Actor != "" {
		where, args = append(where, "actor = ?"), append(args, q.Actor)
	}
	if prefix, ok := strings.CutSuffix(q.Action, "."); ok {
		where, args = append(where, "action >= ? AND action < ?"), append(args, prefix+".", prefix+"/")
	} else if q.Action != "" {
		where, args = append(where, "action = ?"), append(args, q.Action)
	}
	if !q.Since.IsZero() {
		where, args = append(where, "at_ms >= ?"), append(args, q.Since.UnixMilli())
	}
	if q.Before > 0 {
		where, args = append(where, "seq < ?"), append(args, q.Before)
	}
	if q.Limit <= 0 {
		q.Limit = 50
	}
	query := auditSelect
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := s.r.QueryContext(ctx, query+" ORDER BY seq DESC LIMIT ?", append(args, q.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("read audit: %w", classify(err))
	}
	defer rows.Close()
	var out []AuditRow
	for rows.Next() {
		a, err := scanAudit(rows)
		if err != nil {
			return nil, fmt.Errorf("read audit: %w", classify(err))
		}
		out = append(out, a)
	}
	return out, classify(rows.Err())
}

// WalkAudit calls fn on every audit row in seq order, in pages so that no
// read transaction stays open long; fn's error stops the walk.
func (s *Store) WalkAudit(ctx context.Context, fn func(AuditRow) error) error {
	const page = 1000
	var after int64
	for {
		rows, err := s.r.QueryContext(ctx, auditSelect+" WHERE seq > ? ORDER BY seq LIMIT ?", after, page)
		if err != nil {
			return fmt.Errorf("read audit: %w", classify(err))
		}
		var batch []AuditRow
		for rows.Next() {
			a, err := scanAudit(rows)
			if err != nil {
				rows.Close()
				return fmt.Errorf("read audit: %w", classify(err))
			}
			batch = append(batch, a)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("read audit: %w", classify(err))
		}
		for _, a := range batch {
			if err := fn(a); err != nil {
				return err
			}
		}
		if len(batch) < page {
			return nil
		}
		after = batch[len(batch)-1].Seq
	}
}
