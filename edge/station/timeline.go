package station

import (
	"context"
	"time"

	"cunyou/waybill"
)

// Event is one fact in a parcel's local timeline.
type Event struct {
	Kind   string    `json:"kind"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Seq    uint64    `json:"seq"`
	Detail string    `json:"detail,omitempty"`
}

// ParcelTimeline is a parcel with its events, oldest first.
type ParcelTimeline struct {
	Parcel Parcel  `json:"parcel"`
	Events []Event `json:"events"`
}

// Timeline returns the station's parcels with this waybill (inbound and
// outbound), each with its events.
func (s *Station) Timeline(ctx context.Context, raw string) ([]ParcelTimeline, error) {
	wb, err := waybill.Normalize(raw)
	if err != nil {
		return nil, &Error{Code: CodeWaybillInvalid, Err: err}
	}
	ps, err := queryParcels(ctx, s.st.DB(), "waybill = ? ORDER BY id", wb)
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, fail(CodeParcelNotFound, "waybill", wb)
	}
	out := make([]ParcelTimeline, 0, len(ps))
	for _, p := range ps {
		t := ParcelTimeline{Parcel: p, Events: []Event{}}
		rows, err := s.st.DB().QueryContext(ctx, "SELECT kind, at, actor, seq, detail FROM events WHERE parcel_id = ? ORDER BY id", p.id)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var e Event
			var at int64
			if err := rows.Scan(&e.Kind, &at, &e.Actor, &e.Seq, &e.Detail); err != nil {
				rows.Close()
				return nil, err
			}
			e.At = time.UnixMilli(at)
			t.Events = append(t.Events, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}
