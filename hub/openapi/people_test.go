package openapi_test

import (
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/hub/audit"
	"cunyou/hub/auth"
	"cunyou/hub/openapi"
	"cunyou/hub/store"
)

const userPassword = "Cunyou-2026"

// people adds a user of every role (the carrier viewer of zto) and signs
// each in: role → session token (as e.do takes it, "raw:…").
func (e *env) people() map[string]string {
	e.t.Helper()
	cli := auth.Actor{Name: "cli:test", Remote: "local"}
	out := map[string]string{}
	for _, role := range auth.Roles {
		carrier := ""
		if role == auth.Carrier {
			carrier = "zto"
		}
		_, err := e.auth.AddUser(e.ctx, cli, "u-"+role, role, carrier, userPassword)
		require.NoError(e.t, err)
		out[role] = "raw:" + e.login("u-"+role, userPassword, "").Token
	}
	return out
}

func (e *env) login(user, password, code string) openapi.Me {
	e.t.Helper()
	r := e.post("/api/v1/login", "", openapi.LoginRequest{Username: user, Password: password, TOTP: code})
	return decode[openapi.Me](e.t, r, http.StatusOK)
}

// auditRows returns the audit log, newest first.
func (e *env) auditRows() []store.AuditRow {
	e.t.Helper()
	rows, err := e.log.List(e.ctx, store.AuditQuery{Limit: 500})
	require.NoError(e.t, err)
	return rows
}

// Every route of the router names a permission, and each role is
// allowed (any answer but 401 and 403) or denied (403
// insufficient_scope) exactly as the roles' table says.
func TestEveryRouteHasAPermission(t *testing.T) {
	e := newEnv(t)
	e.announce(entry("73100000000001", "zto", "13912345678", addrMinzhu))
	tokens := e.people()
	routes, ok := e.srv.Handler().(chi.Routes)
	require.True(t, ok)
	type route struct{ method, pattern string }
	var all []route
	require.NoError(t, chi.Walk(routes, func(method, pattern string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		all = append(all, route{method, pattern})
		return nil
	}))
	params := strings.NewReplacer("{waybill}", "73100000000001", "{id}", "1", "{kind}", "arrival", "{phone}", "13912345678", "{username}", "nobody")
	checked := 0
	for _, rt := range all {
		if rt.pattern == "/api/v1/openapi.json" || rt.pattern == "/api/v1/login" {
			continue // no caller at all
		}
		perm, ok := openapi.RoutePermission(rt.method, rt.pattern)
		if !assert.True(t, ok, "%s %s names no permission", rt.method, rt.pattern) {
			continue
		}
		for _, role := range auth.Roles {
			as := tokens[role]
			if rt.pattern == "/api/v1/logout" {
				as = "raw:" + e.login("u-"+role, userPassword, "").Token
			}
			var body []byte
			if rt.method != http.MethodGet {
				body = []byte("{}")
			}
			r := e.do(rt.method, params.Replace(rt.pattern), as, body, map[string]string{openapi.IdempotencyHeader: fmt.Sprintf("perm-%s-%d", role, checked)})
			name := fmt.Sprintf("%s %s as %s (%s)", rt.method, rt.pattern, role, perm)
			if auth.Allows(role, perm) {
				assert.NotContains(t, []int{http.StatusUnauthorized, http.StatusForbidden}, r.status, "%s: %s", name, r.body)
			} else {
				problem(t, r, http.StatusForbidden, openapi.CodeInsufficientScope)
			}
			checked++
		}
	}
	assert.Equal(t, (len(all)-2)*len(auth.Roles), checked, "every route but the document and the sign-in")
	_, err := e.log.Verify(e.ctx)
	assert.NoError(t, err)
}

func TestSessions(t *testing.T) {
	e := newEnv(t)
	tokens := e.people()

	me := decode[openapi.Me](t, e.get("/api/v1/me", tokens[auth.Carrier]), http.StatusOK)
	assert.Equal(t, openapi.Me{User: "u-carrier_viewer", Role: auth.Carrier, Carrier: "zto", Expires: e.clk.now().Add(auth.DefaultIdle).UTC(),
		Permissions: []auth.Permission{auth.Self, auth.ParcelsRead, auth.WebhooksRead}}, me)
	admin := decode[openapi.Me](t, e.get("/api/v1/me", "admin"), http.StatusOK)
	assert.Equal(t, auth.Admin, admin.Role)
	problem(t, e.get("/api/v1/me", "zto-app"), http.StatusForbidden, openapi.CodeInsufficientScope)
	problem(t, e.get("/api/v1/me", "raw:cys_nonsense"), http.StatusUnauthorized, openapi.CodeUnauthorized)

	// Sign-in failures.
	problem(t, e.post("/api/v1/login", "", openapi.LoginRequest{Username: "u-admin", Password: "Wrong-2026"}), http.StatusUnauthorized, openapi.CodeBadCredentials)
	problem(t, e.post("/api/v1/login", "", openapi.LoginRequest{Username: "nobody", Password: userPassword}), http.StatusUnauthorized, openapi.CodeBadCredentials)
	problem(t, e.post("/api/v1/login", "", map[string]string{"username": "u-admin"}), http.StatusUnauthorized, openapi.CodeBadCredentials)
	problem(t, e.post("/api/v1/login", "", map[string]string{"user": "u-admin"}), http.StatusBadRequest, openapi.CodeBadRequest)

	// Sign-out ends the session, and only it.
	other := "raw:" + e.login("u-dispatcher", userPassword, "").Token
	r := e.post("/api/v1/logout", tokens[auth.Dispatcher], nil)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	problem(t, e.get("/api/v1/me", tokens[auth.Dispatcher]), http.StatusUnauthorized, openapi.CodeUnauthorized)
	decode[openapi.Me](t, e.get("/api/v1/me", other), http.StatusOK)
	problem(t, e.post("/api/v1/logout", "admin", nil), http.StatusBadRequest, openapi.CodeBadRequest)

	// Idle: over.
	e.clk.add(auth.DefaultIdle)
	problem(t, e.get("/api/v1/me", other), http.StatusUnauthorized, openapi.CodeUnauthorized)

	// Revoked by the admin.
	tok := "raw:" + e.login("u-technician", userPassword, "").Token
	_, err := e.auth.Revoke(e.ctx, auth.Actor{Name: "cli:test"}, "u-technician")
	require.NoError(t, err)
	problem(t, e.get("/api/v1/me", tok), http.StatusUnauthorized, openapi.CodeUnauthorized)
}

func TestLoginLockoutAndTOTP(t *testing.T) {
	e := newEnv(t)
	e.people()
	for range 5 {
		problem(t, e.post("/api/v1/login", "", openapi.LoginRequest{Username: "u-centre_staff", Password: "Wrong-2026"}), http.StatusUnauthorized, openapi.CodeBadCredentials)
	}
	problem(t, e.post("/api/v1/login", "", openapi.LoginRequest{Username: "u-centre_staff", Password: userPassword}), http.StatusLocked, openapi.CodeAccountLocked)
	e.clk.add(auth.DefaultLockout)
	e.login("u-centre_staff", userPassword, "")
	rows, err := e.log.List(e.ctx, store.AuditQuery{Action: "user.lock"})
	require.NoError(t, err)
	require.Len(t, rows, 1)
	assert.Equal(t, "u-centre_staff", rows[0].Target)

	require.NoError(t, e.auth.SetDisabled(e.ctx, auth.Actor{Name: "cli:test"}, "u-government_viewer", true))
	problem(t, e.post("/api/v1/login", "", openapi.LoginRequest{Username: "u-government_viewer", Password: userPassword}), http.StatusForbidden, openapi.CodeAccountDisabled)

	_, _, err = e.auth.EnrolTOTP(e.ctx, auth.Actor{Name: "cli:test"}, "u-admin")
	require.NoError(t, err)
	problem(t, e.post("/api/v1/login", "", openapi.LoginRequest{Username: "u-admin", Password: userPassword}), http.StatusUnauthorized, openapi.CodeTOTPRequired)
	problem(t, e.post("/api/v1/login", "", openapi.LoginRequest{Username: "u-admin", Password: userPassword, TOTP: "000000"}), http.StatusUnauthorized, openapi.CodeBadCredentials)
}

func TestLoginRateLimit(t *testing.T) {
	e := newEnv(t)
	var last response
	for range 31 {
		last = e.post("/api/v1/login", "", openapi.LoginRequest{Username: "nobody", Password: "x"})
	}
	problem(t, last, http.StatusTooManyRequests, openapi.CodeRateLimited)
	assert.NotEmpty(t, last.header.Get("Retry-After"))
}

// What each role sees of a parcel: the carrier viewer only its carrier's,
// masked; centre staff masked; the dispatcher unmasked.
func TestScopedByRole(t *testing.T) {
	e := newEnv(t)
	e.announce(entry("73100000000001", "zto", "13912345678", addrMinzhu), entry("YT0000000000001", "yto", "13987654321", addrMinzhu))
	tokens := e.people()
	track := func(wb, role string) openapi.Tracking {
		return decode[openapi.Tracking](t, e.get("/api/v1/parcels/"+wb, tokens[role]), http.StatusOK)
	}
	assert.Equal(t, "139****5678", track("73100000000001", auth.Carrier).Parcels[0].Receiver.Phone)
	problem(t, e.get("/api/v1/parcels/YT0000000000001", tokens[auth.Carrier]), http.StatusNotFound, openapi.CodeNotFound)
	assert.Equal(t, "139****4321", track("YT0000000000001", auth.Centre).Parcels[0].Receiver.Phone)
	assert.Equal(t, "13987654321", track("YT0000000000001", auth.Dispatcher).Parcels[0].Receiver.Phone)
	assert.Equal(t, "13987654321", track("YT0000000000001", auth.Admin).Parcels[0].Receiver.Phone)

	// A phone search across carriers is the dispatcher's.
	problem(t, e.get("/api/v1/parcels?phone=13912345678", tokens[auth.Centre]), http.StatusForbidden, openapi.CodeInsufficientScope)
	list := decode[openapi.ParcelList](t, e.get("/api/v1/parcels?phone=13912345678", tokens[auth.Dispatcher]), http.StatusOK)
	assert.Len(t, list.Parcels, 1)
	list = decode[openapi.ParcelList](t, e.get("/api/v1/parcels?station=ST-V0101", tokens[auth.Carrier]), http.StatusOK)
	for _, p := range list.Parcels {
		assert.Equal(t, "zto", p.Carrier)
	}
}

// Writes and reads of unmasked personal data are audited, masked reads
// are not, and the chain holds until someone changes a row behind the
// hub's back.
func TestAuditTrail(t *testing.T) {
	e := newEnv(t)
	e.announce(entry("73100000000001", "zto", "13912345678", addrMinzhu))
	tokens := e.people()
	before := len(e.auditRows())

	e.get("/api/v1/parcels/73100000000001", tokens[auth.Centre])     // masked: not audited
	e.get("/api/v1/parcels/73100000000001", tokens[auth.Dispatcher]) // unmasked
	e.get("/api/v1/parcels?phone=13912345678", tokens[auth.Dispatcher])
	e.do(http.MethodPut, "/api/v1/sms/optouts/13912345678", tokens[auth.Dispatcher], nil, nil)
	e.do(http.MethodPut, "/api/v1/sms/templates/arrival", tokens[auth.Dispatcher], []byte(`{"text":"x"}`), nil) // denied
	e.get("/api/v1/sms/messages", tokens[auth.Dispatcher])
	e.get("/api/v1/parcels/73100000000001", "zto-app") // an API key: masked
	e.get("/api/v1/parcels/73100000000001", "admin")
	list := decode[openapi.AuditList](t, e.get("/api/v1/audit?user=u-dispatcher&limit=3", tokens[auth.Admin]), http.StatusOK)
	problem(t, e.get("/api/v1/audit", tokens[auth.Technician]), http.StatusForbidden, openapi.CodeInsufficientScope)

	rows := e.auditRows()[:len(e.auditRows())-before]
	var got []string
	for i := len(rows) - 1; i >= 0; i-- {
		r := rows[i]
		got = append(got, strings.Join([]string{r.Actor, r.Role, r.Action, r.Target, r.Result, r.Detail}, "|"))
		assert.Equal(t, "127.0.0.1", r.Remote)
		assert.NotContains(t, r.Target+r.Detail, "13912345678", "no full phone")
	}
	assert.Equal(t, []string{
		"user:u-dispatcher|dispatcher|parcel.read|waybill=73100000000001|ok|",
		"user:u-dispatcher|dispatcher|parcel.search||ok|phone=139%2A%2A%2A%2A5678",
		"user:u-dispatcher|dispatcher|sms.optout|phone=139****5678|ok|",
		"user:u-dispatcher|dispatcher|sms.template.set|kind=arrival|denied|",
		"user:u-dispatcher|dispatcher|sms.messages||ok|",
		"admin|admin|parcel.read|waybill=73100000000001|ok|",
		"user:u-admin|admin|audit.read||ok|limit=3&user=u-dispatcher",
		"user:u-technician|technician|audit.read||denied|",
	}, got)
	require.Len(t, list.Rows, 3)
	assert.Equal(t, "sms.messages", list.Rows[0].Action)
	assert.Equal(t, list.Rows[2].Seq, list.NextBefore)
	older := decode[openapi.AuditList](t, e.get(fmt.Sprintf("/api/v1/audit?user=u-dispatcher&before=%d", list.NextBefore), tokens[auth.Admin]), http.StatusOK)
	assert.Equal(t, "parcel.read", older.Rows[1].Action)
	logins := decode[openapi.AuditList](t, e.get("/api/v1/audit?action=user.&since="+e.clk.now().Add(-time.Minute).Format(time.RFC3339), "admin"), http.StatusOK)
	assert.Len(t, logins.Rows, len(auth.Roles), "user.add of each")
	problem(t, e.get("/api/v1/audit?since=yesterday", "admin"), http.StatusBadRequest, openapi.CodeBadParameter)

	rep, err := e.log.Verify(e.ctx)
	require.NoError(t, err)
	// Someone with the database file changes a row.
	db, err := sql.Open("sqlite", filepath.Join(e.st.Dir(), store.DBName)+"?_pragma=busy_timeout(5000)")
	require.NoError(t, err)
	defer db.Close()
	victim := rows[len(rows)-1].Seq // the dispatcher's read
	for _, q := range []string{"DROP TRIGGER audit_no_update", fmt.Sprintf("UPDATE audit SET target = 'waybill=X' WHERE seq = %d", victim)} {
		_, err := db.Exec(q)
		require.NoError(t, err)
	}
	_, err = e.log.Verify(e.ctx)
	var be *audit.BrokenError
	require.ErrorAs(t, err, &be)
	assert.Equal(t, victim, be.Seq)
	assert.Positive(t, rep.Rows)
}

// The document names each operation's permission as the router checks it.
func TestDocumentPermissions(t *testing.T) {
	e := newEnv(t)
	doc := served(t, e)
	n := 0
	for path, item := range doc["paths"].(map[string]any) {
		for m, o := range item.(map[string]any) {
			want, ok := openapi.RoutePermission(strings.ToUpper(m), path)
			got, _ := o.(map[string]any)["x-permission"].(string)
			if !ok {
				assert.Contains(t, []string{"/api/v1/openapi.json", "/api/v1/login"}, path)
				continue
			}
			assert.Equal(t, string(want), got, "%s %s", m, path)
			n++
		}
	}
	assert.NotZero(t, n)
}

// A phone in a search's filters is masked in the audit log however often
// it is given, not only its first time.
func TestAuditMasksEveryPhone(t *testing.T) {
	e := newEnv(t)
	e.announce(entry("73100000000001", "zto", "13912345678", addrMinzhu))
	tokens := e.people()
	before := len(e.auditRows())
	e.get("/api/v1/parcels?phone=&phone=13912345678&station=ST-V0101", tokens[auth.Dispatcher])
	e.get("/api/v1/parcels?phone=13987654321&phone=13912345678", tokens[auth.Dispatcher])
	rows := e.auditRows()[:len(e.auditRows())-before]
	require.Len(t, rows, 2)
	for _, r := range rows {
		assert.Equal(t, "parcel.search", r.Action)
		assert.NotContains(t, r.Target+r.Detail, "13912345678", "no full phone: %s", r.Detail)
		assert.NotContains(t, r.Target+r.Detail, "13987654321", "no full phone: %s", r.Detail)
	}
}

// The sign-in limit keeps a bucket per address only while it matters:
// addresses that stopped trying are forgotten, and the limit still holds
// for one that goes on.
func TestLoginBucketsAreForgotten(t *testing.T) {
	e := newEnv(t)
	h := e.srv.Handler()
	login := func(remote string) int {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/login", strings.NewReader("not json"))
		req.RemoteAddr = remote + ":4711"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	for i := range 500 {
		login(fmt.Sprintf("10.0.%d.%d", i/256, i%256))
	}
	assert.GreaterOrEqual(t, e.srv.Buckets(), 500)
	e.clk.add(time.Minute)
	for range 30 {
		assert.Equal(t, http.StatusBadRequest, login("10.9.9.9"))
	}
	assert.LessOrEqual(t, e.srv.Buckets(), 1, "the idle addresses' buckets are dropped")
	assert.Equal(t, http.StatusTooManyRequests, login("10.9.9.9"), "the busy one's is kept")
}

// The sign-in limit counts an IPv6 /64 as one address: a host holds a
// whole /64 and could otherwise try 30 a minute from each of its addresses.
func TestLoginRateLimitIPv6(t *testing.T) {
	e := newEnv(t)
	h := e.srv.Handler()
	login := func(remote string) int {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/login", strings.NewReader("not json"))
		req.RemoteAddr = "[" + remote + "]:4711"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	for i := range 30 {
		assert.Equal(t, http.StatusBadRequest, login(fmt.Sprintf("2001:db8:1:2::%x", i+1)))
	}
	assert.Equal(t, http.StatusTooManyRequests, login("2001:db8:1:2:ffff::1"), "the same /64")
	assert.Equal(t, http.StatusBadRequest, login("2001:db8:1:3::1"), "another /64")
}

// The template handler's own admin check holds for a session that sees
// personal data but may not change templates (the dispatcher), whatever
// the route's check before it.
func TestSMSTemplateHandlerIsTheAdmins(t *testing.T) {
	e := newEnv(t)
	for role, want := range map[string]int{auth.Dispatcher: http.StatusForbidden, auth.Admin: http.StatusNotFound} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPut, "/api/v1/sms/templates/x", strings.NewReader(`{"text":"x"}`))
		e.srv.SetSMSTemplateAs(auth.Identity{Username: "u", Role: role}, rec, req)
		assert.Equal(t, want, rec.Code, "%s: %s", role, rec.Body)
	}
}
