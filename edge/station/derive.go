package station

import (
	"context"
	"fmt"
)

// Local event kinds in a parcel's timeline.
const (
	evInbound   = "inbound"
	evPickedUp  = "picked_up"
	evAccepted  = "accepted"
	evProblem   = "problem"
	evReturning = "returning"
	evRelocated = "relocated"
	evUndone    = "inbound_undone" // the inbound undone (undo.go)
)

// transition is the one rule that derives a parcel's status from its
// events: the status after event ev in status cur ("" before the first
// event), or false when ev cannot happen in cur.
func transition(cur, ev string) (string, bool) {
	switch ev {
	case evInbound:
		return StatusAtStation, cur == "" || cur == StatusUndone
	case evUndone:
		return StatusUndone, cur == StatusAtStation
	case evAccepted:
		return StatusAccepted, cur == ""
	case evPickedUp:
		return StatusPickedUp, cur == StatusAtStation
	case evProblem:
		return StatusProblem, cur == StatusAtStation || cur == StatusProblem || cur == StatusAccepted
	case evReturning:
		return StatusReturning, cur == StatusAtStation || cur == StatusProblem
	case evRelocated:
		return cur, cur == StatusAtStation || cur == StatusProblem
	}
	return cur, false
}

// onShelf reports whether a parcel in status holds a shelf slot.
func onShelf(status string) bool { return status == StatusAtStation || status == StatusProblem }

// VerifyDerived replays every parcel's events through transition and
// reports the first parcel whose stored status differs from the derived
// one, or whose events break the rules; then the same for the centre's
// parcels (verifyCentreDerived).
func (s *Station) VerifyDerived(ctx context.Context) error {
	rows, err := s.st.DB().QueryContext(ctx, `SELECT p.waybill, p.direction, p.status, e.kind FROM parcels p
		JOIN events e ON e.parcel_id = p.id ORDER BY p.id, e.id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var curKey, stored, derived string
	check := func() error {
		if curKey != "" && stored != derived {
			return fmt.Errorf("parcel %s: stored status %s, events give %s", curKey, stored, derived)
		}
		return nil
	}
	for rows.Next() {
		var wb, dir, status, ev string
		if err := rows.Scan(&wb, &dir, &status, &ev); err != nil {
			return err
		}
		if key := wb + "/" + dir; key != curKey {
			if err := check(); err != nil {
				return err
			}
			curKey, stored, derived = key, status, ""
		}
		next, ok := transition(derived, ev)
		if !ok {
			return fmt.Errorf("parcel %s: event %s not allowed in status %q", curKey, ev, derived)
		}
		derived = next
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if err := check(); err != nil {
		return err
	}
	return s.verifyCentreDerived(ctx)
}
