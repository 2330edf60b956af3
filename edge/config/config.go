// Package config reads cunyou-edge's settings: defaults, then a JSON file,
// then CUNYOU_EDGE_* environment variables, then Validate.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
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
	// HubURL, when set, overrides the hub address stored at enrollment
	// (the hub moved). CAFile likewise names a PEM file of the county's
	// certificate authority, trusted beside the system's.
	HubURL string `json:"hub_url"`
	CAFile string `json:"ca_file"`
	// SyncInterval is the pause between sync cycles once all is sent.
	SyncInterval Duration `json:"sync_interval"`
	// SafetyWindow is how long ops the hub acknowledged are kept, so a hub
	// restored from an older backup can be refilled.
	SafetyWindow Duration `json:"safety_window"`
	// Watchdog restarts the sync loop when nothing was acknowledged for
	// this long while ops wait.
	Watchdog Duration `json:"watchdog"`
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
		Version:      Version,
		Kind:         syncproto.NodeStation,
		DataDir:      defaultDataDir(),
		Listen:       "127.0.0.1:8700",
		Timezone:     "Asia/Shanghai",
		Synchronous:  "FULL",
		BusyTimeout:  Duration(5 * time.Second),
		LogLevel:     "info",
		SyncInterval: Duration(10 * time.Second),
		SafetyWindow: Duration(store.DefaultSafetyWindow),
		Watchdog:     Duration(10 * time.Minute),
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
	if err := c.applyEnv(os.Getenv); err != nil {
		return c, err
	}
	return c, nil
}

// Env lists the environment variables Load reads, for the README and help.
var Env = map[string]string{
	"CUNYOU_EDGE_NODE":          "node id for init",
	"CUNYOU_EDGE_KIND":          "station or centre",
	"CUNYOU_EDGE_DATA_DIR":      "data folder",
	"CUNYOU_EDGE_LISTEN":        "kiosk listen address",
	"CUNYOU_EDGE_TIMEZONE":      "time zone of the station's days",
	"CUNYOU_EDGE_SYNCHRONOUS":   "FULL or NORMAL",
	"CUNYOU_EDGE_LOG_LEVEL":     "debug, info, warn, error",
	"CUNYOU_EDGE_UI_DIR":        "serve the kiosk page from this folder",
	"CUNYOU_EDGE_HUB_URL":       "hub address, overriding the one from enrollment",
	"CUNYOU_EDGE_CA_FILE":       "PEM file of the county's certificate authority",
	"CUNYOU_EDGE_SYNC_INTERVAL": "pause between sync cycles, e.g. 10s",
	"CUNYOU_EDGE_SAFETY_WINDOW": "how long acknowledged ops are kept, e.g. 168h",
	"CUNYOU_EDGE_WATCHDOG":      "restart a sync loop silent this long, e.g. 10m",
}

func (c *Config) applyEnv(getenv func(string) string) error {
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
	set("CUNYOU_EDGE_HUB_URL", &c.HubURL)
	set("CUNYOU_EDGE_CA_FILE", &c.CAFile)
	c.Kind = syncproto.NodeKind(kind)
	for name, dst := range map[string]*Duration{
		"CUNYOU_EDGE_SYNC_INTERVAL": &c.SyncInterval,
		"CUNYOU_EDGE_SAFETY_WINDOW": &c.SafetyWindow,
		"CUNYOU_EDGE_WATCHDOG":      &c.Watchdog,
	} {
		if v := getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("config: %s %q: %w", name, v, err)
			}
			*dst = Duration(d)
		}
	}
	return nil
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
	if c.HubURL != "" {
		u, err := url.Parse(c.HubURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("config: hub_url %q: use https://host[:port]", c.HubURL)
		}
	}
	if c.SyncInterval < Duration(time.Second) || c.SyncInterval > Duration(24*time.Hour) {
		return errors.New("config: sync_interval must be between 1s and 24h")
	}
	if c.SafetyWindow < Duration(time.Hour) {
		return errors.New("config: safety_window must be at least 1h (168h is the default)")
	}
	if c.Watchdog < 2*c.SyncInterval {
		return fmt.Errorf("config: watchdog %s must be at least twice sync_interval %s",
			time.Duration(c.Watchdog), time.Duration(c.SyncInterval))
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
