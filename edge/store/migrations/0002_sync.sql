-- Sync with the county hub (DESIGN §4).

-- Enrollment: the hub this node syncs with and the token it was given. One
-- row once enrolled.
CREATE TABLE sync_config (
	id          INTEGER PRIMARY KEY CHECK (id = 1),
	hub_url     TEXT    NOT NULL,
	token       TEXT    NOT NULL,
	ca_file     TEXT    NOT NULL DEFAULT '',
	enrolled_ms INTEGER NOT NULL
) STRICT;

-- Per incarnation: the highest seq the hub holds durably, as last told,
-- and up to which seq acknowledged ops were pruned from the outbox.
CREATE TABLE sync_acks (
	incarnation TEXT    PRIMARY KEY,
	acked_seq   INTEGER NOT NULL,
	acked_ms    INTEGER NOT NULL,
	pruned_seq  INTEGER NOT NULL DEFAULT 0
) STRICT;

-- When each acknowledgement arrived, so that an op is pruned only once it
-- has been acknowledged for the whole safety window. Rows above a cursor
-- the hub later reports lower (a hub restored from a backup) are dropped.
CREATE TABLE sync_ack_log (
	incarnation TEXT    NOT NULL,
	acked_seq   INTEGER NOT NULL,
	acked_ms    INTEGER NOT NULL,
	PRIMARY KEY (incarnation, acked_seq)
) STRICT, WITHOUT ROWID;

-- The sync loop's memory: down_cursor, last_success_ms, last_attempt_ms,
-- last_error, last_error_code, last_error_ms, skew_ms, changes_skipped.
CREATE TABLE sync_state (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) STRICT;

-- Content-addressed files under DATA_DIR/blobs (pickup photos). uploaded_ms
-- is NULL until the hub holds the whole blob; 0 when it was given up (the
-- file is missing or damaged on disk).
CREATE TABLE blobs (
	sha256      TEXT    PRIMARY KEY,
	size        INTEGER NOT NULL,
	created_ms  INTEGER NOT NULL,
	uploaded_ms INTEGER
) STRICT;
CREATE INDEX blobs_pending ON blobs(created_ms) WHERE uploaded_ms IS NULL;

-- Message templates sent down by the hub (the arrival SMS and the like).
CREATE TABLE templates (
	key        TEXT    PRIMARY KEY,
	text       TEXT    NOT NULL,
	updated_ms INTEGER NOT NULL
) STRICT;
