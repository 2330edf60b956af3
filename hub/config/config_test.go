package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/hub/merge"
)

func clearEnv(t *testing.T) {
	t.Helper()
	for name := range Env {
		t.Setenv(name, "")
	}
}

func TestDefaults(t *testing.T) {
	clearEnv(t)
	c, err := Load("")
	require.NoError(t, err)
	require.NoError(t, c.Validate())
	assert.Equal(t, "127.0.0.1:8600", c.Listen)
	assert.Equal(t, merge.DefaultSlots, c.MaxMerges)
	assert.EqualValues(t, 32<<20, c.MaxBatchBytes)
	assert.Equal(t, "FULL", c.Synchronous)
}

func TestFileAndEnv(t *testing.T) {
	clearEnv(t)
	path := filepath.Join(t.TempDir(), "hub.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"version": 1, "data_dir": "/srv/hub", "max_merges": 8, "merge_wait": "250ms",
		"admin_token": "0123456789abcdef0123"}`), 0o600))
	t.Setenv("CUNYOU_HUB_MAX_MERGES", "16")
	t.Setenv("CUNYOU_HUB_LISTEN", "0.0.0.0:8600")
	c, err := Load(path)
	require.NoError(t, err)
	assert.Equal(t, "/srv/hub", c.DataDir)
	assert.Equal(t, 16, c.MaxMerges, "the environment wins over the file")
	assert.Equal(t, Duration(250*time.Millisecond), c.MergeWait)
	assert.ErrorContains(t, c.Validate(), "not loopback")
	t.Setenv("CUNYOU_HUB_ALLOW_REMOTE", "true")
	c, err = Load(path)
	require.NoError(t, err)
	assert.NoError(t, c.Validate())

	t.Setenv("CUNYOU_HUB_MAX_SKEW", "soon")
	_, err = Load(path)
	assert.ErrorContains(t, err, "CUNYOU_HUB_MAX_SKEW")

	require.NoError(t, os.WriteFile(path, []byte(`{"lissen": "x"}`), 0o600))
	_, err = Load(path)
	assert.ErrorContains(t, err, "unknown field")
	require.NoError(t, os.WriteFile(path, []byte(`{"version": 9}`), 0o600))
	_, err = Load(path)
	assert.ErrorContains(t, err, "newer")
}

func TestValidate(t *testing.T) {
	for field, mutate := range map[string]func(*Config){
		"data_dir":        func(c *Config) { c.DataDir = "" },
		"listen":          func(c *Config) { c.Listen = "nope" },
		"tls_cert":        func(c *Config) { c.TLSCert = "a.pem" },
		"max_merges":      func(c *Config) { c.MaxMerges = 0 },
		"max_uploads":     func(c *Config) { c.MaxUploads = 1 },
		"merge_wait":      func(c *Config) { c.MergeWait = Duration(time.Hour) },
		"max_batch_bytes": func(c *Config) { c.MaxBatchBytes = 10 },
		"max_blob_bytes":  func(c *Config) { c.MaxBlobBytes = 10 },
		"max_skew":        func(c *Config) { c.MaxSkew = 0 },
		"admin_token":     func(c *Config) { c.AdminToken = "short" },
		"synchronous":     func(c *Config) { c.Synchronous = "OFF" },
		"busy_timeout":    func(c *Config) { c.BusyTimeout = 0 },
		"log_level":       func(c *Config) { c.LogLevel = "loud" },
	} {
		c := Default()
		mutate(&c)
		assert.ErrorContains(t, c.Validate(), field, field)
	}
}
