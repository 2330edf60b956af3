package openapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/hub/openapi"
	"cunyou/hub/store"
)

// route is one route with a request that passes its checks far enough to
// be judged on credentials and scope.
type route struct {
	method, path string
	scope        string
	body         string
}

var routes = []route{
	{http.MethodPost, "/api/v1/parcels", store.ScopeParcelsWrite, `{}`},
	{http.MethodPost, "/api/v1/parcels/batch", store.ScopeParcelsWrite, `{"parcels":[]}`},
	{http.MethodPost, "/api/v1/manifests", store.ScopeParcelsWrite, "waybill,carrier,receiver_phone\n"},
	{http.MethodGet, "/api/v1/parcels?station=ST-V0101", store.ScopeParcelsRead, ""},
	{http.MethodGet, "/api/v1/parcels/73100000000001", store.ScopeParcelsRead, ""},
	{http.MethodPost, "/api/v1/parcels/73100000000001/events", store.ScopeParcelsWrite, `{"events":[]}`},
	{http.MethodPost, "/api/v1/parcels/73100000000001/destination", store.ScopeDispatch, `{"station":"ST-V0101"}`},
	{http.MethodGet, "/api/v1/unresolved", store.ScopeDispatch, ""},
	{http.MethodGet, "/api/v1/stations", store.ScopeDispatch, ""},
	{http.MethodGet, "/api/v1/counts", store.ScopeDispatch, ""},
	{http.MethodGet, "/api/v1/exceptions", store.ScopeDispatch, ""},
	{http.MethodGet, "/api/v1/webhooks/deliveries", store.ScopeWebhooks, ""},
	{http.MethodGet, "/api/v1/webhooks/deliveries/1", store.ScopeWebhooks, ""},
	{http.MethodPost, "/api/v1/webhooks/deliveries/1/replay", store.ScopeWebhooks, ""},
}

func (e *env) send(rt route, as string) response {
	e.t.Helper()
	var body []byte
	h := map[string]string{}
	if rt.body != "" {
		body = []byte(rt.body)
		if strings.HasPrefix(rt.body, "waybill") {
			h["Content-Type"] = "text/csv"
		}
	}
	return e.do(rt.method, rt.path, as, body, h)
}

func TestAuthOnEveryRoute(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	require.NoError(t, e.st.SetClientDisabled(ctx, "reader", true))
	code, err := e.st.AddNode(ctx, "ST-X", "station", "X")
	require.NoError(t, err)
	_, nodeToken, err := e.st.Enroll(ctx, code, "ST-X", "test")
	require.NoError(t, err)
	for _, rt := range routes {
		for _, as := range []string{"", "raw:not-a-key", "raw:" + e.keys["zto-app"] + "x", "reader", "raw:" + nodeToken} {
			r := e.send(rt, as)
			p := problem(t, r, http.StatusUnauthorized, openapi.CodeUnauthorized)
			assert.Contains(t, r.header.Get("WWW-Authenticate"), "Bearer", "%s %s as %s", rt.method, rt.path, as)
			assert.Equal(t, strings.SplitN(rt.path, "?", 2)[0], p.Instance)
		}
	}
	// The document needs no credentials.
	assert.Equal(t, http.StatusOK, e.get("/api/v1/openapi.json", "").status)
}

func TestScopes(t *testing.T) {
	e := newEnv(t)
	for _, rt := range routes {
		for _, cl := range clients {
			if cl.ID == "slow" {
				continue // its bucket is small
			}
			r := e.send(rt, cl.ID)
			has := false
			for _, s := range cl.Scopes {
				has = has || s == rt.scope
			}
			if has {
				assert.False(t, r.status == http.StatusForbidden && strings.Contains(string(r.body), openapi.CodeInsufficientScope),
					"%s %s as %s: %s", rt.method, rt.path, cl.ID, r.body)
				continue
			}
			problem(t, r, http.StatusForbidden, openapi.CodeInsufficientScope)
			assert.Contains(t, r.header.Get("WWW-Authenticate"), `error="insufficient_scope"`)
		}
		// The admin holds every scope.
		r := e.send(rt, "admin")
		assert.NotEqual(t, http.StatusForbidden, r.status, "%s %s as admin: %s", rt.method, rt.path, r.body)
		assert.NotEqual(t, http.StatusUnauthorized, r.status)
	}
}

func TestRoutingProblems(t *testing.T) {
	e := newEnv(t)
	r := e.get("/api/v1/nothing", "admin")
	problem(t, r, http.StatusNotFound, openapi.CodeNotFound)
	r = e.do(http.MethodDelete, "/api/v1/parcels/73100000000001", "admin", nil, nil)
	problem(t, r, http.StatusMethodNotAllowed, openapi.CodeMethodNotAllowed)
	assert.Equal(t, []string{"GET"}, r.header.Values("Allow"))
	r = e.do(http.MethodPut, "/api/v1/parcels", "admin", nil, nil)
	problem(t, r, http.StatusMethodNotAllowed, openapi.CodeMethodNotAllowed)
	assert.ElementsMatch(t, []string{"GET", "POST"}, r.header.Values("Allow"))
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t)
	path := "/api/v1/parcels/73100000000001"
	for i := range 3 {
		r := e.get(path, "slow")
		problem(t, r, http.StatusNotFound, openapi.CodeNotFound)
		assert.Equal(t, "3", r.header.Get("X-RateLimit-Limit"))
		assert.Equal(t, []string{"2", "1", "0"}[i], r.header.Get("X-RateLimit-Remaining"))
	}
	r := e.get(path, "slow")
	p := problem(t, r, http.StatusTooManyRequests, openapi.CodeRateLimited)
	assert.Equal(t, "20", r.header.Get("Retry-After"), "3 a minute: a token every 20 s")
	assert.Equal(t, 20, p.RetryAfter)

	// Other clients have buckets of their own; the admin has none.
	assert.Equal(t, http.StatusNotFound, e.get(path, "zto-app").status)
	assert.Equal(t, http.StatusNotFound, e.get(path, "admin").status)
	assert.Empty(t, e.get(path, "admin").header.Get("X-RateLimit-Limit"))

	e.clk.add(15 * time.Second)
	r = e.get(path, "slow")
	problem(t, r, http.StatusTooManyRequests, openapi.CodeRateLimited)
	assert.Equal(t, "5", r.header.Get("Retry-After"))
	e.clk.add(5 * time.Second)
	assert.Equal(t, http.StatusNotFound, e.get(path, "slow").status, "a token came back")
	problem(t, e.get(path, "slow"), http.StatusTooManyRequests, openapi.CodeRateLimited)
	e.clk.add(time.Hour)
	for range 3 {
		assert.Equal(t, http.StatusNotFound, e.get(path, "slow").status, "the bucket holds a minute's worth")
	}
	problem(t, e.get(path, "slow"), http.StatusTooManyRequests, openapi.CodeRateLimited)
}

func TestIdempotency(t *testing.T) {
	e := newEnv(t)
	body := jsonBody(entry("73100000000001", "zto", "13912345678", "先锋镇民主村三组"))
	key := map[string]string{openapi.IdempotencyHeader: "key-0001"}
	first := e.do(http.MethodPost, "/api/v1/parcels", "zto-app", body, key)
	require.Equal(t, http.StatusCreated, first.status, "%s", first.body)
	assert.Empty(t, first.header.Get(openapi.ReplayedHeader))

	// The same again: the first answer (201 created, not 200 unchanged).
	again := e.do(http.MethodPost, "/api/v1/parcels", "zto-app", body, key)
	assert.Equal(t, http.StatusCreated, again.status)
	assert.Equal(t, string(first.body), string(again.body))
	assert.Equal(t, "true", again.header.Get(openapi.ReplayedHeader))
	assert.Equal(t, "application/json; charset=utf-8", again.header.Get("Content-Type"))

	// Without the key: announced again, unchanged.
	r := decode[map[string]any](t, e.do(http.MethodPost, "/api/v1/parcels", "zto-app", body, nil), http.StatusOK)
	assert.Equal(t, "unchanged", r["outcome"])

	// The key with another body, or on another route: a conflict.
	other := jsonBody(entry("73100000000002", "zto", "13912345678", "先锋镇民主村三组"))
	problem(t, e.do(http.MethodPost, "/api/v1/parcels", "zto-app", other, key), http.StatusConflict, openapi.CodeIdempotencyConflict)
	problem(t, e.do(http.MethodPost, "/api/v1/parcels/batch", "zto-app", jsonBody(map[string]any{"parcels": []any{}}), key),
		http.StatusConflict, openapi.CodeIdempotencyConflict)
	// Keys are per client.
	assert.Equal(t, http.StatusCreated, e.do(http.MethodPost, "/api/v1/parcels", "admin", other, key).status)

	// A rejection is an answer too: replayed, problem+json.
	bad := jsonBody(entry("73100000000003", "zto", "12345", "民主村"))
	k2 := map[string]string{openapi.IdempotencyHeader: "key-0002"}
	problem(t, e.do(http.MethodPost, "/api/v1/parcels", "zto-app", bad, k2), http.StatusUnprocessableEntity, "bad_phone")
	r2 := e.do(http.MethodPost, "/api/v1/parcels", "zto-app", bad, k2)
	problem(t, r2, http.StatusUnprocessableEntity, "bad_phone")
	assert.Equal(t, "true", r2.header.Get(openapi.ReplayedHeader))

	// Keys must be printable ASCII, at most 200.
	for _, k := range []string{strings.Repeat("k", 201), "键"} {
		problem(t, e.do(http.MethodPost, "/api/v1/parcels", "zto-app", body, map[string]string{openapi.IdempotencyHeader: k}),
			http.StatusBadRequest, openapi.CodeBadIdempotencyKey)
	}

	// A day later the key is free again.
	e.clk.add(store.IdemTTL + time.Minute)
	r3 := e.do(http.MethodPost, "/api/v1/parcels", "zto-app", other, key)
	assert.Equal(t, http.StatusOK, r3.status, "%s", r3.body)
	assert.Empty(t, r3.header.Get(openapi.ReplayedHeader))
}
