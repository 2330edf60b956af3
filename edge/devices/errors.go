package devices

import "errors"

var (
	// ErrNotFound: no serial port has the configured USB ids (or the
	// port does not exist).
	ErrNotFound = errors.New("device not found")
	// ErrNoDevice: no device of the kind asked for is configured.
	ErrNoDevice = errors.New("no such device configured")
	// ErrNoCard: no card lies on the reader.
	ErrNoCard = errors.New("no card on the reader")
)

// Codes of the Host's own states, keys of the message table
// (edge/messages); a driver's error brings its own code and sentence.
const (
	codeAbsent   = "device_absent"
	codeStarting = "device_starting"
	codeReady    = "device_ready"
	codeError    = "device_error"
)
