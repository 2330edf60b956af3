package merge

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"cunyou/hub/store"
	"cunyou/syncproto"
)

// A dead letter is an op the hub held durably but refused to apply: its
// envelope or hash did not verify, its kind is unknown or hub-only, its
// version is newer than this build, or its payload broke a rule of
// validate.go. All of these are judgements of the hub's build on the
// op's own bytes, which never change. So a retry means: judge the op
// again with the build running now. It goes through once the hub was
// upgraded to understand it (a station's newer edge sent a kind an older
// hub did not know, a rule was relaxed); with the same build it fails
// again for the same reason, and stays a dead letter with that reason
// and one more attempt.
//
// An op that goes through keeps its identity and content; it takes a new
// place at the end of the hub's order of receipt (a new hub_seq, see
// migration 0014) and is projected after everything the hub received
// before the retry: the hub's receipt order stays the authority, and the
// projector still follows hub_seq.

// RetryResult is what a retry did.
type RetryResult struct {
	Applied bool
	// Code and Reason: why the op is still refused (when not Applied).
	Code   syncproto.Code
	Reason string
}

// retryJob is a retry handed to the writer; res is set before done.
type retryJob struct {
	node, inc   string
	seq         uint64
	actor, note string
	res         RetryResult
}

// Retry judges dead letter (node, inc, seq) again and applies it when it
// now passes, in the writer's transaction; then waits for the
// projection. actor and note are recorded on the dead letter when it is
// applied. store.ErrNotFound: no such dead letter; store.ErrResolved: it
// was applied or discarded before.
func (m *Merger) Retry(ctx context.Context, node, inc string, seq uint64, actor, note string) (RetryResult, error) {
	job := &retryJob{node: node, inc: inc, seq: seq, actor: actor, note: note}
	r := &request{node: node, inc: inc, retry: job, done: make(chan response, 1)}
	select {
	case m.queue <- r:
	case <-m.stop:
		return RetryResult{}, ErrClosed
	case <-ctx.Done():
		return RetryResult{}, ctx.Err()
	}
	var resp response
	select {
	case resp = <-r.done:
	case <-m.done:
		select {
		case resp = <-r.done:
		default:
			return RetryResult{}, ErrClosed
		}
	}
	if resp.err != nil {
		return RetryResult{}, resp.err
	}
	if job.res.Applied {
		if err := m.Flush(ctx); err != nil {
			return job.res, err
		}
	}
	return job.res, nil
}

// judge checks one op as prepare does, for a retry.
func (m *Merger) judge(op syncproto.Op) prepared {
	p := prepared{op: op}
	if err := op.Verify(); err != nil {
		var pe *syncproto.Error
		if !errors.As(err, &pe) {
			pe = &syncproto.Error{Code: syncproto.CodeBadOp, Msg: err.Error()}
		}
		p.dead = pe
		return p
	}
	p.op = convert(op)
	if op.Kind.HubOnly() {
		p.dead = &syncproto.Error{Code: syncproto.CodeWrongNode, Msg: fmt.Sprintf("only the hub records %s", op.Kind)}
		return p
	}
	p.payload, p.dead = decode(&p.op)
	return p
}

// retryDead runs a retry in the writer's transaction. A dead letter that
// cannot be retried is refused before anything is written.
func (w *writer) retryDead(j *retryJob) error {
	ctx := w.ctx
	var state string
	var hubSeq, stream, received int64
	var hlc int64
	var kind string
	op := syncproto.Op{Node: j.node, Incarnation: j.inc, Seq: j.seq}
	err := w.tx.QueryRowContext(ctx, `SELECT d.state, o.hub_seq, o.stream, o.received_ms, o.v, o.hlc, o.actor, o.kind, o.payload, o.hash
		FROM dead_letters d JOIN cursors c ON c.node = d.node AND c.incarnation = d.incarnation
		JOIN ops o ON o.stream = c.stream AND o.seq = d.seq
		WHERE d.node = ? AND d.incarnation = ? AND d.seq = ?`, j.node, j.inc, int64(j.seq)).
		Scan(&state, &hubSeq, &stream, &received, &op.V, &hlc, &op.Actor, &kind, &op.Payload, &op.Hash)
	if errors.Is(err, sql.ErrNoRows) {
		return &refusal{fmt.Errorf("%w: no dead letter %s/%s/%d", store.ErrNotFound, j.node, j.inc, j.seq)}
	}
	if err != nil {
		return err
	}
	if state != store.DeadOpen {
		return &refusal{fmt.Errorf("%w: dead letter %s/%s/%d was %s", store.ErrResolved, j.node, j.inc, j.seq, state)}
	}
	op.HLC, op.Kind = syncproto.Timestamp(hlc), syncproto.EventKind(kind)
	p := w.m.judge(op)
	if p.dead != nil {
		j.res = RetryResult{Code: p.dead.Code, Reason: p.dead.Msg}
		_, err := w.tx.ExecContext(ctx, `UPDATE dead_letters SET code = ?, reason = ?, attempts = attempts + 1, retried_ms = ?
			WHERE node = ? AND incarnation = ? AND seq = ?`, int(p.dead.Code), p.dead.Msg, w.nowMs, j.node, j.inc, int64(j.seq))
		return err
	}
	var next int64
	if err := w.tx.QueryRowContext(ctx, "SELECT max(hub_seq) + 1 FROM ops").Scan(&next); err != nil {
		return err
	}
	if _, err := w.tx.ExecContext(ctx, "UPDATE ops SET applied = 1, hub_seq = ? WHERE hub_seq = ?", next, hubSeq); err != nil {
		return err
	}
	if _, err := w.tx.ExecContext(ctx, `UPDATE dead_letters SET state = 'applied', attempts = attempts + 1, retried_ms = ?1,
		handled_by = ?2, handled_ms = ?1, note = ?3 WHERE node = ?4 AND incarnation = ?5 AND seq = ?6`,
		w.nowMs, j.actor, j.note, j.node, j.inc, int64(j.seq)); err != nil {
		return err
	}
	j.res = RetryResult{Applied: true}
	w.lastHubSeq = max(w.lastHubSeq, next)
	w.handOver = append(w.handOver, projected{hubSeq: next, stream: stream, receivedMs: received, p: p})
	w.c.applied++
	return nil
}
