package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// What the open API (hub/openapi) reads beyond the tracking lookups:
// searches that combine filters, keep to one carrier and page.

// ParcelQuery selects parcels for FindParcels. Empty fields match
// everything; at least one of Phone, Station, Trip, Status should be set
// (Phone, Station and Trip are indexed; Status alone reads every parcel).
type ParcelQuery struct {
	Phone   string // the receiver's phone, normalized
	Station string // held by or destined for this node
	Status  string
	Trip    string
	Carrier string // only this carrier's parcels (a carrier's client)
	// After continues a page: parcels that sort after this one.
	After *ParcelCursor
	// Limit is the most parcels returned (50 when 0).
	Limit int
}

// ParcelCursor is a place in FindParcels' order (newest change first,
// then by waybill and direction, descending).
type ParcelCursor struct {
	UpdatedMs int64
	Waybill   string
	Direction string
}

// CursorOf is the cursor of p, to continue after it.
func CursorOf(p Parcel) ParcelCursor {
	return ParcelCursor{UpdatedMs: p.Updated.UnixMilli(), Waybill: p.Waybill, Direction: p.Direction}
}

// FindParcels returns the parcels that match q, newest change first.
func (s *Store) FindParcels(ctx context.Context, q ParcelQuery) ([]Parcel, error) {
	var where []string
	var args []any
	add := func(cond string, a ...any) {
		where, args = append(where, cond), append(args, a...)
	}
	if q.Phone != "" {
		add("receiver_phone = ?", q.Phone)
	}
	if q.Station != "" {
		add("(node = ? OR dest = ?)", q.Station, q.Station)
	}
	if q.Status != "" {
		add("status = ?", q.Status)
	}
	if q.Trip != "" {
		add("trip = ?", q.Trip)
	}
	if q.Carrier != "" {
		add("carrier = ?", q.Carrier)
	}
	if c := q.After; c != nil {
		add("(updated_ms < ? OR updated_ms = ? AND (waybill < ? OR waybill = ? AND direction < ?))",
			c.UpdatedMs, c.UpdatedMs, c.Waybill, c.Waybill, c.Direction)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	clause := ""
	if len(where) > 0 {
		clause = "WHERE " + strings.Join(where, " AND ")
	}
	return s.parcels(ctx, clause+" ORDER BY updated_ms DESC, waybill DESC, direction DESC LIMIT ?", append(args, limit)...)
}

// UnresolvedOf is Unresolved for one carrier ("" for every carrier).
func (s *Store) UnresolvedOf(ctx context.Context, carrier string, limit int) ([]Parcel, error) {
	if carrier == "" {
		return s.Unresolved(ctx, limit)
	}
	return s.parcels(ctx, `WHERE dest = '' AND direction = 'in' AND status = 'manifested' AND carrier = ?
		ORDER BY created_ms LIMIT ?`, carrier, limit)
}

// StatusCountsOf is StatusCounts for one carrier's parcels ("" for every
// carrier).
func (s *Store) StatusCountsOf(ctx context.Context, carrier string) (map[string]map[string]int, error) {
	if carrier == "" {
		return s.StatusCounts(ctx)
	}
	rows, err := s.r.QueryContext(ctx, "SELECT node, status, count(*) FROM parcels WHERE carrier = ? GROUP BY node, status", carrier)
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

// ExceptionQuery selects exceptions for ExceptionsPage. Empty fields match
// everything.
type ExceptionQuery struct {
	Waybill string
	Carrier string // only exceptions about this carrier's parcels
	Open    bool   // only those not resolved
	// Before continues a page: exceptions with a smaller id.
	Before int64
	// Limit is the most exceptions returned (50 when 0).
	Limit int
}

// ExceptionsPage returns the exceptions that match q, newest first.
func (s *Store) ExceptionsPage(ctx context.Context, q ExceptionQuery) ([]Exception, error) {
	var where []string
	var args []any
	if q.Waybill != "" {
		where, args = append(where, "e.waybill = ?"), append(args, q.Waybill)
	}
	if q.Carrier != "" {
		where = append(where, "EXISTS (SELECT 1 FROM parcels p WHERE p.waybill = e.waybill AND p.direction = e.direction AND p.carrier = ?)")
		args = append(args, q.Carrier)
	}
	if q.Open {
		where = append(where, "e.resolved_ms = 0")
	}
	if q.Before > 0 {
		where, args = append(where, "e.id < ?"), append(args, q.Before)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	query := "SELECT e.id, e.waybill, e.direction, e.reason, e.ops, e.created_ms, e.resolved_ms, e.resolved_by, e.note FROM exceptions e"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := s.r.QueryContext(ctx, query+" ORDER BY e.id DESC LIMIT ?", append(args, limit)...)
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
