// Package config reads cunyou-edge's settings: defaults, then a JSON file,
// then CUNYOU_EDGE_* environment variables, then Validate.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"cunyou/edge/store"
	"cunyou/syncproto"
)

// Version is the config file format this build writes.
const Version = 1

// Config is cunyou-edge's configuration.
type Config struct {
	Version int `json:"version"`
	// Node and Kind name a new node at `init`; an existing database keeps
	// the identity it was created with.
	Node string             `json:"node"`
	Kind syncproto.NodeKind `json:"kind"`
	// DataDir holds the database (edge.db), its backups and logs.
	DataDir string `json:"data_dir"`
	// Listen is the kiosk's address. Loopback unless AllowRemote is set.
	Listen      string `json:"listen"`
	AllowRemote bool   `json:"allow_remote"`
	// Timezone counts the station's days (day close, overdue).
	Timezone string `json:"timezone"`
	// Synchronous is SQLite's commit durability: FULL (default) or NORMAL.
	Synchronous string `json:"synchronous"`
	// BusyTimeout is how long a write waits for another process.
	BusyTimeout Duration `json:"busy_timeout"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `json:"log_level"`
	// UIDir serves the kiosk page from disk instead of the embedded copy
	// (for developing the page).
	UIDir string `json:"ui_dir"`
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
		Version:     Version,
		Kind:        syncproto.NodeStation,
		DataDir:     defaultDataDir(),
		Listen:      "127.0.0.1:8700",
		Timezone:    "Asia/Shanghai",
		Synchronous: "FULL",
		BusyTimeout: Duration(5 * time.Second),
		LogLevel:    "info",
	}
}

func defaultDataDir() string {
	if dir := os.Getenv("ProgramData"); dir != "" { // Windows
		return filepath.Join(dir, "cunyou-edge")
	}
	return "/var/lib/cunyou-edge"
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
	c.applyEnv(os.Getenv)
	return c, nil
}

// Env lists the environment variables Load reads, for the README and help.
var Env = map[string]string{
	"CUNYOU_EDGE_NODE":        "node id for init",
	"CUNYOU_EDGE_KIND":        "station or centre",
	"CUNYOU_EDGE_DATA_DIR":    "data folder",
	"CUNYOU_EDGE_LISTEN":      "kiosk listen address",
	"CUNYOU_EDGE_TIMEZONE":    "time zone of the station's days",
	"CUNYOU_EDGE_SYNCHRONOUS": "FULL or NORMAL",
	"CUNYOU_EDGE_LOG_LEVEL":   "debug, info, warn, error",
	"CUNYOU_EDGE_UI_DIR":      "serve the kiosk page from this folder",
}

func (c *Config) applyEnv(getenv func(string) string) {
	set := func(name string, dst *string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	kind := string(c.Kind)
	set("CUNYOU_EDGE_NODE", &c.Node)
	set("CUNYOU_EDGE_KIND", &kind)
	set("CUNYOU_EDGE_DATA_DIR", &c.DataDir)
	set("CUNYOU_EDGE_LISTEN", &c.Listen)
	set("CUNYOU_EDGE_TIMEZONE", &c.Timezone)
	set("CUNYOU_EDGE_SYNCHRONOUS", &c.Synchronous)
	set("CUNYOU_EDGE_LOG_LEVEL", &c.LogLevel)
	set("CUNYOU_EDGE_UI_DIR", &c.UIDir)
	c.Kind = syncproto.NodeKind(kind)
}

// Validate checks every field and names the first bad one.
func (c Config) Validate() error {
	if c.Node != "" && !store.ValidNodeID(c.Node) {
		return fmt.Errorf("config: node %q: use 1-64 letters, digits, - or _", c.Node)
	}
	if !c.Kind.Valid() {
		return fmt.Errorf("config: kind %q: use station or centre", c.Kind)
	}
	if c.DataDir == "" {
		return errors.New("config: data_dir is empty")
	}
	host, _, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return fmt.Errorf("config: listen %q: %w", c.Listen, err)
	}
	if !c.AllowRemote && !isLoopback(host) {
		return fmt.Errorf("config: listen %q is not loopback; the kiosk serves the local browser only (set allow_remote to override)", c.Listen)
	}
	if _, err := time.LoadLocation(c.Timezone); err != nil {
		return fmt.Errorf("config: timezone %q: %w", c.Timezone, err)
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

// DBPath is the database file in DataDir.
func (c Config) DBPath() string { return filepath.Join(c.DataDir, "edge.db") }

// Location returns the station's time zone.
func (c Config) Location() *time.Location {
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return time.Local
	}
	return loc
}

// StoreOptions are the store settings this config asks for.
func (c Config) StoreOptions() store.Options {
	return store.Options{Node: c.Node, Kind: c.Kind, BusyTimeout: time.Duration(c.BusyTimeout), Synchronous: c.Synchronous}
}
