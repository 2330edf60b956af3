package kiosk

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"cunyou/edge/messages"
	"cunyou/edge/station"
)

// centreRoles are the roles that may use the centre's routes: every
// centre route is daily work at the sorting centre (a force load is
// recorded with who forced it, not reserved to the owner).
var centreRoles = []string{station.RoleOwner, station.RoleClerk}

// centreRoutes serves the county centre's API under /api/v1/centre. Only
// a node of kind centre serves it; a station answers not_centre to every
// centre route. Every route needs a session of a centre role.
func (s *Server) centreRoutes(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(s.centreOnly, s.authenticated, s.roles(centreRoles...))
		r.Get("/trips", s.centreTrips)
		r.Get("/trips/{trip}", s.centreTrip)
		r.Post("/trips/{trip}/depart", s.centreDepart)
		r.Post("/scan", s.centreScan)
		r.Post("/load", s.centreLoad)
		r.Post("/collect", s.centreCollect)
		r.Get("/handover", s.centreHandoverDraft)
		r.Get("/handovers", s.centreHandovers)
		r.Post("/handovers", s.centreConfirmHandover)
		r.Get("/handovers/{list}", s.centreHandover)
		r.Get("/parcels", s.centreParcels)
		r.Get("/parcels/{waybill}", s.centreParcel)
		r.Get("/print-jobs", s.centrePrintJobs)
		r.Post("/print-jobs/{id}/reprint", s.centreReprint)
	})
}

func (s *Server) centreOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.st.IsCentre() {
			s.writeCode(w, r, http.StatusNotFound, string(station.CodeNotCentre), nil)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// roles admits the operators of the given roles and refuses others.
func (s *Server) roles(allowed ...string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !slices.Contains(allowed, operatorFrom(r.Context()).Role) {
				s.writeCode(w, r, http.StatusForbidden, string(station.CodeForbidden), nil)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// centreStatusOf maps a centre refusal's code to its HTTP status; other
// codes as everywhere else.
func centreStatusOf(code station.Code) int {
	switch code {
	case station.CodeNotCentre, station.CodeTripNotFound, station.CodeHandoverNotFound, station.CodePrintJobNotFound:
		return http.StatusNotFound
	case station.CodeTripCancelled, station.CodeTripDeparted, station.CodeParcelNotScanned, station.CodeParcelUnresolved,
		station.CodeLoadWrongTrip, station.CodeLoadedElsewhere, station.CodeParcelDeparted, station.CodeParcelNotCollected,
		station.CodeParcelHandedOver, station.CodeParcelCollected:
		return http.StatusConflict
	}
	return statusOf(code)
}

func (s *Server) writeCentreErr(w http.ResponseWriter, r *http.Request, err error) {
	code := station.CodeOf(err)
	status := centreStatusOf(code)
	if status >= 500 {
		s.log.Error("action failed", "route", routeOf(r), "code", code, "err", err)
	} else {
		s.log.Info("action refused", "route", routeOf(r), "code", code)
	}
	s.writeCode(w, r, status, string(code), station.ArgsOf(err))
}

// created is 201 for a new fact, 200 for a repeat that changed nothing.
func created(repeat bool) int {
	if repeat {
		return http.StatusOK
	}
	return http.StatusCreated
}

// Notice is a sentence for the operator that is not an error: the sort
// decision to read in large type, or what a repeat scan means.
type Notice struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Args    map[string]string `json:"args,omitempty"`
}

func notice(r *http.Request, code string, args map[string]string) *Notice {
	return &Notice{Code: code, Message: messages.Text(messages.Pick(r.Header.Get("Accept-Language")), code, args), Args: args}
}

// CentreScanJSON is the answer to a scan-in: the result, the decision as
// a sentence (headline) and, for a repeat or re-sort, what it means.
type CentreScanJSON struct {
	station.ScanResult
	Headline *Notice `json:"headline"`
	Notice   *Notice `json:"notice,omitempty"`
}

func (s *Server) centreScan(w http.ResponseWriter, r *http.Request) {
	var in station.ScanInput
	if !s.decode(w, r, &in) {
		return
	}
	res, err := s.st.ScanIn(r.Context(), actor(r), in)
	if err != nil {
		s.writeCentreErr(w, r, err)
		return
	}
	out := CentreScanJSON{ScanResult: res}
	d := res.Decision
	switch d.Outcome {
	case station.SortSorted:
		out.Headline = notice(r, "centre_sorted", map[string]string{"station_name": d.StationName, "line_name": d.LineName,
			"departure": d.Departure, "sort_code": d.SortCode})
	case station.SortNoTrip:
		out.Headline = notice(r, "centre_no_trip", map[string]string{"station_name": d.StationName, "sort_code": d.SortCode})
	default:
		out.Headline = notice(r, "centre_unresolved", nil)
	}
	switch {
	case res.Repeat:
		out.Notice = notice(r, "centre_repeat", map[string]string{"when": s.localTime(res.Parcel.ScannedAt)})
	case res.Resorted:
		out.Notice = notice(r, "centre_resorted", nil)
	}
	writeJSON(w, created(res.Repeat), out)
}

// localTime shows a time as the node's operators read it: 03-10 09:00.
func (s *Server) localTime(t time.Time) string {
	return t.In(s.st.Location()).Format("01-02 15:04")
}

func (s *Server) centreLoad(w http.ResponseWriter, r *http.Request) {
	var in station.LoadInput
	if !s.decode(w, r, &in) {
		return
	}
	res, err := s.st.Load(r.Context(), actor(r), in)
	if err != nil {
		s.writeCentreErr(w, r, err)
		return
	}
	writeJSON(w, created(res.Repeat), res)
}

func (s *Server) centreTrips(w http.ResponseWriter, r *http.Request) {
	date := r.URL.Query().Get("date")
	if date == "" {
		date = s.st.Today()
	}
	ts, err := s.st.Trips(r.Context(), date)
	if err != nil {
		s.writeCentreErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"date": date, "trips": ts})
}

func (s *Server) centreTrip(w http.ResponseWriter, r *http.Request) {
	tm, err := s.st.TripManifest(r.Context(), chi.URLParam(r, "trip"))
	if err != nil {
		s.writeCentreErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, tm)
}

func (s *Server) centreDepart(w http.ResponseWriter, r *http.Request) {
	var in struct{}
	if !s.decode(w, r, &in) {
		return
	}
	res, err := s.st.Depart(r.Context(), actor(r), chi.URLParam(r, "trip"))
	if err != nil {
		s.writeCentreErr(w, r, err)
		return
	}
	writeJSON(w, created(res.Repeat), res)
}

func (s *Server) centreCollect(w http.ResponseWriter, r *http.Request) {
	var in station.CollectInput
	if !s.decode(w, r, &in) {
		return
	}
	res, err := s.st.Collect(r.Context(), actor(r), in)
	if err != nil {
		s.writeCentreErr(w, r, err)
		return
	}
	writeJSON(w, created(res.Repeat), res)
}

// centreHandoverDraft counts what waits for each carrier, or with
// ?carrier= lists one carrier's parcels as the list to confirm.
func (s *Server) centreHandoverDraft(w http.ResponseWriter, r *http.Request) {
	carrier := r.URL.Query().Get("carrier")
	if carrier == "" {
		cs, err := s.st.PendingHandovers(r.Context())
		if err != nil {
			s.writeCentreErr(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"carriers": cs})
		return
	}
	h, err := s.st.HandoverDraft(r.Context(), carrier)
	if err != nil {
		s.writeCentreErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h)
}

func (s *Server) centreConfirmHandover(w http.ResponseWriter, r *http.Request) {
	var in station.HandoverInput
	if !s.decode(w, r, &in) {
		return
	}
	h, err := s.st.ConfirmHandover(r.Context(), actor(r), in)
	if err != nil {
		s.writeCentreErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, h)
}

func (s *Server) centreHandovers(w http.ResponseWriter, r *http.Request) {
	date := r.URL.Query().Get("date")
	if date == "" {
		date = s.st.Today()
	}
	hs, err := s.st.Handovers(r.Context(), date)
	if err != nil {
		s.writeCentreErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"date": date, "handovers": hs})
}

func (s *Server) centreHandover(w http.ResponseWriter, r *http.Request) {
	h, err := s.st.HandoverList(r.Context(), chi.URLParam(r, "list"))
	if err != nil {
		s.writeCentreErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h)
}

func (s *Server) centreParcels(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	l, err := s.st.CentreParcels(r.Context(), q.Get("status"), limit)
	if err != nil {
		s.writeCentreErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, l)
}

func (s *Server) centreParcel(w http.ResponseWriter, r *http.Request) {
	t, err := s.st.CentreTimelines(r.Context(), chi.URLParam(r, "waybill"))
	if err != nil {
		s.writeCentreErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (s *Server) centrePrintJobs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	js, err := s.st.PrintJobs(r.Context(), station.PrintJobFilter{Status: q.Get("status"), Waybill: q.Get("waybill"), Limit: limit})
	if err != nil {
		s.writeCentreErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"jobs": js})
}

func (s *Server) centreReprint(w http.ResponseWriter, r *http.Request) {
	var in struct{}
	if !s.decode(w, r, &in) {
		return
	}
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		s.writeCode(w, r, http.StatusBadRequest, string(station.CodeBadRequest), nil)
		return
	}
	j, err := s.st.Reprint(r.Context(), actor(r), id)
	if err != nil {
		s.writeCentreErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, j)
}
