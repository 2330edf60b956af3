package store

import (
	"context"
	"fmt"
	"time"

	"cunyou/syncproto"
)

// What the public query pages (hub/public) read beyond the tracking
// lookups: a timeline with the facts' payloads (to tell a villager which
// bus carries the parcel without parsing the detail text) and a
// receiver's inbound parcels through the phone index.

// FactPayload is a timeline fact with the payload of the op it came from
// (canonical JSON of the event kind's payload type). A payload can hold
// phone numbers: never show or log it as it is.
type FactPayload struct {
	Fact
	Payload []byte
}

// TimelinePayloads returns the facts about waybill, both directions, in
// the hub's order of receipt, each with its op's payload.
func (s *Store) TimelinePayloads(ctx context.Context, waybill string) ([]FactPayload, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT f.id, f.waybill, f.direction, o.node, o.incarnation, o.seq, o.kind, o.hlc,
		o.received_ms, f.detail, o.payload
		FROM facts f JOIN ops_by_node o ON o.hub_seq = f.hub_seq
		WHERE f.waybill = ? AND f.waybill <> '' ORDER BY f.id`, waybill)
	if err != nil {
		return nil, fmt.Errorf("read timeline: %w", classify(err))
	}
	defer rows.Close()
	var out []FactPayload
	for rows.Next() {
		var f FactPayload
		var kind string
		var hlc, rec int64
		if err := rows.Scan(&f.ID, &f.Waybill, &f.Direction, &f.Node, &f.Incarnation, &f.Seq, &kind, &hlc, &rec, &f.Detail,
			&f.Payload); err != nil {
			return nil, err
		}
		f.Kind, f.HLC, f.Received = syncproto.EventKind(kind), syncproto.Timestamp(hlc), time.UnixMilli(rec)
		out = append(out, f)
	}
	return out, classify(rows.Err())
}

// InboundByPhone returns the inbound parcels of a receiver's phone,
// newest change first, at most limit. Unlike ParcelsByPhone it reads
// through the partial index parcels_phone (SQLite uses a partial index
// only when the query repeats its condition).
func (s *Store) InboundByPhone(ctx context.Context, phone string, limit int) ([]Parcel, error) {
	if phone == "" {
		return nil, nil
	}
	return s.parcels(ctx, `WHERE receiver_phone = ? AND receiver_phone <> '' AND direction = 'in'
		ORDER BY updated_ms DESC LIMIT ?`, phone, limit)
}
