package ptytest_test

import (
	"errors"
	"fmt"
	"testing"

	"cunyou/drivers/pty"
	"cunyou/drivers/pty/ptytest"
)

func TestSkipIfMissing(t *testing.T) {
	t.Setenv("CUNYOU_TEST_STRICT", "")
	tests := []struct {
		name string
		err  error
		skip bool
	}{
		{"nil", nil, false},
		{"other error", errors.New("boom"), false},
		{"no pty", fmt.Errorf("open /dev/ptmx: %w", pty.ErrNoPTY), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var skipped bool
			t.Run("inner", func(t *testing.T) {
				defer func() { skipped = t.Skipped() }()
				ptytest.SkipIfMissing(t, tt.err)
			})
			if got, want := skipped, tt.skip; got != want {
				t.Errorf("skipped = %v, want %v", got, want)
			}
		})
	}
}
