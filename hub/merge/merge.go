// Package merge applies the ops batches that nodes upload to the hub's
// database: idempotently (a duplicate with the same hash is ignored, one
// with another hash is quarantined), gap-checked against the node's
// cursor, with ops the hub can never apply set aside as dead letters that
// do not block the ops behind them. A batch's ops and its cursor commit in
// one transaction; the result is returned only once that transaction is
// durable. The projector then applies the durable ops to the tracking
// index (parcels, timeline, exceptions) in the hub's order of receipt, in
// transactions of its own that record how far it got (see projector.go):
// a station's upload never waits for the projection, and the projection
// never misses or repeats an op.
//
// Throughput comes from group commit: callers decode and check their
// batches concurrently, then hand them to one writer goroutine, which
// commits every batch waiting at that moment in one transaction (one
// fsync), with statements prepared once, a batch's ops and facts written
// by multi-row INSERTs, and the common projection (a new parcel, a pickup
// at the station holding it) done by one statement. A batch refused before
// it writes (a gap) leaves the others intact; a batch failing half-way
// rolls the group back, which is committed again without it.
package merge

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"cunyou/hub/store"
	"cunyou/syncproto"
)

// Options configure a Merger.
type Options struct {
	// MaxSkew is how far ahead of the hub's clock an op's HLC may be
	// before the op counts as clock-skewed; syncproto.DefaultMaxSkew when
	// 0. Skewed ops are applied all the same (see Apply).
	MaxSkew time.Duration
	// MaxGroup is the most batches one transaction commits; 64 when 0.
	MaxGroup int
	// MaxGroupOps stops adding batches to a transaction once it holds
	// this many ops; 20000 when 0.
	MaxGroupOps int
	// Log receives warnings (skewed clocks, quarantined ops); discarded
	// when nil.
	Log *slog.Logger
	// Outbox, when set, takes the events carriers are told of (webhooks)
	// in the projection's transaction.
	Outbox Outbox
	// Projected, when set, is called after each projection commit (to
	// wake the webhook dispatcher and the notifier).
	Projected func()
	// NoticeWindow is how long an arrival notice waits for more parcels
	// of the same phone to combine with; DefaultNoticeWindow when 0, none
	// when negative.
	NoticeWindow time.Duration
	// LateHold: a scan-in that reaches the hub more than LateHold after it
	// happened (its station was offline) holds its arrival notice for
	// LateHold. A station that sent the SMS through its own modem
	// (edge modem.after ≥ LateHold) can say so meanwhile, in the ops that
	// follow the scan-in; without the hold, a long backlog uploaded in
	// several batches would let the hub send before it hears. 1 min when
	// 0; none when negative.
	LateHold time.Duration
}

// DefaultLateHold: see Options.LateHold.
const DefaultLateHold = time.Minute

// DefaultNoticeWindow: parcels of one phone scanned in within it go out
// in one SMS.
const DefaultNoticeWindow = 2 * time.Second

// Outbox takes events for carriers in the projection's transaction: an
// event is queued if and only if the fact that caused it is projected.
type Outbox interface {
	Enqueue(ctx context.Context, tx *sql.Tx, ev OutboxEvent) error
}

// OutboxEvent is a parcel event for its carrier. ID is stable (the kind,
// the waybill and the op that caused it), so projecting again never
// queues it twice. Data holds no full phone or ID number.
type OutboxEvent struct {
	ID, Carrier, Kind, Waybill string
	At                         time.Time
	Data                       map[string]any
}

// Stats are a Merger's counters since it started.
type Stats struct {
	Batches      int64 // batches committed
	Commits      int64 // transactions committed (a group of batches each)
	Applied      int64
	Duplicates   int64
	Quarantined  int64
	DeadLettered int64
	// Skewed counts applied ops whose HLC was more than MaxSkew ahead of
	// the hub's clock.
	Skewed     int64
	Exceptions int64
	// Projected counts ops the projector applied to the tracking index;
	// ProjectionLag is how many durable ops (by hub_seq) wait for it.
	Projected     int64
	ProjectionLag int64
	// WriterBusy is the time the writer spent in transactions: with the
	// wall time it tells how loaded the one writer is.
	WriterBusy time.Duration
}

// ErrClosed: the merger was closed.
var ErrClosed = errors.New("merge: closed")

// GapError refuses a batch that does not start right after the hub's
// cursor: the node resumes after Cursor. Its code is CodeGap.
type GapError struct {
	Node, Incarnation string
	Cursor            uint64 // acked seq of the incarnation
	First             uint64 // the batch's first seq
}

func (e *GapError) Error() string {
	return fmt.Sprintf("merge: %s/%s batch starts at seq %d, hub holds up to %d", e.Node, e.Incarnation, e.First, e.Cursor)
}

// Unwrap gives the protocol error, so syncproto.CodeOf reports CodeGap.
func (e *GapError) Unwrap() error {
	return &syncproto.Error{Code: syncproto.CodeGap, Msg: fmt.Sprintf("resume after seq %d", e.Cursor)}
}

// Merger merges ops batches into the hub's store.
type Merger struct {
	st    *store.Store
	o     Options
	clock *syncproto.Clock
	stmts map[string]*sql.Stmt
	log   *slog.Logger

	queue chan *request
	stop  chan struct{}
	done  chan struct{}

	batches, commits, applied, duplicates, quarantined, deadLettered, skewed, exceptions, busyNs atomic.Int64

	proj projection

	centreMu  sync.Mutex
	centreIDs []string
	centreAt  time.Time

	// beforeCommit, when set by a test, runs just before each commit; an
	// error aborts the transaction.
	beforeCommit func() error
}

type request struct {
	node, inc string
	local     bool      // facts of the hub's own (Record)
	retry     *retryJob // a dead letter judged again (Retry, retry.go)
	ops       []prepared
	done      chan response
}

type response struct {
	res syncproto.OpsResult
	err error
}

// prepared is an op checked outside the writer: its decoded payload, or
// why it will be a dead letter.
type prepared struct {
	op      syncproto.Op
	payload any
	dead    *syncproto.Error
	skewed  bool
}

// The writer's statements, prepared once on the writer connection.
const (
	qSelNode    = "SELECT disabled FROM nodes WHERE node_id = ?"
	qSelCursor  = "SELECT stream, acked_seq FROM cursors WHERE node = ? AND incarnation = ?"
	qInsCursor  = "INSERT INTO cursors (node, incarnation, acked_seq, updated_ms) VALUES (?, ?, 0, ?) RETURNING stream"
	qUpdCursor  = "UPDATE cursors SET acked_seq = ?, updated_ms = ? WHERE stream = ?"
	qSelOpHash  = "SELECT hash FROM ops WHERE stream = ? AND seq = ?"
	qSelOpRange = "SELECT seq, hub_seq FROM ops WHERE stream = ? AND seq BETWEEN ? AND ?"
	qInsQuar    = `INSERT INTO quarantine (node, incarnation, seq, hash_existing, hash_new, v, hlc, actor, kind, payload, received_ms, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
	qInsDead    = `INSERT INTO dead_letters (node, incarnation, seq, kind, payload, hash, code, reason, received_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
	qUpdNode    = `UPDATE nodes SET last_contact_ms = ?, last_op_hlc = max(last_op_hlc, ?), future_ops = future_ops + ? WHERE node_id = ?`
	qUpdHWM     = "UPDATE hub SET hlc_hwm = max(hlc_hwm, ?) WHERE id = 1"
	qSelParcel  = `SELECT carrier, status, node, receiver_name, receiver_phone, code, dest, dest_reason, dest_detail, trip, address, weight_g, value_fen, sender_name, source, created_ms, (SELECT node || '/' || incarnation || '/' || seq FROM ops_by_node WHERE hub_seq = last_op) FROM parcels WHERE waybill = ? AND direction = ?`
	qUpsParcel  = `INSERT INTO parcels (waybill, direction, carrier, status, node, receiver_name, receiver_phone, code, updated_hlc, updated_ms, last_op, dest, dest_reason, dest_detail, trip, address, weight_g, value_fen, sender_name, source, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (waybill, direction) DO UPDATE SET carrier = excluded.carrier, status = excluded.status, node = excluded.node, receiver_name = excluded.receiver_name, receiver_phone = excluded.receiver_phone, code = excluded.code, updated_hlc = excluded.updated_hlc, updated_ms = excluded.updated_ms, last_op = excluded.last_op, dest = excluded.dest, dest_reason = excluded.dest_reason, dest_detail = excluded.dest_detail, trip = excluded.trip, address = excluded.address, weight_g = excluded.weight_g, value_fen = excluded.value_fen, sender_name = excluded.sender_name, source = excluded.source`
	qInsParcel  = `INSERT INTO parcels (waybill, direction, carrier, status, node, receiver_name, receiver_phone, code, updated_hlc, updated_ms, last_op, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (waybill, direction) DO NOTHING`
	// An inbound scan of a parcel on its way to that station: one UPDATE.
	qStepArrived = `UPDATE parcels SET status = 'at_station', node = ?, code = ?, updated_hlc = ?, updated_ms = ?, last_op = ? WHERE waybill = ? AND direction = 'in' AND +status IN ('manifested', 'at_centre', 'sorted', 'loaded', 'in_transit') AND (+dest = '' OR +dest = ?)`
	qInsChange   = `INSERT INTO changes (seq, node, type, payload, created_ms) VALUES (?, ?, ?, ?, ?)`
	// The arrival notice of a parcel now at a station with a receiver's
	// phone: one per parcel and station, whatever re-scans follow. (The
	// + signs keep SQLite from reading a station's or a phone's index for
	// those tests: the parcel is found by its waybill.)
	qInsArrival = `INSERT INTO notices (key, kind, phone, station, waybill, data, created_ms, due_ms)
		SELECT 'arrival/' || waybill || '/' || node, 'arrival', receiver_phone, node, waybill, json_object('code', code, 'carrier', carrier), ?, ?
		FROM parcels WHERE waybill = ? AND direction = 'in' AND +status = 'at_station' AND +node = ? AND +receiver_phone <> ''
		ON CONFLICT (key) DO NOTHING`
	qStationSent = `UPDATE notices SET station_sent_ms = ?,
		reason = CASE WHEN state = 'pending' THEN 'sent by the station' ELSE reason END,
		state = CASE WHEN state = 'pending' THEN 'cancelled' ELSE state END
		WHERE key = 'arrival/' || ? || '/' || ?`
	// Senders' notices (寄件): the phone from the acceptance, kept in
	// senders for the notices that follow.
	qInsSender   = `INSERT INTO senders (waybill, phone, station, carrier) VALUES (?, ?, ?, ?) ON CONFLICT (waybill) DO NOTHING`
	qInsAccepted = `INSERT INTO notices (key, kind, phone, station, waybill, data, created_ms, due_ms)
		VALUES ('sender_accepted/' || ?3, 'sender_accepted', ?1, ?2, ?3, json_object('carrier', ?4), ?5, ?6) ON CONFLICT (key) DO NOTHING`
	qInsSenderNotice = `INSERT INTO notices (key, kind, phone, station, waybill, data, created_ms, due_ms)
		SELECT ?1 || '/' || waybill, ?1, phone, station, waybill, json_object('carrier', carrier), ?2, ?3
		FROM senders WHERE waybill = ?4 ON CONFLICT (key) DO NOTHING`
	// The parcels on a trip, on their way (trip.at_stop).
	qSelOnTrip = `SELECT waybill FROM parcels WHERE trip = ? AND direction = 'in' AND +status IN ('loaded', 'in_transit')`
	// The parcels on a trip for one station (a vehicle near it).
	qSelOnTripFor  = `SELECT waybill FROM parcels WHERE trip = ? AND direction = 'in' AND +status IN ('loaded', 'in_transit') AND +dest = ?`
	qCancelNotices = `UPDATE notices SET state = 'cancelled', reason = ? WHERE waybill = ? AND +state = 'pending'`
	// The notice that an unclaimed parcel goes back, once per parcel.
	qInsReturning = `INSERT INTO notices (key, kind, phone, station, waybill, data, created_ms, due_ms)
		SELECT 'returning/' || waybill, 'returning', receiver_phone, node, waybill, json_object('code', code, 'carrier', carrier), ?, ?
		FROM parcels WHERE waybill = ? AND direction = 'in' AND +status = 'returning' AND +receiver_phone <> ''
		ON CONFLICT (key) DO NOTHING`
	// The fast paths of facts at the node holding an inbound parcel, in a
	// status its rules allow the fact after (see allowedAfter). The +
	// signs keep SQLite on the waybill's index: without statistics it
	// would rather read a station's whole shelf by (node, status).
	qStepPickedUp  = `UPDATE parcels SET status = 'picked_up', updated_hlc = ?, updated_ms = ?, last_op = ? WHERE waybill = ? AND direction = 'in' AND +node = ? AND +status = 'at_station'`
	qStepProblem   = `UPDATE parcels SET status = 'problem', updated_hlc = ?, updated_ms = ?, last_op = ? WHERE waybill = ? AND direction = 'in' AND +node = ? AND +status IN ('at_station', 'problem')`
	qStepReturning = `UPDATE parcels SET status = 'returning', updated_hlc = ?, updated_ms = ?, last_op = ? WHERE waybill = ? AND direction = 'in' AND +node = ? AND +status IN ('at_station', 'problem')`
	qStepRelocated = `UPDATE parcels SET updated_hlc = ?, updated_ms = ?, last_op = ? WHERE waybill = ? AND direction = 'in' AND +node = ? AND +status IN ('at_station', 'problem')`
	qInsFacts      = `INSERT INTO facts (waybill, direction, hub_seq, detail, kind, stream, seq, hlc, received_ms) VALUES `
	factCols       = 9
	qInsOps        = `INSERT INTO ops (stream, seq, v, hlc, actor, kind, payload, hash, received_ms, applied) VALUES `
	qInsOpsEnd     = ` ON CONFLICT (stream, seq) DO NOTHING`
	opCols         = 10
	qInsExcept     = `INSERT INTO exceptions (waybill, direction, reason, ops, created_ms) VALUES (?, ?, ?, ?, ?)`
)

var queries = []string{qSelNode, qSelCursor, qInsCursor, qUpdCursor, qSelOpHash, qSelOpRange, qInsQuar, qInsDead, qUpdNode, qUpdHWM,
	qSelParcel, qUpsParcel, qInsParcel, qStepArrived, qInsChange, qInsArrival, qSelOnTrip, qSelOnTripFor, qStationSent, qInsSender, qInsAccepted, qInsSenderNotice, qCancelNotices, qInsReturning, qStepPickedUp, qStepProblem, qStepReturning, qStepRelocated, qInsExcept}

// New starts a merger on st: the hub's clock resumes from its persisted
// high-water mark and the writer goroutine starts. Close stops it.
func New(ctx context.Context, st *store.Store, o Options) (*Merger, error) {
	if o.MaxSkew <= 0 {
		o.MaxSkew = syncproto.DefaultMaxSkew
	}
	if o.MaxGroup <= 0 {
		o.MaxGroup = 64
	}
	if o.MaxGroupOps <= 0 {
		o.MaxGroupOps = 20000
	}
	switch {
	case o.NoticeWindow == 0:
		o.NoticeWindow = DefaultNoticeWindow
	case o.NoticeWindow < 0:
		o.NoticeWindow = 0
	}
	switch {
	case o.LateHold == 0:
		o.LateHold = DefaultLateHold
	case o.LateHold < 0:
		o.LateHold = 0
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	hwm, err := st.HLC(ctx)
	if err != nil {
		return nil, err
	}
	m := &Merger{
		st:    st,
		o:     o,
		clock: syncproto.NewClock(st.Now, hwm, o.MaxSkew),
		stmts: map[string]*sql.Stmt{},
		log:   log,
		queue: make(chan *request, o.MaxGroup),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	for _, q := range slices.Concat(queries, multiRow(qInsFacts, factCols, ""), multiRow(qInsOps, opCols, qInsOpsEnd)) {
		s, err := st.Prepare(ctx, q)
		if err != nil {
			m.closeStmts()
			return nil, err
		}
		m.stmts[q] = s
	}
	if err := m.proj.init(ctx, st, o); err != nil {
		m.closeStmts()
		return nil, err
	}
	go m.run()
	go m.projectLoop()
	return m, nil
}

func (m *Merger) closeStmts() {
	for _, s := range m.stmts {
		s.Close()
	}
}

// Close stops the writer; batches still waiting get ErrClosed. It does
// not close the store.
func (m *Merger) Close() error {
	select {
	case <-m.stop:
		return nil
	default:
	}
	close(m.stop)
	<-m.done
	<-m.proj.done
	m.closeStmts()
	return nil
}

// Clock returns the hub's hybrid logical clock.
func (m *Merger) Clock() *syncproto.Clock { return m.clock }

// Stats returns the counters.
func (m *Merger) Stats() Stats {
	return Stats{
		Batches: m.batches.Load(), Commits: m.commits.Load(), Applied: m.applied.Load(), Duplicates: m.duplicates.Load(),
		Quarantined: m.quarantined.Load(), DeadLettered: m.deadLettered.Load(), Skewed: m.skewed.Load(),
		Exceptions: m.exceptions.Load(), WriterBusy: time.Duration(m.busyNs.Load()),
		Projected: m.proj.count.Load(), ProjectionLag: max(m.proj.committed.Load()-m.proj.projected.Load(), 0),
	}
}

// Apply merges one ops batch uploaded by node (the authenticated caller)
// and returns the result once it is durable. The whole batch commits in
// one transaction with the node's cursor, or nothing of it does.
//
// Refusals, with nothing applied: a batch of another node (CodeWrongNode),
// a malformed batch (CodeBadBatch), a node unknown or disabled
// (CodeUnauthorized), a batch starting after cursor+1 (*GapError,
// CodeGap, carrying the cursor to resume from).
//
// Within a batch: an op already held with the same hash is a duplicate; one
// with another hash is quarantined with both hashes and never applied. A
// new op that cannot be applied (unknown kind, a future envelope version,
// a payload that does not decode or breaks a rule) becomes a dead letter
// with its reason: it is held durably, so the cursor advances past it and
// it never blocks later ops. An op whose HLC is further ahead of the hub's
// clock than MaxSkew is applied (it is a fact the node recorded, and the
// hub orders facts by receipt, not by node clocks), counted as skewed
// against its node, and does not move the hub's clock.
//
// If ctx ends after the batch was handed to the writer, the batch may
// still commit; the node learns where it stands from its next hello.
func (m *Merger) Apply(ctx context.Context, node string, b syncproto.Batch) (syncproto.OpsResult, error) {
	ops, err := m.prepare(node, b)
	if err != nil {
		return syncproto.OpsResult{}, err
	}
	r := &request{node: node, inc: b.Header.Incarnation, ops: ops, done: make(chan response, 1)}
	select {
	case m.queue <- r:
	case <-m.stop:
		return syncproto.OpsResult{}, ErrClosed
	case <-ctx.Done():
		return syncproto.OpsResult{}, ctx.Err()
	}
	select {
	case resp := <-r.done:
		return resp.res, resp.err
	case <-m.done:
		select {
		case resp := <-r.done:
			return resp.res, resp.err
		default:
			return syncproto.OpsResult{}, ErrClosed
		}
	case <-ctx.Done():
		return syncproto.OpsResult{}, ctx.Err()
	}
}

// Fact is a fact the hub records itself: a manifest, a destination, a
// carrier's event (kinds for which HubOnly is true).
type Fact struct {
	Kind    syncproto.EventKind
	Actor   string // who: an API client, "file:<name>", a dispatcher
	Payload any
}

// Record makes the hub's own facts durable, in order, in one transaction
// (all or none), as ops of node syncproto.HubNode; the projector then
// applies them like any other op. Flush waits for that.
func (m *Merger) Record(ctx context.Context, facts []Fact) error {
	ops := make([]prepared, len(facts))
	for i, f := range facts {
		if !f.Kind.HubOnly() {
			return fmt.Errorf("merge: the hub does not record %s", f.Kind)
		}
		body, err := json.Marshal(f.Payload)
		if err != nil {
			return fmt.Errorf("merge: encode %s: %w", f.Kind, err)
		}
		p := &ops[i]
		p.op = syncproto.Op{V: syncproto.EnvelopeVersion, Node: syncproto.HubNode, Incarnation: hubIncarnation, Actor: f.Actor,
			Kind: f.Kind, Payload: body}
		var bad *syncproto.Error
		if p.payload, bad = decode(&p.op); bad != nil {
			return fmt.Errorf("merge: %s", bad.Msg)
		}
	}
	r := &request{local: true, ops: ops, done: make(chan response, 1)}
	select {
	case m.queue <- r:
	case <-m.stop:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case resp := <-r.done:
		return resp.err
	case <-m.done:
		select {
		case resp := <-r.done:
			return resp.err
		default:
			return ErrClosed
		}
	}
}

// hubIncarnation names the stream of the hub's own facts in their hashes.
const hubIncarnation = "hub"

// recordLocal writes the hub's own facts as ops of stream 0, which has no
// cursor: their seqs follow the stream's last.
func (w *writer) recordLocal(r *request) error {
	var last uint64
	if err := w.tx.QueryRowContext(w.ctx, "SELECT coalesce(max(seq), 0) FROM ops WHERE stream = 0").Scan(&last); err != nil {
		return err
	}
	for i := range r.ops {
		op := &r.ops[i].op
		op.Seq, op.HLC = last+1+uint64(i), w.m.clock.Now()
		op.Hash = op.ComputeHash()
	}
	hubSeqs, err := w.insertOps(0, r.ops)
	if err != nil {
		return err
	}
	for i := range r.ops {
		if hubSeqs[i] == 0 {
			return fmt.Errorf("merge: hub fact %d already held", r.ops[i].op.Seq)
		}
		w.lastHubSeq = max(w.lastHubSeq, hubSeqs[i])
		w.handOver = append(w.handOver, projected{hubSeq: hubSeqs[i], stream: 0, receivedMs: w.nowMs, p: r.ops[i]})
	}
	w.c.applied += int64(len(r.ops))
	return nil
}

func badBatch(format string, args ...any) error {
	return &syncproto.Error{Code: syncproto.CodeBadBatch, Msg: fmt.Sprintf(format, args...)}
}

// prepare checks the batch as a whole and each op on its own, in the
// caller's goroutine: this work runs in parallel, the writer only writes.
func (m *Merger) prepare(node string, b syncproto.Batch) ([]prepared, error) {
	h := b.Header
	if h.Kind != syncproto.BatchOps {
		return nil, badBatch("batch kind %q, want %q", h.Kind, syncproto.BatchOps)
	}
	if h.Node != node {
		return nil, &syncproto.Error{Code: syncproto.CodeWrongNode, Msg: fmt.Sprintf("batch of node %s sent by %s", h.Node, node)}
	}
	if h.Incarnation == "" || len(h.Incarnation) > 64 {
		return nil, badBatch("batch without a valid incarnation")
	}
	if len(b.Ops) > syncproto.MaxBatchRecords {
		return nil, &syncproto.Error{Code: syncproto.CodeTooLarge, Msg: fmt.Sprintf("%d ops in one batch", len(b.Ops))}
	}
	out := make([]prepared, len(b.Ops))
	var prev uint64
	for i, op := range b.Ops {
		switch {
		case op.Node != h.Node:
			return nil, &syncproto.Error{Code: syncproto.CodeWrongNode, Msg: fmt.Sprintf("op %d of node %s in a batch of %s", op.Seq, op.Node, h.Node)}
		case op.Incarnation != h.Incarnation:
			return nil, badBatch("op %d of incarnation %s in a batch of %s", op.Seq, op.Incarnation, h.Incarnation)
		case op.Seq == 0:
			return nil, badBatch("op without seq")
		case i > 0 && op.Seq <= prev:
			return nil, badBatch("seq %d after %d", op.Seq, prev)
		}
		prev = op.Seq
		p := &out[i]
		p.op = op
		if err := op.Verify(); err != nil {
			var pe *syncproto.Error
			if !errors.As(err, &pe) {
				pe = &syncproto.Error{Code: syncproto.CodeBadOp, Msg: err.Error()}
			}
			p.dead = pe
			continue
		}
		p.op = convert(op)
		if op.Kind.HubOnly() {
			p.dead = &syncproto.Error{Code: syncproto.CodeWrongNode, Msg: fmt.Sprintf("only the hub records %s", op.Kind)}
			continue
		}
		p.payload, p.dead = decode(&p.op)
		if p.dead != nil {
			continue
		}
		if err := m.clock.Observe(op.HLC); err != nil {
			p.skewed = true
		}
	}
	return out, nil
}

// run is the writer: it takes the first waiting batch, every other batch
// waiting at that moment (up to MaxGroup batches, MaxGroupOps ops), and
// commits them in one transaction.
func (m *Merger) run() {
	defer close(m.done)
	for {
		var first *request
		select {
		case <-m.stop:
			m.drain()
			return
		case first = <-m.queue:
		}
		group := []*request{first}
		n := len(first.ops)
	fill:
		for len(group) < m.o.MaxGroup && n < m.o.MaxGroupOps {
			select {
			case r := <-m.queue:
				group = append(group, r)
				n += len(r.ops)
			default:
				break fill
			}
		}
		start := time.Now()
		m.commit(group)
		m.busyNs.Add(int64(time.Since(start)))
	}
}

func (m *Merger) drain() {
	for {
		select {
		case r := <-m.queue:
			r.done <- response{err: ErrClosed}
		default:
			return
		}
	}
}

// counts are one group's additions to the counters.
type counts struct{ applied, duplicates, quarantined, dead, skewed, exceptions int64 }

// commit commits a group of batches in one transaction. A batch refused
// before it wrote anything (a gap, an unknown node) just gets its refusal.
// A batch that fails half-way (a database error) rolls the transaction
// back; it gets its error and the others are committed again without it.
// (Savepoints per batch would do the same but make SQLite copy every page
// a batch touches into a sub-journal: a third of the writer's time.)
func (m *Merger) commit(group []*request) {
	ctx := context.Background() // a caller's cancellation must not abort the others' batches
	for len(group) > 0 {
		now := m.st.Now()
		results := make([]response, len(group))
		var total counts
		var lastHubSeq int64
		var handOver []projected
		failed := -1
		err := m.st.Write(ctx, func(tx *sql.Tx) error {
			w := &writer{ctx: ctx, tx: tx, m: m, nowMs: now.UnixMilli(), hubNow: syncproto.MakeTimestamp(now.UnixMilli(), 0),
				stmts: map[string]*sql.Stmt{}}
			defer w.close()
			total = counts{}
			for i, r := range group {
				w.c = counts{}
				if r.retry != nil {
					err := w.retryDead(r.retry)
					var refused *refusal
					switch {
					case errors.As(err, &refused):
						results[i] = response{err: refused.err}
					case err != nil:
						failed = i
						return err
					default:
						total.add(w.c)
					}
					continue
				}
				if r.local {
					if err := w.recordLocal(r); err != nil {
						failed = i
						return err
					}
					total.add(w.c)
					continue
				}
				res, err := w.applyBatch(r)
				var refused *refusal
				switch {
				case errors.As(err, &refused):
					results[i] = response{err: refused.err}
				case err != nil:
					failed = i
					return err
				default:
					total.add(w.c)
					results[i] = response{res: res}
				}
			}
			if _, err := w.stmt(qUpdHWM).ExecContext(ctx, int64(m.clock.Last())); err != nil {
				return err
			}
			lastHubSeq, handOver = w.lastHubSeq, w.handOver
			if m.beforeCommit != nil {
				return m.beforeCommit()
			}
			return nil
		})
		if err != nil && failed >= 0 && len(group) > 1 {
			m.log.Error("merge: batch failed", "node", group[failed].node, "inc", group[failed].inc, "err", err)
			group[failed].done <- response{err: fmt.Errorf("merge: %w", err)}
			group = append(group[:failed:failed], group[failed+1:]...)
			continue
		}
		if err != nil {
			m.log.Error("merge: commit failed", "batches", len(group), "err", err)
			for _, r := range group {
				r.done <- response{err: fmt.Errorf("merge: %w", err)}
			}
			return
		}
		m.commits.Add(1)
		for _, r := range results {
			if r.err == nil {
				m.batches.Add(1)
			}
		}
		m.applied.Add(total.applied)
		m.duplicates.Add(total.duplicates)
		m.quarantined.Add(total.quarantined)
		m.deadLettered.Add(total.dead)
		m.skewed.Add(total.skewed)
		m.proj.advanceCommitted(lastHubSeq, handOver)
		for i, r := range group {
			r.done <- results[i]
		}
		return
	}
}

// refusal wraps an error found before a batch wrote anything.
type refusal struct{ err error }

func (r *refusal) Error() string { return r.err.Error() }

func (c *counts) add(o counts) {
	c.applied += o.applied
	c.duplicates += o.duplicates
	c.quarantined += o.quarantined
	c.dead += o.dead
	c.skewed += o.skewed
	c.exceptions += o.exceptions
}

// rowChunks are the row counts of the multi-row INSERTs prepared: a run
// of n rows is written as the fewest of these. One statement for many
// rows saves the per-statement cost, a third of a short INSERT.
var rowChunks = []int{64, 32, 16, 8, 4, 2, 1}

// multiRow returns base, n tuples of cols placeholders and end, for each
// n in rowChunks.
func multiRow(base string, cols int, end string) []string {
	tuple := "(" + strings.Repeat("?, ", cols-1) + "?)"
	out := make([]string, len(rowChunks))
	for i, n := range rowChunks {
		out[i] = base + strings.Repeat(tuple+", ", n-1) + tuple + end
	}
	return out
}

// insertRows writes rows (cols values each, flattened in args) with the
// multi-row INSERTs of base and end, calling done after each statement
// with the number of rows it held.
func (w *writer) insertRows(base string, cols int, end string, args []any, done func(rows int, res sql.Result) error) error {
	qs := multiRow(base, cols, end) // the same strings New prepared: keys of stmts
	for len(args) > 0 {
		rows := len(args) / cols
		for i, n := range rowChunks {
			if n > rows {
				continue
			}
			res, err := w.stmt(qs[i]).ExecContext(w.ctx, args[:n*cols]...)
			if err != nil {
				return err
			}
			if done != nil {
				if err := done(n, res); err != nil {
					return err
				}
			}
			args = args[n*cols:]
			break
		}
	}
	return nil
}

// insertOps inserts the ops of a batch and returns the hub_seq of each,
// 0 for an op the hub held already. The rows one INSERT adds take
// consecutive rowids ending at its last insert rowid, so when it adds all
// its rows (the common case) their hub_seqs follow without a query; when
// it skipped some, the chunk's rows are read back and those with a
// hub_seq in the new range are the ones added. (RETURNING would tell
// directly but makes SQLite build a temporary table per statement.)
func (w *writer) insertOps(stream int64, ops []prepared) ([]int64, error) {
	hubSeqs := make([]int64, len(ops))
	args := make([]any, 0, len(ops)*opCols)
	for i := range ops {
		op := &ops[i].op
		args = append(args, stream, int64(op.Seq), op.V, int64(op.HLC), op.Actor, string(op.Kind),
			[]byte(op.Payload), op.Hash, w.nowMs, ops[i].dead == nil)
	}
	next := 0
	err := w.insertRows(qInsOps, opCols, qInsOpsEnd, args, func(n int, res sql.Result) error {
		chunk, idx := ops[next:next+n], hubSeqs[next:next+n]
		next += n
		added, err := res.RowsAffected()
		if err != nil || added == 0 {
			return err
		}
		last, err := res.LastInsertId()
		if err != nil {
			return err
		}
		if int(added) == n {
			for k := range idx {
				idx[k] = last - int64(n) + 1 + int64(k)
			}
			return nil
		}
		rows, err := w.stmt(qSelOpRange).QueryContext(w.ctx, stream, int64(chunk[0].op.Seq), int64(chunk[n-1].op.Seq))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var seq uint64
			var hubSeq int64
			if err := rows.Scan(&seq, &hubSeq); err != nil {
				return err
			}
			if hubSeq <= last-added || hubSeq > last {
				continue // held before this statement
			}
			k, ok := slices.BinarySearchFunc(chunk, seq, func(p prepared, seq uint64) int { return cmp.Compare(p.op.Seq, seq) })
			if ok {
				idx[k] = hubSeq
			}
		}
		return rows.Err()
	})
	return hubSeqs, err
}

// writer is one transaction of the writer goroutine.
type writer struct {
	ctx    context.Context
	tx     *sql.Tx
	m      *Merger
	nowMs  int64
	hubNow syncproto.Timestamp
	stmts  map[string]*sql.Stmt
	c      counts
	cur    *projected // the op being projected
	facts  []any      // facts to insert at the end of the batch, factCols values each
	// lastHubSeq is the highest hub_seq this transaction inserted;
	// handOver its applied ops, for the projector.
	lastHubSeq int64
	handOver   []projected
	// nextChange is the seq of the next downstream change, 0 until the
	// first.
	nextChange uint64
}

// stmt returns the prepared statement q bound to this transaction.
func (w *writer) stmt(q string) *sql.Stmt {
	if s, ok := w.stmts[q]; ok {
		return s
	}
	s := w.tx.StmtContext(w.ctx, w.m.stmts[q])
	w.stmts[q] = s
	return s
}

func (w *writer) close() {
	for _, s := range w.stmts {
		s.Close()
	}
}

func (w *writer) applyBatch(r *request) (syncproto.OpsResult, error) {
	ctx := w.ctx
	res := syncproto.OpsResult{Incarnation: r.inc}
	var disabled bool
	err := w.stmt(qSelNode).QueryRowContext(ctx, r.node).Scan(&disabled)
	if errors.Is(err, sql.ErrNoRows) || err == nil && disabled {
		return res, &refusal{&syncproto.Error{Code: syncproto.CodeUnauthorized, Msg: fmt.Sprintf("node %s is not enrolled or is disabled", r.node)}}
	}
	if err != nil {
		return res, err
	}
	var cursor uint64
	var stream int64
	err = w.stmt(qSelCursor).QueryRowContext(ctx, r.node, r.inc).Scan(&stream, &cursor)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return res, err
	}
	if len(r.ops) > 0 && r.ops[0].op.Seq > cursor+1 {
		return res, &refusal{&GapError{Node: r.node, Incarnation: r.inc, Cursor: cursor, First: r.ops[0].op.Seq}}
	}
	if stream == 0 {
		if err := w.stmt(qInsCursor).QueryRowContext(ctx, r.node, r.inc, w.nowMs).Scan(&stream); err != nil {
			return res, err
		}
	}
	hubSeqs, err := w.insertOps(stream, r.ops)
	if err != nil {
		return res, err
	}
	acked := cursor
	var newest syncproto.Timestamp
	var future int64
	for i := range r.ops {
		p := &r.ops[i]
		op := &p.op
		switch {
		case hubSeqs[i] == 0:
			var existing string
			if err := w.stmt(qSelOpHash).QueryRowContext(ctx, stream, int64(op.Seq)).Scan(&existing); err != nil {
				return res, err
			}
			if existing == op.Hash {
				res.Duplicates++
				break
			}
			if _, err := w.stmt(qInsQuar).ExecContext(ctx, op.Node, op.Incarnation, int64(op.Seq), existing, op.Hash, op.V,
				int64(op.HLC), op.Actor, string(op.Kind), []byte(op.Payload), w.nowMs, "same identity, other content"); err != nil {
				return res, err
			}
			w.m.log.Warn("merge: op quarantined: same identity, other content", "node", op.Node, "inc", op.Incarnation, "seq", op.Seq)
			res.Quarantined++
		case p.dead != nil:
			if _, err := w.stmt(qInsDead).ExecContext(ctx, op.Node, op.Incarnation, int64(op.Seq), string(op.Kind), []byte(op.Payload),
				op.Hash, int(p.dead.Code), p.dead.Msg, w.nowMs); err != nil {
				return res, err
			}
			res.DeadLettered++
		default:
			w.lastHubSeq = max(w.lastHubSeq, hubSeqs[i])
			w.handOver = append(w.handOver, projected{hubSeq: hubSeqs[i], stream: stream, receivedMs: w.nowMs, p: *p})
			res.Applied++
			if p.skewed {
				future++
			}
			newest = max(newest, min(op.HLC, w.hubNow))
		}
		if op.Seq == acked+1 {
			acked = op.Seq
		}
	}
	// Ops held beyond a hole that this batch filled extend the cursor.
	for {
		var h string
		err := w.stmt(qSelOpHash).QueryRowContext(ctx, stream, int64(acked+1)).Scan(&h)
		if errors.Is(err, sql.ErrNoRows) {
			break
		}
		if err != nil {
			return res, err
		}
		acked++
	}
	if _, err := w.stmt(qUpdCursor).ExecContext(ctx, int64(acked), w.nowMs, stream); err != nil {
		return res, err
	}
	if _, err := w.stmt(qUpdNode).ExecContext(ctx, w.nowMs, int64(newest), future, r.node); err != nil {
		return res, err
	}
	if future > 0 {
		w.m.log.Warn("merge: ops ahead of the hub's clock", "node", r.node, "ops", future, "max_skew", w.m.o.MaxSkew)
	}
	res.AckedSeq = acked
	w.c.applied += int64(res.Applied)
	w.c.duplicates += int64(res.Duplicates)
	w.c.quarantined += int64(res.Quarantined)
	w.c.dead += int64(res.DeadLettered)
	w.c.skewed += future
	return res, nil
}
