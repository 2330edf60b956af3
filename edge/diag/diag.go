// Package diag is a technician's report on a station's PC: the database,
// the disk, backups, the clock, the hub link, sync and the devices, each a
// check that ends ok, warn or fail and, when not ok, says what to do in
// plain words. It reads the database read-only (it never takes a write
// lock), so it runs beside `cunyou-edge serve` as well as without it.
//
// Devices plug in as Checks: the code that knows a device builds a Check
// whose Run opens it, shakes hands and returns a Result made with OK, Warn
// or Fail, and hands it to Run in Options.Devices:
//
//	diag.Check{Name: "device.idcard", Run: func(ctx context.Context) diag.Result {
//		id, err := reader.SAMID(ctx)
//		if err != nil {
//			return diag.Fail(diag.M("device.handshake", err), diag.M("fix.device_cable"))
//		}
//		return diag.OK(diag.M("device.sam_id", id))
//	}}
//
// Details and fixes are Msgs: a key of the message table (messages.go) and
// its arguments, rendered in the report's language; Plain carries text that
// reads the same in every language (an error from a driver, say).
package diag

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"cunyou/edge/config"
)

// Status is how a check ended.
type Status string

const (
	StatusOK   Status = "ok"
	StatusWarn Status = "warn"
	StatusFail Status = "fail"
)

// rank orders statuses from good to bad.
func (s Status) rank() int {
	switch s {
	case StatusOK:
		return 0
	case StatusWarn:
		return 1
	}
	return 2
}

// worse returns the worse of two statuses.
func worse(a, b Status) Status {
	if b.rank() > a.rank() {
		return b
	}
	return a
}

// Result is what one check found: its status, what it saw and, unless it
// is ok, what to do.
type Result struct {
	Status Status
	Detail Msg
	Fix    Msg
}

// OK is a passing result.
func OK(detail Msg) Result { return Result{Status: StatusOK, Detail: detail} }

// Warn is a result that needs attention soon.
func Warn(detail, fix Msg) Result { return Result{Status: StatusWarn, Detail: detail, Fix: fix} }

// Fail is a result that stops the station from working properly now.
func Fail(detail, fix Msg) Result { return Result{Status: StatusFail, Detail: detail, Fix: fix} }

// Check is one named check: Name is a stable ASCII id (device checks are
// named "device.<name>"); Run is bounded by its context's deadline.
type Check struct {
	Name string
	Run  func(ctx context.Context) Result
}

// Line is one check's result in a report.
type Line struct {
	Name string
	Result
}

// Report is the outcome of every check, in a fixed order.
type Report struct {
	Node    string
	Version string
	At      time.Time
	Lines   []Line
}

// Status is the worst status of the report.
func (r Report) Status() Status {
	st := StatusOK
	for _, l := range r.Lines {
		st = worse(st, l.Status)
	}
	return st
}

// ExitCode is the command's exit status: 0 when every check is ok, 1 when
// any warns, 2 when any fails.
func (r Report) ExitCode() int { return r.Status().rank() }

// Count returns how many checks ended with status s.
func (r Report) Count(s Status) int {
	n := 0
	for _, l := range r.Lines {
		if l.Status == s {
			n++
		}
	}
	return n
}

// Line returns the line of the named check, and false when there is none.
func (r Report) Line(name string) (Line, bool) {
	for _, l := range r.Lines {
		if l.Name == name {
			return l, true
		}
	}
	return Line{}, false
}

// Options are what Run checks.
type Options struct {
	// Config is the configuration as loaded (defaults when loading it
	// failed); ConfigFile the file it came from ("" for none) and
	// ConfigErr why loading it failed.
	Config     config.Config
	ConfigFile string
	ConfigErr  error
	// Version is this program's version.
	Version string
	// Full runs PRAGMA integrity_check instead of quick_check.
	Full bool
	// BackupDir is where the station's backups are kept; DATA_DIR/backups
	// when empty. The data folder itself is searched too (the copies
	// kept before migrations).
	BackupDir string
	// Timeout bounds each call to the hub and to the local kiosk; 5 s
	// when 0.
	Timeout time.Duration
	// DeviceTimeout bounds each device check; 10 s when 0.
	DeviceTimeout time.Duration
	// Devices are the checks of the configured devices, in order. None
	// is reported as one line saying so.
	Devices []Check
	// Now is the wall clock; time.Now when nil.
	Now func() time.Time
}

func (o *Options) defaults() {
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.DeviceTimeout <= 0 {
		o.DeviceTimeout = 10 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.BackupDir == "" {
		o.BackupDir = defaultBackupDir(o.Config.DataDir)
	}
}

// Run gathers what the checks look at, the local files and database first,
// then the hub and the local kiosk, and returns every check's result.
func Run(ctx context.Context, o Options) Report {
	o.defaults()
	loc := o.Config.Location()
	f := &facts{o: o, now: o.Now().In(loc), loc: loc}
	f.gatherLocal(ctx)
	// The local kiosk first: whether serve runs decides whether the
	// modem may be opened.
	f.serve = probeServe(ctx, f)
	devices := o.Devices
	if o.Config.Modem.Port != "" {
		devices = append([]Check{modemCheck(f)}, devices...)
	}
	var (
		wg    sync.WaitGroup
		lines []Line
	)
	wg.Go(func() { f.hub = probeHub(ctx, f) })
	wg.Go(func() { lines = runDevices(ctx, devices, o.DeviceTimeout) })
	wg.Wait()
	rep := Report{Node: f.db.id.node, Version: o.Version, At: f.now}
	for _, c := range localChecks {
		rep.Lines = append(rep.Lines, Line{Name: c.name, Result: c.run(f)})
	}
	rep.Lines = append(rep.Lines, lines...)
	return rep
}

// localChecks are the checks of the station itself, in report order; each
// judges the facts gathered by Run.
var localChecks = []struct {
	name string
	run  func(f *facts) Result
}{
	{"version", checkVersion},
	{"config", checkConfig},
	{"db.integrity", checkIntegrity},
	{"db.size", checkDBSize},
	{"db.wal", checkWAL},
	{"disk.free", checkDisk},
	{"backup.recent", checkBackups},
	{"clock.skew", checkClock},
	{"hub.reach", checkHubReach},
	{"hub.tls", checkHubTLS},
	{"hub.credentials", checkHubCredentials},
	{"sync.backlog", checkBacklog},
	{"sync.oldest", checkOldest},
	{"sync.deadletters", checkDeadLetters},
	{"serve", checkServe},
}

// runDevices runs the device checks side by side, each under its own
// deadline; a check that panics fails instead of taking the report down.
func runDevices(ctx context.Context, checks []Check, timeout time.Duration) []Line {
	if len(checks) == 0 {
		return []Line{{Name: "devices", Result: Result{Status: StatusOK, Detail: M("devices.none"), Fix: M("fix.devices_none")}}}
	}
	lines := make([]Line, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		name := c.Name
		if !strings.HasPrefix(name, "device.") {
			name = "device." + name
		}
		lines[i].Name = name
		wg.Go(func() {
			lines[i].Result = runDevice(ctx, c, timeout)
		})
	}
	wg.Wait()
	return lines
}

func runDevice(ctx context.Context, c Check, timeout time.Duration) Result {
	if c.Run == nil {
		return Fail(M("device.no_check"), M("fix.device_report"))
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	done := make(chan Result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- Fail(M("device.panic", fmt.Sprint(p)), M("fix.device_report"))
			}
		}()
		done <- c.Run(cctx)
	}()
	select {
	case res := <-done:
		if res.Status == "" {
			res.Status = StatusFail
		}
		return res
	case <-cctx.Done():
		// A driver that ignores its context must not hold up the report.
		return Fail(M("device.timeout", dur(timeout)), M("fix.device_cable"))
	}
}
