package openapi

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"cunyou/hub/store"
	"cunyou/syncproto"
	"cunyou/waybill"
)

// StationInfo is one station in GET /api/v1/stations (the shape the
// console has read since the route was the sync API's).
type StationInfo struct {
	Node          string            `json:"node"`
	Name          string            `json:"name"`
	Kind          string            `json:"kind"`
	Enrolled      bool              `json:"enrolled"`
	CodePending   bool              `json:"code_pending"`
	Disabled      bool              `json:"disabled"`
	Software      string            `json:"software,omitempty"`
	Cursors       map[string]uint64 `json:"cursors"`
	LastContactMs int64             `json:"last_contact_ms"`
	LagSeconds    float64           `json:"lag_seconds"`
	SkewMs        int64             `json:"skew_ms"`
	FutureOps     int64             `json:"future_ops"`
	DeadLetters   int64             `json:"dead_letters"`
	Quarantined   int64             `json:"quarantined"`
	ChangesSeq    int64             `json:"changes_seq"`
	ChangesAfter  uint64            `json:"changes_after"`
	// Health is what the node reported of itself at its last hello:
	// its unsent ops and its devices; absent before its first report.
	Health *StationHealth `json:"health,omitempty"`
}

// StationHealth is a node's own report at its last hello.
type StationHealth struct {
	Backlog       int           `json:"backlog"`         // ops the hub has not acknowledged
	OldestUnsentS int64         `json:"oldest_unsent_s"` // the oldest one's age, seconds
	Devices       []DeviceState `json:"devices"`
}

// DeviceState is one device of a node as its host last saw it.
type DeviceState struct {
	Name  string `json:"name"`
	Kind  string `json:"kind"`
	State string `json:"state"`          // ready, absent, error, …
	Code  string `json:"code,omitempty"` // the state's or last error's code (printer.paper_out …)
}

func healthView(h *syncproto.Health) *StationHealth {
	if h == nil {
		return nil
	}
	out := &StationHealth{Backlog: h.Backlog, OldestUnsentS: h.OldestUnsentS, Devices: []DeviceState{}}
	for _, d := range h.Devices {
		out.Devices = append(out.Devices, DeviceState{Name: d.Name, Kind: d.Kind, State: d.State, Code: d.Code})
	}
	return out
}

// StationList is the answer of GET /api/v1/stations.
type StationList struct {
	HubTimeMs int64         `json:"hub_time_ms"`
	Stations  []StationInfo `json:"stations"`
}

// unixMs is a time as Unix milliseconds, 0 for the zero time.
func unixMs(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// stations is every node's sync health.
func (s *Server) stations(w http.ResponseWriter, r *http.Request) {
	stations, err := s.st.Stations(r.Context())
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	now := s.now()
	out := StationList{HubTimeMs: now.UnixMilli(), Stations: make([]StationInfo, 0, len(stations))}
	for _, st := range stations {
		out.Stations = append(out.Stations, StationInfo{
			Node: st.ID, Name: st.Name, Kind: string(st.Kind), Enrolled: st.Enrolled, CodePending: st.CodePending,
			Disabled: st.Disabled, Software: st.Software, Cursors: st.Cursors, LastContactMs: unixMs(st.LastContact),
			LagSeconds: st.Lag(now).Round(time.Millisecond).Seconds(), SkewMs: st.LastSkew.Milliseconds(),
			FutureOps: st.FutureOps, DeadLetters: st.DeadLetters, Quarantined: st.Quarantined,
			ChangesSeq: st.ChangesSeq, ChangesAfter: st.ChangesAfter, Health: healthView(st.Health),
		})
	}
	s.write(w, ok(http.StatusOK, out))
}

// HolderCounts are the parcels one holder has.
type HolderCounts struct {
	// Holder is the node; "" for parcels with a carrier or on the road.
	Holder   string         `json:"holder"`
	Name     string         `json:"name,omitempty"`
	Kind     string         `json:"kind"` // station, centre, or none
	Total    int            `json:"total"`
	ByStatus map[string]int `json:"by_status"`
	ByStage  map[string]int `json:"by_stage"`
}

// Counts is the answer of GET /api/v1/counts.
type Counts struct {
	HubTimeMs int64          `json:"hub_time_ms"`
	Total     int            `json:"total"`
	ByStatus  map[string]int `json:"by_status"`
	ByStage   map[string]int `json:"by_stage"`
	Holders   []HolderCounts `json:"holders"`
}

// counts are the parcels per holder, status and stage (a carrier's client:
// its own).
func (s *Server) counts(w http.ResponseWriter, r *http.Request) {
	c := callerOf(r)
	m, err := s.st.StatusCountsOf(r.Context(), c.carrier)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	v := s.viewFor(r.Context(), c)
	out := Counts{HubTimeMs: s.now().UnixMilli(), ByStatus: map[string]int{}, ByStage: map[string]int{}, Holders: []HolderCounts{}}
	for node, byStatus := range m {
		h := HolderCounts{Holder: node, Kind: "none", ByStatus: byStatus, ByStage: map[string]int{}}
		if p := v.place(node); p != nil {
			h.Name, h.Kind = p.Name, p.Kind
		}
		for st, n := range byStatus {
			h.Total += n
			h.ByStage[stageOf(st)] += n
			out.ByStatus[st] += n
			out.ByStage[stageOf(st)] += n
			out.Total += n
		}
		out.Holders = append(out.Holders, h)
	}
	slices.SortFunc(out.Holders, func(a, b HolderCounts) int { return strings.Compare(a.Holder, b.Holder) })
	s.write(w, ok(http.StatusOK, out))
}

// Exception is a contradiction between facts, for a dispatcher.
type Exception struct {
	ID         int64     `json:"id"`
	Waybill    string    `json:"waybill"`
	Direction  string    `json:"direction"`
	Reason     string    `json:"reason"`
	Ops        []string  `json:"ops"` // the ops involved, node/incarnation/seq
	Open       bool      `json:"open"`
	CreatedAt  time.Time `json:"created_at"`
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
	ResolvedBy string    `json:"resolved_by,omitempty"` // who resolved it (user:wang)
	Note       string    `json:"note,omitempty"`        // why, what was done
}

// ExceptionList is a page of exceptions, newest first.
type ExceptionList struct {
	Exceptions []Exception `json:"exceptions"`
	// NextBefore continues the list (the before parameter); absent on the
	// last page.
	NextBefore int64 `json:"next_before,omitempty"`
}

// beforeParam reads the before parameter (an id).
func beforeParam(r *http.Request) (int64, error) {
	v := r.URL.Query().Get("before")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		return 0, problem(CodeBadParameter, "before %q: give an id of the previous page", v)
	}
	return n, nil
}

func (s *Server) exceptions(w http.ResponseWriter, r *http.Request) {
	c := callerOf(r)
	q := r.URL.Query()
	eq := store.ExceptionQuery{Carrier: c.carrier}
	fail := func(err error) { s.writeProblem(w, r, err) }
	switch v := q.Get("open"); v {
	case "", "false", "0":
	case "true", "1":
		eq.Open = true
	default:
		fail(problem(CodeBadParameter, "open %q: give true or false", v))
		return
	}
	if v := strings.TrimSpace(q.Get("waybill")); v != "" {
		eq.Waybill = v
		if wb, err := waybill.Normalize(v); err == nil {
			eq.Waybill = wb
		}
	}
	limit, err := limitParam(r)
	if err != nil {
		fail(err)
		return
	}
	if eq.Before, err = beforeParam(r); err != nil {
		fail(err)
		return
	}
	eq.Limit = limit + 1
	es, err := s.st.ExceptionsPage(r.Context(), eq)
	if err != nil {
		fail(err)
		return
	}
	out := ExceptionList{Exceptions: []Exception{}}
	if len(es) > limit {
		es = es[:limit]
		out.NextBefore = es[limit-1].ID
	}
	for _, e := range es {
		out.Exceptions = append(out.Exceptions, exceptionView(e))
	}
	s.write(w, ok(http.StatusOK, out))
}
