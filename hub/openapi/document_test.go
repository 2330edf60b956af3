package openapi_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/hub/intake"
	"cunyou/hub/openapi"
)

// served fetches the document as a client does: no credentials.
func served(t *testing.T, e *env) map[string]any {
	t.Helper()
	r := e.get("/api/v1/openapi.json", "")
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(r.body, &doc), "the document is JSON")
	return doc
}

var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// Every route the router serves is in the document, and every operation
// of the document is served, by method and path.
func TestDocumentMatchesRouter(t *testing.T) {
	e := newEnv(t)
	doc := served(t, e)

	var routed []string
	routes, ok := e.srv.Handler().(chi.Routes)
	require.True(t, ok, "the handler is a chi router")
	require.NoError(t, chi.Walk(routes, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		routed = append(routed, method+" "+route)
		return nil
	}))
	var documented []string
	for path, item := range doc["paths"].(map[string]any) {
		for m := range item.(map[string]any) {
			if slices.Contains(methods, m) {
				documented = append(documented, strings.ToUpper(m)+" "+path)
			}
		}
	}
	sort.Strings(routed)
	sort.Strings(documented)
	assert.Equal(t, routed, documented, "router (left) and openapi.json (right) disagree")
	assert.NotEmpty(t, routed)

	// Paths in the document that the router does not match at all (a
	// typo in a {param}) would be caught above; check the patterns too.
	for _, op := range documented {
		method, path, _ := strings.Cut(op, " ")
		concrete := strings.NewReplacer("{waybill}", "73100000000001", "{id}", "1", "{kind}", "arrival", "{phone}", "13912345678").Replace(path)
		assert.True(t, routes.Match(chi.NewRouteContext(), method, concrete), "%s %s", method, concrete)
	}
}

// resolve follows a local $ref.
func resolve(t *testing.T, doc map[string]any, v map[string]any) map[string]any {
	t.Helper()
	ref, ok := v["$ref"].(string)
	if !ok {
		return v
	}
	require.True(t, strings.HasPrefix(ref, "#/"), ref)
	var cur any = doc
	for _, part := range strings.Split(ref[2:], "/") {
		m, ok := cur.(map[string]any)
		require.True(t, ok, "%s: %s is no object", ref, part)
		cur, ok = m[part]
		require.True(t, ok, "%s does not resolve", ref)
	}
	return resolve(t, doc, cur.(map[string]any))
}

// walkRefs checks that every $ref anywhere resolves.
func walkRefs(t *testing.T, doc map[string]any, v any) {
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x["$ref"]; ok {
			resolve(t, doc, x)
		}
		for _, c := range x {
			walkRefs(t, doc, c)
		}
	case []any:
		for _, c := range x {
			walkRefs(t, doc, c)
		}
	}
}

func TestDocumentValid(t *testing.T) {
	e := newEnv(t)
	doc := served(t, e)
	assert.True(t, strings.HasPrefix(doc["openapi"].(string), "3."), "openapi 3.x")
	info := doc["info"].(map[string]any)
	assert.NotEmpty(t, info["title"])
	assert.NotEmpty(t, info["version"])
	assert.Equal(t, "v-test", info["x-hub-version"])
	require.NotEmpty(t, doc["paths"])
	components := doc["components"].(map[string]any)
	schemes := components["securitySchemes"].(map[string]any)
	bearer := schemes["bearerAuth"].(map[string]any)
	assert.Equal(t, "http", bearer["type"])
	assert.Equal(t, "bearer", bearer["scheme"])
	assert.NotEmpty(t, doc["security"])
	walkRefs(t, doc, doc)

	ids := map[string]bool{}
	for path, item := range doc["paths"].(map[string]any) {
		assert.True(t, strings.HasPrefix(path, "/api/v1/"), path)
		for m, o := range item.(map[string]any) {
			if !slices.Contains(methods, m) {
				continue
			}
			name := strings.ToUpper(m) + " " + path
			op := o.(map[string]any)
			id, _ := op["operationId"].(string)
			assert.NotEmpty(t, id, name)
			assert.False(t, ids[id], "operationId %s twice", id)
			ids[id] = true
			assert.NotEmpty(t, op["summary"], name)
			// Path parameters are declared.
			for _, p := range []string{"waybill", "id"} {
				if !strings.Contains(path, "{"+p+"}") {
					continue
				}
				found := false
				for _, prm := range op["parameters"].([]any) {
					pm := resolve(t, doc, prm.(map[string]any))
					found = found || pm["name"] == p && pm["in"] == "path" && pm["required"] == true
				}
				assert.True(t, found, "%s: path parameter %s not declared", name, p)
			}
			responses := op["responses"].(map[string]any)
			success := false
			for code, rv := range responses {
				resp := resolve(t, doc, rv.(map[string]any))
				assert.NotEmpty(t, resp["description"], "%s %s", name, code)
				content, ok := resp["content"].(map[string]any)
				require.True(t, ok, "%s %s: no content", name, code)
				for mt, c := range content {
					schema, ok := c.(map[string]any)["schema"].(map[string]any)
					require.True(t, ok, "%s %s %s: no schema", name, code, mt)
					resolve(t, doc, schema)
					if code >= "400" {
						assert.Equal(t, "application/problem+json", mt, "%s %s", name, code)
						assert.Equal(t, "#/components/schemas/Problem", schema["$ref"], "%s %s", name, code)
					}
				}
				success = success || strings.HasPrefix(code, "2")
			}
			assert.True(t, success, "%s: no success response", name)
			if name != "GET /api/v1/openapi.json" {
				for _, code := range []string{"401", "429", "500"} {
					assert.Contains(t, responses, code, name)
				}
			}
			// Sign-in and sign-out are a session's, not writes to repeat; an
			// answer with a password shown once is never stored to replay.
			if m == "post" && name != "POST /api/v1/login" && name != "POST /api/v1/logout" && op["x-no-idempotency"] != true {
				found := false
				for _, prm := range op["parameters"].([]any) {
					found = found || resolve(t, doc, prm.(map[string]any))["name"] == openapi.IdempotencyHeader
				}
				assert.True(t, found, "%s takes no Idempotency-Key", name)
			}
		}
	}

	// The schemas name the fields the Go types send.
	schemas := components["schemas"].(map[string]any)
	for name, v := range map[string]any{
		"Problem": openapi.Problem{}, "Entry": intake.Entry{}, "BatchRequest": openapi.BatchRequest{}, "Result": intake.Result{},
		"Summary": openapi.Summary{}, "Report": openapi.Report{}, "Place": openapi.Place{}, "Destination": openapi.Destination{},
		"Person": openapi.Person{}, "Parcel": openapi.Parcel{}, "Fact": openapi.Fact{}, "Tracking": openapi.Tracking{},
		"ParcelList": openapi.ParcelList{}, "EventIn": openapi.EventIn{}, "EventsRequest": openapi.EventsRequest{},
		"EventsRecorded": openapi.EventsRecorded{}, "DestinationRequest": openapi.DestinationRequest{},
		"StationInfo": openapi.StationInfo{}, "StationList": openapi.StationList{}, "HolderCounts": openapi.HolderCounts{},
		"Counts": openapi.Counts{}, "Exception": openapi.Exception{}, "ExceptionList": openapi.ExceptionList{},
		"Delivery": openapi.Delivery{}, "Attempt": openapi.Attempt{}, "DeliveryList": openapi.DeliveryList{},
		"CarrierInfo": openapi.CarrierInfo{}, "CarrierList": openapi.CarrierList{}, "Site": openapi.Site{}, "SiteList": openapi.SiteList{},
		"LineStop": openapi.LineStop{}, "Line": openapi.Line{}, "LineList": openapi.LineList{}, "Trip": openapi.Trip{},
		"TripList": openapi.TripList{}, "TripUpdate": openapi.TripUpdate{}, "Vehicle": openapi.Vehicle{}, "VehicleList": openapi.VehicleList{},
		"Driver": openapi.Driver{}, "DriverList": openapi.DriverList{}, "SMSMessage": openapi.SMSMessage{},
		"SMSMessageList": openapi.SMSMessageList{}, "LoginRequest": openapi.LoginRequest{}, "Me": openapi.Me{},
		"AuditRow": openapi.AuditRow{}, "AuditList": openapi.AuditList{},
		"VehiclePosition": openapi.VehiclePosition{}, "PositionList": openapi.PositionList{}, "TrackPoint": openapi.TrackPoint{},
		"StopEvent": openapi.StopEvent{}, "TripTrack": openapi.TripTrack{}, "StationHealth": openapi.StationHealth{},
		"DeviceState": openapi.DeviceState{}, "UserInfo": openapi.UserInfo{}, "RoleInfo": openapi.RoleInfo{},
		"UserList": openapi.UserList{}, "NewUser": openapi.NewUser{}, "UserPatch": openapi.UserPatch{},
		"NewPassword": openapi.NewPassword{}, "SessionsEnded": openapi.SessionsEnded{}, "TOTPEnrolment": openapi.TOTPEnrolment{},
		"PasswordChange": openapi.PasswordChange{},
		"NewStation":     openapi.NewStation{}, "StationEnrollment": openapi.StationEnrollment{}, "StationState": openapi.StationState{},
		"DayFigures": openapi.DayFigures{}, "DayClose": openapi.DayClose{}, "DayCloseList": openapi.DayCloseList{},
		"VillageInfo": openapi.VillageInfo{}, "VillageList": openapi.VillageList{},
		"NoteRequest": openapi.NoteRequest{}, "DeadLetter": openapi.DeadLetter{}, "DeadLetterList": openapi.DeadLetterList{},
		"RetryAnswer": openapi.RetryAnswer{}, "QuarantinedOp": openapi.QuarantinedOp{}, "QuarantineList": openapi.QuarantineList{},
	} {
		s, ok := schemas[name].(map[string]any)
		require.True(t, ok, "schema %s missing", name)
		props := s["properties"].(map[string]any)
		var want, got []string
		rt := reflect.TypeOf(v)
		for i := range rt.NumField() {
			tag, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
			if tag != "" && tag != "-" {
				want = append(want, tag)
			}
		}
		for p := range props {
			got = append(got, p)
		}
		sort.Strings(want)
		sort.Strings(got)
		assert.Equal(t, want, got, "schema %s and Go type %s", name, rt)
		if req, ok := s["required"].([]any); ok {
			for _, r := range req {
				assert.Contains(t, props, r, "schema %s requires what it lacks", name)
			}
		}
	}
	// Every problem code the server can answer is listed.
	codes := schemas["Problem"].(map[string]any)["properties"].(map[string]any)["code"].(map[string]any)["enum"].([]any)
	assert.ElementsMatch(t, openapi.ProblemCodes(), codes)
	batch := schemas["BatchRequest"].(map[string]any)["properties"].(map[string]any)["parcels"].(map[string]any)
	assert.EqualValues(t, openapi.DefaultMaxBatch, batch["maxItems"], "the server's batch limit")
}
