-- Webhooks to carriers (package hub/webhook): a durable outbox of signed
-- deliveries and the log of every attempt.
--
-- One row per (carrier, event): an event enqueued twice is delivered once.
-- body holds the exact JSON bytes sent (masked data only). status:
--   pending   queued, not attempted in this series yet
--   delivered the receiver answered 2xx
--   failed    an attempt failed; retried at next_attempt_ms
--   dead      given up: the retry window passed, the receiver answered
--             410 Gone, or the carrier has no endpoint any more
-- A replay starts a new attempt series: series + 1, series_ms = the replay
-- time (the retry window counts from series_ms), series_attempts = 0.
-- attempts counts every attempt of every series. holds_line = 1 while a
-- failed delivery whose receiver looked down (no answer, 5xx, 408, 429)
-- keeps the carrier's later deliveries waiting, which keeps them in order.
-- last_status is the last HTTP status (0: no answer).
CREATE TABLE webhook_deliveries (
	id              INTEGER PRIMARY KEY,
	carrier         TEXT    NOT NULL,
	event_id        TEXT    NOT NULL,
	kind            TEXT    NOT NULL,
	waybill         TEXT    NOT NULL,
	body            BLOB    NOT NULL,
	status          TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'dead')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_ms INTEGER NOT NULL,
	last_status     INTEGER NOT NULL DEFAULT 0,
	last_error      TEXT    NOT NULL DEFAULT '',
	created_ms      INTEGER NOT NULL,
	delivered_ms    INTEGER NOT NULL DEFAULT 0,
	series          INTEGER NOT NULL DEFAULT 0,
	series_ms       INTEGER NOT NULL,
	series_attempts INTEGER NOT NULL DEFAULT 0,
	holds_line      INTEGER NOT NULL DEFAULT 0,
	UNIQUE (carrier, event_id)
) STRICT;
-- The dispatcher's queue: only the deliveries still to attempt, so the
-- index stays small however many were delivered. The first serves "the
-- oldest due / the oldest line-holding delivery of each carrier", the
-- second "when is the next one due".
CREATE INDEX webhook_deliveries_queue ON webhook_deliveries (carrier, id, next_attempt_ms, holds_line)
	WHERE status IN ('pending', 'failed');
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_ms)
	WHERE status IN ('pending', 'failed');
-- Listing for dispatchers (newest first) and the counts for metrics.
CREATE INDEX webhook_deliveries_carrier ON webhook_deliveries (carrier, status, id);
CREATE INDEX webhook_deliveries_status ON webhook_deliveries (status, id);
CREATE INDEX webhook_deliveries_waybill ON webhook_deliveries (waybill, id);

-- Every attempt of every delivery, never edited. attempt numbers 1, 2, …
-- across all series of a delivery. url is the endpoint without its query
-- (which may hold a token); http_status 0 means no answer (connection
-- error, timeout, or no request made: error says why); response is the
-- start of the receiver's answer, at most 512 bytes.
CREATE TABLE webhook_attempts (
	delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries (id),
	attempt     INTEGER NOT NULL,
	series      INTEGER NOT NULL,
	at_ms       INTEGER NOT NULL,
	duration_ms INTEGER NOT NULL,
	url         TEXT    NOT NULL,
	http_status INTEGER NOT NULL,
	error       TEXT    NOT NULL,
	response    TEXT    NOT NULL,
	PRIMARY KEY (delivery_id, attempt)
) STRICT, WITHOUT ROWID;
