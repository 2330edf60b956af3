//go:build unix

package trackbench_test

import (
	"syscall"
	"time"
)

// processCPU is the CPU time this process has used (server and load
// generator): it separates their cost from other programs sharing the machine.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
