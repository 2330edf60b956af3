-- The hub's own state: one row. hlc_hwm is the persisted high-water mark
-- of the hub's hybrid logical clock.
CREATE TABLE hub (
	id      INTEGER PRIMARY KEY CHECK (id = 1),
	hlc_hwm INTEGER NOT NULL
) STRICT;
INSERT INTO hub (id, hlc_hwm) VALUES (1, 0);

-- Every station and centre the county knows. A node enrolls once with a
-- one-time code; the hub keeps only SHA-256 hashes of the code and of the
-- token it gave. last_op_hlc is the HLC of the newest applied op (capped at
-- the hub's clock), for the sync lag; future_ops counts ops whose HLC was
-- more than the allowed skew ahead of the hub; changes_after is the highest
-- downstream cursor the node has asked after (it applied that far).
CREATE TABLE nodes (
	node_id          TEXT    PRIMARY KEY,
	kind             TEXT    NOT NULL CHECK (kind IN ('station', 'centre')),
	name             TEXT    NOT NULL,
	token_hash       TEXT    UNIQUE,
	enroll_code_hash TEXT    UNIQUE,
	enroll_expires   INTEGER NOT NULL DEFAULT 0,
	enrolled_at      INTEGER NOT NULL DEFAULT 0,
	created_at       INTEGER NOT NULL,
	last_contact_ms  INTEGER NOT NULL DEFAULT 0,
	last_skew_ms     INTEGER NOT NULL DEFAULT 0,
	last_op_hlc      INTEGER NOT NULL DEFAULT 0,
	future_ops       INTEGER NOT NULL DEFAULT 0,
	changes_after    INTEGER NOT NULL DEFAULT 0,
	software         TEXT    NOT NULL DEFAULT '',
	disabled         INTEGER NOT NULL DEFAULT 0
) STRICT, WITHOUT ROWID;

-- The stream of ops of each (node, incarnation) and its resume point:
-- every seq up to acked_seq is durably held (applied, dead-lettered or a
-- known duplicate). ops refer to their stream by number, which keeps the
-- hot index of ops small.
CREATE TABLE cursors (
	stream      INTEGER PRIMARY KEY,
	node        TEXT    NOT NULL REFERENCES nodes (node_id),
	incarnation TEXT    NOT NULL,
	acked_seq   INTEGER NOT NULL,
	updated_ms  INTEGER NOT NULL,
	UNIQUE (node, incarnation)
) STRICT;

-- Every op received, in the hub's order of receipt (hub_seq), applied or
-- not (applied = 0: it is in dead_letters). Its identity is (stream, seq),
-- that is (node, incarnation, seq): read it with node and incarnation
-- through the view ops_by_node. Append-only.
CREATE TABLE ops (
	hub_seq     INTEGER PRIMARY KEY,
	stream      INTEGER NOT NULL, -- cursors.stream
	seq         INTEGER NOT NULL,
	v           INTEGER NOT NULL,
	hlc         INTEGER NOT NULL,
	actor       TEXT    NOT NULL,
	kind        TEXT    NOT NULL,
	payload     BLOB    NOT NULL,
	hash        TEXT    NOT NULL,
	received_ms INTEGER NOT NULL,
	applied     INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX ops_identity ON ops (stream, seq);
CREATE TRIGGER ops_no_update BEFORE UPDATE ON ops BEGIN SELECT RAISE(ABORT, 'ops is append-only'); END;
CREATE TRIGGER ops_no_delete BEFORE DELETE ON ops BEGIN SELECT RAISE(ABORT, 'ops is append-only'); END;
CREATE VIEW ops_by_node AS
	SELECT o.hub_seq, c.node, c.incarnation, o.seq, o.v, o.hlc, o.actor, o.kind, o.payload, o.hash, o.received_ms, o.applied
	FROM ops o JOIN cursors c USING (stream);

-- Ops that reused an identity with other content: never applied, kept
-- with both hashes for a technician.
CREATE TABLE quarantine (
	id            INTEGER PRIMARY KEY,
	node          TEXT    NOT NULL,
	incarnation   TEXT    NOT NULL,
	seq           INTEGER NOT NULL,
	hash_existing TEXT    NOT NULL,
	hash_new      TEXT    NOT NULL,
	v             INTEGER NOT NULL,
	hlc           INTEGER NOT NULL,
	actor         TEXT    NOT NULL,
	kind          TEXT    NOT NULL,
	payload       BLOB    NOT NULL,
	received_ms   INTEGER NOT NULL,
	reason        TEXT    NOT NULL,
	UNIQUE (node, incarnation, seq, hash_new)
) STRICT;

-- Ops received durably that the hub can never apply, with the reason.
-- They do not block the ops behind them.
CREATE TABLE dead_letters (
	node        TEXT    NOT NULL,
	incarnation TEXT    NOT NULL,
	seq         INTEGER NOT NULL,
	kind        TEXT    NOT NULL,
	payload     BLOB    NOT NULL,
	hash        TEXT    NOT NULL,
	code        INTEGER NOT NULL,
	reason      TEXT    NOT NULL,
	received_ms INTEGER NOT NULL,
	PRIMARY KEY (node, incarnation, seq)
) STRICT, WITHOUT ROWID;

-- The tracking projection: one row per parcel and direction ('in' to the
-- village, 'out' sent from it), derived from the applied ops. The
-- receiver's full phone is kept for the arrival SMS; it is never logged.
CREATE TABLE parcels (
	id             INTEGER PRIMARY KEY,
	waybill        TEXT    NOT NULL,
	direction      TEXT    NOT NULL CHECK (direction IN ('in', 'out')),
	carrier        TEXT    NOT NULL,
	status         TEXT    NOT NULL,
	node           TEXT    NOT NULL,
	receiver_name  TEXT    NOT NULL,
	receiver_phone TEXT    NOT NULL,
	code           TEXT    NOT NULL,
	updated_hlc    INTEGER NOT NULL,
	updated_ms     INTEGER NOT NULL,
	last_op        INTEGER NOT NULL, -- ops.hub_seq of the op that last changed the row
	UNIQUE (waybill, direction)
) STRICT;
-- Rows in order of arrival (a rowid table), so the parcels a station
-- hands out today sit on the few pages written when they came in; only the
-- small waybill index is touched at random. No other index yet: each one
-- costs a quarter of the merge's throughput (measured); the console adds
-- the one it needs.

-- Every fact about a parcel (waybill = '' for facts of the node only:
-- day close, operators, shelves, settings, stocktakes), in the hub's order
-- of receipt (id), pointing at its op. Never edited. Read it through the
-- timeline view: the op's identity, kind and times come from ops, so a
-- merge writes a short row.
CREATE TABLE facts (
	id        INTEGER PRIMARY KEY,
	waybill   TEXT    NOT NULL,
	direction TEXT    NOT NULL,
	hub_seq   INTEGER NOT NULL, -- ops.hub_seq
	detail    TEXT    NOT NULL
) STRICT;
CREATE INDEX facts_waybill ON facts (waybill) WHERE waybill <> '';

CREATE VIEW timeline AS
	SELECT f.id, f.waybill, f.direction, o.node, o.incarnation, o.seq, o.kind, o.hlc, o.received_ms, f.detail
	FROM facts f JOIN ops_by_node o ON o.hub_seq = f.hub_seq;

-- Contradicting facts for a dispatcher: both facts stay in the timeline.
CREATE TABLE exceptions (
	id          INTEGER PRIMARY KEY,
	waybill     TEXT    NOT NULL,
	direction   TEXT    NOT NULL,
	reason      TEXT    NOT NULL,
	ops         TEXT    NOT NULL,
	created_ms  INTEGER NOT NULL,
	resolved_ms INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX exceptions_waybill ON exceptions (waybill);

-- Downstream changes (hub → node), by the hub's change cursor.
CREATE TABLE changes (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	node       TEXT    NOT NULL,
	type       TEXT    NOT NULL,
	payload    BLOB    NOT NULL,
	created_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX changes_node ON changes (node, seq);

-- Content-addressed blobs (photos). The bytes are files under
-- DATA_DIR/blobs/ab/<sha256> (<sha256>.part while incomplete).
CREATE TABLE blobs (
	sha256       TEXT    PRIMARY KEY,
	size         INTEGER NOT NULL,
	received     INTEGER NOT NULL,
	complete     INTEGER NOT NULL,
	node         TEXT    NOT NULL,
	created_ms   INTEGER NOT NULL,
	completed_ms INTEGER NOT NULL DEFAULT 0
) STRICT, WITHOUT ROWID;
