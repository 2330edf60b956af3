-- The people of the hub's console (hub/auth): their accounts, sessions
-- and the audit log (hub/audit).
--
-- users: one row a person, the name unique and lower case; password_hash
-- is argon2id (package passwd); totp_secret is base32, empty when no
-- second factor is enrolled, and totp_step the last time step accepted
-- (a code is good once). failures count the wrong passwords since the
-- last good login; locked_until_ms > now refuses every login.
CREATE TABLE users (
	id                  INTEGER PRIMARY KEY,
	username            TEXT NOT NULL UNIQUE,
	role                TEXT NOT NULL,
	carrier             TEXT NOT NULL DEFAULT '', -- a carrier viewer's carrier
	password_hash       TEXT NOT NULL,
	totp_secret         TEXT NOT NULL DEFAULT '',
	totp_step           INTEGER NOT NULL DEFAULT 0,
	disabled            INTEGER NOT NULL DEFAULT 0,
	failures            INTEGER NOT NULL DEFAULT 0,
	locked_until_ms     INTEGER NOT NULL DEFAULT 0,
	created_ms          INTEGER NOT NULL,
	password_changed_ms INTEGER NOT NULL
) STRICT;

-- sessions: a console login. Only the SHA-256 of the token is kept.
-- A session ends at expires_ms, after the idle time since last_seen_ms,
-- or when revoked_ms is set.
CREATE TABLE sessions (
	token_hash   TEXT PRIMARY KEY,
	user_id      INTEGER NOT NULL REFERENCES users (id),
	created_ms   INTEGER NOT NULL,
	last_seen_ms INTEGER NOT NULL,
	expires_ms   INTEGER NOT NULL,
	remote       TEXT NOT NULL DEFAULT '',
	revoked_ms   INTEGER NOT NULL DEFAULT 0
) STRICT, WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions (user_id);

-- audit: every change and every sensitive read, append-only and
-- hash-chained: hash = SHA-256(prev_hash, the row's canonical content)
-- (hub/audit.Seal), prev_hash the hash of the row before (64 zeros for
-- the first). Rows are never changed or deleted.
CREATE TABLE audit (
	seq       INTEGER PRIMARY KEY,
	at_ms     INTEGER NOT NULL,
	actor     TEXT NOT NULL, -- user:NAME, api:CLIENT, admin, cli:OSUSER
	role      TEXT NOT NULL,
	action    TEXT NOT NULL,
	target    TEXT NOT NULL,
	remote    TEXT NOT NULL,
	result    TEXT NOT NULL, -- ok, denied, failed, or an error code
	detail    TEXT NOT NULL,
	prev_hash TEXT NOT NULL,
	hash      TEXT NOT NULL
) STRICT;
CREATE INDEX audit_actor ON audit (actor, seq);
CREATE INDEX audit_action ON audit (action, seq);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
