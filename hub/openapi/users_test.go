package openapi_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/hub/auth"
	"cunyou/hub/openapi"
	"cunyou/passwd"
)

func TestUsersForTheAdmin(t *testing.T) {
	e := newEnv(t)
	tokens := e.people()

	r := e.get("/api/v1/users", tokens[auth.Admin])
	list := decode[openapi.UserList](t, r, http.StatusOK)
	require.Len(t, list.Users, len(auth.Roles))
	byName := map[string]openapi.UserInfo{}
	for _, u := range list.Users {
		byName[u.Username] = u
	}
	assert.Equal(t, auth.Dispatcher, byName["u-"+auth.Dispatcher].Role)
	assert.Equal(t, "zto", byName["u-"+auth.Carrier].Carrier)
	assert.False(t, byName["u-"+auth.Admin].TOTP)
	assert.NotContains(t, string(r.body), "argon2", "no password hash")
	require.Len(t, list.Roles, len(auth.Roles))
	for _, ro := range list.Roles {
		assert.Equal(t, auth.PermissionsOf(ro.Role), ro.Permissions, ro.Role)
	}
	assert.Equal(t, http.StatusOK, e.get("/api/v1/users", "admin").status, "the admin token")

	problem(t, e.get("/api/v1/users", tokens[auth.Dispatcher]), http.StatusForbidden, openapi.CodeInsufficientScope)
	assert.Equal(t, http.StatusForbidden, e.get("/api/v1/users", "county").status, "no API key's scope reaches it")
}

// The admin adds, changes, disables, resets and signs out users through
// the API; each change is in the audit log once, with its detail; the
// last admin stays; a user changes their own password.
func TestUsersChangedByTheAdmin(t *testing.T) {
	e := newEnv(t)
	tokens := e.people()
	admin := tokens[auth.Admin]
	do := func(method, path, as string, v any) response {
		t.Helper()
		var body []byte
		if v != nil {
			body = jsonBody(v)
		}
		return e.do(method, path, as, body, nil)
	}

	// Add, with a password the hub makes and answers once.
	r := do(http.MethodPost, "/api/v1/users", admin, openapi.NewUser{Username: " Li.Ming ", Role: auth.Dispatcher})
	added := decode[openapi.NewPassword](t, r, http.StatusOK)
	assert.Equal(t, "li.ming", added.User.Username)
	assert.Equal(t, auth.Dispatcher, added.User.Role)
	require.NoError(t, passwd.Check(added.Password))
	li := "raw:" + e.login("li.ming", added.Password, "").Token
	assert.Equal(t, http.StatusOK, e.get("/api/v1/me", li).status)
	problem(t, do(http.MethodPost, "/api/v1/users", admin, openapi.NewUser{Username: "li.ming", Role: auth.Admin}),
		http.StatusConflict, openapi.CodeUserExists)
	problem(t, do(http.MethodPost, "/api/v1/users", admin, openapi.NewUser{Username: "x", Role: auth.Admin}),
		http.StatusUnprocessableEntity, openapi.CodeInvalid)
	problem(t, do(http.MethodPost, "/api/v1/users", admin, openapi.NewUser{Username: "zhao", Role: "boss"}),
		http.StatusUnprocessableEntity, openapi.CodeInvalid)
	problem(t, do(http.MethodPost, "/api/v1/users", admin, openapi.NewUser{Username: "zhao", Role: auth.Carrier}),
		http.StatusUnprocessableEntity, openapi.CodeInvalid)
	problem(t, do(http.MethodPost, "/api/v1/users", admin, openapi.NewUser{Username: "zhao", Role: auth.Admin, Password: "password"}),
		http.StatusUnprocessableEntity, openapi.CodeWeakPassword)
	// A carrier the hub does not know is a bad body, not a missing user.
	problem(t, do(http.MethodPost, "/api/v1/users", admin, openapi.NewUser{Username: "zhao", Role: auth.Carrier, Carrier: "ems"}),
		http.StatusUnprocessableEntity, openapi.CodeInvalid)
	r = do(http.MethodPost, "/api/v1/users", admin, openapi.NewUser{Username: "zhao", Role: auth.Carrier, Carrier: "sf", Password: "Zhao-2026!x"})
	assert.Empty(t, decode[openapi.NewPassword](t, r, http.StatusOK).Password, "a password the admin chose is not echoed")

	// A new role takes effect on the next request, without a new sign-in.
	assert.Equal(t, http.StatusOK, e.get("/api/v1/stations", li).status)
	gov := auth.Government
	r = do(http.MethodPatch, "/api/v1/users/li.ming", admin, openapi.UserPatch{Role: &gov})
	assert.Equal(t, auth.Government, decode[openapi.UserInfo](t, r, http.StatusOK).Role)
	problem(t, e.get("/api/v1/stations", li), http.StatusForbidden, openapi.CodeInsufficientScope)
	carrier := auth.Carrier
	problem(t, do(http.MethodPatch, "/api/v1/users/li.ming", admin, openapi.UserPatch{Role: &carrier}),
		http.StatusUnprocessableEntity, openapi.CodeInvalid)
	problem(t, do(http.MethodPatch, "/api/v1/users/li.ming", admin, openapi.UserPatch{}), http.StatusBadRequest, openapi.CodeBadRequest)
	problem(t, do(http.MethodPatch, "/api/v1/users/nobody", admin, openapi.UserPatch{Role: &gov}), http.StatusNotFound, openapi.CodeNotFound)
	ems := "ems"
	problem(t, do(http.MethodPatch, "/api/v1/users/li.ming", admin, openapi.UserPatch{Role: &carrier, Carrier: &ems}),
		http.StatusUnprocessableEntity, openapi.CodeInvalid)

	// Disabled: signed out at once, and no sign-in; enabled again.
	yes, no := true, false
	r = do(http.MethodPatch, "/api/v1/users/li.ming", admin, openapi.UserPatch{Disabled: &yes})
	assert.True(t, decode[openapi.UserInfo](t, r, http.StatusOK).Disabled)
	problem(t, e.get("/api/v1/me", li), http.StatusUnauthorized, openapi.CodeUnauthorized)
	problem(t, e.post("/api/v1/login", "", openapi.LoginRequest{Username: "li.ming", Password: added.Password}),
		http.StatusForbidden, openapi.CodeAccountDisabled)
	decode[openapi.UserInfo](t, do(http.MethodPatch, "/api/v1/users/li.ming", admin, openapi.UserPatch{Disabled: &no}), http.StatusOK)

	// A new password, shown once: the old one no longer signs in, and
	// open sessions end.
	li = "raw:" + e.login("li.ming", added.Password, "").Token
	reset := decode[openapi.NewPassword](t, do(http.MethodPost, "/api/v1/users/li.ming/password", admin, nil), http.StatusOK)
	assert.NotEqual(t, added.Password, reset.Password)
	problem(t, e.get("/api/v1/me", li), http.StatusUnauthorized, openapi.CodeUnauthorized)
	problem(t, e.post("/api/v1/login", "", openapi.LoginRequest{Username: "li.ming", Password: added.Password}),
		http.StatusUnauthorized, openapi.CodeBadCredentials)
	li = "raw:" + e.login("li.ming", reset.Password, "").Token

	// The user changes their own password: the wrong current one is
	// refused; the session asking stays, the others end.
	other := "raw:" + e.login("li.ming", reset.Password, "").Token
	problem(t, do(http.MethodPut, "/api/v1/me/password", li, openapi.PasswordChange{Current: "Wrong-pass-1", New: "Li-Ming-2026!"}),
		http.StatusForbidden, openapi.CodeWrongPassword)
	problem(t, do(http.MethodPut, "/api/v1/me/password", li, openapi.PasswordChange{Current: reset.Password, New: "short"}),
		http.StatusUnprocessableEntity, openapi.CodeWeakPassword)
	decode[openapi.UserInfo](t, do(http.MethodPut, "/api/v1/me/password", li, openapi.PasswordChange{Current: reset.Password, New: "Li-Ming-2026!"}), http.StatusOK)
	assert.Equal(t, http.StatusOK, e.get("/api/v1/me", li).status, "the session that changed it stays")
	problem(t, e.get("/api/v1/me", other), http.StatusUnauthorized, openapi.CodeUnauthorized)
	e.login("li.ming", "Li-Ming-2026!", "")
	problem(t, do(http.MethodPut, "/api/v1/me/password", "admin", openapi.PasswordChange{Current: "a", New: "Li-Ming-2026!"}),
		http.StatusBadRequest, openapi.CodeBadRequest)

	// Sessions ended by the admin.
	ended := decode[openapi.SessionsEnded](t, do(http.MethodPost, "/api/v1/users/li.ming/revoke", admin, nil), http.StatusOK)
	assert.Equal(t, 2, ended.Ended)
	problem(t, e.get("/api/v1/me", li), http.StatusUnauthorized, openapi.CodeUnauthorized)

	// A second factor enrolled, then removed.
	enr := decode[openapi.TOTPEnrolment](t, do(http.MethodPut, "/api/v1/users/li.ming/totp", admin, nil), http.StatusOK)
	assert.Contains(t, enr.URI, "otpauth://totp/")
	assert.NotEmpty(t, enr.Secret)
	problem(t, e.post("/api/v1/login", "", openapi.LoginRequest{Username: "li.ming", Password: "Li-Ming-2026!"}),
		http.StatusUnauthorized, openapi.CodeTOTPRequired)
	assert.False(t, decode[openapi.UserInfo](t, do(http.MethodDelete, "/api/v1/users/li.ming/totp", admin, nil), http.StatusOK).TOTP)
	e.login("li.ming", "Li-Ming-2026!", "")

	// The last enabled admin can be neither disabled nor demoted; with
	// a second admin, the first may go.
	problem(t, do(http.MethodPatch, "/api/v1/users/u-admin", admin, openapi.UserPatch{Disabled: &yes}), http.StatusConflict, openapi.CodeLastAdmin)
	problem(t, do(http.MethodPatch, "/api/v1/users/u-admin", admin, openapi.UserPatch{Role: &gov}), http.StatusConflict, openapi.CodeLastAdmin)
	adm := auth.Admin
	decode[openapi.UserInfo](t, do(http.MethodPatch, "/api/v1/users/li.ming", admin, openapi.UserPatch{Role: &adm}), http.StatusOK)
	decode[openapi.UserInfo](t, do(http.MethodPatch, "/api/v1/users/u-admin", "admin", openapi.UserPatch{Role: &gov}), http.StatusOK)

	// Nobody else may: each route refuses the dispatcher.
	for _, rt := range [][2]string{{http.MethodPost, "/api/v1/users"}, {http.MethodPatch, "/api/v1/users/li.ming"},
		{http.MethodPost, "/api/v1/users/li.ming/password"}, {http.MethodPost, "/api/v1/users/li.ming/revoke"},
		{http.MethodPut, "/api/v1/users/li.ming/totp"}, {http.MethodDelete, "/api/v1/users/li.ming/totp"}} {
		problem(t, e.do(rt[0], rt[1], tokens[auth.Dispatcher], []byte("{}"), nil), http.StatusForbidden, openapi.CodeInsufficientScope)
	}

	// Each change is in the audit log once, by the admin who made it,
	// and no password or secret is.
	counts := map[string]int{}
	for _, a := range e.auditRows() {
		if a.Actor == "user:u-admin" && a.Result == "ok" {
			counts[a.Action]++
		}
		assert.NotContains(t, a.Detail+a.Target, reset.Password)
		assert.NotContains(t, a.Detail+a.Target, enr.Secret)
	}
	assert.Equal(t, 2, counts["user.add"])
	assert.Equal(t, 2, counts["user.role"], "li.ming to government, then to admin")
	assert.Equal(t, 1, counts["user.disable"])
	assert.Equal(t, 1, counts["user.enable"])
	assert.Equal(t, 1, counts["user.reset_password"])
	assert.Equal(t, 1, counts["user.revoke"])
	assert.Equal(t, 1, counts["user.totp"])
	assert.Equal(t, 1, counts["user.totp_remove"])
	var refused int
	for _, a := range e.auditRows() {
		if a.Actor == "user:u-dispatcher" && a.Result == "denied" && a.Action == "user.add" {
			refused++
		}
	}
	assert.Equal(t, 1, refused, "a refused change is in the log too")

	// A wrong current password is one row: hub/auth's, with its result
	// (not also the middleware's "denied").
	var wrong []string
	for _, a := range e.auditRows() {
		if a.Action == "user.password" && a.Actor == "user:li.ming" && a.Result != "ok" && a.Result != "failed 422" {
			wrong = append(wrong, a.Result)
		}
	}
	assert.Equal(t, []string{"bad_credentials"}, wrong)
}
