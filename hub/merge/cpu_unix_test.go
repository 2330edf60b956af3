//go:build unix

package merge_test

import (
	"syscall"
	"time"
)

// processCPU is the CPU time this process has used: it separates the
// merge's cost from other programs sharing the machine.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
