// Package openapi is the hub's open API for carriers, shops and
// dispatchers, under /api/v1/: announcing parcels (one, a batch, or a
// CSV/XLSX manifest file), tracking them, carriers' tracking events, the
// dispatchers' queue of parcels with no destination, the stations' sync
// health, status counts, exceptions and webhook deliveries. Its OpenAPI 3
// document is served at /api/v1/openapi.json (openapi.json here, written
// by hand; a test keeps it and the router in step).
//
// Callers send Authorization: Bearer with an API key (a client of
// store.AddClient, with scopes; a carrier's client sees and writes only
// that carrier's parcels, and another carrier's parcel is 404, never 403),
// the admin token (every scope, unmasked personal data) or a console
// session from POST /login (hub/auth: the route's permission checked
// against the user's role, people.go's routeRules). Every write and every
// read of unmasked personal data is written to the audit log. Each client
// has a token bucket of RatePerMin requests a minute. Errors are
// application/problem+json (RFC 9457) with a stable code. Writes take an
// Idempotency-Key.
package openapi

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"cunyou/hub/audit"
	"cunyou/hub/auth"
	"cunyou/hub/intake"
	"cunyou/hub/store"
	"cunyou/hub/webhook"
)

// Options configure a Server.
type Options struct {
	Store  *store.Store
	Intake *intake.Service
	// Webhooks serves the deliveries' routes; when nil they answer 503
	// unavailable.
	Webhooks *webhook.Dispatcher
	// AdminToken is the console's bearer token: every scope, personal
	// data unmasked. Empty: no admin access.
	AdminToken string
	// Auth signs console users in (POST /login) and admits their
	// sessions, each route checked against the role's permissions; nil:
	// no sessions.
	Auth *auth.Service
	// Audit receives a row for every write and every sensitive read;
	// nil: none (and GET /audit answers 503).
	Audit *audit.Log
	// Version is the hub's version, shown in the document
	// (info.x-hub-version).
	Version string
	// Log receives internal errors; discarded when nil.
	Log *slog.Logger
	// Now is the clock of the rate limits and answers; the store's when
	// nil.
	Now func() time.Time
	// MaxBatch bounds the parcels of one batch (DefaultMaxBatch when 0;
	// at most intake.MaxEntries).
	MaxBatch int
	// Location is the county's time zone (the day of GET /trips);
	// Asia/Shanghai when nil.
	Location *time.Location
	// SMSSign and SMSQuiet are the county's SMS signature and quiet hours
	// (config sms.sign, sms.quiet), for the templates' previews and the
	// stations' texts.
	SMSSign, SMSQuiet string
}

// Limits.
const (
	DefaultMaxBatch = 10000
	DefaultLimit    = 50  // parcels, deliveries, exceptions a page
	MaxLimit        = 500 // the most a page may ask for
	maxEventsACall  = 100
	maxJSONBytes    = 64 << 10
	maxBatchBytes   = 16 << 20
)

// Server serves the open API.
type Server struct {
	o      Options
	loc    *time.Location
	st     *store.Store
	log    *slog.Logger
	now    func() time.Time
	limits limiter
	flight inFlight
	sites  sites
	doc    []byte
	lookupState
	stats statsGate
}

// New returns a server; Store and Intake are required.
func New(o Options) *Server {
	if o.MaxBatch <= 0 {
		o.MaxBatch = DefaultMaxBatch
	}
	o.MaxBatch = min(o.MaxBatch, intake.MaxEntries)
	s := &Server{o: o, st: o.Store, log: o.Log, now: o.Now,
		limits: limiter{buckets: map[string]*bucket{}},
		flight: inFlight{keys: map[string]bool{}},
		sites:  sites{fetch: o.Store.Sites},
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = o.Store.Now
	}
	if s.loc = o.Location; s.loc == nil {
		s.loc = time.FixedZone("CST", 8*3600)
	}
	s.doc = buildDocument(o.Version, o.MaxBatch)
	return s
}

// Handler returns the routes under /api/v1/. Mount it for that prefix
// (mux.Handle("/api/v1/", srv.Handler())): every path it serves starts
// with /api/v1/.
func (s *Server) Handler() http.Handler { return s.router() }

// Scopes of the routes (store's).
const (
	scopeWrite    = store.ScopeParcelsWrite
	scopeRead     = store.ScopeParcelsRead
	scopeDispatch = store.ScopeDispatch
	scopeWebhooks = store.ScopeWebhooks
)

func (s *Server) router() chi.Router {
	r := chi.NewRouter()
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		s.writeProblem(w, r, problem(CodeNotFound, "no route %s", r.URL.Path))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, req *http.Request) {
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete} {
			if r.Match(chi.NewRouteContext(), m, req.URL.Path) {
				w.Header().Add("Allow", m)
			}
		}
		s.writeProblem(w, req, problem(CodeMethodNotAllowed, "%s is not served on %s", req.Method, req.URL.Path))
	})
	r.Get("/api/v1/openapi.json", s.document)
	r.Post("/api/v1/login", s.login)
	r.Group(func(r chi.Router) {
		r.Use(s.authenticate, s.audited)
		r.With(s.need()).Get("/api/v1/me", s.me)
		r.With(s.need()).Post("/api/v1/logout", s.logout)
		r.With(s.need()).Get("/api/v1/audit", s.auditLog)
		r.With(s.need()).Get("/api/v1/users", s.listUsers)
		r.With(s.need()).Post("/api/v1/users", s.addUser)
		r.With(s.need()).Patch("/api/v1/users/{username}", s.updateUser)
		r.With(s.need()).Post("/api/v1/users/{username}/password", s.resetUserPassword)
		r.With(s.need()).Post("/api/v1/users/{username}/revoke", s.revokeUser)
		r.With(s.need()).Put("/api/v1/users/{username}/totp", s.userTOTP)
		r.With(s.need()).Delete("/api/v1/users/{username}/totp", s.userTOTP)
		r.With(s.need()).Put("/api/v1/me/password", s.changeOwnPassword)
		r.With(s.need(scopeWrite)).Post("/api/v1/parcels", s.createParcel)
		r.With(s.need(scopeWrite)).Post("/api/v1/parcels/batch", s.createBatch)
		r.With(s.need(scopeWrite)).Post("/api/v1/manifests", s.uploadManifest)
		r.With(s.need(scopeRead)).Get("/api/v1/parcels", s.searchParcels)
		r.With(s.need(scopeRead)).Get("/api/v1/parcels/{waybill}", s.trackParcel)
		r.With(s.need(scopeWrite)).Post("/api/v1/parcels/{waybill}/events", s.carrierEvents)
		r.With(s.need(scopeDispatch)).Post("/api/v1/parcels/{waybill}/destination", s.setDestination)
		r.With(s.need(scopeDispatch)).Get("/api/v1/unresolved", s.unresolved)
		r.With(s.need(scopeDispatch)).Get("/api/v1/stations", s.stations)
		r.With(s.need()).Put("/api/v1/stations/{node}", s.addStation)
		r.With(s.need(scopeDispatch)).Get("/api/v1/stations/{node}", s.station)
		r.With(s.need(scopeDispatch)).Get("/api/v1/stations/{node}/dayclosures", s.dayClosures)
		r.With(s.need()).Post("/api/v1/stations/{node}/code", s.stationCode)
		r.With(s.need()).Post("/api/v1/stations/{node}/disable", s.setStationDisabled(true))
		r.With(s.need()).Post("/api/v1/stations/{node}/enable", s.setStationDisabled(false))
		r.With(s.need(scopeDispatch)).Get("/api/v1/villages", s.villages)
		r.With(s.need(scopeDispatch)).Get("/api/v1/counts", s.counts)
		r.With(s.need(scopeDispatch)).Get("/api/v1/statistics", s.statistics)
		r.With(s.need(scopeDispatch)).Get("/api/v1/exceptions", s.exceptions)
		r.With(s.need(scopeDispatch)).Post("/api/v1/exceptions/{id}/resolve", s.resolveException)
		r.With(s.need(scopeDispatch)).Post("/api/v1/parcels/{waybill}/lost", s.markLost)
		r.With(s.need(scopeDispatch)).Get("/api/v1/deadletters", s.deadLetters)
		r.With(s.need(scopeDispatch)).Post("/api/v1/deadletters/{node}/{incarnation}/{seq}/retry", s.retryDeadLetter)
		r.With(s.need(scopeDispatch)).Post("/api/v1/deadletters/{node}/{incarnation}/{seq}/discard", s.discardDeadLetter)
		r.With(s.need(scopeDispatch)).Get("/api/v1/quarantine", s.quarantine)
		r.With(s.need(scopeDispatch)).Post("/api/v1/quarantine/{id}/ack", s.ackQuarantined)
		r.With(s.need(scopeDispatch)).Get("/api/v1/carriers", s.listCarriers)
		r.With(s.need(scopeDispatch)).Get("/api/v1/sites", s.listSites)
		r.With(s.need(scopeDispatch)).Get("/api/v1/lines", s.listLines)
		r.With(s.need(scopeDispatch)).Get("/api/v1/trips", s.listTrips)
		r.With(s.need(scopeDispatch)).Patch("/api/v1/trips/{id}", s.updateTrip)
		r.With(s.need(scopeDispatch)).Get("/api/v1/trips/{id}/track", s.tripTrack)
		r.With(s.need(scopeDispatch)).Get("/api/v1/vehicles/positions", s.vehiclePositions)
		r.With(s.need(scopeDispatch)).Get("/api/v1/vehicles", s.listVehicles)
		r.With(s.need(scopeDispatch)).Get("/api/v1/drivers", s.listDrivers)
		r.With(s.need(scopeDispatch)).Get("/api/v1/sms/messages", s.smsMessages)
		r.With(s.need(scopeDispatch)).Get("/api/v1/sms/templates", s.smsTemplates)
		r.With(s.need(scopeDispatch)).Put("/api/v1/sms/templates/{kind}", s.setSMSTemplate)
		r.With(s.need(scopeDispatch)).Put("/api/v1/sms/optouts/{phone}", s.smsOptOut)
		r.With(s.need(scopeDispatch)).Delete("/api/v1/sms/optouts/{phone}", s.smsOptOut)
		r.With(s.need(scopeWebhooks)).Get("/api/v1/webhooks/deliveries", s.deliveries)
		r.With(s.need(scopeWebhooks)).Get("/api/v1/webhooks/deliveries/{id}", s.delivery)
		r.With(s.need(scopeWebhooks)).Post("/api/v1/webhooks/deliveries/{id}/replay", s.replayDelivery)
	})
	return r
}
