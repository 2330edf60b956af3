//go:build !darwin || cgo

package devices

import (
	"strings"

	"go.bug.st/serial/enumerator"
)

// enumeratePorts lists the serial ports with their USB ids.
func enumeratePorts() ([]Port, error) {
	ds, err := enumerator.GetDetailedPortsList()
	if err != nil {
		return nil, err
	}
	ps := make([]Port, 0, len(ds))
	for _, d := range ds {
		ps = append(ps, Port{Name: d.Name, USB: d.IsUSB, VID: strings.ToLower(d.VID), PID: strings.ToLower(d.PID),
			Serial: d.SerialNumber, Product: d.Product})
	}
	return ps, nil
}
