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
	Node          string // who holds the parcel ("" while a carrier or a vehicle does)
	ReceiverName  string
	ReceiverPhone string // full: needed for the arrival SMS; never log it
	Code          string // pickup code
	Dest          string // destination station ("" while unresolved)
	DestReason    string // village, phone, manual, centre, unresolved
	DestDetail    string
	Trip          string
	Address       string
	WeightGrams   int
	ValueFen      int
	SenderName    string
	Source        string // API client or file that announced it
	Created       time.Time
	UpdatedHLC    syncproto.Timestamp
	Updated       time.Time
	// LastOp is the op that last changed the row (its hub_seq in ops).
	LastOp int64
}

const parcelSelect = `SELECT waybill, direction, carrier, status, node, receiver_name, receiver_phone, code, dest, dest_reason,
	dest_detail, trip, address, weight_g, value_fen, sender_name, source, created_ms, updated_hlc, updated_ms, last_op FROM parcels`

func scanParcel(r scanner) (Parcel, error) {
	var p Parcel
	var created, hlc, upd int64
	err := r.Scan(&p.Waybill, &p.Direction, &p.Carrier, &p.Status, &p.Node, &p.ReceiverName, &p.ReceiverPhone, &p.Code,
		&p.Dest, &p.DestReason, &p.DestDetail, &p.Trip, &p.Address, &p.WeightGrams, &p.ValueFen, &p.SenderName, &p.Source,
		&created, &hlc, &upd, &p.LastOp)
	p.Created, p.UpdatedHLC, p.Updated = msTime(created), syncproto.Timestamp(hlc), time.UnixMilli(upd)
	return p, err
}

func (s *Store) parcels(ctx context.Context, where string, args ...any) ([]Parcel, error) {
	return queryAll(ctx, s, "parcels", scanParcel, parcelSelect+" "+where, args...)
}

// Parcel returns one parcel.
func (s *Store) Parcel(ctx context.Context, waybill, direction string) (Parcel, error) {
	p, err := scanParcel(s.r.QueryRowContext(ctx, parcelSelect+" WHERE waybill = ? AND direction = ?", waybill, direction))
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("%w: parcel %s/%s", ErrNotFound, waybill, direction)
	}
	if err != nil {
		return p, fmt.Errorf("read parcel: %w", classify(err))
	}
	return p, nil
}

// ParcelsByWaybill returns the parcel of a waybill in both directions
// (inbound first); none is ErrNotFound.
func (s *Store) ParcelsByWaybill(ctx context.Context, waybill string) ([]Parcel, error) {
	ps, err := s.parcels(ctx, "WHERE waybill = ? ORDER BY direction", waybill)
	if err == nil && len(ps) == 0 {
		err = fmt.Errorf("%w: waybill %s", ErrNotFound, waybill)
	}
	return ps, err
}

// ParcelsByPhone returns the parcels of a receiver's phone, newest first,
// at most limit.
func (s *Store) ParcelsByPhone(ctx context.Context, phone string, limit int) ([]Parcel, error) {
	// receiver_phone <> '' lets SQLite use the partial index parcels_phone.
	return s.parcels(ctx, "WHERE receiver_phone = ? AND receiver_phone <> '' ORDER BY updated_ms DESC LIMIT ?", phone, limit)
}

// ParcelsAt returns the parcels node holds in status ("" for any),
// newest first, at most limit.
func (s *Store) ParcelsAt(ctx context.Context, node, status string, limit int) ([]Parcel, error) {
	if status == "" {
		return s.parcels(ctx, "WHERE node = ? ORDER BY updated_ms DESC LIMIT ?", node, limit)
	}
	return s.parcels(ctx, "WHERE node = ? AND status = ? ORDER BY updated_ms DESC LIMIT ?", node, status, limit)
}

// ParcelsFor returns the parcels destined for station in status ("" for
// any), newest first, at most limit.
func (s *Store) ParcelsFor(ctx context.Context, station, status string, limit int) ([]Parcel, error) {
	if status == "" {
		return s.parcels(ctx, "WHERE dest = ? ORDER BY updated_ms DESC LIMIT ?", station, limit)
	}
	return s.parcels(ctx, "WHERE dest = ? AND status = ? ORDER BY updated_ms DESC LIMIT ?", station, status, limit)
}

// ParcelsOnTrip returns the parcels planned on or riding trip.
func (s *Store) ParcelsOnTrip(ctx context.Context, trip string) ([]Parcel, error) {
	return s.parcels(ctx, "WHERE trip = ? ORDER BY waybill", trip)
}

// Unresolved returns the dispatchers' queue: parcels announced whose
// destination the hub could not decide, oldest first.
func (s *Store) Unresolved(ctx context.Context, limit int) ([]Parcel, error) {
	return s.parcels(ctx, "WHERE dest = '' AND direction = 'in' AND status = 'manifested' ORDER BY created_ms LIMIT ?", limit)
}

// LastStationOf returns the station where phone last had a parcel
// delivered, for routing a parcel whose address says nothing useful.
func (s *Store) LastStationOf(ctx context.Context, phone string) (string, bool, error) {
	var node string
	err := s.r.QueryRowContext(ctx, `SELECT node FROM parcels WHERE receiver_phone = ? AND receiver_phone <> '' AND direction = 'in'
		AND status IN ('at_station', 'picked_up') AND node <> '' ORDER BY updated_ms DESC LIMIT 1`, phone).Scan(&node)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, classify(err)
	}
	return node, true, nil
}

// StatusCounts returns how many parcels each node holds in each status
// (node "" for parcels with a carrier or on the road), for the dashboard.
func (s *Store) StatusCounts(ctx context.Context) (map[string]map[string]int, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT node, status, count(*) FROM parcels GROUP BY node, status")
	if err != nil {
		return nil, fmt.Errorf("count parcels: %w", classify(err))
	}
	defer rows.Close()
	out := map[string]map[string]int{}
	for rows.Next() {
		var node, status string
		var n int
		if err := rows.Scan(&node, &status, &n); err != nil {
			return nil, err
		}
		if out[node] == nil {
			out[node] = map[string]int{}
		}
		out[node][status] = n
	}
	return out, classify(rows.Err())
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
	// ResolvedBy and Note: who resolved it and why, what was done.
	ResolvedBy string
	Note       string
}

// Exceptions returns the exceptions of waybill (all when ""), oldest first.
func (s *Store) Exceptions(ctx context.Context, waybill string) ([]Exception, error) {
	q := "SELECT id, waybill, direction, reason, ops, created_ms, resolved_ms, resolved_by, note FROM exceptions"
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
		if err := rows.Scan(&e.ID, &e.Waybill, &e.Direction, &e.Reason, &e.Ops, &created, &resolved, &e.ResolvedBy, &e.Note); err != nil {
			return nil, err
		}
		e.Created, e.Resolved = time.UnixMilli(created), msTime(resolved)
		out = append(out, e)
	}
	return out, classify(rows.Err())
}
