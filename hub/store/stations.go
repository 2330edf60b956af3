package store

import (
	"context"
	"fmt"
	"time"

	"cunyou/syncproto"
)

// Station is a node with its sync figures, for the console, the metrics
// and `cunyou-hub station list`.
type Station struct {
	Node
	// Cursors is the acknowledged seq of each incarnation.
	Cursors     map[string]uint64
	DeadLetters int64
	Quarantined int64
	// ChangesSeq is the seq of the node's newest downstream change; with
	// ChangesAfter it tells how far behind the node is downstream.
	ChangesSeq int64
}

// Lag is how far behind the hub's now the newest applied op is; 0 when the
// node has applied nothing.
func (st Station) Lag(now time.Time) time.Duration {
	if st.LastOpHLC == 0 {
		return 0
	}
	return max(now.Sub(st.LastOpHLC.Time()), 0)
}

// Stations returns every node with its cursors and counts, by id.
func (s *Store) Stations(ctx context.Context) ([]Station, error) {
	nodes, err := s.Nodes(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Station, len(nodes))
	idx := make(map[string]*Station, len(nodes))
	for i, n := range nodes {
		out[i] = Station{Node: n, Cursors: map[string]uint64{}}
		idx[n.ID] = &out[i]
	}
	rows, err := s.r.QueryContext(ctx, "SELECT node, incarnation, acked_seq FROM cursors")
	if err != nil {
		return nil, fmt.Errorf("read cursors: %w", classify(err))
	}
	for rows.Next() {
		var node, inc string
		var seq uint64
		if err := rows.Scan(&node, &inc, &seq); err != nil {
			rows.Close()
			return nil, err
		}
		if st := idx[node]; st != nil {
			st.Cursors[inc] = seq
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, classify(err)
	}
	for _, q := range []struct {
		table string
		dst   func(*Station) *int64
	}{
		{"dead_letters", func(st *Station) *int64 { return &st.DeadLetters }},
		{"quarantine", func(st *Station) *int64 { return &st.Quarantined }},
		{"changes", func(st *Station) *int64 { return &st.ChangesSeq }},
	} {
		agg := "count(*)"
		if q.table == "changes" {
			agg = "max(seq)"
		}
		rows, err := s.r.QueryContext(ctx, "SELECT node, "+agg+" FROM "+q.table+" GROUP BY node")
		if err != nil {
			return nil, fmt.Errorf("count %s: %w", q.table, classify(err))
		}
		for rows.Next() {
			var node string
			var n int64
			if err := rows.Scan(&node, &n); err != nil {
				rows.Close()
				return nil, err
			}
			if st := idx[node]; st != nil {
				*q.dst(st) = n
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, classify(err)
		}
	}
	return out, nil
}

// DeadLetter is an op the hub received but can never apply.
type DeadLetter struct {
	Node        string
	Incarnation string
	Seq         uint64
	Kind        syncproto.EventKind
	Code        syncproto.Code
	Reason      string
	Received    time.Time
	Payload     []byte
	Hash        string
}

// DeadLetters lists the dead letters of node (every node when ""), oldest
// first.
func (s *Store) DeadLetters(ctx context.Context, node string) ([]DeadLetter, error) {
	q := "SELECT node, incarnation, seq, kind, code, reason, received_ms, payload, hash FROM dead_letters"
	var args []any
	if node != "" {
		q += " WHERE node = ?"
		args = append(args, node)
	}
	rows, err := s.r.QueryContext(ctx, q+" ORDER BY received_ms, node, incarnation, seq", args...)
	if err != nil {
		return nil, fmt.Errorf("read dead letters: %w", classify(err))
	}
	defer rows.Close()
	var out []DeadLetter
	for rows.Next() {
		var d DeadLetter
		var kind string
		var received int64
		if err := rows.Scan(&d.Node, &d.Incarnation, &d.Seq, &kind, &d.Code, &d.Reason, &received, &d.Payload, &d.Hash); err != nil {
			return nil, err
		}
		d.Kind, d.Received = syncproto.EventKind(kind), time.UnixMilli(received)
		out = append(out, d)
	}
	return out, classify(rows.Err())
}

// Quarantined is an op that reused an identity with other content.
type Quarantined struct {
	Node         string
	Incarnation  string
	Seq          uint64
	HashExisting string
	HashNew      string
	Kind         syncproto.EventKind
	Reason       string
	Received     time.Time
}

// Quarantine lists the quarantined ops of node (every node when "").
func (s *Store) Quarantine(ctx context.Context, node string) ([]Quarantined, error) {
	q := "SELECT node, incarnation, seq, hash_existing, hash_new, kind, reason, received_ms FROM quarantine"
	var args []any
	if node != "" {
		q += " WHERE node = ?"
		args = append(args, node)
	}
	rows, err := s.r.QueryContext(ctx, q+" ORDER BY id", args...)
	if err != nil {
		return nil, fmt.Errorf("read quarantine: %w", classify(err))
	}
	defer rows.Close()
	var out []Quarantined
	for rows.Next() {
		var d Quarantined
		var kind string
		var received int64
		if err := rows.Scan(&d.Node, &d.Incarnation, &d.Seq, &d.HashExisting, &d.HashNew, &kind, &d.Reason, &received); err != nil {
			return nil, err
		}
		d.Kind, d.Received = syncproto.EventKind(kind), time.UnixMilli(received)
		out = append(out, d)
	}
	return out, classify(rows.Err())
}
