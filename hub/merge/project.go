package merge

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"cunyou/syncproto"
)

// Parcel statuses the projection derives (DESIGN §2).
const (
	StatusAtStation = "at_station"
	StatusPickedUp  = "picked_up"
	StatusAccepted  = "accepted"
	StatusProblem   = "problem"
	StatusReturning = "returning"
)

// The hub's fixed rules when facts meet (DESIGN §2: keep both, derive a
// best status, raise an exception):
//
//  1. Every applied fact goes into the parcel's timeline, whatever else.
//  2. picked_up is final: once a villager has the parcel, no later fact of
//     another kind changes its status or where it is.
//  3. Otherwise the fact the hub received last decides the status and the
//     node holding the parcel (the hub's receipt order is the authority,
//     not node clocks).
//  4. An exception is raised when a fact comes from another node than the
//     one holding the parcel, or when the node's own rules could not have
//     produced it after the parcel's current status (a pickup of a parcel
//     never scanned in, a second pickup, an inbound after pickup).

// allowedAfter mirrors the edge's transition rules: may ev follow status
// cur ("" when the hub has no row) at the same node?
func allowedAfter(cur string, ev syncproto.EventKind) bool {
	switch ev {
	case syncproto.KindParcelInbound:
		// A re-scan at the same station (a restored PC scanning its
		// shelves again) is no contradiction; only a pickup is final.
		return cur != StatusPickedUp
	case syncproto.KindParcelAccepted:
		return cur == "" || cur == StatusAccepted
	case syncproto.KindParcelsPickedUp:
		return cur == StatusAtStation
	case syncproto.KindParcelProblem:
		return cur == StatusAtStation || cur == StatusProblem || cur == StatusAccepted
	case syncproto.KindParcelsReturned:
		return cur == StatusAtStation || cur == StatusProblem
	case syncproto.KindStocktake: // a relocation
		return cur == StatusAtStation || cur == StatusProblem
	}
	return false
}

// parcelRow is a row of parcels.
type parcelRow struct {
	found                       bool
	carrier, status, node       string
	receiverName, receiverPhone string
	code                        string
	lastOp                      string // node/inc/seq of the op that last changed it
}

func (w *writer) parcel(waybill, direction string) (parcelRow, error) {
	var r parcelRow
	err := w.stmt(qSelParcel).QueryRowContext(w.ctx, waybill, direction).Scan(&r.carrier, &r.status, &r.node,
		&r.receiverName, &r.receiverPhone, &r.code, &r.lastOp)
	if errors.Is(err, sql.ErrNoRows) {
		return r, nil
	}
	r.found = err == nil
	return r, err
}

// parcelEither finds a waybill inbound first, then outbound; a parcel
// unknown to the hub is taken as inbound.
func (w *writer) parcelEither(waybill string) (parcelRow, string, error) {
	r, err := w.parcel(waybill, "in")
	if err != nil || r.found {
		return r, "in", err
	}
	out, err := w.parcel(waybill, "out")
	if err != nil || out.found {
		return out, "out", err
	}
	return r, "in", nil
}

func opRef(node, inc string, seq uint64) string { return fmt.Sprintf("%s/%s/%d", node, inc, seq) }

// fact applies one fact about a parcel: timeline, rules, exception, row.
// status is the status the fact leads to ("" keeps the current one);
// update, if set, fills the row's other fields.
func (w *writer) fact(op *syncproto.Op, waybill, direction string, cur parcelRow, status, detail string, update func(*parcelRow)) error {
	ctx := w.ctx
	if err := w.timeline(waybill, direction, detail); err != nil {
		return err
	}
	var reason string
	switch {
	case cur.found && cur.node != op.Node:
		reason = fmt.Sprintf("%s at %s while the hub has it %s at %s", op.Kind, op.Node, cur.status, cur.node)
	case !allowedAfter(cur.status, op.Kind):
		if cur.found {
			reason = fmt.Sprintf("%s at %s after %s", op.Kind, op.Node, cur.status)
		} else {
			reason = fmt.Sprintf("%s at %s of a parcel the hub has no record of", op.Kind, op.Node)
		}
	}
	if reason != "" {
		refs := opRef(op.Node, op.Incarnation, op.Seq)
		if cur.found {
			refs = cur.lastOp + " " + refs
		}
		if err := w.exception(waybill, direction, reason, refs); err != nil {
			return err
		}
	}
	next := cur
	if status != "" && cur.status != StatusPickedUp || status == StatusPickedUp {
		next.status, next.node = status, op.Node
	}
	if !cur.found && next.status == "" {
		// A relocation of a parcel the hub never saw: no row to make.
		return nil
	}
	if update != nil {
		update(&next)
	}
	_, err := w.stmt(qUpsParcel).ExecContext(ctx, waybill, direction, next.carrier, next.status, next.node, next.receiverName,
		next.receiverPhone, next.code, int64(op.HLC), w.nowMs, w.hubSeq)
	return err
}

// insertParcel is the fast path of the first fact about a parcel: one
// INSERT, which does nothing when the hub has a row already.
func (w *writer) insertParcel(op *syncproto.Op, waybill, direction string, r parcelRow, detail string) (bool, error) {
	res, err := w.stmt(qInsParcel).ExecContext(w.ctx, waybill, direction, r.carrier, r.status, op.Node, r.receiverName,
		r.receiverPhone, r.code, int64(op.HLC), w.nowMs, w.hubSeq)
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	return true, w.timeline(waybill, direction, detail)
}

// step is the fast path of a fact at the node holding an inbound parcel,
// in a status the node's rules allow it after: one conditional UPDATE (q,
// one of the qStep statements). When it changes nothing, the caller takes
// the slow path (fact).
func (w *writer) step(op *syncproto.Op, q, waybill, detail string) (bool, error) {
	res, err := w.stmt(q).ExecContext(w.ctx, int64(op.HLC), w.nowMs, w.hubSeq, waybill, op.Node)
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	return true, w.timeline(waybill, "in", detail)
}

// exception raises a case for a dispatcher; refs names the ops involved.
func (w *writer) exception(waybill, direction, reason, refs string) error {
	if _, err := w.stmt(qInsExcept).ExecContext(w.ctx, waybill, direction, reason, refs, w.nowMs); err != nil {
		return err
	}
	w.c.exceptions++
	return nil
}

func (w *writer) timeline(waybill, direction, detail string) error {
	w.facts = append(w.facts, waybill, direction, w.hubSeq, detail)
	return nil
}

// nodeFact records a fact of the node only (no parcel).
func (w *writer) nodeFact(op *syncproto.Op, detail string) error {
	return w.timeline("", "", detail)
}

// project applies one op to the tracking index: the common case by a
// fast path of one statement, anything else by the rules in fact. Details
// in the timeline never hold a phone or ID number.
func (w *writer) project(p *prepared) error {
	op := &p.op
	switch v := p.payload.(type) {
	case *syncproto.ParcelInbound:
		detail := fmt.Sprintf("code %s shelf %d-%d", v.Code, v.Shelf, v.Layer)
		row := parcelRow{carrier: v.Carrier, status: StatusAtStation, receiverName: v.ReceiverName, receiverPhone: v.ReceiverPhone, code: v.Code}
		if ok, err := w.insertParcel(op, v.Waybill, "in", row, detail); ok || err != nil {
			return err
		}
		cur, err := w.parcel(v.Waybill, "in")
		if err != nil {
			return err
		}
		return w.fact(op, v.Waybill, "in", cur, StatusAtStation, detail, func(r *parcelRow) {
			if r.status != StatusAtStation || r.node != op.Node {
				return // rule 2: a picked-up parcel keeps its row
			}
			r.carrier, r.code = v.Carrier, v.Code
			if v.ReceiverPhone != "" {
				r.receiverPhone, r.receiverName = v.ReceiverPhone, v.ReceiverName
			}
		})
	case *syncproto.ParcelsPickedUp:
		detail := "collector " + v.Collector.Kind
		if v.Collector.IDLast4 != "" {
			detail += " id ****" + v.Collector.IDLast4
		}
		if v.PhotoSHA256 != "" {
			detail += " photo " + v.PhotoSHA256
		}
		for _, wb := range v.Waybills {
			if ok, err := w.step(op, qStepPickedUp, wb, detail); err != nil {
				return err
			} else if ok {
				continue
			}
			cur, err := w.parcel(wb, "in")
			if err != nil {
				return err
			}
			if err := w.fact(op, wb, "in", cur, StatusPickedUp, detail, nil); err != nil {
				return err
			}
		}
	case *syncproto.ParcelAccepted:
		detail := fmt.Sprintf("to %s %d g %d fen", v.Receiver.Province, v.WeightGrams, v.PriceFen)
		row := parcelRow{carrier: v.Carrier, status: StatusAccepted, receiverName: v.Receiver.Name, receiverPhone: v.Receiver.Phone}
		if ok, err := w.insertParcel(op, v.Waybill, "out", row, detail); ok || err != nil {
			return err
		}
		cur, err := w.parcel(v.Waybill, "out")
		if err != nil {
			return err
		}
		return w.fact(op, v.Waybill, "out", cur, StatusAccepted, detail, func(r *parcelRow) {
			r.carrier = v.Carrier
			r.receiverName, r.receiverPhone = v.Receiver.Name, v.Receiver.Phone
		})
	case *syncproto.ParcelProblem:
		detail := v.Reason
		if v.Text != "" {
			detail += ": " + v.Text
		}
		if ok, err := w.step(op, qStepProblem, v.Waybill, detail); ok || err != nil {
			return err
		}
		cur, dir, err := w.parcelEither(v.Waybill)
		if err != nil {
			return err
		}
		return w.fact(op, v.Waybill, dir, cur, StatusProblem, detail, nil)
	case *syncproto.ParcelsReturned:
		for _, wb := range v.Waybills {
			if ok, err := w.step(op, qStepReturning, wb, v.Reason); err != nil {
				return err
			} else if ok {
				continue
			}
			cur, dir, err := w.parcelEither(wb)
			if err != nil {
				return err
			}
			if err := w.fact(op, wb, dir, cur, StatusReturning, v.Reason, nil); err != nil {
				return err
			}
		}
	case *syncproto.Stocktake:
		detail := fmt.Sprintf("shelf %d: expected %d scanned %d missing %d unexpected %d misplaced %d",
			v.Shelf, v.Expected, v.Scanned, len(v.Missing), len(v.Unexpected), len(v.Misplaced))
		if err := w.nodeFact(op, detail); err != nil {
			return err
		}
		for _, r := range v.Relocations {
			detail := fmt.Sprintf("relocated shelf %d-%d → %d-%d", r.FromShelf, r.FromLayer, r.ToShelf, r.ToLayer)
			if ok, err := w.step(op, qStepRelocated, r.Waybill, detail); err != nil {
				return err
			} else if ok {
				continue
			}
			cur, dir, err := w.parcelEither(r.Waybill)
			if err != nil {
				return err
			}
			if err := w.fact(op, r.Waybill, dir, cur, "", detail, nil); err != nil {
				return err
			}
		}
	case *syncproto.DayClosed:
		return w.nodeFact(op, fmt.Sprintf("day %s in %d out %d sent %d problems %d returns %d on shelf %d mismatch %d", v.Date,
			v.Total.In, v.Total.Out, v.Total.Sent, v.Total.Problems, v.Total.Returns, v.Total.OnShelf, v.Mismatch))
	case *syncproto.OperatorChanged:
		var flags []string
		for _, f := range []struct {
			on   bool
			name string
		}{{v.Created, "created"}, {v.Disabled, "disabled"}, {v.SecretChanged, "secret changed"}, {v.Unlocked, "unlocked"}} {
			if f.on {
				flags = append(flags, f.name)
			}
		}
		return w.nodeFact(op, strings.TrimSpace(fmt.Sprintf("operator %s (%s) %s", v.Username, v.Role, strings.Join(flags, ", "))))
	case *syncproto.ShelvesSet:
		return w.nodeFact(op, fmt.Sprintf("%d shelves", len(v.Shelves)))
	case *syncproto.SettingsSet:
		return w.nodeFact(op, fmt.Sprintf("overdue after %d days, return after %d days", v.OverdueDays, v.ReturnDays))
	default:
		return fmt.Errorf("merge: no projection for %T", p.payload)
	}
	return nil
}
