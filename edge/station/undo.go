package station

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"cunyou/edge/store"
	"cunyou/syncproto"
	"cunyou/waybill"
)

// StatusUndone is the status of a parcel whose inbound was undone: off the
// shelves, as if it had not been scanned in. A new scan shelves it again.
const StatusUndone = "inbound_undone"

// Codes of an undo of the last inbound scan.
const (
	CodeUndoNothing   Code = "undo_nothing"    // the operator has scanned nothing in
	CodeUndoNotLast   Code = "undo_not_last"   // not the operator's last scan
	CodeUndoMoved     Code = "undo_moved"      // something happened to the parcel since
	CodeUndoDone      Code = "undo_done"       // undone already
	CodeUndoTooLate   Code = "undo_too_late"   // scanned in before today
	CodeUndoDayClosed Code = "undo_day_closed" // counted in a closed day
)

// UndoInbound undoes actor's last inbound scan, which must be of rawWaybill
// (the page names what it shows, so that a scan made meanwhile in another
// window is never undone by mistake): the parcel leaves the shelf, its
// slot and pickup code are free again, its sticker is no longer printed
// and the arrival SMS it owed is not sent. The inbound stays in the
// timeline; the undo is a new event, with its op, in one transaction.
//
// Only the operator's last scan of today can be undone, and only while
// nothing else has happened to the parcel (picked up, marked a problem,
// moved by a stocktake); anything later is for the problem and return
// screens.
func (s *Station) UndoInbound(ctx context.Context, actor, rawWaybill string) (Parcel, error) {
	var p Parcel
	wb, err := waybill.Normalize(rawWaybill)
	if err != nil {
		return p, &Error{Code: CodeWaybillInvalid, Err: err}
	}
	err = s.st.Write(ctx, actor, func(tx *store.Tx) error {
		var lastID, inAt int64
		var lastSeq uint64
		var lastWB string
		err := tx.QueryRowContext(ctx, `SELECT e.parcel_id, e.seq, e.at, p.waybill FROM events e JOIN parcels p ON p.id = e.parcel_id
			WHERE e.kind = ? AND e.actor = ? AND p.direction = 'in' ORDER BY e.id DESC LIMIT 1`, evInbound, actor).
			Scan(&lastID, &lastSeq, &inAt, &lastWB)
		if errors.Is(err, sql.ErrNoRows) {
			return fail(CodeUndoNothing)
		}
		if err != nil {
			return fmt.Errorf("find last scan: %w", err)
		}
		if lastWB != wb {
			return fail(CodeUndoNotLast, "waybill", wb, "last", lastWB)
		}
		cur, _, err := findParcel(ctx, tx, wb, "in")
		if err != nil {
			return err
		}
		var lastEv string
		if err := tx.QueryRowContext(ctx, "SELECT kind FROM events WHERE parcel_id = ? ORDER BY id DESC LIMIT 1", cur.id).Scan(&lastEv); err != nil {
			return err
		}
		if cur.Status == StatusUndone {
			return fail(CodeUndoDone, "waybill", wb)
		}
		if _, ok := transition(cur.Status, evUndone); !ok || lastEv != evInbound {
			return fail(CodeUndoMoved, "waybill", wb)
		}
		if day := s.st.Now().In(s.loc).Format("2006-01-02"); cur.InAt.In(s.loc).Format("2006-01-02") != day {
			return fail(CodeUndoTooLate, "waybill", wb, "when", formatTime(cur.InAt, s.loc))
		}
		// A closed day's figures have gone to the hub: a scan they count
		// stays; one made after the close counts in the next day.
		if rep, closed, err := closedReport(ctx, tx, cur.InAt.In(s.loc).Format(time.DateOnly)); err != nil {
			return err
		} else if closed && cur.InAt.Before(rep.To) {
			return fail(CodeUndoDayClosed, "waybill", wb, "date", rep.Date)
		}
		ev := syncproto.ParcelInboundUndone{Waybill: wb, Code: cur.Code, Shelf: cur.Shelf, Layer: cur.Layer, InboundSeq: lastSeq}
		op, err := tx.Append(syncproto.KindParcelInboundUndone, ev)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE parcels SET status = ?, shelf = NULL, layer = NULL, out_at = ?, out_by = NULL,
			out_operator = ? WHERE id = ?`, StatusUndone, tx.Now().UnixMilli(), tx.Actor(), cur.id); err != nil {
			return fmt.Errorf("undo inbound: %w", err)
		}
		if err := freeSlot(ctx, tx, cur.Shelf, cur.Layer); err != nil {
			return err
		}
		// A sticker not printed yet is not printed at all.
		if _, err := tx.ExecContext(ctx, "DELETE FROM print_jobs WHERE kind = ? AND waybill = ? AND status = 'queued'", PrintPickup, wb); err != nil {
			return fmt.Errorf("drop sticker: %w", err)
		}
		// The station's own arrival SMS for this scan, sent or failed for
		// good, was this scan's: a new scan is owed its own. One the modem
		// has now stays, for the restart's check.
		if _, err := tx.ExecContext(ctx, "DELETE FROM station_sms WHERE waybill = ? AND state <> 'sending'", wb); err != nil {
			return fmt.Errorf("forget station sms: %w", err)
		}
		if err := addEvent(ctx, tx, cur.id, evUndone, op.Seq, cur.Code); err != nil {
			return err
		}
		p, _, err = findParcel(ctx, tx, wb, "in")
		return err
	})
	return p, err
}
