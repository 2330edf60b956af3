-- The node's identity: one row. next_seq is the gap-free op counter of the
-- current incarnation; hlc_hwm the clock's persisted high-water mark.
CREATE TABLE node (
	id          INTEGER PRIMARY KEY CHECK (id = 1),
	node_id     TEXT    NOT NULL,
	kind        TEXT    NOT NULL CHECK (kind IN ('station', 'centre')),
	incarnation TEXT    NOT NULL,
	next_seq    INTEGER NOT NULL,
	hlc_hwm     INTEGER NOT NULL,
	secret      BLOB    NOT NULL, -- key for hashing ID numbers; never leaves the node
	created_at  INTEGER NOT NULL
) STRICT;

-- Every incarnation this database has had, with why it began.
CREATE TABLE incarnations (
	incarnation TEXT    PRIMARY KEY,
	started_at  INTEGER NOT NULL,
	reason      TEXT    NOT NULL, -- created | restored
	prev        TEXT,
	prev_seq    INTEGER
) STRICT;

-- The transactional outbox: one row per op, written in the same
-- transaction as the state change it records. Append-only.
CREATE TABLE outbox (
	incarnation TEXT    NOT NULL,
	seq         INTEGER NOT NULL,
	hlc         INTEGER NOT NULL,
	actor       TEXT    NOT NULL,
	kind        TEXT    NOT NULL,
	payload     BLOB    NOT NULL,
	hash        TEXT    NOT NULL,
	PRIMARY KEY (incarnation, seq)
) STRICT, WITHOUT ROWID;
CREATE TRIGGER outbox_no_update BEFORE UPDATE ON outbox BEGIN SELECT RAISE(ABORT, 'outbox is append-only'); END;

-- Settings: small key/value pairs (overdue days and the like).
CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) STRICT;

-- Station accounts. secret is an argon2id PHC string.
CREATE TABLE operators (
	id           INTEGER PRIMARY KEY,
	username     TEXT    NOT NULL UNIQUE,
	display_name TEXT    NOT NULL,
	role         TEXT    NOT NULL CHECK (role IN ('owner', 'clerk')),
	secret_kind  TEXT    NOT NULL CHECK (secret_kind IN ('password', 'pin')),
	secret       TEXT    NOT NULL,
	failed       INTEGER NOT NULL DEFAULT 0,
	locked_until INTEGER NOT NULL DEFAULT 0,
	disabled     INTEGER NOT NULL DEFAULT 0,
	created_at   INTEGER NOT NULL
) STRICT;

CREATE TABLE sessions (
	token_hash  TEXT    PRIMARY KEY,
	operator_id INTEGER NOT NULL REFERENCES operators(id),
	created_at  INTEGER NOT NULL,
	expires_at  INTEGER NOT NULL
) STRICT;

-- Failed logins under names that are no account, counted exactly as an
-- account's are, so that answers do not reveal which names exist.
CREATE TABLE login_failures (
	username     TEXT    PRIMARY KEY,
	failed       INTEGER NOT NULL,
	locked_until INTEGER NOT NULL
) STRICT;

-- Local security audit (logins, lockouts). Changes are audited as ops.
CREATE TABLE auth_log (
	id       INTEGER PRIMARY KEY,
	at       INTEGER NOT NULL,
	username TEXT    NOT NULL,
	event    TEXT    NOT NULL
) STRICT;
CREATE TRIGGER auth_log_no_update BEFORE UPDATE ON auth_log BEGIN SELECT RAISE(ABORT, 'auth_log is append-only'); END;
CREATE TRIGGER auth_log_no_delete BEFORE DELETE ON auth_log BEGIN SELECT RAISE(ABORT, 'auth_log is append-only'); END;

-- Shelf layout and live occupancy per layer.
CREATE TABLE slots (
	shelf    INTEGER NOT NULL,
	layer    INTEGER NOT NULL,
	capacity INTEGER NOT NULL CHECK (capacity >= 0),
	used     INTEGER NOT NULL DEFAULT 0 CHECK (used >= 0),
	PRIMARY KEY (shelf, layer)
) STRICT, WITHOUT ROWID;

-- Parcels announced by the hub for this station (filled by downstream sync).
CREATE TABLE manifest (
	waybill        TEXT    PRIMARY KEY,
	carrier        TEXT    NOT NULL,
	receiver_name  TEXT    NOT NULL DEFAULT '',
	receiver_phone TEXT    NOT NULL,
	address        TEXT    NOT NULL DEFAULT '',
	weight_g       INTEGER NOT NULL DEFAULT 0,
	received_at    INTEGER NOT NULL
) STRICT;

-- Parcels: a projection of the events below, kept in the same transaction.
-- direction 'in' = delivered to the village, 'out' = sent from it.
CREATE TABLE parcels (
	id             INTEGER PRIMARY KEY,
	waybill        TEXT    NOT NULL,
	direction      TEXT    NOT NULL CHECK (direction IN ('in', 'out')),
	carrier        TEXT    NOT NULL,
	status         TEXT    NOT NULL,
	receiver_name  TEXT    NOT NULL DEFAULT '',
	receiver_phone TEXT    NOT NULL DEFAULT '',
	phone_tail     TEXT    NOT NULL DEFAULT '',
	shelf          INTEGER,
	layer          INTEGER,
	code           TEXT,             -- pickup code as printed, e.g. 5-2-3001
	code_num       INTEGER,          -- its last part: unique among parcels on the shelves
	problem        TEXT    NOT NULL DEFAULT '',
	in_at          INTEGER NOT NULL, -- inbound or acceptance time, unix ms
	out_at         INTEGER,          -- picked up or returned, unix ms
	out_by         TEXT,             -- who collected: display text, masked
	out_operator   TEXT,
	weight_g       INTEGER NOT NULL DEFAULT 0,
	price_fen      INTEGER NOT NULL DEFAULT 0,
	UNIQUE (waybill, direction)
) STRICT;
-- Parcels physically at the station hold a slot and a code.
CREATE UNIQUE INDEX parcels_code ON parcels(code_num) WHERE shelf IS NOT NULL;
CREATE INDEX parcels_tail ON parcels(phone_tail) WHERE shelf IS NOT NULL;
CREATE INDEX parcels_phone ON parcels(receiver_phone) WHERE shelf IS NOT NULL;
CREATE INDEX parcels_slot ON parcels(shelf, layer) WHERE shelf IS NOT NULL;
CREATE INDEX parcels_in_at ON parcels(in_at);
CREATE INDEX parcels_out_at ON parcels(out_at) WHERE out_at IS NOT NULL;

-- The local timeline: every fact about a parcel. Never edited or deleted.
CREATE TABLE events (
	id        INTEGER PRIMARY KEY,
	parcel_id INTEGER NOT NULL REFERENCES parcels(id),
	kind      TEXT    NOT NULL,
	at        INTEGER NOT NULL,
	actor     TEXT    NOT NULL,
	seq       INTEGER NOT NULL, -- the op that recorded it
	detail    TEXT    NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX events_parcel ON events(parcel_id);
CREATE INDEX events_at ON events(at);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

-- Tariffs for sending: price = first_fen + ceil((weight - first_g) / step_g) * step_fen.
CREATE TABLE tariffs (
	carrier  TEXT    NOT NULL,
	province TEXT    NOT NULL, -- destination province, or '*' for any
	first_g  INTEGER NOT NULL,
	first_fen INTEGER NOT NULL,
	step_g   INTEGER NOT NULL CHECK (step_g > 0),
	step_fen INTEGER NOT NULL,
	PRIMARY KEY (carrier, province)
) STRICT, WITHOUT ROWID;

-- Waybill number ranges handed to the station by carriers.
CREATE TABLE waybill_ranges (
	carrier TEXT    NOT NULL,
	prefix  TEXT    NOT NULL,
	next    INTEGER NOT NULL,
	last    INTEGER NOT NULL,
	width   INTEGER NOT NULL,
	PRIMARY KEY (carrier, prefix)
) STRICT, WITHOUT ROWID;

-- Closed days.
CREATE TABLE day_closes (
	date      TEXT    PRIMARY KEY,
	closed_at INTEGER NOT NULL,
	actor     TEXT    NOT NULL,
	on_shelf  INTEGER NOT NULL,
	mismatch  INTEGER NOT NULL,
	report    TEXT    NOT NULL
) STRICT;
