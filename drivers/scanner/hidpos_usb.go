//go:build cgo && hidpos

// USB HID-POS through hidapi (github.com/karalabe/usb, cgo, LGPL-3.0):
// for Windows and macOS, where there is no hidraw. The default build does
// not have it and go.mod does not require the module; to build with it:
//
//	go get github.com/karalabe/usb@v0.0.2
//	go build -tags hidpos ./...

package scanner

import (
	"fmt"
	"io"

	"github.com/karalabe/usb"
)

// NewlandVID is Newland's USB vendor ID; its HID-POS product IDs end in
// 0x10 (FM420: 0x0D10).
const NewlandVID = 0x1EAB

// USBHID opens the first HID device with the vendor and product ID (0
// matches any). hidapi hands over one input report a Read, its report ID
// first, as ParseHIDReport wants.
func USBHID(vid, pid uint16) Opener {
	return func() (io.ReadCloser, error) {
		name := fmt.Sprintf("usb %04x:%04x", vid, pid)
		infos, err := usb.EnumerateHid(vid, pid)
		if err != nil {
			return nil, fmt.Errorf("enumerate %s: %w: %v", name, ErrPort, err)
		}
		if len(infos) == 0 {
			return nil, fmt.Errorf("open %s: %w", name, ErrNotFound)
		}
		dev, err := infos[0].Open()
		if err != nil {
			// hidapi says no more than that it failed: another program
			// holding the device is the usual cause.
			return nil, fmt.Errorf("open %s: %w: %v", name, ErrBusy, err)
		}
		return dev, nil
	}
}
