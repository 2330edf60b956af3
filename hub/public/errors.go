package public

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"cunyou/hub/store"
)

// Error codes of the JSON answers. Stable: pages and integrations match
// on them; the sentence beside each (messages.go) may change.
const (
	CodeBadRequest       = "bad_request"            // the body or a parameter is not what the route takes
	CodeNotFound         = "not_found"              // no such route
	CodeMethodNotAllowed = "method_not_allowed"     // the route takes other methods (see Allow)
	CodeUnsupportedMedia = "unsupported_media_type" // a POST body that is not application/json
	CodeTooLarge         = "too_large"              // a body over 1 KiB
	CodeCrossSite        = "cross_site"             // a POST from another site's page
	CodeBadWaybill       = "bad_waybill"            // not a waybill number
	CodeWaybillNotFound  = "waybill_not_found"      // the hub has no parcel of this waybill
	CodeBadPhone         = "bad_phone"              // not a mainland mobile number
	CodeBadTail          = "bad_tail"               // the waybill ending is not 4 letters or digits
	CodeNoMatch          = "no_match"               // wrong phone or waybill ending (never says which)
	CodeTooManyTries     = "too_many_tries"         // over the client's rate; see Retry-After
	CodePhoneLocked      = "phone_locked"           // too many wrong tries for this phone; see Retry-After
	CodeBadCarrier       = "bad_carrier"            // no or unknown carrier
	CodeBadProvince      = "bad_province"           // no or unknown province
	CodeBadWeight        = "bad_weight"             // weight_g not 1–100000
	CodeNoTariff         = "no_tariff"              // the carrier has no price to the province
	CodeUnknownVillage   = "unknown_village"        // no such village code
	CodeUnknownStation   = "unknown_station"        // no such station
	CodeNoCounty         = "no_county"              // the hub has no county loaded yet
	CodeBusy             = "busy"                   // the database is busy; see Retry-After
	CodeInternal         = "internal"               // a fault of the hub
)

// statuses is the one table from codes to HTTP statuses.
var statuses = map[string]int{
	CodeBadRequest:       http.StatusBadRequest,
	CodeNotFound:         http.StatusNotFound,
	CodeMethodNotAllowed: http.StatusMethodNotAllowed,
	CodeUnsupportedMedia: http.StatusUnsupportedMediaType,
	CodeTooLarge:         http.StatusRequestEntityTooLarge,
	CodeCrossSite:        http.StatusForbidden,
	CodeBadWaybill:       http.StatusBadRequest,
	CodeWaybillNotFound:  http.StatusNotFound,
	CodeBadPhone:         http.StatusBadRequest,
	CodeBadTail:          http.StatusBadRequest,
	CodeNoMatch:          http.StatusForbidden,
	CodeTooManyTries:     http.StatusTooManyRequests,
	CodePhoneLocked:      http.StatusTooManyRequests,
	CodeBadCarrier:       http.StatusBadRequest,
	CodeBadProvince:      http.StatusBadRequest,
	CodeBadWeight:        http.StatusBadRequest,
	CodeNoTariff:         http.StatusNotFound,
	CodeUnknownVillage:   http.StatusNotFound,
	CodeUnknownStation:   http.StatusNotFound,
	CodeNoCounty:         http.StatusServiceUnavailable,
	CodeBusy:             http.StatusServiceUnavailable,
	CodeInternal:         http.StatusInternalServerError,
}

// apiError is an answer other than success: a code, its sentence's
// arguments and, for the rate limits and a busy database, when to retry.
type apiError struct {
	code  string
	args  []string // name, value pairs for the sentence
	retry time.Duration
	err   error // the cause, for the log
}

func (e *apiError) Error() string {
	if e.err != nil {
		return e.code + ": " + e.err.Error()
	}
	return e.code
}

func (e *apiError) Unwrap() error { return e.err }

func fail(code string, args ...string) *apiError { return &apiError{code: code, args: args} }

// asAPIError maps any error to an answer: store errors to their codes,
// anything unknown to internal.
func asAPIError(err error) *apiError {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.Is(err, store.ErrLocked):
		return &apiError{code: CodeBusy, retry: 2 * time.Second, err: err}
	}
	return &apiError{code: CodeInternal, err: err}
}

// errorBody is the JSON of an error answer.
type errorBody struct {
	Error struct {
		Code        string `json:"code"`
		Message     string `json:"message"`
		RetryAfterS int    `json:"retry_after_s,omitempty"`
	} `json:"error"`
}

func (e *apiError) body(lang Lang) (int, errorBody) {
	status, ok := statuses[e.code]
	if !ok {
		status = http.StatusInternalServerError
	}
	var b errorBody
	b.Error.Code, b.Error.Message = e.code, text(lang, e.code, e.args...)
	if e.retry > 0 {
		b.Error.RetryAfterS = int((e.retry + time.Second - 1) / time.Second)
	}
	return status, b
}

func (e *apiError) header(h http.Header) {
	if e.retry > 0 {
		h.Set("Retry-After", strconv.Itoa(int((e.retry+time.Second-1)/time.Second)))
	}
}

// minutes is a wait in whole minutes, at least 1, for a sentence.
func minutes(d time.Duration) string {
	m := int((d + time.Minute - 1) / time.Minute)
	return strconv.Itoa(max(m, 1))
}
