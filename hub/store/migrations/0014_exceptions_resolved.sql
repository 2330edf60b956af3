-- A dispatcher resolves a contradiction (exceptions) with a note saying
-- why or what was done; resolved_ms was there since 0001, always 0 until
-- now. resolved_by is the actor (user:<name>, admin, cli:<user>).
ALTER TABLE exceptions ADD COLUMN resolved_by TEXT NOT NULL DEFAULT '';
ALTER TABLE exceptions ADD COLUMN note TEXT NOT NULL DEFAULT '';

-- A dead letter is open until a dispatcher retries it successfully
-- (applied: the op went through the merge at last, see hub/merge
-- retry.go) or discards it (kept, never deleted). attempts counts the
-- retries; code and reason are the last attempt's. handled_by, handled_ms
-- and note say who applied or discarded it, when, and why.
ALTER TABLE dead_letters ADD COLUMN state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'applied', 'discarded'));
ALTER TABLE dead_letters ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE dead_letters ADD COLUMN retried_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE dead_letters ADD COLUMN handled_by TEXT NOT NULL DEFAULT '';
ALTER TABLE dead_letters ADD COLUMN handled_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE dead_letters ADD COLUMN note TEXT NOT NULL DEFAULT '';

-- A quarantined op is acknowledged by a dispatcher or technician who has
-- looked into it (the station's database restored from an old backup, a
-- bug): kept, with who, when and a note.
ALTER TABLE quarantine ADD COLUMN acked_by TEXT NOT NULL DEFAULT '';
ALTER TABLE quarantine ADD COLUMN acked_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE quarantine ADD COLUMN note TEXT NOT NULL DEFAULT '';

-- ops stays append-only, with one exception: a dead letter retried
-- successfully is applied now. Its content and identity stay as received;
-- it takes a new place at the end of the hub's order of receipt (a new
-- hub_seq, so the projector, which follows hub_seq, applies it after
-- everything before the retry), and applied turns 1. A dead letter's op
-- has no fact, row or exception pointing at its old hub_seq.
DROP TRIGGER ops_no_update;
CREATE TRIGGER ops_no_update BEFORE UPDATE ON ops
	WHEN NOT (OLD.applied = 0 AND NEW.applied = 1 AND NEW.hub_seq > OLD.hub_seq AND NEW.stream = OLD.stream AND NEW.seq = OLD.seq
		AND NEW.v = OLD.v AND NEW.hlc = OLD.hlc AND NEW.actor = OLD.actor AND NEW.kind = OLD.kind AND NEW.payload = OLD.payload
		AND NEW.hash = OLD.hash AND NEW.received_ms = OLD.received_ms)
	BEGIN SELECT RAISE(ABORT, 'ops is append-only'); END;
