-- Vehicle GPS (hub/gps): the JT/T 808 terminals that registered, the
-- positions they report, each vehicle's latest position, and the
-- arrivals at and departures from the stations' and the centre's
-- geofences.
--
-- gps_terminals: one row a terminal, by its phone number (digits, no
-- leading zeros). auth_hash is the SHA-256 of the auth code the hub gave
-- at registration; plate is the vehicle whose vehicles.terminal named the
-- phone then.
CREATE TABLE gps_terminals (
	phone            TEXT    PRIMARY KEY,
	plate            TEXT    NOT NULL DEFAULT '',
	auth_hash        TEXT    NOT NULL DEFAULT '',
	maker            TEXT    NOT NULL DEFAULT '',
	model            TEXT    NOT NULL DEFAULT '',
	terminal_id      TEXT    NOT NULL DEFAULT '',
	imei             TEXT    NOT NULL DEFAULT '',
	software         TEXT    NOT NULL DEFAULT '',
	registered_ms    INTEGER NOT NULL DEFAULT 0,
	authenticated_ms INTEGER NOT NULL DEFAULT 0,
	last_seen_ms     INTEGER NOT NULL DEFAULT 0,
	reports          INTEGER NOT NULL DEFAULT 0
) STRICT, WITHOUT ROWID;

-- positions: every report, once (a terminal's resend of the same time is
-- ignored). time_ms is the terminal's fix time; lat and lon in degrees
-- (negative south and west), speed in km/h, heading in degrees from
-- north, altitude in metres; alarm and status are JT/T 808's bit fields.
CREATE TABLE positions (
	terminal    TEXT    NOT NULL,
	time_ms     INTEGER NOT NULL,
	plate       TEXT    NOT NULL,
	lat         REAL    NOT NULL,
	lon         REAL    NOT NULL,
	speed       REAL    NOT NULL,
	heading     INTEGER NOT NULL,
	altitude    INTEGER NOT NULL,
	alarm       INTEGER NOT NULL,
	status      INTEGER NOT NULL,
	received_ms INTEGER NOT NULL,
	PRIMARY KEY (terminal, time_ms)
) STRICT, WITHOUT ROWID;
CREATE INDEX positions_plate_time ON positions (plate, time_ms);

-- vehicle_positions: each vehicle's latest position.
CREATE TABLE vehicle_positions (
	plate    TEXT    PRIMARY KEY,
	terminal TEXT    NOT NULL,
	time_ms  INTEGER NOT NULL,
	lat      REAL    NOT NULL,
	lon      REAL    NOT NULL,
	speed    REAL    NOT NULL,
	heading  INTEGER NOT NULL,
	altitude INTEGER NOT NULL,
	alarm    INTEGER NOT NULL,
	status   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- geofence_events: a vehicle entered (arrival) or left (departure) the
-- circle around a station or the centre (node), on trip ('' when the
-- vehicle rode no departed trip).
CREATE TABLE geofence_events (
	id      INTEGER PRIMARY KEY,
	trip    TEXT    NOT NULL,
	plate   TEXT    NOT NULL,
	node    TEXT    NOT NULL,
	kind    TEXT    NOT NULL CHECK (kind IN ('arrival', 'departure')),
	time_ms INTEGER NOT NULL,
	lat     REAL    NOT NULL,
	lon     REAL    NOT NULL
) STRICT;
CREATE INDEX geofence_events_trip ON geofence_events (trip, time_ms);
CREATE INDEX geofence_events_plate ON geofence_events (plate, time_ms);
