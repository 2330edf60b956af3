-- The tracking index (parcels, facts, exceptions) is built by the
-- projector after ops are durable: every applied op with
-- hub_seq <= projected_seq is in it. A database from before this
-- migration projected every op as it merged it.
ALTER TABLE hub ADD COLUMN projected_seq INTEGER NOT NULL DEFAULT 0;
UPDATE hub SET projected_seq = (SELECT coalesce(max(hub_seq), 0) FROM ops) WHERE id = 1;

-- The hub's own facts (manifests announced by carriers, destinations
-- decided, carriers' tracking events) are ops of stream 0, which has no
-- cursor: they read as node 'HUB'.
DROP VIEW timeline;
DROP VIEW ops_by_node;
CREATE VIEW ops_by_node AS
	SELECT o.hub_seq, coalesce(c.node, 'HUB') AS node, coalesce(c.incarnation, '') AS incarnation, o.seq, o.v, o.hlc, o.actor,
		o.kind, o.payload, o.hash, o.received_ms, o.applied
	FROM ops o LEFT JOIN cursors c USING (stream);
CREATE VIEW timeline AS
	SELECT f.id, f.waybill, f.direction, o.node, o.incarnation, o.seq, o.kind, o.hlc, o.received_ms, f.detail
	FROM facts f JOIN ops_by_node o ON o.hub_seq = f.hub_seq;
