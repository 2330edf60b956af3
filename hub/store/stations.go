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
		table, where string
		dst          func(*Station) *int64
	}{
		// Only what still waits for someone: open dead letters,
		// quarantined ops not acknowledged.
		{"dead_letters", " WHERE state = 'open'", func(st *Station) *int64 { return &st.DeadLetters }},
		{"quarantine", " WHERE acked_ms = 0", func(st *Station) *int64 { return &st.Quarantined }},
		{"changes", "", func(st *Station) *int64 { return &st.ChangesSeq }},
	} {
		agg := "count(*)"
		if q.table == "changes" {
			agg = "max(seq)"
		}
		rows, err := s.r.QueryContext(ctx, "SELECT node, "+agg+" FROM "+q.table+q.where+" GROUP BY node")
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

// DeadLetter is an op the hub received but could not apply: open until
// a retry applies it or someone discards it (see repair.go).
type DeadLetter struct {
	Node        string
	Incarnation string
	Seq         uint64
	Kind        syncproto.EventKind
	Code        syncproto.Code // the last attempt's
	Reason      string
	Received    time.Time
	Payload     []byte
	Hash        string
	State       string // DeadOpen, DeadApplied or DeadDiscarded
	Attempts    int    // retries so far
	Retried     time.Time
	HandledBy   string // who applied or discarded it
	Handled     time.Time
	Note        string
}

// DeadLetters lists the dead letters of node (every node when ""), open
// or not, oldest first.
func (s *Store) DeadLetters(ctx context.Context, node string) ([]DeadLetter, error) {
	return s.DeadLettersOf(ctx, node, false)
}

// Quarantined is an op that reused an identity with other content.
type Quarantined struct {
	ID           int64
	Node         string
	Incarnation  string
	Seq          uint64
	HashExisting string
	HashNew      string
	Kind         syncproto.EventKind
	Reason       string
	Received     time.Time
	AckedBy      string // who acknowledged it; "" while open
	Acked        time.Time
	Note         string
}

// Quarantine lists the quarantined ops of node (every node when ""),
// acknowledged or not.
func (s *Store) Quarantine(ctx context.Context, node string) ([]Quarantined, error) {
	return s.QuarantineOf(ctx, node, false)
}
