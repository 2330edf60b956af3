// Package pty opens pseudo-terminals, the OS seam at which the drivers'
// simulators stand in for serial devices: a simulator holds the master and
// the driver opens the slave's path as it would open /dev/ttyUSB0, so the
// real serial code runs over real bytes. Linux only; elsewhere every call
// returns ErrNoPTY.
package pty

import (
	"errors"
	"fmt"
	"os"
)

// ErrNoPTY is returned where the platform has no pseudo-terminals.
var ErrNoPTY = errors.New("no pseudo-terminals on this platform")

// OpenPair opens a pseudo-terminal pair for a simulator: the master, the
// slave's path for the driver to open, and keep, a raw descriptor of the
// slave that the simulator holds open so the pair lives on between the
// driver's opens (the master reads EIO while no slave is open). The
// caller closes master and keep.
func OpenPair() (master *os.File, slavePath string, keep *os.File, err error) {
	master, slavePath, err = Open()
	if err != nil {
		return nil, "", nil, err
	}
	keep, err = OpenRaw(slavePath)
	if err != nil {
		master.Close()
		return nil, "", nil, fmt.Errorf("open %s: %w", slavePath, err)
	}
	return master, slavePath, keep, nil
}
