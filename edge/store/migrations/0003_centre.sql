-- The county sorting centre (a node of kind 'centre', DESIGN §2 step 3 and
-- the outbound half). A station never writes these tables.

-- The centre's manifest carries each parcel's destination station and the
-- trip the hub planned it on ('' while unknown).
ALTER TABLE manifest ADD COLUMN station TEXT NOT NULL DEFAULT '';
ALTER TABLE manifest ADD COLUMN trip    TEXT NOT NULL DEFAULT '';
CREATE INDEX manifest_trip ON manifest(trip) WHERE trip != '';

-- Trips sent down by the hub (syncproto.Trip). departed_* are the centre's
-- own fact, set by a departure and never touched by a later change.
CREATE TABLE trips (
	id           TEXT    PRIMARY KEY,
	line         TEXT    NOT NULL,
	line_name    TEXT    NOT NULL DEFAULT '',
	date         TEXT    NOT NULL, -- YYYY-MM-DD, county local time
	departure    TEXT    NOT NULL, -- HH:MM
	vehicle      TEXT    NOT NULL DEFAULT '',
	driver       TEXT    NOT NULL DEFAULT '',
	cancelled    INTEGER NOT NULL DEFAULT 0,
	departed_at  INTEGER,          -- unix ms
	departed_by  TEXT,
	departed_seq INTEGER           -- the trip.departed op
) STRICT;
CREATE INDEX trips_date ON trips(date, departure);

-- A trip's stops in order; pos 0 is the centre.
CREATE TABLE trip_stops (
	trip TEXT    NOT NULL REFERENCES trips(id),
	pos  INTEGER NOT NULL,
	node TEXT    NOT NULL,
	PRIMARY KEY (trip, pos)
) STRICT, WITHOUT ROWID;
CREATE INDEX trip_stops_node ON trip_stops(node);

-- Parcels at the centre: a projection of centre_events, kept in the same
-- transaction. flow 'in' = on its way to a village (at_centre, sorted,
-- loaded, in_transit); 'back' = collected from a trip for its carrier
-- (collected, handed_over). No receiver data: that stays in the manifest.
CREATE TABLE centre_parcels (
	id           INTEGER PRIMARY KEY,
	waybill      TEXT    NOT NULL,
	flow         TEXT    NOT NULL CHECK (flow IN ('in', 'back')),
	carrier      TEXT    NOT NULL,
	status       TEXT    NOT NULL,
	manifested   INTEGER NOT NULL DEFAULT 0,
	station      TEXT    NOT NULL DEFAULT '', -- sort decision: destination ('' = unresolved, 待分配)
	trip         TEXT    NOT NULL DEFAULT '', -- sort decision: trip ('' = none yet); back: the trip it came on
	sort_code    TEXT    NOT NULL DEFAULT '',
	loaded_trip  TEXT    NOT NULL DEFAULT '', -- the trip it is loaded on
	bag          TEXT    NOT NULL DEFAULT '',
	forced       INTEGER NOT NULL DEFAULT 0,  -- loaded over a warning (wrong trip, unresolved)
	direction    TEXT    NOT NULL DEFAULT '' CHECK (direction IN ('', 'out', 'return')),
	from_station TEXT    NOT NULL DEFAULT '',
	handover     TEXT    NOT NULL DEFAULT '', -- handover list number
	scanned_at   INTEGER NOT NULL,            -- at_centre or collected, unix ms
	loaded_at    INTEGER,
	departed_at  INTEGER,
	handed_at    INTEGER,
	UNIQUE (waybill, flow)
) STRICT;
CREATE INDEX centre_parcels_status ON centre_parcels(status, scanned_at);
CREATE INDEX centre_parcels_trip ON centre_parcels(trip) WHERE trip != '';
CREATE INDEX centre_parcels_loaded ON centre_parcels(loaded_trip) WHERE loaded_trip != '';
CREATE INDEX centre_parcels_handover ON centre_parcels(handover) WHERE handover != '';

-- The centre's local timeline: every fact about a parcel. Never edited or
-- deleted.
CREATE TABLE centre_events (
	id        INTEGER PRIMARY KEY,
	parcel_id INTEGER NOT NULL REFERENCES centre_parcels(id),
	kind      TEXT    NOT NULL,
	at        INTEGER NOT NULL,
	actor     TEXT    NOT NULL,
	seq       INTEGER NOT NULL, -- the op that recorded it
	detail    TEXT    NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX centre_events_parcel ON centre_events(parcel_id);
CREATE TRIGGER centre_events_no_update BEFORE UPDATE ON centre_events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER centre_events_no_delete BEFORE DELETE ON centre_events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

-- Handover lists (交接单): parcels given to one carrier's courier at once.
-- The list's parcels are the centre_parcels whose handover is its number.
CREATE TABLE handovers (
	list       TEXT    PRIMARY KEY, -- HO-20250310-zto-001
	carrier    TEXT    NOT NULL,
	date       TEXT    NOT NULL,    -- YYYY-MM-DD, county local time
	no         INTEGER NOT NULL,
	courier    TEXT    NOT NULL DEFAULT '',
	parcels    INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	actor      TEXT    NOT NULL,
	seq        INTEGER NOT NULL,    -- the parcel.handed_over op
	UNIQUE (date, carrier, no)
) STRICT;

-- The print queue. A printer driver takes queued jobs oldest first and
-- marks each printed or failed; a reprint is a new job referring to the
-- one it repeats. kind: 'sort_label' (payload: the label's fields as JSON).
CREATE TABLE print_jobs (
	id         INTEGER PRIMARY KEY,
	kind       TEXT    NOT NULL,
	waybill    TEXT    NOT NULL DEFAULT '',
	payload    TEXT    NOT NULL,
	status     TEXT    NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'printed', 'failed')),
	reprint_of INTEGER REFERENCES print_jobs(id),
	error      TEXT    NOT NULL DEFAULT '',
	created    INTEGER NOT NULL, -- unix ms
	printed    INTEGER           -- printed or failed, unix ms
) STRICT;
CREATE INDEX print_jobs_queued ON print_jobs(id) WHERE status = 'queued';
CREATE INDEX print_jobs_waybill ON print_jobs(waybill);
