package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"

	"cunyou/hub/gazetteer"
	"cunyou/syncproto"
)

// CountyReport says what LoadCounty did.
type CountyReport struct {
	Towns, Villages, Stations, Lines int
	// Codes are the one-time enrollment codes of the nodes LoadCounty
	// created (stations and the centre), by node id. Nodes that existed
	// keep their credentials.
	Codes map[string]string
}

// LoadCounty writes a county file into the registries in one
// transaction: the county and its centre, towns, villages, a station for
// each station of the file (node and site) and the lines. Loading the same
// file again changes nothing; a changed file updates names, aliases,
// coordinates, hours and lines, and adds what is new. Nothing is deleted.
func (s *Store) LoadCounty(ctx context.Context, c *gazetteer.County) (CountyReport, error) {
	rep := CountyReport{Codes: map[string]string{}}
	if err := c.Validate(); err != nil {
		return rep, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	now := s.now()
	err := s.Write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO county (id, province, city, name, centre, lat, lon) VALUES (1, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET province = excluded.province, city = excluded.city, name = excluded.name,
			centre = excluded.centre, lat = excluded.lat, lon = excluded.lon`,
			c.Province, c.City, c.Name, c.Centre.ID, c.Centre.Lat, c.Centre.Lon); err != nil {
			return err
		}
		addNode := func(id string, kind syncproto.NodeKind, name string) error {
			var one int
			err := tx.QueryRowContext(ctx, "SELECT 1 FROM nodes WHERE node_id = ?", id).Scan(&one)
			if err == nil {
				_, err = tx.ExecContext(ctx, "UPDATE nodes SET name = ? WHERE node_id = ?", name, id)
				return err
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			code := newCode()
			if _, err := tx.ExecContext(ctx, `INSERT INTO nodes (node_id, kind, name, enroll_code_hash, enroll_expires, created_at)
				VALUES (?, ?, ?, ?, ?, ?)`, id, string(kind), name, hashSecret(NormalizeCode(code)), now.Add(EnrollTTL).UnixMilli(),
				now.UnixMilli()); err != nil {
				return err
			}
			rep.Codes[id] = code
			return nil
		}
		if err := addNode(c.Centre.ID, syncproto.NodeCentre, c.Centre.Name); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sites (node, lat, lon) VALUES (?, ?, ?)
			ON CONFLICT (node) DO UPDATE SET lat = excluded.lat, lon = excluded.lon`, c.Centre.ID, c.Centre.Lat, c.Centre.Lon); err != nil {
			return err
		}
		for _, t := range c.Towns {
			if _, err := tx.ExecContext(ctx, `INSERT INTO towns (code, name, short, lat, lon) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (code) DO UPDATE SET name = excluded.name, short = excluded.short, lat = excluded.lat, lon = excluded.lon`,
				t.Code, t.Name, t.Short, t.Lat, t.Lon); err != nil {
				return err
			}
			rep.Towns++
			for _, v := range t.Villages {
				aliases, _ := json.Marshal(v.Aliases)
				if _, err := tx.ExecContext(ctx, `INSERT INTO villages (code, town, name, aliases, lat, lon) VALUES (?, ?, ?, ?, ?, ?)
					ON CONFLICT (code) DO UPDATE SET town = excluded.town, name = excluded.name, aliases = excluded.aliases,
					lat = excluded.lat, lon = excluded.lon`, v.Code, t.Code, v.Name, string(aliases), v.Lat, v.Lon); err != nil {
					return err
				}
				rep.Villages++
			}
		}
		for _, st := range c.Stations {
			v, _ := c.Village(st.Village)
			town, _ := c.TownOf(st.Village)
			if err := addNode(st.ID, syncproto.NodeStation, st.Name); err != nil {
				return err
			}
			addr := town.Name + v.Name
			if _, err := tx.ExecContext(ctx, `INSERT INTO sites (node, village, address, lat, lon, hours) VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT (node) DO UPDATE SET village = excluded.village, lat = excluded.lat, lon = excluded.lon,
				hours = excluded.hours, address = CASE WHEN sites.address = '' THEN excluded.address ELSE sites.address END`,
				st.ID, st.Village, addr, v.Lat, v.Lon, st.Hours); err != nil {
				return err
			}
			rep.Stations++
		}
		for _, l := range c.Lines {
			stops, err := lineStops(c, l)
			if err != nil {
				return err
			}
			sb, _ := json.Marshal(stops)
			db, _ := json.Marshal(l.Departures)
			if _, err := tx.ExecContext(ctx, `INSERT INTO lines (code, name, kind, stops, departures) VALUES (?, ?, 'bus', ?, ?)
				ON CONFLICT (code) DO UPDATE SET name = excluded.name, stops = excluded.stops, departures = excluded.departures`,
				l.Code, l.Name, string(sb), string(db)); err != nil {
				return err
			}
			rep.Lines++
		}
		return nil
	})
	return rep, err
}

// Stop is a line's stop: a node and the minutes from the departure.
type Stop struct {
	Node    string `json:"node"`
	Minutes int    `json:"minutes"`
}

// Rural bus timings for stops without a timetable: the road is taken as
// 1.3 times the straight line, driven at 35 km/h, with 3 minutes a stop.
const (
	roadFactor = 1.3
	busKmH     = 35.0
	stopMin    = 3
)

// lineStops turns a line's stops (village codes and the centre's id) into
// node ids with minutes from departure, estimated from the coordinates.
func lineStops(c *gazetteer.County, l gazetteer.Line) ([]Stop, error) {
	var out []Stop
	var lat, lon, minutes float64
	for i, code := range l.Stops {
		id, la, lo := "", 0.0, 0.0
		if code == c.Centre.ID {
			id, la, lo = c.Centre.ID, c.Centre.Lat, c.Centre.Lon
		} else {
			st, ok := c.StationOf(code)
			v, vok := c.Village(code)
			if !ok || !vok {
				return nil, fmt.Errorf("%w: line %s stop %s has no station", ErrInvalid, l.Code, code)
			}
			id, la, lo = st.ID, v.Lat, v.Lon
		}
		if i > 0 {
			minutes += km(lat, lon, la, lo)*roadFactor/busKmH*60 + stopMin
		}
		lat, lon = la, lo
		out = append(out, Stop{Node: id, Minutes: int(math.Round(minutes))})
	}
	return out, nil
}

// km is the great-circle distance.
func km(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371.0
	rad := math.Pi / 180
	dlat, dlon := (lat2-lat1)*rad, (lon2-lon1)*rad
	a := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dlon/2)*math.Sin(dlon/2)
	return 2 * r * math.Asin(math.Sqrt(a))
}

// County rebuilds the county from the registries (for the resolver), or
// ErrNotFound when none was loaded.
func (s *Store) County(ctx context.Context) (*gazetteer.County, error) {
	c := &gazetteer.County{}
	err := s.r.QueryRowContext(ctx, "SELECT province, city, name, centre, lat, lon FROM county WHERE id = 1").
		Scan(&c.Province, &c.City, &c.Name, &c.Centre.ID, &c.Centre.Lat, &c.Centre.Lon)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: no county loaded (cunyou-hub county load FILE)", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read county: %w", classify(err))
	}
	if err := s.r.QueryRowContext(ctx, "SELECT name FROM nodes WHERE node_id = ?", c.Centre.ID).Scan(&c.Centre.Name); err != nil {
		return nil, fmt.Errorf("read centre: %w", classify(err))
	}
	towns := map[string]int{}
	rows, err := s.r.QueryContext(ctx, "SELECT code, name, short, lat, lon FROM towns ORDER BY code")
	if err != nil {
		return nil, classify(err)
	}
	for rows.Next() {
		var t gazetteer.Town
		if err := rows.Scan(&t.Code, &t.Name, &t.Short, &t.Lat, &t.Lon); err != nil {
			rows.Close()
			return nil, err
		}
		towns[t.Code] = len(c.Towns)
		c.Towns = append(c.Towns, t)
	}
	rows.Close()
	rows, err = s.r.QueryContext(ctx, "SELECT code, town, name, aliases, lat, lon FROM villages ORDER BY code")
	if err != nil {
		return nil, classify(err)
	}
	for rows.Next() {
		var v gazetteer.Village
		var town, aliases string
		if err := rows.Scan(&v.Code, &town, &v.Name, &aliases, &v.Lat, &v.Lon); err != nil {
			rows.Close()
			return nil, err
		}
		json.Unmarshal([]byte(aliases), &v.Aliases)
		if i, ok := towns[town]; ok {
			c.Towns[i].Villages = append(c.Towns[i].Villages, v)
		}
	}
	rows.Close()
	rows, err = s.r.QueryContext(ctx, `SELECT s.node, s.village, n.name, s.hours FROM sites s JOIN nodes n ON n.node_id = s.node
		WHERE s.village IS NOT NULL AND s.status <> 'closed' AND n.disabled = 0 ORDER BY s.node`)
	if err != nil {
		return nil, classify(err)
	}
	for rows.Next() {
		var st gazetteer.Station
		if err := rows.Scan(&st.ID, &st.Village, &st.Name, &st.Hours); err != nil {
			rows.Close()
			return nil, err
		}
		c.Stations = append(c.Stations, st)
	}
	rows.Close()
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("registries do not make a valid county: %w", err)
	}
	return c, nil
}

// Site is a station or centre with what the county knows of it.
type Site struct {
	Node, Name, Kind     string
	Village, VillageName string
	Town, TownName       string
	Address              string
	Lat, Lon             float64
	Hours                string
	ContactName, Contact string // contact's name and phone (a business number: shown)
	Status               string // open, suspended, closed
	Enrolled, Disabled   bool
	LastContact          time.Time
}

const siteSelect = `SELECT n.node_id, n.name, n.kind, coalesce(s.village, ''), coalesce(v.name, ''), coalesce(t.code, ''),
	coalesce(t.name, ''), coalesce(s.address, ''), coalesce(s.lat, 0), coalesce(s.lon, 0), coalesce(s.hours, ''),
	coalesce(s.contact_name, ''), coalesce(s.contact_phone, ''), coalesce(s.status, 'open'), n.token_hash IS NOT NULL,
	n.disabled, n.last_contact_ms
	FROM nodes n LEFT JOIN sites s ON s.node = n.node_id LEFT JOIN villages v ON v.code = s.village LEFT JOIN towns t ON t.code = v.town`

func scanSite(r scanner) (Site, error) {
	var st Site
	var contact int64
	err := r.Scan(&st.Node, &st.Name, &st.Kind, &st.Village, &st.VillageName, &st.Town, &st.TownName, &st.Address, &st.Lat,
		&st.Lon, &st.Hours, &st.ContactName, &st.Contact, &st.Status, &st.Enrolled, &st.Disabled, &contact)
	st.LastContact = msTime(contact)
	return st, err
}

// Sites returns every station and centre, by node id.
func (s *Store) Sites(ctx context.Context) ([]Site, error) {
	rows, err := s.r.QueryContext(ctx, siteSelect+" ORDER BY n.node_id")
	if err != nil {
		return nil, fmt.Errorf("read sites: %w", classify(err))
	}
	defer rows.Close()
	var out []Site
	for rows.Next() {
		st, err := scanSite(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, classify(rows.Err())
}

// Site returns one station or centre.
func (s *Store) Site(ctx context.Context, node string) (Site, error) {
	st, err := scanSite(s.r.QueryRowContext(ctx, siteSelect+" WHERE n.node_id = ?", node))
	if errors.Is(err, sql.ErrNoRows) {
		return st, fmt.Errorf("%w: station %s", ErrNotFound, node)
	}
	return st, classify(err)
}

var hoursRe = regexp.MustCompile(`^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$`)

// SiteUpdate changes a site's details; nil fields stay.
type SiteUpdate struct {
	Address, Hours, ContactName, Contact, Status *string
}

// UpdateSite changes a station's or centre's details.
func (s *Store) UpdateSite(ctx context.Context, node string, u SiteUpdate) error {
	if u.Hours != nil && *u.Hours != "" && !hoursRe.MatchString(*u.Hours) {
		return fmt.Errorf("%w: hours %q: use HH:MM-HH:MM", ErrInvalid, *u.Hours)
	}
	if u.Status != nil && *u.Status != "open" && *u.Status != "suspended" && *u.Status != "closed" {
		return fmt.Errorf("%w: status %q: use open, suspended or closed", ErrInvalid, *u.Status)
	}
	return s.Write(ctx, func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, "SELECT 1 FROM nodes WHERE node_id = ?", node).Scan(&one); errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: station %s", ErrNotFound, node)
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO sites (node) VALUES (?) ON CONFLICT DO NOTHING", node); err != nil {
			return err
		}
		set := func(col string, v *string) error {
			if v == nil {
				return nil
			}
			_, err := tx.ExecContext(ctx, "UPDATE sites SET "+col+" = ? WHERE node = ?", strings.TrimSpace(*v), node)
			return err
		}
		for _, f := range []struct {
			col string
			v   *string
		}{{"address", u.Address}, {"hours", u.Hours}, {"contact_name", u.ContactName}, {"contact_phone", u.Contact}, {"status", u.Status}} {
			if err := set(f.col, f.v); err != nil {
				return err
			}
		}
		return nil
	})
}

// Carrier is a carrier (or a shop sending through the county).
type Carrier struct {
	Code, Name    string
	Patterns      []string // regular expressions of its waybill numbers
	WebhookURL    string
	WebhookSecret string
	Created       time.Time
}

var carrierCodeRe = regexp.MustCompile(`^[a-z][a-z0-9_]{1,31}$`)

// PutCarrier creates or replaces a carrier.
func (s *Store) PutCarrier(ctx context.Context, c Carrier) error {
	if !carrierCodeRe.MatchString(c.Code) {
		return fmt.Errorf("%w: carrier code %q: use 2-32 lowercase letters, digits or _", ErrInvalid, c.Code)
	}
	if strings.TrimSpace(c.Name) == "" {
		return fmt.Errorf("%w: carrier %s: no name", ErrInvalid, c.Code)
	}
	for _, p := range c.Patterns {
		if _, err := regexp.Compile(p); err != nil {
			return fmt.Errorf("%w: carrier %s: pattern %q: %v", ErrInvalid, c.Code, p, err)
		}
	}
	if c.WebhookURL != "" && !strings.HasPrefix(c.WebhookURL, "https://") && !strings.HasPrefix(c.WebhookURL, "http://") {
		return fmt.Errorf("%w: carrier %s: webhook URL %q: use https://", ErrInvalid, c.Code, c.WebhookURL)
	}
	if c.WebhookURL != "" && len(c.WebhookSecret) < 16 {
		return fmt.Errorf("%w: carrier %s: a webhook needs a secret of 16+ characters", ErrInvalid, c.Code)
	}
	patterns, _ := json.Marshal(c.Patterns)
	if c.Patterns == nil {
		patterns = []byte("[]")
	}
	return s.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO carriers (code, name, patterns, webhook_url, webhook_secret, created_ms)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (code) DO UPDATE SET name = excluded.name, patterns = excluded.patterns,
			webhook_url = excluded.webhook_url, webhook_secret = excluded.webhook_secret`,
			c.Code, strings.TrimSpace(c.Name), string(patterns), c.WebhookURL, c.WebhookSecret, s.now().UnixMilli())
		return err
	})
}

// Carriers returns every carrier, by code.
func (s *Store) Carriers(ctx context.Context) ([]Carrier, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT code, name, patterns, webhook_url, webhook_secret, created_ms FROM carriers ORDER BY code")
	if err != nil {
		return nil, fmt.Errorf("read carriers: %w", classify(err))
	}
	defer rows.Close()
	var out []Carrier
	for rows.Next() {
		var c Carrier
		var patterns string
		var created int64
		if err := rows.Scan(&c.Code, &c.Name, &patterns, &c.WebhookURL, &c.WebhookSecret, &created); err != nil {
			return nil, err
		}
		json.Unmarshal([]byte(patterns), &c.Patterns)
		c.Created = time.UnixMilli(created)
		out = append(out, c)
	}
	return out, classify(rows.Err())
}

// Carrier returns one carrier.
func (s *Store) Carrier(ctx context.Context, code string) (Carrier, error) {
	cs, err := s.Carriers(ctx)
	if err != nil {
		return Carrier{}, err
	}
	for _, c := range cs {
		if c.Code == code {
			return c, nil
		}
	}
	return Carrier{}, fmt.Errorf("%w: carrier %s", ErrNotFound, code)
}

// Line is a bus line or van route.
type Line struct {
	Code, Name, Kind string
	Stops            []Stop
	Departures       []string
}

// Lines returns every line, by code.
func (s *Store) Lines(ctx context.Context) ([]Line, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT code, name, kind, stops, departures FROM lines ORDER BY code")
	if err != nil {
		return nil, fmt.Errorf("read lines: %w", classify(err))
	}
	defer rows.Close()
	var out []Line
	for rows.Next() {
		var l Line
		var stops, deps string
		if err := rows.Scan(&l.Code, &l.Name, &l.Kind, &stops, &deps); err != nil {
			return nil, err
		}
		json.Unmarshal([]byte(stops), &l.Stops)
		json.Unmarshal([]byte(deps), &l.Departures)
		out = append(out, l)
	}
	return out, classify(rows.Err())
}

// Trip is one run of a line on one day.
type Trip struct {
	ID, Line, LineName string
	Date, Departure    string // YYYY-MM-DD, HH:MM (county time)
	Vehicle, Driver    string
	Status             string // planned, departed, arrived, cancelled
	Stops              []Stop
	Departed           time.Time
}

// TripID names the trip of line at departure on date.
func TripID(line, date, departure string) string {
	return line + "-" + strings.ReplaceAll(date, "-", "") + "-" + strings.ReplaceAll(departure, ":", "")
}

// PlanTrips creates the trips of every line's departures on date (a day
// in the county's time, YYYY-MM-DD), keeping those that exist, and tells
// the centres. It returns the trips of the day.
func (s *Store) PlanTrips(ctx context.Context, date string) ([]Trip, error) {
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		return nil, fmt.Errorf("%w: date %q: use YYYY-MM-DD", ErrInvalid, date)
	}
	lines, err := s.Lines(ctx)
	if err != nil {
		return nil, err
	}
	err = s.Write(ctx, func(tx *sql.Tx) error {
		for _, l := range lines {
			for _, d := range l.Departures {
				if _, err := tx.ExecContext(ctx, `INSERT INTO trips (id, line, date, departure) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
					TripID(l.Code, date, d), l.Code, date, d); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	trips, err := s.Trips(ctx, date)
	if err != nil {
		return nil, err
	}
	return trips, s.tellCentres(ctx, trips)
}

// tellCentres queues trips for every centre.
func (s *Store) tellCentres(ctx context.Context, trips []Trip) error {
	nodes, err := s.Nodes(ctx)
	if err != nil {
		return err
	}
	var out []Outgoing
	for _, n := range nodes {
		if n.Kind != syncproto.NodeCentre || n.Disabled {
			continue
		}
		for _, t := range trips {
			stops := make([]string, len(t.Stops))
			for i, st := range t.Stops {
				stops[i] = st.Node
			}
			out = append(out, Outgoing{Node: n.ID, Type: syncproto.ChangeTrip, Payload: syncproto.Trip{ID: t.ID, Line: t.Line,
				LineName: t.LineName, Date: t.Date, Departure: t.Departure, Vehicle: t.Vehicle, Driver: t.Driver, Stops: stops,
				Cancelled: t.Status == "cancelled"}})
		}
	}
	if len(out) == 0 {
		return nil
	}
	_, err = s.AddChanges(ctx, out)
	return err
}

const tripSelect = `SELECT t.id, t.line, l.name, t.date, t.departure, t.vehicle, t.driver, t.status, l.stops, t.departed_ms
	FROM trips t JOIN lines l ON l.code = t.line`

func scanTrips(rows *sql.Rows) ([]Trip, error) {
	defer rows.Close()
	var out []Trip
	for rows.Next() {
		var t Trip
		var stops string
		var departed int64
		if err := rows.Scan(&t.ID, &t.Line, &t.LineName, &t.Date, &t.Departure, &t.Vehicle, &t.Driver, &t.Status, &stops, &departed); err != nil {
			return nil, err
		}
		json.Unmarshal([]byte(stops), &t.Stops)
		t.Departed = msTime(departed)
		out = append(out, t)
	}
	return out, classify(rows.Err())
}

// Trips returns the trips of date, by departure.
func (s *Store) Trips(ctx context.Context, date string) ([]Trip, error) {
	rows, err := s.r.QueryContext(ctx, tripSelect+" WHERE t.date = ? ORDER BY t.departure, t.line", date)
	if err != nil {
		return nil, fmt.Errorf("read trips: %w", classify(err))
	}
	return scanTrips(rows)
}

// TripsTo returns the trips of date that stop at node, by departure.
func (s *Store) TripsTo(ctx context.Context, date, node string) ([]Trip, error) {
	trips, err := s.Trips(ctx, date)
	if err != nil {
		return nil, err
	}
	var out []Trip
	for _, t := range trips {
		for _, st := range t.Stops[1:] {
			if st.Node == node {
				out = append(out, t)
				break
			}
		}
	}
	return out, nil
}

// TripUpdate changes a trip; nil fields stay.
type TripUpdate struct {
	Vehicle, Driver, Status *string
}

// UpdateTrip assigns a trip's vehicle and driver or changes its status,
// and tells the centres.
func (s *Store) UpdateTrip(ctx context.Context, id string, u TripUpdate) error {
	if u.Status != nil {
		switch *u.Status {
		case "planned", "departed", "arrived", "cancelled":
		default:
			return fmt.Errorf("%w: trip status %q", ErrInvalid, *u.Status)
		}
	}
	var date string
	err := s.Write(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, "SELECT date FROM trips WHERE id = ?", id).Scan(&date); errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: trip %s", ErrNotFound, id)
		} else if err != nil {
			return err
		}
		if u.Vehicle != nil {
			var one int
			if *u.Vehicle != "" {
				if err := tx.QueryRowContext(ctx, "SELECT 1 FROM vehicles WHERE plate = ?", *u.Vehicle).Scan(&one); errors.Is(err, sql.ErrNoRows) {
					return fmt.Errorf("%w: vehicle %s", ErrNotFound, *u.Vehicle)
				}
			}
			if _, err := tx.ExecContext(ctx, "UPDATE trips SET vehicle = ? WHERE id = ?", *u.Vehicle, id); err != nil {
				return err
			}
		}
		if u.Driver != nil {
			var one int
			if *u.Driver != "" {
				if err := tx.QueryRowContext(ctx, "SELECT 1 FROM drivers WHERE id = ?", *u.Driver).Scan(&one); errors.Is(err, sql.ErrNoRows) {
					return fmt.Errorf("%w: driver %s", ErrNotFound, *u.Driver)
				}
			}
			if _, err := tx.ExecContext(ctx, "UPDATE trips SET driver = ? WHERE id = ?", *u.Driver, id); err != nil {
				return err
			}
		}
		if u.Status != nil {
			if _, err := tx.ExecContext(ctx, "UPDATE trips SET status = ?, departed_ms = CASE WHEN ? = 'departed' THEN ? ELSE departed_ms END WHERE id = ?",
				*u.Status, *u.Status, s.now().UnixMilli(), id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	trips, err := s.Trips(ctx, date)
	if err != nil {
		return err
	}
	for _, t := range trips {
		if t.ID == id {
			return s.tellCentres(ctx, []Trip{t})
		}
	}
	return nil
}

// Vehicle is a bus, van or truck that carries parcels.
type Vehicle struct {
	Plate, Kind string
	Capacity    int
	Terminal    string // JT/T 808 terminal phone number
	Active      bool
}

// PutVehicle creates or replaces a vehicle.
func (s *Store) PutVehicle(ctx context.Context, v Vehicle) error {
	if strings.TrimSpace(v.Plate) == "" {
		return fmt.Errorf("%w: vehicle without a plate", ErrInvalid)
	}
	if v.Kind == "" {
		v.Kind = "bus"
	}
	if v.Kind != "bus" && v.Kind != "van" && v.Kind != "truck" {
		return fmt.Errorf("%w: vehicle kind %q: use bus, van or truck", ErrInvalid, v.Kind)
	}
	return s.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO vehicles (plate, kind, capacity, terminal, active) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (plate) DO UPDATE SET kind = excluded.kind, capacity = excluded.capacity, terminal = excluded.terminal,
			active = excluded.active`, strings.TrimSpace(v.Plate), v.Kind, v.Capacity, v.Terminal, v.Active)
		return err
	})
}

// Vehicles returns every vehicle, by plate.
func (s *Store) Vehicles(ctx context.Context) ([]Vehicle, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT plate, kind, capacity, terminal, active FROM vehicles ORDER BY plate")
	if err != nil {
		return nil, fmt.Errorf("read vehicles: %w", classify(err))
	}
	defer rows.Close()
	var out []Vehicle
	for rows.Next() {
		var v Vehicle
		if err := rows.Scan(&v.Plate, &v.Kind, &v.Capacity, &v.Terminal, &v.Active); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, classify(rows.Err())
}

// Driver drives a vehicle on trips.
type Driver struct {
	ID, Name, Phone string
	Active          bool
}

// PutDriver creates or replaces a driver.
func (s *Store) PutDriver(ctx context.Context, d Driver) error {
	if !ValidNodeID(d.ID) || strings.TrimSpace(d.Name) == "" {
		return fmt.Errorf("%w: driver needs an id (letters, digits, - or _) and a name", ErrInvalid)
	}
	return s.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO drivers (id, name, phone, active) VALUES (?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, phone = excluded.phone, active = excluded.active`,
			d.ID, strings.TrimSpace(d.Name), d.Phone, d.Active)
		return err
	})
}

// Drivers returns every driver, by id.
func (s *Store) Drivers(ctx context.Context) ([]Driver, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT id, name, phone, active FROM drivers ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("read drivers: %w", classify(err))
	}
	defer rows.Close()
	var out []Driver
	for rows.Next() {
		var d Driver
		if err := rows.Scan(&d.ID, &d.Name, &d.Phone, &d.Active); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, classify(rows.Err())
}

// SetTariffs replaces the county's tariff table.
func (s *Store) SetTariffs(ctx context.Context, ts []syncproto.Tariff) error {
	for i, t := range ts {
		if t.Carrier == "" || t.Province == "" || t.FirstGrams <= 0 || t.StepGrams <= 0 || t.FirstFen < 0 || t.StepFen < 0 {
			return fmt.Errorf("%w: tariff %d: carrier, province, first_g > 0, step_g > 0, prices ≥ 0", ErrInvalid, i+1)
		}
	}
	return s.Write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM tariffs"); err != nil {
			return err
		}
		for _, t := range ts {
			if _, err := tx.ExecContext(ctx, `INSERT INTO tariffs (carrier, province, first_g, first_fen, step_g, step_fen)
				VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET first_g = excluded.first_g, first_fen = excluded.first_fen,
				step_g = excluded.step_g, step_fen = excluded.step_fen`,
				t.Carrier, t.Province, t.FirstGrams, t.FirstFen, t.StepGrams, t.StepFen); err != nil {
				return err
			}
		}
		return nil
	})
}

// Tariffs returns the county's tariff table.
func (s *Store) Tariffs(ctx context.Context) ([]syncproto.Tariff, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT carrier, province, first_g, first_fen, step_g, step_fen FROM tariffs ORDER BY carrier, province")
	if err != nil {
		return nil, fmt.Errorf("read tariffs: %w", classify(err))
	}
	defer rows.Close()
	var out []syncproto.Tariff
	for rows.Next() {
		var t syncproto.Tariff
		if err := rows.Scan(&t.Carrier, &t.Province, &t.FirstGrams, &t.FirstFen, &t.StepGrams, &t.StepFen); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, classify(rows.Err())
}
