package scanner

import (
	"fmt"
	"io"
	"os"
)

// HID-POS input reports (PROTOCOLS §2, Newland's layout, which other
// vendors' manuals repeat): 64 bytes, the report ID first as hidraw and
// hidapi hand it over.
//
//	0      report ID 0x02 (scanned data)
//	1      length of the data in this report, ≤ 56
//	2..57  data
//	58..61 reserved
//	62     symbology identifier, or 0
//	63     1 when the code goes on in the next report
const (
	HIDReportID   = 0x02
	HIDReportSize = 64
	hidMaxData    = 56
)

// HIDReport is one decoded HID-POS input report.
type HIDReport struct {
	Data      []byte // this report's part of the code
	Symbology byte   // the vendor's symbology identifier, 0 when not sent
	More      bool   // the code goes on in the next report
}

// ParseHIDReport decodes a scanned-data report. A short report (some
// devices send only the bytes in use) ends after its data: no symbology,
// nothing more to come. Reports with another ID are no scans: ok is
// false and err nil.
func ParseHIDReport(b []byte) (r HIDReport, ok bool, err error) {
	if len(b) == 0 || b[0] != HIDReportID {
		return HIDReport{}, false, nil
	}
	if len(b) < 2 {
		return HIDReport{}, false, fmt.Errorf("hid report of %d bytes: %w", len(b), ErrHIDReport)
	}
	n := int(b[1])
	if n > hidMaxData || 2+n > len(b) {
		return HIDReport{}, false, fmt.Errorf("hid report says %d data bytes in %d: %w", n, len(b), ErrHIDReport)
	}
	r.Data = b[2 : 2+n]
	if len(b) >= HIDReportSize {
		r.Symbology = b[62]
		r.More = b[63] == 1
	}
	return r, true, nil
}

// hidPump reads reports, one a Read as hidraw and hidapi give them, and
// joins continued reports into frames of at most max bytes.
func hidPump(max int) func(r io.Reader, code func([]byte), drop func(error)) error {
	return func(r io.Reader, code func([]byte), drop func(error)) error {
		buf := make([]byte, 2*HIDReportSize)
		var frame []byte
		discard := false
		for {
			n, err := r.Read(buf)
			if n > 0 {
				rep, ok, perr := ParseHIDReport(buf[:n])
				switch {
				case perr != nil:
					drop(perr)
					frame, discard = frame[:0], false
				case !ok:
				case discard || len(frame)+len(rep.Data) > max:
					if !discard {
						drop(ErrTooLong)
					}
					frame, discard = frame[:0], rep.More
				default:
					frame = append(frame, rep.Data...)
					if !rep.More {
						code(frame)
						frame = frame[:0]
					}
				}
			}
			if err != nil {
				return err
			}
		}
	}
}

// NewHID makes a Scanner for a HID-POS scan gun whose reports open
// returns, one report a Read: HIDRaw on Linux, or USBHID where the
// hidpos build tag brings it in. opt.Port, Baud and Suffix do not
// apply (a report says where a code ends); opt.Name names the device.
func NewHID(opt Options, open Opener) (*Scanner, error) {
	if open == nil {
		return nil, fmt.Errorf("scanner: no HID device given: %w", ErrConfig)
	}
	if opt.Name == "" {
		opt.Name = "hidpos"
	}
	if err := opt.defaults(); err != nil {
		return nil, err
	}
	s := newScanner(opt, open)
	s.pump = hidPump(opt.MaxLen)
	return s, nil
}

// HIDRaw opens a Linux hidraw device (/dev/hidraw0), which gives one
// input report a read with its report ID first. Pure Go: no cgo.
func HIDRaw(path string) Opener {
	return func() (io.ReadCloser, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, portError("open", path, err)
		}
		return f, nil
	}
}
