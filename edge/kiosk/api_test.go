package kiosk_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/edge/config"
	"cunyou/edge/kiosk"
	"cunyou/edge/messages"
	"cunyou/edge/station"
	"cunyou/edge/store"
	"cunyou/syncproto"
)

// Every identifier at package level starts with api: browser_test.go shares
// this package.

// apiZone is the station's time zone in every test.
var apiZone = time.FixedZone("CST", 8*3600)

// apiT0 is when every test starts: a Monday morning at the station.
var apiT0 = time.Date(2025, 3, 10, 9, 0, 0, 0, apiZone)

const (
	apiOwner    = "boss"
	apiOwnerPIN = "112233"
	apiClerk    = "li"
	apiClerkPIN = "135790"

	// apiPhone and apiIDNumber are the personal numbers that must never
	// appear in full in a log line or a parcel shown to an operator.
	apiPhone       = "13812345678"
	apiPhoneMasked = "138****5678"
	apiIDNumber    = "11010519491231002X"
)

func apiSF(n int) string  { return fmt.Sprintf("SF%013d", n) }
func apiZTO(n int) string { return fmt.Sprintf("73%012d", n) }
func apiYTO(n int) string { return fmt.Sprintf("YT%013d", n) }

// apiClock is a wall clock that moves only when told to.
type apiClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *apiClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t, which must not be in its past.
func (c *apiClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.Before(c.now) {
		panic("apiClock: Set into the past")
	}
	c.now = t
}

func (c *apiClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// apiLog collects the server's log output. The server logs from its own
// goroutines, so reads and writes are serialized.
type apiLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *apiLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *apiLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// apiEnv is one station on its own SQLite file behind a real HTTP server.
type apiEnv struct {
	ctx   context.Context
	clock *apiClock
	store *store.Store
	st    *station.Station
	srv   *httptest.Server
	log   *apiLog

	mu        sync.Mutex
	exchanges []apiExchange // every response, for the privacy checks
}

// apiExchange is one request's route and its response body.
type apiExchange struct {
	method, target string
	body           string
}

// apiNewEnv starts a new station with no accounts and no shelves. When the
// test ends the server is closed and the database must pass its checks.
func apiNewEnv(t *testing.T) *apiEnv {
	t.Helper()
	ctx := context.Background()
	clock := &apiClock{now: apiT0}
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "edge.db"),
		store.Options{Node: "ST-API", Kind: syncproto.NodeStation, Now: clock.Now})
	require.NoError(t, err)
	e := &apiEnv{ctx: ctx, clock: clock, store: st, st: station.New(st, apiZone), log: &apiLog{}}
	e.srv = httptest.NewServer(kiosk.New(e.st, slog.New(slog.NewTextHandler(e.log, nil)), "test", nil))
	t.Cleanup(func() {
		e.srv.Close()
		assert.NoError(t, st.Check(ctx), "store check")
		assert.NoError(t, e.st.VerifyDerived(ctx), "derived statuses")
		assert.NoError(t, st.Close())
	})
	return e
}

// apiResp is a response as read by the client.
type apiResp struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r apiResp) String() string { return fmt.Sprintf("%d %s", r.Status, r.Body) }

// apiBody turns a test's body into a reader: nil is no body, a string or
// []byte is sent as is, anything else as JSON.
func apiBody(t *testing.T, body any) io.Reader {
	t.Helper()
	switch b := body.(type) {
	case nil:
		return nil
	case string:
		return strings.NewReader(b)
	case []byte:
		return bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		require.NoError(t, err)
		return bytes.NewReader(j)
	}
}

// do sends one request. token, when set, goes in the Authorization header;
// hdr are further header names and values.
func (e *apiEnv) do(t *testing.T, method, target, token string, body any, hdr ...string) apiResp {
	t.Helper()
	return e.doWith(t, e.srv.Client(), method, target, token, body, hdr...)
}

func (e *apiEnv) doWith(t *testing.T, c *http.Client, method, target, token string, body any, hdr ...string) apiResp {
	t.Helper()
	rd := apiBody(t, body)
	req, err := http.NewRequestWithContext(e.ctx, method, e.srv.URL+target, rd)
	require.NoError(t, err)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := c.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	e.mu.Lock()
	e.exchanges = append(e.exchanges, apiExchange{method: method, target: target, body: string(b)})
	e.mu.Unlock()
	return apiResp{Status: res.StatusCode, Header: res.Header, Body: b}
}

// apiOK sends a request that must succeed with status want, and decodes the
// response into a value of type T.
func apiOK[T any](t *testing.T, e *apiEnv, want int, method, target, token string, body any, hdr ...string) T {
	t.Helper()
	r := e.do(t, method, target, token, body, hdr...)
	require.Equal(t, want, r.Status, "%s %s: %s", method, target, r)
	require.Equal(t, "application/json; charset=utf-8", r.Header.Get("Content-Type"))
	var v T
	require.NoError(t, json.Unmarshal(r.Body, &v), "%s %s: %s", method, target, r)
	return v
}

// apiLangOf returns the Accept-Language among header pairs.
func apiLangOf(hdr []string) string {
	for i := 0; i+1 < len(hdr); i += 2 {
		if http.CanonicalHeaderKey(hdr[i]) == "Accept-Language" {
			return hdr[i+1]
		}
	}
	return ""
}

// refuse sends a request that must be refused with status and code, and
// checks the error body: the sentence from the message table of the
// request's language with every placeholder filled.
func (e *apiEnv) refuse(t *testing.T, status int, code, method, target, token string, body any, hdr ...string) kiosk.ErrorBody {
	t.Helper()
	r := e.do(t, method, target, token, body, hdr...)
	return apiCheckRefusal(t, r, status, code, apiLangOf(hdr))
}

func apiCheckRefusal(t *testing.T, r apiResp, status int, code, acceptLanguage string) kiosk.ErrorBody {
	t.Helper()
	require.Equal(t, status, r.Status, "want %d %s, got %s", status, code, r)
	require.Equal(t, "application/json; charset=utf-8", r.Header.Get("Content-Type"))
	var eb kiosk.ErrorBody
	require.NoError(t, json.Unmarshal(r.Body, &eb), "%s", r)
	require.Equal(t, code, eb.Error.Code, "%s", r)
	assert.Equal(t, messages.Text(messages.Pick(acceptLanguage), code, eb.Error.Args), eb.Error.Message)
	assert.NotContains(t, eb.Error.Message, "{", "unfilled placeholder in %q (args %v)", eb.Error.Message, eb.Error.Args)
	assert.NotEmpty(t, eb.Error.Message)
	return eb
}

// setupOwner creates the owner through /setup and returns the owner's token.
func (e *apiEnv) setupOwner(t *testing.T) string {
	t.Helper()
	apiOK[station.Operator](t, e, http.StatusCreated, "POST", "/api/v1/setup", "",
		station.OperatorInput{Username: apiOwner, DisplayName: "王站长", SecretKind: "pin", Secret: apiOwnerPIN})
	return e.login(t, apiOwner, apiOwnerPIN)
}

// login logs in and returns the session token.
func (e *apiEnv) login(t *testing.T, username, secret string) string {
	t.Helper()
	sess := apiOK[station.Session](t, e, http.StatusOK, "POST", "/api/v1/login", "", map[string]string{"username": username, "secret": secret})
	require.NotEmpty(t, sess.Token)
	return sess.Token
}

// addOperator creates an account with a PIN through the owner's API.
func (e *apiEnv) addOperator(t *testing.T, ownerToken, username, pin, role string) station.Operator {
	t.Helper()
	return apiOK[station.Operator](t, e, http.StatusCreated, "POST", "/api/v1/operators", ownerToken,
		station.OperatorInput{Username: username, Role: role, SecretKind: "pin", Secret: pin})
}

// addClerk creates the clerk and returns the clerk's token.
func (e *apiEnv) addClerk(t *testing.T, ownerToken string) string {
	t.Helper()
	e.addOperator(t, ownerToken, apiClerk, apiClerkPIN, station.RoleClerk)
	return e.login(t, apiClerk, apiClerkPIN)
}

// setShelves sets the layout through the owner's API.
func (e *apiEnv) setShelves(t *testing.T, ownerToken string, shelves ...syncproto.Shelf) {
	t.Helper()
	apiOK[map[string]any](t, e, http.StatusOK, "PUT", "/api/v1/shelves", ownerToken, syncproto.ShelvesSet{Shelves: shelves})
}

// inbound shelves a new parcel.
func (e *apiEnv) inbound(t *testing.T, token string, in station.InboundInput) station.Parcel {
	t.Helper()
	res := apiOK[station.InboundResult](t, e, http.StatusCreated, "POST", "/api/v1/inbound", token, in)
	require.False(t, res.Repeat)
	return res.Parcel
}

// apiParcels decodes a {"parcels": [...]} response.
type apiParcels struct {
	Parcels []station.Parcel `json:"parcels"`
}

// pickup hands parcels to their receiver.
func (e *apiEnv) pickup(t *testing.T, token string, waybills ...string) []station.Parcel {
	t.Helper()
	return apiOK[apiParcels](t, e, http.StatusOK, "POST", "/api/v1/pickup", token,
		station.PickupInput{Waybills: waybills, Collector: station.CollectorInput{Kind: "receiver"}}).Parcels
}

// lastSeq is the outbox's last seq as /status reports it.
func (e *apiEnv) lastSeq(t *testing.T) float64 {
	t.Helper()
	return apiOK[map[string]any](t, e, http.StatusOK, "GET", "/api/v1/status", "", nil)["last_seq"].(float64)
}

// timeline returns a parcel's events through the API.
func (e *apiEnv) timeline(t *testing.T, token, wb string) []station.ParcelTimeline {
	t.Helper()
	return apiOK[[]station.ParcelTimeline](t, e, http.StatusOK, "GET", "/api/v1/parcels/"+url.PathEscape(wb), token, nil)
}

// apiEventKinds lists the kinds of a timeline's events.
func apiEventKinds(evs []station.Event) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Kind)
	}
	return out
}

var apiCodeRe = regexp.MustCompile(`^\d{1,2}-\d-\d{4}$`)

func TestAPIStatusAndSetup(t *testing.T) {
	e := apiNewEnv(t)

	h := apiOK[map[string]any](t, e, http.StatusOK, "GET", "/healthz", "", nil)
	assert.Equal(t, map[string]any{"ok": true, "node": "ST-API", "kind": "station", "version": "test"}, h)

	r := e.do(t, "GET", "/api/v1/status", "", nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
	assert.Equal(t, "no-store", r.Header.Get("Cache-Control"))
	var st map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &st))
	assert.Equal(t, true, st["needs_setup"])
	assert.Equal(t, "ST-API", st["node"])
	assert.Equal(t, "2025-03-10", st["today"])
	assert.Equal(t, "test", st["version"])
	assert.NotEmpty(t, st["incarnation"])

	// A refused setup creates nothing.
	e.refuse(t, http.StatusUnprocessableEntity, "pin_invalid", "POST", "/api/v1/setup", "",
		station.OperatorInput{Username: apiOwner, SecretKind: "pin", Secret: "12"})
	assert.Equal(t, true, apiOK[map[string]any](t, e, http.StatusOK, "GET", "/api/v1/status", "", nil)["needs_setup"])

	// The role is forced to owner whatever the body says.
	o := apiOK[station.Operator](t, e, http.StatusCreated, "POST", "/api/v1/setup", "",
		station.OperatorInput{Username: " Boss ", DisplayName: "王站长", Role: station.RoleClerk, SecretKind: "pin", Secret: apiOwnerPIN})
	assert.Equal(t, station.Operator{ID: o.ID, Username: apiOwner, DisplayName: "王站长", Role: station.RoleOwner, SecretKind: "pin"}, o)
	assert.NotContains(t, e.exchanges[len(e.exchanges)-1].body, "argon2", "the secret's hash is never sent")

	st = apiOK[map[string]any](t, e, http.StatusOK, "GET", "/api/v1/status", "", nil)
	assert.Equal(t, false, st["needs_setup"])
	assert.Equal(t, float64(1), st["last_seq"], "the owner's creation is one op")

	// A second setup is refused, even for another name and role.
	e.refuse(t, http.StatusForbidden, "forbidden", "POST", "/api/v1/setup", "",
		station.OperatorInput{Username: "mallory", Role: station.RoleOwner, SecretKind: "pin", Secret: "999999"})
	ops, err := e.st.Operators(e.ctx)
	require.NoError(t, err)
	require.Len(t, ops, 1)
	assert.Equal(t, apiOwner, ops[0].Username)

	c := apiOK[map[string]any](t, e, http.StatusOK, "GET", "/api/v1/carriers", "", nil)
	assert.NotEmpty(t, c["carriers"])
	assert.Len(t, c["problem_reasons"], len(syncproto.ProblemReasons))
}

// Two kiosks (or a kiosk and anyone else on the machine) sending /setup to
// a new station at once must not both become owner: setup is for the first
// account only.
func TestAPISetupConcurrent(t *testing.T) {
	e := apiNewEnv(t)
	const n = 4
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			body, _ := json.Marshal(station.OperatorInput{Username: fmt.Sprintf("owner%d", i), SecretKind: "pin", Secret: apiOwnerPIN})
			res, err := e.srv.Client().Post(e.srv.URL+"/api/v1/setup", "application/json", bytes.NewReader(body))
			if !assert.NoError(t, err) {
				return
			}
			res.Body.Close()
			statuses[i] = res.StatusCode
		})
	}
	wg.Wait()
	ops, err := e.st.Operators(e.ctx)
	require.NoError(t, err)
	if len(ops) > 1 {
		t.Fatal("regression: kiosk.go setup checks for existing accounts outside the write transaction: concurrent POST /api/v1/setup created", len(ops), "owners, statuses", statuses)
	}
	assert.Len(t, ops, 1)
	slices.Sort(statuses)
	assert.Equal(t, []int{http.StatusCreated, http.StatusForbidden, http.StatusForbidden, http.StatusForbidden}, statuses)
}

func TestAPILogin(t *testing.T) {
	e := apiNewEnv(t)
	owner := e.setupOwner(t)
	e.addOperator(t, owner, apiClerk, apiClerkPIN, station.RoleClerk)

	// Success: a token in the body and the same token in an HttpOnly,
	// SameSite=Strict cookie.
	r := e.do(t, "POST", "/api/v1/login", "", map[string]string{"username": " LI ", "secret": apiClerkPIN})
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
	var sess station.Session
	require.NoError(t, json.Unmarshal(r.Body, &sess))
	require.NotEmpty(t, sess.Token)
	assert.Equal(t, apiClerk, sess.Operator.Username)
	assert.Equal(t, station.RoleClerk, sess.Operator.Role)
	assert.True(t, sess.Expires.Equal(apiT0.Add(station.SessionTTL)), "expires %v", sess.Expires)
	cookies := (&http.Response{Header: r.Header}).Cookies()
	require.Len(t, cookies, 1)
	c := cookies[0]
	assert.Equal(t, "cunyou_session", c.Name)
	assert.Equal(t, sess.Token, c.Value)
	assert.True(t, c.HttpOnly)
	assert.Equal(t, http.SameSiteStrictMode, c.SameSite)
	assert.Equal(t, "/", c.Path)
	clerk := sess.Token

	// The session works as a Bearer token and as the cookie.
	assert.Equal(t, apiClerk, apiOK[station.Operator](t, e, http.StatusOK, "GET", "/api/v1/me", clerk, nil).Username)
	assert.Equal(t, apiClerk, apiOK[station.Operator](t, e, http.StatusOK, "GET", "/api/v1/me", "", nil, "Cookie", "cunyou_session="+clerk).Username)

	// Wrong PINs count down, in the operator's language, then lock.
	wrong := []struct {
		lang       string
		wantStatus int
		wantCode   string
		wantIn     string
	}{
		{"", http.StatusUnauthorized, "login_failed", "还可以再试 4 次"},
		{"zh-CN", http.StatusUnauthorized, "login_failed", "还可以再试 3 次"},
		{"en", http.StatusUnauthorized, "login_failed", "2 tries left"},
		{"", http.StatusUnauthorized, "login_failed", "还可以再试 1 次"},
		{"", http.StatusForbidden, "account_locked", "账号已锁定到 09:15"},
	}
	for i, w := range wrong {
		eb := e.refuse(t, w.wantStatus, w.wantCode, "POST", "/api/v1/login", "",
			map[string]string{"username": apiClerk, "secret": "000000"}, "Accept-Language", w.lang)
		assert.Contains(t, eb.Error.Message, w.wantIn, "attempt %d", i+1)
	}
	// Locked: even the right PIN is refused, and the owner sees the lock.
	e.refuse(t, http.StatusForbidden, "account_locked", "POST", "/api/v1/login", "", map[string]string{"username": apiClerk, "secret": apiClerkPIN})
	ops := apiOK[struct{ Operators []station.Operator }](t, e, http.StatusOK, "GET", "/api/v1/operators", owner, nil).Operators
	require.Len(t, ops, 2)
	require.NotNil(t, ops[1].LockedUntil)
	assert.True(t, ops[1].LockedUntil.Equal(apiT0.Add(station.LockoutPeriod)))
	// The session opened before the lockout still works; the owner unlocks.
	apiOK[station.Operator](t, e, http.StatusOK, "GET", "/api/v1/me", clerk, nil)
	o := apiOK[station.Operator](t, e, http.StatusOK, "PATCH", "/api/v1/operators/"+apiClerk, owner, station.OperatorChange{Unlock: true})
	assert.Nil(t, o.LockedUntil)
	clerk2 := e.login(t, apiClerk, apiClerkPIN)

	// An unknown user is refused like a wrong secret.
	e.refuse(t, http.StatusUnauthorized, "login_failed", "POST", "/api/v1/login", "", map[string]string{"username": "nobody", "secret": apiClerkPIN})

	// Logout ends that session only, and clears the cookie.
	r = e.do(t, "POST", "/api/v1/logout", clerk2, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
	cookies = (&http.Response{Header: r.Header}).Cookies()
	require.Len(t, cookies, 1)
	assert.Equal(t, "cunyou_session", cookies[0].Name)
	assert.Empty(t, cookies[0].Value)
	assert.Negative(t, cookies[0].MaxAge)
	e.refuse(t, http.StatusUnauthorized, "unauthorized", "GET", "/api/v1/me", clerk2, nil)
	e.refuse(t, http.StatusUnauthorized, "unauthorized", "GET", "/api/v1/me", "", nil, "Cookie", "cunyou_session="+clerk2)
	apiOK[station.Operator](t, e, http.StatusOK, "GET", "/api/v1/me", clerk, nil)

	// Sessions end after SessionTTL.
	e.clock.Advance(station.SessionTTL + time.Minute)
	e.refuse(t, http.StatusUnauthorized, "unauthorized", "GET", "/api/v1/me", clerk, nil)
	e.refuse(t, http.StatusUnauthorized, "unauthorized", "GET", "/api/v1/me", owner, nil)
}

// A browser keeps the session in its cookie jar: login, use, logout.
func TestAPICookieSession(t *testing.T) {
	e := apiNewEnv(t)
	// A browser drops a cookie whose expiry has passed: the station's clock
	// must be today's.
	e.clock.Set(time.Now())
	e.setupOwner(t)
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	browser := &http.Client{Jar: jar}

	r := e.doWith(t, browser, "GET", "/api/v1/me", "", nil)
	apiCheckRefusal(t, r, http.StatusUnauthorized, "unauthorized", "")
	r = e.doWith(t, browser, "POST", "/api/v1/login", "", map[string]string{"username": apiOwner, "secret": apiOwnerPIN})
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
	var sess station.Session
	require.NoError(t, json.Unmarshal(r.Body, &sess))

	r = e.doWith(t, browser, "GET", "/api/v1/me", "", nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
	assert.Contains(t, string(r.Body), `"username":"boss"`)
	r = e.doWith(t, browser, "GET", "/api/v1/settings", "", nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r)

	r = e.doWith(t, browser, "POST", "/api/v1/logout", "", nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
	r = e.doWith(t, browser, "GET", "/api/v1/me", "", nil)
	apiCheckRefusal(t, r, http.StatusUnauthorized, "unauthorized", "")
	// The token itself is dead on the server, not only dropped by the browser.
	e.refuse(t, http.StatusUnauthorized, "unauthorized", "GET", "/api/v1/me", sess.Token, nil)
}

// apiAuthRoutes lists every route behind the session check.
var apiAuthRoutes = []struct{ method, target string }{
	{"POST", "/api/v1/logout"},
	{"GET", "/api/v1/me"},
	{"GET", "/api/v1/waybills/SF0000000000001"},
	{"GET", "/api/v1/parcels/SF0000000000001"},
	{"POST", "/api/v1/inbound"},
	{"POST", "/api/v1/inbound/batch"},
	{"POST", "/api/v1/inbound/undo"},
	{"GET", "/api/v1/pickup?q=1234"},
	{"POST", "/api/v1/pickup"},
	{"GET", "/api/v1/quote?carrier=zto&province=x&weight_g=100"},
	{"POST", "/api/v1/send"},
	{"GET", "/api/v1/problems"},
	{"POST", "/api/v1/problems"},
	{"GET", "/api/v1/overdue"},
	{"POST", "/api/v1/returns"},
	{"POST", "/api/v1/stocktake"},
	{"GET", "/api/v1/dayclose"},
	{"POST", "/api/v1/dayclose"},
	{"GET", "/api/v1/shelves"},
	{"PUT", "/api/v1/shelves"},
	{"GET", "/api/v1/settings"},
	{"PUT", "/api/v1/settings"},
	{"GET", "/api/v1/operators"},
	{"POST", "/api/v1/operators"},
	{"PATCH", "/api/v1/operators/boss"},
}

func TestAPIUnauthorized(t *testing.T) {
	e := apiNewEnv(t)
	credentials := []struct {
		name string
		hdr  []string
	}{
		{"none", nil},
		{"unknown bearer", []string{"Authorization", "Bearer bm90LWEtdG9rZW4"}},
		{"empty bearer", []string{"Authorization", "Bearer "}},
		{"basic auth", []string{"Authorization", "Basic Ym9zczoxMTIyMzM="}},
		{"unknown cookie", []string{"Cookie", "cunyou_session=bm90LWEtdG9rZW4"}},
	}
	before := e.lastSeq(t)
	for _, rt := range apiAuthRoutes {
		for _, c := range credentials {
			t.Run(rt.method+" "+rt.target+" "+c.name, func(t *testing.T) {
				e.refuse(t, http.StatusUnauthorized, "unauthorized", rt.method, rt.target, "", `{}`, c.hdr...)
			})
		}
	}
	assert.Equal(t, before, e.lastSeq(t), "nothing was done")
}

func TestAPIRoles(t *testing.T) {
	e := apiNewEnv(t)
	owner := e.setupOwner(t)
	clerk := e.addClerk(t, owner)

	tests := []struct {
		method, target string
		body           any
		ownerStatus    int
	}{
		{"PUT", "/api/v1/shelves", syncproto.ShelvesSet{Shelves: []syncproto.Shelf{{No: 1, Layers: 2, Capacity: 5}}}, http.StatusOK},
		{"PUT", "/api/v1/settings", station.Settings{OverdueDays: 2, ReturnDays: 5}, http.StatusOK},
		{"GET", "/api/v1/operators", nil, http.StatusOK},
		{"POST", "/api/v1/operators", station.OperatorInput{Username: "zhao", Role: station.RoleClerk, SecretKind: "pin", Secret: "246802"}, http.StatusCreated},
		{"PATCH", "/api/v1/operators/" + apiClerk, map[string]any{"display_name": "小李"}, http.StatusOK},
		{"PATCH", "/api/v1/operators/" + apiClerk, map[string]any{"role": "owner"}, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			seq := e.lastSeq(t)
			e.refuse(t, http.StatusForbidden, "forbidden", tt.method, tt.target, clerk, tt.body)
			assert.Equal(t, seq, e.lastSeq(t), "a clerk's refused request changes nothing")
			r := e.do(t, tt.method, tt.target, owner, tt.body)
			assert.Equal(t, tt.ownerStatus, r.Status, "%s", r)
		})
	}
	// The last case made the clerk an owner: the role is read per request.
	assert.Equal(t, station.RoleOwner, apiOK[station.Operator](t, e, http.StatusOK, "GET", "/api/v1/me", clerk, nil).Role)
	apiOK[map[string]any](t, e, http.StatusOK, "GET", "/api/v1/operators", clerk, nil)

	// What a clerk may read.
	zhao := e.login(t, "zhao", "246802")
	for _, target := range []string{"/api/v1/shelves", "/api/v1/settings", "/api/v1/dayclose", "/api/v1/problems", "/api/v1/overdue"} {
		apiOK[map[string]any](t, e, http.StatusOK, "GET", target, zhao, nil)
	}
	assert.Equal(t, station.Settings{OverdueDays: 2, ReturnDays: 5, IDValueYuan: 1000},
		apiOK[station.Settings](t, e, http.StatusOK, "GET", "/api/v1/settings", zhao, nil))
}

func TestAPIInbound(t *testing.T) {
	e := apiNewEnv(t)
	tok := e.setupOwner(t)

	e.refuse(t, http.StatusConflict, "no_shelves", "POST", "/api/v1/inbound", tok,
		station.InboundInput{Waybill: apiSF(1), ReceiverPhone: apiPhone})
	e.setShelves(t, tok, syncproto.Shelf{No: 1, Layers: 1, Capacity: 3})
	require.NoError(t, e.st.ApplyManifest(e.ctx, []station.ManifestEntry{
		{Waybill: apiSF(1), Carrier: "sf", ReceiverName: "张三", ReceiverPhone: apiPhone},
		{Waybill: apiZTO(2), Carrier: "zto", ReceiverName: "李四", ReceiverPhone: "+86 139 0013 9000"},
	}))

	tests := []struct {
		name          string
		in            station.InboundInput
		wantStatus    int
		wantRepeat    bool
		wantPrefilled bool
		wantWaybill   string
		wantCarrier   string
		wantName      string
		wantPhone     string
	}{
		{"manifest prefills", station.InboundInput{Waybill: apiSF(1)}, http.StatusCreated, false, true, apiSF(1), "sf", "张三", apiPhoneMasked},
		{"repeat scan", station.InboundInput{Waybill: strings.ToLower(apiSF(1)) + "\r\n"}, http.StatusOK, true, false, apiSF(1), "sf", "张三", apiPhoneMasked},
		{"manifest carrier", station.InboundInput{Waybill: apiZTO(2)}, http.StatusCreated, false, true, apiZTO(2), "zto", "李四", "139****9000"},
		{"receiver typed", station.InboundInput{Waybill: apiYTO(3), ReceiverPhone: "137-0000-0007", ReceiverName: "王五"},
			http.StatusCreated, false, false, apiYTO(3), "yto", "王五", "137****0007"},
	}
	codes := map[string]string{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seq := e.lastSeq(t)
			res := apiOK[station.InboundResult](t, e, tt.wantStatus, "POST", "/api/v1/inbound", tok, tt.in)
			assert.Equal(t, tt.wantRepeat, res.Repeat)
			assert.Equal(t, tt.wantPrefilled, res.Prefilled)
			p := res.Parcel
			assert.Equal(t, tt.wantWaybill, p.Waybill)
			assert.Equal(t, tt.wantCarrier, p.Carrier)
			assert.Equal(t, tt.wantName, p.Receiver)
			assert.Equal(t, tt.wantPhone, p.Phone)
			assert.Equal(t, station.StatusAtStation, p.Status)
			assert.Equal(t, 1, p.Shelf)
			assert.Equal(t, 1, p.Layer)
			assert.Regexp(t, apiCodeRe, p.Code)
			if tt.wantRepeat {
				assert.Equal(t, codes[p.Waybill], p.Code, "a repeat scan keeps the code")
				assert.Equal(t, seq, e.lastSeq(t), "a repeat scan records nothing")
			} else {
				assert.NotContains(t, codes, p.Waybill)
				codes[p.Waybill] = p.Code
				assert.Equal(t, seq+1, e.lastSeq(t), "one inbound, one op")
			}
		})
	}

	refusals := []struct {
		name   string
		in     station.InboundInput
		status int
		code   string
	}{
		{"not in manifest", station.InboundInput{Waybill: apiZTO(4)}, http.StatusUnprocessableEntity, "receiver_required"},
		{"name without phone", station.InboundInput{Waybill: apiZTO(4), ReceiverName: "赵六"}, http.StatusUnprocessableEntity, "receiver_required"},
		{"bad phone", station.InboundInput{Waybill: apiZTO(4), ReceiverPhone: "12345"}, http.StatusUnprocessableEntity, "phone_invalid"},
		{"bad waybill", station.InboundInput{Waybill: "SF-!", ReceiverPhone: apiPhone}, http.StatusUnprocessableEntity, "waybill_invalid"},
		{"no carrier", station.InboundInput{Waybill: "ZZ12345678", ReceiverPhone: apiPhone}, http.StatusUnprocessableEntity, "carrier_unknown"},
		{"unknown carrier", station.InboundInput{Waybill: apiZTO(4), Carrier: "acme", ReceiverPhone: apiPhone}, http.StatusUnprocessableEntity, "carrier_unknown"},
		{"shelves full", station.InboundInput{Waybill: apiZTO(4), ReceiverPhone: apiPhone}, http.StatusConflict, "shelves_full"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			seq := e.lastSeq(t)
			e.refuse(t, tt.status, tt.code, "POST", "/api/v1/inbound", tok, tt.in)
			assert.Equal(t, seq, e.lastSeq(t))
		})
	}

	// Detect: carrier hints, and the manifest's receiver with the phone masked.
	type detect struct {
		Waybill  string                 `json:"waybill"`
		Hints    []map[string]any       `json:"carrier_hints"`
		Manifest *station.ManifestEntry `json:"manifest"`
	}
	d := apiOK[detect](t, e, http.StatusOK, "GET", "/api/v1/waybills/"+strings.ToLower(apiZTO(2)), tok, nil)
	assert.Equal(t, apiZTO(2), d.Waybill)
	require.NotEmpty(t, d.Hints)
	assert.Equal(t, "zto", d.Hints[0]["code"])
	require.NotNil(t, d.Manifest)
	assert.Equal(t, "李四", d.Manifest.ReceiverName)
	assert.Equal(t, "139****9000", d.Manifest.ReceiverPhone)
	d = apiOK[detect](t, e, http.StatusOK, "GET", "/api/v1/waybills/"+apiSF(99), tok, nil)
	assert.Equal(t, "sf", d.Hints[0]["code"])
	assert.Nil(t, d.Manifest)
	e.refuse(t, http.StatusUnprocessableEntity, "waybill_invalid", "GET", "/api/v1/waybills/AB12", tok, nil)
}

func TestAPIInboundBatch(t *testing.T) {
	e := apiNewEnv(t)
	tok := e.setupOwner(t)
	e.setShelves(t, tok, syncproto.Shelf{No: 1, Layers: 2, Capacity: 10})
	require.NoError(t, e.st.ApplyManifest(e.ctx, []station.ManifestEntry{
		{Waybill: apiSF(1), Carrier: "sf", ReceiverName: "张三", ReceiverPhone: apiPhone},
	}))
	type item struct {
		Waybill string                 `json:"waybill"`
		Result  *station.InboundResult `json:"result"`
		Error   *struct {
			Code    string            `json:"code"`
			Message string            `json:"message"`
			Args    map[string]string `json:"args"`
		} `json:"error"`
	}
	type batch struct {
		Items  []item `json:"items"`
		OK     int    `json:"ok"`
		Failed int    `json:"failed"`
	}
	in := []station.InboundInput{
		{Waybill: apiSF(1)},
		{Waybill: "bad!"},
		{Waybill: apiZTO(2)},
		{Waybill: apiYTO(3), ReceiverPhone: "13900001111", ReceiverName: "李四"},
		{Waybill: apiSF(1)},
	}
	seq := e.lastSeq(t)
	got := apiOK[batch](t, e, http.StatusOK, "POST", "/api/v1/inbound/batch", tok, map[string]any{"items": in})
	assert.Equal(t, 3, got.OK)
	assert.Equal(t, 2, got.Failed)
	require.Len(t, got.Items, len(in))
	want := []struct {
		code    string
		repeat  bool
		message string
	}{
		{"", false, ""},
		{"waybill_invalid", false, "运单号无法识别，请重新扫描或手工输入。"},
		{"receiver_required", false, "清单中没有这个运单，请输入收件人手机号。"},
		{"", false, ""},
		{"", true, ""},
	}
	for i, w := range want {
		it := got.Items[i]
		assert.Equal(t, in[i].Waybill, it.Waybill, "item %d", i)
		if w.code != "" {
			require.NotNil(t, it.Error, "item %d", i)
			assert.Nil(t, it.Result, "item %d", i)
			assert.Equal(t, w.code, it.Error.Code, "item %d", i)
			assert.Equal(t, w.message, it.Error.Message, "item %d", i)
			continue
		}
		require.NotNil(t, it.Result, "item %d", i)
		assert.Nil(t, it.Error, "item %d", i)
		assert.Equal(t, w.repeat, it.Result.Repeat, "item %d", i)
		assert.Regexp(t, apiCodeRe, it.Result.Parcel.Code)
	}
	assert.Equal(t, got.Items[0].Result.Parcel.Code, got.Items[4].Result.Parcel.Code)
	assert.Equal(t, seq+2, e.lastSeq(t), "each new parcel is one op; refusals and repeats none")

	// The per-item sentence follows Accept-Language.
	got = apiOK[batch](t, e, http.StatusOK, "POST", "/api/v1/inbound/batch", tok,
		map[string]any{"items": []station.InboundInput{{Waybill: apiZTO(5)}}}, "Accept-Language", "en-US,en;q=0.9")
	require.Len(t, got.Items, 1)
	require.NotNil(t, got.Items[0].Error)
	assert.Equal(t, "This waybill is not in the manifest; enter the receiver's phone.", got.Items[0].Error.Message)

	// An empty batch and one larger than a bag are refused whole.
	e.refuse(t, http.StatusBadRequest, "bad_request", "POST", "/api/v1/inbound/batch", tok, map[string]any{"items": []any{}})
	e.refuse(t, http.StatusBadRequest, "bad_request", "POST", "/api/v1/inbound/batch", tok, `{}`)
	e.refuse(t, http.StatusBadRequest, "bad_request", "POST", "/api/v1/inbound/batch", tok,
		map[string]any{"items": make([]station.InboundInput, 501)})
}

// apiReceiver finds the receiver with a masked phone in a search.
func apiReceiver(s station.Search, phone string) *station.Receiver {
	for i := range s.Receivers {
		if s.Receivers[i].Phone == phone {
			return &s.Receivers[i]
		}
	}
	return nil
}

// apiWaybills lists the parcels' waybills, sorted.
func apiWaybills(ps []station.Parcel) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Waybill)
	}
	slices.Sort(out)
	return out
}

func TestAPIPickup(t *testing.T) {
	e := apiNewEnv(t)
	tok := e.setupOwner(t)
	e.setShelves(t, tok, syncproto.Shelf{No: 1, Layers: 2, Capacity: 5})
	p1 := e.inbound(t, tok, station.InboundInput{Waybill: apiSF(11), ReceiverPhone: apiPhone, ReceiverName: "张三"})
	p2 := e.inbound(t, tok, station.InboundInput{Waybill: apiZTO(12), ReceiverPhone: apiPhone, ReceiverName: "张三"})
	p3 := e.inbound(t, tok, station.InboundInput{Waybill: apiYTO(13), ReceiverPhone: "13900001111", ReceiverName: "李四"})
	p4 := e.inbound(t, tok, station.InboundInput{Waybill: apiYTO(14), ReceiverPhone: "13900001111", ReceiverName: "李四"})
	both := []string{p1.Waybill, p2.Waybill}
	slices.Sort(both)

	searches := []struct {
		name      string
		q         string
		matchedBy string
	}{
		{"pickup code", p1.Code, "code"},
		{"phone tail", "5678", "phone_tail"},
		{"phone", "138 1234 5678", "phone"},
		{"phone with +86", "+8613812345678", "phone"},
		{"waybill", strings.ToLower(p2.Waybill), "waybill"},
	}
	for _, tt := range searches {
		t.Run("search by "+tt.name, func(t *testing.T) {
			s := apiOK[station.Search](t, e, http.StatusOK, "GET", "/api/v1/pickup?q="+url.QueryEscape(tt.q), tok, nil)
			assert.Contains(t, s.MatchedBy, tt.matchedBy)
			r := apiReceiver(s, apiPhoneMasked)
			require.NotNil(t, r, "receivers %+v", s.Receivers)
			assert.Equal(t, "张三", r.Name)
			assert.Equal(t, both, apiWaybills(r.Parcels), "every parcel of the receiver")
			for _, p := range r.Parcels {
				assert.Equal(t, apiPhoneMasked, p.Phone)
			}
			if tt.matchedBy != "phone_tail" { // 5678 may also be another parcel's code
				assert.Nil(t, apiReceiver(s, "139****1111"), "no other receiver")
			}
		})
	}
	e.refuse(t, http.StatusUnprocessableEntity, "query_invalid", "GET", "/api/v1/pickup?q="+url.QueryEscape("??"), tok, nil)
	e.refuse(t, http.StatusUnprocessableEntity, "query_invalid", "GET", "/api/v1/pickup", tok, nil)

	// Both parcels at once, by the receiver.
	ps := apiOK[apiParcels](t, e, http.StatusOK, "POST", "/api/v1/pickup", tok, station.PickupInput{Waybills: both}).Parcels
	require.Len(t, ps, 2)
	for _, p := range ps {
		assert.Equal(t, station.StatusPickedUp, p.Status)
		assert.Equal(t, "张* "+apiPhoneMasked, p.OutBy)
		assert.Equal(t, apiPhoneMasked, p.Phone)
		assert.Zero(t, p.Shelf)
		require.NotNil(t, p.OutAt)
		assert.True(t, p.OutAt.Equal(apiT0))
	}
	s := apiOK[station.Search](t, e, http.StatusOK, "GET", "/api/v1/pickup?q="+apiPhone, tok, nil)
	assert.Empty(t, s.Receivers, "nothing left to hand out")

	// A second pickup names when and by whom.
	eb := e.refuse(t, http.StatusConflict, "parcel_picked_up", "POST", "/api/v1/pickup", tok, station.PickupInput{Waybills: []string{p1.Waybill}})
	assert.Equal(t, "该包裹已于 03-10 09:00 由 张* 138****5678 取走，不能重复取件。", eb.Error.Message)
	assert.Equal(t, p1.Waybill, eb.Error.Args["waybill"])
	eb = e.refuse(t, http.StatusConflict, "parcel_picked_up", "POST", "/api/v1/pickup", tok,
		station.PickupInput{Waybills: []string{p1.Waybill}}, "Accept-Language", "en")
	assert.Equal(t, "This parcel was picked up at 03-10 09:00 by 张* 138****5678; it cannot be picked up again.", eb.Error.Message)
	// Scanning it in again says the same.
	e.refuse(t, http.StatusConflict, "parcel_picked_up", "POST", "/api/v1/inbound", tok, station.InboundInput{Waybill: p1.Waybill})

	// All or none: one picked-up parcel in the list refuses the others too.
	seq := e.lastSeq(t)
	e.refuse(t, http.StatusConflict, "parcel_picked_up", "POST", "/api/v1/pickup", tok, station.PickupInput{Waybills: []string{p3.Waybill, p1.Waybill}})
	assert.Equal(t, seq, e.lastSeq(t))
	assert.Equal(t, station.StatusAtStation, e.timeline(t, tok, p3.Waybill)[0].Parcel.Status)

	refusals := []struct {
		name   string
		in     station.PickupInput
		status int
		code   string
	}{
		{"no waybills", station.PickupInput{}, http.StatusBadRequest, "bad_request"},
		{"unknown parcel", station.PickupInput{Waybills: []string{apiSF(77)}}, http.StatusNotFound, "parcel_not_found"},
		{"bad waybill", station.PickupInput{Waybills: []string{"x"}}, http.StatusUnprocessableEntity, "waybill_invalid"},
		{"proxy without name", station.PickupInput{Waybills: []string{p3.Waybill}, Collector: station.CollectorInput{Kind: "proxy", Phone: "13700000007"}},
			http.StatusUnprocessableEntity, "collector_required"},
		{"proxy without phone", station.PickupInput{Waybills: []string{p3.Waybill}, Collector: station.CollectorInput{Kind: "proxy", Name: "王五"}},
			http.StatusUnprocessableEntity, "collector_required"},
		{"bad collector phone", station.PickupInput{Waybills: []string{p3.Waybill}, Collector: station.CollectorInput{Kind: "proxy", Name: "王五", Phone: "123"}},
			http.StatusUnprocessableEntity, "phone_invalid"},
		{"bad ID number", station.PickupInput{Waybills: []string{p3.Waybill}, Collector: station.CollectorInput{Kind: "receiver", IDNumber: "110105194912310021"}},
			http.StatusUnprocessableEntity, "id_invalid"},
		{"bad collector kind", station.PickupInput{Waybills: []string{p3.Waybill}, Collector: station.CollectorInput{Kind: "drone"}},
			http.StatusBadRequest, "bad_request"},
		{"bad photo hash", station.PickupInput{Waybills: []string{p3.Waybill}, PhotoSHA256: "abc"}, http.StatusBadRequest, "bad_request"},
		{"proxy with a typed ID, the card rule on", station.PickupInput{Waybills: []string{p3.Waybill},
			Collector: station.CollectorInput{Kind: "proxy", Name: "王五", Phone: "137 0000 0007", IDNumber: apiIDNumber}},
			http.StatusUnprocessableEntity, "idcard_required_proxy"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			seq := e.lastSeq(t)
			e.refuse(t, tt.status, tt.code, "POST", "/api/v1/pickup", tok, tt.in)
			assert.Equal(t, seq, e.lastSeq(t))
		})
	}

	// A proxy with an ID number typed, the owner having turned the card
	// rule off: shown masked, the ID number never.
	apiOK[station.Settings](t, e, http.StatusOK, "PUT", "/api/v1/settings", tok, map[string]bool{"id_for_proxy": false})
	ps = apiOK[apiParcels](t, e, http.StatusOK, "POST", "/api/v1/pickup", tok, station.PickupInput{
		Waybills:  []string{p3.Waybill, p4.Waybill, p3.Waybill},
		Collector: station.CollectorInput{Kind: "proxy", Name: "王五", Phone: "137 0000 0007", IDNumber: apiIDNumber},
	}).Parcels
	require.Len(t, ps, 2, "a waybill listed twice is handed out once")
	for _, p := range ps {
		assert.Equal(t, "王* 137****0007 ID …002X", p.OutBy, "the ID number's last four only")
	}
	tl := e.timeline(t, tok, p3.Waybill)
	require.Len(t, tl, 1)
	assert.Equal(t, []string{"inbound", "picked_up"}, apiEventKinds(tl[0].Events))
	assert.Equal(t, "王* 137****0007 ID …002X", tl[0].Events[1].Detail)
	for _, x := range e.exchanges {
		assert.NotContains(t, x.body, apiIDNumber)
		assert.NotContains(t, x.body, "10519491231")
	}
}

// apiSendInput is a valid parcel to send, changed by mod.
func apiSendInput(mod func(*station.SendInput)) station.SendInput {
	in := station.SendInput{
		Carrier:     "zto",
		Sender:      station.PartyInput{Name: "孙寄", Phone: apiPhone, IDNumber: apiIDNumber},
		Receiver:    station.PartyInput{Name: "周收", Phone: "13700000002", Province: "黑龙江省", Address: "绥化市望奎县"},
		WeightGrams: 1500,
	}
	if mod != nil {
		mod(&in)
	}
	return in
}

func TestAPIQuoteAndSend(t *testing.T) {
	e := apiNewEnv(t)
	tok := e.setupOwner(t)
	require.NoError(t, e.st.ApplyTariffs(e.ctx, []station.Tariff{
		{Carrier: "zto", Province: "*", FirstGrams: 1000, FirstFen: 1000, StepGrams: 1000, StepFen: 500},
		{Carrier: "zto", Province: "黑龙江省", FirstGrams: 1000, FirstFen: 600, StepGrams: 1000, StepFen: 200},
		{Carrier: "sto", Province: "*", FirstGrams: 1000, FirstFen: 900, StepGrams: 1000, StepFen: 400},
	}))
	require.NoError(t, e.st.ApplyWaybillRange(e.ctx, station.WaybillRange{Carrier: "zto", Prefix: "78", Next: 100000000000, Last: 100000000001, Width: 12}))

	quotes := []struct {
		query     string
		wantPrice int
		wantCode  string
	}{
		{"carrier=zto&province=" + url.QueryEscape("黑龙江省") + "&weight_g=1500", 800, ""},
		{"carrier=zto&province=" + url.QueryEscape("北京市") + "&weight_g=1000", 1000, ""},
		{"carrier=zto&province=" + url.QueryEscape("北京市") + "&weight_g=2001", 2000, ""},
		{"carrier=sto&province=" + url.QueryEscape("北京市") + "&weight_g=1", 900, ""},
		{"carrier=sf&province=" + url.QueryEscape("北京市") + "&weight_g=100", 0, "no_tariff"},
		{"carrier=zto&province=x&weight_g=0", 0, "weight_invalid"},
		{"carrier=zto&province=x&weight_g=100001", 0, "weight_invalid"},
		{"carrier=zto&province=x&weight_g=heavy", 0, "weight_invalid"},
		{"carrier=zto&province=x", 0, "weight_invalid"},
	}
	for _, tt := range quotes {
		t.Run("quote "+tt.query, func(t *testing.T) {
			if tt.wantCode != "" {
				e.refuse(t, http.StatusUnprocessableEntity, tt.wantCode, "GET", "/api/v1/quote?"+tt.query, tok, nil)
				return
			}
			got := apiOK[map[string]int](t, e, http.StatusOK, "GET", "/api/v1/quote?"+tt.query, tok, nil)
			assert.Equal(t, map[string]int{"price_fen": tt.wantPrice}, got)
		})
	}
	eb := e.refuse(t, http.StatusUnprocessableEntity, "no_tariff", "GET", "/api/v1/quote?carrier=sf&province="+url.QueryEscape("北京市")+"&weight_g=100", tok, nil)
	assert.Equal(t, "没有该快递公司寄往 北京市 的价格，请联系县中心。", eb.Error.Message)

	// Numbers from the range, in order, until it runs out.
	for _, want := range []string{"78100000000000", "78100000000001"} {
		p := apiOK[station.Parcel](t, e, http.StatusCreated, "POST", "/api/v1/send", tok, apiSendInput(nil))
		assert.Equal(t, want, p.Waybill)
		assert.Equal(t, "out", p.Direction)
		assert.Equal(t, station.StatusAccepted, p.Status)
		assert.Equal(t, "zto", p.Carrier)
		assert.Equal(t, "中通", p.CarrierName)
		assert.Equal(t, "周收", p.Receiver)
		assert.Equal(t, "137****0002", p.Phone)
		assert.Equal(t, 1500, p.WeightGrams)
		assert.Equal(t, 800, p.PriceFen)
		assert.Zero(t, p.Shelf)
	}
	e.refuse(t, http.StatusConflict, "no_waybill_range", "POST", "/api/v1/send", tok, apiSendInput(nil))

	// A number typed in.
	p := apiOK[station.Parcel](t, e, http.StatusCreated, "POST", "/api/v1/send", tok, apiSendInput(func(in *station.SendInput) {
		in.Waybill = " " + apiZTO(55)
		in.WeightGrams = 3000
		in.Receiver.Province = "北京市"
	}))
	assert.Equal(t, apiZTO(55), p.Waybill)
	assert.Equal(t, 2000, p.PriceFen)
	tl := e.timeline(t, tok, apiZTO(55))
	require.Len(t, tl, 1)
	assert.Equal(t, "out", tl[0].Parcel.Direction)
	assert.Equal(t, []string{"accepted"}, apiEventKinds(tl[0].Events))
	assert.Equal(t, apiOwner, tl[0].Events[0].Actor)

	refusals := []struct {
		name   string
		mod    func(*station.SendInput)
		status int
		code   string
	}{
		{"number used", func(in *station.SendInput) { in.Waybill = apiZTO(55) }, http.StatusConflict, "waybill_exists"},
		{"number of another carrier", func(in *station.SendInput) { in.Waybill = apiSF(1) }, http.StatusUnprocessableEntity, "carrier_mismatch"},
		{"bad number", func(in *station.SendInput) { in.Waybill = "1" }, http.StatusUnprocessableEntity, "waybill_invalid"},
		{"unknown carrier", func(in *station.SendInput) { in.Carrier = "acme" }, http.StatusUnprocessableEntity, "carrier_unknown"},
		{"no ID", func(in *station.SendInput) { in.Sender.IDNumber = " " }, http.StatusUnprocessableEntity, "sender_id_required"},
		{"bad ID", func(in *station.SendInput) { in.Sender.IDNumber = "110105194912310021" }, http.StatusUnprocessableEntity, "id_invalid"},
		{"no sender name", func(in *station.SendInput) { in.Sender.Name = "" }, http.StatusUnprocessableEntity, "name_required"},
		{"bad receiver phone", func(in *station.SendInput) { in.Receiver.Phone = "0451-1234567" }, http.StatusUnprocessableEntity, "phone_invalid"},
		{"no address", func(in *station.SendInput) { in.Receiver.Address = "" }, http.StatusBadRequest, "bad_request"},
		{"no weight", func(in *station.SendInput) { in.WeightGrams = 0 }, http.StatusUnprocessableEntity, "weight_invalid"},
		{"no tariff", func(in *station.SendInput) { in.Carrier = "sf"; in.Waybill = apiSF(1) }, http.StatusUnprocessableEntity, "no_tariff"},
		{"no range", func(in *station.SendInput) { in.Carrier = "sto" }, http.StatusConflict, "no_waybill_range"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			seq := e.lastSeq(t)
			e.refuse(t, tt.status, tt.code, "POST", "/api/v1/send", tok, apiSendInput(tt.mod))
			assert.Equal(t, seq, e.lastSeq(t))
		})
	}
}

func TestAPIProblems(t *testing.T) {
	e := apiNewEnv(t)
	tok := e.setupOwner(t)
	e.setShelves(t, tok, syncproto.Shelf{No: 1, Layers: 2, Capacity: 5})
	p1 := e.inbound(t, tok, station.InboundInput{Waybill: apiSF(1), ReceiverPhone: apiPhone, ReceiverName: "张三"})
	p2 := e.inbound(t, tok, station.InboundInput{Waybill: apiSF(2), ReceiverPhone: apiPhone, ReceiverName: "张三"})

	r := e.do(t, "GET", "/api/v1/problems", tok, nil)
	require.Equal(t, http.StatusOK, r.Status)
	assert.JSONEq(t, `{"parcels": []}`, string(r.Body), "an empty list, not null")

	type mark struct {
		Waybill string `json:"waybill"`
		Reason  string `json:"reason"`
		Text    string `json:"text,omitempty"`
	}
	p := apiOK[station.Parcel](t, e, http.StatusOK, "POST", "/api/v1/problems", tok, mark{strings.ToLower(p1.Waybill), "damaged", "外箱破损"})
	assert.Equal(t, station.StatusProblem, p.Status)
	assert.Equal(t, "damaged", p.Problem)
	assert.Equal(t, p1.Code, p.Code, "a problem parcel stays on its shelf")
	assert.Equal(t, apiPhoneMasked, p.Phone)

	got := apiOK[apiParcels](t, e, http.StatusOK, "GET", "/api/v1/problems", tok, nil).Parcels
	assert.Equal(t, []string{p1.Waybill}, apiWaybills(got))

	// Not handed out, and shown apart in the search.
	eb := e.refuse(t, http.StatusConflict, "parcel_problem", "POST", "/api/v1/pickup", tok, station.PickupInput{Waybills: []string{p1.Waybill}})
	assert.Equal(t, "damaged", eb.Error.Args["reason"])
	s := apiOK[station.Search](t, e, http.StatusOK, "GET", "/api/v1/pickup?q="+apiPhone, tok, nil)
	assert.Equal(t, []string{p1.Waybill}, apiWaybills(s.Problems))
	r0 := apiReceiver(s, apiPhoneMasked)
	require.NotNil(t, r0)
	assert.Equal(t, []string{p2.Waybill}, apiWaybills(r0.Parcels))

	// Another reason on the same parcel: "other" needs its text.
	e.refuse(t, http.StatusUnprocessableEntity, "reason_text_required", "POST", "/api/v1/problems", tok, mark{p1.Waybill, "other", "  "})
	apiOK[station.Parcel](t, e, http.StatusOK, "POST", "/api/v1/problems", tok, mark{p1.Waybill, "other", "收件人改地址"})
	tl := e.timeline(t, tok, p1.Waybill)
	require.Len(t, tl, 1)
	assert.Equal(t, []string{"inbound", "problem", "problem"}, apiEventKinds(tl[0].Events))
	assert.Equal(t, "damaged: 外箱破损", tl[0].Events[1].Detail)
	assert.Equal(t, "other: 收件人改地址", tl[0].Events[2].Detail)

	e.refuse(t, http.StatusUnprocessableEntity, "reason_invalid", "POST", "/api/v1/problems", tok, mark{p2.Waybill, "bored", ""})
	e.refuse(t, http.StatusNotFound, "parcel_not_found", "POST", "/api/v1/problems", tok, mark{apiSF(9), "lost", ""})
	e.refuse(t, http.StatusUnprocessableEntity, "waybill_invalid", "POST", "/api/v1/problems", tok, mark{"?", "lost", ""})
	e.pickup(t, tok, p2.Waybill)
	e.refuse(t, http.StatusConflict, "parcel_picked_up", "POST", "/api/v1/problems", tok, mark{p2.Waybill, "lost", ""})
}

func TestAPIOverdueAndReturns(t *testing.T) {
	e := apiNewEnv(t)
	tok := e.setupOwner(t)
	e.setShelves(t, tok, syncproto.Shelf{No: 1, Layers: 1, Capacity: 5})
	var wbs []string
	for i := range 3 {
		wbs = append(wbs, e.inbound(t, tok, station.InboundInput{Waybill: apiSF(i + 1), ReceiverPhone: apiPhone, ReceiverName: "张三"}).Waybill)
	}
	type overdue struct {
		Parcels []station.OverdueParcel `json:"parcels"`
	}
	r := e.do(t, "GET", "/api/v1/overdue", tok, nil)
	require.Equal(t, http.StatusOK, r.Status)
	assert.JSONEq(t, `{"parcels": []}`, string(r.Body))

	// Eight days on: the session has long expired, the parcels are overdue
	// and past the default return date.
	e.clock.Advance(8 * 24 * time.Hour)
	e.refuse(t, http.StatusUnauthorized, "unauthorized", "GET", "/api/v1/overdue", tok, nil)
	tok = e.login(t, apiOwner, apiOwnerPIN)
	od := apiOK[overdue](t, e, http.StatusOK, "GET", "/api/v1/overdue", tok, nil).Parcels
	require.Len(t, od, 3)
	for _, o := range od {
		assert.Equal(t, 8, o.Days)
		assert.True(t, o.ReturnNow)
		assert.True(t, o.ReminderDue.Equal(apiT0.Add(3*24*time.Hour)))
		assert.Equal(t, apiPhoneMasked, o.Phone)
	}
	// A longer return period, set by the owner, moves the return date.
	apiOK[station.Settings](t, e, http.StatusOK, "PUT", "/api/v1/settings", tok, station.Settings{OverdueDays: 3, ReturnDays: 10})
	od = apiOK[overdue](t, e, http.StatusOK, "GET", "/api/v1/overdue", tok, nil).Parcels
	require.Len(t, od, 3)
	assert.False(t, od[0].ReturnNow)
	assert.True(t, od[0].ReturnDue.Equal(apiT0.Add(10*24*time.Hour)))

	type returns struct {
		Waybills []string `json:"waybills"`
		Reason   string   `json:"reason,omitempty"`
	}
	ps := apiOK[apiParcels](t, e, http.StatusOK, "POST", "/api/v1/returns", tok, returns{Waybills: wbs[:2]}).Parcels
	require.Len(t, ps, 2)
	for _, p := range ps {
		assert.Equal(t, station.StatusReturning, p.Status)
		assert.Zero(t, p.Shelf)
	}
	od = apiOK[overdue](t, e, http.StatusOK, "GET", "/api/v1/overdue", tok, nil).Parcels
	require.Len(t, od, 1)
	assert.Equal(t, wbs[2], od[0].Waybill)

	eb := e.refuse(t, http.StatusConflict, "parcel_returning", "POST", "/api/v1/pickup", tok, station.PickupInput{Waybills: wbs[:1]})
	assert.Equal(t, "该包裹已于 03-18 09:00 标记退回，不在货架上。", eb.Error.Message)
	e.refuse(t, http.StatusConflict, "parcel_returning", "POST", "/api/v1/returns", tok, returns{Waybills: wbs[:1]})
	e.refuse(t, http.StatusConflict, "parcel_returning", "POST", "/api/v1/inbound", tok, station.InboundInput{Waybill: wbs[0]})
	e.refuse(t, http.StatusUnprocessableEntity, "reason_invalid", "POST", "/api/v1/returns", tok, returns{Waybills: wbs[2:], Reason: "bored"})
	e.refuse(t, http.StatusBadRequest, "bad_request", "POST", "/api/v1/returns", tok, returns{})
	e.refuse(t, http.StatusNotFound, "parcel_not_found", "POST", "/api/v1/returns", tok, returns{Waybills: []string{apiSF(99)}})

	apiOK[apiParcels](t, e, http.StatusOK, "POST", "/api/v1/returns", tok, returns{Waybills: wbs[2:], Reason: "refused"})
	sh := apiOK[struct{ Slots []station.SlotUse }](t, e, http.StatusOK, "GET", "/api/v1/shelves", tok, nil).Slots
	require.Len(t, sh, 1)
	assert.Zero(t, sh[0].Used, "returned parcels free their slots")
	tl := e.timeline(t, tok, wbs[2])
	assert.Equal(t, []string{"inbound", "returning"}, apiEventKinds(tl[0].Events))
	assert.Equal(t, "refused", tl[0].Events[1].Detail)
}

func TestAPIStocktake(t *testing.T) {
	e := apiNewEnv(t)
	tok := e.setupOwner(t)
	e.setShelves(t, tok, syncproto.Shelf{No: 1, Layers: 2, Capacity: 5}, syncproto.Shelf{No: 2, Layers: 1, Capacity: 5})
	var ps []station.Parcel
	for i := range 3 {
		ps = append(ps, e.inbound(t, tok, station.InboundInput{Waybill: apiSF(i + 1), ReceiverPhone: apiPhone}))
		require.Equal(t, 1, ps[i].Shelf)
		require.Equal(t, 1, ps[i].Layer)
	}
	type scan = station.StocktakeScan
	type count struct {
		Shelf int    `json:"shelf"`
		Scans []scan `json:"scans"`
	}
	rep := apiOK[station.StocktakeReport](t, e, http.StatusOK, "POST", "/api/v1/stocktake", tok, count{1, []scan{
		{Waybill: ps[0].Waybill, Layer: 1},
		{Waybill: strings.ToLower(ps[1].Waybill), Layer: 2},
		{Waybill: apiSF(99)},
		{Waybill: "bad!"},
	}})
	assert.Equal(t, 1, rep.Shelf)
	assert.Equal(t, 3, rep.Expected)
	assert.Equal(t, 3, rep.Scanned)
	assert.Equal(t, []string{ps[2].Waybill}, apiWaybills(rep.Missing))
	assert.Equal(t, []string{apiSF(99)}, rep.Unexpected)
	assert.Equal(t, []string{"bad!"}, rep.Invalid)
	require.Len(t, rep.Misplaced, 1)
	assert.Equal(t, ps[1].Waybill, rep.Misplaced[0].Waybill)
	assert.Equal(t, 2, rep.Misplaced[0].Layer, "moved to where it was found")

	tl := e.timeline(t, tok, ps[1].Waybill)
	assert.Equal(t, []string{"inbound", "relocated"}, apiEventKinds(tl[0].Events))
	assert.Equal(t, "1-1 -> 1-2", tl[0].Events[1].Detail)

	// An empty shelf counted empty: nothing to report, nothing moved.
	rep = apiOK[station.StocktakeReport](t, e, http.StatusOK, "POST", "/api/v1/stocktake", tok, count{2, nil})
	assert.Zero(t, rep.Expected)
	r := e.do(t, "POST", "/api/v1/stocktake", tok, count{Shelf: 2})
	assert.Contains(t, string(r.Body), `"missing":[]`, "lists are empty, not null")

	eb := e.refuse(t, http.StatusUnprocessableEntity, "shelf_unknown", "POST", "/api/v1/stocktake", tok, count{9, nil})
	assert.Equal(t, "没有 9 号货架，请核对货架号。", eb.Error.Message)
	e.refuse(t, http.StatusUnprocessableEntity, "shelf_unknown", "POST", "/api/v1/stocktake", tok, count{1, []scan{{Waybill: ps[0].Waybill, Layer: 3}}})
}

func TestAPIDayClose(t *testing.T) {
	e := apiNewEnv(t)
	owner := e.setupOwner(t)
	clerk := e.addClerk(t, owner)
	e.setShelves(t, owner, syncproto.Shelf{No: 1, Layers: 1, Capacity: 5})
	p1 := e.inbound(t, clerk, station.InboundInput{Waybill: apiZTO(1), ReceiverPhone: apiPhone})
	e.inbound(t, clerk, station.InboundInput{Waybill: apiSF(2), ReceiverPhone: apiPhone})
	e.pickup(t, clerk, p1.Waybill)
	// The report counts what happened before now; the test clock stands
	// still unless moved.
	e.clock.Advance(time.Minute)

	rep := apiOK[station.DayReport](t, e, http.StatusOK, "GET", "/api/v1/dayclose", clerk, nil)
	assert.Equal(t, "2025-03-10", rep.Date)
	assert.False(t, rep.Closed)
	assert.Equal(t, syncproto.DayCounts{In: 2, Out: 1, OnShelf: 1}, rep.Total)
	assert.Equal(t, syncproto.DayCounts{In: 1, Out: 1}, rep.ByCarrier["zto"])
	assert.Equal(t, "computed", rep.OpeningSource)
	assert.Zero(t, rep.OpeningOnShelf)
	assert.Equal(t, 1, rep.ExpectedOnShelf)
	assert.Zero(t, rep.Mismatch)

	// A clerk closes the day, once.
	closed := apiOK[station.DayReport](t, e, http.StatusOK, "POST", "/api/v1/dayclose", clerk, map[string]string{})
	assert.True(t, closed.Closed)
	assert.Equal(t, apiClerk, closed.ClosedBy)
	require.NotNil(t, closed.ClosedAt)
	assert.Equal(t, rep.Total, closed.Total)
	again := apiOK[station.DayReport](t, e, http.StatusOK, "GET", "/api/v1/dayclose?date=2025-03-10", owner, nil)
	assert.True(t, again.Closed)
	assert.Equal(t, apiClerk, again.ClosedBy)

	eb := e.refuse(t, http.StatusConflict, "day_already_closed", "POST", "/api/v1/dayclose", owner, map[string]string{"date": "2025-03-10"})
	assert.Equal(t, "2025-03-10 已经日结过了。", eb.Error.Message)
	e.refuse(t, http.StatusConflict, "day_already_closed", "POST", "/api/v1/dayclose", owner, `{}`)

	// An earlier day can still be closed; a later one or a bad date cannot.
	prev := apiOK[station.DayReport](t, e, http.StatusOK, "POST", "/api/v1/dayclose", owner, map[string]string{"date": "2025-03-09"})
	assert.True(t, prev.Closed)
	assert.Zero(t, prev.Total)
	for _, date := range []string{"2025-03-11", "2025-02-30", "10/03/2025"} {
		e.refuse(t, http.StatusUnprocessableEntity, "date_invalid", "GET", "/api/v1/dayclose?date="+url.QueryEscape(date), owner, nil)
		e.refuse(t, http.StatusUnprocessableEntity, "date_invalid", "POST", "/api/v1/dayclose", owner, map[string]string{"date": date})
	}
}

func TestAPIShelvesAndSettings(t *testing.T) {
	e := apiNewEnv(t)
	tok := e.setupOwner(t)
	type slots struct {
		Slots []station.SlotUse `json:"slots"`
	}
	r := e.do(t, "GET", "/api/v1/shelves", tok, nil)
	require.Equal(t, http.StatusOK, r.Status)
	assert.JSONEq(t, `{"slots": []}`, string(r.Body))

	put := apiOK[slots](t, e, http.StatusOK, "PUT", "/api/v1/shelves", tok, syncproto.ShelvesSet{Shelves: []syncproto.Shelf{
		{No: 2, Layers: 1, Capacity: 3}, {No: 1, Layers: 2, Capacity: 5},
	}})
	want := []station.SlotUse{{Shelf: 1, Layer: 1, Capacity: 5}, {Shelf: 1, Layer: 2, Capacity: 5}, {Shelf: 2, Layer: 1, Capacity: 3}}
	assert.Equal(t, want, put.Slots)
	assert.Equal(t, want, apiOK[slots](t, e, http.StatusOK, "GET", "/api/v1/shelves", tok, nil).Slots)

	e.inbound(t, tok, station.InboundInput{Waybill: apiSF(1), ReceiverPhone: apiPhone})
	eb := e.refuse(t, http.StatusConflict, "shelf_in_use", "PUT", "/api/v1/shelves", tok, syncproto.ShelvesSet{Shelves: []syncproto.Shelf{{No: 2, Layers: 1, Capacity: 3}}})
	assert.Equal(t, "1 号货架第 1 层还有包裹，不能删除或缩小。", eb.Error.Message)
	for _, bad := range [][]syncproto.Shelf{
		{{No: 0, Layers: 1, Capacity: 1}},
		{{No: 1, Layers: 10, Capacity: 1}},
		{{No: 1, Layers: 1, Capacity: 501}},
		{{No: 1, Layers: 1, Capacity: 5}, {No: 1, Layers: 2, Capacity: 5}},
	} {
		e.refuse(t, http.StatusUnprocessableEntity, "shelves_invalid", "PUT", "/api/v1/shelves", tok, syncproto.ShelvesSet{Shelves: bad})
	}
	want[0].Used = 1
	assert.Equal(t, want, apiOK[slots](t, e, http.StatusOK, "GET", "/api/v1/shelves", tok, nil).Slots, "refusals changed nothing")

	// Shrinking to the load and dropping an empty shelf are fine.
	put = apiOK[slots](t, e, http.StatusOK, "PUT", "/api/v1/shelves", tok, syncproto.ShelvesSet{Shelves: []syncproto.Shelf{{No: 1, Layers: 1, Capacity: 1}}})
	assert.Equal(t, []station.SlotUse{{Shelf: 1, Layer: 1, Capacity: 1, Used: 1}}, put.Slots)

	assert.Equal(t, station.DefaultSettings, apiOK[station.Settings](t, e, http.StatusOK, "GET", "/api/v1/settings", tok, nil))
	set := station.Settings{OverdueDays: 2, ReturnDays: 5, IDValueYuan: 1000}
	assert.Equal(t, set, apiOK[station.Settings](t, e, http.StatusOK, "PUT", "/api/v1/settings", tok, set))
	assert.Equal(t, set, apiOK[station.Settings](t, e, http.StatusOK, "GET", "/api/v1/settings", tok, nil))
	for _, bad := range []station.Settings{{OverdueDays: 0, ReturnDays: 5}, {OverdueDays: 5, ReturnDays: 4}, {OverdueDays: 5, ReturnDays: 91},
		{OverdueDays: 2, ReturnDays: 5, IDHighValue: true}} {
		e.refuse(t, http.StatusUnprocessableEntity, "settings_invalid", "PUT", "/api/v1/settings", tok, bad)
	}
	assert.Equal(t, set, apiOK[station.Settings](t, e, http.StatusOK, "GET", "/api/v1/settings", tok, nil))

	// A body that names some settings changes those only.
	set.IDForProxy, set.IDHighValue, set.IDValueYuan = true, true, 800
	assert.Equal(t, set, apiOK[station.Settings](t, e, http.StatusOK, "PUT", "/api/v1/settings", tok,
		map[string]any{"id_for_proxy": true, "id_high_value": true, "id_value_yuan": 800}))
	set.OverdueDays = 4
	assert.Equal(t, set, apiOK[station.Settings](t, e, http.StatusOK, "PUT", "/api/v1/settings", tok, map[string]any{"overdue_days": 4}))
}

func TestAPIOperators(t *testing.T) {
	e := apiNewEnv(t)
	owner := e.setupOwner(t)
	type list struct {
		Operators []station.Operator `json:"operators"`
	}
	ops := apiOK[list](t, e, http.StatusOK, "GET", "/api/v1/operators", owner, nil).Operators
	require.Len(t, ops, 1)
	assert.Equal(t, station.RoleOwner, ops[0].Role)

	li := e.addOperator(t, owner, apiClerk, apiClerkPIN, station.RoleClerk)
	assert.Equal(t, station.Operator{ID: li.ID, Username: apiClerk, DisplayName: apiClerk, Role: station.RoleClerk, SecretKind: "pin"}, li)
	wang := apiOK[station.Operator](t, e, http.StatusCreated, "POST", "/api/v1/operators", owner,
		station.OperatorInput{Username: "wang", DisplayName: "王会计", Role: station.RoleOwner, SecretKind: "password", Secret: "Cunyou-2025"})
	assert.Equal(t, "password", wang.SecretKind)
	ops = apiOK[list](t, e, http.StatusOK, "GET", "/api/v1/operators", owner, nil).Operators
	var names []string
	for _, o := range ops {
		names = append(names, o.Username)
	}
	assert.Equal(t, []string{apiOwner, apiClerk, "wang"}, names)
	for _, x := range e.exchanges {
		assert.NotContains(t, x.body, "argon2", "%s %s", x.method, x.target)
		assert.NotContains(t, x.body, apiClerkPIN)
	}

	clerk := e.login(t, apiClerk, apiClerkPIN)
	name := "小李"
	o := apiOK[station.Operator](t, e, http.StatusOK, "PATCH", "/api/v1/operators/"+apiClerk, owner, station.OperatorChange{DisplayName: &name})
	assert.Equal(t, "小李", o.DisplayName)
	assert.Equal(t, "小李", apiOK[station.Operator](t, e, http.StatusOK, "GET", "/api/v1/me", clerk, nil).DisplayName)

	// Disabling ends the clerk's sessions and refuses logins.
	yes, no := true, false
	o = apiOK[station.Operator](t, e, http.StatusOK, "PATCH", "/api/v1/operators/"+apiClerk, owner, station.OperatorChange{Disabled: &yes})
	assert.True(t, o.Disabled)
	e.refuse(t, http.StatusUnauthorized, "unauthorized", "GET", "/api/v1/me", clerk, nil)
	e.refuse(t, http.StatusForbidden, "account_disabled", "POST", "/api/v1/login", "", map[string]string{"username": apiClerk, "secret": apiClerkPIN})
	apiOK[station.Operator](t, e, http.StatusOK, "PATCH", "/api/v1/operators/"+apiClerk, owner, station.OperatorChange{Disabled: &no})

	// A new PIN ends the sessions opened with the old one.
	clerk = e.login(t, apiClerk, apiClerkPIN)
	kind, pin := "pin", "975310"
	apiOK[station.Operator](t, e, http.StatusOK, "PATCH", "/api/v1/operators/"+apiClerk, owner, station.OperatorChange{SecretKind: &kind, Secret: &pin})
	e.refuse(t, http.StatusUnauthorized, "unauthorized", "GET", "/api/v1/me", clerk, nil)
	e.login(t, apiClerk, pin)

	// The station keeps an enabled owner.
	clerkRole := station.RoleClerk
	apiOK[station.Operator](t, e, http.StatusOK, "PATCH", "/api/v1/operators/wang", owner, station.OperatorChange{Disabled: &yes})
	e.refuse(t, http.StatusConflict, "last_owner", "PATCH", "/api/v1/operators/"+apiOwner, owner, station.OperatorChange{Role: &clerkRole})
	e.refuse(t, http.StatusConflict, "last_owner", "PATCH", "/api/v1/operators/"+apiOwner, owner, station.OperatorChange{Disabled: &yes})

	add := func(mod func(*station.OperatorInput)) station.OperatorInput {
		in := station.OperatorInput{Username: "zhao", Role: station.RoleClerk, SecretKind: "pin", Secret: "246802"}
		mod(&in)
		return in
	}
	refusals := []struct {
		name   string
		method string
		target string
		body   any
		status int
		code   string
	}{
		{"name taken", "POST", "/api/v1/operators", add(func(in *station.OperatorInput) { in.Username = "LI" }), http.StatusConflict, "username_taken"},
		{"bad name", "POST", "/api/v1/operators", add(func(in *station.OperatorInput) { in.Username = "zhao san" }), http.StatusUnprocessableEntity, "username_invalid"},
		{"bad role", "POST", "/api/v1/operators", add(func(in *station.OperatorInput) { in.Role = "admin" }), http.StatusUnprocessableEntity, "role_invalid"},
		{"short PIN", "POST", "/api/v1/operators", add(func(in *station.OperatorInput) { in.Secret = "12345" }), http.StatusUnprocessableEntity, "pin_invalid"},
		{"weak password", "POST", "/api/v1/operators", add(func(in *station.OperatorInput) { in.SecretKind, in.Secret = "password", "password" }),
			http.StatusUnprocessableEntity, "password_weak"},
		{"bad secret kind", "POST", "/api/v1/operators", add(func(in *station.OperatorInput) { in.SecretKind = "face" }), http.StatusBadRequest, "bad_request"},
		{"unknown account", "PATCH", "/api/v1/operators/nobody", station.OperatorChange{Unlock: true}, http.StatusNotFound, "operator_not_found"},
		{"bad new role", "PATCH", "/api/v1/operators/" + apiClerk, map[string]string{"role": "admin"}, http.StatusUnprocessableEntity, "role_invalid"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			seq := e.lastSeq(t)
			e.refuse(t, tt.status, tt.code, tt.method, tt.target, owner, tt.body)
			assert.Equal(t, seq, e.lastSeq(t))
		})
	}
}

// The prepared station of TestAPIRefusals: one shelf layer of two slots,
// full; parcels in each state; a parcel sent; the day closed.
const (
	apiPickedUp  = "73000000000101"
	apiReturning = "73000000000102"
	apiProblem   = "73000000000103"
	apiOnShelf   = "73000000000104"
	apiUnknown   = "73000000000150"
	apiSent      = "73000000000199"
)

// apiRefusal is one request refused by the prepared station.
type apiRefusal struct {
	code           string
	as             string // owner, clerk, or "" for no session
	method, target string
	body           any
	status         int
}

// apiRefusals holds, for every code a request can cheaply provoke, one
// request that does. TestAPIErrorCodes requires every station code to be
// here or in apiCodesElsewhere.
var apiRefusals = []apiRefusal{
	{"bad_request", "clerk", "POST", "/api/v1/inbound", `{"waybill":`, http.StatusBadRequest},
	{"waybill_invalid", "clerk", "POST", "/api/v1/inbound", station.InboundInput{Waybill: "ab"}, http.StatusUnprocessableEntity},
	{"carrier_unknown", "clerk", "POST", "/api/v1/inbound", station.InboundInput{Waybill: "ZZ12345678", ReceiverPhone: apiPhone}, http.StatusUnprocessableEntity},
	{"carrier_mismatch", "clerk", "POST", "/api/v1/send", apiSendInput(func(in *station.SendInput) { in.Waybill = "SF0000000000001" }), http.StatusUnprocessableEntity},
	{"receiver_required", "clerk", "POST", "/api/v1/inbound", station.InboundInput{Waybill: apiUnknown}, http.StatusUnprocessableEntity},
	{"phone_invalid", "clerk", "POST", "/api/v1/inbound", station.InboundInput{Waybill: apiUnknown, ReceiverPhone: "12345"}, http.StatusUnprocessableEntity},
	{"shelves_full", "clerk", "POST", "/api/v1/inbound", station.InboundInput{Waybill: apiUnknown, ReceiverPhone: apiPhone}, http.StatusConflict},
	{"shelf_unknown", "clerk", "POST", "/api/v1/stocktake", map[string]int{"shelf": 9}, http.StatusUnprocessableEntity},
	{"shelf_in_use", "owner", "PUT", "/api/v1/shelves", syncproto.ShelvesSet{Shelves: []syncproto.Shelf{{No: 2, Layers: 1, Capacity: 5}}}, http.StatusConflict},
	{"shelves_invalid", "owner", "PUT", "/api/v1/shelves", syncproto.ShelvesSet{Shelves: []syncproto.Shelf{{No: 0, Layers: 1, Capacity: 5}}}, http.StatusUnprocessableEntity},
	{"parcel_not_found", "clerk", "GET", "/api/v1/parcels/" + apiUnknown, nil, http.StatusNotFound},
	{"parcel_picked_up", "clerk", "POST", "/api/v1/pickup", station.PickupInput{Waybills: []string{apiPickedUp}}, http.StatusConflict},
	{"parcel_returning", "clerk", "POST", "/api/v1/pickup", station.PickupInput{Waybills: []string{apiReturning}}, http.StatusConflict},
	{"parcel_problem", "clerk", "POST", "/api/v1/pickup", station.PickupInput{Waybills: []string{apiProblem}}, http.StatusConflict},
	{"query_invalid", "clerk", "GET", "/api/v1/pickup?q=%3F%3F", nil, http.StatusUnprocessableEntity},
	{"collector_required", "clerk", "POST", "/api/v1/pickup",
		station.PickupInput{Waybills: []string{apiOnShelf}, Collector: station.CollectorInput{Kind: "proxy"}}, http.StatusUnprocessableEntity},
	{"id_invalid", "clerk", "POST", "/api/v1/pickup",
		station.PickupInput{Waybills: []string{apiOnShelf}, Collector: station.CollectorInput{IDNumber: "110105194912310021"}}, http.StatusUnprocessableEntity},
	{"sender_id_required", "clerk", "POST", "/api/v1/send", apiSendInput(func(in *station.SendInput) { in.Sender.IDNumber = "" }), http.StatusUnprocessableEntity},
	{"name_required", "clerk", "POST", "/api/v1/send", apiSendInput(func(in *station.SendInput) { in.Receiver.Name = "" }), http.StatusUnprocessableEntity},
	{"weight_invalid", "clerk", "GET", "/api/v1/quote?carrier=zto&province=x&weight_g=0", nil, http.StatusUnprocessableEntity},
	{"no_tariff", "clerk", "GET", "/api/v1/quote?carrier=sf&province=x&weight_g=100", nil, http.StatusUnprocessableEntity},
	{"no_waybill_range", "clerk", "POST", "/api/v1/send", apiSendInput(nil), http.StatusConflict},
	{"waybill_exists", "clerk", "POST", "/api/v1/send", apiSendInput(func(in *station.SendInput) { in.Waybill = apiSent }), http.StatusConflict},
	{"reason_invalid", "clerk", "POST", "/api/v1/problems", map[string]string{"waybill": apiOnShelf, "reason": "bored"}, http.StatusUnprocessableEntity},
	{"reason_text_required", "clerk", "POST", "/api/v1/problems", map[string]string{"waybill": apiOnShelf, "reason": "other"}, http.StatusUnprocessableEntity},
	{"date_invalid", "clerk", "GET", "/api/v1/dayclose?date=2025-13-01", nil, http.StatusUnprocessableEntity},
	{"day_already_closed", "clerk", "POST", "/api/v1/dayclose", `{}`, http.StatusConflict},
	{"settings_invalid", "owner", "PUT", "/api/v1/settings", station.Settings{}, http.StatusUnprocessableEntity},
	{"login_failed", "", "POST", "/api/v1/login", map[string]string{"username": "nobody", "secret": "000000"}, http.StatusUnauthorized},
	{"account_disabled", "", "POST", "/api/v1/login", map[string]string{"username": "gone", "secret": "246802"}, http.StatusForbidden},
	{"unauthorized", "", "GET", "/api/v1/me", nil, http.StatusUnauthorized},
	{"forbidden", "clerk", "PUT", "/api/v1/settings", station.DefaultSettings, http.StatusForbidden},
	{"password_weak", "owner", "POST", "/api/v1/operators",
		station.OperatorInput{Username: "zhao", Role: station.RoleClerk, SecretKind: "password", Secret: "abcdefgh"}, http.StatusUnprocessableEntity},
	{"pin_invalid", "owner", "POST", "/api/v1/operators",
		station.OperatorInput{Username: "zhao", Role: station.RoleClerk, SecretKind: "pin", Secret: "12345a"}, http.StatusUnprocessableEntity},
	{"username_invalid", "owner", "POST", "/api/v1/operators",
		station.OperatorInput{Username: "赵", Role: station.RoleClerk, SecretKind: "pin", Secret: "246802"}, http.StatusUnprocessableEntity},
	{"username_taken", "owner", "POST", "/api/v1/operators",
		station.OperatorInput{Username: apiClerk, Role: station.RoleClerk, SecretKind: "pin", Secret: "246802"}, http.StatusConflict},
	{"role_invalid", "owner", "POST", "/api/v1/operators",
		station.OperatorInput{Username: "zhao", Role: "admin", SecretKind: "pin", Secret: "246802"}, http.StatusUnprocessableEntity},
	{"operator_not_found", "owner", "PATCH", "/api/v1/operators/nobody", map[string]bool{"unlock": true}, http.StatusNotFound},
	{"last_owner", "owner", "PATCH", "/api/v1/operators/" + apiOwner, map[string]string{"role": "clerk"}, http.StatusConflict},
}

// apiCodesElsewhere are the station codes apiRefusals does not provoke,
// and why.
var apiCodesElsewhere = map[string]string{
	"no_shelves":          "TestAPIInbound: only before the shelves are set",
	"account_locked":      "TestAPILogin: five wrong secrets",
	"parcel_not_on_shelf": "no request reaches it: parcels off the shelves are refused as picked up or returning",
	"disk_full":           "storage fault",
	"db_locked":           "storage fault",
	"db_readonly":         "storage fault",
	"db_failure":          "storage fault",
	"internal":            "unexpected fault",
}

func TestAPIRefusals(t *testing.T) {
	e := apiNewEnv(t)
	tokens := map[string]string{"owner": e.setupOwner(t)}
	owner := tokens["owner"]
	tokens["clerk"] = e.addClerk(t, owner)
	e.addOperator(t, owner, "gone", "246802", station.RoleClerk)
	yes := true
	apiOK[station.Operator](t, e, http.StatusOK, "PATCH", "/api/v1/operators/gone", owner, station.OperatorChange{Disabled: &yes})
	e.setShelves(t, owner, syncproto.Shelf{No: 1, Layers: 1, Capacity: 2})
	require.NoError(t, e.st.ApplyTariffs(e.ctx, []station.Tariff{
		{Carrier: "zto", Province: "*", FirstGrams: 1000, FirstFen: 1000, StepGrams: 1000, StepFen: 500},
	}))
	clerk := tokens["clerk"]
	for i, wb := range []string{apiPickedUp, apiReturning} {
		e.inbound(t, clerk, station.InboundInput{Waybill: wb, ReceiverPhone: fmt.Sprintf("1380000000%d", i), ReceiverName: "赵一"})
	}
	e.pickup(t, clerk, apiPickedUp)
	apiOK[apiParcels](t, e, http.StatusOK, "POST", "/api/v1/returns", clerk, map[string]any{"waybills": []string{apiReturning}})
	e.inbound(t, clerk, station.InboundInput{Waybill: apiProblem, ReceiverPhone: apiPhone})
	e.inbound(t, clerk, station.InboundInput{Waybill: apiOnShelf, ReceiverPhone: apiPhone})
	apiOK[station.Parcel](t, e, http.StatusOK, "POST", "/api/v1/problems", clerk, map[string]string{"waybill": apiProblem, "reason": "lost"})
	apiOK[station.Parcel](t, e, http.StatusCreated, "POST", "/api/v1/send", clerk, apiSendInput(func(in *station.SendInput) { in.Waybill = apiSent }))
	apiOK[station.DayReport](t, e, http.StatusOK, "POST", "/api/v1/dayclose", clerk, `{}`)

	for _, tt := range apiRefusals {
		for _, lang := range []string{"", "en"} {
			t.Run(tt.code+"/"+cmp.Or(lang, "zh"), func(t *testing.T) {
				seq := e.lastSeq(t)
				e.refuse(t, tt.status, tt.code, tt.method, tt.target, tokens[tt.as], tt.body, "Accept-Language", lang)
				assert.Equal(t, seq, e.lastSeq(t), "a refusal records nothing")
			})
		}
	}
}

// apiStationCodes returns the values of the station.Code constants as
// written in station/errors.go, so a code added there is checked here
// without anyone listing it.
func apiStationCodes(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join("..", "station", "errors.go"), nil, 0)
	require.NoError(t, err)
	var codes []string
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Code" {
				continue
			}
			for i, v := range vs.Values {
				lit, ok := v.(*ast.BasicLit)
				require.True(t, ok && lit.Kind == token.STRING, "%s is not a string literal", vs.Names[i])
				code, err := strconv.Unquote(lit.Value)
				require.NoError(t, err)
				codes = append(codes, code)
			}
		}
	}
	return codes
}

var apiPlaceholderRe = regexp.MustCompile(`\{\w+\}`)

func TestAPIErrorCodes(t *testing.T) {
	codes := apiStationCodes(t)
	require.Greater(t, len(codes), 40, "parsed %v", codes)
	require.Contains(t, codes, "internal")
	seen := map[string]bool{}
	for _, c := range codes {
		assert.False(t, seen[c], "code %s twice", c)
		seen[c] = true
	}

	// Every code, and the kiosk's own not_found, has a sentence in both
	// tables, with the same placeholders.
	internal := map[messages.Lang]string{messages.ZH: messages.Text(messages.ZH, "internal", nil), messages.EN: messages.Text(messages.EN, "internal", nil)}
	for _, code := range append(codes, "not_found") {
		t.Run(code, func(t *testing.T) {
			require.True(t, messages.Has(code), "no sentence for %s in some table", code)
			zh, en := messages.Text(messages.ZH, code, nil), messages.Text(messages.EN, code, nil)
			if code != "internal" {
				assert.NotEqual(t, internal[messages.ZH], zh)
				assert.NotEqual(t, internal[messages.EN], en)
			}
			assert.NotEqual(t, zh, en, "the English table has its own sentence")
			pzh, pen := apiPlaceholderRe.FindAllString(zh, -1), apiPlaceholderRe.FindAllString(en, -1)
			slices.Sort(pzh)
			slices.Sort(pen)
			assert.Equal(t, pzh, pen, "placeholders of %s", code)
		})
	}

	// Every code is provoked by a request in apiRefusals or accounted for
	// in apiCodesElsewhere; each provoked code has one status, an error one.
	statusOf := map[string]int{}
	for _, r := range apiRefusals {
		assert.True(t, seen[r.code], "apiRefusals: %s is not a station code", r.code)
		assert.GreaterOrEqual(t, r.status, 400, r.code)
		if s, ok := statusOf[r.code]; ok {
			assert.Equal(t, s, r.status, "code %s with two statuses", r.code)
		}
		statusOf[r.code] = r.status
	}
	for code, why := range apiCodesElsewhere {
		assert.True(t, seen[code], "apiCodesElsewhere: %s is not a station code", code)
		assert.NotContains(t, statusOf, code, "apiCodesElsewhere: %s is provoked in apiRefusals (%s)", code, why)
	}
	for _, code := range codes {
		_, provoked := statusOf[code]
		_, elsewhere := apiCodesElsewhere[code]
		assert.True(t, provoked || elsewhere, "new code %s: add a request provoking it to apiRefusals", code)
	}
}

func TestAPIBadInput(t *testing.T) {
	e := apiNewEnv(t)
	tok := e.setupOwner(t)
	e.setShelves(t, tok, syncproto.Shelf{No: 1, Layers: 1, Capacity: 5})
	oversized := `{"waybill":"` + strings.Repeat("A", 1<<20) + `"}`
	tests := []struct {
		name, method, target, body string
	}{
		{"malformed", "POST", "/api/v1/inbound", `{"waybill":`},
		{"not an object", "POST", "/api/v1/inbound", `["SF0000000000001"]`},
		{"unknown field", "POST", "/api/v1/inbound", `{"waybill":"SF0000000000001","receiver_phone":"13812345678","shelf":1}`},
		{"wrong type", "POST", "/api/v1/inbound", `{"waybill":73000000000001}`},
		{"oversized", "POST", "/api/v1/inbound", oversized},
		{"oversized batch", "POST", "/api/v1/inbound/batch", `{"items":[` + oversized + `]}`},
		{"unknown nested field", "POST", "/api/v1/pickup", `{"waybills":["SF0000000000001"],"collector":{"kind":"receiver","age":3}}`},
		{"string for number", "PUT", "/api/v1/settings", `{"overdue_days":"3","return_days":7}`},
		{"unknown settings field", "PUT", "/api/v1/settings", `{"overdue_days":3,"return_days":7,"grace_days":1}`},
		{"login malformed", "POST", "/api/v1/login", `{"username":"boss"`},
		{"setup unknown field", "POST", "/api/v1/setup", `{"username":"x","secret_kind":"pin","secret":"123456","admin":true}`},
	}
	seq := e.lastSeq(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eb := e.refuse(t, http.StatusBadRequest, "bad_request", tt.method, tt.target, tok, tt.body)
			assert.Equal(t, "请求内容不完整或格式不对，请检查后重试。", eb.Error.Message)
			eb = e.refuse(t, http.StatusBadRequest, "bad_request", tt.method, tt.target, tok, tt.body, "Accept-Language", "en")
			assert.Equal(t, "The request is incomplete or malformed; check it and try again.", eb.Error.Message)
		})
	}
	assert.Equal(t, seq, e.lastSeq(t), "nothing was done")
	// The server still answers on after refusing a large body.
	apiOK[station.Operator](t, e, http.StatusOK, "GET", "/api/v1/me", tok, nil)

	routes := []struct{ method, target, token string }{
		{"GET", "/api/v1/nope", ""},
		{"GET", "/api/v1/nope", tok},
		{"POST", "/api/v1/inbound/nope", tok},
		{"GET", "/api/v1/parcels/SF0000000000001/events", tok},
		{"DELETE", "/api/v1/deeper/still/nope", tok},
	}
	for _, rt := range routes {
		t.Run("unknown route "+rt.method+" "+rt.target, func(t *testing.T) {
			eb := e.refuse(t, http.StatusNotFound, "not_found", rt.method, rt.target, rt.token, nil)
			assert.Equal(t, "没有这个功能地址。", eb.Error.Message)
			eb = e.refuse(t, http.StatusNotFound, "not_found", rt.method, rt.target, rt.token, nil, "Accept-Language", "en")
			assert.Equal(t, "No such address.", eb.Error.Message)
		})
	}
}

func TestAPIAcceptLanguage(t *testing.T) {
	e := apiNewEnv(t)
	want := map[messages.Lang]string{messages.ZH: "请先登录。", messages.EN: "Please log in."}
	tests := []struct {
		header string
		want   messages.Lang
	}{
		{"", messages.ZH},
		{"en", messages.EN},
		{"en-US,en;q=0.9", messages.EN},
		{"EN-gb", messages.EN},
		{"zh-CN,zh;q=0.9,en;q=0.8", messages.ZH},
		{"zh-TW", messages.ZH},
		{"fr-FR,fr;q=0.9", messages.ZH},
		{"fr, en;q=0.5", messages.EN},
	}
	for _, tt := range tests {
		t.Run(cmp.Or(tt.header, "none"), func(t *testing.T) {
			eb := e.refuse(t, http.StatusUnauthorized, "unauthorized", "GET", "/api/v1/me", "", nil, "Accept-Language", tt.header)
			assert.Equal(t, want[tt.want], eb.Error.Message)
		})
	}
}

func TestAPIConfigLoopback(t *testing.T) {
	c := config.Default()
	host, _, err := net.SplitHostPort(c.Listen)
	require.NoError(t, err)
	ip := net.ParseIP(host)
	require.NotNil(t, ip, "default listen %q", c.Listen)
	assert.True(t, ip.IsLoopback(), "default listen %q", c.Listen)
	assert.False(t, c.AllowRemote)
	c.DataDir = t.TempDir()
	require.NoError(t, c.Validate())

	tests := []struct {
		listen      string
		allowRemote bool
		wantErr     bool
	}{
		{"127.0.0.1:8700", false, false},
		{"localhost:8700", false, false},
		{"[::1]:8700", false, false},
		{"0.0.0.0:8700", false, true},
		{":8700", false, true},
		{"[::]:8700", false, true},
		{"192.168.1.20:8700", false, true},
		{"0.0.0.0:8700", true, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s remote=%v", tt.listen, tt.allowRemote), func(t *testing.T) {
			c := c
			c.Listen, c.AllowRemote = tt.listen, tt.allowRemote
			err := c.Validate()
			if !tt.wantErr {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), "allow_remote")
			assert.Contains(t, err.Error(), tt.listen)
		})
	}
}

// apiLeaks returns the personal numbers found in s: the full phone, the
// full ID number, or its middle (birth date and sequence).
func apiLeaks(s string) []string {
	var out []string
	for _, secret := range []string{apiPhone, apiIDNumber, apiIDNumber[6:17]} {
		if strings.Contains(s, secret) {
			out = append(out, secret)
		}
	}
	return out
}

// A day at the station with one villager's phone and ID number: the log
// never holds either in full, and operators see the phone masked.
func TestAPIPrivacy(t *testing.T) {
	e := apiNewEnv(t)
	owner := e.setupOwner(t)
	clerk := e.addClerk(t, owner)
	e.setShelves(t, owner, syncproto.Shelf{No: 1, Layers: 2, Capacity: 10})
	require.NoError(t, e.st.ApplyManifest(e.ctx, []station.ManifestEntry{
		{Waybill: apiSF(1), Carrier: "sf", ReceiverName: "张三", ReceiverPhone: apiPhone, Address: "前进村3组"},
	}))
	require.NoError(t, e.st.ApplyTariffs(e.ctx, []station.Tariff{{Carrier: "zto", Province: "*", FirstGrams: 1000, FirstFen: 1000, StepGrams: 1000, StepFen: 500}}))
	require.NoError(t, e.st.ApplyWaybillRange(e.ctx, station.WaybillRange{Carrier: "zto", Prefix: "78", Next: 1, Last: 99, Width: 12}))

	var shown []station.Parcel // every parcel the API showed

	type detect struct {
		Manifest *station.ManifestEntry `json:"manifest"`
	}
	d := apiOK[detect](t, e, http.StatusOK, "GET", "/api/v1/waybills/"+apiSF(1), clerk, nil)
	require.NotNil(t, d.Manifest)
	assert.Equal(t, apiPhoneMasked, d.Manifest.ReceiverPhone)

	res := apiOK[station.InboundResult](t, e, http.StatusCreated, "POST", "/api/v1/inbound", clerk, station.InboundInput{Waybill: apiSF(1)})
	assert.True(t, res.Prefilled)
	shown = append(shown, res.Parcel)
	shown = append(shown, e.inbound(t, clerk, station.InboundInput{Waybill: apiZTO(2), ReceiverPhone: "138-1234-5678", ReceiverName: "张三"}))
	type batch struct {
		Items []kiosk.BatchItemJSON `json:"items"`
	}
	b := apiOK[batch](t, e, http.StatusOK, "POST", "/api/v1/inbound/batch", clerk, map[string]any{"items": []station.InboundInput{
		{Waybill: apiYTO(3), ReceiverPhone: apiPhone, ReceiverName: "张三"},
		{Waybill: apiYTO(4), ReceiverPhone: apiPhone[:10]},
	}})
	require.Len(t, b.Items, 2)
	require.NotNil(t, b.Items[0].Result)
	shown = append(shown, b.Items[0].Result.Parcel)
	require.NotNil(t, b.Items[1].Error)
	assert.Equal(t, "phone_invalid", b.Items[1].Error.Code)

	// Bodies the server cannot read, full of personal numbers.
	for _, body := range []string{
		`{"waybill":"x","receiver_phone":"` + apiPhone + `","id_number":"` + apiIDNumber + `"}`,
		`{"waybill":` + apiPhone + `}`,
		`{"receiver_phone":` + apiPhone + `,}`,
	} {
		e.refuse(t, http.StatusBadRequest, "bad_request", "POST", "/api/v1/inbound", clerk, body)
	}

	for _, q := range []string{apiPhone, "5678", "+86 " + apiPhone} {
		s := apiOK[station.Search](t, e, http.StatusOK, "GET", "/api/v1/pickup?q="+url.QueryEscape(q), clerk, nil)
		r := apiReceiver(s, apiPhoneMasked)
		require.NotNil(t, r, "search %q", q)
		assert.Len(t, r.Parcels, 3)
		shown = append(shown, r.Parcels...)
	}

	// Refused and accepted pickups by a proxy with an ID number typed
	// (the card rule off).
	apiOK[station.Settings](t, e, http.StatusOK, "PUT", "/api/v1/settings", owner, map[string]bool{"id_for_proxy": false})
	e.refuse(t, http.StatusUnprocessableEntity, "id_invalid", "POST", "/api/v1/pickup", clerk, station.PickupInput{
		Waybills: []string{apiSF(1)}, Collector: station.CollectorInput{Kind: "proxy", Name: "王五", Phone: apiPhone, IDNumber: apiIDNumber[:17] + "1"}})
	ps := apiOK[apiParcels](t, e, http.StatusOK, "POST", "/api/v1/pickup", clerk, station.PickupInput{
		Waybills: []string{apiSF(1), apiZTO(2)}, Collector: station.CollectorInput{Kind: "proxy", Name: "王五", Phone: apiPhone, IDNumber: apiIDNumber}}).Parcels
	shown = append(shown, ps...)
	for _, p := range ps {
		assert.Equal(t, "王* "+apiPhoneMasked+" ID …002X", p.OutBy)
	}
	e.refuse(t, http.StatusConflict, "parcel_picked_up", "POST", "/api/v1/pickup", clerk, station.PickupInput{
		Waybills: []string{apiSF(1)}, Collector: station.CollectorInput{IDNumber: apiIDNumber}})
	for _, tl := range e.timeline(t, clerk, apiSF(1)) {
		shown = append(shown, tl.Parcel)
	}

	// Sending, with the villager as sender and as receiver.
	sendIn := apiSendInput(func(in *station.SendInput) { in.Receiver.Phone = apiPhone })
	shown = append(shown, apiOK[station.Parcel](t, e, http.StatusCreated, "POST", "/api/v1/send", clerk, sendIn))
	e.refuse(t, http.StatusUnprocessableEntity, "id_invalid", "POST", "/api/v1/send", clerk,
		apiSendInput(func(in *station.SendInput) { in.Sender.IDNumber = apiIDNumber[:17] + "1" }))

	apiOK[station.Parcel](t, e, http.StatusOK, "POST", "/api/v1/problems", clerk, map[string]string{"waybill": apiYTO(3), "reason": "other", "text": "电话 " + apiPhone[:3] + " 打不通"})
	shown = append(shown, apiOK[apiParcels](t, e, http.StatusOK, "GET", "/api/v1/problems", clerk, nil).Parcels...)
	e.clock.Advance(4 * 24 * time.Hour)
	clerk = e.login(t, apiClerk, apiClerkPIN)
	for _, o := range apiOK[struct{ Parcels []station.OverdueParcel }](t, e, http.StatusOK, "GET", "/api/v1/overdue", clerk, nil).Parcels {
		shown = append(shown, o.Parcel)
	}
	// A phone typed where a user name belongs.
	e.refuse(t, http.StatusUnauthorized, "login_failed", "POST", "/api/v1/login", "", map[string]string{"username": apiPhone, "secret": apiIDNumber})
	apiOK[station.DayReport](t, e, http.StatusOK, "GET", "/api/v1/dayclose", clerk, nil)

	require.Len(t, shown, 18)
	for _, p := range shown {
		assert.Equal(t, apiPhoneMasked, p.Phone, "parcel %s/%s", p.Waybill, p.Direction)
	}
	for _, x := range e.exchanges {
		leaks := apiLeaks(x.body)
		if x.method == "GET" && strings.HasPrefix(x.target, "/api/v1/pickup?q=") {
			var s station.Search
			require.NoError(t, json.Unmarshal([]byte(x.body), &s))
			s.Query = "" // the operator's own query, echoed
			b, err := json.Marshal(s)
			require.NoError(t, err)
			leaks = apiLeaks(string(b))
		}
		assert.Empty(t, leaks, "response to %s %s: %s", x.method, x.target, x.body)
	}

	e.srv.Close() // every request has finished logging
	logs := e.log.String()
	assert.Contains(t, logs, "route=/api/v1/inbound", "the scenario was logged")
	assert.Contains(t, logs, "code=id_invalid")
	assert.Contains(t, logs, "bad request body")
	assert.Empty(t, apiLeaks(logs), "log:\n%s", logs)
}

// A phone or ID number typed into the parcel lookup (GET
// /api/v1/parcels/{waybill}) is a well-formed waybill number the station
// does not have.
func TestAPIPrivacyLookupPath(t *testing.T) {
	e := apiNewEnv(t)
	tok := e.setupOwner(t)
	e.refuse(t, http.StatusNotFound, "parcel_not_found", "GET", "/api/v1/parcels/"+apiPhone, tok, nil)
	e.refuse(t, http.StatusNotFound, "parcel_not_found", "GET", "/api/v1/parcels/"+apiIDNumber, tok, nil)
	e.srv.Close()
	logs := e.log.String()
	if leaks := apiLeaks(logs); len(leaks) > 0 {
		t.Fatal("regression: kiosk.go writeErr logs route=r.URL.Path, so GET /api/v1/parcels/{waybill} refused as parcel_not_found writes the full phone or ID number typed as a waybill into the log:", leaks)
	}
	assert.Contains(t, logs, "route=/api/v1/parcels/{waybill}")
}

// A known route called with the wrong method is refused like every other
// error: a JSON body with a code and a sentence.
func TestAPIMethodNotAllowed(t *testing.T) {
	e := apiNewEnv(t)
	for _, rt := range []struct{ method, target string }{
		{"DELETE", "/api/v1/status"},
		{"PUT", "/api/v1/pickup"},
		{"GET", "/api/v1/login"},
	} {
		r := e.do(t, rt.method, rt.target, "", nil)
		require.Equal(t, http.StatusMethodNotAllowed, r.Status, "%s %s: %s", rt.method, rt.target, r)
		var eb kiosk.ErrorBody
		if json.Unmarshal(r.Body, &eb) != nil || eb.Error.Code == "" {
			t.Fatalf("regression: kiosk.go sets no MethodNotAllowed handler on /api/v1: %s %s answers 405 with body %q and Content-Type %q, not an error code and sentence",
				rt.method, rt.target, r.Body, r.Header.Get("Content-Type"))
		}
		assert.NotEmpty(t, eb.Error.Message)
	}
}
