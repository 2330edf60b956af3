package station

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"cunyou/edge/store"
	"cunyou/syncproto"
	"cunyou/waybill"
)

// ApproachingFor is how long after its expected arrival a vehicle's
// approach is still shown: a bus held up on the road is still coming.
const ApproachingFor = 30 * time.Minute

// Approaching is a trip's vehicle a few minutes away with parcels for the
// station, as the county hub told it (its GPS): the operator makes ready
// to take the bags.
type Approaching struct {
	Trip    string    `json:"trip"`
	Line    string    `json:"line,omitempty"`
	Vehicle string    `json:"vehicle"`
	At      time.Time `json:"at"`      // when the vehicle came near
	ETA     time.Time `json:"eta"`     // when it should arrive
	Parcels int       `json:"parcels"` // those not scanned in yet
}

// applyApproaching keeps the hub's word that a trip's vehicle is near;
// the same trip's later word replaces it.
func applyApproaching(ctx context.Context, tx *store.Tx, c syncproto.Change) error {
	a, err := decode[syncproto.TripApproaching](c)
	if err != nil {
		return err
	}
	if a.Trip == "" || a.Vehicle == "" || a.Parcels < 0 || a.EtaMs <= 0 {
		return refuse("trip approaching: trip %q vehicle %q parcels %d eta %d", a.Trip, a.Vehicle, a.Parcels, a.EtaMs)
	}
	var wbs string
	if len(a.Waybills) > 0 {
		for i, wb := range a.Waybills {
			if a.Waybills[i], err = waybill.Normalize(wb); err != nil {
				return refuse("trip approaching: waybill %q: %v", wb, err)
			}
		}
		b, err := json.Marshal(a.Waybills)
		if err != nil {
			return err
		}
		wbs = string(b)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO approaching (trip, line, vehicle, at_ms, eta_ms, parcels, waybills, received_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (trip) DO UPDATE SET line = excluded.line, vehicle = excluded.vehicle,
		at_ms = excluded.at_ms, eta_ms = excluded.eta_ms, parcels = excluded.parcels, waybills = excluded.waybills,
		received_ms = excluded.received_ms`,
		a.Trip, a.Line, a.Vehicle, a.AtMs, a.EtaMs, a.Parcels, wbs, tx.Now().UnixMilli())
	return err
}

// Approaching returns the vehicles coming with parcels for the station,
// soonest first: those expected from now back to ApproachingFor ago, with
// the parcels they bring not scanned in yet (all of them when the hub did
// not name them). A vehicle whose parcels are all in is not coming any
// more; older ones are dropped.
func (s *Station) Approaching(ctx context.Context) ([]Approaching, error) {
	since := s.st.Now().Add(-ApproachingFor).UnixMilli()
	rows, err := s.st.DB().QueryContext(ctx, `SELECT trip, line, vehicle, at_ms, eta_ms,
		CASE WHEN a.waybills = '' THEN a.parcels ELSE (SELECT count(*) FROM json_each(a.waybills) j WHERE NOT EXISTS
			(SELECT 1 FROM parcels p WHERE p.waybill = j.value AND p.direction = 'in' AND p.status <> ?)) END AS left
		FROM approaching a WHERE eta_ms >= ? AND left > 0 ORDER BY eta_ms, trip`, StatusUndone, since)
	if err != nil {
		return nil, fmt.Errorf("read approaching vehicles: %w", err)
	}
	defer rows.Close()
	out := []Approaching{}
	for rows.Next() {
		var a Approaching
		var at, eta int64
		if err := rows.Scan(&a.Trip, &a.Line, &a.Vehicle, &at, &eta, &a.Parcels); err != nil {
			return nil, err
		}
		a.At, a.ETA = time.UnixMilli(at).In(s.loc), time.UnixMilli(eta).In(s.loc)
		out = append(out, a)
	}
	return out, rows.Err()
}
