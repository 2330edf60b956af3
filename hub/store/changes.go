package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"cunyou/syncproto"
)

// Outgoing is a downstream change to queue for a node.
type Outgoing struct {
	Node    string
	Type    syncproto.ChangeType
	Payload any // encoded as JSON
}

// AddChanges queues changes, all or none, and returns their seqs. Every
// node must exist.
func (s *Store) AddChanges(ctx context.Context, changes []Outgoing) ([]uint64, error) {
	type enc struct {
		node, typ string
		body      []byte
	}
	encoded := make([]enc, len(changes))
	for i, c := range changes {
		if !c.Type.Known() {
			return nil, fmt.Errorf("%w: change type %q", ErrInvalid, c.Type)
		}
		body, err := json.Marshal(c.Payload)
		if err != nil {
			return nil, fmt.Errorf("encode %s change: %w", c.Type, err)
		}
		if len(body) > syncproto.MaxRecordBytes {
			return nil, fmt.Errorf("%w: %s change of %d bytes (limit %d)", ErrTooLarge, c.Type, len(body), syncproto.MaxRecordBytes)
		}
		encoded[i] = enc{c.Node, string(c.Type), body}
	}
	seqs := make([]uint64, 0, len(changes))
	now := s.now().UnixMilli()
	err := s.Write(ctx, func(tx *sql.Tx) error {
		seqs = seqs[:0]
		// Seqs come from the clock (milliseconds << 16), and at least one
		// past the newest: a hub restored from an older backup must never
		// reissue a seq a node has already applied, and its AUTOINCREMENT
		// counter comes back with the backup.
		var last uint64
		if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(seq), 0) FROM changes").Scan(&last); err != nil {
			return err
		}
		next := max(uint64(now)<<16, last+1)
		known := map[string]bool{}
		for _, c := range encoded {
			if !known[c.node] {
				var one int
				if err := tx.QueryRowContext(ctx, "SELECT 1 FROM nodes WHERE node_id = ?", c.node).Scan(&one); err != nil {
					if err == sql.ErrNoRows {
						return fmt.Errorf("%w: node %s", ErrNotFound, c.node)
					}
					return err
				}
				known[c.node] = true
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO changes (seq, node, type, payload, created_ms) VALUES (?, ?, ?, ?, ?)",
				next, c.node, c.typ, c.body, now); err != nil {
				return err
			}
			seqs = append(seqs, next)
			next++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return seqs, nil
}

// Changes returns node's changes with seq > after, oldest first, at most
// limit.
func (s *Store) Changes(ctx context.Context, node string, after uint64, limit int) ([]syncproto.Change, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT seq, type, payload FROM changes WHERE node = ? AND seq > ? ORDER BY seq LIMIT ?",
		node, after, limit)
	if err != nil {
		return nil, fmt.Errorf("read changes: %w", classify(err))
	}
	defer rows.Close()
	out := []syncproto.Change{}
	for rows.Next() {
		var c syncproto.Change
		var typ string
		var payload []byte
		if err := rows.Scan(&c.Seq, &typ, &payload); err != nil {
			return nil, err
		}
		c.Type, c.Payload = syncproto.ChangeType(typ), payload
		out = append(out, c)
	}
	return out, classify(rows.Err())
}

// ChangesSeq returns the seq of node's newest change, 0 if none.
func (s *Store) ChangesSeq(ctx context.Context, node string) (uint64, error) {
	var seq uint64
	err := s.r.QueryRowContext(ctx, "SELECT coalesce(max(seq), 0) FROM changes WHERE node = ?", node).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("read changes: %w", classify(err))
	}
	return seq, nil
}

// RecordChangesAfter notes that node asked for changes after seq: it has
// applied every change up to seq. Only a higher value is written, so
// polling costs no write.
func (s *Store) RecordChangesAfter(ctx context.Context, node string, after uint64, known uint64) error {
	if after <= known {
		return nil
	}
	return s.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE nodes SET changes_after = max(changes_after, ?) WHERE node_id = ?", after, node)
		return err
	})
}
