// Package idcard reads 2nd-generation resident ID cards (二代证) through a
// reader's SAM module (SAM_V), which a station uses to check who picks
// up or sends a parcel.
//
// # Protocol
//
// The reader is a USB serial (CDC) port at 115200 8N1, or a USB-bulk
// device (see below). Host and reader exchange frames (PROTOCOLS §1.2):
//
//	AA AA AA 96 69 | Len (2, big-endian) | payload | CHK
//
// Len counts the payload and CHK; CHK is the XOR of every byte from Len
// to the end of the payload. A command's payload is CMD Para Data; an
// answer's is SW1 SW2 SW3 Data, where SW3 is the status: 0x90 done,
// 0x9F card found, anything else an error (PROTOCOLS §1.4), each of
// which is an *Error here with a stable code (idcard.no_card …) and a
// sentence for the operator in Chinese and English (errors.go). The
// driver computes the checksum of what it sends and checks the checksum
// and length of everything it receives (ErrChecksum, ErrProtocol); the
// reader answers a bad frame of ours with SW3 0x10 or 0x11.
//
// A read is three commands: find card (20 01, answers 0x9F), select card
// (20 02) and read base info (30 01), whose 1,295-byte answer holds the
// text block (256 bytes of UCS-2LE fields: name, sex, nation, birth,
// address, ID number, issuing authority, validity) and the photo (1,024
// bytes of WLT), found by the two length fields before them. A card that
// was read answers no find until it has left the field.
//
// # Use
//
// Watch runs a reader for the edge: it opens the port, retrying with
// backoff while the reader is absent (a reader missing at start is
// normal), polls for cards, reads each card once, and pushes events into
// a sink: EventReady, EventCard with the Identity, EventRemoved when the
// card has gone, EventError, EventAbsent when the reader went away (it is
// then opened again). Open and Reader serve a single read and tests.
//
//	err := idcard.Watch(ctx, idcard.Options{Port: "/dev/ttyUSB0"}, func(e idcard.Event) {
//		events <- e
//	})
//
// An Identity's ID number is checked (cunyou/idnum) and prints masked,
// like the name, through fmt and log/slog: no full ID number reaches a
// log. The photo stays as the card gave it (WLT, proprietary); a
// PhotoDecoder set in Options turns it into a picture. The driver keeps
// identities in memory only: encrypting ID data and photos at rest is the
// edge store's work.
//
// # USB bulk
//
// Readers without a serial port speak the same frames on four bulk pipes
// (out 0x02 and 0x06, in 0x81 and 0x85). NewBulkLink turns a BulkDevice
// into the stream a Reader speaks; OpenUSB and DialUSB provide one on
// libusb-1.0 through cgo, only when built with -tags idcard_usb, so the
// default build stays pure Go.
//
// # Simulator
//
// Simulator is a reader on a pseudo-terminal (cunyou/drivers/pty) that
// speaks the real bytes, for tests and the demo: cards can be placed and
// removed, the cable pulled, and faults injected (a status, a bad
// checksum, no answer, latency). DemoCards are made-up people with valid
// numbers.
package idcard
