// Package config reads cunyou-hub's settings: defaults, then a JSON file,
// then CUNYOU_HUB_* environment variables, then Validate.
package config

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"time"

	"cunyou/confkit"
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
	DataDir string `json:"data_dir" env:"CUNYOU_HUB_DATA_DIR" help:"data folder"`
	// Listen is the sync API's address. Loopback unless AllowRemote is
	// set (behind a TLS-terminating proxy, keep it loopback).
	Listen      string `json:"listen" env:"CUNYOU_HUB_LISTEN" help:"sync API listen address"`
	AllowRemote bool   `json:"allow_remote" env:"CUNYOU_HUB_ALLOW_REMOTE" help:"true to listen beyond loopback"`
	// TLSCert and TLSKey serve HTTPS when both are set.
	TLSCert string `json:"tls_cert" env:"CUNYOU_HUB_TLS_CERT" help:"TLS certificate file (PEM)"`
	TLSKey  string `json:"tls_key" env:"CUNYOU_HUB_TLS_KEY" help:"TLS key file (PEM)"`
	// MaxMerges bounds concurrent ops merges; past it, uploads wait
	// MergeWait and are then told to come back (503 busy).
	MaxMerges int      `json:"max_merges" env:"CUNYOU_HUB_MAX_MERGES" help:"concurrent ops merges"`
	MergeWait Duration `json:"merge_wait" env:"CUNYOU_HUB_MERGE_WAIT" help:"how long an upload waits for a merge slot"`
	// MaxUploads bounds ops uploads in progress (reading their bodies or
	// merging); past it, 503 busy at once.
	MaxUploads int `json:"max_uploads" env:"CUNYOU_HUB_MAX_UPLOADS" help:"concurrent ops uploads"`
	// MaxBatchBytes bounds an ops upload's body.
	MaxBatchBytes int64 `json:"max_batch_bytes" env:"CUNYOU_HUB_MAX_BATCH_BYTES" help:"largest ops upload body"`
	// MaxBlobBytes bounds one blob (a photo).
	MaxBlobBytes int64 `json:"max_blob_bytes" env:"CUNYOU_HUB_MAX_BLOB_BYTES" help:"largest blob"`
	// MaxSkew is how far ahead of the hub an op's clock may be before the
	// op counts as skewed.
	MaxSkew Duration `json:"max_skew" env:"CUNYOU_HUB_MAX_SKEW" help:"clock skew beyond which ops count as skewed"`
	// AdminToken guards /api/v1 (the console's API); empty disables it.
	AdminToken string `json:"admin_token" env:"CUNYOU_HUB_ADMIN_TOKEN" help:"bearer token of the console API"`
	// MetricsToken, when set, is the bearer token GET /metrics requires;
	// set it when the hub listens beyond loopback.
	MetricsToken string `json:"metrics_token" env:"CUNYOU_HUB_METRICS_TOKEN" help:"bearer token GET /metrics requires (none: open)"`
	// Synchronous is SQLite's commit durability: FULL (default) or NORMAL.
	Synchronous string `json:"synchronous" env:"CUNYOU_HUB_SYNCHRONOUS" help:"FULL or NORMAL"`
	// BusyTimeout is how long a write waits for another process (a CLI
	// command beside the server).
	BusyTimeout Duration `json:"busy_timeout" env:"CUNYOU_HUB_BUSY_TIMEOUT" help:"database lock wait"`
	// TrustedProxies are the reverse proxies (CIDR prefixes, e.g.
	// 10.0.0.0/8) whose X-Forwarded-For names the client, for the public
	// pages' limits. None: the connection's address is the client.
	TrustedProxies []string `json:"trusted_proxies"`
	// SMS configures the arrival SMS: signature, quiet hours, per-phone
	// limits and the gateways in failover order.
	SMS SMS `json:"sms"`
	// GPS configures the JT/T 808 server of the vehicles' terminals.
	GPS GPS `json:"gps"`
	// Console configures the console's sessions and lockout.
	Console Console `json:"console"`
	// Timezone counts the county's days (trips, statistics).
	Timezone string `json:"timezone" env:"CUNYOU_HUB_TIMEZONE" help:"time zone of the county's days"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `json:"log_level" env:"CUNYOU_HUB_LOG_LEVEL" help:"debug, info, warn, error"`
}

// Duration is a time.Duration written as "5s" in JSON.
type Duration = confkit.Duration

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
		Timezone:      "Asia/Shanghai",
		SMS:           SMS{Window: Duration(2 * time.Second), LateHold: Duration(time.Minute)},
		Console:       DefaultConsole(),
		GPS:           GPS{Listen: "127.0.0.1:5015", IdleTimeout: Duration(3 * time.Minute)},
	}
}

func defaultDataDir() string { return confkit.DefaultDataDir("cunyou-hub") }

// Load reads path (if not empty) over the defaults, then the environment.
func Load(path string) (Config, error) {
	c := Default()
	err := confkit.Load(path, &c, &c.Version, Version)
	return c, err
}

// Env lists the environment variables Load reads, for the README and help.
var Env = confkit.EnvHelp(Config{})

// Validate checks every field and names the first bad one.
func (c Config) Validate() error {
	if err := confkit.CheckStorage(c.DataDir, c.Synchronous, c.BusyTimeout, c.LogLevel); err != nil {
		return err
	}
	if err := confkit.CheckListen(c.Listen, c.AllowRemote,
		"set allow_remote to listen on the network, with tls_cert and tls_key or behind a TLS proxy"); err != nil {
		return err
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
	case badPrefix(c.TrustedProxies) != "":
		return fmt.Errorf("config: trusted_proxies: %q is no CIDR prefix like 10.0.0.0/8", badPrefix(c.TrustedProxies))
	case c.SMS.validate() != nil:
		return c.SMS.validate()
	case c.GPS.validate() != nil:
		return c.GPS.validate()
	case c.Console.validate() != nil:
		return c.Console.validate()
	case !validZone(c.Timezone):
		return fmt.Errorf("config: timezone %q: give a zone like Asia/Shanghai", c.Timezone)
	case c.MetricsToken != "" && len(c.MetricsToken) < 16:
		return errors.New("config: metrics_token: use at least 16 characters (or none to leave /metrics open)")
	case c.AdminToken != "" && len(c.AdminToken) < 16:
		return errors.New("config: admin_token: use at least 16 characters (or none to disable the console API)")
	}
	return nil
}

// StoreOptions are the store settings this config asks for.
func (c Config) StoreOptions() store.Options {
	return store.Options{BusyTimeout: time.Duration(c.BusyTimeout), Synchronous: c.Synchronous}
}

// MergeOptions are the merge settings this config asks for.
func (c Config) MergeOptions() merge.Options {
	return merge.Options{MaxSkew: time.Duration(c.MaxSkew)}
}

func validZone(name string) bool {
	_, err := time.LoadLocation(name)
	return name != "" && err == nil
}

// Location returns the county's time zone.
func (c Config) Location() *time.Location {
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return time.Local
	}
	return loc
}

// SMS configures the arrival SMS.
type SMS struct {
	// Sign is the approved signature, without brackets (望奎村邮).
	Sign string `json:"sign"`
	// Quiet is the county's default quiet hours (HH:MM-HH:MM); a
	// station's own win.
	Quiet string `json:"quiet"`
	// Window is how long an arrival waits for more parcels of the same
	// phone to go out in one SMS.
	Window Duration `json:"window"`
	// LateHold holds the notice of a scan-in that reaches the hub more
	// than this late (its station was offline) for as long, so a station
	// that sent the SMS itself through its modem can say so first (0:
	// no hold). Keep the stations' modem.after at least this long.
	LateHold Duration `json:"late_hold"`
	// PerMinute, PerHour, PerDay bound the messages one phone gets.
	PerMinute int `json:"per_minute"`
	PerHour   int `json:"per_hour"`
	PerDay    int `json:"per_day"`
	// Gateways, in failover order. None: notices wait in the database.
	Gateways []Gateway `json:"gateways"`
}

// Gateway is one SMS gateway.
type Gateway struct {
	// Type is smpp, aliyun or tencent.
	Type string `json:"type"`
	// SMPP: the SMSC's address and the account.
	Addr       string `json:"addr,omitempty"`
	SystemID   string `json:"system_id,omitempty"`
	Password   string `json:"password,omitempty"`
	SourceAddr string `json:"source_addr,omitempty"`
	// Window is how many submissions may wait for the SMSC's answer at
	// once (10); agree it with the operator: a link carries about
	// window ÷ round trip messages a second.
	Window int `json:"window,omitempty"`
	// Clouds: endpoint (default the provider's), credentials, region,
	// and Tencent's SmsSdkAppId.
	Endpoint  string `json:"endpoint,omitempty"`
	KeyID     string `json:"key_id,omitempty"`
	KeySecret string `json:"key_secret,omitempty"`
	Region    string `json:"region,omitempty"`
	AppID     string `json:"app_id,omitempty"`
}

// GPS configures the JT/T 808 server: vehicle terminals connect over TCP
// and report their positions.
type GPS struct {
	// Enabled starts the server with serve.
	Enabled bool `json:"enabled" env:"CUNYOU_HUB_GPS_ENABLED" help:"true to accept JT/T 808 vehicle terminals"`
	// Listen is its address (Traccar's JT/T 808 port is 5015). Loopback
	// unless AllowRemote is set: terminals come over the mobile network,
	// so a county opens it to them through its firewall.
	Listen      string `json:"listen" env:"CUNYOU_HUB_GPS_LISTEN" help:"JT/T 808 listen address"`
	AllowRemote bool   `json:"allow_remote" env:"CUNYOU_HUB_GPS_ALLOW_REMOTE" help:"true to accept terminals beyond loopback"`
	// IdleTimeout closes a terminal's connection that sent nothing so long
	// (terminals send heartbeats every minute or so).
	IdleTimeout Duration `json:"idle_timeout" env:"CUNYOU_HUB_GPS_IDLE_TIMEOUT" help:"close a silent terminal's connection after"`
}

func (g GPS) validate() error {
	if err := confkit.CheckListen(g.Listen, g.AllowRemote,
		"set gps.allow_remote to accept terminals from the network"); err != nil {
		return errors.New(strings.Replace(err.Error(), "config: listen", "config: gps.listen", 1))
	}
	if g.IdleTimeout < Duration(10*time.Second) || g.IdleTimeout > Duration(time.Hour) {
		return fmt.Errorf("config: gps.idle_timeout %s: use 10s to 1h", time.Duration(g.IdleTimeout))
	}
	return nil
}

var quietRe = regexp.MustCompile(`^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$`)

func (s SMS) validate() error {
	if s.Quiet != "" && !quietRe.MatchString(s.Quiet) {
		return fmt.Errorf("config: sms.quiet %q: use HH:MM-HH:MM", s.Quiet)
	}
	if s.Window < 0 || time.Duration(s.Window) > 10*time.Minute {
		return errors.New("config: sms.window: use 0 to 10m")
	}
	if s.LateHold < 0 || s.LateHold > Duration(time.Hour) {
		return errors.New("config: sms.late_hold: use 0 to 1h (1m is the default)")
	}
	if s.PerMinute < 0 || s.PerHour < 0 || s.PerDay < 0 {
		return errors.New("config: sms limits must not be negative")
	}
	if len(s.Gateways) > 0 && strings.TrimSpace(s.Sign) == "" {
		return errors.New("config: sms.sign: give the approved signature (e.g. 望奎村邮)")
	}
	for i, g := range s.Gateways {
		switch g.Type {
		case "smpp":
			if g.Addr == "" || g.SystemID == "" {
				return fmt.Errorf("config: sms.gateways[%d]: smpp needs addr and system_id", i)
			}
		case "aliyun", "tencent":
			if g.KeyID == "" || g.KeySecret == "" {
				return fmt.Errorf("config: sms.gateways[%d]: %s needs key_id and key_secret", i, g.Type)
			}
			if g.Type == "tencent" && g.AppID == "" {
				return fmt.Errorf("config: sms.gateways[%d]: tencent needs app_id (SmsSdkAppId)", i)
			}
		default:
			return fmt.Errorf("config: sms.gateways[%d]: type %q: use smpp, aliyun or tencent", i, g.Type)
		}
	}
	return nil
}

func badPrefix(ps []string) string {
	for _, p := range ps {
		if _, err := netip.ParsePrefix(p); err != nil {
			return p
		}
	}
	return ""
}

// Proxies returns TrustedProxies parsed (Validate has checked them).
func (c Config) Proxies() []netip.Prefix {
	var out []netip.Prefix
	for _, p := range c.TrustedProxies {
		if pp, err := netip.ParsePrefix(p); err == nil {
			out = append(out, pp)
		}
	}
	return out
}
