package merge

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"cunyou/hub/store"
	"cunyou/syncproto"
)

// The projector applies durable ops to the tracking index (parcels,
// timeline, exceptions) in the hub's order of receipt (hub_seq), a chunk
// at a time, each chunk in one transaction that also records how far the
// projection got (hub.projected_seq): after a crash it resumes exactly
// there, so no op is projected twice or skipped.
//
// Uploads come first: while uploads keep the writer busy (a commit less
// than ingestGap ago) the projector holds back, unless it has fallen more
// than maxLag ops behind or has not projected for maxStale (so an arrival
// SMS waits at most about that long for a storm of uploads), and it then
// projects in large chunks, which
// costs the writer less per op than projecting each batch as it comes. So a thousand stations reconnecting
// at once are acknowledged quickly and the index catches up right after.

// Ops reach the projector from memory: the writer hands over each
// committed op with its payload already decoded, so the projector neither
// reads nor decodes it again. The hand-over holds at most memCap ops; past
// that, and after a restart, the projector reads the ops from the
// database until it has caught up.

const (
	projectChunk  = 4096    // ops per projection transaction
	defaultMemCap = 65536   // ops handed over in memory at most (about 64 MB)
	maxLag        = 200_000 // ops the projector may fall behind before it takes turns with uploads
	projectIdle   = time.Second
	ingestGap     = 20 * time.Millisecond // a pause in commits this long lets the projector in
	maxStale      = 5 * time.Second       // …and so does this long without projecting while ops wait (measured: 1 s halved a storm's uploads)
)

// projection is the projector's state.
type projection struct {
	// committed is the highest hub_seq of an applied op that is durable;
	// projected the highest the projector has applied.
	committed, projected atomic.Int64
	count                atomic.Int64
	lastIngest           atomic.Int64 // unix ns of the last upload commit
	paused               atomic.Bool  // tests only: hold the projector
	lastProj             atomic.Int64 // unix ns of the last projection commit
	memCap               int

	kick chan struct{} // an ingest commit happened
	done chan struct{}

	mu      sync.Mutex
	changed chan struct{} // closed and replaced when projected advances
	// mem holds, in hub_seq order, every applied op committed with a
	// hub_seq above memFrom, while memOK.
	mem     []projected
	memFrom int64
	memOK   bool
}

func (p *projection) init(ctx context.Context, st *store.Store, o Options) error {
	var committed, projected int64
	if err := st.DB().QueryRowContext(ctx, "SELECT coalesce(max(hub_seq), 0) FROM ops WHERE applied = 1").Scan(&committed); err != nil {
		return fmt.Errorf("merge: read ops: %w", err)
	}
	if err := st.DB().QueryRowContext(ctx, "SELECT projected_seq FROM hub WHERE id = 1").Scan(&projected); err != nil {
		return fmt.Errorf("merge: read projection: %w", err)
	}
	p.committed.Store(committed)
	p.projected.Store(projected)
	p.memFrom, p.memOK, p.memCap = committed, true, defaultMemCap
	p.lastProj.Store(time.Now().UnixNano())
	p.kick = make(chan struct{}, 1)
	p.done = make(chan struct{})
	p.changed = make(chan struct{})
	return nil
}

// advanceCommitted hands over ops just made durable (in hub_seq order,
// up to seq) and wakes the projector.
func (p *projection) advanceCommitted(seq int64, ops []projected) {
	p.lastIngest.Store(time.Now().UnixNano())
	p.mu.Lock()
	if p.memOK && len(p.mem)+len(ops) > p.memCap {
		p.mem, p.memOK = nil, false // the projector reads the database until it catches up
	}
	if p.memOK {
		p.mem = append(p.mem, ops...)
	}
	if seq > p.committed.Load() {
		p.committed.Store(seq)
	}
	p.mu.Unlock()
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// lastProjected is when the projector last committed.
func (p *projection) lastProjected() time.Time { return time.Unix(0, p.lastProj.Load()) }

func (p *projection) advanceProjected(seq int64, n int) {
	p.lastProj.Store(time.Now().UnixNano())
	p.projected.Store(seq)
	p.count.Add(int64(n))
	p.mu.Lock()
	close(p.changed)
	p.changed = make(chan struct{})
	p.mu.Unlock()
}

// Flush waits until every op that was durable when it was called has been
// projected: a caller that merged ops (or the hub's own facts) and then
// reads the tracking index sees them.
func (m *Merger) Flush(ctx context.Context) error {
	target := m.proj.committed.Load()
	for {
		m.proj.mu.Lock()
		ch := m.proj.changed
		m.proj.mu.Unlock()
		if m.proj.projected.Load() >= target {
			return nil
		}
		select {
		case m.proj.kick <- struct{}{}:
		default:
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-m.proj.done:
			if m.proj.projected.Load() >= target {
				return nil
			}
			return ErrClosed
		}
	}
}

func (m *Merger) projectLoop() {
	defer close(m.proj.done)
	defer m.finishProjection()
	tick := time.NewTicker(projectIdle)
	defer tick.Stop()
	ctx := context.Background()
	for {
		select {
		case <-m.stop:
			return
		case <-m.proj.kick:
		case <-tick.C:
			// Another process (a cunyou-hub command run beside the
			// server) may have merged or projected ops.
			if err := m.proj.resync(ctx, m.st); err != nil {
				m.log.Warn("merge: read projection state", "err", err)
			}
		}
		for m.proj.projected.Load() < m.proj.committed.Load() && !m.proj.paused.Load() {
			// Uploads first: wait for a pause in their commits.
			if wait := time.Duration(m.proj.lastIngest.Load() + int64(ingestGap) - time.Now().UnixNano()); wait > 0 &&
				m.proj.committed.Load()-m.proj.projected.Load() < maxLag && time.Since(m.proj.lastProjected()) < maxStale {
				select {
				case <-m.stop:
					return
				case <-time.After(wait):
				}
				continue
			}
			select {
			case <-m.stop:
				return
			default:
			}
			n, err := m.projectOnce(ctx)
			if err == nil && n == 0 {
				// Nothing to read though the counters differ: take them
				// from the database and wait for the next wake-up.
				if err := m.proj.resync(ctx, m.st); err != nil {
					m.log.Warn("merge: read projection state", "err", err)
				}
				break
			}
			if err != nil {
				if errors.Is(err, errMoved) {
					if err := m.proj.resync(ctx, m.st); err != nil {
						m.log.Warn("merge: read projection state", "err", err)
					}
					continue
				}
				m.log.Error("merge: projection failed; retrying", "err", err)
				select {
				case <-m.stop:
					return
				case <-time.After(projectIdle):
				}
				break
			}
		}
	}
}

// finishProjection, at Close, projects what the writer made durable, so a
// hub stopped cleanly leaves its tracking index complete (a hub killed
// instead catches up when it starts again).
func (m *Merger) finishProjection() {
	<-m.done // the writer's last commit
	ctx := context.Background()
	for m.proj.projected.Load() < m.proj.committed.Load() && !m.proj.paused.Load() {
		n, err := m.projectOnce(ctx)
		if errors.Is(err, errMoved) || err == nil && n == 0 {
			// Another process projected meanwhile.
			before := m.proj.projected.Load()
			if err := m.proj.resync(ctx, m.st); err != nil || m.proj.projected.Load() == before {
				return
			}
			continue
		}
		if err != nil {
			m.log.Error("merge: projection at shutdown failed; it resumes at the next start", "err", err)
			return
		}
	}
}

const qSelProject = `SELECT o.hub_seq, o.stream, o.received_ms, coalesce(c.node, 'HUB'), coalesce(c.incarnation, 'hub'), o.seq, o.v, o.hlc, o.actor, o.kind, o.payload
	FROM ops o LEFT JOIN cursors c ON c.stream = o.stream
	WHERE o.hub_seq > ? AND o.applied = 1 ORDER BY o.hub_seq LIMIT ?`

type projected struct {
	hubSeq     int64
	stream     int64 // ops.stream: the node's incarnation, 0 for the hub's own facts
	receivedMs int64 // ops.received_ms
	p          prepared
}

// fromMemory takes the next chunk of ops after from out of the hand-over,
// or reports that the projector must read the database.
func (p *projection) fromMemory(from int64) ([]projected, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.memOK || from < p.memFrom {
		return nil, false
	}
	i := 0
	for i < len(p.mem) && p.mem[i].hubSeq <= from {
		i++ // projected already from the database
	}
	n := min(len(p.mem)-i, projectChunk)
	chunk := slices.Clone(p.mem[i : i+n])
	p.mem = p.mem[i+n:]
	if len(p.mem) == 0 {
		p.mem = nil // let the backing array go
	}
	return chunk, true
}

// errMoved: another process projected ops meanwhile.
var errMoved = errors.New("merge: the projection moved under the projector")

// resync reads the projection's position and the newest durable op from
// the database, for ops another process merged or projected. Ops merged
// elsewhere were not handed over in memory: the projector reads the
// database until it has caught up.
func (p *projection) resync(ctx context.Context, st *store.Store) error {
	var committed, projected int64
	if err := st.DB().QueryRowContext(ctx, "SELECT coalesce(max(hub_seq), 0) FROM ops WHERE applied = 1").Scan(&committed); err != nil {
		return err
	}
	if err := st.DB().QueryRowContext(ctx, "SELECT projected_seq FROM hub WHERE id = 1").Scan(&projected); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if committed > p.committed.Load() {
		p.committed.Store(committed)
		p.mem, p.memOK = nil, false
	}
	if projected > p.projected.Load() {
		p.projected.Store(projected)
		close(p.changed)
		p.changed = make(chan struct{})
	}
	return nil
}

// caughtUp notes the projector has projected up to seq from the database;
// once that is all that was committed, the hand-over starts again.
func (p *projection) caughtUp(seq int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.memOK && seq >= p.committed.Load() {
		p.mem, p.memFrom, p.memOK = nil, seq, true
	}
}

// projectOnce projects the next chunk of durable ops and returns how many.
func (m *Merger) projectOnce(ctx context.Context) (int, error) {
	from := m.proj.projected.Load()
	if chunk, ok := m.proj.fromMemory(from); ok && len(chunk) > 0 {
		return m.projectChunks(ctx, from, chunk)
	}
	// Not handed over (after a restart, an overflow, or ops another
	// process merged): read them.
	rows, err := m.st.DB().QueryContext(ctx, qSelProject, from, projectChunk)
	if err != nil {
		return 0, err
	}
	var chunk []projected
	for rows.Next() {
		var x projected
		op := &x.p.op
		var hlc int64
		var kind string
		if err := rows.Scan(&x.hubSeq, &x.stream, &x.receivedMs, &op.Node, &op.Incarnation, &op.Seq, &op.V, &hlc, &op.Actor, &kind, &op.Payload); err != nil {
			rows.Close()
			return 0, err
		}
		op.HLC, op.Kind = syncproto.Timestamp(hlc), syncproto.EventKind(kind)
		chunk = append(chunk, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if len(chunk) == 0 {
		return 0, nil
	}
	for i := range chunk {
		p := &chunk[i].p
		p.op = convert(p.op)
		p.payload, p.dead = decode(&p.op)
	}
	n, err := m.projectChunks(ctx, from, chunk)
	if err == nil {
		m.proj.caughtUp(chunk[len(chunk)-1].hubSeq)
	}
	return n, err
}

// projectChunks projects chunk, setting aside an op that cannot be.
func (m *Merger) projectChunks(ctx context.Context, from int64, chunk []projected) (int, error) {
	err := m.projectChunk(ctx, from, chunk)
	if err == nil || transient(err) {
		return len(chunk), err
	}
	// One op the projection cannot apply must not hold up the ones behind
	// it: find it by projecting one op a transaction, keep it for a
	// dispatcher, and go on.
	for i := range chunk {
		err := m.projectChunk(ctx, m.proj.projected.Load(), chunk[i:i+1])
		if err == nil {
			continue
		}
		if transient(err) {
			return i, err
		}
		x := &chunk[i]
		m.log.Error("merge: op cannot be projected; kept as an exception", "node", x.p.op.Node, "inc", x.p.op.Incarnation,
			"seq", x.p.op.Seq, "kind", x.p.op.Kind, "err", err)
		x.p.dead = &syncproto.Error{Code: syncproto.CodeInternal, Msg: err.Error()}
		if err := m.projectChunk(ctx, m.proj.projected.Load(), chunk[i:i+1]); err != nil {
			return i, err
		}
	}
	return len(chunk), nil
}

// transient reports whether a projection error may go away by itself (a
// full disk, a lock, an I/O error): the projector then retries the same
// ops later rather than setting one aside.
func transient(err error) bool {
	for _, k := range []error{store.ErrDiskFull, store.ErrLocked, store.ErrIO, store.ErrReadOnly, store.ErrCorrupt,
		context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}

// projectChunk projects chunk, which follows hub_seq from, in one
// transaction with the projection's new position. An op with dead set is
// recorded as an exception instead.
func (m *Merger) projectChunk(ctx context.Context, from int64, chunk []projected) error {
	last := chunk[len(chunk)-1].hubSeq
	var c counts
	start := time.Now()
	err := m.st.Write(ctx, func(tx *sql.Tx) error {
		w := &writer{ctx: ctx, tx: tx, m: m, nowMs: m.st.Now().UnixMilli(), stmts: map[string]*sql.Stmt{}}
		defer w.close()
		var cur int64
		if err := tx.QueryRowContext(ctx, "SELECT projected_seq FROM hub WHERE id = 1").Scan(&cur); err != nil {
			return err
		}
		if cur != from {
			return fmt.Errorf("%w: from %d to %d", errMoved, from, cur)
		}
		for i := range chunk {
			x := &chunk[i]
			w.cur = x
			if x.p.dead != nil {
				// A build that can no longer read an op it merged, or a
				// projection that fails on it: kept for a dispatcher.
				if err := w.exception("", "", fmt.Sprintf("cannot project %s: %s", x.p.op.Kind, x.p.dead.Msg),
					opRef(x.p.op.Node, x.p.op.Incarnation, x.p.op.Seq)); err != nil {
					return err
				}
				continue
			}
			if err := w.project(&x.p); err != nil {
				return fmt.Errorf("project %s/%s/%d: %w", x.p.op.Node, x.p.op.Incarnation, x.p.op.Seq, err)
			}
		}
		if err := w.insertRows(qInsFacts, factCols, "", w.facts, nil); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE hub SET projected_seq = ? WHERE id = 1", last); err != nil {
			return err
		}
		c = w.c
		return nil
	})
	m.busyNs.Add(int64(time.Since(start)))
	if err != nil {
		return fmt.Errorf("merge: projection: %w", err)
	}
	m.exceptions.Add(c.exceptions)
	m.proj.advanceProjected(last, len(chunk))
	if m.o.Projected != nil {
		m.o.Projected()
	}
	return nil
}
