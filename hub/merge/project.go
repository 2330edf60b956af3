package merge

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"cunyou/syncproto"
)

// Parcel statuses the projection derives (DESIGN §2). Inbound: manifested
// → at_centre (no destination yet) or sorted → loaded → in_transit →
// at_station → picked_up, or problem, returning → returned. Outbound:
// accepted → collected → handed_over.
const (
	StatusManifested = "manifested"
	StatusAtCentre   = "at_centre"
	StatusSorted     = "sorted"
	StatusLoaded     = "loaded"
	StatusInTransit  = "in_transit"
	StatusAtStation  = "at_station"
	StatusPickedUp   = "picked_up"
	StatusProblem    = "problem"
	StatusReturning  = "returning"
	StatusReturned   = "returned"
	StatusAccepted   = "accepted"
	StatusCollected  = "collected"
	StatusHandedOver = "handed_over"
	// StatusLost: a dispatcher declared the parcel lost (parcel.lost). It
	// stays with the node that last held it; found again, the next scan
	// moves it on (see allowedAfter).
	StatusLost = "lost"
)

// The hub's fixed rules when facts meet (DESIGN §2: keep both, derive a
// best status, raise an exception):
//
//  1. Every applied fact goes into the parcel's timeline, whatever else.
//  2. picked_up is final: once a villager has the parcel, no later fact of
//     another kind changes its status or where it is.
//  3. Otherwise the fact the hub received last decides the status and who
//     holds the parcel (the hub's receipt order is the authority, not node
//     clocks).
//  4. An exception is raised when a station's fact is about a parcel
//     another station holds, when a parcel arrives at another station than
//     its destination or is sorted at the centre to another one, and when
//     the rules of the network could not have produced the fact after the
//     parcel's current status (a pickup of a parcel never scanned in, a
//     second pickup, an inbound after pickup).
//  5. The hub's own facts (a manifest announced again, a destination
//     changed, a carrier's event) never move a parcel: a manifest changes
//     its details and, until the parcel is at a station, its destination.
//     A dispatcher's parcel.lost changes the status to lost and leaves the
//     parcel with the node that last held it; a parcel picked up, returned
//     or handed over is not lost (an exception says so instead).

// onTheWay are the inbound statuses before a station has the parcel.
var onTheWay = map[string]bool{"": true, StatusManifested: true, StatusAtCentre: true, StatusSorted: true, StatusLoaded: true,
	StatusInTransit: true}

// allowedAfter: may fact ev follow status cur ("" when the hub has no
// row)? Station facts are also checked for the node holding the parcel.
func allowedAfter(cur string, ev syncproto.EventKind) bool {
	switch ev {
	case syncproto.KindParcelInbound:
		// A re-scan at the same station (a restored PC scanning its
		// shelves again) is no contradiction; only a pickup is final.
		return cur != StatusPickedUp && cur != StatusReturned
	case syncproto.KindParcelAccepted:
		return cur == "" || cur == StatusAccepted
	case syncproto.KindParcelsPickedUp:
		return cur == StatusAtStation
	case syncproto.KindParcelInboundUndone: // undo.go
		return cur == StatusAtStation
	case syncproto.KindParcelProblem:
		return cur == StatusAtStation || cur == StatusProblem || cur == StatusAccepted
	case syncproto.KindParcelsReturned:
		return cur == StatusAtStation || cur == StatusProblem
	case syncproto.KindStocktake: // a relocation
		return cur == StatusAtStation || cur == StatusProblem
	case syncproto.KindParcelAtCentre:
		// A lost parcel found again, like a scan-in at a station (above).
		return onTheWay[cur] || cur == StatusReturning || cur == StatusLost
	case syncproto.KindParcelLoaded:
		return cur == StatusAtCentre || cur == StatusSorted || cur == StatusLoaded
	case syncproto.KindTripDeparted:
		return cur == StatusLoaded || cur == StatusInTransit
	case syncproto.KindParcelCollected:
		return cur == StatusAccepted || cur == StatusCollected || cur == StatusReturning || cur == StatusProblem ||
			cur == StatusLost
	case syncproto.KindParcelsHandedOver:
		return cur == StatusCollected || cur == StatusReturning
	}
	return false
}

// atStation are the statuses in which a station holds a parcel.
var atStation = map[string]bool{StatusAtStation: true, StatusProblem: true, StatusReturning: true, StatusAccepted: true}

// parcelRow is a row of parcels.
type parcelRow struct {
	found                       bool
	carrier, status, node       string
	receiverName, receiverPhone string
	code                        string
	dest, destReason, destWhy   string
	trip, address, senderName   string
	source                      string
	weightG, valueFen           int
	createdMs                   int64
	lastOp                      string // node/inc/seq of the op that last changed it
}

func (w *writer) parcel(waybill, direction string) (parcelRow, error) {
	var r parcelRow
	err := w.stmt(qSelParcel).QueryRowContext(w.ctx, waybill, direction).Scan(&r.carrier, &r.status, &r.node,
		&r.receiverName, &r.receiverPhone, &r.code, &r.dest, &r.destReason, &r.destWhy, &r.trip, &r.address, &r.weightG,
		&r.valueFen, &r.senderName, &r.source, &r.createdMs, &r.lastOp)
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

// parcelOut finds a waybill outbound first, then inbound.
func (w *writer) parcelOut(waybill string) (parcelRow, string, error) {
	r, err := w.parcel(waybill, "out")
	if err != nil || r.found {
		return r, "out", err
	}
	in, err := w.parcel(waybill, "in")
	if err != nil || in.found {
		return in, "in", err
	}
	return r, "out", nil
}

func opRef(node, inc string, seq uint64) string { return fmt.Sprintf("%s/%s/%d", node, inc, seq) }

// stationFact: facts made at a station, checked against who holds the
// parcel.
func stationFact(k syncproto.EventKind) bool {
	switch k {
	case syncproto.KindParcelInbound, syncproto.KindParcelsPickedUp, syncproto.KindParcelAccepted, syncproto.KindParcelProblem,
		syncproto.KindParcelsReturned, syncproto.KindStocktake, syncproto.KindParcelInboundUndone:
		return true
	}
	return false
}

// fact applies one fact about a parcel: timeline, rules, exception, row.
// status is the status the fact leads to ("" keeps the current one), at
// holder (the node holding the parcel after the fact); update, if set,
// fills the row's other fields.
func (w *writer) fact(op *syncproto.Op, waybill, direction string, cur parcelRow, status, holder, detail string, update func(*parcelRow)) error {
	if err := w.timeline(waybill, direction, detail); err != nil {
		return err
	}
	var reason string
	switch {
	case op.Kind.HubOnly(): // rule 5
	case stationFact(op.Kind) && cur.found && cur.node != "" && cur.node != op.Node && (atStation[cur.status] || cur.status == StatusPickedUp):
		reason = fmt.Sprintf("%s at %s while the hub has it %s at %s", op.Kind, op.Node, cur.status, cur.node)
	case !op.Kind.HubOnly() && !allowedAfter(cur.status, op.Kind):
		if cur.found {
			reason = fmt.Sprintf("%s at %s after %s", op.Kind, op.Node, cur.status)
		} else {
			reason = fmt.Sprintf("%s at %s of a parcel the hub has no record of", op.Kind, op.Node)
		}
	case op.Kind == syncproto.KindParcelInbound && cur.dest != "" && cur.dest != op.Node && onTheWay[cur.status]:
		reason = fmt.Sprintf("arrived at %s, destined for %s (%s)", op.Node, cur.dest, cur.destReason)
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
	if status != "" && (cur.status != StatusPickedUp || status == StatusPickedUp) {
		next.status, next.node = status, holder
	}
	if !cur.found && next.status == "" {
		// A relocation or an event of a parcel the hub never saw: no row
		// to make.
		return nil
	}
	if !cur.found {
		next.createdMs = w.nowMs
	}
	if update != nil {
		update(&next)
	}
	return w.writeParcel(op, waybill, direction, next)
}

func (w *writer) writeParcel(op *syncproto.Op, waybill, direction string, r parcelRow) error {
	_, err := w.stmt(qUpsParcel).ExecContext(w.ctx, waybill, direction, r.carrier, r.status, r.node, r.receiverName,
		r.receiverPhone, r.code, int64(op.HLC), w.nowMs, w.cur.hubSeq, r.dest, r.destReason, r.destWhy, r.trip, r.address,
		r.weightG, r.valueFen, r.senderName, r.source, r.createdMs)
	return err
}

// insertParcel is the fast path of the first fact about a parcel: one
// INSERT, which does nothing when the hub has a row already.
func (w *writer) insertParcel(op *syncproto.Op, waybill, direction string, r parcelRow, detail string) (bool, error) {
	res, err := w.stmt(qInsParcel).ExecContext(w.ctx, waybill, direction, r.carrier, r.status, op.Node, r.receiverName,
		r.receiverPhone, r.code, int64(op.HLC), w.nowMs, w.cur.hubSeq, w.nowMs)
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
	res, err := w.stmt(q).ExecContext(w.ctx, int64(op.HLC), w.nowMs, w.cur.hubSeq, waybill, op.Node)
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
	x := w.cur
	op := &x.p.op
	w.facts = append(w.facts, waybill, direction, x.hubSeq, detail, string(op.Kind), x.stream, int64(op.Seq), int64(op.HLC), x.receivedMs)
	return nil
}

// nodeFact records a fact of the node only (no parcel).
func (w *writer) nodeFact(op *syncproto.Op, detail string) error {
	return w.timeline("", "", detail)
}

// change queues a downstream change for node in the projection's
// transaction. Seqs come from the clock, like store.AddChanges.
func (w *writer) change(node string, typ syncproto.ChangeType, payload any) error {
	body, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	if w.nextChange == 0 {
		var last uint64
		if err := w.tx.QueryRowContext(w.ctx, "SELECT coalesce(max(seq), 0) FROM changes").Scan(&last); err != nil {
			return err
		}
		w.nextChange = max(uint64(w.nowMs)<<16, last+1)
	}
	if _, err := w.stmt(qInsChange).ExecContext(w.ctx, w.nextChange, node, string(typ), body, w.nowMs); err != nil {
		return err
	}
	w.nextChange++
	return nil
}

// manifestTo tells the destination station and the centres of an inbound
// parcel on its way: the station gets the manifest entry (the receiver,
// for its scan-in), the centres the entry with the destination and trip.
// A station that was the destination before is told the parcel is no
// longer coming.
func (w *writer) manifestTo(waybill string, r parcelRow, oldDest string) error {
	entry := syncproto.ManifestEntry{Waybill: waybill, Carrier: r.carrier, ReceiverName: r.receiverName,
		ReceiverPhone: r.receiverPhone, Address: r.address, WeightGrams: r.weightG, ValueFen: r.valueFen}
	if oldDest != "" && oldDest != r.dest {
		if err := w.change(oldDest, syncproto.ChangeManifestCancel, syncproto.ManifestCancel{Waybill: waybill}); err != nil {
			return err
		}
	}
	if r.dest != "" && r.dest != oldDest || r.dest != "" && r.status == StatusManifested {
		if err := w.change(r.dest, syncproto.ChangeManifest, entry); err != nil {
			return err
		}
	}
	if r.status != StatusManifested && r.status != StatusAtCentre && r.status != StatusSorted {
		return nil // the centre is done with it
	}
	centres, err := w.m.centres(w.ctx)
	if err != nil {
		return err
	}
	entry.Station, entry.Trip = r.dest, r.trip
	for _, c := range centres {
		if err := w.change(c, syncproto.ChangeManifest, entry); err != nil {
			return err
		}
	}
	return nil
}

// notify queues a webhook event for the parcel's carrier in the
// projection's transaction, when the hub has an outbox.
func (w *writer) notify(op *syncproto.Op, kind, waybill string, r parcelRow, data map[string]any) error {
	if w.m.o.Outbox == nil || r.carrier == "" {
		return nil
	}
	data["waybill"], data["carrier"] = waybill, r.carrier
	return w.m.o.Outbox.Enqueue(w.ctx, w.tx, OutboxEvent{
		ID:      kind + "/" + waybill + "/" + opRef(op.Node, op.Incarnation, op.Seq),
		Carrier: r.carrier, Kind: kind, Waybill: waybill,
		At:   op.HLC.Time(),
		Data: data,
	})
}

// project applies one op to the tracking index: the common case by a
// fast path of one statement, anything else by the rules in fact. Details
// in the timeline never hold a phone or ID number.
func (w *writer) project(p *prepared) error {
	op := &p.op
	switch v := p.payload.(type) {
	case *syncproto.ParcelInbound:
		return w.projectInbound(op, v)
	case *syncproto.ParcelsPickedUp:
		detail := "collector " + v.Collector.Kind
		if v.Collector.IDLast4 != "" {
			detail += " id ****" + v.Collector.IDLast4
		}
		if v.PhotoSHA256 != "" {
			detail += " photo " + v.PhotoSHA256
		}
		for _, wb := range v.Waybills {
			// Collected before its notice went: it needs none.
			if _, err := w.stmt(qCancelNotices).ExecContext(w.ctx, "picked up", wb); err != nil {
				return err
			}
			if ok, err := w.step(op, qStepPickedUp, wb, detail); err != nil {
				return err
			} else if !ok {
				cur, err := w.parcel(wb, "in")
				if err != nil {
					return err
				}
				if err := w.fact(op, wb, "in", cur, StatusPickedUp, op.Node, detail, nil); err != nil {
					return err
				}
			}
			if w.m.o.Outbox != nil {
				cur, err := w.parcel(wb, "in")
				if err != nil {
					return err
				}
				if err := w.notify(op, "picked_up", wb, cur, map[string]any{"station": op.Node, "collector": v.Collector.Kind}); err != nil {
					return err
				}
			}
		}
	case *syncproto.ParcelAccepted:
		detail := fmt.Sprintf("to %s %d g %d fen", v.Receiver.Province, v.WeightGrams, v.PriceFen)
		if v.SenderIDSource == "card" {
			detail += ", sender's ID card read"
		}
		if v.Sender.Phone != "" {
			if err := w.senderAccepted(op, v); err != nil {
				return err
			}
		}
		row := parcelRow{carrier: v.Carrier, status: StatusAccepted, receiverName: v.Receiver.Name, receiverPhone: v.Receiver.Phone}
		if ok, err := w.insertParcel(op, v.Waybill, "out", row, detail); ok || err != nil {
			return err
		}
		cur, err := w.parcel(v.Waybill, "out")
		if err != nil {
			return err
		}
		return w.fact(op, v.Waybill, "out", cur, StatusAccepted, op.Node, detail, func(r *parcelRow) {
			r.carrier = v.Carrier
			r.receiverName, r.receiverPhone = v.Receiver.Name, v.Receiver.Phone
		})
	case *syncproto.ParcelProblem:
		detail := v.Reason
		if v.Text != "" {
			detail += ": " + v.Text
		}
		if ok, err := w.step(op, qStepProblem, v.Waybill, detail); err != nil {
			return err
		} else if !ok {
			cur, dir, err := w.parcelEither(v.Waybill)
			if err != nil {
				return err
			}
			if err := w.fact(op, v.Waybill, dir, cur, StatusProblem, op.Node, detail, nil); err != nil {
				return err
			}
		}
		if w.m.o.Outbox != nil {
			cur, _, err := w.parcelEither(v.Waybill)
			if err != nil {
				return err
			}
			return w.notify(op, "problem", v.Waybill, cur, map[string]any{"station": op.Node, "reason": v.Reason})
		}
	case *syncproto.ParcelsReturned:
		for _, wb := range v.Waybills {
			if ok, err := w.step(op, qStepReturning, wb, v.Reason); err != nil {
				return err
			} else if !ok {
				cur, dir, err := w.parcelEither(wb)
				if err != nil {
					return err
				}
				if err := w.fact(op, wb, dir, cur, StatusReturning, op.Node, v.Reason, nil); err != nil {
					return err
				}
			}
			// An unclaimed parcel's receiver is told it goes back.
			if v.Reason == "overdue" {
				if _, err := w.stmt(qCancelNotices).ExecContext(w.ctx, "returning", wb); err != nil {
					return err
				}
				if _, err := w.stmt(qInsReturning).ExecContext(w.ctx, w.nowMs, w.nowMs, wb); err != nil {
					return err
				}
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
			if err := w.fact(op, r.Waybill, dir, cur, "", cur.node, detail, nil); err != nil {
				return err
			}
		}
	case *syncproto.DayClosed:
		detail := fmt.Sprintf("day %s in %d out %d sent %d problems %d returns %d on shelf %d mismatch %d", v.Date,
			v.Total.In, v.Total.Out, v.Total.Sent, v.Total.Problems, v.Total.Returns, v.Total.OnShelf, v.Mismatch)
		if v.StocktakeMissing > 0 {
			detail += fmt.Sprintf(" stocktake missing %d", v.StocktakeMissing)
		}
		return w.nodeFact(op, detail)
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
		detail := fmt.Sprintf("overdue after %d days, return after %d days", v.OverdueDays, v.ReturnDays)
		if v.IDForProxy {
			detail += ", ID card read for a proxy"
		}
		if v.IDHighValue {
			detail += fmt.Sprintf(", ID card read from %d yuan", v.IDValueYuan)
		}
		return w.nodeFact(op, detail)
	case *syncproto.ParcelsNotified:
		detail := "arrival SMS sent by the station's " + v.Via
		if v.Uncertain {
			detail += " (maybe: the station stopped while sending)"
		}
		for _, wb := range v.Waybills {
			// The hub sends none of its own; one it sent already is a
			// double, counted where it is recorded.
			if _, err := w.stmt(qStationSent).ExecContext(w.ctx, w.nowMs, wb, op.Node); err != nil {
				return err
			}
			if err := w.timeline(wb, "in", detail); err != nil {
				return err
			}
		}
	case *syncproto.ParcelAtCentre, *syncproto.ParcelLoaded, *syncproto.TripDeparted, *syncproto.ParcelCollected,
		*syncproto.ParcelsHandedOver:
		return w.projectCentre(op, p.payload)
	case *syncproto.ParcelManifested, *syncproto.ParcelDestination, *syncproto.CarrierEvent, *syncproto.TripAtStop:
		return w.projectHub(op, p.payload)
	case *syncproto.ParcelLost:
		return w.projectLost(op, v)
	case *syncproto.ParcelInboundUndone:
		return w.projectUndone(op, v)
	default:
		return fmt.Errorf("merge: no projection for %T", p.payload)
	}
	return nil
}

func (w *writer) projectInbound(op *syncproto.Op, v *syncproto.ParcelInbound) error {
	detail := fmt.Sprintf("code %s shelf %d-%d", v.Code, v.Shelf, v.Layer)
	row := parcelRow{carrier: v.Carrier, status: StatusAtStation, receiverName: v.ReceiverName, receiverPhone: v.ReceiverPhone, code: v.Code}
	done, err := w.insertParcel(op, v.Waybill, "in", row, detail)
	if err != nil {
		return err
	}
	if !done {
		// On its way here: one UPDATE.
		res, err := w.stmt(qStepArrived).ExecContext(w.ctx, op.Node, v.Code, int64(op.HLC), w.nowMs, w.cur.hubSeq, v.Waybill, op.Node)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 1 {
			done = true
			if err := w.timeline(v.Waybill, "in", detail); err != nil {
				return err
			}
		}
	}
	if !done {
		cur, err := w.parcel(v.Waybill, "in")
		if err != nil {
			return err
		}
		err = w.fact(op, v.Waybill, "in", cur, StatusAtStation, op.Node, detail, func(r *parcelRow) {
			if r.status != StatusAtStation || r.node != op.Node {
				return // rule 2: a picked-up parcel keeps its row
			}
			r.carrier, r.code = v.Carrier, v.Code
			if v.ReceiverPhone != "" && (r.receiverPhone == "" || !v.Manifested) {
				r.receiverPhone, r.receiverName = v.ReceiverPhone, v.ReceiverName
			}
		})
		if err != nil {
			return err
		}
	}
	due := w.nowMs + w.m.o.NoticeWindow.Milliseconds()
	if hold := w.m.o.LateHold.Milliseconds(); hold > 0 && w.nowMs-op.HLC.Millis() > hold {
		due = max(due, w.nowMs+hold) // late: its station may have sent the SMS itself (Options.LateHold)
	}
	if _, err := w.stmt(qInsArrival).ExecContext(w.ctx, w.nowMs, due, v.Waybill, op.Node); err != nil {
		return err
	}
	if w.m.o.Outbox == nil {
		return nil
	}
	cur, err := w.parcel(v.Waybill, "in")
	if err != nil {
		return err
	}
	return w.notify(op, "at_station", v.Waybill, cur, map[string]any{"station": op.Node})
}

// projectCentre applies the centre's facts.
func (w *writer) projectCentre(op *syncproto.Op, payload any) error {
	switch v := payload.(type) {
	case *syncproto.ParcelAtCentre:
		cur, err := w.parcel(v.Waybill, "in")
		if err != nil {
			return err
		}
		status, detail := StatusAtCentre, "scanned in, no destination yet"
		if v.Station != "" {
			status, detail = StatusSorted, "sorted to "+v.Station
			if v.Trip != "" {
				detail += " on trip " + v.Trip
			}
		}
		if cur.dest != "" && v.Station != "" && v.Station != cur.dest {
			if err := w.exception(v.Waybill, "in", fmt.Sprintf("sorted at %s to %s, destined for %s (%s)", op.Node, v.Station,
				cur.dest, cur.destReason), cur.lastOp+" "+opRef(op.Node, op.Incarnation, op.Seq)); err != nil {
				return err
			}
		}
		return w.fact(op, v.Waybill, "in", cur, status, op.Node, detail, func(r *parcelRow) {
			if r.carrier == "" {
				r.carrier = v.Carrier
			}
			if r.receiverPhone == "" && v.ReceiverPhone != "" {
				r.receiverName, r.receiverPhone = v.ReceiverName, v.ReceiverPhone
			}
			if r.dest == "" && v.Station != "" {
				r.dest, r.destReason, r.destWhy = v.Station, "centre", "sorted at "+op.Node
			}
			if v.Trip != "" {
				r.trip = v.Trip
			}
			if r.weightG == 0 {
				r.weightG = v.WeightGrams
			}
		})
	case *syncproto.ParcelLoaded:
		cur, err := w.parcel(v.Waybill, "in")
		if err != nil {
			return err
		}
		detail := "loaded on trip " + v.Trip
		if v.Bag != "" {
			detail += " bag " + v.Bag
		}
		return w.fact(op, v.Waybill, "in", cur, StatusLoaded, op.Node, detail, func(r *parcelRow) { r.trip = v.Trip })
	case *syncproto.TripDeparted:
		detail := "departed on trip " + v.Trip
		if v.Vehicle != "" {
			detail += " vehicle " + v.Vehicle
		}
		if err := w.nodeFact(op, fmt.Sprintf("trip %s departed with %d parcels", v.Trip, len(v.Waybills))); err != nil {
			return err
		}
		// The county's trip is on the road (the villagers' bus page).
		if _, err := w.tx.ExecContext(w.ctx, `UPDATE trips SET status = 'departed', departed_ms = ? WHERE id = ? AND status = 'planned'`,
			op.HLC.Time().UnixMilli(), v.Trip); err != nil {
			return err
		}
		for _, wb := range v.Waybills {
			cur, err := w.parcel(wb, "in")
			if err != nil {
				return err
			}
			if err := w.fact(op, wb, "in", cur, StatusInTransit, "", detail, func(r *parcelRow) { r.trip = v.Trip }); err != nil {
				return err
			}
		}
	case *syncproto.ParcelCollected:
		if v.Direction == syncproto.CollectedOutbound {
			cur, err := w.parcel(v.Waybill, "out")
			if err != nil {
				return err
			}
			return w.fact(op, v.Waybill, "out", cur, StatusCollected, op.Node, "collected at the centre from "+orUnknown(v.From),
				func(r *parcelRow) {
					if r.carrier == "" {
						r.carrier = v.Carrier
					}
				})
		}
		cur, err := w.parcel(v.Waybill, "in")
		if err != nil {
			return err
		}
		return w.fact(op, v.Waybill, "in", cur, StatusReturning, op.Node, "return received at the centre from "+orUnknown(v.From),
			func(r *parcelRow) {
				if r.carrier == "" {
					r.carrier = v.Carrier
				}
			})
	case *syncproto.ParcelsHandedOver:
		detail := fmt.Sprintf("handed to %s on list %s", v.Carrier, v.List)
		for _, wb := range v.Waybills {
			cur, dir, err := w.parcelOut(wb)
			if err != nil {
				return err
			}
			status, kind := StatusHandedOver, "handed_over"
			if dir == "in" {
				status, kind = StatusReturned, "returned"
			} else if err := w.senderNotice("sender_handed_over", wb); err != nil {
				return err
			}
			if err := w.fact(op, wb, dir, cur, status, "", detail, func(r *parcelRow) {
				if r.carrier == "" {
					r.carrier = v.Carrier
				}
			}); err != nil {
				return err
			}
			if w.m.o.Outbox != nil {
				cur, err := w.parcel(wb, dir)
				if err != nil {
					return err
				}
				if err := w.notify(op, kind, wb, cur, map[string]any{"list": v.List}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func orUnknown(s string) string {
	if s == "" {
		return "an unknown station"
	}
	return s
}

// projectHub applies the hub's own facts (rule 5).
func (w *writer) projectHub(op *syncproto.Op, payload any) error {
	switch v := payload.(type) {
	case *syncproto.ParcelManifested:
		cur, err := w.parcel(v.Waybill, "in")
		if err != nil {
			return err
		}
		detail := fmt.Sprintf("manifested by %s", v.Source)
		if v.Station != "" {
			detail += fmt.Sprintf(" for %s (%s: %s)", v.Station, v.Reason, v.Detail)
		} else {
			detail += fmt.Sprintf(", destination unresolved (%s)", v.Detail)
		}
		oldDest := cur.dest
		status := ""
		if !cur.found {
			status = StatusManifested
		}
		var next parcelRow
		err = w.fact(op, v.Waybill, "in", cur, status, cur.node, detail, func(r *parcelRow) {
			r.carrier, r.receiverName, r.receiverPhone, r.address = v.Carrier, v.ReceiverName, v.ReceiverPhone, v.Address
			r.weightG, r.valueFen, r.senderName, r.source = v.WeightGrams, v.ValueFen, v.SenderName, v.Source
			// A dispatcher's choice stands; a parcel at a station stays
			// where it is.
			if r.destReason != syncproto.DestManual && onTheWay[r.status] {
				r.dest, r.destReason, r.destWhy = v.Station, v.Reason, v.Detail
				if v.Trip != "" || v.Station != oldDest {
					r.trip = v.Trip
				}
			}
			next = *r
		})
		if err != nil || !onTheWay[next.status] {
			return err
		}
		return w.manifestTo(v.Waybill, next, oldDest)
	case *syncproto.ParcelDestination:
		cur, err := w.parcel(v.Waybill, "in")
		if err != nil {
			return err
		}
		if !cur.found {
			return w.exception(v.Waybill, "in", "destination set for a parcel the hub has no record of",
				opRef(op.Node, op.Incarnation, op.Seq))
		}
		oldDest := cur.dest
		detail := fmt.Sprintf("destination set to %s by %s", v.Station, op.Actor)
		if v.Note != "" {
			detail += ": " + v.Note
		}
		var next parcelRow
		err = w.fact(op, v.Waybill, "in", cur, "", cur.node, detail, func(r *parcelRow) {
			r.dest, r.destReason, r.destWhy = v.Station, syncproto.DestManual, op.Actor
			if v.Station != oldDest {
				r.trip = ""
			}
			next = *r
		})
		if err != nil || !onTheWay[next.status] {
			return err
		}
		return w.manifestTo(v.Waybill, next, oldDest)
	case *syncproto.TripAtStop:
		return w.tripAtStop(v)
	case *syncproto.CarrierEvent:
		_, dir, err := w.parcelEither(v.Waybill)
		if err != nil {
			return err
		}
		if v.Code == "delivered" || v.Code == "signed" {
			if err := w.senderNotice("sender_delivered", v.Waybill); err != nil {
				return err
			}
		}
		detail := fmt.Sprintf("%s: %s", v.Carrier, v.Code)
		if v.Location != "" {
			detail += " at " + v.Location
		}
		if v.Text != "" {
			detail += " — " + v.Text
		}
		return w.timeline(v.Waybill, dir, detail)
	}
	return nil
}

// centres returns the enabled centres, cached for a minute.
func (m *Merger) centres(ctx context.Context) ([]string, error) {
	m.centreMu.Lock()
	defer m.centreMu.Unlock()
	if time.Since(m.centreAt) < time.Minute {
		return m.centreIDs, nil
	}
	rows, err := m.st.DB().QueryContext(ctx, "SELECT node_id FROM nodes WHERE kind = 'centre' AND disabled = 0 ORDER BY node_id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	m.centreIDs, m.centreAt = ids, time.Now()
	return ids, nil
}

// senderAccepted keeps an outbound parcel's sender and tells them the
// station accepted it.
func (w *writer) senderAccepted(op *syncproto.Op, v *syncproto.ParcelAccepted) error {
	if _, err := w.stmt(qInsSender).ExecContext(w.ctx, v.Waybill, v.Sender.Phone, op.Node, v.Carrier); err != nil {
		return err
	}
	_, err := w.stmt(qInsAccepted).ExecContext(w.ctx, v.Sender.Phone, op.Node, v.Waybill, v.Carrier, w.nowMs,
		w.nowMs+w.m.o.NoticeWindow.Milliseconds())
	return err
}

// senderNotice tells an outbound parcel's sender of its progress (kind
// sender_handed_over or sender_delivered), once.
func (w *writer) senderNotice(kind, waybill string) error {
	_, err := w.stmt(qInsSenderNotice).ExecContext(w.ctx, kind, w.nowMs, w.nowMs+w.m.o.NoticeWindow.Milliseconds(), waybill)
	return err
}

// approachTold is how far back tripAtStop looks for the station told of
// a trip's vehicle already: longer than a trip (a day's) lasts.
const approachTold = 48 * time.Hour

// tripAtStop puts a trip's vehicle at (or leaving) a stop into the
// timeline of each parcel on the trip, still on its way. A vehicle near a
// station goes into the timelines of the trip's parcels for that station
// only, and the station is told when there are any; once per trip and
// station.
func (w *writer) tripAtStop(v *syncproto.TripAtStop) error {
	var rows *sql.Rows
	var err error
	if v.Event == syncproto.TripNear {
		// Once per trip and station: a route that loops past the
		// station brings the vehicle near it again and again.
		var told int
		if err := w.tx.QueryRowContext(w.ctx, `SELECT count(*) FROM changes WHERE node = ? AND seq >= ? AND type = ?
			AND json_extract(CAST(payload AS TEXT), '$.trip') = ?`, v.Node, int64(uint64(w.nowMs-approachTold.Milliseconds())<<16),
			string(syncproto.ChangeTripApproaching), v.Trip).Scan(&told); err != nil {
			return err
		}
		if told > 0 {
			return nil
		}
		rows, err = w.stmt(qSelOnTripFor).QueryContext(w.ctx, v.Trip, v.Node)
	} else {
		rows, err = w.stmt(qSelOnTrip).QueryContext(w.ctx, v.Trip)
	}
	if err != nil {
		return err
	}
	var wbs []string
	for rows.Next() {
		var wb string
		if err := rows.Scan(&wb); err != nil {
			rows.Close()
			return err
		}
		wbs = append(wbs, wb)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	detail := fmt.Sprintf("vehicle %s %s %s", v.Vehicle, v.Event, v.Node)
	for _, wb := range wbs {
		if err := w.timeline(wb, "in", detail); err != nil {
			return err
		}
	}
	if v.Event == syncproto.TripNear && len(wbs) > 0 {
		var line string
		if err := w.tx.QueryRowContext(w.ctx, `SELECT coalesce((SELECT l.name FROM trips t JOIN lines l ON l.code = t.line WHERE t.id = ?), '')`,
			v.Trip).Scan(&line); err != nil {
			return err
		}
		return w.change(v.Node, syncproto.ChangeTripApproaching, syncproto.TripApproaching{Trip: v.Trip, Line: line,
			Vehicle: v.Vehicle, AtMs: v.AtMs, EtaMs: v.EtaMs, Parcels: len(wbs), Waybills: wbs})
	}
	return nil
}

// projectLost applies a dispatcher's parcel.lost: status lost at the node
// that last held the parcel, its pending notices cancelled, its carrier
// told. A parcel the hub does not know, or one picked up, returned or
// handed over meanwhile, keeps its row and gets an exception.
func (w *writer) projectLost(op *syncproto.Op, v *syncproto.ParcelLost) error {
	cur, dir, err := w.parcelEither(v.Waybill)
	if err != nil {
		return err
	}
	ref := opRef(op.Node, op.Incarnation, op.Seq)
	if !cur.found {
		return w.exception(v.Waybill, "in", "declared lost, but the hub has no record of the parcel", ref)
	}
	detail := "declared lost by " + op.Actor
	if v.Note != "" {
		detail += ": " + v.Note
	}
	switch cur.status {
	case StatusPickedUp, StatusReturned, StatusHandedOver:
		if err := w.timeline(v.Waybill, dir, detail); err != nil {
			return err
		}
		return w.exception(v.Waybill, dir, fmt.Sprintf("declared lost after %s", cur.status), cur.lastOp+" "+ref)
	}
	if _, err := w.stmt(qCancelNotices).ExecContext(w.ctx, "lost", v.Waybill); err != nil {
		return err
	}
	if err := w.fact(op, v.Waybill, dir, cur, StatusLost, cur.node, detail, nil); err != nil {
		return err
	}
	return w.notify(op, "lost", v.Waybill, cur, map[string]any{"node": cur.node})
}
