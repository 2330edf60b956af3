package kiosk_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// GET /api/v1/diag runs edge/diag's report in the server for a clerk or
// the owner, in the operator's language.
func TestAPIDiag(t *testing.T) {
	e := apiNewEnv(t)
	owner := e.setupOwner(t)
	clerk := e.addClerk(t, owner)
	type report struct {
		Status string `json:"status"`
		Checks []struct {
			Name, Status, Detail, Fix string
		} `json:"checks"`
	}
	for _, who := range []string{owner, clerk} {
		rep := apiOK[report](t, e, http.StatusOK, "GET", "/api/v1/diag", who, nil)
		require.NotEmpty(t, rep.Checks)
		names := map[string]string{}
		for _, c := range rep.Checks {
			names[c.Name] = c.Status
			assert.NotEmpty(t, c.Detail, c.Name)
		}
		assert.Equal(t, "ok", names["db.integrity"], "the database checked read-only beside the server")
		assert.Contains(t, names, "devices")
		assert.Contains(t, []string{"ok", "warn", "fail"}, rep.Status)
	}
	e.refuse(t, http.StatusUnauthorized, "unauthorized", "GET", "/api/v1/diag", "", nil)
	e.refuse(t, http.StatusNotFound, "not_found", "GET", "/api/v1/photos/"+"00000000000000000000000000000000000000000000000000000000000000ff", clerk, nil)
	e.refuse(t, http.StatusNotFound, "device_none", "POST", "/api/v1/labels/print?kind=pickup&code=1-1-0001", clerk, nil)
	e.refuse(t, http.StatusBadRequest, "label_kind", "POST", "/api/v1/labels/print?kind=poster", clerk, nil)
}
