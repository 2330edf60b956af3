package public

import (
	"net/http"
	"sort"
	"strings"
	"time"

	"cunyou/hub/store"
)

// tripsAnswer is today's buses that stop at a village's station.
type tripsAnswer struct {
	Date    string       `json:"date"` // county day, YYYY-MM-DD
	Village villageRef   `json:"village"`
	Station *stationView `json:"station,omitempty"` // none: the village has no station
	From    string       `json:"from"`              // where the trips leave: the county centre
	Trips   []tripView   `json:"trips"`
	// Timetable: no trips are planned for today yet, so these come from
	// the lines' timetables.
	Timetable bool   `json:"timetable,omitempty"`
	Note      string `json:"note,omitempty"` // why there is no trip
}

type villageRef struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Town string `json:"town"`
}

// tripView is one trip seen from the village's stop.
type tripView struct {
	ID        string `json:"id,omitempty"`
	Line      string `json:"line"`
	LineName  string `json:"line_name"`
	Departure string `json:"departure"` // HH:MM from the centre (planned)
	Arrive    string `json:"arrive"`    // HH:MM expected at the stop
	Minutes   int    `json:"minutes"`   // from departure to the stop
	// Status: planned (not yet due to leave), due (should have left, not
	// reported), on_the_way (left), passed (due at the stop already),
	// cancelled, timetable (no trip planned today: the timetable's).
	Status     string `json:"status"`
	StatusText string `json:"status_text"`
	Next       bool   `json:"next,omitempty"` // the next bus to come
}

func (s *Server) trips(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	reg, err := s.registry(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if reg.county == nil {
		s.fail(w, r, fail(CodeNoCounty))
		return
	}
	code := strings.TrimSpace(r.URL.Query().Get("village"))
	v, ok := reg.county.Village(code)
	if !ok {
		s.fail(w, r, fail(CodeUnknownVillage))
		return
	}
	town, _ := reg.county.TownOf(code)
	lang := s.lang(r)
	now := s.today()
	date := now.Format(time.DateOnly)
	ans := tripsAnswer{Date: date, Village: villageRef{Code: v.Code, Name: v.Name, Town: town.Name}, From: reg.centreName(lang),
		Trips: []tripView{}}
	sts := reg.byVillage[code]
	if len(sts) == 0 {
		ans.Note = text(lang, "trip.no_station", "village", v.Name)
		s.reply(w, r, http.StatusOK, ans, cacheShort)
		return
	}
	st := sts[0]
	sv := s.stationView(lang, st)
	ans.Station = &sv

	trips, err := s.st.Trips(ctx, date)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(trips) == 0 {
		// Nothing planned today (yet): say what the timetable says.
		ans.Timetable = true
		for _, l := range reg.lines {
			for _, d := range l.Departures {
				trips = append(trips, store.Trip{Line: l.Code, LineName: l.Name, Date: date, Departure: d, Status: "timetable",
					Stops: l.Stops})
			}
		}
		sort.Slice(trips, func(i, j int) bool {
			return trips[i].Departure < trips[j].Departure || trips[i].Departure == trips[j].Departure && trips[i].Line < trips[j].Line
		})
	}
	for _, t := range trips {
		minutes, ok := stopMinutes(t.Stops, st.Node)
		if !ok {
			continue
		}
		dep, err := time.ParseInLocation(time.DateOnly+" 15:04", date+" "+t.Departure, s.loc)
		if err != nil {
			continue
		}
		tv := tripView{ID: t.ID, Line: t.Line, LineName: t.LineName, Departure: t.Departure, Minutes: minutes}
		if ans.Timetable {
			tv.ID = ""
		}
		base := dep
		if t.Status == "departed" && !t.Departed.IsZero() {
			base = t.Departed.In(s.loc)
		}
		arrive := base.Add(time.Duration(minutes) * time.Minute)
		tv.Arrive = arrive.Format("15:04")
		switch {
		case t.Status == "cancelled":
			tv.Status = "cancelled"
		case !now.Before(arrive), t.Status == "arrived":
			tv.Status = "passed"
		case t.Status == "departed":
			tv.Status = "on_the_way"
		case t.Status == "timetable":
			tv.Status = "timetable"
		case now.Before(dep):
			tv.Status = "planned"
		default:
			tv.Status = "due"
		}
		tv.StatusText = text(lang, "trip."+tv.Status, "departure", t.Departure, "arrive", tv.Arrive)
		ans.Trips = append(ans.Trips, tv)
	}
	for i := range ans.Trips {
		if st := ans.Trips[i].Status; st != "passed" && st != "cancelled" {
			ans.Trips[i].Next = true
			break
		}
	}
	if len(ans.Trips) == 0 || !anyNext(ans.Trips) {
		ans.Note = text(lang, "trip.none", "village", v.Name)
	}
	s.reply(w, r, http.StatusOK, ans, cacheShort)
}

// stopMinutes is the minutes from departure to node's stop (not the
// first stop, where the trip leaves).
func stopMinutes(stops []store.Stop, node string) (int, bool) {
	for i, st := range stops {
		if i > 0 && st.Node == node {
			return st.Minutes, true
		}
	}
	return 0, false
}

func anyNext(ts []tripView) bool {
	for _, t := range ts {
		if t.Next {
			return true
		}
	}
	return false
}
