// Package config reads cunyou-edge's settings: defaults, then a JSON file,
// then CUNYOU_EDGE_* environment variables, then Validate.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"time"

	"cunyou/confkit"
	"cunyou/drivers/printer"
	"cunyou/drivers/scanner"
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
	Node string             `json:"node" env:"CUNYOU_EDGE_NODE" help:"node id for init"`
	Kind syncproto.NodeKind `json:"kind" env:"CUNYOU_EDGE_KIND" help:"station or centre"`
	// DataDir holds the database (edge.db), its backups and logs.
	DataDir string `json:"data_dir" env:"CUNYOU_EDGE_DATA_DIR" help:"data folder"`
	// Listen is the kiosk's address. Loopback unless AllowRemote is set.
	Listen      string `json:"listen" env:"CUNYOU_EDGE_LISTEN" help:"kiosk listen address"`
	AllowRemote bool   `json:"allow_remote"`
	// Timezone counts the station's days (day close, overdue).
	Timezone string `json:"timezone" env:"CUNYOU_EDGE_TIMEZONE" help:"time zone of the station's days"`
	// Synchronous is SQLite's commit durability: FULL (default) or NORMAL.
	Synchronous string `json:"synchronous" env:"CUNYOU_EDGE_SYNCHRONOUS" help:"FULL or NORMAL"`
	// BusyTimeout is how long a write waits for another process.
	BusyTimeout Duration `json:"busy_timeout"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `json:"log_level" env:"CUNYOU_EDGE_LOG_LEVEL" help:"debug, info, warn, error"`
	// UIDir serves the kiosk page from disk instead of the embedded copy
	// (for developing the page).
	UIDir string `json:"ui_dir" env:"CUNYOU_EDGE_UI_DIR" help:"serve the kiosk page from this folder"`
	// HubURL, when set, overrides the hub address stored at enrollment
	// (the hub moved). CAFile likewise names a PEM file of the county's
	// certificate authority, trusted beside the system's.
	HubURL string `json:"hub_url" env:"CUNYOU_EDGE_HUB_URL" help:"hub address, overriding the one from enrollment"`
	CAFile string `json:"ca_file" env:"CUNYOU_EDGE_CA_FILE" help:"PEM file of the county's certificate authority"`
	// SyncInterval is the pause between sync cycles once all is sent.
	SyncInterval Duration `json:"sync_interval" env:"CUNYOU_EDGE_SYNC_INTERVAL" help:"pause between sync cycles, e.g. 10s"`
	// SafetyWindow is how long ops the hub acknowledged are kept, so a hub
	// restored from an older backup can be refilled.
	SafetyWindow Duration `json:"safety_window" env:"CUNYOU_EDGE_SAFETY_WINDOW" help:"how long acknowledged ops are kept, e.g. 168h"`
	// Watchdog restarts the sync loop when nothing was acknowledged for
	// this long while ops wait.
	Watchdog Duration `json:"watchdog" env:"CUNYOU_EDGE_WATCHDOG" help:"restart a sync loop silent this long, e.g. 10m"`
	// Modem is the station's LTE modem, through which it sends the arrival
	// SMS itself when the hub has not acknowledged a parcel's inbound op
	// within Modem.After (its link down).
	Modem Modem `json:"modem"`
	// Devices are the station's ID-card readers, scan guns, label
	// printers and cameras (edge/devices runs them); none by default.
	Devices []Device `json:"devices"`
}

// Modem configures the station's own arrival SMS.
type Modem struct {
	// Port is the modem's AT port (/dev/ttyUSB2, COM5); empty: no modem.
	Port string `json:"port" env:"CUNYOU_EDGE_MODEM_PORT" help:"the LTE modem's AT port, e.g. /dev/ttyUSB2 (none: the hub sends every SMS)"`
	// Baud is the port's speed (115200; USB modems ignore it).
	Baud int `json:"baud"`
	// After is how long an inbound op may wait for the hub before the
	// station sends its SMS itself.
	After Duration `json:"after" env:"CUNYOU_EDGE_MODEM_AFTER" help:"send the arrival SMS through the modem when the hub has not had the parcel this long, e.g. 10m"`
}

// Duration is a time.Duration written as "5s" in JSON.
type Duration = confkit.Duration

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
		Modem:        Modem{Baud: 115200, After: Duration(10 * time.Minute)},
		Devices:      []Device{},
	}
}

func defaultDataDir() string { return confkit.DefaultDataDir("cunyou-edge") }

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
	if c.Node != "" && !store.ValidNodeID(c.Node) {
		return fmt.Errorf("config: node %q: use 1-64 letters, digits, - or _", c.Node)
	}
	if !c.Kind.Valid() {
		return fmt.Errorf("config: kind %q: use station or centre", c.Kind)
	}
	if err := confkit.CheckStorage(c.DataDir, c.Synchronous, c.BusyTimeout, c.LogLevel); err != nil {
		return err
	}
	if err := confkit.CheckListen(c.Listen, c.AllowRemote, "the kiosk serves the local browser only (set allow_remote to override)"); err != nil {
		return err
	}
	if _, err := time.LoadLocation(c.Timezone); err != nil {
		return fmt.Errorf("config: timezone %q: %w", c.Timezone, err)
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
	if c.Modem.Port != "" && (c.Modem.After < Duration(10*time.Second) || c.Modem.After > Duration(24*time.Hour)) {
		return errors.New("config: modem.after must be between 10s and 24h (10m is the default)")
	}
	if err := validateDevices(c.Devices); err != nil {
		return err
	}
	if c.Watchdog < 2*c.SyncInterval {
		return fmt.Errorf("config: watchdog %s must be at least twice sync_interval %s",
			time.Duration(c.Watchdog), time.Duration(c.SyncInterval))
	}
	return nil
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

// Device kinds, as the config file names them.
const (
	DeviceIDCard       = "idcard"
	DeviceScanner      = "scanner"
	DevicePrinter      = "printer"
	DeviceCameraHTTP   = "camera_http"
	DeviceCameraFolder = "camera_folder"
)

// Device is one configured device. Which fields apply depends on Kind:
//
//	idcard         port or usb, baud
//	scanner        port or usb, baud, suffix (CR, LF, CRLF, TAB), prefix
//	printer        transport ("tcp:192.168.1.50:9100", "serial:/dev/ttyUSB0@9600",
//	               "usb:/dev/usb/lp0", "file:/path"), or port or usb for a
//	               serial printer; language (tspl, zpl, escpos)
//	camera_http    url of the snapshot, user, password, auth ("", basic, digest)
//	camera_folder  folder the document camera's software saves into
type Device struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Port is the serial port (/dev/ttyUSB0, COM3); empty: found by USB.
	Port string `json:"port,omitempty"`
	// USB is "VID:PID" in hex (1a86:7523): the serial port whose USB
	// device has these ids, looked for whenever the device is opened.
	USB       string `json:"usb,omitempty"`
	Baud      int    `json:"baud,omitempty"`
	Language  string `json:"language,omitempty"`
	Transport string `json:"transport,omitempty"`
	URL       string `json:"url,omitempty"`
	User      string `json:"user,omitempty"`
	Password  string `json:"password,omitempty"`
	Auth      string `json:"auth,omitempty"`
	Folder    string `json:"folder,omitempty"`
	Suffix    string `json:"suffix,omitempty"`
	Prefix    string `json:"prefix,omitempty"`
}

var (
	deviceNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)
	usbIDRe      = regexp.MustCompile(`^[0-9a-fA-F]{4}:[0-9a-fA-F]{4}$`)
)

// validateDevices checks every device and names the first bad field as
// devices[i].field.
func validateDevices(ds []Device) error {
	seen := map[string]bool{}
	for i, d := range ds {
		field := func(f string) string { return fmt.Sprintf("devices[%d].%s", i, f) }
		if !deviceNameRe.MatchString(d.Name) {
			return fmt.Errorf("config: %s %q: use 1-32 lowercase letters, digits, - or _", field("name"), d.Name)
		}
		if seen[d.Name] {
			return fmt.Errorf("config: %s %q: given twice", field("name"), d.Name)
		}
		seen[d.Name] = true
		if d.USB != "" && !usbIDRe.MatchString(d.USB) {
			return fmt.Errorf("config: %s %q: use VID:PID in hex, e.g. 1a86:7523", field("usb"), d.USB)
		}
		if d.Baud < 0 || d.Baud > 4_000_000 {
			return fmt.Errorf("config: %s %d: use a speed such as 9600 or 115200", field("baud"), d.Baud)
		}
		serial := d.Port != "" || d.USB != ""
		switch d.Kind {
		case DeviceIDCard:
			if !serial {
				return fmt.Errorf("config: %s: give the reader's port, or usb VID:PID to find it", field("port"))
			}
		case DeviceScanner:
			if !serial {
				return fmt.Errorf("config: %s: give the scan gun's port, or usb VID:PID to find it", field("port"))
			}
			if d.Suffix != "" {
				if _, err := scanner.ParseSuffix(d.Suffix); err != nil {
					return fmt.Errorf("config: %s %q: use CR, LF, CRLF or TAB", field("suffix"), d.Suffix)
				}
			}
		case DevicePrinter:
			if d.Language != "" {
				if _, err := printer.ParseLanguage(d.Language); err != nil {
					return fmt.Errorf("config: %s %q: use tspl, zpl or escpos", field("language"), d.Language)
				}
			}
			switch {
			case d.Transport != "":
				if _, err := printer.ParseTransport(d.Transport); err != nil {
					return fmt.Errorf("config: %s %q: %w", field("transport"), d.Transport, err)
				}
			case !serial:
				return fmt.Errorf("config: %s: give the printer's address (tcp:HOST:9100, serial:PORT, usb:/dev/usb/lp0, file:PATH), or port or usb", field("transport"))
			}
		case DeviceCameraHTTP:
			u, err := url.Parse(d.URL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return fmt.Errorf("config: %s %q: use the camera's snapshot address, http://host/path", field("url"), d.URL)
			}
			if d.Auth != "" && d.Auth != "basic" && d.Auth != "digest" {
				return fmt.Errorf("config: %s %q: use basic, digest or leave it empty", field("auth"), d.Auth)
			}
		case DeviceCameraFolder:
			if d.Folder == "" {
				return fmt.Errorf("config: %s: give the folder the document camera saves into", field("folder"))
			}
		default:
			return fmt.Errorf("config: %s %q: use idcard, scanner, printer, camera_http or camera_folder", field("kind"), d.Kind)
		}
	}
	return nil
}
