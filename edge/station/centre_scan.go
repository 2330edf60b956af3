package station

import (
	"context"
	"errors"
	"fmt"

	"cunyou/edge/store"
	"cunyou/syncproto"
	"cunyou/waybill"
)

// Outcomes of a sort decision.
const (
	SortSorted     = "sorted"     // station and trip known
	SortNoTrip     = "no_trip"    // station known, no trip goes there yet
	SortUnresolved = "unresolved" // destination unknown: 待分配, a dispatcher assigns it
)

// SortCodeUnresolved is the sort code of a parcel without a destination:
// the exception (待分配) area.
const SortCodeUnresolved = "X"

// SortDecision is what the sorter must see in large type, and what the
// sort label prints: where the parcel goes and on which trip.
type SortDecision struct {
	Outcome     string `json:"outcome"`           // sorted | no_trip | unresolved
	Station     string `json:"station,omitempty"` // destination node id
	StationName string `json:"station_name,omitempty"`
	Village     string `json:"village,omitempty"`
	Trip        string `json:"trip,omitempty"`
	Line        string `json:"line,omitempty"`
	LineName    string `json:"line_name,omitempty"`
	Date        string `json:"date,omitempty"`
	Departure   string `json:"departure,omitempty"` // HH:MM
	Stop        int    `json:"stop,omitempty"`      // the station's place among the trip's stops (the centre is 0)
	// SortCode is the big code on the label: line and stop (L1-03) when
	// a trip is known, the village code (V0203) when only the station
	// is, SortCodeUnresolved otherwise.
	SortCode string `json:"sort_code"`
}

// describe builds the decision for a station and trip ("" for none).
func describe(ctx context.Context, q querier, station, tripID string) (SortDecision, error) {
	d := SortDecision{Outcome: SortUnresolved, SortCode: SortCodeUnresolved}
	if station == "" {
		return d, nil
	}
	d.Outcome, d.Station = SortNoTrip, station
	d.StationName, d.Village = stationNames(station)
	d.SortCode = d.Village
	if tripID == "" {
		return d, nil
	}
	t, ok, err := findTrip(ctx, q, tripID)
	if err != nil || !ok {
		return d, err
	}
	d.Outcome, d.Trip, d.Line, d.LineName, d.Date, d.Departure = SortSorted, t.ID, t.Line, t.LineName, t.Date, t.Departure
	if d.Stop = t.stopAt(station); d.Stop > 0 {
		d.SortCode = fmt.Sprintf("%s-%02d", t.Line, d.Stop)
	}
	return d, nil
}

// chooseTrip picks the trip for a parcel to station: the trip the hub
// planned when it is known here, still open and stops there; else the
// first open trip from today on that stops there; else none.
func chooseTrip(ctx context.Context, q querier, station, planned, today string) (string, error) {
	if station == "" {
		return "", nil
	}
	if planned != "" {
		t, ok, err := findTrip(ctx, q, planned)
		if err != nil {
			return "", err
		}
		if ok && t.usable() && t.Date >= today && t.stopAt(station) > 0 {
			return t.ID, nil
		}
	}
	var id string
	err := q.QueryRowContext(ctx, `SELECT t.id FROM trips t JOIN trip_stops s ON s.trip = t.id
		WHERE s.node = ? AND s.pos > 0 AND t.date >= ? AND t.cancelled = 0 AND t.departed_at IS NULL
		ORDER BY t.date, t.departure, t.id LIMIT 1`, station, today).Scan(&id)
	if isNoRows(err) {
		return "", nil
	}
	return id, err
}

// tripStillFits reports whether a parcel sorted to tripID for station can
// still go on it.
func tripStillFits(ctx context.Context, q querier, station, tripID string) (bool, error) {
	if tripID == "" {
		return false, nil
	}
	t, ok, err := findTrip(ctx, q, tripID)
	if err != nil || !ok {
		return false, err
	}
	return t.usable() && t.stopAt(station) > 0, nil
}

// ScanInput is a carrier's parcel scanned in at the centre. Carrier is
// needed only when neither the manifest nor the number tells it.
type ScanInput struct {
	Waybill string `json:"waybill"`
	Carrier string `json:"carrier,omitempty"`
}

// ScanResult is the parcel as sorted, with the decision to show.
type ScanResult struct {
	Parcel   CentreParcel `json:"parcel"`
	Decision SortDecision `json:"decision"`
	// LabelJob is the sort label this scan queued; 0 for a repeat scan
	// (reprint the earlier label instead).
	LabelJob int64 `json:"label_job,omitempty"`
	// Repeat: the parcel was already scanned in and its decision stands;
	// nothing changed.
	Repeat bool `json:"repeat"`
	// Resorted: the parcel was already scanned in but its decision
	// changed (the hub resolved its destination, or its trip left or was
	// cancelled): a new decision and label.
	Resorted bool                `json:"resorted,omitempty"`
	Hints    []waybill.Candidate `json:"carrier_hints,omitempty"`
}

// Local event kinds of a centre parcel's timeline.
const (
	cevAtCentre   = "at_centre"   // scanned in without a destination
	cevSorted     = "sorted"      // scanned in, or sorted again, with a destination
	cevLoaded     = "loaded"      // loaded on a trip (or moved to another by force)
	cevDeparted   = "departed"    // its trip left
	cevCollected  = "collected"   // received for its carrier
	cevHandedOver = "handed_over" // given to its carrier
)

// ScanIn scans a parcel in at the centre (parcel.at_centre): its sort
// decision from the manifest and trips, the parcel, its event, its op and
// its sort label job committed together. A parcel not in the manifest is
// still recorded, without a destination (待分配). A repeat scan changes
// nothing and says so, with the same decision; a repeat scan of a parcel
// whose decision changed since (destination resolved by the hub, trip
// gone) sorts it again with a new op and label. A parcel received for
// its carrier (collected) is refused: it goes to the handover area.
func (s *Station) ScanIn(ctx context.Context, actor string, in ScanInput) (ScanResult, error) {
	var res ScanResult
	if err := s.centreOnly(); err != nil {
		return res, err
	}
	wb, err := waybill.Normalize(in.Waybill)
	if err != nil {
		return res, &Error{Code: CodeWaybillInvalid, Err: err}
	}
	res.Hints = waybill.Detect(wb)
	today := s.Today()
	err = s.st.Write(ctx, actor, func(tx *store.Tx) error {
		p, found, err := findCentreParcel(ctx, tx, wb, FlowIn)
		if err != nil {
			return err
		}
		m, err := centreManifest(ctx, tx, wb)
		if err != nil {
			return err
		}
		if found {
			return s.rescan(ctx, tx, p, m, today, &res)
		}
		if back, ok, err := findCentreParcel(ctx, tx, wb, FlowBack); err != nil || ok {
			if ok {
				// Received for its carrier: it must not be sorted to a
				// village by mistake.
				return fail(CodeParcelCollected, "waybill", wb, "when", formatTime(back.ScannedAt, s.loc))
			}
			return err
		}
		ev := syncproto.ParcelAtCentre{Waybill: wb}
		var planned string
		if m != nil {
			ev.Carrier, ev.ReceiverName, ev.ReceiverPhone, ev.WeightGrams, ev.Manifested = m.Carrier, m.ReceiverName, m.ReceiverPhone, m.WeightGrams, true
			ev.Station, planned = m.Station, m.Trip
		}
		if in.Carrier != "" {
			ev.Carrier = in.Carrier
		}
		if ev.Carrier == "" && len(res.Hints) > 0 {
			ev.Carrier = res.Hints[0].Code
		}
		c, ok := waybill.Lookup(ev.Carrier)
		if !ok {
			return fail(CodeCarrierUnknown)
		}
		ev.Carrier = c.Code
		if ev.Trip, err = chooseTrip(ctx, tx, ev.Station, planned, today); err != nil {
			return err
		}
		if res.Decision, err = describe(ctx, tx, ev.Station, ev.Trip); err != nil {
			return err
		}
		op, err := tx.Append(syncproto.KindParcelAtCentre, ev)
		if err != nil {
			return err
		}
		status, kind := StatusSorted, cevSorted
		if ev.Station == "" {
			status, kind = StatusAtCentre, cevAtCentre
		}
		r, err := tx.ExecContext(ctx, `INSERT INTO centre_parcels (waybill, flow, carrier, status, manifested, station, trip, sort_code, scanned_at)
			VALUES (?, 'in', ?, ?, ?, ?, ?, ?, ?)`, wb, ev.Carrier, status, ev.Manifested, ev.Station, ev.Trip, res.Decision.SortCode, tx.Now().UnixMilli())
		if err != nil {
			return fmt.Errorf("insert centre parcel: %w", err)
		}
		id, _ := r.LastInsertId()
		if err := addCentreEvent(ctx, tx, id, kind, op.Seq, decisionDetail(res.Decision)); err != nil {
			return err
		}
		if res.LabelJob, err = queueSortLabel(ctx, tx, wb, ev.Carrier, res.Decision); err != nil {
			return err
		}
		res.Parcel, _, err = findCentreParcel(ctx, tx, wb, FlowIn)
		return err
	})
	if errors.Is(err, errRepeat) {
		return res, nil
	}
	return res, err
}

// rescan answers a scan of a parcel already scanned in: a repeat with the
// decision it has, a new decision when the old one no longer holds, or a
// refusal when it has left.
func (s *Station) rescan(ctx context.Context, tx *store.Tx, p CentreParcel, m *ManifestEntry, today string, res *ScanResult) error {
	if p.Status == StatusInTransit {
		return fail(CodeParcelDeparted, "waybill", p.Waybill, "trip", p.LoadedTrip, "when", formatTime(*p.DepartedAt, s.loc))
	}
	repeat := func() error {
		d, err := describe(ctx, tx, p.Station, p.Trip)
		if err != nil {
			return err
		}
		d.SortCode = p.SortCode // as printed
		res.Parcel, res.Decision, res.Repeat = p, d, true
		return errRepeat
	}
	if p.Status == StatusLoaded || m == nil || m.Station == "" {
		return repeat()
	}
	if m.Station == p.Station {
		fits, err := tripStillFits(ctx, tx, p.Station, p.Trip)
		if err != nil {
			return err
		}
		if fits {
			return repeat()
		}
	}
	trip, err := chooseTrip(ctx, tx, m.Station, m.Trip, today)
	if err != nil {
		return err
	}
	if m.Station == p.Station && trip == p.Trip {
		return repeat() // nothing better: the trip it has (or none)
	}
	if res.Decision, err = describe(ctx, tx, m.Station, trip); err != nil {
		return err
	}
	op, err := tx.Append(syncproto.KindParcelAtCentre, syncproto.ParcelAtCentre{
		Waybill: p.Waybill, Carrier: p.Carrier, Manifested: true, ReceiverName: m.ReceiverName, ReceiverPhone: m.ReceiverPhone,
		Station: m.Station, Trip: trip, WeightGrams: m.WeightGrams,
	})
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE centre_parcels SET status = ?, manifested = 1, station = ?, trip = ?, sort_code = ? WHERE id = ?",
		StatusSorted, m.Station, trip, res.Decision.SortCode, p.id); err != nil {
		return err
	}
	if err := addCentreEvent(ctx, tx, p.id, cevSorted, op.Seq, decisionDetail(res.Decision)); err != nil {
		return err
	}
	if res.LabelJob, err = queueSortLabel(ctx, tx, p.Waybill, p.Carrier, res.Decision); err != nil {
		return err
	}
	res.Resorted = true
	res.Parcel, _, err = findCentreParcel(ctx, tx, p.Waybill, FlowIn)
	return err
}

// decisionDetail is a decision in an event's detail: "ST-V0203 L1-0700 L1-03".
func decisionDetail(d SortDecision) string {
	if d.Outcome == SortUnresolved {
		return d.SortCode
	}
	return d.Station + " " + d.Trip + " " + d.SortCode
}
