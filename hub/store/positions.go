package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Vehicle GPS: the JT/T 808 terminals, their positions, each vehicle's
// latest one, trips' tracks and geofence events. Package gps writes them
// through SaveGPS in batches.

// TerminalInfo is what a terminal says of itself when it registers.
type TerminalInfo struct {
	Phone                    string
	Maker, Model, TerminalID string
	IMEI, Software           string // 2019 terminals, at authentication
}

// Terminal is a registered terminal.
type Terminal struct {
	TerminalInfo
	Plate         string
	Registered    time.Time
	Authenticated time.Time
	LastSeen      time.Time
	Reports       int64
}

// RegisterTerminal records a terminal's registration and returns its new
// auth code and the plate of the vehicle whose terminal it is (numbers
// match without their leading zeros, as the BCD header pads them). A phone
// no vehicle names is ErrNotFound. Registering again replaces the auth code.
func (s *Store) RegisterTerminal(ctx context.Context, t TerminalInfo) (code, plate string, err error) {
	if t.Phone == "" {
		return "", "", fmt.Errorf("%w: terminal without a phone number", ErrInvalid)
	}
	code = NormalizeCode(newCode())
	err = s.Write(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, "SELECT plate FROM vehicles WHERE ltrim(terminal, '0') = ltrim(?, '0') AND active = 1", t.Phone).Scan(&plate)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: no active vehicle has terminal %s", ErrNotFound, t.Phone)
		} else if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO gps_terminals (phone, plate, auth_hash, maker, model, terminal_id, registered_ms)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (phone) DO UPDATE SET plate = excluded.plate, auth_hash = excluded.auth_hash,
			maker = excluded.maker, model = excluded.model, terminal_id = excluded.terminal_id, registered_ms = excluded.registered_ms`,
			t.Phone, plate, hashSecret(code), t.Maker, t.Model, t.TerminalID, s.now().UnixMilli())
		return err
	})
	if err != nil {
		return "", "", err
	}
	return code, plate, nil
}

// AuthenticateTerminal checks a terminal's auth code and returns the plate
// of its vehicle (which may have changed since it registered). A wrong
// code, an unregistered terminal or one no active vehicle names any more
// is ErrUnauthorized.
func (s *Store) AuthenticateTerminal(ctx context.Context, phone, code, imei, software string) (plate string, err error) {
	err = s.Write(ctx, func(tx *sql.Tx) error {
		var hash string
		err := tx.QueryRowContext(ctx, "SELECT auth_hash FROM gps_terminals WHERE phone = ?", phone).Scan(&hash)
		if errors.Is(err, sql.ErrNoRows) || err == nil && (hash == "" || hash != hashSecret(code)) {
			return fmt.Errorf("%w: terminal %s", ErrUnauthorized, phone)
		} else if err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, "SELECT plate FROM vehicles WHERE ltrim(terminal, '0') = ltrim(?, '0') AND active = 1", phone).Scan(&plate)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: no active vehicle has terminal %s", ErrUnauthorized, phone)
		} else if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE gps_terminals SET plate = ?, authenticated_ms = ?, last_seen_ms = max(last_seen_ms, ?),
			imei = CASE WHEN ? <> '' THEN ? ELSE imei END, software = CASE WHEN ? <> '' THEN ? ELSE software END WHERE phone = ?`,
			plate, s.now().UnixMilli(), s.now().UnixMilli(), imei, imei, software, software, phone)
		return err
	})
	return plate, err
}

// UnregisterTerminal voids a terminal's auth code (its logout, 0x0003):
// it registers again before it reports.
func (s *Store) UnregisterTerminal(ctx context.Context, phone string) error {
	return s.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE gps_terminals SET auth_hash = '' WHERE phone = ?", phone)
		return err
	})
}

// Terminals returns every registered terminal, by phone.
func (s *Store) Terminals(ctx context.Context) ([]Terminal, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT phone, plate, maker, model, terminal_id, imei, software, registered_ms,
		authenticated_ms, last_seen_ms, reports FROM gps_terminals ORDER BY phone`)
	if err != nil {
		return nil, fmt.Errorf("read terminals: %w", classify(err))
	}
	defer rows.Close()
	var out []Terminal
	for rows.Next() {
		var t Terminal
		var reg, auth, seen int64
		if err := rows.Scan(&t.Phone, &t.Plate, &t.Maker, &t.Model, &t.TerminalID, &t.IMEI, &t.Software, &reg, &auth, &seen,
			&t.Reports); err != nil {
			return nil, err
		}
		t.Registered, t.Authenticated, t.LastSeen = msTime(reg), msTime(auth), msTime(seen)
		out = append(out, t)
	}
	return out, classify(rows.Err())
}

// Position is one report of a vehicle's position.
type Position struct {
	Terminal, Plate string
	Time            time.Time // the terminal's fix
	Lat, Lon        float64   // degrees, negative south and west
	Speed           float64   // km/h
	Heading         int       // degrees from north, clockwise
	Altitude        int       // m
	Alarm, Status   uint32    // JT/T 808 bit fields
	Received        time.Time
}

// GeofenceEvent is a vehicle's arrival at or departure from the circle
// around a station or the centre, or its approach to a station (Kind
// Approach: told to the station, never stored).
type GeofenceEvent struct {
	Trip, Plate, Node string
	Kind              string // arrival, departure, approach
	Time              time.Time
	Lat, Lon          float64
	Distance          float64 // an approach's metres to the station
	Speed             float64 // an approach's km/h
}

// Approach is the kind of a vehicle's GeofenceEvent when it comes near a
// station.
const Approach = "approach"

// TerminalSeen counts a terminal's reports and moves its last contact.
type TerminalSeen struct {
	Phone   string
	At      time.Time
	Reports int
}

// GPSBatch is what package gps writes in one transaction.
type GPSBatch struct {
	Positions []Position
	Events    []GeofenceEvent
	Seen      []TerminalSeen
}

// SaveGPS writes a batch in one durable transaction: the positions (a
// terminal's repeat of a time it reported is ignored), each vehicle's
// latest position, the geofence events (but approaches) and the
// terminals' contact. It
// returns how many positions were new.
func (s *Store) SaveGPS(ctx context.Context, b GPSBatch) (added int, err error) {
	err = s.Write(ctx, func(tx *sql.Tx) error {
		added = 0
		if err := insertPositions(ctx, tx, b.Positions, &added); err != nil {
			return err
		}
		latest := map[string]Position{}
		for _, p := range b.Positions {
			if l, ok := latest[p.Plate]; p.Plate != "" && (!ok || p.Time.After(l.Time)) {
				latest[p.Plate] = p
			}
		}
		for _, p := range latest {
			if _, err := tx.ExecContext(ctx, `INSERT INTO vehicle_positions (plate, terminal, time_ms, lat, lon, speed, heading,
				altitude, alarm, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (plate) DO UPDATE SET
				terminal = excluded.terminal, time_ms = excluded.time_ms, lat = excluded.lat, lon = excluded.lon,
				speed = excluded.speed, heading = excluded.heading, altitude = excluded.altitude, alarm = excluded.alarm,
				status = excluded.status WHERE excluded.time_ms >= vehicle_positions.time_ms`,
				p.Plate, p.Terminal, p.Time.UnixMilli(), p.Lat, p.Lon, p.Speed, p.Heading, p.Altitude, p.Alarm, p.Status); err != nil {
				return err
			}
		}
		for _, e := range b.Events {
			if e.Kind == Approach {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO geofence_events (trip, plate, node, kind, time_ms, lat, lon)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, e.Trip, e.Plate, e.Node, e.Kind, e.Time.UnixMilli(), e.Lat, e.Lon); err != nil {
				return err
			}
		}
		for _, t := range b.Seen {
			if _, err := tx.ExecContext(ctx, `UPDATE gps_terminals SET last_seen_ms = max(last_seen_ms, ?), reports = reports + ?
				WHERE phone = ?`, t.At.UnixMilli(), t.Reports, t.Phone); err != nil {
				return err
			}
		}
		return nil
	})
	return added, err
}

// positionRows is how many positions one INSERT carries.
const positionRows = 64

const positionCols = "(terminal, time_ms, plate, lat, lon, speed, heading, altitude, alarm, status, received_ms)"

func insertPositions(ctx context.Context, tx *sql.Tx, ps []Position, added *int) error {
	var full *sql.Stmt
	for len(ps) > 0 {
		n := min(len(ps), positionRows)
		q := "INSERT INTO positions " + positionCols + " VALUES " +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?),", n), ",") + " ON CONFLICT DO NOTHING"
		var st *sql.Stmt
		var err error
		if n == positionRows && full != nil {
			st = full
		} else if st, err = tx.PrepareContext(ctx, q); err != nil {
			return err
		}
		if n == positionRows {
			full = st
		} else {
			defer st.Close()
		}
		args := make([]any, 0, 11*n)
		for _, p := range ps[:n] {
			args = append(args, p.Terminal, p.Time.UnixMilli(), p.Plate, p.Lat, p.Lon, p.Speed, p.Heading, p.Altitude, p.Alarm,
				p.Status, p.Received.UnixMilli())
		}
		res, err := st.ExecContext(ctx, args...)
		if err != nil {
			return err
		}
		k, _ := res.RowsAffected()
		*added += int(k)
		ps = ps[n:]
	}
	if full != nil {
		full.Close()
	}
	return nil
}

const positionSelect = `SELECT terminal, plate, time_ms, lat, lon, speed, heading, altitude, alarm, status, received_ms FROM positions`

func scanPositions(rows *sql.Rows) ([]Position, error) {
	defer rows.Close()
	var out []Position
	for rows.Next() {
		var p Position
		var t, recv int64
		if err := rows.Scan(&p.Terminal, &p.Plate, &t, &p.Lat, &p.Lon, &p.Speed, &p.Heading, &p.Altitude, &p.Alarm, &p.Status,
			&recv); err != nil {
			return nil, err
		}
		p.Time, p.Received = time.UnixMilli(t), time.UnixMilli(recv)
		out = append(out, p)
	}
	return out, classify(rows.Err())
}

// Positions returns a vehicle's last limit positions, newest first.
func (s *Store) Positions(ctx context.Context, plate string, limit int) ([]Position, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.r.QueryContext(ctx, positionSelect+" WHERE plate = ? ORDER BY time_ms DESC LIMIT ?", plate, limit)
	if err != nil {
		return nil, fmt.Errorf("read positions: %w", classify(err))
	}
	return scanPositions(rows)
}

// LatestPositions returns every vehicle's latest position, by plate.
func (s *Store) LatestPositions(ctx context.Context) ([]Position, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT terminal, plate, time_ms, lat, lon, speed, heading, altitude, alarm, status, time_ms
		FROM vehicle_positions ORDER BY plate`)
	if err != nil {
		return nil, fmt.Errorf("read latest positions: %w", classify(err))
	}
	return scanPositions(rows)
}

// LatestPosition returns a vehicle's latest position, or ErrNotFound.
func (s *Store) LatestPosition(ctx context.Context, plate string) (Position, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT terminal, plate, time_ms, lat, lon, speed, heading, altitude, alarm, status, time_ms
		FROM vehicle_positions WHERE plate = ?`, plate)
	if err != nil {
		return Position{}, fmt.Errorf("read latest position: %w", classify(err))
	}
	ps, err := scanPositions(rows)
	if err != nil {
		return Position{}, err
	}
	if len(ps) == 0 {
		return Position{}, fmt.Errorf("%w: no position of vehicle %s", ErrNotFound, plate)
	}
	return ps[0], nil
}

// ActiveTrips returns the departed trips by their vehicles' plates (the
// latest departure when a vehicle has several).
func (s *Store) ActiveTrips(ctx context.Context) (map[string]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT vehicle, id FROM trips WHERE status = 'departed' AND vehicle <> ''
		ORDER BY departed_ms, date, departure`)
	if err != nil {
		return nil, fmt.Errorf("read active trips: %w", classify(err))
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var plate, id string
		if err := rows.Scan(&plate, &id); err != nil {
			return nil, err
		}
		out[plate] = id
	}
	return out, classify(rows.Err())
}

// Track is a trip's path: the positions of its vehicle from the
// departure to the arrival, and the geofence events on the trip.
type Track struct {
	Trip      Trip
	From, To  time.Time
	Positions []Position
	Events    []GeofenceEvent
}

// TripTrack returns a trip's track. It starts when the trip departed (its
// timetable's departure in loc when nobody marked it departed) and ends at
// the arrival at its last stop, else at the vehicle's next departure, else
// now.
func (s *Store) TripTrack(ctx context.Context, id string, loc *time.Location) (Track, error) {
	rows, err := s.r.QueryContext(ctx, tripSelect+" WHERE t.id = ?", id)
	if err != nil {
		return Track{}, fmt.Errorf("read trip: %w", classify(err))
	}
	trips, err := scanTrips(rows)
	if err != nil {
		return Track{}, err
	}
	if len(trips) == 0 {
		return Track{}, fmt.Errorf("%w: trip %s", ErrNotFound, id)
	}
	tr := Track{Trip: trips[0], From: trips[0].Departed, To: s.now()}
	if tr.From.IsZero() {
		if tr.From, err = time.ParseInLocation(time.DateOnly+" 15:04", tr.Trip.Date+" "+tr.Trip.Departure, loc); err != nil {
			return Track{}, fmt.Errorf("%w: trip %s: departure %s %s", ErrInvalid, id, tr.Trip.Date, tr.Trip.Departure)
		}
	}
	if tr.Events, err = s.GeofenceEvents(ctx, id); err != nil {
		return Track{}, err
	}
	if tr.Trip.Vehicle == "" {
		return tr, nil
	}
	var last string
	if n := len(tr.Trip.Stops); n > 0 {
		last = tr.Trip.Stops[n-1].Node
	}
	var next sql.NullInt64
	err = s.r.QueryRowContext(ctx, `SELECT coalesce(
		(SELECT min(time_ms) FROM geofence_events WHERE trip = ? AND node = ? AND kind = 'arrival' AND time_ms > ?),
		(SELECT min(departed_ms) FROM trips WHERE vehicle = ? AND id <> ? AND departed_ms > ?))`,
		id, last, tr.From.UnixMilli(), tr.Trip.Vehicle, id, tr.From.UnixMilli()).Scan(&next)
	if err != nil {
		return Track{}, fmt.Errorf("read trip end: %w", classify(err))
	}
	if next.Valid {
		tr.To = time.UnixMilli(next.Int64)
	}
	rows, err = s.r.QueryContext(ctx, positionSelect+" WHERE plate = ? AND time_ms BETWEEN ? AND ? ORDER BY time_ms",
		tr.Trip.Vehicle, tr.From.UnixMilli(), tr.To.UnixMilli())
	if err != nil {
		return Track{}, fmt.Errorf("read track: %w", classify(err))
	}
	tr.Positions, err = scanPositions(rows)
	return tr, err
}

// GeofenceEvents returns a trip's geofence events in time order.
func (s *Store) GeofenceEvents(ctx context.Context, trip string) ([]GeofenceEvent, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT trip, plate, node, kind, time_ms, lat, lon FROM geofence_events WHERE trip = ?
		ORDER BY time_ms, id`, trip)
	if err != nil {
		return nil, fmt.Errorf("read geofence events: %w", classify(err))
	}
	defer rows.Close()
	var out []GeofenceEvent
	for rows.Next() {
		var e GeofenceEvent
		var t int64
		if err := rows.Scan(&e.Trip, &e.Plate, &e.Node, &e.Kind, &t, &e.Lat, &e.Lon); err != nil {
			return nil, err
		}
		e.Time = time.UnixMilli(t)
		out = append(out, e)
	}
	return out, classify(rows.Err())
}
