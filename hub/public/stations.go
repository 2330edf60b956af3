package public

import (
	"math"
	"net/http"
	"sort"
	"time"

	"github.com/go-chi/chi/v5"

	"cunyou/hub/store"
)

// stationView is a station as the pages show it. Contact is the
// station's business number, shown in full.
type stationView struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Town        string `json:"town,omitempty"`
	Village     string `json:"village,omitempty"`
	VillageCode string `json:"village_code,omitempty"`
	Address     string `json:"address,omitempty"`
	Hours       string `json:"hours,omitempty"` // HH:MM-HH:MM
	Contact     string `json:"contact,omitempty"`
	// State is open, closed, suspended (by the county) or unknown (no
	// hours); StateText says it with the next opening or closing time.
	State     string `json:"state"`
	OpenNow   bool   `json:"open_now"`
	StateText string `json:"state_text"`
}

func (s *Server) stationView(lang Lang, st store.Site) stationView {
	v := stationView{ID: st.Node, Name: st.Name, Town: st.TownName, Village: st.VillageName, VillageCode: st.Village,
		Address: st.Address, Hours: st.Hours, Contact: st.Contact}
	var key string
	var args []string
	v.State, v.OpenNow, key, args = openState(st.Hours, st.Status, s.today())
	v.StateText = text(lang, key, args...)
	return v
}

// openState says whether a station with hours ("HH:MM-HH:MM", may run past
// midnight) and county status is open at now (county time), and the key
// and arguments of the sentence that says so.
func openState(hours, status string, now time.Time) (state string, open bool, key string, args []string) {
	if status == "suspended" {
		return "suspended", false, "state.suspended", nil
	}
	from, to, ok := parseHours(hours)
	if !ok {
		return "unknown", false, "state.unknown", nil
	}
	m := now.Hour()*60 + now.Minute()
	openTxt, closeTxt := hours[:5], hours[6:]
	switch {
	case from < to && m >= from && m < to, from > to && (m >= from || m < to):
		return "open", true, "state.open", []string{"close", closeTxt}
	case m < from:
		return "closed", false, "state.closed_today", []string{"open", openTxt}
	default:
		return "closed", false, "state.closed_next", []string{"open", openTxt}
	}
}

// parseHours reads "HH:MM-HH:MM" as minutes of the day.
func parseHours(h string) (from, to int, ok bool) {
	if len(h) != 11 || h[5] != '-' {
		return 0, 0, false
	}
	a, err1 := time.Parse("15:04", h[:5])
	b, err2 := time.Parse("15:04", h[6:])
	if err1 != nil || err2 != nil || a.Equal(b) {
		return 0, 0, false
	}
	return a.Hour()*60 + a.Minute(), b.Hour()*60 + b.Minute(), true
}

// stationsAnswer is the station finder's data in one answer: towns with
// their villages, each naming its stations (or the nearest one), and the
// stations by id.
type stationsAnswer struct {
	County   string                 `json:"county"`
	Centre   string                 `json:"centre"`
	Towns    []townView             `json:"towns"`
	Stations map[string]stationView `json:"stations"`
}

type townView struct {
	Code     string        `json:"code"`
	Name     string        `json:"name"`
	Villages []villageView `json:"villages"`
}

type villageView struct {
	Code     string   `json:"code"`
	Name     string   `json:"name"`
	Stations []string `json:"stations"` // ids, in Stations
	// Nearest is the closest station (straight line) of a village that
	// has none.
	Nearest *nearest `json:"nearest,omitempty"`
}

type nearest struct {
	Station string  `json:"station"`
	KM      float64 `json:"km"`
}

func (s *Server) stations(w http.ResponseWriter, r *http.Request) {
	reg, err := s.registry(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if reg.county == nil {
		s.fail(w, r, fail(CodeNoCounty))
		return
	}
	lang := s.lang(r)
	ans := stationsAnswer{County: reg.county.Name, Centre: reg.centreName(lang), Towns: []townView{},
		Stations: map[string]stationView{}}
	var all []store.Site
	for _, sts := range reg.byVillage {
		all = append(all, sts...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Node < all[j].Node })
	for _, t := range reg.county.Towns {
		tv := townView{Code: t.Code, Name: t.Name, Villages: []villageView{}}
		for _, v := range t.Villages {
			vv := villageView{Code: v.Code, Name: v.Name, Stations: []string{}}
			for _, st := range reg.byVillage[v.Code] {
				vv.Stations = append(vv.Stations, st.Node)
				ans.Stations[st.Node] = s.stationView(lang, st)
			}
			if len(vv.Stations) == 0 {
				best := math.Inf(1)
				for _, st := range all {
					if st.Lat == 0 && st.Lon == 0 {
						continue
					}
					if d := km(v.Lat, v.Lon, st.Lat, st.Lon); d < best {
						best, vv.Nearest = d, &nearest{Station: st.Node, KM: math.Round(d*10) / 10}
					}
				}
				if vv.Nearest != nil {
					if _, ok := ans.Stations[vv.Nearest.Station]; !ok {
						ans.Stations[vv.Nearest.Station] = s.stationView(lang, reg.sites[vv.Nearest.Station])
					}
				}
			}
			tv.Villages = append(tv.Villages, vv)
		}
		ans.Towns = append(ans.Towns, tv)
	}
	s.reply(w, r, http.StatusOK, ans, cacheMinute)
}

func (s *Server) station(w http.ResponseWriter, r *http.Request) {
	reg, err := s.registry(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	st, ok := reg.sites[chi.URLParam(r, "id")]
	if !ok || !isPublicStation(st) {
		s.fail(w, r, fail(CodeUnknownStation))
		return
	}
	s.reply(w, r, http.StatusOK, s.stationView(s.lang(r), st), cacheMinute)
}

// km is the great-circle distance.
func km(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371.0
	rad := math.Pi / 180
	dlat, dlon := (lat2-lat1)*rad, (lon2-lon1)*rad
	a := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dlon/2)*math.Sin(dlon/2)
	return 2 * r * math.Asin(math.Sqrt(a))
}
