package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"cunyou/syncproto"
)

// Parcel is the hub's projection of one parcel in one direction ("in" to
// the village, "out" sent from it).
type Parcel struct {
	Waybill       string
	Direction     string
	Carrier       string
	Status        string
	Node          string // where the parcel is, per the facts so far
	ReceiverName  string
	ReceiverPhone string // full: needed for the arrival SMS; never log it
	Code          string // pickup code
	UpdatedHLC    syncproto.Timestamp
	Updated       time.Time
	// LastOp is the op that last changed the row (its hub_seq in ops).
	LastOp int64
}

// Parcel returns one parcel.
func (s *Store) Parcel(ctx context.Context, waybill, direction string) (Parcel, error) {
	var p Parcel
	var hlc, upd int64
	err := s.r.QueryRowContext(ctx, `SELECT waybill, direction, carrier, status, node, receiver_name, receiver_phone, code,
		updated_hlc, updated_ms, last_op FROM parcels WHERE waybill = ? AND direction = ?`, waybill, direction).
		Scan(&p.Waybill, &p.Direction, &p.Carrier, &p.Status, &p.Node, &p.ReceiverName, &p.ReceiverPhone, &p.Code,
			&hlc, &upd, &p.LastOp)
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("%w: parcel %s/%s", ErrNotFound, waybill, direction)
	}
	if err != nil {
		return p, fmt.Errorf("read parcel: %w", classify(err))
	}
	p.UpdatedHLC, p.Updated = syncproto.Timestamp(hlc), time.UnixMilli(upd)
	return p, nil
}

// Fact is one timeline entry.
type Fact struct {
	ID          int64 // the fact's place in the hub's order of receipt
	Waybill     string
	Direction   string
	Node        string
	Incarnation string
	Seq         uint64
	Kind        syncproto.EventKind
	HLC         syncproto.Timestamp
	Received    time.Time
	Detail      string
}

// Timeline returns the facts about a waybill in the hub's order of
// receipt; waybill "" with node gives the facts of that node only (day
// close, operators, shelves, settings).
func (s *Store) Timeline(ctx context.Context, waybill, node string) ([]Fact, error) {
	q := "SELECT id, waybill, direction, node, incarnation, seq, kind, hlc, received_ms, detail FROM timeline WHERE waybill = ?"
	if waybill != "" {
		q += " AND waybill <> ''" // lets SQLite use the partial index facts_waybill
	}
	args := []any{waybill}
	if node != "" {
		q += " AND node = ?"
		args = append(args, node)
	}
	rows, err := s.r.QueryContext(ctx, q+" ORDER BY id", args...)
	if err != nil {
		return nil, fmt.Errorf("read timeline: %w", classify(err))
	}
	defer rows.Close()
	var out []Fact
	for rows.Next() {
		var f Fact
		var kind string
		var hlc, rec int64
		if err := rows.Scan(&f.ID, &f.Waybill, &f.Direction, &f.Node, &f.Incarnation, &f.Seq, &kind, &hlc, &rec, &f.Detail); err != nil {
			return nil, err
		}
		f.Kind, f.HLC, f.Received = syncproto.EventKind(kind), syncproto.Timestamp(hlc), time.UnixMilli(rec)
		out = append(out, f)
	}
	return out, classify(rows.Err())
}

// Exception is a contradiction between facts, for a dispatcher.
type Exception struct {
	ID        int64
	Waybill   string
	Direction string
	Reason    string
	Ops       string // the ops involved, "node/inc/seq" separated by spaces
	Created   time.Time
	Resolved  time.Time // zero while open
}

// Exceptions returns the exceptions of waybill (all when ""), oldest first.
func (s *Store) Exceptions(ctx context.Context, waybill string) ([]Exception, error) {
	q := "SELECT id, waybill, direction, reason, ops, created_ms, resolved_ms FROM exceptions"
	var args []any
	if waybill != "" {
		q += " WHERE waybill = ?"
		args = append(args, waybill)
	}
	rows, err := s.r.QueryContext(ctx, q+" ORDER BY id", args...)
	if err != nil {
		return nil, fmt.Errorf("read exceptions: %w", classify(err))
	}
	defer rows.Close()
	var out []Exception
	for rows.Next() {
		var e Exception
		var created, resolved int64
		if err := rows.Scan(&e.ID, &e.Waybill, &e.Direction, &e.Reason, &e.Ops, &created, &resolved); err != nil {
			return nil, err
		}
		e.Created, e.Resolved = time.UnixMilli(created), msTime(resolved)
		out = append(out, e)
	}
	return out, classify(rows.Err())
}
