// Package confkit holds what the edge's and the hub's settings have in
// common: durations written as "5s", a strict JSON file with a format
// version, environment variables named by struct tags, and the checks of
// the shared fields (listen address, SQLite durability, log level).
package confkit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration written as "5s" in JSON.
type Duration time.Duration

func (d Duration) String() string { return time.Duration(d).String() }

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

// ReadFile decodes the JSON file at path over dst, refusing fields dst
// does not have. A file that declares a format newer than current (its
// "version", read into *version) is refused; an older one is taken as the
// current format, since every change so far only added fields.
func ReadFile(path string, dst any, version *int, current int) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	if *version > current {
		return fmt.Errorf("config %s: version %d is newer than this program (%d)", path, *version, current)
	}
	*version = current
	return nil
}

// Load reads the JSON file at path (none when path is empty) over dst,
// then the environment (ApplyEnv): the variables win over the file.
func Load(path string, dst any, version *int, current int) error {
	if path != "" {
		if err := ReadFile(path, dst, version, current); err != nil {
			return err
		}
	}
	return ApplyEnv(dst, os.Getenv)
}

// DefaultDataDir is where program keeps its data unless told otherwise:
// %ProgramData%\program on Windows, /var/lib/program elsewhere.
func DefaultDataDir(program string) string {
	if dir := os.Getenv("ProgramData"); dir != "" {
		return filepath.Join(dir, program)
	}
	return "/var/lib/" + program
}

var durationType = reflect.TypeOf(Duration(0))

// ApplyEnv sets each field of the struct dst points at that has an
// `env:"NAME"` tag from the variable NAME when getenv returns it non-empty,
// and likewise the fields of its untagged struct fields (sections).
// Fields may be strings (or string types), bools, ints and Durations. Every
// bad value is reported, by name.
func ApplyEnv(dst any, getenv func(string) string) error {
	v := reflect.ValueOf(dst).Elem()
	t := v.Type()
	var errs []error
	for i := range t.NumField() {
		name := t.Field(i).Tag.Get("env")
		if name == "" {
			if f := v.Field(i); f.Kind() == reflect.Struct && f.CanAddr() && t.Field(i).IsExported() {
				// A section (the edge's modem): its own tagged fields.
				if err := ApplyEnv(f.Addr().Interface(), getenv); err != nil {
					errs = append(errs, err)
				}
			}
			continue
		}
		s := getenv(name)
		if s == "" {
			continue
		}
		f := v.Field(i)
		switch {
		case f.Type() == durationType:
			d, err := time.ParseDuration(s)
			if err != nil {
				errs = append(errs, fmt.Errorf("config: %s=%q: not a duration like 5s", name, s))
				continue
			}
			f.SetInt(int64(d))
		case f.Kind() == reflect.String:
			f.SetString(s)
		case f.Kind() == reflect.Bool:
			b, err := strconv.ParseBool(s)
			if err != nil {
				errs = append(errs, fmt.Errorf("config: %s=%q: use true or false", name, s))
				continue
			}
			f.SetBool(b)
		case f.CanInt():
			n, err := strconv.ParseInt(s, 10, f.Type().Bits())
			if err != nil {
				errs = append(errs, fmt.Errorf("config: %s=%q: not a number", name, s))
				continue
			}
			f.SetInt(n)
		default:
			panic("confkit: field " + t.Field(i).Name + " of type " + f.Type().String() + " cannot come from the environment")
		}
	}
	return errors.Join(errs...)
}

// EnvHelp lists the variables ApplyEnv reads for a struct of cfg's type,
// each with its `help` tag, for the README and the command's help.
func EnvHelp(cfg any) map[string]string {
	t := reflect.TypeOf(cfg)
	out := map[string]string{}
	for i := range t.NumField() {
		f := t.Field(i)
		if name := f.Tag.Get("env"); name != "" {
			out[name] = f.Tag.Get("help")
		} else if f.Type.Kind() == reflect.Struct && f.IsExported() {
			for k, v := range EnvHelp(reflect.Zero(f.Type).Interface()) {
				out[k] = v
			}
		}
	}
	return out
}

// IsLoopback reports whether host (a name or an IP) is this machine only.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CheckListen checks a listen address; unless allowRemote it must be
// loopback, and why names what the service is, for the error.
func CheckListen(listen string, allowRemote bool, why string) error {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("config: listen %q: %w", listen, err)
	}
	if !allowRemote && !IsLoopback(host) {
		return fmt.Errorf("config: listen %q is not loopback; %s", listen, why)
	}
	return nil
}

// CheckStorage checks the settings every SQLite-backed program shares.
func CheckStorage(dataDir, synchronous string, busyTimeout Duration, logLevel string) error {
	if dataDir == "" {
		return errors.New("config: data_dir is empty")
	}
	switch strings.ToUpper(synchronous) {
	case "FULL", "NORMAL":
	default:
		return fmt.Errorf("config: synchronous %q: use FULL or NORMAL", synchronous)
	}
	if busyTimeout <= 0 {
		return errors.New("config: busy_timeout must be positive")
	}
	switch logLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("config: log_level %q: use debug, info, warn or error", logLevel)
	}
	return nil
}
