package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConsole(t *testing.T) {
	clearEnv(t)
	c := Default()
	assert.Equal(t, DefaultConsole(), c.Console)
	require.NoError(t, c.Validate())

	p := filepath.Join(t.TempDir(), "hub.json")
	require.NoError(t, os.WriteFile(p, []byte(`{"version": 1, "console": {"session_idle": "30m", "lockout_after": 3}}`), 0o600))
	c, err := Load(p)
	require.NoError(t, err)
	assert.Equal(t, Console{SessionIdle: Duration(30 * time.Minute), SessionMax: Duration(7 * 24 * time.Hour), LockoutAfter: 3,
		LockoutFor: Duration(15 * time.Minute)}, c.Console)

	for field, mutate := range map[string]func(*Console){
		"console.session_idle":  func(c *Console) { c.SessionIdle = Duration(time.Minute) },
		"console.session_max":   func(c *Console) { c.SessionMax = Duration(time.Hour) },
		"console.lockout_after": func(c *Console) { c.LockoutAfter = 0 },
		"console.lockout_for":   func(c *Console) { c.LockoutFor = Duration(48 * time.Hour) },
	} {
		c := Default()
		mutate(&c.Console)
		assert.ErrorContains(t, c.Validate(), field, field)
	}
}
