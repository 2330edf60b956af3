//go:build darwin && !cgo

package devices

import "errors"

// enumeratePorts: go.bug.st/serial's enumerator needs cgo on macOS; a
// build without it finds serial devices by port only.
func enumeratePorts() ([]Port, error) {
	return nil, errors.New("listing serial ports on macOS needs a build with cgo")
}
