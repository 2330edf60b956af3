//go:build !linux

package pty

import (
	"fmt"
	"os"
	"runtime"
)

func Open() (*os.File, string, error) {
	return nil, "", fmt.Errorf("%w (%s)", ErrNoPTY, runtime.GOOS)
}

func OpenRaw(path string) (*os.File, error) {
	return nil, fmt.Errorf("%w (%s)", ErrNoPTY, runtime.GOOS)
}
