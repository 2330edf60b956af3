package auth_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/hub/auth"
)

// The roles' table in the README says what grants says.
func TestREADMERoles(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	_, table, ok := strings.Cut(string(b), "| permission | routes | admin | dispatcher | centre_staff | carrier_viewer | government_viewer | technician |\n")
	require.True(t, ok, "README has no roles table")
	roles := []string{auth.Admin, auth.Dispatcher, auth.Centre, auth.Carrier, auth.Government, auth.Technician}
	seen := map[auth.Permission]bool{}
	for _, line := range strings.Split(table, "\n")[1:] {
		if !strings.HasPrefix(line, "| `") {
			break
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		require.Len(t, cells, 2+len(roles), line)
		p := auth.Permission(strings.Trim(strings.TrimSpace(cells[0]), "`"))
		seen[p] = true
		for i, role := range roles {
			assert.Equal(t, auth.Allows(role, p), strings.Contains(cells[2+i], "✓"), "README: %s for %s", p, role)
		}
	}
	for _, p := range auth.Permissions {
		assert.True(t, seen[p], "README lacks %s", p)
	}
}
