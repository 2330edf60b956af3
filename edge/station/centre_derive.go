package station

import (
	"context"
	"fmt"
)

// centreTransition is the one rule that derives a centre parcel's status
// from its events, like transition for the station's parcels: the status
// after event ev in status cur ("" before the first event), or false when
// ev cannot happen in cur.
func centreTransition(flow, cur, ev string) (string, bool) {
	switch ev {
	case cevAtCentre:
		return StatusAtCentre, flow == FlowIn && cur == ""
	case cevSorted:
		return StatusSorted, flow == FlowIn && (cur == "" || cur == StatusAtCentre || cur == StatusSorted)
	case cevLoaded:
		return StatusLoaded, flow == FlowIn && (cur == StatusAtCentre || cur == StatusSorted || cur == StatusLoaded)
	case cevDeparted:
		return StatusInTransit, flow == FlowIn && cur == StatusLoaded
	case cevCollected:
		return StatusCollected, flow == FlowBack && cur == ""
	case cevHandedOver:
		return StatusHandedOver, flow == FlowBack && cur == StatusCollected
	}
	return cur, false
}

// verifyCentreDerived replays every centre parcel's events through
// centreTransition and checks what must agree with them: trips that left
// carry only parcels in transit and open trips none, handed-over parcels
// are on a list whose count they make up.
func (s *Station) verifyCentreDerived(ctx context.Context) error {
	db := s.st.DB()
	rows, err := db.QueryContext(ctx, `SELECT p.id, p.waybill, p.flow, p.status, e.kind FROM centre_parcels p
		LEFT JOIN centre_events e ON e.parcel_id = p.id ORDER BY p.id, e.id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var curID int64 = -1
	var key, flow, stored, derived string
	check := func() error {
		if curID >= 0 && stored != derived {
			return fmt.Errorf("centre parcel %s: stored status %s, events give %q", key, stored, derived)
		}
		return nil
	}
	for rows.Next() {
		var id int64
		var wb, fl, status string
		var ev *string
		if err := rows.Scan(&id, &wb, &fl, &status, &ev); err != nil {
			return err
		}
		if id != curID {
			if err := check(); err != nil {
				return err
			}
			curID, key, flow, stored, derived = id, wb+"/"+fl, fl, status, ""
		}
		if ev == nil {
			continue // no events: check() reports the stored status
		}
		next, ok := centreTransition(flow, derived, *ev)
		if !ok {
			return fmt.Errorf("centre parcel %s: event %s not allowed in status %q", key, *ev, derived)
		}
		derived = next
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if err := check(); err != nil {
		return err
	}
	for _, c := range []struct{ what, query string }{
		{"parcels in transit on a trip that has not left", `SELECT count(*) FROM centre_parcels p WHERE p.status = 'in_transit'
			AND NOT EXISTS (SELECT 1 FROM trips t WHERE t.id = p.loaded_trip AND t.departed_at IS NOT NULL)`},
		{"parcels loaded on a trip that left or is unknown", `SELECT count(*) FROM centre_parcels p WHERE p.status = 'loaded'
			AND NOT EXISTS (SELECT 1 FROM trips t WHERE t.id = p.loaded_trip AND t.departed_at IS NULL)`},
		{"parcels handed over on no list, or on one while waiting", `SELECT count(*) FROM centre_parcels WHERE
			(status = 'handed_over') != (handover != '' AND handover IN (SELECT list FROM handovers))`},
		{"handover lists whose count differs from their parcels", `SELECT count(*) FROM handovers h WHERE h.parcels !=
			(SELECT count(*) FROM centre_parcels p WHERE p.handover = h.list)`},
	} {
		var n int
		if err := db.QueryRowContext(ctx, c.query).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("centre: %d %s", n, c.what)
		}
	}
	return nil
}
