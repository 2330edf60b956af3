package kiosk_test

import (
	"os"
	"testing"
)

// requireOrSkipf skips a test whose environment lacks what it needs (a
// browser, a mountable filesystem) — except in CI, which sets
// CUNYOU_TEST_STRICT=1 and has installed everything: there it fails.
func requireOrSkipf(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CUNYOU_TEST_STRICT") == "1" {
		t.Fatalf("CUNYOU_TEST_STRICT: "+format, args...)
	}
	t.Skipf(format, args...)
}
