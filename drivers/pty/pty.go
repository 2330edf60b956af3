// Package pty opens pseudo-terminals, the OS seam at which the drivers'
// simulators stand in for serial devices: a simulator holds the master and
// the driver opens the slave's path as it would open /dev/ttyUSB0, so the
// real serial code runs over real bytes. Linux only; elsewhere every call
// returns ErrNoPTY.
package pty

import "errors"

// ErrNoPTY is returned where the platform has no pseudo-terminals.
var ErrNoPTY = errors.New("no pseudo-terminals on this platform")
