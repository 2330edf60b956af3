package station

// Centre mode: the county sorting centre runs the same program on a node of
// kind centre (DESIGN §2 step 3, and the outbound half). It scans carriers'
// parcels in and sorts each to its village station and trip, prints a sort
// label, loads trips with a custody scan, records departures, receives
// outbound and returned parcels and hands them to their carriers. Like the
// station's, every action commits its state and its one op in one local
// transaction and never waits on the network.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"cunyou/edge/store"
	"cunyou/syncproto"
	"cunyou/waybill"
)

// Statuses of a parcel at the centre, derived from its centre events
// (DESIGN §2).
const (
	StatusAtCentre   = "at_centre"   // scanned in; destination unresolved (待分配)
	StatusSorted     = "sorted"      // scanned in with its destination station (and trip when one goes there)
	StatusLoaded     = "loaded"      // custody scan onto a trip
	StatusInTransit  = "in_transit"  // its trip departed
	StatusCollected  = "collected"   // outbound or returned, waiting for its carrier
	StatusHandedOver = "handed_over" // given to its carrier on a handover list
)

// CentreStatuses lists the centre's statuses in the order of a parcel's
// journey.
var CentreStatuses = []string{StatusAtCentre, StatusSorted, StatusLoaded, StatusInTransit, StatusCollected, StatusHandedOver}

// Flows of a parcel at the centre: "in" goes to a village, "back" comes
// from one (or from a trip) and goes to its carrier.
const (
	FlowIn   = "in"
	FlowBack = "back"
)

// IsCentre reports whether this node is the county centre.
func (s *Station) IsCentre() bool { return s.st.Identity().Kind == syncproto.NodeCentre }

// centreOnly refuses centre actions on a station.
func (s *Station) centreOnly() error {
	if !s.IsCentre() {
		return fail(CodeNotCentre)
	}
	return nil
}

// CentreParcel is a parcel at the centre as the sorters see it. It holds
// no receiver data.
type CentreParcel struct {
	Waybill     string     `json:"waybill"`
	Flow        string     `json:"flow"` // in | back
	Carrier     string     `json:"carrier"`
	CarrierName string     `json:"carrier_name"`
	Status      string     `json:"status"`
	Manifested  bool       `json:"manifested,omitempty"`
	Station     string     `json:"station,omitempty"` // destination ("" = unresolved)
	StationName string     `json:"station_name,omitempty"`
	Trip        string     `json:"trip,omitempty"` // in: the trip it is sorted to; back: the trip it came on
	SortCode    string     `json:"sort_code,omitempty"`
	LoadedTrip  string     `json:"loaded_trip,omitempty"`
	Bag         string     `json:"bag,omitempty"`
	Forced      bool       `json:"forced,omitempty"` // loaded over a warning
	Direction   string     `json:"direction,omitempty"`
	From        string     `json:"from,omitempty"`
	Handover    string     `json:"handover,omitempty"`
	ScannedAt   time.Time  `json:"scanned_at"`
	LoadedAt    *time.Time `json:"loaded_at,omitempty"`
	DepartedAt  *time.Time `json:"departed_at,omitempty"`
	HandedAt    *time.Time `json:"handed_at,omitempty"`

	id int64
}

const centreParcelCols = `id, waybill, flow, carrier, status, manifested, station, trip, sort_code, loaded_trip, bag, forced,
	direction, from_station, handover, scanned_at, loaded_at, departed_at, handed_at`

func scanCentreParcel(r scanner) (CentreParcel, error) {
	var p CentreParcel
	var scanned int64
	var loaded, departed, handed sql.NullInt64
	err := r.Scan(&p.id, &p.Waybill, &p.Flow, &p.Carrier, &p.Status, &p.Manifested, &p.Station, &p.Trip, &p.SortCode,
		&p.LoadedTrip, &p.Bag, &p.Forced, &p.Direction, &p.From, &p.Handover, &scanned, &loaded, &departed, &handed)
	if err != nil {
		return p, err
	}
	p.ScannedAt = time.UnixMilli(scanned)
	p.LoadedAt, p.DepartedAt, p.HandedAt = msTime(loaded), msTime(departed), msTime(handed)
	p.CarrierName = carrierName(p.Carrier)
	p.StationName, _ = stationNames(p.Station)
	return p, nil
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

func msTime(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := time.UnixMilli(v.Int64)
	return &t
}

func carrierName(code string) string {
	if c, ok := waybill.Lookup(code); ok {
		return c.Short
	}
	return code
}

// stationNames returns how a station is shown and its village code. The
// hub sends no station names to the centre (syncproto has no field for
// them), so a station is shown by its node id; the village code is the
// part after "ST-" (ST-V0101 → V0101).
func stationNames(id string) (name, village string) {
	if id == "" {
		return "", ""
	}
	return id, strings.TrimPrefix(id, "ST-")
}

func queryCentreParcels(ctx context.Context, q querier, where string, args ...any) ([]CentreParcel, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+centreParcelCols+" FROM centre_parcels WHERE "+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ps := []CentreParcel{}
	for rows.Next() {
		p, err := scanCentreParcel(rows)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, rows.Err()
}

// byLoadOrder orders parcels as they were loaded (the order of their
// last load event: clocks can repeat a millisecond).
const byLoadOrder = "(SELECT max(e.id) FROM centre_events e WHERE e.parcel_id = centre_parcels.id AND e.kind = 'loaded')"

// findCentreParcel reads one parcel of a flow by waybill.
func findCentreParcel(ctx context.Context, q querier, wb, flow string) (CentreParcel, bool, error) {
	p, err := scanCentreParcel(q.QueryRowContext(ctx, "SELECT "+centreParcelCols+" FROM centre_parcels WHERE waybill = ? AND flow = ?", wb, flow))
	if errors.Is(err, sql.ErrNoRows) {
		return p, false, nil
	}
	return p, err == nil, err
}

// addCentreEvent appends a fact to a centre parcel's timeline.
func addCentreEvent(ctx context.Context, tx *store.Tx, parcelID int64, kind string, seq uint64, detail string) error {
	_, err := tx.ExecContext(ctx, "INSERT INTO centre_events (parcel_id, kind, at, actor, seq, detail) VALUES (?, ?, ?, ?, ?, ?)",
		parcelID, kind, tx.Now().UnixMilli(), tx.Actor(), seq, detail)
	if err != nil {
		return fmt.Errorf("add centre event: %w", err)
	}
	return nil
}

// validRef reports whether s can be a trip id, bag or cage id: like a node
// id, 1–64 letters, digits, '-' and '_'.
func validRef(s string) bool { return store.ValidNodeID(s) }

// cleanText trims a short free text (a courier's name) and checks its
// length and characters.
func cleanText(s string, max int) (string, bool) {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > max || !utf8.ValidString(s) {
		return s, false
	}
	for _, r := range s {
		if r < ' ' || r == 0x7f {
			return s, false
		}
	}
	return s, true
}

// --- trips ---

// Trip states.
const (
	TripPlanned   = "planned"
	TripDeparted  = "departed"
	TripCancelled = "cancelled"
)

// TripInfo is a trip as the centre sees it: the hub's plan, its state at
// the centre and its load.
type TripInfo struct {
	syncproto.Trip
	State      string     `json:"state"` // planned | departed | cancelled
	DepartedAt *time.Time `json:"departed_at,omitempty"`
	DepartedBy string     `json:"departed_by,omitempty"`
	Loaded     int        `json:"loaded"`   // parcels loaded on it (in transit once it left)
	Waiting    int        `json:"waiting"`  // sorted to it, at the centre, not loaded yet
	Expected   int        `json:"expected"` // planned on it by the hub's manifest, not scanned in yet
}

// stopAt returns the position of node among the trip's stops after the
// centre, or 0 when the trip does not stop there.
func (t TripInfo) stopAt(node string) int {
	for i, n := range t.Stops {
		if i > 0 && n == node {
			return i
		}
	}
	return 0
}

func (t TripInfo) departed() bool { return t.DepartedAt != nil }

// usable reports whether parcels can still be loaded on the trip.
func (t TripInfo) usable() bool { return !t.departed() && !t.Cancelled }

const tripCols = `id, line, line_name, date, departure, vehicle, driver, cancelled, departed_at, coalesce(departed_by, '')`

func scanTrip(r scanner) (TripInfo, error) {
	var t TripInfo
	var departed sql.NullInt64
	err := r.Scan(&t.ID, &t.Line, &t.LineName, &t.Date, &t.Departure, &t.Vehicle, &t.Driver, &t.Cancelled, &departed, &t.DepartedBy)
	if err != nil {
		return t, err
	}
	t.DepartedAt = msTime(departed)
	switch {
	case t.DepartedAt != nil:
		t.State = TripDeparted
	case t.Cancelled:
		t.State = TripCancelled
	default:
		t.State = TripPlanned
	}
	return t, nil
}

// loadStops fills the trips' stops.
func loadStops(ctx context.Context, q querier, ts []TripInfo) error {
	for i := range ts {
		rows, err := q.QueryContext(ctx, "SELECT node FROM trip_stops WHERE trip = ? ORDER BY pos", ts[i].ID)
		if err != nil {
			return err
		}
		ts[i].Stops = []string{}
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return err
			}
			ts[i].Stops = append(ts[i].Stops, n)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// loadCounts fills the trips' load figures.
func loadCounts(ctx context.Context, q querier, ts []TripInfo) error {
	for i := range ts {
		err := q.QueryRowContext(ctx, `SELECT
			(SELECT count(*) FROM centre_parcels WHERE loaded_trip = ?1 AND status IN ('loaded', 'in_transit')),
			(SELECT count(*) FROM centre_parcels WHERE trip = ?1 AND flow = 'in' AND status IN ('at_centre', 'sorted')),
			(SELECT count(*) FROM manifest m WHERE m.trip = ?1 AND NOT EXISTS
				(SELECT 1 FROM centre_parcels p WHERE p.waybill = m.waybill AND p.flow = 'in'))`, ts[i].ID).
			Scan(&ts[i].Loaded, &ts[i].Waiting, &ts[i].Expected)
		if err != nil {
			return err
		}
	}
	return nil
}

// queryTrips reads trips with their stops (not their counts).
func queryTrips(ctx context.Context, q querier, where string, args ...any) ([]TripInfo, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+tripCols+" FROM trips WHERE "+where, args...)
	if err != nil {
		return nil, err
	}
	ts := []TripInfo{}
	for rows.Next() {
		t, err := scanTrip(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		ts = append(ts, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return ts, loadStops(ctx, q, ts)
}

// findTrip reads one trip with its stops.
func findTrip(ctx context.Context, q querier, id string) (TripInfo, bool, error) {
	ts, err := queryTrips(ctx, q, "id = ?", id)
	if err != nil || len(ts) == 0 {
		return TripInfo{}, false, err
	}
	return ts[0], true, nil
}

// Trips lists the trips of a day (today when date is ""), by departure,
// with their state and load.
func (s *Station) Trips(ctx context.Context, date string) ([]TripInfo, error) {
	if err := s.centreOnly(); err != nil {
		return nil, err
	}
	if date == "" {
		date = s.Today()
	}
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		return nil, fail(CodeDateInvalid)
	}
	ts, err := queryTrips(ctx, s.st.DB(), "date = ? ORDER BY departure, line, id", date)
	if err != nil {
		return nil, err
	}
	return ts, loadCounts(ctx, s.st.DB(), ts)
}

// ExpectedParcel is a parcel the hub planned on a trip that the centre has
// not scanned in yet.
type ExpectedParcel struct {
	Waybill     string `json:"waybill"`
	Carrier     string `json:"carrier"`
	CarrierName string `json:"carrier_name"`
	Station     string `json:"station,omitempty"`
	StationName string `json:"station_name,omitempty"`
}

// TripManifest is what is on a trip and what is still to load.
type TripManifest struct {
	Trip TripInfo `json:"trip"`
	// Loaded are the parcels loaded on it (in transit once it left), in
	// load order.
	Loaded []CentreParcel `json:"loaded"`
	// Waiting are parcels sorted to it at the centre and not loaded yet.
	Waiting []CentreParcel `json:"waiting"`
	// Expected are parcels the hub planned on it that have not been
	// scanned in at the centre.
	Expected []ExpectedParcel `json:"expected"`
}

// TripManifest returns a trip's load: loaded, waiting and expected.
func (s *Station) TripManifest(ctx context.Context, id string) (TripManifest, error) {
	var tm TripManifest
	if err := s.centreOnly(); err != nil {
		return tm, err
	}
	db := s.st.DB()
	t, ok, err := findTrip(ctx, db, id)
	if err != nil {
		return tm, err
	}
	if !ok {
		return tm, fail(CodeTripNotFound, "trip", id)
	}
	ts := []TripInfo{t}
	if err := loadCounts(ctx, db, ts); err != nil {
		return tm, err
	}
	tm.Trip = ts[0]
	if tm.Loaded, err = queryCentreParcels(ctx, db, "loaded_trip = ? AND status IN ('loaded', 'in_transit') ORDER BY "+byLoadOrder, id); err != nil {
		return tm, err
	}
	if tm.Waiting, err = queryCentreParcels(ctx, db, "trip = ? AND flow = 'in' AND status IN ('at_centre', 'sorted') ORDER BY station, id", id); err != nil {
		return tm, err
	}
	rows, err := db.QueryContext(ctx, `SELECT waybill, carrier, station FROM manifest m WHERE trip = ? AND NOT EXISTS
		(SELECT 1 FROM centre_parcels p WHERE p.waybill = m.waybill AND p.flow = 'in') ORDER BY station, waybill`, id)
	if err != nil {
		return tm, err
	}
	defer rows.Close()
	tm.Expected = []ExpectedParcel{}
	for rows.Next() {
		var e ExpectedParcel
		if err := rows.Scan(&e.Waybill, &e.Carrier, &e.Station); err != nil {
			return tm, err
		}
		e.CarrierName = carrierName(e.Carrier)
		e.StationName, _ = stationNames(e.Station)
		tm.Expected = append(tm.Expected, e)
	}
	return tm, rows.Err()
}

// --- parcels by state ---

// CentreParcelList is the centre's parcels in one status, with the count
// of every status.
type CentreParcelList struct {
	Status  string         `json:"status,omitempty"`
	Counts  map[string]int `json:"counts"`
	Parcels []CentreParcel `json:"parcels"`
}

// atCentreNow are the statuses of parcels physically at the centre.
var atCentreNow = []string{StatusAtCentre, StatusSorted, StatusLoaded, StatusCollected}

// CentreParcels lists parcels in status (every parcel physically at the
// centre when status is ""), oldest scan first, at most limit (500 when
// limit ≤ 0), and counts every status.
func (s *Station) CentreParcels(ctx context.Context, status string, limit int) (CentreParcelList, error) {
	res := CentreParcelList{Status: status, Counts: map[string]int{}}
	if err := s.centreOnly(); err != nil {
		return res, err
	}
	statuses := atCentreNow
	if status != "" {
		if !slices.Contains(CentreStatuses, status) {
			return res, fail(CodeCentreStateInvalid, "status", status)
		}
		statuses = []string{status}
	}
	if limit <= 0 || limit > 5000 {
		limit = 500
	}
	db := s.st.DB()
	for _, st := range CentreStatuses {
		res.Counts[st] = 0
	}
	rows, err := db.QueryContext(ctx, "SELECT status, count(*) FROM centre_parcels GROUP BY status")
	if err != nil {
		return res, err
	}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			rows.Close()
			return res, err
		}
		res.Counts[st] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, err
	}
	args := make([]any, 0, len(statuses)+1)
	for _, st := range statuses {
		args = append(args, st)
	}
	args = append(args, limit)
	res.Parcels, err = queryCentreParcels(ctx, db, "status IN (?"+strings.Repeat(", ?", len(statuses)-1)+") ORDER BY scanned_at, id LIMIT ?", args...)
	return res, err
}

// CentreTimeline is a centre parcel with its events, oldest first.
type CentreTimeline struct {
	Parcel CentreParcel `json:"parcel"`
	Events []Event      `json:"events"`
}

// CentreTimelines returns the centre's parcels with this waybill (inbound
// and collected), each with its events.
func (s *Station) CentreTimelines(ctx context.Context, raw string) ([]CentreTimeline, error) {
	if err := s.centreOnly(); err != nil {
		return nil, err
	}
	wb, err := waybill.Normalize(raw)
	if err != nil {
		return nil, &Error{Code: CodeWaybillInvalid, Err: err}
	}
	db := s.st.DB()
	ps, err := queryCentreParcels(ctx, db, "waybill = ? ORDER BY id", wb)
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, fail(CodeParcelNotFound, "waybill", wb)
	}
	out := make([]CentreTimeline, 0, len(ps))
	for _, p := range ps {
		t := CentreTimeline{Parcel: p, Events: []Event{}}
		rows, err := db.QueryContext(ctx, "SELECT kind, at, actor, seq, detail FROM centre_events WHERE parcel_id = ? ORDER BY id", p.id)
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
