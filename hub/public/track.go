package public

import (
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"

	"cunyou/hub/store"
	"cunyou/mask"
	"cunyou/syncproto"
	"cunyou/waybill"
)

// Parcel statuses of the tracking index (hub/merge).
const (
	stManifested = "manifested"
	stAtCentre   = "at_centre"
	stSorted     = "sorted"
	stLoaded     = "loaded"
	stInTransit  = "in_transit"
	stAtStation  = "at_station"
	stPickedUp   = "picked_up"
	stProblem    = "problem"
	stReturning  = "returning"
	stReturned   = "returned"
	stAccepted   = "accepted"
	stCollected  = "collected"
	stHandedOver = "handed_over"
	stLost       = "lost" // declared lost by a dispatcher (parcel.lost)
)

// trackAnswer is what a waybill lookup shows: usually one parcel, two
// when the number went both ways (sent from the village, then returned).
type trackAnswer struct {
	Parcels []parcelView `json:"parcels"`
}

// parcelView is a parcel as anyone holding its waybill number may see
// it: the receiver masked and never the pickup code.
type parcelView struct {
	Waybill    string       `json:"waybill"`
	Direction  string       `json:"direction"` // in (to the village) or out (sent from it)
	Carrier    carrierView  `json:"carrier"`
	Status     string       `json:"status"`
	StatusText string       `json:"status_text"`
	Progress   progress     `json:"progress"`
	Receiver   *personView  `json:"receiver,omitempty"`
	Station    *stationView `json:"station,omitempty"`
	Events     []eventView  `json:"events,omitempty"` // the timeline, newest first (track)
	Latest     *eventView   `json:"latest,omitempty"` // the newest event (My parcels, on the way)
	Updated    string       `json:"updated"`
}

type carrierView struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

type personView struct {
	Name  string `json:"name,omitempty"`  // masked: 王*英
	Phone string `json:"phone,omitempty"` // masked: 138****5678
}

// progress is the parcel's place on its usual way: Steps names the
// stages, Step the one reached; Stopped when it left that way (a problem,
// a return).
type progress struct {
	Step    int      `json:"step"`
	Steps   []string `json:"steps"`
	Stopped bool     `json:"stopped,omitempty"`
}

type eventView struct {
	At   string `json:"at"` // RFC 3339, county time
	Kind string `json:"kind"`
	Text string `json:"text"`
}

var (
	inSteps  = []string{"step.in.sent", "step.in.centre", "step.in.road", "step.in.station", "step.in.done"}
	outSteps = []string{"step.out.accepted", "step.out.centre", "step.out.carrier"}
	inStep   = map[string]int{stManifested: 0, stAtCentre: 1, stSorted: 1, stLoaded: 1, stInTransit: 2, stAtStation: 3,
		stPickedUp: 4, stProblem: 3, stReturning: 3, stReturned: 3}
	outStep = map[string]int{stAccepted: 0, stCollected: 1, stHandedOver: 2, stProblem: 0}
)

func (s *Server) track(w http.ResponseWriter, r *http.Request) {
	wb, err := waybill.Normalize(strings.Join(strings.Fields(r.URL.Query().Get("waybill")), ""))
	if err != nil {
		s.fail(w, r, fail(CodeBadWaybill))
		return
	}
	if ok, retry := s.trackIP.take(clientKey(r, s.trusted), s.now()); !ok {
		s.fail(w, r, &apiError{code: CodeTooManyTries, args: []string{"minutes", minutes(retry)}, retry: retry})
		return
	}
	ctx := r.Context()
	ps, err := s.st.ParcelsByWaybill(ctx, wb)
	if errors.Is(err, store.ErrNotFound) {
		s.fail(w, r, fail(CodeWaybillNotFound))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	facts, err := s.st.TimelinePayloads(ctx, wb)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	reg, err := s.registry(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	lang := s.lang(r)
	ans := trackAnswer{Parcels: []parcelView{}}
	for _, p := range ps {
		v := s.parcelView(lang, reg, p)
		v.Receiver = &personView{Name: mask.Name(p.ReceiverName), Phone: mask.Phone(p.ReceiverPhone)}
		v.Events = s.events(lang, reg, p, facts)
		ans.Parcels = append(ans.Parcels, v)
	}
	s.reply(w, r, http.StatusOK, ans, cacheNone)
}

// parcelView is what every view of a parcel shows: no receiver, no
// events, no code.
func (s *Server) parcelView(lang Lang, reg *registry, p store.Parcel) parcelView {
	v := parcelView{Waybill: p.Waybill, Direction: p.Direction, Carrier: carrierView{Code: p.Carrier, Name: reg.carrierName(p.Carrier)},
		Status: p.Status, StatusText: statusText(lang, p.Status), Updated: s.stamp(lastChange(p))}
	steps, at := inSteps, inStep
	if p.Direction == "out" {
		steps, at = outSteps, outStep
	}
	for _, k := range steps {
		v.Progress.Steps = append(v.Progress.Steps, text(lang, k))
	}
	v.Progress.Step = at[p.Status]
	v.Progress.Stopped = p.Status == stProblem || p.Status == stReturning || p.Status == stReturned || p.Status == stLost
	if p.Status == stLost && p.Direction == "in" {
		// Stopped where it was last seen.
		v.Progress.Step = 2
		if st, ok := reg.sites[p.Node]; ok {
			v.Progress.Step = map[string]int{"station": 3, "centre": 1}[st.Kind]
		}
	}
	if node := stationOf(p); node != "" {
		if st, ok := reg.sites[node]; ok && st.Kind == "station" {
			sv := s.stationView(lang, st)
			v.Station = &sv
		}
	}
	return v
}

// lastChange is when the parcel's newest fact happened (by the clock of
// the node that made it), not when the hub learnt of it: a station off
// the network for a day still shows the hour it scanned the parcel in.
func lastChange(p store.Parcel) time.Time {
	if p.UpdatedHLC != 0 {
		return p.UpdatedHLC.Time()
	}
	return p.Updated
}

// stationOf is the station a villager should know of: where the parcel
// is, or where it is going.
func stationOf(p store.Parcel) string {
	switch p.Status {
	case stAtStation, stPickedUp, stProblem, stReturning, stAccepted, stLost:
		if p.Node != "" {
			return p.Node
		}
	case stReturned, stCollected, stHandedOver:
		return ""
	}
	if p.Direction == "in" {
		return p.Dest
	}
	return ""
}

func statusText(lang Lang, status string) string {
	if k := "status." + status; has(k) {
		return text(lang, k)
	}
	return text(lang, "status.unknown")
}

// stamp is t in county time, RFC 3339.
func (s *Server) stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(s.loc).Format(time.RFC3339)
}

// events turns the parcel's facts into sentences, newest first.
func (s *Server) events(lang Lang, reg *registry, p store.Parcel, facts []store.FactPayload) []eventView {
	type ev struct {
		at time.Time
		v  eventView
	}
	var evs []ev
	for _, f := range facts {
		if f.Direction != p.Direction {
			continue
		}
		at := f.HLC.Time()
		if f.HLC == 0 {
			at = f.Received
		}
		txt, when, ok := s.sentence(lang, reg, p, f)
		if !ok {
			continue
		}
		if !when.IsZero() {
			at = when
		}
		evs = append(evs, ev{at: at, v: eventView{At: s.stamp(at), Kind: string(f.Kind), Text: txt}})
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].at.After(evs[j].at) })
	out := make([]eventView, len(evs))
	for i, e := range evs {
		out[i] = e.v
	}
	return out
}

// sentence says one fact in plain words; when is the time the fact
// itself gives (a carrier's event), else zero. Facts a villager need not
// see (a stocktake's correction) and payloads that do not decode give
// ok false.
func (s *Server) sentence(lang Lang, reg *registry, p store.Parcel, f store.FactPayload) (txt string, when time.Time, ok bool) {
	site := reg.siteName(lang, f.Node)
	carrier := reg.carrierName(p.Carrier)
	decode := func(v any) bool { return json.Unmarshal(f.Payload, v) == nil }
	switch f.Kind {
	case syncproto.KindParcelManifested:
		var v syncproto.ParcelManifested
		if !decode(&v) {
			return "", when, false
		}
		if v.Station == "" {
			return text(lang, "event.manifested_to", "carrier", reg.carrierName(v.Carrier)), when, true
		}
		return text(lang, "event.manifested", "carrier", reg.carrierName(v.Carrier), "station", reg.siteName(lang, v.Station)), when, true
	case syncproto.KindParcelDestination:
		var v syncproto.ParcelDestination
		if !decode(&v) {
			return "", when, false
		}
		return text(lang, "event.destination", "station", reg.siteName(lang, v.Station)), when, true
	case syncproto.KindCarrierEvent:
		var v syncproto.CarrierEvent
		if !decode(&v) {
			return "", when, false
		}
		what := v.Text
		if what == "" {
			what = v.Code
			if k := "carrier." + v.Code; has(k) {
				what = text(lang, k)
			}
		}
		if v.AtMs > 0 {
			when = time.UnixMilli(v.AtMs)
		}
		if v.Location != "" {
			return text(lang, "event.carrier_at", "carrier", reg.carrierName(v.Carrier), "text", what, "place", v.Location), when, true
		}
		return text(lang, "event.carrier", "carrier", reg.carrierName(v.Carrier), "text", what), when, true
	case syncproto.KindParcelAtCentre:
		var v syncproto.ParcelAtCentre
		if !decode(&v) {
			return "", when, false
		}
		if v.Station == "" {
			return text(lang, "event.at_centre", "centre", site), when, true
		}
		return text(lang, "event.sorted", "centre", site, "station", reg.siteName(lang, v.Station)), when, true
	case syncproto.KindParcelLoaded:
		var v syncproto.ParcelLoaded
		if !decode(&v) {
			return "", when, false
		}
		if line, dep, ok := parseTrip(v.Trip); ok {
			return text(lang, "event.loaded", "line", line, "departure", dep), when, true
		}
		return text(lang, "event.loaded_bare"), when, true
	case syncproto.KindTripDeparted:
		var v syncproto.TripDeparted
		if !decode(&v) {
			return "", when, false
		}
		line, dep, ok := parseTrip(v.Trip)
		if !ok {
			return text(lang, "event.departed_bare"), when, true
		}
		if l, ok := reg.lines[line]; ok && p.Dest != "" {
			for _, st := range l.Stops[1:] {
				if st.Node == p.Dest {
					eta := f.HLC.Time().Add(time.Duration(st.Minutes) * time.Minute).In(s.loc).Format("15:04")
					return text(lang, "event.departed_eta", "line", line, "departure", dep, "eta", eta,
						"station", reg.siteName(lang, p.Dest)), when, true
				}
			}
		}
		return text(lang, "event.departed", "line", line, "departure", dep), when, true
	case syncproto.KindTripAtStop:
		var v syncproto.TripAtStop
		if !decode(&v) {
			return "", when, false
		}
		if v.AtMs > 0 {
			when = time.UnixMilli(v.AtMs)
		}
		key := "event.vehicle_arrived"
		switch v.Event {
		case syncproto.TripLeft:
			key = "event.vehicle_left"
		case syncproto.TripNear:
			return text(lang, "event.vehicle_near", "vehicle", v.Vehicle, "station", reg.siteName(lang, v.Node),
				"eta", time.UnixMilli(v.EtaMs).In(s.loc).Format("15:04")), when, true
		}
		return text(lang, key, "vehicle", v.Vehicle, "station", reg.siteName(lang, v.Node)), when, true
	case syncproto.KindParcelInbound:
		return text(lang, "event.inbound", "station", site), when, true
	case syncproto.KindParcelInboundUndone:
		return text(lang, "event.inbound_undone", "station", site), when, true
	case syncproto.KindParcelsPickedUp:
		var v syncproto.ParcelsPickedUp
		if !decode(&v) {
			return "", when, false
		}
		if v.Collector.Kind == "proxy" {
			return text(lang, "event.picked_proxy", "station", site), when, true
		}
		return text(lang, "event.picked_up", "station", site), when, true
	case syncproto.KindParcelProblem:
		var v syncproto.ParcelProblem
		if !decode(&v) {
			return "", when, false
		}
		return text(lang, "event.problem", "station", site, "reason", reasonText(lang, v.Reason)), when, true
	case syncproto.KindParcelLost:
		// The dispatcher's note is the county's, not the villager's.
		return text(lang, "event.lost", "carrier", carrier), when, true
	case syncproto.KindParcelsReturned:
		var v syncproto.ParcelsReturned
		if !decode(&v) {
			return "", when, false
		}
		return text(lang, "event.returning", "reason", reasonText(lang, v.Reason)), when, true
	case syncproto.KindParcelCollected:
		var v syncproto.ParcelCollected
		if !decode(&v) {
			return "", when, false
		}
		if v.Direction == syncproto.CollectedReturn {
			return text(lang, "event.return_centre", "centre", site), when, true
		}
		return text(lang, "event.collected", "centre", site, "carrier", carrier), when, true
	case syncproto.KindParcelsHandedOver:
		var v syncproto.ParcelsHandedOver
		if !decode(&v) {
			return "", when, false
		}
		name := reg.carrierName(v.Carrier)
		if p.Direction == "in" {
			return text(lang, "event.returned", "carrier", name), when, true
		}
		return text(lang, "event.handed_over", "carrier", name), when, true
	case syncproto.KindParcelAccepted:
		var v syncproto.ParcelAccepted
		if !decode(&v) {
			return "", when, false
		}
		return text(lang, "event.accepted", "station", site, "province", v.Receiver.Province), when, true
	}
	return "", when, false
}

func reasonText(lang Lang, reason string) string {
	if k := "reason." + reason; has(k) {
		return text(lang, k)
	}
	return text(lang, "reason.unknown")
}

// tripRe reads a trip id (store.TripID): LINE-YYYYMMDD-HHMM.
var tripRe = regexp.MustCompile(`^(.+)-(\d{8})-([01]\d|2[0-3])([0-5]\d)$`)

// parseTrip gives a trip's line code and departure (HH:MM).
func parseTrip(id string) (line, departure string, ok bool) {
	m := tripRe.FindStringSubmatch(id)
	if m == nil {
		return "", "", false
	}
	return m[1], m[3] + ":" + m[4], true
}
