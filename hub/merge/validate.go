package merge

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"cunyou/syncproto"
)

// convert brings an op written by an older envelope version to the
// current one (DESIGN §4 rule 10). Version 1 is the first: nothing to
// convert yet. Verify has already refused versions this build does not
// know.
func convert(op syncproto.Op) syncproto.Op {
	switch op.V {
	case 1:
	}
	return op
}

func badPayload(format string, args ...any) *syncproto.Error {
	return &syncproto.Error{Code: syncproto.CodeBadPayload, Msg: fmt.Sprintf(format, args...)}
}

// validWaybill: 1-64 printable characters without spaces. The edge
// normalizes waybills; the hub only refuses what cannot be a key.
func validWaybill(wb string) bool {
	if wb == "" || len(wb) > 64 || !utf8.ValidString(wb) {
		return false
	}
	for _, r := range wb {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// checkWaybills checks a list of waybills and drops repeats (one fact per
// parcel and op).
func checkWaybills(field string, wbs *[]string) *syncproto.Error {
	if len(*wbs) == 0 {
		return badPayload("%s is empty", field)
	}
	for _, wb := range *wbs {
		if !validWaybill(wb) {
			return badPayload("%s: bad waybill %q", field, wb)
		}
	}
	if len(*wbs) > 1 {
		seen := make(map[string]bool, len(*wbs))
		*wbs = slices.DeleteFunc(slices.Clone(*wbs), func(wb string) bool {
			dup := seen[wb]
			seen[wb] = true
			return dup
		})
	}
	return nil
}

// decode decodes an op's payload for its kind and checks the rules the
// hub relies on. Unknown fields are ignored: a newer edge may add some.
func decode(op *syncproto.Op) (any, *syncproto.Error) {
	var (
		v   any
		err *syncproto.Error
	)
	unmarshal := func(dst any) bool {
		if e := json.Unmarshal(op.Payload, dst); e != nil {
			err = badPayload("%s payload: %v", op.Kind, e)
			return false
		}
		return true
	}
	switch op.Kind {
	case syncproto.KindParcelInbound:
		var p syncproto.ParcelInbound
		if unmarshal(&p) {
			switch {
			case !validWaybill(p.Waybill):
				err = badPayload("inbound: bad waybill %q", p.Waybill)
			case p.Code == "":
				err = badPayload("inbound %s: no pickup code", p.Waybill)
			}
			v = &p
		}
	case syncproto.KindParcelsPickedUp:
		var p syncproto.ParcelsPickedUp
		if unmarshal(&p) {
			err = checkWaybills("picked_up waybills", &p.Waybills)
			if err == nil && p.Collector.Kind != "receiver" && p.Collector.Kind != "proxy" {
				err = badPayload("picked_up: collector kind %q", p.Collector.Kind)
			}
			v = &p
		}
	case syncproto.KindParcelAccepted:
		var p syncproto.ParcelAccepted
		if unmarshal(&p) {
			if !validWaybill(p.Waybill) {
				err = badPayload("accepted: bad waybill %q", p.Waybill)
			}
			v = &p
		}
	case syncproto.KindParcelProblem:
		var p syncproto.ParcelProblem
		if unmarshal(&p) {
			switch {
			case !validWaybill(p.Waybill):
				err = badPayload("problem: bad waybill %q", p.Waybill)
			case !slices.Contains(syncproto.ProblemReasons, p.Reason):
				err = badPayload("problem %s: reason %q", p.Waybill, p.Reason)
			}
			v = &p
		}
	case syncproto.KindParcelsReturned:
		var p syncproto.ParcelsReturned
		if unmarshal(&p) {
			err = checkWaybills("returning waybills", &p.Waybills)
			v = &p
		}
	case syncproto.KindStocktake:
		var p syncproto.Stocktake
		if unmarshal(&p) {
			seen := map[string]bool{}
			for _, r := range p.Relocations {
				if !validWaybill(r.Waybill) {
					err = badPayload("stocktake: relocation of bad waybill %q", r.Waybill)
					break
				}
				if seen[r.Waybill] {
					err = badPayload("stocktake: waybill %s relocated twice", r.Waybill)
					break
				}
				seen[r.Waybill] = true
			}
			v = &p
		}
	case syncproto.KindDayClosed:
		var p syncproto.DayClosed
		if unmarshal(&p) {
			if _, e := time.Parse(time.DateOnly, p.Date); e != nil {
				err = badPayload("day.closed: date %q", p.Date)
			}
			v = &p
		}
	case syncproto.KindOperatorChanged:
		var p syncproto.OperatorChanged
		if unmarshal(&p) {
			if p.Username == "" {
				err = badPayload("operator.changed: no username")
			}
			v = &p
		}
	case syncproto.KindShelvesSet:
		var p syncproto.ShelvesSet
		if unmarshal(&p) {
			for _, s := range p.Shelves {
				if s.No <= 0 || s.Layers <= 0 || s.Capacity < 0 {
					err = badPayload("station.shelves: shelf %d of %d layers", s.No, s.Layers)
					break
				}
			}
			v = &p
		}
	case syncproto.KindSettingsSet:
		var p syncproto.SettingsSet
		if unmarshal(&p) {
			if p.OverdueDays < 0 || p.ReturnDays < 0 {
				err = badPayload("station.settings: negative days")
			}
			v = &p
		}
	case syncproto.KindParcelsNotified:
		var p syncproto.ParcelsNotified
		if unmarshal(&p) {
			err = checkWaybills("notified waybills", &p.Waybills)
			if err == nil && p.Via == "" {
				err = badPayload("notified: no via")
			}
			v = &p
		}
	case syncproto.KindParcelInboundUndone:
		var p syncproto.ParcelInboundUndone
		if unmarshal(&p) {
			if !validWaybill(p.Waybill) {
				err = badPayload("inbound_undone: bad waybill %q", p.Waybill)
			}
			v = &p
		}
	case syncproto.KindParcelAtCentre:
		var p syncproto.ParcelAtCentre
		if unmarshal(&p) {
			if !validWaybill(p.Waybill) {
				err = badPayload("at_centre: bad waybill %q", p.Waybill)
			}
			v = &p
		}
	case syncproto.KindParcelLoaded:
		var p syncproto.ParcelLoaded
		if unmarshal(&p) {
			switch {
			case !validWaybill(p.Waybill):
				err = badPayload("loaded: bad waybill %q", p.Waybill)
			case p.Trip == "":
				err = badPayload("loaded %s: no trip", p.Waybill)
			}
			v = &p
		}
	case syncproto.KindTripDeparted:
		var p syncproto.TripDeparted
		if unmarshal(&p) {
			if p.Trip == "" {
				err = badPayload("trip.departed: no trip")
			} else if len(p.Waybills) > 0 {
				err = checkWaybills("trip.departed waybills", &p.Waybills)
			}
			v = &p
		}
	case syncproto.KindTripAtStop:
		var p syncproto.TripAtStop
		if unmarshal(&p) {
			if p.Trip == "" || p.Node == "" || (p.Event != syncproto.TripArrived && p.Event != syncproto.TripLeft && p.Event != syncproto.TripNear) {
				err = badPayload("trip.at_stop: trip %q node %q event %q", p.Trip, p.Node, p.Event)
			}
			v = &p
		}
	case syncproto.KindParcelCollected:
		var p syncproto.ParcelCollected
		if unmarshal(&p) {
			switch {
			case !validWaybill(p.Waybill):
				err = badPayload("collected: bad waybill %q", p.Waybill)
			case p.Direction != syncproto.CollectedOutbound && p.Direction != syncproto.CollectedReturn:
				err = badPayload("collected %s: direction %q", p.Waybill, p.Direction)
			}
			v = &p
		}
	case syncproto.KindParcelsHandedOver:
		var p syncproto.ParcelsHandedOver
		if unmarshal(&p) {
			err = checkWaybills("handed_over waybills", &p.Waybills)
			if err == nil && (p.Carrier == "" || p.List == "") {
				err = badPayload("handed_over: no carrier or list")
			}
			v = &p
		}
	case syncproto.KindParcelManifested:
		var p syncproto.ParcelManifested
		if unmarshal(&p) {
			if !validWaybill(p.Waybill) {
				err = badPayload("manifested: bad waybill %q", p.Waybill)
			}
			v = &p
		}
	case syncproto.KindParcelDestination:
		var p syncproto.ParcelDestination
		if unmarshal(&p) {
			if !validWaybill(p.Waybill) || p.Station == "" {
				err = badPayload("destination: bad waybill %q or no station", p.Waybill)
			}
			v = &p
		}
	case syncproto.KindCarrierEvent:
		var p syncproto.CarrierEvent
		if unmarshal(&p) {
			if !validWaybill(p.Waybill) || p.Code == "" {
				err = badPayload("carrier_event: bad waybill %q or no code", p.Waybill)
			}
			v = &p
		}
	case syncproto.KindParcelLost:
		var p syncproto.ParcelLost
		if unmarshal(&p) {
			if !validWaybill(p.Waybill) || strings.TrimSpace(p.Note) == "" {
				err = badPayload("lost: bad waybill %q or no note", p.Waybill)
			}
			v = &p
		}
	default:
		// Verify refused unknown kinds already; a kind known to syncproto
		// but not to this merge is a build bug, kept as a dead letter.
		err = &syncproto.Error{Code: syncproto.CodeUnknownKind, Msg: fmt.Sprintf("op kind %q has no projection", op.Kind)}
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}
