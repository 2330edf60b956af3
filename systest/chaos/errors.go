package chaos

import "errors"

var (
	// ErrNotLoopback: the upstream is not http:// to an IP literal in
	// 127.0.0.0/8 or ::1 with a port. The proxy never sends a byte
	// anywhere else.
	ErrNotLoopback = errors.New("upstream is not a loopback address")
	// ErrInvalidFaults: a Faults field is out of range.
	ErrInvalidFaults = errors.New("invalid faults")
)
