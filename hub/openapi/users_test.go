package openapi_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/hub/auth"
	"cunyou/hub/openapi"
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
