package gps

import (
	"errors"
	"fmt"
)

// Code is a stable number for a protocol failure, for logs, metrics and
// the operator's table: it never changes meaning between releases.
type Code int

// The codes of protocol failures.
const (
	CodeOK          Code = 0
	CodeFrame       Code = 1 // no 0x7e flags, or a frame too short or too long
	CodeEscape      Code = 2 // 0x7d followed by something else than 0x01 or 0x02
	CodeChecksum    Code = 3 // the XOR checksum does not match
	CodeHeader      Code = 4 // body length or sub-package fields disagree with the frame
	CodeBody        Code = 5 // a message body too short or malformed
	CodeUnsupported Code = 6 // a message ID the hub does not handle, or an encrypted body
	CodeUnauth      Code = 7 // a report before the terminal authenticated
	CodeAuth        Code = 8 // an unknown terminal or a wrong auth code
)

// Sentinel errors, each with its code (see CodeOf).
var (
	ErrFrame       = errors.New("gps: bad frame")
	ErrEscape      = errors.New("gps: bad escape")
	ErrChecksum    = errors.New("gps: checksum mismatch")
	ErrHeader      = errors.New("gps: bad header")
	ErrBody        = errors.New("gps: bad message body")
	ErrUnsupported = errors.New("gps: unsupported message")
	ErrUnauth      = errors.New("gps: terminal not authenticated")
	ErrAuth        = errors.New("gps: unknown terminal or wrong auth code")
)

var codes = []struct {
	err  error
	code Code
}{
	{ErrFrame, CodeFrame}, {ErrEscape, CodeEscape}, {ErrChecksum, CodeChecksum}, {ErrHeader, CodeHeader},
	{ErrBody, CodeBody}, {ErrUnsupported, CodeUnsupported}, {ErrUnauth, CodeUnauth}, {ErrAuth, CodeAuth},
}

// CodeOf returns the stable code of err: 0 for nil, -1 for an error that is
// none of this package's.
func CodeOf(err error) Code {
	if err == nil {
		return CodeOK
	}
	for _, c := range codes {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return -1
}

func bodyErr(id uint16, format string, args ...any) error {
	return fmt.Errorf("%w: 0x%04x: %s", ErrBody, id, fmt.Sprintf(format, args...))
}
