package trackbench

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"cunyou/syncproto"
)

// direct writes the rounds of the simulation as the hub would hold them
// after merging and projecting them (hub/merge): the ops with their hub
// sequence, hashes and receipt times, the cursors and nodes' contact, the
// hub's clock and projection position, and the tracking index through the
// projector's rules. It writes with SQL straight into the tables, which is
// many times faster than merging; TestDirectMatchesMerge holds the two to
// the same rows.
type direct struct {
	ctx     context.Context
	b       *bulk
	ops     *table
	facts   *table
	parcels *table
	excepts *table
	changes *table
	proj    *projector
	clock   *syncproto.Clock
	wallMs  int64

	hubSeq    int64
	hubStream uint64 // last seq of the hub's own facts (stream 0)
	streams   map[string]*cursor
	nodes     map[string]*nodeState
	order     []*cursor
}

type cursor struct {
	stream    int64
	node, inc string
	acked     uint64
	updatedMs int64
}

type nodeState struct {
	lastContactMs int64
	lastOpHLC     syncproto.Timestamp
	futureOps     int64
}

// hubIncarnation is the incarnation merge gives the hub's own facts in
// their hashes.
const hubIncarnation = "hub"

func newDirect(ctx context.Context, tx *sql.Tx, centres []string) *direct {
	d := &direct{ctx: ctx, b: newBulk(ctx, tx), streams: map[string]*cursor{}, nodes: map[string]*nodeState{}}
	d.ops = d.b.table("ops", "hub_seq", "stream", "seq", "v", "hlc", "actor", "kind", "payload", "hash", "received_ms", "applied")
	d.facts = d.b.table("facts", "id", "waybill", "direction", "hub_seq", "detail", "kind", "stream", "seq", "hlc", "received_ms")
	d.parcels = d.b.table("parcels", "id", "waybill", "direction", "carrier", "status", "node", "receiver_name", "receiver_phone", "code",
		"updated_hlc", "updated_ms", "last_op", "dest", "dest_reason", "dest_detail", "trip", "address", "weight_g", "value_fen",
		"sender_name", "source", "created_ms")
	d.excepts = d.b.table("exceptions", "id", "waybill", "direction", "reason", "ops", "created_ms")
	d.changes = d.b.table("changes", "seq", "node", "type", "payload", "created_ms")
	d.proj = newProjector(d, centres)
	// The merger's clock starts from the persisted high-water mark (0 in
	// a new database) and reads the store's wall clock, which is the
	// round's time while it is merged and projected.
	d.clock = syncproto.NewClock(func() time.Time { return time.UnixMilli(d.wallMs) }, 0, syncproto.DefaultMaxSkew)
	return d
}

// The projector's sink: rows go to the bulk writer.

func (d *direct) fact(id int64, waybill, direction string, op *pop, detail string) error {
	return d.b.add(d.facts, id, waybill, direction, op.hubSeq, detail, string(op.Kind), op.stream, int64(op.Seq), int64(op.HLC), op.receivedMs)
}

func (d *direct) parcel(r *prow, waybill, direction string) error {
	return d.b.add(d.parcels, r.id, waybill, direction, r.carrier, r.status, r.node, r.receiverName, r.receiverPhone, r.code,
		r.updatedHLC, r.updatedMs, r.lastOp, r.dest, r.destReason, r.destWhy, r.trip, r.address, r.weightG, r.valueFen,
		r.senderName, r.source, r.createdMs)
}

func (d *direct) exception(id int64, waybill, direction, reason, ops string, createdMs int64) error {
	return d.b.add(d.excepts, id, waybill, direction, reason, ops, createdMs)
}

func (d *direct) change(seq uint64, node string, typ syncproto.ChangeType, payload []byte, createdMs int64) error {
	return d.b.add(d.changes, int64(seq), node, string(typ), payload, createdMs)
}

// round merges one round's deliveries (merge.Record for the hub's facts,
// merge.Apply for a node's batch, one after the other) and projects them,
// all at the round's time.
func (d *direct) round(rd Round) error {
	d.wallMs = rd.AtMs
	var batch []pop
	for _, dl := range rd.Deliveries {
		if dl.Node == syncproto.HubNode {
			for _, o := range dl.Ops {
				body, err := json.Marshal(o.Payload)
				if err != nil {
					return err
				}
				d.hubStream++
				op := syncproto.Op{V: syncproto.EnvelopeVersion, Node: syncproto.HubNode, Incarnation: hubIncarnation, Seq: d.hubStream,
					HLC: d.clock.Now(), Actor: o.Actor, Kind: o.Kind, Payload: body}
				op.Hash = op.ComputeHash()
				if err := d.insertOp(0, &op, rd.AtMs); err != nil {
					return err
				}
				batch = append(batch, pop{Op: op, hubSeq: d.hubSeq, stream: 0, receivedMs: rd.AtMs, payload: o.Payload,
					ref: syncproto.HubNode + "//" + strconv.FormatUint(op.Seq, 10)})
			}
			continue
		}
		key := dl.Node + "\x00" + dl.Incarnation
		c := d.streams[key]
		if c == nil {
			c = &cursor{stream: int64(len(d.order) + 1), node: dl.Node, inc: dl.Incarnation}
			d.streams[key] = c
			d.order = append(d.order, c)
		}
		if first := dl.Ops[0].Seq; first != c.acked+1 {
			return fmt.Errorf("trackbench: %s batch starts at %d after %d", dl.Node, first, c.acked)
		}
		hubNow := syncproto.MakeTimestamp(rd.AtMs, 0)
		var newest syncproto.Timestamp
		var future int64
		for _, o := range dl.Ops {
			op, err := NodeOp(dl.Node, dl.Incarnation, o)
			if err != nil {
				return err
			}
			if err := d.clock.Observe(op.HLC); err != nil {
				future++
			}
			if err := d.insertOp(c.stream, &op, rd.AtMs); err != nil {
				return err
			}
			newest = max(newest, min(op.HLC, hubNow))
			batch = append(batch, pop{Op: op, hubSeq: d.hubSeq, stream: c.stream, receivedMs: rd.AtMs, payload: o.Payload, ref: opRef(op.Node, op.Incarnation, op.Seq)})
			c.acked = o.Seq
		}
		c.updatedMs = rd.AtMs
		n := d.nodes[dl.Node]
		if n == nil {
			n = &nodeState{}
			d.nodes[dl.Node] = n
		}
		n.lastContactMs, n.lastOpHLC, n.futureOps = rd.AtMs, max(n.lastOpHLC, newest), n.futureOps+future
	}
	d.proj.nowMs = rd.AtMs
	for i := range batch {
		if err := d.proj.project(&batch[i]); err != nil {
			return fmt.Errorf("project %s/%s/%d: %w", batch[i].Node, batch[i].Incarnation, batch[i].Seq, err)
		}
	}
	return nil
}

func (d *direct) insertOp(stream int64, op *syncproto.Op, receivedMs int64) error {
	d.hubSeq++
	return d.b.add(d.ops, d.hubSeq, stream, int64(op.Seq), op.V, int64(op.HLC), op.Actor, string(op.Kind), []byte(op.Payload), op.Hash,
		receivedMs, 1)
}

// finish writes the rows still in memory and the state merge keeps beside
// the ops: cursors, the nodes' last contact, the hub's clock and how far
// the projection got.
func (d *direct) finish(tx *sql.Tx) error {
	if err := d.proj.flush(); err != nil {
		return err
	}
	if err := d.b.close(); err != nil {
		return err
	}
	ctx := d.ctx
	for _, c := range d.order {
		if _, err := tx.ExecContext(ctx, "INSERT INTO cursors (stream, node, incarnation, acked_seq, updated_ms) VALUES (?, ?, ?, ?, ?)",
			c.stream, c.node, c.inc, int64(c.acked), c.updatedMs); err != nil {
			return err
		}
	}
	for id, n := range d.nodes {
		if _, err := tx.ExecContext(ctx, "UPDATE nodes SET last_contact_ms = ?, last_op_hlc = ?, future_ops = ? WHERE node_id = ?",
			n.lastContactMs, int64(n.lastOpHLC), n.futureOps, id); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, "UPDATE hub SET hlc_hwm = ?, projected_seq = ? WHERE id = 1", int64(d.clock.Last()), d.hubSeq)
	return err
}

func sortRows(rows []*prow) {
	slices.SortFunc(rows, func(a, b *prow) int { return int(a.id - b.id) })
}

// NodeOp is the sealed op node (incarnation inc) uploads for o.
func NodeOp(node, inc string, o Op) (syncproto.Op, error) {
	body, err := json.Marshal(o.Payload)
	if err != nil {
		return syncproto.Op{}, err
	}
	op := syncproto.Op{Node: node, Incarnation: inc, Seq: o.Seq, HLC: o.HLC, Actor: o.Actor, Kind: o.Kind, Payload: body}
	op.Seal()
	return op, nil
}
