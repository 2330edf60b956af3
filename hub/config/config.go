// Package config reads cunyou-hub's settings: defaults, then a JSON file,
// then CUNYOU_HUB_* environment variables, then Validate.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"cunyou/hub/merge"
	"cunyou/hub/store"
	"cunyou/syncproto"
)

// Version is the config file format this build writes.
const Version = 1

// Config is cunyou-hub's configuration.
type Config struct {
	Version int `json:"version"`
	// DataDir holds the database (hub.db), its backups and blobs/.
	DataDir string `json:"data_dir"`
	// Listen is the sync API's address. Loopback unless AllowRemote is
	// set (behind a TLS-terminating proxy, keep it loopback).
	Listen      string `json:"listen"`
	AllowRemote bool   `json:"allow_remote"`
	// TLSCert and TLSKey serve HTTPS when both are set.
	TLSCert string `json:"tls_cert"`
	TLSKey  string `json:"tls_key"`
	// MaxMerges bounds concurrent ops merges; past it, uploads wait
	// MergeWait and are then told to come back (503 busy).
	MaxMerges int      `json:"max_merges"`
	MergeWait Duration `json:"merge_wait"`
	// MaxUploads bounds ops uploads in progress (reading their bodies or
	// merging); past it, 503 busy at once.
	MaxUploads int `json:"max_uploads"`
	// MaxBatchBytes bounds an ops upload's body.
	MaxBatchBytes int64 `json:"max_batch_bytes"`
	// MaxBlobBytes bounds one blob (a photo).
	MaxBlobBytes int64 `json:"max_blob_bytes"`
	// MaxSkew is how far ahead of the hub an op's clock may be before the
	// op counts as skewed.
	MaxSkew Duration `json:"max_skew"`
	// AdminToken guards /api/v1 (the console's API); empty disables it.
	AdminToken string `json:"admin_token"`
	// Synchronous is SQLite's commit durability: FULL (default) or NORMAL.
	Synchronous string `json:"synchronous"`
	// BusyTimeout is how long a write waits for another process (a CLI
	// command beside the server).
	BusyTimeout Duration `json:"busy_timeout"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `json:"log_level"`
}

// Duration is a time.Duration written as "5s" in JSON.
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	*d = Duration(v)
	return err
}

// Default returns the defaults.
func Default() Config {
	return Config{
		Version:       Version,
		DataDir:       defaultDataDir(),
		Listen:        "127.0.0.1:8600",
		MaxMerges:     merge.DefaultSlots,
		MergeWait:     Duration(time.Second),
		MaxUploads:    64,
		MaxBatchBytes: 32 << 20,
		MaxBlobBytes:  32 << 20,
		MaxSkew:       Duration(syncproto.DefaultMaxSkew),
		Synchronous:   "FULL",
		BusyTimeout:   Duration(5 * time.Second),
		LogLevel:      "info",
	}
}

func defaultDataDir() string {
	if dir := os.Getenv("ProgramData"); dir != "" { // Windows
		return filepath.Join(dir, "cunyou-hub")
	}
	return "/var/lib/cunyou-hub"
}

// Load reads path (if not empty) over the defaults, then the environment.
func Load(path string) (Config, error) {
	c := Default()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("read config: %w", err)
		}
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			return c, fmt.Errorf("config %s: %w", path, err)
		}
		if c.Version > Version {
			return c, fmt.Errorf("config %s: version %d is newer than this program (%d)", path, c.Version, Version)
		}
		c.Version = Version // version 1 is the first: nothing to migrate yet
	}
	if err := c.applyEnv(os.Getenv); err != nil {
		return c, err
	}
	return c, nil
}

// Env lists the environment variables Load reads, for the README and help.
var Env = map[string]string{
	"CUNYOU_HUB_DATA_DIR":        "data folder",
	"CUNYOU_HUB_LISTEN":          "sync API listen address",
	"CUNYOU_HUB_ALLOW_REMOTE":    "true to listen beyond loopback",
	"CUNYOU_HUB_TLS_CERT":        "TLS certificate file (PEM)",
	"CUNYOU_HUB_TLS_KEY":         "TLS key file (PEM)",
	"CUNYOU_HUB_MAX_MERGES":      "concurrent ops merges",
	"CUNYOU_HUB_MERGE_WAIT":      "how long an upload waits for a merge slot",
	"CUNYOU_HUB_MAX_UPLOADS":     "concurrent ops uploads",
	"CUNYOU_HUB_MAX_BATCH_BYTES": "largest ops upload body",
	"CUNYOU_HUB_MAX_BLOB_BYTES":  "largest blob",
	"CUNYOU_HUB_MAX_SKEW":        "clock skew beyond which ops count as skewed",
	"CUNYOU_HUB_ADMIN_TOKEN":     "bearer token of the console API",
	"CUNYOU_HUB_SYNCHRONOUS":     "FULL or NORMAL",
	"CUNYOU_HUB_BUSY_TIMEOUT":    "database lock wait",
	"CUNYOU_HUB_LOG_LEVEL":       "debug, info, warn, error",
}

func (c *Config) applyEnv(getenv func(string) string) error {
	var errs []error
	str := func(name string, dst *string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	num := func(name string, dst *int64) {
		if v := getenv(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				errs = append(errs, fmt.Errorf("config: %s=%q: not a number", name, v))
			}
			*dst = n
		}
	}
	dur := func(name string, dst *Duration) {
		if v := getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("config: %s=%q: not a duration like 5s", name, v))
			}
			*dst = Duration(d)
		}
	}
	str("CUNYOU_HUB_DATA_DIR", &c.DataDir)
	str("CUNYOU_HUB_LISTEN", &c.Listen)
	if v := getenv("CUNYOU_HUB_ALLOW_REMOTE"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("config: CUNYOU_HUB_ALLOW_REMOTE=%q: use true or false", v))
		}
		c.AllowRemote = b
	}
	str("CUNYOU_HUB_TLS_CERT", &c.TLSCert)
	str("CUNYOU_HUB_TLS_KEY", &c.TLSKey)
	merges, uploads := int64(c.MaxMerges), int64(c.MaxUploads)
	num("CUNYOU_HUB_MAX_MERGES", &merges)
	num("CUNYOU_HUB_MAX_UPLOADS", &uploads)
	c.MaxMerges, c.MaxUploads = int(merges), int(uploads)
	dur("CUNYOU_HUB_MERGE_WAIT", &c.MergeWait)
	num("CUNYOU_HUB_MAX_BATCH_BYTES", &c.MaxBatchBytes)
	num("CUNYOU_HUB_MAX_BLOB_BYTES", &c.MaxBlobBytes)
	dur("CUNYOU_HUB_MAX_SKEW", &c.MaxSkew)
	str("CUNYOU_HUB_ADMIN_TOKEN", &c.AdminToken)
	str("CUNYOU_HUB_SYNCHRONOUS", &c.Synchronous)
	dur("CUNYOU_HUB_BUSY_TIMEOUT", &c.BusyTimeout)
	str("CUNYOU_HUB_LOG_LEVEL", &c.LogLevel)
	return errors.Join(errs...)
}

// Validate checks every field and names the first bad one.
func (c Config) Validate() error {
	if c.DataDir == "" {
		return errors.New("config: data_dir is empty")
	}
	host, _, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return fmt.Errorf("config: listen %q: %w", c.Listen, err)
	}
	if !c.AllowRemote && !isLoopback(host) {
		return fmt.Errorf("config: listen %q is not loopback (set allow_remote to listen on the network, with tls_cert and tls_key or behind a TLS proxy)", c.Listen)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("config: tls_cert and tls_key go together: give both or neither")
	}
	switch {
	case c.MaxMerges < 1 || c.MaxMerges > 1024:
		return fmt.Errorf("config: max_merges %d: use 1-1024", c.MaxMerges)
	case c.MaxUploads < c.MaxMerges:
		return fmt.Errorf("config: max_uploads %d must be at least max_merges %d", c.MaxUploads, c.MaxMerges)
	case c.MergeWait < 0 || time.Duration(c.MergeWait) > time.Minute:
		return fmt.Errorf("config: merge_wait %s: use 0-1m", time.Duration(c.MergeWait))
	case c.MaxBatchBytes < 1<<20 || c.MaxBatchBytes > 1<<30:
		return fmt.Errorf("config: max_batch_bytes %d: use 1 MiB to 1 GiB", c.MaxBatchBytes)
	case c.MaxBlobBytes < 1<<20 || c.MaxBlobBytes > 1<<32:
		return fmt.Errorf("config: max_blob_bytes %d: use 1 MiB to 4 GiB", c.MaxBlobBytes)
	case c.MaxSkew < Duration(time.Second):
		return fmt.Errorf("config: max_skew %s: use at least 1s", time.Duration(c.MaxSkew))
	case c.AdminToken != "" && len(c.AdminToken) < 16:
		return errors.New("config: admin_token: use at least 16 characters (or none to disable the console API)")
	}
	switch strings.ToUpper(c.Synchronous) {
	case "FULL", "NORMAL":
	default:
		return fmt.Errorf("config: synchronous %q: use FULL or NORMAL", c.Synchronous)
	}
	if c.BusyTimeout <= 0 {
		return errors.New("config: busy_timeout must be positive")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("config: log_level %q: use debug, info, warn or error", c.LogLevel)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// StoreOptions are the store settings this config asks for.
func (c Config) StoreOptions() store.Options {
	return store.Options{BusyTimeout: time.Duration(c.BusyTimeout), Synchronous: c.Synchronous}
}

// MergeOptions are the merge settings this config asks for.
func (c Config) MergeOptions() merge.Options {
	return merge.Options{MaxSkew: time.Duration(c.MaxSkew)}
}
