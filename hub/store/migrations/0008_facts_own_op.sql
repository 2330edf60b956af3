-- A fact carries what the timeline shows of the op it came from: the
-- op's kind, its stream and seq, its hybrid clock and when the hub
-- received it. A tracking lookup (GET /api/v1/parcels/{waybill}, the
-- villagers' page) then reads a parcel's whole timeline from the facts'
-- index alone, instead of seeking each fact's op in the ops table — the
-- largest table of the hub, its rows days apart, a page each. Measured on
-- the 10M county (hub/trackbench): see README "Figures".
--
-- The projector writes these columns with the fact (it holds the op);
-- rows written before this migration are filled from ops here.
ALTER TABLE facts ADD COLUMN kind TEXT NOT NULL DEFAULT '';
ALTER TABLE facts ADD COLUMN stream INTEGER NOT NULL DEFAULT 0;
ALTER TABLE facts ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE facts ADD COLUMN hlc INTEGER NOT NULL DEFAULT 0;
ALTER TABLE facts ADD COLUMN received_ms INTEGER NOT NULL DEFAULT 0;
UPDATE facts SET (kind, stream, seq, hlc, received_ms) =
	(SELECT o.kind, o.stream, o.seq, o.hlc, o.received_ms FROM ops o WHERE o.hub_seq = facts.hub_seq);

DROP INDEX facts_waybill;
CREATE INDEX facts_waybill ON facts (waybill, hub_seq, direction, detail, kind, stream, seq, hlc, received_ms) WHERE waybill <> '';

-- The timeline view reads the facts' own columns; only the node's name
-- comes from the small cursors table.
DROP VIEW timeline;
CREATE VIEW timeline AS
	SELECT f.id, f.waybill, f.direction, coalesce(c.node, 'HUB') AS node, coalesce(c.incarnation, '') AS incarnation,
		f.seq, f.kind, f.hlc, f.received_ms, f.detail
	FROM facts f LEFT JOIN cursors c USING (stream);
