//go:build !linux

package modem

import (
	"fmt"
	"os"
	"runtime"
)

func openPTY() (*os.File, string, error) {
	return nil, "", fmt.Errorf("%w (%s)", ErrNoPTY, runtime.GOOS)
}

func openRaw(path string) (*os.File, error) {
	return nil, fmt.Errorf("%w (%s)", ErrNoPTY, runtime.GOOS)
}
