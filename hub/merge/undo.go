package merge

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"cunyou/syncproto"
)

// An operator undid a station's last inbound scan (parcel.inbound_undone):
// the parcel was never really there. The hub puts it back to the status
// it had before that inbound, keeps both facts in the timeline, tells the
// carrier (webhook inbound_undone), and cancels the arrival notice of that
// inbound if it has not gone yet. The
// notice is keyed apart, so that a new scan-in, at that station or
// another, notifies afresh.

// undoneBack marks, in an undo's timeline detail, the status the parcel
// went back to; a later undo reads it (statusBeforeInbound).
const undoneBack = "; back to "

// qUndoArrival re-keys the arrival notice of an inbound undone (?1: the
// undo's hub_seq, ?2 waybill, ?3 station), cancelling it unless sent.
const qUndoArrival = `UPDATE notices SET key = key || '/undone/' || ?1,
	reason = CASE WHEN state = 'pending' THEN 'inbound undone' ELSE reason END,
	state = CASE WHEN state = 'pending' THEN 'cancelled' ELSE state END
	WHERE key = 'arrival/' || ?2 || '/' || ?3`

// qUndoQueuedSMS gives up the message of an arrival undone (?2: its
// notice's new key) while no gateway has it yet: it is not sent
// (hub/notify sends only a message still queued). Its text tells the
// parcel's code, so it goes even when it tells of other parcels too;
// their notices go back to pending (qUndoRequeue) and hub/notify makes
// them a message without the parcel undone (those still at the station;
// the others are cancelled, qUndoOthersGone). A message a stop caught
// mid-send (hub/notify's error code interrupted) may have reached its
// gateway: it is left to hub/notify, which asks the gateway first.
const qUndoQueuedSMS = `UPDATE sms_messages SET state = 'dead', error_code = 'cancelled', error = 'inbound undone', final_ms = ?1
	WHERE state = 'queued' AND error_code <> 'interrupted' AND id = (SELECT message FROM notices WHERE key = ?2 AND state = 'sent')`

// qUndoRequeue puts the other notices of that message (?1: the undone
// notice's key) back to pending, those of parcels still at the station.
const qUndoRequeue = `UPDATE notices SET state = 'pending', message = 0
	WHERE key <> ?1 AND state = 'sent' AND message = (SELECT message FROM notices WHERE key = ?1 AND state = 'sent')
	AND EXISTS (SELECT 1 FROM parcels p WHERE p.waybill = notices.waybill AND p.direction = 'in' AND p.node = notices.station
		AND p.status IN ('at_station', 'problem'))`

// qUndoOthersGone cancels the rest, as a pickup (or a return, a loss)
// would have cancelled them had they been pending.
const qUndoOthersGone = `UPDATE notices SET state = 'cancelled', reason = coalesce((SELECT CASE p.status WHEN 'picked_up' THEN 'picked up'
		WHEN 'returning' THEN 'returning' WHEN 'lost' THEN 'lost' END FROM parcels p WHERE p.waybill = notices.waybill AND p.direction = 'in'),
		'not at the station')
	WHERE key <> ?1 AND state = 'sent' AND message = (SELECT message FROM notices WHERE key = ?1 AND state = 'sent')`

// qUndoSentNotice marks the undone notice cancelled with its message.
const qUndoSentNotice = `UPDATE notices SET state = 'cancelled', reason = 'inbound undone' WHERE key = ?1 AND state = 'sent'`

func (w *writer) projectUndone(op *syncproto.Op, v *syncproto.ParcelInboundUndone) error {
	cur, err := w.parcel(v.Waybill, "in")
	if err != nil {
		return err
	}
	detail := fmt.Sprintf("inbound undone: code %s shelf %d-%d given up", v.Code, v.Shelf, v.Layer)
	if !cur.found || cur.status != StatusAtStation || cur.node != op.Node {
		// Not the parcel the station had on its shelf as far as the hub
		// knows (picked up meanwhile, another station has it): the rules
		// in fact keep the row and raise the exception.
		return w.fact(op, v.Waybill, "in", cur, "", cur.node, detail, nil)
	}
	before, holder, err := w.statusBeforeInbound(v.Waybill)
	if err != nil {
		return err
	}
	detail += undoneBack + orDash(before)
	if _, err := w.tx.ExecContext(w.ctx, qUndoArrival, w.cur.hubSeq, v.Waybill, op.Node); err != nil {
		return err
	}
	key := fmt.Sprintf("arrival/%s/%s/undone/%d", v.Waybill, op.Node, w.cur.hubSeq)
	res, err := w.tx.ExecContext(w.ctx, qUndoQueuedSMS, w.nowMs, key)
	if err != nil {
		return err
	}
	if gone, err := res.RowsAffected(); err != nil {
		return err
	} else if gone > 0 {
		for _, q := range []string{qUndoRequeue, qUndoOthersGone} {
			if _, err := w.tx.ExecContext(w.ctx, q, key); err != nil {
				return err
			}
		}
		if _, err := w.tx.ExecContext(w.ctx, qUndoSentNotice, key); err != nil {
			return err
		}
	}
	if err := w.timeline(v.Waybill, "in", detail); err != nil {
		return err
	}
	next := cur
	next.status, next.node, next.code = before, holder, ""
	if err := w.writeParcel(op, v.Waybill, "in", next); err != nil {
		return err
	}
	// The carrier heard of the arrival: it hears it was a mistake.
	return w.notify(op, "inbound_undone", v.Waybill, next, map[string]any{"station": op.Node, "status": before})
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// statusBeforeInbound replays the statuses a parcel's facts gave it, up
// to its last inbound: the status it had just before (a parcel the hub
// knew nothing of before gets "") and the node that held it then (the
// centre for a parcel there or loaded, "" on the road). Facts of this
// batch are not in the table yet: they are read from the writer's queue.
func (w *writer) statusBeforeInbound(waybill string) (status, holder string, err error) {
	type fact struct {
		kind, detail string
		stream       int64
	}
	var facts []fact
	rows, err := w.tx.QueryContext(w.ctx, "SELECT kind, detail, stream FROM facts WHERE waybill = ? AND direction = 'in' ORDER BY hub_seq, id", waybill)
	if err != nil {
		return "", "", err
	}
	for rows.Next() {
		var f fact
		if err := rows.Scan(&f.kind, &f.detail, &f.stream); err != nil {
			rows.Close()
			return "", "", err
		}
		facts = append(facts, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", "", err
	}
	for i := 0; i+factCols <= len(w.facts); i += factCols {
		if w.facts[i] == waybill && w.facts[i+1] == "in" {
			facts = append(facts, fact{kind: w.facts[i+4].(string), detail: w.facts[i+3].(string), stream: w.facts[i+5].(int64)})
		}
	}
	last := -1
	for i, f := range facts {
		if syncproto.EventKind(f.kind) == syncproto.KindParcelInbound {
			last = i
		}
	}
	// held: the stream of the op that made the node holding the parcel
	// its holder, -1 for none.
	held := int64(-1)
	for _, f := range facts[:max(last, 0)] {
		switch syncproto.EventKind(f.kind) {
		case syncproto.KindParcelManifested:
			if status == "" {
				status = StatusManifested
			}
		case syncproto.KindParcelAtCentre:
			status, held = StatusAtCentre, f.stream
			if strings.HasPrefix(f.detail, "sorted to ") {
				status = StatusSorted
			}
		case syncproto.KindParcelLoaded:
			status, held = StatusLoaded, f.stream
		case syncproto.KindTripDeparted:
			status, held = StatusInTransit, -1
		case syncproto.KindParcelInbound:
			status, held = StatusAtStation, f.stream
		case syncproto.KindParcelInboundUndone:
			if i := strings.LastIndex(f.detail, undoneBack); i >= 0 {
				if status = f.detail[i+len(undoneBack):]; status == "-" {
					status = ""
				}
				held = -1 // not told by its detail
			}
		case syncproto.KindParcelProblem:
			status = StatusProblem
		case syncproto.KindParcelsReturned, syncproto.KindParcelCollected:
			status, held = StatusReturning, f.stream
		case syncproto.KindParcelLost:
			status = StatusLost
		}
	}
	if held > 0 { // stream 0, the hub's own facts, never holds a parcel
		if err := w.tx.QueryRowContext(w.ctx, "SELECT node FROM cursors WHERE stream = ?", held).Scan(&holder); err != nil &&
			!errors.Is(err, sql.ErrNoRows) {
			return "", "", err
		}
	}
	return status, holder, nil
}
