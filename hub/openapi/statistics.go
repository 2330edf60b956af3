package openapi

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/xuri/excelize/v2"

	"cunyou/hub/store"
)

// GET /api/v1/statistics: the figures managers and the county government
// read (issue 8): per village station and county day, the parcels in,
// picked up, sent and sent back; the time from the centre's scan-in to
// the pickup; the share that left the shelf overdue; per carrier. JSON,
// or with format=xlsx a workbook of the same tables.

// Defaults and bounds of the statistics' query.
const (
	statsDefaultDays    = 30
	statsDefaultOverdue = 3 // days, as the stations' default (edge/station DefaultSettings) and the console's queue
	statsMaxOverdue     = 90
)

// StatsFigures are the figures of a day, a station, a carrier or the
// whole range.
type StatsFigures struct {
	In       int `json:"in"`        // scanned in at a station
	PickedUp int `json:"picked_up"` // picked up by the receiver or a proxy
	Sent     int `json:"sent"`      // accepted at a station to send
	Returned int `json:"returned"`  // marked at a station to go back
	// Overdue left the shelf (picked up or sent back) after waiting
	// longer than overdue_days, or were sent back as overdue; OverdueRate
	// is their share of the parcels that left the shelf.
	Overdue     int     `json:"overdue"`
	OverdueRate float64 `json:"overdue_rate"`
	// Waited pickups had a centre scan-in; the median and 90th percentile
	// of their times from it to the pickup, in hours.
	Waited          int     `json:"waited"`
	WaitMedianHours float64 `json:"wait_median_hours"`
	WaitP90Hours    float64 `json:"wait_p90_hours"`
}

// StatsDay are one county day's figures.
type StatsDay struct {
	Day string `json:"day"`
	StatsFigures
}

// StatsStation are one station's figures over the range, and the parcels
// on its shelves now for longer than overdue_days.
type StatsStation struct {
	Station    string `json:"station"`
	Name       string `json:"name,omitempty"`
	OverdueNow int    `json:"overdue_now"`
	StatsFigures
}

// StatsStationDay are one station's figures of one day.
type StatsStationDay struct {
	Day     string `json:"day"`
	Station string `json:"station"`
	Name    string `json:"name,omitempty"`
	StatsFigures
}

// StatsCarrier are one carrier's figures.
type StatsCarrier struct {
	Carrier string `json:"carrier"`
	Name    string `json:"name,omitempty"`
	StatsFigures
}

// StatsBucket counts the centre-to-pickup times up to UpToHours (0: the
// longer ones).
type StatsBucket struct {
	UpToHours int `json:"up_to_hours"`
	Count     int `json:"count"`
}

// Statistics is the answer of GET /api/v1/statistics.
type Statistics struct {
	From        string            `json:"from"` // first day, YYYY-MM-DD, county time
	To          string            `json:"to"`   // last day
	Station     string            `json:"station,omitempty"`
	Carrier     string            `json:"carrier,omitempty"`
	OverdueDays int               `json:"overdue_days"`
	HubTimeMs   int64             `json:"hub_time_ms"`
	Total       StatsFigures      `json:"total"`
	Days        []StatsDay        `json:"days"`         // every day of the range
	Stations    []StatsStation    `json:"stations"`     // stations with a figure
	StationDays []StatsStationDay `json:"station_days"` // station and day with a figure, by day
	Carriers    []StatsCarrier    `json:"carriers"`
	WaitBuckets []StatsBucket     `json:"wait_buckets"`
}

func figures(f store.StatsFigures) StatsFigures {
	out := StatsFigures{In: f.In, PickedUp: f.PickedUp, Sent: f.Sent, Returned: f.Returned, Overdue: f.Overdue, Waited: f.Waited,
		WaitMedianHours: hours(f.WaitMedian), WaitP90Hours: hours(f.WaitP90)}
	if n := f.Left(); n > 0 {
		out.OverdueRate = math.Round(float64(f.Overdue)/float64(n)*10000) / 10000
	}
	return out
}

// hours rounds a duration to a tenth of an hour.
func hours(d time.Duration) float64 { return math.Round(d.Hours()*10) / 10 }

// statsRunning bounds the statistics computed at once: each reads weeks
// of facts for a second or more of CPU, which the merge needs too.
const statsRunning = 2

// statsGate counts the statistics being computed.
type statsGate struct {
	mu      sync.Mutex
	running int
}

func (g *statsGate) enter() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.running >= statsRunning {
		return false
	}
	g.running++
	return true
}

func (g *statsGate) leave() {
	g.mu.Lock()
	g.running--
	g.mu.Unlock()
}

// statistics answers GET /api/v1/statistics (a carrier's client: its own
// parcels only, as GET /counts).
func (s *Server) statistics(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	c := callerOf(r)
	qs := r.URL.Query()
	today := s.now().In(s.loc)
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, s.loc)
	day := func(name string, def time.Time) (time.Time, error) {
		v := qs.Get(name)
		if v == "" {
			return def, nil
		}
		d, err := time.ParseInLocation(time.DateOnly, v, s.loc)
		if err != nil {
			return d, problem(CodeBadParameter, "%s %q: give a day as YYYY-MM-DD", name, v)
		}
		return d, nil
	}
	last, err := day("to", today)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	first, err := day("from", last.AddDate(0, 0, 1-statsDefaultDays))
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	end := last.AddDate(0, 0, 1)
	switch {
	case last.Before(first):
		s.writeProblem(w, r, problem(CodeBadParameter, "from %s is after to %s", first.Format(time.DateOnly), last.Format(time.DateOnly)))
		return
	case first.AddDate(0, 0, store.MaxStatsDays).Before(end):
		s.writeProblem(w, r, problem(CodeBadParameter, "from %s to %s: at most %d days at a time", first.Format(time.DateOnly),
			last.Format(time.DateOnly), store.MaxStatsDays))
		return
	}
	overdue := statsDefaultOverdue
	if v := qs.Get("overdue_days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > statsMaxOverdue {
			s.writeProblem(w, r, problem(CodeBadParameter, "overdue_days %q: give whole days from 1 to %d", v, statsMaxOverdue))
			return
		}
		overdue = n
	}
	format := qs.Get("format")
	if format != "" && format != "json" && format != "xlsx" {
		s.writeProblem(w, r, problem(CodeBadParameter, "format %q: json or xlsx", format))
		return
	}
	carrier := qs.Get("carrier")
	if c.carrier != "" {
		if carrier != "" && carrier != c.carrier {
			s.writeProblem(w, r, problem(CodeCarrierScope, "carrier %q: this client sees only %s's parcels", carrier, c.carrier))
			return
		}
		carrier = c.carrier
	}
	carriers, err := s.st.Carriers(ctx)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	carrierNames := map[string]string{}
	for _, k := range carriers {
		carrierNames[k.Code] = k.Name
	}
	if _, known := carrierNames[carrier]; carrier != "" && !known {
		s.writeProblem(w, r, problem(CodeBadParameter, "carrier %q: no such carrier", carrier))
		return
	}
	v := s.viewFor(ctx, c)
	station := qs.Get("station")
	if station != "" {
		switch site, ok := v.sites[station]; {
		case !ok:
			s.writeProblem(w, r, problem(CodeUnknownStation, "station %q: no such node in the county", station))
			return
		case site.Kind != "station":
			s.writeProblem(w, r, problem(CodeNotAStation, "%s is the centre, not a village station", station))
			return
		}
	}

	if !s.stats.enter() {
		s.writeProblem(w, r, &apiError{code: CodeBusy, detail: fmt.Sprintf("%d statistics are being computed; retry after the time given",
			statsRunning), retryAfter: 5})
		return
	}
	defer s.stats.leave()
	st, err := s.st.Statistics(ctx, store.StatsQuery{From: first, To: end, Loc: s.loc, Station: station, Carrier: carrier,
		OverdueAfter: time.Duration(overdue) * 24 * time.Hour})
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	name := func(node string) string {
		if p := v.place(node); p != nil {
			return p.Name
		}
		return ""
	}
	out := Statistics{From: first.Format(time.DateOnly), To: last.Format(time.DateOnly), Station: station, Carrier: carrier,
		OverdueDays: overdue, HubTimeMs: s.now().UnixMilli(), Total: figures(st.Total), Days: []StatsDay{}, Stations: []StatsStation{},
		StationDays: []StatsStationDay{}, Carriers: []StatsCarrier{}, WaitBuckets: []StatsBucket{}}
	for _, d := range st.Days {
		out.Days = append(out.Days, StatsDay{Day: d.Day, StatsFigures: figures(d.StatsFigures)})
	}
	listed := map[string]bool{}
	for _, x := range st.Stations {
		listed[x.Station] = true
		out.Stations = append(out.Stations, StatsStation{Station: x.Station, Name: name(x.Station), OverdueNow: st.OverdueNow[x.Station],
			StatsFigures: figures(x.StatsFigures)})
	}
	for node, n := range st.OverdueNow {
		if !listed[node] {
			out.Stations = append(out.Stations, StatsStation{Station: node, Name: name(node), OverdueNow: n})
		}
	}
	slices.SortFunc(out.Stations, func(a, b StatsStation) int { return strings.Compare(a.Station, b.Station) })
	for _, x := range st.StationDays {
		out.StationDays = append(out.StationDays, StatsStationDay{Day: x.Day, Station: x.Station, Name: name(x.Station),
			StatsFigures: figures(x.StatsFigures)})
	}
	for _, x := range st.Carriers {
		out.Carriers = append(out.Carriers, StatsCarrier{Carrier: x.Carrier, Name: carrierNames[x.Carrier], StatsFigures: figures(x.StatsFigures)})
	}
	for i, n := range st.WaitBuckets {
		b := StatsBucket{Count: n}
		if i < len(store.StatsWaitBounds) {
			b.UpToHours = int(store.StatsWaitBounds[i].Hours())
		}
		out.WaitBuckets = append(out.WaitBuckets, b)
	}
	if format != "xlsx" {
		s.write(w, ok(http.StatusOK, out))
		return
	}
	body, err := statsWorkbook(out)
	if err != nil {
		s.writeProblem(w, r, fmt.Errorf("write the workbook: %w", err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="cunyou-statistics-%s-%s.xlsx"`, out.From, out.To))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// statsColumns head the figures' columns of the workbook (it is read by
// people in the county: Chinese first, the JSON name beside).
var statsColumns = []string{"入库 in", "取件 picked_up", "寄件 sent", "退回 returned", "超期 overdue", "超期率 overdue_rate",
	"有分拨记录的取件 waited", "分拨到取件中位数（小时）wait_median_hours", "分拨到取件 P90（小时）wait_p90_hours"}

func statsCells(f StatsFigures) []any {
	return []any{f.In, f.PickedUp, f.Sent, f.Returned, f.Overdue, f.OverdueRate, f.Waited, f.WaitMedianHours, f.WaitP90Hours}
}

// statsWorkbook writes the statistics as an XLSX workbook: a sheet for
// the days, the stations, the stations' days and the carriers.
func statsWorkbook(st Statistics) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	sheets := []struct {
		name string
		head []string
		rows [][]any
	}{{name: "每日 days", head: []string{"日期 day"}}, {name: "驿站 stations", head: []string{"驿站 station", "名称 name", "当前超期 overdue_now"}},
		{name: "驿站每日 station days", head: []string{"日期 day", "驿站 station", "名称 name"}}, {name: "快递公司 carriers", head: []string{"快递公司 carrier", "名称 name"}}}
	for _, d := range st.Days {
		sheets[0].rows = append(sheets[0].rows, append([]any{d.Day}, statsCells(d.StatsFigures)...))
	}
	for _, x := range st.Stations {
		sheets[1].rows = append(sheets[1].rows, append([]any{x.Station, x.Name, x.OverdueNow}, statsCells(x.StatsFigures)...))
	}
	for _, x := range st.StationDays {
		sheets[2].rows = append(sheets[2].rows, append([]any{x.Day, x.Station, x.Name}, statsCells(x.StatsFigures)...))
	}
	for _, x := range st.Carriers {
		sheets[3].rows = append(sheets[3].rows, append([]any{x.Carrier, x.Name}, statsCells(x.StatsFigures)...))
	}
	for i, sh := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", sh.name); err != nil {
				return nil, err
			}
		} else if _, err := f.NewSheet(sh.name); err != nil {
			return nil, err
		}
		head := make([]any, 0, len(sh.head)+len(statsColumns))
		for _, h := range append(slices.Clone(sh.head), statsColumns...) {
			head = append(head, h)
		}
		if err := f.SetSheetRow(sh.name, "A1", &head); err != nil {
			return nil, err
		}
		for j, row := range sh.rows {
			if err := f.SetSheetRow(sh.name, "A"+strconv.Itoa(j+2), &row); err != nil {
				return nil, err
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
