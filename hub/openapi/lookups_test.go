package openapi_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"cunyou/hub/openapi"
)

// A client's authentication is remembered for AuthCacheTTL: disabled, it
// is still served until then, refused after; enabled again, it is let in
// at once (refusals are not remembered).
func TestDisabledClientRefusedWithinTTL(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const path = "/api/v1/parcels?station=ST-V0101"
	require.Equal(t, http.StatusOK, e.get(path, "reader").status)
	require.NoError(t, e.st.SetClientDisabled(ctx, "reader", true))
	require.Equal(t, http.StatusOK, e.get(path, "reader").status, "remembered")
	e.clk.add(openapi.AuthCacheTTL)
	problem(t, e.get(path, "reader"), http.StatusUnauthorized, openapi.CodeUnauthorized)
	require.NoError(t, e.st.SetClientDisabled(ctx, "reader", false))
	require.Equal(t, http.StatusOK, e.get(path, "reader").status)
	// The document says so.
	doc := e.get("/api/v1/openapi.json", "")
	require.Contains(t, string(doc.body), fmt.Sprintf("client for %d seconds", int(openapi.AuthCacheTTL.Seconds())))
}
