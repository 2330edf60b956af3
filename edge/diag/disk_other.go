//go:build !linux && !darwin && !freebsd && !windows

package diag

import (
	"fmt"
	"runtime"
)

// diskSpace cannot be measured on this system: the check says so.
func diskSpace(string) (free, total uint64, err error) {
	return 0, 0, fmt.Errorf("free space is not measured on %s", runtime.GOOS)
}
