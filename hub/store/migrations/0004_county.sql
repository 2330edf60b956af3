-- The county the hub serves: its gazetteer, the stations' and centres'
-- details, carriers, lines, vehicles, drivers, trips, tariffs and the
-- clients of the open API. Loaded from the county file
-- (`cunyou-hub county load`) and kept with the CLI and the API.
CREATE TABLE county (
	id       INTEGER PRIMARY KEY CHECK (id = 1),
	province TEXT    NOT NULL,
	city     TEXT    NOT NULL,
	name     TEXT    NOT NULL,
	centre   TEXT    NOT NULL, -- node id of the sorting centre
	lat      REAL    NOT NULL,
	lon      REAL    NOT NULL
) STRICT;

CREATE TABLE towns (
	code  TEXT PRIMARY KEY,
	name  TEXT NOT NULL UNIQUE,
	short TEXT NOT NULL,
	lat   REAL NOT NULL,
	lon   REAL NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE villages (
	code    TEXT PRIMARY KEY,
	town    TEXT NOT NULL REFERENCES towns (code),
	name    TEXT NOT NULL,
	aliases TEXT NOT NULL DEFAULT '[]', -- JSON array of strings
	lat     REAL NOT NULL,
	lon     REAL NOT NULL,
	UNIQUE (town, name)
) STRICT, WITHOUT ROWID;

-- What the county knows of each station and centre beyond its sync
-- identity (nodes).
CREATE TABLE sites (
	node          TEXT PRIMARY KEY REFERENCES nodes (node_id),
	village       TEXT REFERENCES villages (code), -- NULL for a centre
	address       TEXT NOT NULL DEFAULT '',
	lat           REAL NOT NULL DEFAULT 0,
	lon           REAL NOT NULL DEFAULT 0,
	hours         TEXT NOT NULL DEFAULT '', -- HH:MM-HH:MM
	contact_name  TEXT NOT NULL DEFAULT '',
	contact_phone TEXT NOT NULL DEFAULT '',
	status        TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'suspended', 'closed'))
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX sites_village ON sites (village) WHERE village IS NOT NULL;

-- Carriers: patterns are regular expressions of their waybill numbers (a
-- hint: numbers overlap between carriers); webhook_url and webhook_secret
-- receive their parcels' events.
CREATE TABLE carriers (
	code           TEXT    PRIMARY KEY,
	name           TEXT    NOT NULL,
	patterns       TEXT    NOT NULL DEFAULT '[]', -- JSON array
	webhook_url    TEXT    NOT NULL DEFAULT '',
	webhook_secret TEXT    NOT NULL DEFAULT '',
	created_ms     INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Lines: ordered stops (node ids, the centre first) with minutes from
-- departure, and the daily departures (HH:MM).
CREATE TABLE lines (
	code       TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	kind       TEXT NOT NULL DEFAULT 'bus' CHECK (kind IN ('bus', 'van')),
	stops      TEXT NOT NULL, -- JSON [{"node": "ST-V0201", "minutes": 25}, ...]
	departures TEXT NOT NULL  -- JSON ["07:00", "13:30"]
) STRICT, WITHOUT ROWID;

CREATE TABLE vehicles (
	plate    TEXT    PRIMARY KEY,
	kind     TEXT    NOT NULL DEFAULT 'bus' CHECK (kind IN ('bus', 'van', 'truck')),
	capacity INTEGER NOT NULL DEFAULT 0, -- parcels
	terminal TEXT    NOT NULL DEFAULT '', -- JT/T 808 terminal phone number
	active   INTEGER NOT NULL DEFAULT 1
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX vehicles_terminal ON vehicles (terminal) WHERE terminal <> '';

CREATE TABLE drivers (
	id     TEXT    PRIMARY KEY,
	name   TEXT    NOT NULL,
	phone  TEXT    NOT NULL DEFAULT '',
	active INTEGER NOT NULL DEFAULT 1
) STRICT, WITHOUT ROWID;

-- A trip is one run of a line on one day: id LINE-YYYYMMDD-HHMM.
CREATE TABLE trips (
	id          TEXT    PRIMARY KEY,
	line        TEXT    NOT NULL REFERENCES lines (code),
	date        TEXT    NOT NULL, -- YYYY-MM-DD, county time
	departure   TEXT    NOT NULL, -- HH:MM
	vehicle     TEXT    NOT NULL DEFAULT '',
	driver      TEXT    NOT NULL DEFAULT '',
	status      TEXT    NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'departed', 'arrived', 'cancelled')),
	departed_ms INTEGER NOT NULL DEFAULT 0,
	UNIQUE (line, date, departure)
) STRICT, WITHOUT ROWID;
CREATE INDEX trips_date ON trips (date, departure);

-- The county's tariff table (price query; sent to stations).
CREATE TABLE tariffs (
	carrier   TEXT    NOT NULL,
	province  TEXT    NOT NULL, -- '*' for any
	first_g   INTEGER NOT NULL,
	first_fen INTEGER NOT NULL,
	step_g    INTEGER NOT NULL,
	step_fen  INTEGER NOT NULL,
	PRIMARY KEY (carrier, province)
) STRICT, WITHOUT ROWID;

-- Clients of the open API: the key is shown once, only its hash kept.
-- carrier limits a carrier's client to its own parcels ('' for a shop or
-- the county's own tools); scopes are space-separated.
CREATE TABLE api_clients (
	id           TEXT    PRIMARY KEY,
	name         TEXT    NOT NULL,
	carrier      TEXT    NOT NULL DEFAULT '',
	key_hash     TEXT    NOT NULL UNIQUE,
	scopes       TEXT    NOT NULL,
	rate_per_min INTEGER NOT NULL DEFAULT 600,
	created_ms   INTEGER NOT NULL,
	disabled     INTEGER NOT NULL DEFAULT 0
) STRICT, WITHOUT ROWID;

-- Answers to writes that carried an Idempotency-Key, kept a day: the same
-- key with the same request gets the same answer, with another request a
-- conflict.
CREATE TABLE idempotency (
	client       TEXT    NOT NULL,
	key          TEXT    NOT NULL,
	request_hash TEXT    NOT NULL,
	status       INTEGER NOT NULL,
	body         BLOB    NOT NULL,
	created_ms   INTEGER NOT NULL,
	PRIMARY KEY (client, key)
) STRICT, WITHOUT ROWID;

-- The tracking index learns what the carriers announced and where the hub
-- sends each parcel. node is who holds the parcel ('' while a carrier
-- does, the centre's id at the centre, a station's at a station); dest is
-- the destination station ('' while unresolved) and dest_reason how it was
-- decided; trip the trip it is planned on or rides.
ALTER TABLE parcels ADD COLUMN dest        TEXT    NOT NULL DEFAULT '';
ALTER TABLE parcels ADD COLUMN dest_reason TEXT    NOT NULL DEFAULT '';
ALTER TABLE parcels ADD COLUMN dest_detail TEXT    NOT NULL DEFAULT '';
ALTER TABLE parcels ADD COLUMN trip        TEXT    NOT NULL DEFAULT '';
ALTER TABLE parcels ADD COLUMN address     TEXT    NOT NULL DEFAULT '';
ALTER TABLE parcels ADD COLUMN weight_g    INTEGER NOT NULL DEFAULT 0;
ALTER TABLE parcels ADD COLUMN value_fen   INTEGER NOT NULL DEFAULT 0;
ALTER TABLE parcels ADD COLUMN sender_name TEXT    NOT NULL DEFAULT '';
ALTER TABLE parcels ADD COLUMN source      TEXT    NOT NULL DEFAULT '';
ALTER TABLE parcels ADD COLUMN created_ms  INTEGER NOT NULL DEFAULT 0;
-- Lookups: by phone (a villager's parcels; the station this phone used
-- last), by holder and status (a station's shelf, the dashboard's counts),
-- by destination, the dispatchers' queue of unresolved parcels, by trip.
CREATE INDEX parcels_phone ON parcels (receiver_phone) WHERE receiver_phone <> '';
CREATE INDEX parcels_node_status ON parcels (node, status);
CREATE INDEX parcels_dest_status ON parcels (dest, status) WHERE dest <> '';
CREATE INDEX parcels_unresolved ON parcels (created_ms) WHERE dest = '' AND direction = 'in' AND status = 'manifested';
CREATE INDEX parcels_trip ON parcels (trip) WHERE trip <> '';
CREATE INDEX exceptions_open ON exceptions (created_ms) WHERE resolved_ms = 0;
