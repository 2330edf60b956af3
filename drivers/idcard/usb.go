//go:build cgo && idcard_usb

package idcard

// The USB-bulk link on libusb-1.0, through cgo. It is left out of the
// default build, which stays pure Go; build with
// `-tags idcard_usb` (cgo on, libusb-1.0 and its headers installed:
// Debian's libusb-1.0-0-dev) to have it.
//
// github.com/karalabe/usb does not serve here: its raw devices use only
// interrupt endpoints (bulk ones are skipped when it enumerates), one IN
// and one OUT, with no timeout, while these readers speak on four bulk
// pipes. libusb-1.0 itself is the small, common dependency.

/*
#cgo pkg-config: libusb-1.0
#include <libusb.h>
*/
import "C"

import (
	"fmt"
	"io"
	"sync"
	"time"
	"unsafe"
)

// The ids of a common USB-bulk SAM reader (PROTOCOLS §1.1).
const (
	USBVendor  = 0x0400
	USBProduct = 0xC35A
)

// USBTimeout bounds one bulk transfer.
const USBTimeout = 3 * time.Second

// DialUSB returns an Options.Dial that opens the first USB-bulk reader
// with these ids.
func DialUSB(vendor, product uint16) func() (io.ReadWriteCloser, error) {
	return func() (io.ReadWriteCloser, error) {
		dev, err := OpenUSB(vendor, product)
		if err != nil {
			return nil, err
		}
		return NewBulkLink(dev), nil
	}
}

type usbDevice struct {
	ctx    *C.libusb_context
	handle *C.libusb_device_handle
	mu     sync.RWMutex // Close waits for transfers
}

// OpenUSB opens the first USB-bulk reader with these ids and claims its
// interface 0, detaching a kernel driver that holds it.
func OpenUSB(vendor, product uint16) (BulkDevice, error) {
	var ctx *C.libusb_context
	if rc := C.libusb_init(&ctx); rc != 0 {
		return nil, fmt.Errorf("open usb reader: libusb init: %w: %s", ErrNotFound, usbErrName(rc))
	}
	h := C.libusb_open_device_with_vid_pid(ctx, C.uint16_t(vendor), C.uint16_t(product))
	if h == nil {
		C.libusb_exit(ctx)
		return nil, fmt.Errorf("open usb reader %04x:%04x: %w", vendor, product, ErrNotFound)
	}
	C.libusb_set_auto_detach_kernel_driver(h, 1)
	if rc := C.libusb_claim_interface(h, 0); rc != 0 {
		C.libusb_close(h)
		C.libusb_exit(ctx)
		return nil, fmt.Errorf("open usb reader %04x:%04x: %w: %s", vendor, product, usbErr(rc, true), usbErrName(rc))
	}
	return &usbDevice{ctx: ctx, handle: h}, nil
}

func (d *usbDevice) transfer(ep byte, b []byte) (int, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.handle == nil {
		return 0, fmt.Errorf("transfer on %02X: %w", ep, ErrClosed)
	}
	if len(b) == 0 {
		return 0, nil
	}
	var n C.int
	rc := C.libusb_bulk_transfer(d.handle, C.uchar(ep), (*C.uchar)(unsafe.Pointer(&b[0])), C.int(len(b)), &n, C.uint(USBTimeout/time.Millisecond))
	if rc != 0 && !(rc == C.LIBUSB_ERROR_TIMEOUT && n > 0) {
		return int(n), fmt.Errorf("transfer on %02X: %w: %s", ep, usbErr(rc, false), usbErrName(rc))
	}
	return int(n), nil
}

func (d *usbDevice) WriteBulk(ep byte, b []byte) error {
	n, err := d.transfer(ep, b)
	if err == nil && n != len(b) {
		err = fmt.Errorf("write %02X: %w: %d of %d bytes", ep, ErrTimeout, n, len(b))
	}
	return err
}

func (d *usbDevice) ReadBulk(ep byte, b []byte) (int, error) { return d.transfer(ep, b) }

func (d *usbDevice) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.handle == nil {
		return nil
	}
	C.libusb_release_interface(d.handle, 0)
	C.libusb_close(d.handle)
	C.libusb_exit(d.ctx)
	d.handle = nil
	return nil
}

// usbErr sorts a libusb error code; opening tells whether the device was
// being opened (a missing device is then not found, not closed).
func usbErr(rc C.int, opening bool) *Error {
	switch rc {
	case C.LIBUSB_ERROR_TIMEOUT:
		return ErrTimeout
	case C.LIBUSB_ERROR_ACCESS:
		return ErrPermission
	case C.LIBUSB_ERROR_BUSY:
		return ErrBusy
	case C.LIBUSB_ERROR_NO_DEVICE, C.LIBUSB_ERROR_NOT_FOUND, C.LIBUSB_ERROR_IO, C.LIBUSB_ERROR_PIPE:
		if opening {
			return ErrNotFound
		}
		return ErrClosed
	}
	return ErrProtocol
}

func usbErrName(rc C.int) string { return C.GoString(C.libusb_error_name(rc)) }
