// Package intake takes carriers' and shops' manifests into the hub: it
// checks each parcel announced (waybill, carrier, phone), decides where it
// goes (the address's village by the county gazetteer, else the station
// the receiver's phone used last, else the dispatchers' queue), plans it
// on the next trip to that station, and records the good parcels in one
// transaction as the hub's own facts. The same parcel announced again
// updates it and is never a second parcel.
package intake

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"cunyou/hub/merge"
	"cunyou/hub/resolve"
	"cunyou/hub/store"
	"cunyou/syncproto"
	"cunyou/waybill"
)

// MaxEntries bounds one announcement (an API call or a file).
const MaxEntries = 20000

// Entry is a parcel a carrier or shop announces.
type Entry struct {
	Waybill       string `json:"waybill"`
	Carrier       string `json:"carrier"`
	ReceiverName  string `json:"receiver_name,omitempty"`
	ReceiverPhone string `json:"receiver_phone"`
	Address       string `json:"address,omitempty"`
	WeightGrams   int    `json:"weight_g,omitempty"`
	ValueFen      int    `json:"value_fen,omitempty"`
	SenderName    string `json:"sender_name,omitempty"`
	SenderPhone   string `json:"sender_phone,omitempty"`
}

// Outcomes of an entry.
const (
	Created   = "created"   // a new parcel
	Updated   = "updated"   // announced before; its details changed
	Unchanged = "unchanged" // announced before with the same details
	Rejected  = "rejected"  // not taken: Code and Message say why
)

// Error codes of a rejected entry. Stable: integrators match on them.
const (
	CodeBadWaybill     = "bad_waybill"     // not a waybill number
	CodeBadPhone       = "bad_phone"       // not a mainland mobile number (an extension -NNNN is allowed)
	CodeUnknownCarrier = "unknown_carrier" // the carrier is not registered at the hub
	CodeCarrierScope   = "carrier_scope"   // a carrier's client announcing another carrier's parcel
	CodeOtherCarrier   = "other_carrier"   // the waybill was announced by another carrier
	CodeDuplicate      = "duplicate"       // the same waybill twice in one announcement, with other details
	CodeBadField       = "bad_field"       // a field out of range (weight, value, lengths)
)

// Result is what became of one entry.
type Result struct {
	Row     int    `json:"row"` // 1-based place in the announcement (file row for files)
	Waybill string `json:"waybill"`
	Outcome string `json:"outcome"`
	Station string `json:"station,omitempty"` // destination decided
	Reason  string `json:"reason,omitempty"`  // village, phone, manual, unresolved
	Detail  string `json:"detail,omitempty"`
	Trip    string `json:"trip,omitempty"`
	Warning string `json:"warning,omitempty"` // e.g. a number that does not look like the carrier's
	Code    string `json:"code,omitempty"`    // when rejected
	Message string `json:"message,omitempty"` // when rejected
}

// Summary counts the outcomes.
type Summary struct {
	Created, Updated, Unchanged, Rejected, Unresolved int
}

// Summarize counts results.
func Summarize(rs []Result) Summary {
	var s Summary
	for _, r := range rs {
		switch r.Outcome {
		case Created:
			s.Created++
		case Updated:
			s.Updated++
		case Unchanged:
			s.Unchanged++
		case Rejected:
			s.Rejected++
		}
		if r.Outcome != Rejected && r.Station == "" {
			s.Unresolved++
		}
	}
	return s
}

// Service announces parcels.
type Service struct {
	st  *store.Store
	m   *merge.Merger
	loc *time.Location

	mu       sync.Mutex
	res      *resolve.Resolver
	resAt    time.Time
	carriers map[string]bool
}

// New returns a service recording through m into st; days (for trips)
// are counted in loc.
func New(st *store.Store, m *merge.Merger, loc *time.Location) *Service {
	return &Service{st: st, m: m, loc: loc}
}

// refresh reloads the gazetteer and the carriers at most every 30 s, so
// a county or carrier loaded while the hub runs is used soon.
func (s *Service) refresh(ctx context.Context) (*resolve.Resolver, map[string]bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.carriers != nil && time.Since(s.resAt) < 30*time.Second {
		return s.res, s.carriers, nil
	}
	c, err := s.st.County(ctx)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.res = nil // no county: every parcel goes by phone or to the queue
	case err != nil:
		return nil, nil, err
	default:
		s.res = resolve.New(c)
	}
	cs, err := s.st.Carriers(ctx)
	if err != nil {
		return nil, nil, err
	}
	s.carriers = map[string]bool{}
	for _, c := range cs {
		s.carriers[c.Code] = true
	}
	s.resAt = time.Now()
	return s.res, s.carriers, nil
}

// Forget drops the cached gazetteer and carriers (after a change).
func (s *Service) Forget() {
	s.mu.Lock()
	s.carriers = nil
	s.mu.Unlock()
}

var phoneRe = regexp.MustCompile(`^1[3-9]\d{9}(-\d{1,6})?$`)

// NormalizePhone strips spaces, dashes between digit groups and a +86
// prefix from a mainland mobile number; an extension (privacy numbers:
// 13800138000-1234) is kept. ok is false when it is no such number.
func NormalizePhone(raw string) (string, bool) {
	p := strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return r - '０' + '0'
		case r == ' ' || r == '\u3000' || r == '\t':
			return -1
		case r == '－' || r == '转' || r == ',' || r == '#':
			return '-'
		}
		return r
	}, strings.TrimSpace(raw))
	p = strings.TrimPrefix(strings.TrimPrefix(p, "+86"), "0086")
	p = strings.TrimPrefix(p, "86-")
	// 138-0013-8000 or 138 0013 8000 (spaces already gone)
	if len(p) == 13 && p[3] == '-' && p[8] == '-' {
		p = p[:3] + p[4:8] + p[9:]
	}
	return p, phoneRe.MatchString(p)
}

// Announce takes entries from source ("api:<client>" or "file:<name>"),
// announced by a client limited to carrier scope ("" for any carrier).
// Every entry gets a result; the good ones are recorded together, in one
// transaction, or none is (the error says why). It waits until they are
// in the tracking index.
func (s *Service) Announce(ctx context.Context, source, scope string, entries []Entry) ([]Result, error) {
	if len(entries) > MaxEntries {
		return nil, fmt.Errorf("%w: %d parcels in one announcement (at most %d)", store.ErrTooLarge, len(entries), MaxEntries)
	}
	res, carriers, err := s.refresh(ctx)
	if err != nil {
		return nil, err
	}
	results := make([]Result, len(entries))
	seen := map[string]int{} // waybill → index of its first entry
	var facts []merge.Fact
	today := time.Now().In(s.loc)
	for i := range entries {
		e := &entries[i]
		r := &results[i]
		r.Row = i + 1
		reject := func(code, format string, args ...any) {
			r.Outcome, r.Code, r.Message = Rejected, code, fmt.Sprintf(format, args...)
		}
		wb, err := waybill.Normalize(e.Waybill)
		r.Waybill = wb
		if err != nil {
			r.Waybill = e.Waybill
			reject(CodeBadWaybill, "waybill %q: %v", e.Waybill, err)
			continue
		}
		e.Waybill = wb
		e.Carrier = strings.ToLower(strings.TrimSpace(e.Carrier))
		switch {
		case !carriers[e.Carrier]:
			reject(CodeUnknownCarrier, "carrier %q is not registered at the hub", e.Carrier)
			continue
		case scope != "" && e.Carrier != scope:
			reject(CodeCarrierScope, "this client announces %s parcels only", scope)
			continue
		}
		phone, ok := NormalizePhone(e.ReceiverPhone)
		if !ok {
			reject(CodeBadPhone, "receiver phone %q: give an 11-digit mobile number", maskRaw(e.ReceiverPhone))
			continue
		}
		e.ReceiverPhone = phone
		if e.SenderPhone != "" {
			if sp, ok := NormalizePhone(e.SenderPhone); ok {
				e.SenderPhone = sp
			}
		}
		e.ReceiverName, e.Address, e.SenderName = strings.TrimSpace(e.ReceiverName), strings.TrimSpace(e.Address), strings.TrimSpace(e.SenderName)
		switch {
		case e.WeightGrams < 0 || e.WeightGrams > 100_000:
			reject(CodeBadField, "weight_g %d: give 0-100000 grams", e.WeightGrams)
			continue
		case e.ValueFen < 0:
			reject(CodeBadField, "value_fen %d: give 0 or more fen", e.ValueFen)
			continue
		case utf8.RuneCountInString(e.ReceiverName) > 50 || utf8.RuneCountInString(e.Address) > 200 || utf8.RuneCountInString(e.SenderName) > 100:
			reject(CodeBadField, "receiver name up to 50 characters, address up to 200, sender up to 100")
			continue
		}
		if !waybill.Valid(e.Carrier, wb) {
			r.Warning = fmt.Sprintf("%s does not look like a %s waybill number", wb, e.Carrier)
		}
		if j, dup := seen[wb]; dup {
			if entries[j] == *e {
				*r = results[j]
				r.Row = i + 1
				continue
			}
			reject(CodeDuplicate, "waybill %s is also row %d of this announcement, with other details", wb, j+1)
			continue
		}
		seen[wb] = i

		// Announced before?
		prev, err := s.st.Parcel(ctx, wb, "in")
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return nil, err
		case prev.Carrier != "" && prev.Carrier != e.Carrier && prev.Source != "":
			reject(CodeOtherCarrier, "waybill %s was announced by %s", wb, prev.Carrier)
			continue
		}
		dest := s.decide(ctx, res, e)
		if prev.Waybill != "" && prev.DestReason == syncproto.DestManual {
			dest = destination{station: prev.Dest, reason: syncproto.DestManual, detail: prev.DestDetail}
		}
		if dest.station != "" {
			dest.trip = s.nextTrip(ctx, today, dest.station)
		}
		r.Station, r.Reason, r.Detail, r.Trip = dest.station, dest.reason, dest.detail, dest.trip
		switch {
		case prev.Waybill == "":
			r.Outcome = Created
		case prev.Source != "" && same(prev, e, dest):
			r.Outcome = Unchanged
			continue
		default:
			r.Outcome = Updated
		}
		facts = append(facts, merge.Fact{Kind: syncproto.KindParcelManifested, Actor: source, Payload: syncproto.ParcelManifested{
			Waybill: wb, Carrier: e.Carrier, ReceiverName: e.ReceiverName, ReceiverPhone: e.ReceiverPhone, Address: e.Address,
			WeightGrams: e.WeightGrams, ValueFen: e.ValueFen, SenderName: e.SenderName, SenderPhone: e.SenderPhone,
			Source: source, Station: dest.station, Trip: dest.trip, Reason: dest.reason, Detail: dest.detail}})
	}
	if len(facts) == 0 {
		return results, nil
	}
	if err := s.m.Record(ctx, facts); err != nil {
		return nil, err
	}
	return results, s.m.Flush(ctx)
}

type destination struct{ station, reason, detail, trip string }

// decide routes a parcel: the address's village, else the station the
// phone used last, else unresolved (why goes in detail).
func (s *Service) decide(ctx context.Context, res *resolve.Resolver, e *Entry) destination {
	why := "no county gazetteer loaded"
	if res != nil {
		r := res.Resolve(e.Address)
		if r.Resolved() {
			return destination{station: r.Station, reason: syncproto.DestVillage, detail: r.Detail}
		}
		why = r.Reason + ": " + r.Detail
		if e.Address == "" {
			why = "no address"
		}
	}
	if st, ok, err := s.st.LastStationOf(ctx, e.ReceiverPhone); err == nil && ok {
		return destination{station: st, reason: syncproto.DestPhone, detail: "the station this phone collected at last (address: " + why + ")"}
	}
	return destination{reason: syncproto.DestUnresolved, detail: why}
}

// nextTrip is the first trip of the day, not yet gone, that stops at
// station; "" when none is planned.
func (s *Service) nextTrip(ctx context.Context, now time.Time, station string) string {
	trips, err := s.st.TripsTo(ctx, now.Format(time.DateOnly), station)
	if err != nil {
		return ""
	}
	hm := now.Format("15:04")
	for _, t := range trips {
		if t.Status == "planned" && t.Departure >= hm {
			return t.ID
		}
	}
	return ""
}

// same reports whether an announcement repeats what the hub has.
func same(p store.Parcel, e *Entry, d destination) bool {
	return p.Carrier == e.Carrier && p.ReceiverName == e.ReceiverName && p.ReceiverPhone == e.ReceiverPhone &&
		p.Address == e.Address && p.WeightGrams == e.WeightGrams && p.ValueFen == e.ValueFen && p.SenderName == e.SenderName &&
		p.Dest == d.station
}

// maskRaw shows a bad phone number without its middle (138****5678), or
// only its length when it is too short to mask.
func maskRaw(s string) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) < 11 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:3]) + strings.Repeat("*", len(r)-7) + string(r[len(r)-4:])
}

// Assign sets a parcel's destination by a dispatcher (actor), from the
// queue of unresolved parcels or over an earlier decision.
func (s *Service) Assign(ctx context.Context, actor, wb, station, note string) error {
	p, err := s.st.Parcel(ctx, wb, "in")
	if err != nil {
		return err
	}
	site, err := s.st.Site(ctx, station)
	if err != nil {
		return err
	}
	if site.Kind != string(syncproto.NodeStation) {
		return fmt.Errorf("%w: %s is not a station", store.ErrInvalid, station)
	}
	switch p.Status {
	case merge.StatusManifested, merge.StatusAtCentre, merge.StatusSorted:
	default:
		return fmt.Errorf("%w: parcel %s is %s: its destination can no longer change", store.ErrInvalid, wb, p.Status)
	}
	if err := s.m.Record(ctx, []merge.Fact{{Kind: syncproto.KindParcelDestination, Actor: actor, Payload: syncproto.ParcelDestination{
		Waybill: wb, Station: station, Reason: syncproto.DestManual, Note: note}}}); err != nil {
		return err
	}
	return s.m.Flush(ctx)
}

// Event is a carrier's own tracking event for a parcel.
type Event struct {
	Waybill  string    `json:"waybill"`
	Code     string    `json:"code"`
	Text     string    `json:"text,omitempty"`
	Location string    `json:"location,omitempty"`
	At       time.Time `json:"at"`
}

var eventCodeRe = regexp.MustCompile(`^[a-z][a-z0-9_.]{0,39}$`)

// CarrierEvents records a carrier's events (a client of carrier).
func (s *Service) CarrierEvents(ctx context.Context, actor, carrier string, evs []Event) error {
	facts := make([]merge.Fact, 0, len(evs))
	for i, ev := range evs {
		wb, err := waybill.Normalize(ev.Waybill)
		if err != nil {
			return fmt.Errorf("%w: event %d: waybill %q: %v", store.ErrInvalid, i+1, ev.Waybill, err)
		}
		if !eventCodeRe.MatchString(ev.Code) {
			return fmt.Errorf("%w: event %d: code %q: lowercase letters, digits, _ or .", store.ErrInvalid, i+1, ev.Code)
		}
		if ev.At.IsZero() {
			return fmt.Errorf("%w: event %d: no time (at)", store.ErrInvalid, i+1)
		}
		if utf8.RuneCountInString(ev.Text) > 200 || utf8.RuneCountInString(ev.Location) > 100 {
			return fmt.Errorf("%w: event %d: text up to 200 characters, location up to 100", store.ErrInvalid, i+1)
		}
		facts = append(facts, merge.Fact{Kind: syncproto.KindCarrierEvent, Actor: actor, Payload: syncproto.CarrierEvent{
			Waybill: wb, Carrier: carrier, Code: ev.Code, Text: ev.Text, Location: ev.Location, AtMs: ev.At.UnixMilli()}})
	}
	if len(facts) == 0 {
		return nil
	}
	if err := s.m.Record(ctx, facts); err != nil {
		return err
	}
	return s.m.Flush(ctx)
}
