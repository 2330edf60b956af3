package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDefaultsValid(t *testing.T) {
	require.NoError(t, Default().Validate())
}

func TestLoadFileThenEnv(t *testing.T) {
	path := filepath.Join(t.TempDir(), "edge.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"version":1,"node":"ST-V0101","listen":"127.0.0.1:9000","busy_timeout":"2s"}`), 0o600))
	t.Setenv("CUNYOU_EDGE_LISTEN", "127.0.0.1:9100")
	c, err := Load(path)
	require.NoError(t, err)
	assert.Equal(t, "ST-V0101", c.Node)
	assert.Equal(t, "127.0.0.1:9100", c.Listen, "environment wins over the file")
	assert.Equal(t, "2s", c.BusyTimeout.String())
	require.NoError(t, c.Validate())
}

func TestLoadSyncSettingsFromEnv(t *testing.T) {
	t.Setenv("CUNYOU_EDGE_HUB_URL", "https://hub.example")
	t.Setenv("CUNYOU_EDGE_SYNC_INTERVAL", "30s")
	t.Setenv("CUNYOU_EDGE_SAFETY_WINDOW", "336h")
	t.Setenv("CUNYOU_EDGE_WATCHDOG", "20m")
	c, err := Load("")
	require.NoError(t, err)
	assert.Equal(t, "https://hub.example", c.HubURL)
	assert.Equal(t, Duration(30*time.Second), c.SyncInterval)
	assert.Equal(t, Duration(336*time.Hour), c.SafetyWindow)
	assert.Equal(t, Duration(20*time.Minute), c.Watchdog)
	require.NoError(t, c.Validate())

	t.Setenv("CUNYOU_EDGE_WATCHDOG", "ten minutes")
	_, err = Load("")
	require.ErrorContains(t, err, "CUNYOU_EDGE_WATCHDOG")
}

func TestLoadRejects(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"unknown field": `{"lisen":"x"}`,
		"newer version": `{"version":99}`,
		"not json":      `listen=1`,
	} {
		path := filepath.Join(dir, "c.json")
		require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
		_, err := Load(path)
		assert.Error(t, err, name)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"remote listen refused", func(c *Config) { c.Listen = "0.0.0.0:8700" }, "not loopback"},
		{"remote listen allowed", func(c *Config) { c.Listen = "0.0.0.0:8700"; c.AllowRemote = true }, ""},
		{"localhost ok", func(c *Config) { c.Listen = "localhost:8700" }, ""},
		{"bad node", func(c *Config) { c.Node = "站点 1" }, "node"},
		{"bad kind", func(c *Config) { c.Kind = "depot" }, "kind"},
		{"bad timezone", func(c *Config) { c.Timezone = "Mars/Base" }, "timezone"},
		{"bad synchronous", func(c *Config) { c.Synchronous = "OFF" }, "synchronous"},
		{"bad log level", func(c *Config) { c.LogLevel = "loud" }, "log_level"},
		{"empty data dir", func(c *Config) { c.DataDir = "" }, "data_dir"},
		{"hub url", func(c *Config) { c.HubURL = "https://hub.wangkui.example:8443" }, ""},
		{"hub url without scheme", func(c *Config) { c.HubURL = "hub.wangkui.example" }, "hub_url"},
		{"hub url not http", func(c *Config) { c.HubURL = "ftp://hub" }, "hub_url"},
		{"sync interval zero", func(c *Config) { c.SyncInterval = 0 }, "sync_interval"},
		{"safety window short", func(c *Config) { c.SafetyWindow = Duration(time.Minute) }, "safety_window"},
		{"watchdog below interval", func(c *Config) { c.Watchdog = Duration(15 * time.Second) }, "watchdog"},
	}
	for _, tt := range tests {
		c := Default()
		tt.change(&c)
		err := c.Validate()
		if tt.want == "" {
			assert.NoError(t, err, tt.name)
		} else if assert.Error(t, err, tt.name) {
			assert.Contains(t, err.Error(), tt.want, tt.name)
		}
	}
}

func TestSampleConfigLoads(t *testing.T) {
	c, err := Load("../../packaging/edge.sample.json")
	require.NoError(t, err)
	require.NoError(t, c.Validate())
	d := Default()
	d.Node = c.Node
	assert.Equal(t, d, c, "the sample shows every default")
}
