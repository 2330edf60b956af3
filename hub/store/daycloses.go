package store

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"cunyou/syncproto"
)

// DayClose is a station's closing of a day as it uploaded it: a
// day.closed op, read from ops (the hub does not project it), with the
// figures the station counted.
type DayClose struct {
	Node        string
	Incarnation string
	Seq         uint64
	Actor       string    // the operator who closed the day
	At          time.Time // when, by the station's clock
	Received    time.Time // when the hub received it
	syncproto.DayClosed
}

// DayCloses returns node's day closes, the latest day first (the same
// day closed again, by a new incarnation after a PC was replaced, the
// newest close first), at most limit. Only applied ops count: a
// dead-lettered one is in DeadLetters. It reads ops through the partial
// index ops_day_closed.
func (s *Store) DayCloses(ctx context.Context, node string, limit int) ([]DayClose, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT c.incarnation, o.seq, o.hlc, o.actor, o.payload, o.received_ms
		FROM cursors c JOIN ops o ON o.stream = c.stream AND o.kind = 'day.closed'
		WHERE c.node = ? AND o.applied = 1`, node)
	if err != nil {
		return nil, fmt.Errorf("read day closes: %w", classify(err))
	}
	defer rows.Close()
	out := []DayClose{}
	for rows.Next() {
		d := DayClose{Node: node}
		var hlc, received int64
		var payload []byte
		if err := rows.Scan(&d.Incarnation, &d.Seq, &hlc, &d.Actor, &payload, &received); err != nil {
			return nil, fmt.Errorf("read day closes: %w", classify(err))
		}
		if err := json.Unmarshal(payload, &d.DayClosed); err != nil {
			// Applied ops were validated; a payload that does not decode
			// is a fault worth seeing, not a row to skip.
			return nil, fmt.Errorf("read day close %s/%s/%d: %w", node, d.Incarnation, d.Seq, err)
		}
		d.At, d.Received = syncproto.Timestamp(hlc).Time(), time.UnixMilli(received)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, classify(err)
	}
	slices.SortFunc(out, func(a, b DayClose) int {
		return cmp.Or(cmp.Compare(b.Date, a.Date), b.At.Compare(a.At), cmp.Compare(a.Incarnation, b.Incarnation))
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
