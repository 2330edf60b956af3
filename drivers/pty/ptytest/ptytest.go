// Package ptytest helps the tests of the drivers whose simulators stand
// on a pseudo-terminal.
package ptytest

import (
	"errors"
	"os"
	"testing"

	"cunyou/drivers/pty"
)

// SkipIfMissing skips the test when err says the platform has no
// pseudo-terminals (it wraps pty.ErrNoPTY), except in CI
// (CUNYOU_TEST_STRICT=1), where it fails. Any other err, nil included,
// is left to the caller.
func SkipIfMissing(t testing.TB, err error) {
	t.Helper()
	if !errors.Is(err, pty.ErrNoPTY) {
		return
	}
	if os.Getenv("CUNYOU_TEST_STRICT") == "1" {
		t.Fatalf("CUNYOU_TEST_STRICT: %v", err)
	}
	t.Skipf("no pseudo-terminal for the simulator: %v", err)
}
