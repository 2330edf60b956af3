package openapi

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"cunyou/hub/notify"
	"cunyou/hub/store"
	"cunyou/syncproto"
)

// Stations from the console: add a station or centre and get its
// one-time enrollment code, issue a new code for a replaced PC, disable
// and enable one, read one station's health with its site and its day
// closes, and the villages a new station may serve. The writes are the
// console's (a session's permission, or the admin token), never an API
// client's. An enrollment code is in the answer only: never logged,
// audited (the audit row names the route and the node, not the body or
// the answer) or kept for an idempotent replay.

// NewStation is the body of PUT /api/v1/stations/{node}, which creates the
// node (it never replaces one: an existing node is a conflict).
type NewStation struct {
	Name string `json:"name"`
	Kind string `json:"kind,omitempty"` // station (default) or centre
	// Village is the gazetteer's code of the village the station serves
	// (GET /api/v1/villages); optional.
	Village string `json:"village,omitempty"`
}

// StationEnrollment is a one-time enrollment code as issued: shown once.
type StationEnrollment struct {
	Node    string    `json:"node"`
	Name    string    `json:"name"`
	Kind    string    `json:"kind"`
	Village string    `json:"village,omitempty"`
	Code    string    `json:"code"`
	Expires time.Time `json:"expires"`
	// Command is what the technician types on the station's PC.
	Command string `json:"command"`
	// SMSPushed says whether the station's arrival SMS texts were queued
	// for it (a new station); when false, run cunyou-hub sms push
	// --station NODE.
	SMSPushed *bool `json:"sms_pushed,omitempty"`
}

// StationState is the answer of disabling or enabling a station.
type StationState struct {
	Node     string `json:"node"`
	Disabled bool   `json:"disabled"`
}

// StationDetail is the answer of GET /api/v1/stations/{node}: its sync
// health and what the county knows of its site.
type StationDetail struct {
	HubTimeMs int64 `json:"hub_time_ms"`
	StationInfo
	Site Site `json:"site"`
}

// DayClose is a day a station closed, with the figures it counted.
type DayClose struct {
	Date           string                `json:"date"` // YYYY-MM-DD, the station's day
	ClosedAt       time.Time             `json:"closed_at"`
	ReceivedAt     time.Time             `json:"received_at"`
	ClosedBy       string                `json:"closed_by"`
	Op             string                `json:"op"` // node/incarnation/seq
	Total          DayFigures            `json:"total"`
	ByCarrier      map[string]DayFigures `json:"by_carrier"`
	OpeningOnShelf int                   `json:"opening_on_shelf"`
	// Mismatch is closing − (opening + in − out − returns): not 0 when
	// parcels went missing from the shelves or were found.
	Mismatch int `json:"mismatch"`
}

// DayFigures are a day's counts.
type DayFigures struct {
	In       int `json:"in"`
	Out      int `json:"out"`
	Sent     int `json:"sent"`
	Problems int `json:"problems"`
	Returns  int `json:"returns"`
	OnShelf  int `json:"on_shelf"`
}

// DayCloseList is the answer of GET /api/v1/stations/{node}/dayclosures.
type DayCloseList struct {
	Node        string     `json:"node"`
	DayClosures []DayClose `json:"day_closures"`
}

// VillageInfo is a village of the gazetteer and the station serving it.
type VillageInfo struct {
	Code     string `json:"code"`
	Name     string `json:"name"`
	Town     string `json:"town"`
	TownName string `json:"town_name"`
	Station  string `json:"station,omitempty"`
}

// VillageList is the answer of GET /api/v1/villages.
type VillageList struct {
	Villages []VillageInfo `json:"villages"`
}

// enrollCommand is what a technician types at the node to enroll it with
// the hub the request reached.
func enrollCommand(r *http.Request, code string) string {
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return "cunyou-edge enroll --hub " + scheme + "://" + r.Host + " --code " + code
}

// stationChanged drops what the server and intake cache of the county's
// nodes, so a new or disabled station counts at once.
func (s *Server) stationChanged() {
	s.sites.mu.Lock()
	s.sites.byID = nil
	s.sites.mu.Unlock()
	if s.o.Intake != nil {
		s.o.Intake.Forget()
	}
}

// addStation creates a station or centre and answers its one-time code.
func (s *Server) addStation(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4<<10))
	if err != nil {
		s.writeProblem(w, r, problem(CodeBadRequest, "read the body: %v", err))
		return
	}
	var req NewStation
	if err := decodeJSON(body, &req); err != nil {
		s.writeProblem(w, r, err)
		return
	}
	kind := syncproto.NodeKind(req.Kind)
	if kind == "" {
		kind = syncproto.NodeStation
	}
	e, err := s.st.CreateNode(r.Context(), store.NewNode{ID: chi.URLParam(r, "node"), Kind: kind, Name: req.Name,
		Village: req.Village})
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	s.stationChanged()
	out := StationEnrollment{Node: e.Node, Name: strings.TrimSpace(req.Name), Kind: string(kind), Village: strings.TrimSpace(req.Village),
		Code: e.Code, Expires: e.Expires.UTC(), Command: enrollCommand(r, e.Code)}
	if kind == syncproto.NodeStation {
		// Its texts for an arrival SMS sent through its own modem, as
		// `cunyou-hub station add` queues them. The station exists and its
		// code is shown once: a failure here is told, not answered as one.
		pushed := true
		if err := notify.PushTemplates(r.Context(), s.st, s.o.SMSSign, s.o.SMSQuiet, e.Node); err != nil {
			s.log.Error("open api: push the new station's SMS texts", "node", e.Node, "err", err)
			pushed = false
		}
		out.SMSPushed = &pushed
	}
	s.log.Info("station added", "node", e.Node, "kind", kind, "by", callerOf(r).actor())
	s.write(w, ok(http.StatusCreated, out))
}

// stationCode issues a station a new one-time enrollment code; its token
// is revoked.
func (s *Server) stationCode(w http.ResponseWriter, r *http.Request) {
	node := chi.URLParam(r, "node")
	e, err := s.st.IssueEnrollCode(r.Context(), node)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	n, err := s.st.Node(r.Context(), node)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	site, err := s.st.Site(r.Context(), node)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	s.log.Info("enrollment code issued", "node", node, "by", callerOf(r).actor())
	s.write(w, ok(http.StatusOK, StationEnrollment{Node: n.ID, Name: n.Name, Kind: string(n.Kind), Village: site.Village,
		Code: e.Code, Expires: e.Expires.UTC(), Command: enrollCommand(r, e.Code)}))
}

// setStationDisabled disables (a disabled station can neither sync nor
// enroll) or enables a station.
func (s *Server) setStationDisabled(disabled bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		node := chi.URLParam(r, "node")
		if err := s.st.SetDisabled(r.Context(), node, disabled); err != nil {
			s.writeProblem(w, r, err)
			return
		}
		s.stationChanged()
		s.log.Info("station", "node", node, "disabled", disabled, "by", callerOf(r).actor())
		s.write(w, ok(http.StatusOK, StationState{Node: node, Disabled: disabled}))
	}
}

// stationInfo is one station's sync health as GET /stations shows it.
func stationInfo(st store.Station, now time.Time) StationInfo {
	return StationInfo{
		Node: st.ID, Name: st.Name, Kind: string(st.Kind), Enrolled: st.Enrolled, CodePending: st.CodePending,
		Disabled: st.Disabled, Software: st.Software, Cursors: st.Cursors, LastContactMs: unixMs(st.LastContact),
		LagSeconds: st.Lag(now).Round(time.Millisecond).Seconds(), SkewMs: st.LastSkew.Milliseconds(),
		FutureOps: st.FutureOps, DeadLetters: st.DeadLetters, Quarantined: st.Quarantined,
		ChangesSeq: st.ChangesSeq, ChangesAfter: st.ChangesAfter, Health: healthView(st.Health),
	}
}

// station answers one station's sync health and site.
func (s *Server) station(w http.ResponseWriter, r *http.Request) {
	node := chi.URLParam(r, "node")
	stations, err := s.st.Stations(r.Context())
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	now := s.now()
	for _, st := range stations {
		if st.ID != node {
			continue
		}
		x, err := s.st.Site(r.Context(), node)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		s.write(w, ok(http.StatusOK, StationDetail{HubTimeMs: now.UnixMilli(), StationInfo: stationInfo(st, now),
			Site: Site{Node: x.Node, Name: x.Name, Kind: x.Kind, Village: x.Village, VillageName: x.VillageName, Town: x.Town,
				TownName: x.TownName, Address: x.Address, Lat: x.Lat, Lon: x.Lon, Hours: x.Hours, ContactName: x.ContactName,
				ContactPhone: x.Contact, Status: x.Status, Enrolled: x.Enrolled, Disabled: x.Disabled}}))
		return
	}
	s.writeProblem(w, r, problem(CodeNotFound, "no station %s", node))
}

// dayClosures answers the days a station closed, the latest first. They
// hold every carrier's counts and the station's totals: the county's, not
// a carrier's client's.
func (s *Server) dayClosures(w http.ResponseWriter, r *http.Request) {
	if err := countyOnly(callerOf(r)); err != nil {
		s.writeProblem(w, r, err)
		return
	}
	node := chi.URLParam(r, "node")
	limit, err := limitParam(r)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	if _, err := s.st.Node(r.Context(), node); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			err = problem(CodeNotFound, "no station %s", node)
		}
		s.writeProblem(w, r, err)
		return
	}
	ds, err := s.st.DayCloses(r.Context(), node, limit)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	out := DayCloseList{Node: node, DayClosures: make([]DayClose, 0, len(ds))}
	for _, d := range ds {
		dc := DayClose{Date: d.Date, ClosedAt: d.At.UTC(), ReceivedAt: d.Received.UTC(), ClosedBy: d.Actor,
			Op: d.Node + "/" + d.Incarnation + "/" + strconv.FormatUint(d.Seq, 10), Total: dayFigures(d.Total), ByCarrier: map[string]DayFigures{},
			OpeningOnShelf: d.OpeningOnShelf, Mismatch: d.Mismatch}
		for c, n := range d.ByCarrier {
			dc.ByCarrier[c] = dayFigures(n)
		}
		out.DayClosures = append(out.DayClosures, dc)
	}
	s.write(w, ok(http.StatusOK, out))
}

func dayFigures(c syncproto.DayCounts) DayFigures {
	return DayFigures{In: c.In, Out: c.Out, Sent: c.Sent, Problems: c.Problems, Returns: c.Returns, OnShelf: c.OnShelf}
}

// villages answers the gazetteer's villages with the station serving
// each: where a new station may go.
func (s *Server) villages(w http.ResponseWriter, r *http.Request) {
	vs, err := s.st.Villages(r.Context())
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	out := VillageList{Villages: make([]VillageInfo, 0, len(vs))}
	for _, v := range vs {
		out.Villages = append(out.Villages, VillageInfo{Code: v.Code, Name: v.Name, Town: v.Town, TownName: v.TownName, Station: v.Station})
	}
	s.write(w, ok(http.StatusOK, out))
}
