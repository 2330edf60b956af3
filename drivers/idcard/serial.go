package idcard

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"syscall"

	"go.bug.st/serial"
)

// openSerial opens a serial port at baud 8N1 and translates the serial
// library's errors (its PortError has no Unwrap) into ours.
func openSerial(port string, baud int) (io.ReadWriteCloser, error) {
	p, err := serial.Open(port, &serial.Mode{BaudRate: baud, DataBits: 8, Parity: serial.NoParity, StopBits: serial.OneStopBit})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w: %v", port, portErr(err), err)
	}
	return p, nil
}

// portErr sorts an error of the serial library. A timeout is ours to
// judge (Exchange); anything unrecognised is a protocol error.
func portErr(err error) *Error {
	var pe *serial.PortError
	code := serial.PortErrorCode(-1)
	if errors.As(err, &pe) {
		code = pe.Code()
	}
	switch {
	case code == serial.PortNotFound, errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENXIO), errors.Is(err, syscall.ENODEV):
		return ErrNotFound
	case code == serial.PortBusy:
		return ErrBusy
	case code == serial.PermissionDenied, errors.Is(err, fs.ErrPermission):
		return ErrPermission
	case code == serial.PortClosed:
		return ErrClosed
	}
	return ErrProtocol
}
