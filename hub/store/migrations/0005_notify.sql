-- Notices the hub owes people — the arrival SMS above all — written in
-- the projection's transaction with a key that makes a second one
-- impossible (one arrival notice per parcel per station), then combined
-- per phone into SMS messages, sent through the gateways, and followed to
-- their delivery receipts.
CREATE TABLE notices (
	id         INTEGER PRIMARY KEY,
	key        TEXT    NOT NULL UNIQUE,
	kind       TEXT    NOT NULL, -- arrival, …
	phone      TEXT    NOT NULL,
	station    TEXT    NOT NULL, -- where the parcel waits: its name, hours and quiet hours
	waybill    TEXT    NOT NULL,
	data       TEXT    NOT NULL, -- JSON: the template's variables for this parcel (code, …)
	created_ms INTEGER NOT NULL,
	due_ms     INTEGER NOT NULL, -- not before: the batching window, then quiet hours
	state      TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'cancelled', 'suppressed')),
	message    INTEGER NOT NULL DEFAULT 0, -- sms_messages.id it went out in
	reason     TEXT    NOT NULL DEFAULT '' -- why cancelled or suppressed
) STRICT;
CREATE INDEX notices_due ON notices (due_ms) WHERE state = 'pending';
CREATE INDEX notices_waybill ON notices (waybill);

CREATE TABLE sms_messages (
	id           INTEGER PRIMARY KEY,
	phone        TEXT    NOT NULL,
	kind         TEXT    NOT NULL,
	params       TEXT    NOT NULL, -- JSON [{"name","value"}], the template's variables in order
	text         TEXT    NOT NULL, -- as the receiver reads it, signature included
	parts        INTEGER NOT NULL,
	state        TEXT    NOT NULL DEFAULT 'queued'
	             CHECK (state IN ('queued', 'sending', 'submitted', 'delivered', 'failed', 'expired', 'dead')),
	gateway      TEXT    NOT NULL DEFAULT '',
	provider_id  TEXT    NOT NULL DEFAULT '',
	attempts     INTEGER NOT NULL DEFAULT 0,
	next_ms      INTEGER NOT NULL DEFAULT 0,
	error_code   TEXT    NOT NULL DEFAULT '',
	error        TEXT    NOT NULL DEFAULT '',
	created_ms   INTEGER NOT NULL,
	submitted_ms INTEGER NOT NULL DEFAULT 0,
	final_ms     INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX sms_queue ON sms_messages (next_ms) WHERE state = 'queued';
CREATE INDEX sms_phone ON sms_messages (phone, submitted_ms);
CREATE INDEX sms_provider ON sms_messages (provider_id) WHERE provider_id <> '';
CREATE INDEX sms_problems ON sms_messages (final_ms) WHERE state IN ('failed', 'dead');

CREATE TABLE sms_attempts (
	message    INTEGER NOT NULL,
	attempt    INTEGER NOT NULL,
	at_ms      INTEGER NOT NULL,
	gateway    TEXT    NOT NULL,
	ok         INTEGER NOT NULL,
	error_kind TEXT    NOT NULL DEFAULT '',
	error_code TEXT    NOT NULL DEFAULT '',
	error      TEXT    NOT NULL DEFAULT '',
	PRIMARY KEY (message, attempt)
) STRICT, WITHOUT ROWID;

-- Templates by kind: the text with {variables}, and each provider's
-- approved template id (the clouds send the id and the variables).
CREATE TABLE sms_templates (
	kind       TEXT    PRIMARY KEY,
	text       TEXT    NOT NULL,
	providers  TEXT    NOT NULL DEFAULT '{}', -- JSON {"aliyun": "SMS_123", "tencent": "456"}
	updated_ms INTEGER NOT NULL,
	updated_by TEXT    NOT NULL DEFAULT ''
) STRICT, WITHOUT ROWID;
INSERT INTO sms_templates (kind, text, updated_ms) VALUES
	('arrival', '您的{carrier}包裹已到{station}，取件码{code}，营业至{close}。', 0),
	('arrival_many', '您有{count}件包裹已到{station}，取件码{codes}，营业至{close}。', 0);

-- Phones that asked for no more messages (a reply of TD, or a
-- dispatcher's action).
CREATE TABLE sms_optout (
	phone  TEXT    PRIMARY KEY,
	at_ms  INTEGER NOT NULL,
	source TEXT    NOT NULL
) STRICT, WITHOUT ROWID;

-- A station's quiet hours (HH:MM-HH:MM, across midnight); '' is the
-- county's default.
ALTER TABLE sites ADD COLUMN quiet TEXT NOT NULL DEFAULT '';
