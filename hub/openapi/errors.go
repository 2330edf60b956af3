package openapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"cunyou/hub/intake"
	"cunyou/hub/store"
	"cunyou/hub/webhook"
)

// ProblemBase prefixes the type URI of every problem: the type of code
// bad_phone is ProblemBase + "bad_phone".
const ProblemBase = "https://cunyou.example/problems/"

// Codes of the problems the API answers with. Stable: integrators match
// on them. The codes of a rejected parcel (bad_waybill, bad_phone, …) are
// intake's.
const (
	CodeBadRequest          = "bad_request"             // the body is not the JSON the route takes
	CodeBadParameter        = "bad_parameter"           // a query parameter is malformed
	CodeFilterRequired      = "filter_required"         // a search without any filter
	CodeBadIdempotencyKey   = "bad_idempotency_key"     // Idempotency-Key is empty, too long or not printable ASCII
	CodeUnauthorized        = "unauthorized"            // no, unknown or revoked API key or session
	CodeInsufficientScope   = "insufficient_scope"      // the client lacks the route's scope (a session, its permission)
	CodeBadCredentials      = "bad_credentials"         // sign-in: wrong user name, password or one-time code
	CodeTOTPRequired        = "totp_required"           // sign-in: send the one-time code too
	CodeAccountLocked       = "account_locked"          // sign-in: locked after repeated failures
	CodeAccountDisabled     = "account_disabled"        // sign-in: the account is disabled
	CodeCarrierRequired     = "carrier_client_required" // the route is for a carrier's client
	CodeCarrierScope        = intake.CodeCarrierScope   // a carrier's client asking for another carrier's data
	CodeNotFound            = "not_found"               // no such route, parcel or delivery (or another carrier's)
	CodeMethodNotAllowed    = "method_not_allowed"      // the route takes other methods (see Allow)
	CodeIdempotencyConflict = "idempotency_conflict"    // an Idempotency-Key used before with another request
	CodeIdempotencyPending  = "idempotency_in_progress" // the first request with this key is still running
	CodeDestinationLocked   = "destination_locked"      // the parcel has left the centre: its destination stays
	CodeDeliveryQueued      = "delivery_queued"         // replay of a delivery still waiting for its first attempt
	CodeTooLarge            = "too_large"               // body or file over the limit
	CodeTooManyParcels      = "too_many_parcels"        // a batch over the limit
	CodeUnsupportedMedia    = "unsupported_media_type"  // a manifest that is neither CSV nor XLSX
	CodeBadFile             = "bad_file"                // a manifest file that cannot be read (no header, not a workbook)
	CodeBadEvent            = "bad_event"               // a carrier event breaks a rule
	CodeUnknownStation      = "unknown_station"         // a destination that is no node of the county
	CodeNotAStation         = "not_a_station"           // a destination that is the centre
	CodeInvalid             = "invalid"                 // any other rule broken
	CodeNoteRequired        = "note_required"           // a resolution without its note (why, what was done)
	CodeAlreadyResolved     = "already_resolved"        // an exception, dead letter or quarantined op resolved before
	CodeParcelFinal         = "parcel_final"            // a parcel picked up, returned or handed over cannot be lost
	CodeAlreadyLost         = "already_lost"            // the parcel was declared lost before
	CodeExists              = "exists"                  // a station (or the village's station) that exists already
	CodeStationDisabled     = "station_disabled"        // a code for a disabled station: enable it first
	CodeRateLimited         = "rate_limited"            // over the client's rate; see Retry-After
	CodeBusy                = "busy"                    // the database is busy; see Retry-After
	CodeUnavailable         = "unavailable"             // the hub runs without this part (webhooks)
	CodeInternal            = "internal"                // a fault of the hub; retry later
)

type problemKind struct {
	status int
	title  string
}

// problems is the one table from codes to HTTP statuses and titles.
var problems = map[string]problemKind{
	CodeBadRequest:          {http.StatusBadRequest, "Bad request body"},
	CodeBadParameter:        {http.StatusBadRequest, "Bad query parameter"},
	CodeFilterRequired:      {http.StatusBadRequest, "A filter is required"},
	CodeBadIdempotencyKey:   {http.StatusBadRequest, "Bad Idempotency-Key"},
	CodeUnauthorized:        {http.StatusUnauthorized, "Unauthorized"},
	CodeInsufficientScope:   {http.StatusForbidden, "Insufficient scope"},
	CodeBadCredentials:      {http.StatusUnauthorized, "Wrong credentials"},
	CodeTOTPRequired:        {http.StatusUnauthorized, "One-time code required"},
	CodeAccountLocked:       {http.StatusLocked, "Account locked"},
	CodeAccountDisabled:     {http.StatusForbidden, "Account disabled"},
	CodeCarrierRequired:     {http.StatusForbidden, "A carrier's client is required"},
	CodeCarrierScope:        {http.StatusForbidden, "Another carrier's data"},
	CodeNotFound:            {http.StatusNotFound, "Not found"},
	CodeMethodNotAllowed:    {http.StatusMethodNotAllowed, "Method not allowed"},
	CodeIdempotencyConflict: {http.StatusConflict, "Idempotency-Key reused with another request"},
	CodeIdempotencyPending:  {http.StatusConflict, "Request with this Idempotency-Key in progress"},
	CodeDestinationLocked:   {http.StatusConflict, "Destination can no longer change"},
	CodeDeliveryQueued:      {http.StatusConflict, "Delivery already queued"},
	CodeTooLarge:            {http.StatusRequestEntityTooLarge, "Request too large"},
	CodeTooManyParcels:      {http.StatusRequestEntityTooLarge, "Too many parcels"},
	CodeUnsupportedMedia:    {http.StatusUnsupportedMediaType, "Unsupported media type"},
	CodeBadFile:             {http.StatusUnprocessableEntity, "Manifest file unreadable"},
	CodeBadEvent:            {http.StatusUnprocessableEntity, "Bad carrier event"},
	CodeUnknownStation:      {http.StatusUnprocessableEntity, "Unknown station"},
	CodeNotAStation:         {http.StatusUnprocessableEntity, "Not a village station"},
	CodeInvalid:             {http.StatusUnprocessableEntity, "Invalid request"},
	CodeNoteRequired:        {http.StatusUnprocessableEntity, "Note required"},
	CodeAlreadyResolved:     {http.StatusConflict, "Already resolved"},
	CodeParcelFinal:         {http.StatusConflict, "Parcel out of the county's hands"},
	CodeAlreadyLost:         {http.StatusConflict, "Parcel already lost"},
	CodeExists:              {http.StatusConflict, "Already exists"},
	CodeStationDisabled:     {http.StatusConflict, "Station disabled"},
	CodeRateLimited:         {http.StatusTooManyRequests, "Rate limit exceeded"},
	CodeBusy:                {http.StatusServiceUnavailable, "Hub busy"},
	CodeUnavailable:         {http.StatusServiceUnavailable, "Not available on this hub"},
	CodeInternal:            {http.StatusInternalServerError, "Internal error"},

	intake.CodeBadWaybill:     {http.StatusUnprocessableEntity, "Bad waybill number"},
	intake.CodeBadPhone:       {http.StatusUnprocessableEntity, "Bad receiver phone"},
	intake.CodeUnknownCarrier: {http.StatusUnprocessableEntity, "Unknown carrier"},
	intake.CodeOtherCarrier:   {http.StatusUnprocessableEntity, "Waybill taken by another carrier"},
	intake.CodeDuplicate:      {http.StatusUnprocessableEntity, "Duplicate waybill"},
	intake.CodeBadField:       {http.StatusUnprocessableEntity, "Field out of range"},
}

// Problem is an error answer (RFC 9457, application/problem+json).
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// Code is the stable name of the problem (the last part of Type).
	Code string `json:"code"`
	// Errors are per-row results, when the problem is about rows.
	Errors []intake.Result `json:"errors,omitempty"`
	// RetryAfter is the seconds to wait (also in Retry-After), for 429
	// and 503.
	RetryAfter int `json:"retry_after,omitempty"`
}

// apiError is a problem a handler raises.
type apiError struct {
	code       string
	detail     string
	errors     []intake.Result
	retryAfter int
}

func (e *apiError) Error() string { return e.code + ": " + e.detail }

func problem(code, format string, args ...any) *apiError {
	return &apiError{code: code, detail: fmt.Sprintf(format, args...)}
}

// toAPI maps the errors of the hub's packages to problems; anything
// unknown is internal.
func toAPI(err error) *apiError {
	var ae *apiError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &tooBig):
		return problem(CodeTooLarge, "request body over %d bytes", tooBig.Limit)
	case errors.Is(err, store.ErrNotFound), errors.Is(err, webhook.ErrNotFound):
		return problem(CodeNotFound, "%s", plain(err))
	case errors.Is(err, webhook.ErrQueued):
		return problem(CodeDeliveryQueued, "the delivery waits for its first attempt; replay it once it was attempted")
	case errors.Is(err, store.ErrTooLarge):
		return problem(CodeTooLarge, "%s", plain(err))
	case errors.Is(err, store.ErrInvalid), errors.Is(err, webhook.ErrInvalid):
		return problem(CodeInvalid, "%s", plain(err))
	case errors.Is(err, store.ErrResolved):
		return problem(CodeAlreadyResolved, "%s", plain(err))
	case errors.Is(err, store.ErrExists):
		return problem(CodeExists, "%s", plain(err))
	case errors.Is(err, store.ErrDisabled):
		return problem(CodeStationDisabled, "%s", plain(err))
	case errors.Is(err, store.ErrLocked):
		return &apiError{code: CodeBusy, detail: "the database is busy; retry after the time given", retryAfter: 2}
	}
	return &apiError{code: CodeInternal, detail: "internal error; retry later"}
}

// plain is an error's message without the package prefixes.
func plain(err error) string {
	msg := err.Error()
	for _, p := range []string{"store: ", "webhook: "} {
		msg = strings.ReplaceAll(msg, p, "")
	}
	return msg
}

// problemOf builds the answer for err to request r.
func problemOf(r *http.Request, err error) (*apiError, Problem) {
	ae := toAPI(err)
	k, ok := problems[ae.code]
	if !ok {
		k = problems[CodeInternal]
	}
	return ae, Problem{
		Type: ProblemBase + ae.code, Title: k.title, Status: k.status, Detail: ae.detail, Instance: r.URL.Path,
		Code: ae.code, Errors: ae.errors, RetryAfter: ae.retryAfter,
	}
}

// writeProblem answers err as application/problem+json.
func (s *Server) writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	ae, p := problemOf(r, err)
	if p.Code == CodeInternal {
		s.log.Error("open api", "method", r.Method, "route", routeOf(r), "err", err)
	}
	if ae.code == CodeUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="cunyou-hub"`)
	}
	writeAnswer(w, p.Status, mustJSON(p), retryHeader(p.RetryAfter))
}

func retryHeader(seconds int) http.Header {
	if seconds <= 0 {
		return nil
	}
	return http.Header{"Retry-After": {fmt.Sprint(seconds)}}
}

// writeAnswer writes a JSON body: problem+json for errors.
func writeAnswer(w http.ResponseWriter, status int, body []byte, extra http.Header) {
	h := w.Header()
	for k, v := range extra {
		h[k] = v
	}
	if status >= 400 {
		h.Set("Content-Type", "application/problem+json")
	} else {
		h.Set("Content-Type", "application/json; charset=utf-8")
	}
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	// The length up front: a body over net/http's 2 KB buffer would go
	// out chunked, in more writes.
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// mustJSON encodes v, which is always one of the package's answer types.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("openapi: encode answer: " + err.Error())
	}
	return append(b, '\n')
}

// routeOf names a request's route by its pattern (/api/v1/sms/optouts/{phone}),
// not its path: a path can hold a phone number, which a log must not.
func routeOf(r *http.Request) string {
	if rc := chi.RouteContext(r.Context()); rc != nil {
		if p := rc.RoutePattern(); p != "" {
			return p
		}
	}
	return "(unrouted)"
}
