package station

import (
	"context"
	"errors"
	"strings"

	"cunyou/edge/store"
	"cunyou/syncproto"
)

// LoadInput is a custody scan of a parcel onto a trip, optionally into a
// bag or cage. Force loads it over a warning (a trip that does not stop
// at its station, a parcel without a destination, a parcel loaded on
// another trip); the override is recorded.
type LoadInput struct {
	Waybill string `json:"waybill"`
	Trip    string `json:"trip"`
	Bag     string `json:"bag,omitempty"`
	Force   bool   `json:"force,omitempty"`
}

// LoadResult is the parcel as loaded, with its trip's load.
type LoadResult struct {
	Parcel CentreParcel `json:"parcel"`
	Trip   TripInfo     `json:"trip"`
	// Repeat: it was already on this trip; nothing changed.
	Repeat bool `json:"repeat"`
	// Overridden lists the warnings Force overrode (codes such as
	// load_wrong_trip); empty when none applied.
	Overridden []Code `json:"overridden,omitempty"`
	// MovedFrom is the trip it was loaded on before a forced move.
	MovedFrom string `json:"moved_from,omitempty"`
}

// Load records the custody scan of a parcel onto a trip (parcel.loaded).
//
// Refused: a trip that is unknown, cancelled or gone; a parcel not
// scanned in at the centre or already gone. Refused unless forced: a
// parcel for a station the trip does not stop at, a parcel without a
// destination, a parcel loaded on another trip (forcing moves it: the
// new op names the new trip and the departure op lists what really
// left). A parcel already on this trip is a repeat.
//
// There is no unload: syncproto has no op for it (parcel.loaded with no
// trip is not allowed). A parcel taken off a trip is loaded onto its right
// trip by force; what left with a trip is what its departure lists.
func (s *Station) Load(ctx context.Context, actor string, in LoadInput) (LoadResult, error) {
	var res LoadResult
	if err := s.centreOnly(); err != nil {
		return res, err
	}
	wb, err := normalizeWaybill(in.Waybill)
	if err != nil {
		return res, err
	}
	in.Trip, in.Bag = strings.TrimSpace(in.Trip), strings.TrimSpace(in.Bag)
	if !validRef(in.Trip) {
		return res, fail(CodeCentreTripIDInvalid)
	}
	if in.Bag != "" && (!validRef(in.Bag) || len(in.Bag) > 32) {
		return res, fail(CodeBagInvalid)
	}
	err = s.st.Write(ctx, actor, func(tx *store.Tx) error {
		t, ok, err := findTrip(ctx, tx, in.Trip)
		if err != nil {
			return err
		}
		if err := s.checkOpen(t, ok, in.Trip); err != nil {
			return err
		}
		p, found, err := findCentreParcel(ctx, tx, wb, FlowIn)
		if err != nil {
			return err
		}
		if !found {
			return fail(CodeParcelNotScanned, "waybill", wb)
		}
		switch p.Status {
		case StatusInTransit:
			return fail(CodeParcelDeparted, "waybill", wb, "trip", p.LoadedTrip, "when", formatTime(*p.DepartedAt, s.loc))
		case StatusLoaded:
			if p.LoadedTrip == t.ID {
				res.Parcel, res.Repeat = p, true
				return errRepeat
			}
		}
		// Warnings, in the order the loader should hear them.
		var warn []*Error
		if p.Status == StatusLoaded {
			warn = append(warn, fail(CodeLoadedElsewhere, "waybill", wb, "trip", p.LoadedTrip))
		}
		if p.Station == "" {
			warn = append(warn, fail(CodeParcelUnresolved, "waybill", wb))
		} else if t.stopAt(p.Station) == 0 {
			warn = append(warn, fail(CodeLoadWrongTrip, "waybill", wb, "station", p.Station, "trip", t.ID))
		}
		if len(warn) > 0 && !in.Force {
			return warn[0]
		}
		for _, w := range warn {
			res.Overridden = append(res.Overridden, w.Code)
		}
		if p.Status == StatusLoaded {
			res.MovedFrom = p.LoadedTrip
		}
		op, err := tx.Append(syncproto.KindParcelLoaded, syncproto.ParcelLoaded{Waybill: wb, Trip: t.ID, Bag: in.Bag})
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE centre_parcels SET status = ?, loaded_trip = ?, bag = ?, forced = ?, loaded_at = ? WHERE id = ?",
			StatusLoaded, t.ID, in.Bag, len(warn) > 0, tx.Now().UnixMilli(), p.id); err != nil {
			return err
		}
		detail := t.ID
		if in.Bag != "" {
			detail += " bag " + in.Bag
		}
		if res.MovedFrom != "" {
			detail += " from " + res.MovedFrom
		}
		for _, c := range res.Overridden {
			detail += " forced:" + string(c)
		}
		if err := addCentreEvent(ctx, tx, p.id, cevLoaded, op.Seq, detail); err != nil {
			return err
		}
		res.Parcel, _, err = findCentreParcel(ctx, tx, wb, FlowIn)
		return err
	})
	if err != nil && !errors.Is(err, errRepeat) {
		return res, err
	}
	t, _, err := findTrip(ctx, s.st.DB(), in.Trip)
	if err != nil {
		return res, err
	}
	ts := []TripInfo{t}
	err = loadCounts(ctx, s.st.DB(), ts)
	res.Trip = ts[0]
	return res, err
}

// checkOpen refuses a trip that is unknown, cancelled or gone.
func (s *Station) checkOpen(t TripInfo, found bool, id string) error {
	switch {
	case !found:
		return fail(CodeTripNotFound, "trip", id)
	case t.departed():
		return fail(CodeTripDeparted, "trip", t.ID, "when", formatTime(*t.DepartedAt, s.loc))
	case t.Cancelled:
		return fail(CodeTripCancelled, "trip", t.ID)
	}
	return nil
}

// DepartResult is a trip as it left, with every parcel on it.
type DepartResult struct {
	Trip     TripInfo `json:"trip"`
	Waybills []string `json:"waybills"`
	// Repeat: the trip had already left; nothing changed.
	Repeat bool `json:"repeat"`
}

// Depart records that a trip left the centre (trip.departed) with every
// parcel loaded on it: they are in transit, and the trip takes no more
// loads. A trip that already left is a repeat; a cancelled one is refused.
// A trip leaves even with nothing on it.
func (s *Station) Depart(ctx context.Context, actor, tripID string) (DepartResult, error) {
	var res DepartResult
	if err := s.centreOnly(); err != nil {
		return res, err
	}
	tripID = strings.TrimSpace(tripID)
	if !validRef(tripID) {
		return res, fail(CodeCentreTripIDInvalid)
	}
	err := s.st.Write(ctx, actor, func(tx *store.Tx) error {
		t, ok, err := findTrip(ctx, tx, tripID)
		if err != nil {
			return err
		}
		if ok && t.departed() {
			ps, err := queryCentreParcels(ctx, tx, "loaded_trip = ? AND status = 'in_transit' ORDER BY "+byLoadOrder, t.ID)
			if err != nil {
				return err
			}
			res.Repeat, res.Waybills = true, waybillsOf(ps)
			return errRepeat
		}
		if err := s.checkOpen(t, ok, tripID); err != nil {
			return err
		}
		ps, err := queryCentreParcels(ctx, tx, "loaded_trip = ? AND status = 'loaded' ORDER BY "+byLoadOrder, t.ID)
		if err != nil {
			return err
		}
		res.Waybills = waybillsOf(ps)
		op, err := tx.Append(syncproto.KindTripDeparted, syncproto.TripDeparted{Trip: t.ID, Vehicle: t.Vehicle, Driver: t.Driver, Waybills: res.Waybills})
		if err != nil {
			return err
		}
		now := tx.Now().UnixMilli()
		if _, err := tx.ExecContext(ctx, "UPDATE trips SET departed_at = ?, departed_by = ?, departed_seq = ? WHERE id = ?", now, tx.Actor(), op.Seq, t.ID); err != nil {
			return err
		}
		for _, p := range ps {
			if _, err := tx.ExecContext(ctx, "UPDATE centre_parcels SET status = ?, departed_at = ? WHERE id = ?", StatusInTransit, now, p.id); err != nil {
				return err
			}
			if err := addCentreEvent(ctx, tx, p.id, cevDeparted, op.Seq, t.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errRepeat) {
		return res, err
	}
	t, _, err := findTrip(ctx, s.st.DB(), tripID)
	if err != nil {
		return res, err
	}
	ts := []TripInfo{t}
	err = loadCounts(ctx, s.st.DB(), ts)
	res.Trip = ts[0]
	return res, err
}

func waybillsOf(ps []CentreParcel) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.Waybill)
	}
	return out
}
