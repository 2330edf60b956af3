package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cunyou/edge/config"
	"cunyou/edge/diag"
	"cunyou/edge/messages"
)

// diag prints the technician's report on this station (edge/diag). It reads
// the database read-only, so it runs beside serve as well as without it;
// its exit status is 0 when all is ok, 1 with a warning, 2 with a failure.
func (m *Main) diag(ctx context.Context, args []string) error {
	fs, parse := m.flags("diag")
	lang := fs.String("lang", "zh", "language of the report: zh or en")
	asJSON := fs.Bool("json", false, `print {"checks":[{"name","status","detail","fix"}]} for remote support`)
	full := fs.Bool("full", false, "run SQLite's full integrity_check (slow on a large database) instead of quick_check")
	backups := fs.String("backups", "", "folder of the station's backups (default DATA_DIR/backups)")
	timeout := fs.Duration("timeout", 5*time.Second, "deadline of each call to the hub and the kiosk")
	if err := fs.Parse(args); err != nil {
		return err
	}
	l, err := parseLang(*lang)
	if err != nil {
		return err
	}
	// A config file that does not load is one of the things to report,
	// not a reason to report nothing: the rest runs on the defaults.
	c, cfgErr := parse(args)
	if cfgErr != nil {
		c = config.Default()
		if d := fs.Lookup("data").Value.String(); d != "" {
			c.DataDir = d
		}
	}
	rep := diag.Run(ctx, diag.Options{
		Config:     c,
		ConfigFile: fs.Lookup("config").Value.String(),
		ConfigErr:  cfgErr,
		Version:    version,
		Full:       *full,
		BackupDir:  *backups,
		Timeout:    *timeout,
		Devices:    deviceChecks(c), // device.go
	})
	if *asJSON {
		err = rep.WriteJSON(m.Stdout, l)
	} else {
		err = rep.WriteText(m.Stdout, l)
	}
	if err != nil {
		return err
	}
	if code := rep.ExitCode(); code != 0 {
		return &exitError{code: code, msg: fmt.Sprintf("diag: %d warnings, %d failures", rep.Count(diag.StatusWarn), rep.Count(diag.StatusFail))}
	}
	return nil
}

func parseLang(s string) (messages.Lang, error) {
	switch s {
	case "zh", "zh-CN", "cn":
		return messages.ZH, nil
	case "en":
		return messages.EN, nil
	}
	return "", fmt.Errorf("diag: --lang %q: use zh or en", s)
}

// exitError ends the program with its own exit status.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// exitCode is the exit status for an error Run returned: an exitError's
// own, else 1.
func exitCode(err error) int {
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	return 1
}
