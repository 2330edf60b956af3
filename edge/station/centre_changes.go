package station

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"cunyou/edge/store"
	"cunyou/syncproto"
	"cunyou/waybill"
)

// applyChangeOn applies one downstream change on this node. The centre
// keeps the destination and trip of its manifest entries and applies
// trips; a station keeps its own behaviour for every change.
func (s *Station) applyChangeOn(ctx context.Context, tx *store.Tx, c syncproto.Change) error {
	if s.IsCentre() {
		switch c.Type {
		case syncproto.ChangeManifest:
			e, err := decode[ManifestEntry](c)
			if err != nil {
				return err
			}
			if e, err = checkCentreManifest(e); err != nil {
				return refuse("%v", err)
			}
			return upsertCentreManifest(ctx, tx, e)
		case syncproto.ChangeTrip:
			t, err := decode[syncproto.Trip](c)
			if err != nil {
				return err
			}
			if t, err = checkTrip(t); err != nil {
				return refuse("%v", err)
			}
			return upsertTrip(ctx, tx, t)
		}
	}
	return applyChange(ctx, tx, c)
}

// checkCentreManifest normalizes an entry of the centre's manifest. The
// centre needs no receiver phone: one that does not check is dropped, not
// refused, so that the parcel's destination still arrives.
func checkCentreManifest(e ManifestEntry) (ManifestEntry, error) {
	wb, err := waybill.Normalize(e.Waybill)
	if err != nil {
		return e, fmt.Errorf("manifest waybill: %w", err)
	}
	e.Waybill = wb
	if phone, ok := normalizePhone(e.ReceiverPhone); ok {
		e.ReceiverPhone = phone
	} else {
		e.ReceiverPhone = ""
	}
	if c, ok := waybill.Lookup(e.Carrier); ok {
		e.Carrier = c.Code
	}
	e.Station, e.Trip = strings.TrimSpace(e.Station), strings.TrimSpace(e.Trip)
	if e.Station != "" && !store.ValidNodeID(e.Station) {
		return e, fmt.Errorf("manifest %s: bad station id", wb)
	}
	if e.Trip != "" && !validRef(e.Trip) {
		return e, fmt.Errorf("manifest %s: bad trip id", wb)
	}
	return e, nil
}

// upsertCentreManifest stores a checked entry with its destination.
func upsertCentreManifest(ctx context.Context, tx *store.Tx, e ManifestEntry) error {
	_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO manifest (waybill, carrier, receiver_name, receiver_phone, address, weight_g, received_at, station, trip)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.Waybill, e.Carrier, e.ReceiverName, e.ReceiverPhone, e.Address, e.WeightGrams,
		tx.Now().UnixMilli(), e.Station, e.Trip)
	return err
}

// checkTrip checks a trip sent by the hub: an id, a line, a date and a
// departure time, and stops that start at a node.
func checkTrip(t syncproto.Trip) (syncproto.Trip, error) {
	t.ID, t.Line = strings.TrimSpace(t.ID), strings.TrimSpace(t.Line)
	t.LineName, t.Vehicle, t.Driver = strings.TrimSpace(t.LineName), strings.TrimSpace(t.Vehicle), strings.TrimSpace(t.Driver)
	if !validRef(t.ID) {
		return t, fmt.Errorf("trip %q: bad id", t.ID)
	}
	if t.Line == "" {
		return t, fmt.Errorf("trip %s: no line", t.ID)
	}
	if _, err := time.Parse(time.DateOnly, t.Date); err != nil {
		return t, fmt.Errorf("trip %s: bad date %q", t.ID, t.Date)
	}
	if _, err := time.Parse("15:04", t.Departure); err != nil || len(t.Departure) != 5 {
		return t, fmt.Errorf("trip %s: bad departure %q", t.ID, t.Departure)
	}
	if len(t.Stops) < 2 {
		return t, fmt.Errorf("trip %s: fewer than two stops", t.ID)
	}
	for _, n := range t.Stops {
		if !store.ValidNodeID(n) {
			return t, fmt.Errorf("trip %s: bad stop %q", t.ID, n)
		}
	}
	return t, nil
}

// upsertTrip stores a checked trip. A trip the centre has seen depart
// keeps its departure: that is the centre's fact, not the hub's.
func upsertTrip(ctx context.Context, tx *store.Tx, t syncproto.Trip) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO trips (id, line, line_name, date, departure, vehicle, driver, cancelled)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET line = excluded.line, line_name = excluded.line_name, date = excluded.date,
			departure = excluded.departure, vehicle = excluded.vehicle, driver = excluded.driver, cancelled = excluded.cancelled`,
		t.ID, t.Line, t.LineName, t.Date, t.Departure, t.Vehicle, t.Driver, t.Cancelled)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM trip_stops WHERE trip = ?", t.ID); err != nil {
		return err
	}
	for i, n := range t.Stops {
		if _, err := tx.ExecContext(ctx, "INSERT INTO trip_stops (trip, pos, node) VALUES (?, ?, ?)", t.ID, i, n); err != nil {
			return err
		}
	}
	return nil
}

// ApplyCentreManifest stores the centre's manifest entries with their
// destinations, replacing earlier announcements of the same waybills: all
// or none. Like ApplyManifest it records no op.
func (s *Station) ApplyCentreManifest(ctx context.Context, entries []ManifestEntry) error {
	if err := s.centreOnly(); err != nil {
		return err
	}
	clean := make([]ManifestEntry, len(entries))
	for i, e := range entries {
		var err error
		if clean[i], err = checkCentreManifest(e); err != nil {
			return err
		}
	}
	return s.st.Write(ctx, "hub", func(tx *store.Tx) error {
		for _, e := range clean {
			if err := upsertCentreManifest(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
}

// ApplyTrips stores trips sent by the hub: all or none, no op.
func (s *Station) ApplyTrips(ctx context.Context, trips []syncproto.Trip) error {
	if err := s.centreOnly(); err != nil {
		return err
	}
	clean := make([]syncproto.Trip, len(trips))
	for i, t := range trips {
		var err error
		if clean[i], err = checkTrip(t); err != nil {
			return err
		}
	}
	return s.st.Write(ctx, "hub", func(tx *store.Tx) error {
		for _, t := range clean {
			if err := upsertTrip(ctx, tx, t); err != nil {
				return err
			}
		}
		return nil
	})
}

// centreManifest is the centre's manifest entry of a waybill, or nil.
func centreManifest(ctx context.Context, q querier, wb string) (*ManifestEntry, error) {
	var m ManifestEntry
	err := q.QueryRowContext(ctx, `SELECT waybill, carrier, receiver_name, receiver_phone, address, weight_g, station, trip
		FROM manifest WHERE waybill = ?`, wb).
		Scan(&m.Waybill, &m.Carrier, &m.ReceiverName, &m.ReceiverPhone, &m.Address, &m.WeightGrams, &m.Station, &m.Trip)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		return nil, err
	}
	return &m, nil
}
