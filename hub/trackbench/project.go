package trackbench

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"cunyou/hub/merge"
	"cunyou/syncproto"
)

// projector is hub/merge's projection done in memory, rule for rule (see
// merge/project.go): it receives the same ops in the same order and gives
// the rows the projector would write. A parcel's row stays in memory until
// its journey ends (picked up, returned, handed over) and is then written
// once; the verification test holds it to the real merge.

// Statuses, as merge names them.
const (
	stManifested = merge.StatusManifested
	stAtCentre   = merge.StatusAtCentre
	stSorted     = merge.StatusSorted
	stLoaded     = merge.StatusLoaded
	stInTransit  = merge.StatusInTransit
	stAtStation  = merge.StatusAtStation
	stPickedUp   = merge.StatusPickedUp
	stProblem    = merge.StatusProblem
	stReturning  = merge.StatusReturning
	stReturned   = merge.StatusReturned
	stAccepted   = merge.StatusAccepted
	stCollected  = merge.StatusCollected
	stHandedOver = merge.StatusHandedOver
	stLost       = merge.StatusLost
)

var onTheWay = map[string]bool{"": true, stManifested: true, stAtCentre: true, stSorted: true, stLoaded: true, stInTransit: true}

var atStation = map[string]bool{stAtStation: true, stProblem: true, stReturning: true, stAccepted: true}

func allowedAfter(cur string, ev syncproto.EventKind) bool {
	switch ev {
	case syncproto.KindParcelInbound:
		return cur != stPickedUp && cur != stReturned
	case syncproto.KindParcelAccepted:
		return cur == "" || cur == stAccepted
	case syncproto.KindParcelsPickedUp:
		return cur == stAtStation
	case syncproto.KindParcelInboundUndone:
		return cur == stAtStation
	case syncproto.KindParcelProblem:
		return cur == stAtStation || cur == stProblem || cur == stAccepted
	case syncproto.KindParcelsReturned:
		return cur == stAtStation || cur == stProblem
	case syncproto.KindStocktake:
		return cur == stAtStation || cur == stProblem
	case syncproto.KindParcelAtCentre:
		return onTheWay[cur] || cur == stReturning || cur == stLost
	case syncproto.KindParcelLoaded:
		return cur == stAtCentre || cur == stSorted || cur == stLoaded
	case syncproto.KindTripDeparted:
		return cur == stLoaded || cur == stInTransit
	case syncproto.KindParcelCollected:
		return cur == stAccepted || cur == stCollected || cur == stReturning || cur == stProblem || cur == stLost
	case syncproto.KindParcelsHandedOver:
		return cur == stCollected || cur == stReturning
	}
	return false
}

func stationFact(k syncproto.EventKind) bool {
	switch k {
	case syncproto.KindParcelInbound, syncproto.KindParcelsPickedUp, syncproto.KindParcelAccepted, syncproto.KindParcelProblem,
		syncproto.KindParcelsReturned, syncproto.KindStocktake, syncproto.KindParcelInboundUndone:
		return true
	}
	return false
}

// finished are the statuses after which the generated journeys record
// nothing more: the row is written then.
var finished = map[string]bool{stPickedUp: true, stReturned: true, stHandedOver: true}

// prow is a row of parcels.
type prow struct {
	found                       bool
	id                          int64
	carrier, status, node       string
	receiverName, receiverPhone string
	code                        string
	dest, destReason, destWhy   string
	trip, address, senderName   string
	source                      string
	weightG, valueFen           int
	createdMs                   int64
	updatedHLC, updatedMs       int64
	lastOp                      int64
	lastRef                     string // node/incarnation/seq of lastOp as ops_by_node reads it
}

type pkey struct{ waybill, direction string }

// pop is an op being projected.
type pop struct {
	syncproto.Op
	hubSeq     int64
	cur        *pop  // the op being projected
	stream     int64 // ops.stream
	receivedMs int64 // ops.received_ms
	payload    any
	ref        string // node/inc/seq as ops_by_node gives it (HUB's incarnation reads '')
}

// sink receives the rows the projection writes.
type sink interface {
	fact(id int64, waybill, direction string, op *pop, detail string) error
	parcel(r *prow, waybill, direction string) error
	exception(id int64, waybill, direction, reason, ops string, createdMs int64) error
	change(seq uint64, node string, typ syncproto.ChangeType, payload []byte, createdMs int64) error
}

type projector struct {
	out        sink
	centres    []string
	rows       map[pkey]*prow
	nextParcel int64
	nextFact   int64
	nextExcept int64
	lastChange uint64
	nowMs      int64
	hubSeq     int64
	cur        *pop // the op being projected
	exceptions int
	changes    int
	facts      int
}

func newProjector(out sink, centres []string) *projector {
	return &projector{out: out, centres: centres, rows: map[pkey]*prow{}}
}

func opRef(node, inc string, seq uint64) string {
	return node + "/" + inc + "/" + strconv.FormatUint(seq, 10)
}

func (w *projector) parcel(waybill, direction string) prow {
	if r := w.rows[pkey{waybill, direction}]; r != nil {
		return *r
	}
	return prow{}
}

func (w *projector) parcelEither(waybill string) (prow, string) {
	if r := w.parcel(waybill, "in"); r.found {
		return r, "in"
	}
	if r := w.parcel(waybill, "out"); r.found {
		return r, "out"
	}
	return prow{}, "in"
}

func (w *projector) parcelOut(waybill string) (prow, string) {
	if r := w.parcel(waybill, "out"); r.found {
		return r, "out"
	}
	if r := w.parcel(waybill, "in"); r.found {
		return r, "in"
	}
	return prow{}, "out"
}

func (w *projector) timeline(waybill, direction, detail string) error {
	w.nextFact++
	w.facts++
	return w.out.fact(w.nextFact, waybill, direction, w.cur, detail)
}

func (w *projector) exception(waybill, direction, reason, refs string) error {
	w.nextExcept++
	w.exceptions++
	return w.out.exception(w.nextExcept, waybill, direction, reason, refs, w.nowMs)
}

// store keeps r as the row of (waybill, direction) after op, as the
// projector's INSERT … ON CONFLICT DO UPDATE does (created_ms is kept).
func (w *projector) store(op *pop, waybill, direction string, r prow) error {
	k := pkey{waybill, direction}
	row := w.rows[k]
	if row == nil {
		w.nextParcel++
		row = &prow{found: true, id: w.nextParcel, createdMs: r.createdMs}
		w.rows[k] = row
	}
	id, created := row.id, row.createdMs
	*row = r
	row.found, row.id, row.createdMs = true, id, created
	row.updatedHLC, row.updatedMs, row.lastOp, row.lastRef = int64(op.HLC), w.nowMs, w.hubSeq, op.ref
	return w.settle(k, row)
}

// settle writes a row whose journey has ended.
func (w *projector) settle(k pkey, row *prow) error {
	if !finished[row.status] {
		return nil
	}
	delete(w.rows, k)
	return w.out.parcel(row, k.waybill, k.direction)
}

// flush writes every row still in memory, in id order.
func (w *projector) flush() error {
	rows := make([]*prow, 0, len(w.rows))
	keys := make(map[*prow]pkey, len(w.rows))
	for k, r := range w.rows {
		rows = append(rows, r)
		keys[r] = k
	}
	sortRows(rows)
	for _, r := range rows {
		k := keys[r]
		if err := w.out.parcel(r, k.waybill, k.direction); err != nil {
			return err
		}
	}
	w.rows = map[pkey]*prow{}
	return nil
}

// fact applies one fact about a parcel: timeline, rules, exception, row
// (merge's writer.fact).
func (w *projector) fact(op *pop, waybill, direction string, cur prow, status, holder, detail string, update func(*prow)) error {
	if err := w.timeline(waybill, direction, detail); err != nil {
		return err
	}
	var reason string
	switch {
	case op.Kind.HubOnly():
	case stationFact(op.Kind) && cur.found && cur.node != "" && cur.node != op.Node && (atStation[cur.status] || cur.status == stPickedUp):
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
			refs = cur.lastRef + " " + refs
		}
		if err := w.exception(waybill, direction, reason, refs); err != nil {
			return err
		}
	}
	next := cur
	if status != "" && (cur.status != stPickedUp || status == stPickedUp) {
		next.status, next.node = status, holder
	}
	if !cur.found && next.status == "" {
		return nil
	}
	if !cur.found {
		next.createdMs = w.nowMs
	}
	if update != nil {
		update(&next)
	}
	return w.store(op, waybill, direction, next)
}

// insertParcel is merge's fast path of a first fact: a row of only these
// columns, nothing when the row exists.
func (w *projector) insertParcel(op *pop, waybill, direction string, r prow, detail string) (bool, error) {
	if w.parcel(waybill, direction).found {
		return false, nil
	}
	row := prow{carrier: r.carrier, status: r.status, node: op.Node, receiverName: r.receiverName, receiverPhone: r.receiverPhone,
		code: r.code, createdMs: w.nowMs}
	if err := w.timeline(waybill, direction, detail); err != nil {
		return true, err
	}
	return true, w.store(op, waybill, direction, row)
}

// step is merge's one-UPDATE fast path of a fact at the node holding an
// inbound parcel in one of statuses; status "" keeps it.
func (w *projector) step(op *pop, waybill, status string, statuses []string, detail string) (bool, error) {
	k := pkey{waybill, "in"}
	row := w.rows[k]
	if row == nil || row.node != op.Node || !contains(statuses, row.status) {
		return false, nil
	}
	if status != "" {
		row.status = status
	}
	row.updatedHLC, row.updatedMs, row.lastOp, row.lastRef = int64(op.HLC), w.nowMs, w.hubSeq, op.ref
	if err := w.timeline(waybill, "in", detail); err != nil {
		return true, err
	}
	return true, w.settle(k, row)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var (
	stepStatuses   = []string{stAtStation, stProblem}
	arriveStatuses = []string{stManifested, stAtCentre, stSorted, stLoaded, stInTransit}
)

func (w *projector) change(node string, typ syncproto.ChangeType, payload any) error {
	body, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	seq := max(uint64(w.nowMs)<<16, w.lastChange+1)
	w.lastChange = seq
	w.changes++
	return w.out.change(seq, node, typ, body, w.nowMs)
}

func (w *projector) manifestTo(waybill string, r prow, oldDest string) error {
	entry := syncproto.ManifestEntry{Waybill: waybill, Carrier: r.carrier, ReceiverName: r.receiverName,
		ReceiverPhone: r.receiverPhone, Address: r.address, WeightGrams: r.weightG, ValueFen: r.valueFen}
	if oldDest != "" && oldDest != r.dest {
		if err := w.change(oldDest, syncproto.ChangeManifestCancel, syncproto.ManifestCancel{Waybill: waybill}); err != nil {
			return err
		}
	}
	if r.dest != "" && r.dest != oldDest || r.dest != "" && r.status == stManifested {
		if err := w.change(r.dest, syncproto.ChangeManifest, entry); err != nil {
			return err
		}
	}
	if r.status != stManifested && r.status != stAtCentre && r.status != stSorted {
		return nil
	}
	entry.Station, entry.Trip = r.dest, r.trip
	for _, c := range w.centres {
		if err := w.change(c, syncproto.ChangeManifest, entry); err != nil {
			return err
		}
	}
	return nil
}

// project applies one op (merge's writer.project, with no outbox).
func (w *projector) project(op *pop) error {
	w.hubSeq, w.cur = op.hubSeq, op
	switch v := op.payload.(type) {
	case *syncproto.ParcelInbound:
		return w.inbound(op, v)
	case *syncproto.ParcelsPickedUp:
		detail := "collector " + v.Collector.Kind
		if v.Collector.IDLast4 != "" {
			detail += " id ****" + v.Collector.IDLast4
		}
		if v.PhotoSHA256 != "" {
			detail += " photo " + v.PhotoSHA256
		}
		for _, wb := range v.Waybills {
			if ok, err := w.step(op, wb, stPickedUp, []string{stAtStation}, detail); err != nil {
				return err
			} else if !ok {
				if err := w.fact(op, wb, "in", w.parcel(wb, "in"), stPickedUp, op.Node, detail, nil); err != nil {
					return err
				}
			}
		}
	case *syncproto.ParcelAccepted:
		detail := fmt.Sprintf("to %s %d g %d fen", v.Receiver.Province, v.WeightGrams, v.PriceFen)
		row := prow{carrier: v.Carrier, status: stAccepted, receiverName: v.Receiver.Name, receiverPhone: v.Receiver.Phone}
		if ok, err := w.insertParcel(op, v.Waybill, "out", row, detail); ok || err != nil {
			return err
		}
		return w.fact(op, v.Waybill, "out", w.parcel(v.Waybill, "out"), stAccepted, op.Node, detail, func(r *prow) {
			r.carrier = v.Carrier
			r.receiverName, r.receiverPhone = v.Receiver.Name, v.Receiver.Phone
		})
	case *syncproto.ParcelProblem:
		detail := v.Reason
		if v.Text != "" {
			detail += ": " + v.Text
		}
		if ok, err := w.step(op, v.Waybill, stProblem, stepStatuses, detail); err != nil || ok {
			return err
		}
		cur, dir := w.parcelEither(v.Waybill)
		return w.fact(op, v.Waybill, dir, cur, stProblem, op.Node, detail, nil)
	case *syncproto.ParcelsReturned:
		for _, wb := range v.Waybills {
			if ok, err := w.step(op, wb, stReturning, stepStatuses, v.Reason); err != nil {
				return err
			} else if ok {
				continue
			}
			cur, dir := w.parcelEither(wb)
			if err := w.fact(op, wb, dir, cur, stReturning, op.Node, v.Reason, nil); err != nil {
				return err
			}
		}
	case *syncproto.Stocktake:
		detail := fmt.Sprintf("shelf %d: expected %d scanned %d missing %d unexpected %d misplaced %d",
			v.Shelf, v.Expected, v.Scanned, len(v.Missing), len(v.Unexpected), len(v.Misplaced))
		if err := w.timeline("", "", detail); err != nil {
			return err
		}
		for _, r := range v.Relocations {
			detail := fmt.Sprintf("relocated shelf %d-%d → %d-%d", r.FromShelf, r.FromLayer, r.ToShelf, r.ToLayer)
			if ok, err := w.step(op, r.Waybill, "", stepStatuses, detail); err != nil {
				return err
			} else if ok {
				continue
			}
			cur, dir := w.parcelEither(r.Waybill)
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
		return w.timeline("", "", detail)
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
		return w.timeline("", "", strings.TrimSpace(fmt.Sprintf("operator %s (%s) %s", v.Username, v.Role, strings.Join(flags, ", "))))
	case *syncproto.ShelvesSet:
		return w.timeline("", "", fmt.Sprintf("%d shelves", len(v.Shelves)))
	case *syncproto.SettingsSet:
		detail := fmt.Sprintf("overdue after %d days, return after %d days", v.OverdueDays, v.ReturnDays)
		if v.IDForProxy {
			detail += ", ID card read for a proxy"
		}
		if v.IDHighValue {
			detail += fmt.Sprintf(", ID card read from %d yuan", v.IDValueYuan)
		}
		return w.timeline("", "", detail)
	case *syncproto.ParcelAtCentre, *syncproto.ParcelLoaded, *syncproto.TripDeparted, *syncproto.ParcelCollected,
		*syncproto.ParcelsHandedOver:
		return w.centre(op)
	case *syncproto.ParcelManifested, *syncproto.ParcelDestination, *syncproto.CarrierEvent:
		return w.hub(op)
	default:
		return fmt.Errorf("trackbench: no projection for %T", op.payload)
	}
	return nil
}

func (w *projector) inbound(op *pop, v *syncproto.ParcelInbound) error {
	detail := fmt.Sprintf("code %s shelf %d-%d", v.Code, v.Shelf, v.Layer)
	row := prow{carrier: v.Carrier, status: stAtStation, receiverName: v.ReceiverName, receiverPhone: v.ReceiverPhone, code: v.Code}
	done, err := w.insertParcel(op, v.Waybill, "in", row, detail)
	if err != nil || done {
		return err
	}
	// On its way here: merge's one UPDATE.
	k := pkey{v.Waybill, "in"}
	if r := w.rows[k]; r != nil && contains(arriveStatuses, r.status) && (r.dest == "" || r.dest == op.Node) {
		r.status, r.node, r.code = stAtStation, op.Node, v.Code
		r.updatedHLC, r.updatedMs, r.lastOp, r.lastRef = int64(op.HLC), w.nowMs, w.hubSeq, op.ref
		return w.timeline(v.Waybill, "in", detail)
	}
	return w.fact(op, v.Waybill, "in", w.parcel(v.Waybill, "in"), stAtStation, op.Node, detail, func(r *prow) {
		if r.status != stAtStation || r.node != op.Node {
			return
		}
		r.carrier, r.code = v.Carrier, v.Code
		if v.ReceiverPhone != "" && (r.receiverPhone == "" || !v.Manifested) {
			r.receiverPhone, r.receiverName = v.ReceiverPhone, v.ReceiverName
		}
	})
}

func orUnknown(s string) string {
	if s == "" {
		return "an unknown station"
	}
	return s
}

func (w *projector) centre(op *pop) error {
	switch v := op.payload.(type) {
	case *syncproto.ParcelAtCentre:
		cur := w.parcel(v.Waybill, "in")
		status, detail := stAtCentre, "scanned in, no destination yet"
		if v.Station != "" {
			status, detail = stSorted, "sorted to "+v.Station
			if v.Trip != "" {
				detail += " on trip " + v.Trip
			}
		}
		if cur.dest != "" && v.Station != "" && v.Station != cur.dest {
			if err := w.exception(v.Waybill, "in", fmt.Sprintf("sorted at %s to %s, destined for %s (%s)", op.Node, v.Station,
				cur.dest, cur.destReason), cur.lastRef+" "+opRef(op.Node, op.Incarnation, op.Seq)); err != nil {
				return err
			}
		}
		return w.fact(op, v.Waybill, "in", cur, status, op.Node, detail, func(r *prow) {
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
		detail := "loaded on trip " + v.Trip
		if v.Bag != "" {
			detail += " bag " + v.Bag
		}
		return w.fact(op, v.Waybill, "in", w.parcel(v.Waybill, "in"), stLoaded, op.Node, detail, func(r *prow) { r.trip = v.Trip })
	case *syncproto.TripDeparted:
		detail := "departed on trip " + v.Trip
		if v.Vehicle != "" {
			detail += " vehicle " + v.Vehicle
		}
		if err := w.timeline("", "", fmt.Sprintf("trip %s departed with %d parcels", v.Trip, len(v.Waybills))); err != nil {
			return err
		}
		for _, wb := range v.Waybills {
			if err := w.fact(op, wb, "in", w.parcel(wb, "in"), stInTransit, "", detail, func(r *prow) { r.trip = v.Trip }); err != nil {
				return err
			}
		}
	case *syncproto.ParcelCollected:
		if v.Direction == syncproto.CollectedOutbound {
			return w.fact(op, v.Waybill, "out", w.parcel(v.Waybill, "out"), stCollected, op.Node,
				"collected at the centre from "+orUnknown(v.From), func(r *prow) {
					if r.carrier == "" {
						r.carrier = v.Carrier
					}
				})
		}
		return w.fact(op, v.Waybill, "in", w.parcel(v.Waybill, "in"), stReturning, op.Node,
			"return received at the centre from "+orUnknown(v.From), func(r *prow) {
				if r.carrier == "" {
					r.carrier = v.Carrier
				}
			})
	case *syncproto.ParcelsHandedOver:
		detail := fmt.Sprintf("handed to %s on list %s", v.Carrier, v.List)
		for _, wb := range v.Waybills {
			cur, dir := w.parcelOut(wb)
			status := stHandedOver
			if dir == "in" {
				status = stReturned
			}
			if err := w.fact(op, wb, dir, cur, status, "", detail, func(r *prow) {
				if r.carrier == "" {
					r.carrier = v.Carrier
				}
			}); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *projector) hub(op *pop) error {
	switch v := op.payload.(type) {
	case *syncproto.ParcelManifested:
		cur := w.parcel(v.Waybill, "in")
		detail := fmt.Sprintf("manifested by %s", v.Source)
		if v.Station != "" {
			detail += fmt.Sprintf(" for %s (%s: %s)", v.Station, v.Reason, v.Detail)
		} else {
			detail += fmt.Sprintf(", destination unresolved (%s)", v.Detail)
		}
		oldDest := cur.dest
		status := ""
		if !cur.found {
			status = stManifested
		}
		var next prow
		err := w.fact(op, v.Waybill, "in", cur, status, cur.node, detail, func(r *prow) {
			r.carrier, r.receiverName, r.receiverPhone, r.address = v.Carrier, v.ReceiverName, v.ReceiverPhone, v.Address
			r.weightG, r.valueFen, r.senderName, r.source = v.WeightGrams, v.ValueFen, v.SenderName, v.Source
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
		cur := w.parcel(v.Waybill, "in")
		if !cur.found {
			return w.exception(v.Waybill, "in", "destination set for a parcel the hub has no record of",
				opRef(op.Node, op.Incarnation, op.Seq))
		}
		oldDest := cur.dest
		detail := fmt.Sprintf("destination set to %s by %s", v.Station, op.Actor)
		if v.Note != "" {
			detail += ": " + v.Note
		}
		var next prow
		err := w.fact(op, v.Waybill, "in", cur, "", cur.node, detail, func(r *prow) {
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
	case *syncproto.CarrierEvent:
		_, dir := w.parcelEither(v.Waybill)
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
