// Package kiosk serves the station's JSON API on loopback for the
// operator's kiosk page, and the page itself. Every route checks the
// caller's session and role on the server; errors carry a stable code and a
// sentence in the operator's language.
package kiosk

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"cunyou/edge/devices"
	"cunyou/edge/diag"
	"cunyou/edge/messages"
	"cunyou/edge/station"
	"cunyou/edge/syncer"
	"cunyou/syncproto"
	"cunyou/waybill"
)

// Server is the kiosk's HTTP handler.
type Server struct {
	st       *station.Station
	log      *slog.Logger
	version  string
	router   chi.Router
	sync     atomic.Pointer[syncer.Syncer] // the running sync loop, if any
	devices  atomic.Pointer[devices.Host]  // the station's devices, if any (devices.go)
	diagOpts atomic.Pointer[diag.Options]  // what GET /diag checks (diag.go)

	// cardMu is held from taking the card on the reader to marking it
	// used: one reading serves one send or pickup, even when two come at
	// once.
	cardMu sync.Mutex
}

// New builds the kiosk server. assets, when not nil, is served at / (the
// kiosk page).
func New(st *station.Station, log *slog.Logger, version string, assets fs.FS) *Server {
	s := &Server{st: st, log: log, version: version}
	r := chi.NewRouter()
	r.Use(middleware.Recoverer, s.logRequests)
	r.Get("/healthz", s.health)
	r.Get("/metrics", s.metrics)
	r.Route("/api/v1", func(r chi.Router) {
		r.Use(noStore)
		r.Get("/status", s.status)
		r.Post("/setup", s.setup)
		r.Post("/login", s.login)
		r.Get("/carriers", s.carriers)
		r.Group(func(r chi.Router) {
			r.Use(s.authenticated)
			r.Post("/logout", s.logout)
			r.Get("/me", s.me)
			r.Get("/waybills/{waybill}", s.detect)
			r.Get("/parcels/{waybill}", s.parcel)
			r.Post("/inbound", s.inbound)
			r.Post("/inbound/batch", s.inboundBatch)
			r.Post("/inbound/undo", s.undoInbound)
			r.Get("/pickup", s.findPickup)
			r.Post("/pickup", s.pickup) // id_source "reader": a proxy's card on the reader (pickup.go)
			r.Post("/photos", s.uploadPhoto)
			r.Get("/quote", s.quote)
			r.Post("/send", s.sendWithDevices) // id_source "reader": the card on the reader (devices.go)
			r.Get("/devices", s.devicesList)
			r.Get("/devices/idcard", s.deviceIDCard)
			r.Get("/devices/scans", s.deviceScans)
			r.Post("/devices/camera/snapshot", s.deviceSnapshot)
			r.Get("/print-jobs", s.printJobs)
			r.Post("/print-jobs/{id}/reprint", s.reprintJob)
			r.Get("/labels/preview.png", s.labelPreview)
			r.Post("/labels/print", s.printLabel) // diag.go
			r.Get("/photos/{sha256}", s.photo)
			r.Get("/diag", s.diagReport)
			r.Get("/problems", s.problems)
			r.Post("/problems", s.markProblem)
			r.Get("/overdue", s.overdue)
			r.Post("/returns", s.returns)
			r.Post("/stocktake", s.stocktake)
			r.Get("/dayclose", s.dayReport)
			r.Post("/dayclose", s.closeDay)
			r.Get("/shelves", s.shelves)
			r.Get("/settings", s.settings)
			r.Group(func(r chi.Router) {
				r.Use(s.ownerOnly)
				r.Put("/shelves", s.setShelves)
				r.Put("/settings", s.setSettings)
				r.Get("/operators", s.operators)
				r.Post("/operators", s.addOperator)
				r.Patch("/operators/{username}", s.changeOperator)
			})
		})
		r.Route("/centre", s.centreRoutes) // the county centre's routes (centre.go)
		r.NotFound(func(w http.ResponseWriter, r *http.Request) { s.writeCode(w, r, http.StatusNotFound, "not_found", nil) })
		r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
			s.writeCode(w, r, http.StatusMethodNotAllowed, "method_not_allowed", nil)
		})
	})
	if assets != nil {
		r.Handle("/*", http.FileServerFS(assets))
	}
	s.router = r
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// logRequests logs method, route and outcome. Never the query string or
// body: they hold phone and ID numbers.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r)
		s.log.Info("http", "method", r.Method, "route", routeOf(r), "status", ww.Status(), "ms", time.Since(start).Milliseconds())
	})
}

type ctxKey struct{}

func operatorFrom(ctx context.Context) station.Operator {
	o, _ := ctx.Value(ctxKey{}).(station.Operator)
	return o
}

func sessionToken(r *http.Request) string {
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		return strings.TrimPrefix(h, "Bearer ")
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		return c.Value
	}
	return ""
}

const sessionCookie = "cunyou_session"

func (s *Server) authenticated(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := sessionToken(r)
		if tok == "" {
			s.writeCode(w, r, http.StatusUnauthorized, string(station.CodeUnauthorized), nil)
			return
		}
		o, err := s.st.Authenticate(r.Context(), tok)
		if err != nil {
			s.writeErr(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, o)))
	})
}

func (s *Server) ownerOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if operatorFrom(r.Context()).Role != station.RoleOwner {
			s.writeCode(w, r, http.StatusForbidden, string(station.CodeForbidden), nil)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// actor is the name an action is attributed to.
func actor(r *http.Request) string { return operatorFrom(r.Context()).Username }

// statusOf maps an error code to its HTTP status.
func statusOf(code station.Code) int {
	switch code {
	case station.CodeUnauthorized, station.CodeLoginFailed:
		return http.StatusUnauthorized
	case station.CodeAccountLocked, station.CodeAccountDisabled, station.CodeForbidden:
		return http.StatusForbidden
	case station.CodeParcelNotFound, station.CodeOperatorNotFound:
		return http.StatusNotFound
	case station.CodeParcelPickedUp, station.CodeParcelReturning, station.CodeParcelProblem, station.CodeParcelNotOnShelf,
		station.CodeUndoNotLast, station.CodeUndoMoved, station.CodeUndoDone, station.CodeUndoTooLate, station.CodeUndoNothing,
		station.CodeUndoDayClosed,
		station.CodeWaybillExists, station.CodeDayClosed, station.CodeUsernameTaken, station.CodeShelfInUse,
		station.CodeLastOwner, station.CodeShelvesFull, station.CodeNoShelves, station.CodeNoWaybillRange:
		return http.StatusConflict
	case station.CodeDiskFull:
		return http.StatusInsufficientStorage
	case station.CodeDBLocked:
		return http.StatusServiceUnavailable
	case station.CodeDBReadOnly, station.CodeDBFailure, station.CodeInternal:
		return http.StatusInternalServerError
	case station.CodeBadRequest:
		return http.StatusBadRequest
	}
	return http.StatusUnprocessableEntity
}

// ErrorBody is the JSON of every error response.
type ErrorBody struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Args    map[string]string `json:"args,omitempty"`
	} `json:"error"`
}

// routeOf is the request's route pattern (/api/v1/parcels/{waybill}), never
// its path: paths can hold what an operator typed, a phone or ID number.
func routeOf(r *http.Request) string {
	if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
		return rc.RoutePattern()
	}
	return "unmatched"
}

func (s *Server) writeErr(w http.ResponseWriter, r *http.Request, err error) {
	code := station.CodeOf(err)
	if statusOf(code) >= 500 {
		s.log.Error("action failed", "route", routeOf(r), "code", code, "err", err)
	} else {
		s.log.Info("action refused", "route", routeOf(r), "code", code)
	}
	s.writeCode(w, r, statusOf(code), string(code), station.ArgsOf(err))
}

func (s *Server) writeCode(w http.ResponseWriter, r *http.Request, status int, code string, args map[string]string) {
	var body ErrorBody
	body.Error.Code = code
	body.Error.Args = args
	body.Error.Message = messages.Text(messages.Pick(r.Header.Get("Accept-Language")), code, args)
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// maxBody bounds request bodies: a batch of a few hundred scans fits.
const maxBody = 1 << 20

func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("data after the JSON value")
	}
	if errors.Is(err, io.EOF) && r.ContentLength <= 0 {
		err = nil // an empty body means no fields: every input has defaults or says what is missing
	}
	if err != nil {
		s.log.Info("bad request body", "route", routeOf(r), "err", err)
		s.writeCode(w, r, http.StatusBadRequest, string(station.CodeBadRequest), nil)
		return false
	}
	return true
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	id := s.st.Store().Identity()
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "node": id.Node, "kind": id.Kind, "version": s.version})
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	id := s.st.Store().Identity()
	ops, err := s.st.Operators(r.Context())
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	ob, err := s.st.Store().Outbox(r.Context())
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	sy, err := s.syncJSON(r.Context())
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	near, err := s.st.Approaching(r.Context())
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"node": id.Node, "kind": id.Kind, "incarnation": id.Incarnation, "version": s.version,
		"needs_setup": len(ops) == 0, "today": s.st.Today(), "outbox_ops": ob.Ops, "last_seq": ob.LastSeq,
		"sync": sy, "approaching": near,
	})
}

// setup creates the first owner account of a new station; once any account
// exists it is refused.
func (s *Server) setup(w http.ResponseWriter, r *http.Request) {
	var in station.OperatorInput
	if !s.decode(w, r, &in) {
		return
	}
	o, err := s.st.SetupOwner(r.Context(), in)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, o)
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Username string `json:"username"`
		Secret   string `json:"secret"`
	}
	if !s.decode(w, r, &in) {
		return
	}
	sess, err := s.st.Login(r.Context(), in.Username, in.Secret)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: sess.Token, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Expires: sess.Expires})
	writeJSON(w, http.StatusOK, sess)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if err := s.st.Logout(r.Context(), sessionToken(r)); err != nil {
		s.writeErr(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1})
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, operatorFrom(r.Context()))
}

func (s *Server) carriers(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"carriers": waybill.Carriers(), "problem_reasons": syncproto.ProblemReasons})
}

func (s *Server) detect(w http.ResponseWriter, r *http.Request) {
	wb, hints, m, err := s.st.DetectCarrier(r.Context(), chi.URLParam(r, "waybill"))
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"waybill": wb, "carrier_hints": hints, "manifest": m})
}

func (s *Server) parcel(w http.ResponseWriter, r *http.Request) {
	t, err := s.st.Timeline(r.Context(), chi.URLParam(r, "waybill"))
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (s *Server) inbound(w http.ResponseWriter, r *http.Request) {
	var in station.InboundInput
	if !s.decode(w, r, &in) {
		return
	}
	res, err := s.st.Inbound(r.Context(), actor(r), in)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	status := http.StatusCreated
	if res.Repeat {
		status = http.StatusOK
	}
	writeJSON(w, status, res)
}

// undoInbound answers POST /api/v1/inbound/undo {"waybill"}: the caller's
// last inbound scan, which must be of waybill, is undone.
func (s *Server) undoInbound(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Waybill string `json:"waybill"`
	}
	if !s.decode(w, r, &in) {
		return
	}
	p, err := s.st.UndoInbound(r.Context(), actor(r), in.Waybill)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"parcel": p})
}

// BatchItemJSON is one item of a batch inbound response.
type BatchItemJSON struct {
	Waybill string                 `json:"waybill"`
	Result  *station.InboundResult `json:"result,omitempty"`
	Error   *struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Args    map[string]string `json:"args,omitempty"`
	} `json:"error,omitempty"`
}

func (s *Server) inboundBatch(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Items []station.InboundInput `json:"items"`
	}
	if !s.decode(w, r, &in) {
		return
	}
	if len(in.Items) == 0 || len(in.Items) > 500 {
		s.writeCode(w, r, http.StatusBadRequest, string(station.CodeBadRequest), nil)
		return
	}
	lang := messages.Pick(r.Header.Get("Accept-Language"))
	out := make([]BatchItemJSON, 0, len(in.Items))
	ok := 0
	for _, it := range s.st.InboundBatch(r.Context(), actor(r), in.Items) {
		j := BatchItemJSON{Waybill: it.Waybill, Result: it.Result}
		if it.Err != nil {
			j.Error = &struct {
				Code    string            `json:"code"`
				Message string            `json:"message"`
				Args    map[string]string `json:"args,omitempty"`
			}{string(it.Code), messages.Text(lang, string(it.Code), it.Args), it.Args}
			if statusOf(it.Code) >= 500 {
				s.log.Error("batch item failed", "code", it.Code, "err", it.Err)
			}
		} else {
			ok++
		}
		out = append(out, j)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out, "ok": ok, "failed": len(out) - ok})
}

func (s *Server) findPickup(w http.ResponseWriter, r *http.Request) {
	res, err := s.st.FindForPickup(r.Context(), r.URL.Query().Get("q"))
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) quote(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	grams, _ := strconv.Atoi(q.Get("weight_g"))
	price, err := s.st.Quote(r.Context(), q.Get("carrier"), q.Get("province"), grams)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"price_fen": price})
}

func (s *Server) problems(w http.ResponseWriter, r *http.Request) {
	ps, err := s.st.Problems(r.Context())
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"parcels": nonNil(ps)})
}

func (s *Server) markProblem(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Waybill string `json:"waybill"`
		Reason  string `json:"reason"`
		Text    string `json:"text"`
	}
	if !s.decode(w, r, &in) {
		return
	}
	p, err := s.st.MarkProblem(r.Context(), actor(r), in.Waybill, in.Reason, in.Text)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) overdue(w http.ResponseWriter, r *http.Request) {
	ps, err := s.st.Overdue(r.Context())
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"parcels": ps})
}

func (s *Server) returns(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Waybills []string `json:"waybills"`
		Reason   string   `json:"reason"`
	}
	if !s.decode(w, r, &in) {
		return
	}
	ps, err := s.st.Return(r.Context(), actor(r), in.Waybills, in.Reason)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"parcels": ps})
}

func (s *Server) stocktake(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Shelf int                     `json:"shelf"`
		Scans []station.StocktakeScan `json:"scans"`
	}
	if !s.decode(w, r, &in) {
		return
	}
	rep, err := s.st.Stocktake(r.Context(), actor(r), in.Shelf, in.Scans)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

func (s *Server) dayReport(w http.ResponseWriter, r *http.Request) {
	date := r.URL.Query().Get("date")
	if date == "" {
		date = s.st.Today()
	}
	rep, err := s.st.DayReport(r.Context(), date)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

func (s *Server) closeDay(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Date string `json:"date"`
	}
	if !s.decode(w, r, &in) {
		return
	}
	if in.Date == "" {
		in.Date = s.st.Today()
	}
	rep, err := s.st.CloseDay(r.Context(), actor(r), in.Date)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

func (s *Server) shelves(w http.ResponseWriter, r *http.Request) {
	sh, err := s.st.Shelves(r.Context())
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"slots": nonNil(sh)})
}

func (s *Server) setShelves(w http.ResponseWriter, r *http.Request) {
	var in syncproto.ShelvesSet
	if !s.decode(w, r, &in) {
		return
	}
	if err := s.st.SetShelves(r.Context(), actor(r), in.Shelves); err != nil {
		s.writeErr(w, r, err)
		return
	}
	s.shelves(w, r)
}

func (s *Server) settings(w http.ResponseWriter, r *http.Request) {
	st, err := s.st.Settings(r.Context())
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// setSettings changes the settings the body names; the others keep their
// values.
func (s *Server) setSettings(w http.ResponseWriter, r *http.Request) {
	in, err := s.st.Settings(r.Context())
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	if !s.decode(w, r, &in) {
		return
	}
	if err := s.st.SetSettings(r.Context(), actor(r), in); err != nil {
		s.writeErr(w, r, err)
		return
	}
	s.settings(w, r)
}

func (s *Server) operators(w http.ResponseWriter, r *http.Request) {
	ops, err := s.st.Operators(r.Context())
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"operators": ops})
}

func (s *Server) addOperator(w http.ResponseWriter, r *http.Request) {
	var in station.OperatorInput
	if !s.decode(w, r, &in) {
		return
	}
	o, err := s.st.AddOperator(r.Context(), actor(r), in)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, o)
}

func (s *Server) changeOperator(w http.ResponseWriter, r *http.Request) {
	var in station.OperatorChange
	if !s.decode(w, r, &in) {
		return
	}
	o, err := s.st.ChangeOperator(r.Context(), actor(r), chi.URLParam(r, "username"), in)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, o)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
