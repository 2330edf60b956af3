package devices

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"cunyou/edge/config"
)

// Port is a serial port the system has.
type Port struct {
	Name   string `json:"name"` // /dev/ttyUSB0, COM3
	USB    bool   `json:"usb"`
	VID    string `json:"vid,omitempty"` // lowercase hex
	PID    string `json:"pid,omitempty"`
	Serial string `json:"serial,omitempty"`
	// Product is what the device calls itself, when the system says.
	Product string `json:"product,omitempty"`
}

// USBDevice is a device on the USB bus, serial or not (printers,
// hid scan guns, readers on USB bulk).
type USBDevice struct {
	Bus     string `json:"bus"` // sysfs name, e.g. 1-1.2
	VID     string `json:"vid"`
	PID     string `json:"pid"`
	Maker   string `json:"manufacturer,omitempty"`
	Product string `json:"product,omitempty"`
}

// ListPorts returns the system's serial ports through go.bug.st/serial's
// enumerator.
func ListPorts() ([]Port, error) {
	ps, err := enumeratePorts()
	if err != nil {
		return nil, fmt.Errorf("list serial ports: %w", err)
	}
	return ps, nil
}

// ListUSB returns the devices on the USB bus as Linux's sysfs shows them;
// none on other systems.
func ListUSB() []USBDevice {
	const root = "/sys/bus/usb/devices"
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil
	}
	read := func(dir, name string) string {
		b, _ := os.ReadFile(filepath.Join(root, dir, name))
		return strings.TrimSpace(string(b))
	}
	var out []USBDevice
	for _, e := range entries {
		vid := read(e.Name(), "idVendor")
		if vid == "" || strings.HasPrefix(e.Name(), "usb") { // interfaces and root hubs
			continue
		}
		out = append(out, USBDevice{Bus: e.Name(), VID: vid, PID: read(e.Name(), "idProduct"),
			Maker: read(e.Name(), "manufacturer"), Product: read(e.Name(), "product")})
	}
	return out
}

// splitUSB splits a configured "VID:PID" into lowercase halves.
func splitUSB(usb string) (vid, pid string) {
	vid, pid, _ = strings.Cut(strings.ToLower(usb), ":")
	return vid, pid
}

// Matches reports whether the configured device is the one on port p: by
// port name, or by its USB ids when it names no port.
func Matches(d config.Device, p Port) bool {
	if d.Port != "" {
		return d.Port == p.Name || strings.TrimPrefix(d.Transport, "serial:") == p.Name ||
			strings.HasPrefix(strings.TrimPrefix(d.Transport, "serial:"), p.Name+"@")
	}
	if d.USB == "" || !p.USB {
		return false
	}
	vid, pid := splitUSB(d.USB)
	return vid == p.VID && pid == p.PID
}

// findPort returns the serial port of a configured device: its port, or
// the first port whose USB ids match.
func (e *Env) findPort(d config.Device) (string, error) {
	if d.Port != "" {
		return d.Port, nil
	}
	ports, err := e.Ports()
	if err != nil {
		return "", err
	}
	for _, p := range ports {
		if Matches(d, p) {
			return p.Name, nil
		}
	}
	return "", fmt.Errorf("find usb %s: %w", d.USB, ErrNotFound)
}

// portOrWait finds a serial device's port and shows it; when there is
// none it shows the device absent (and no card on it), waits and returns
// false.
func (e *Env) portOrWait(ctx context.Context, d config.Device, r *Reporter, b *backoff) (string, bool) {
	port, err := e.findPort(d)
	if err != nil {
		r.Set(StateAbsent, "", "")
		if d.Kind == config.DeviceIDCard {
			r.Card(nil)
		}
		sleep(ctx, b.next())
		return "", false
	}
	r.SetPort(port)
	return port, true
}

// FindPort returns the serial port of a configured device: its port, or
// the first of the system's ports whose USB ids match (ErrNotFound).
func FindPort(d config.Device) (string, error) {
	e := &Env{Ports: ListPorts}
	return e.findPort(d)
}
