package smpp

import (
	"encoding/binary"
	"fmt"
	"unicode/utf16"
)

// Text on the wire: every message goes as UCS-2 (data_coding 0x08; in
// fact UTF-16BE, so a character outside the BMP takes two units and is
// never split between parts). The texts cunyou sends always carry a
// Chinese signature, so the GSM 7-bit alphabet would never be chosen; it
// is not implemented.
const (
	CodingDefault = 0x00 // SMSC default alphabet (read as ASCII)
	CodingLatin1  = 0x03 // ISO-8859-1
	CodingUCS2    = 0x08 // UCS-2, big-endian

	ESMClassUDHI    = 0x40 // short_message starts with a user data header
	ESMClassReceipt = 0x04 // message type: SMSC delivery receipt
	esmTypeMask     = 0x3C

	// SingleUnits is how many UCS-2 units fit in one message (140 octets),
	// PartUnits how many in one part of a concatenated message (134
	// octets after the 6-octet UDH).
	SingleUnits = 70
	PartUnits   = 67
	// MaxParts is the most parts the 8-bit concatenation header counts.
	MaxParts = 255

	// RegisteredDeliveryReceipt asks for a receipt on success and failure.
	RegisteredDeliveryReceipt = 0x01
)

// Split encodes text as UCS-2 and cuts it into short_message payloads:
// one without a header when it fits in SingleUnits, else parts of at most
// PartUnits units, each led by the concatenation header 05 00 03 ref
// total seq (and sent with esm_class ESMClassUDHI).
func Split(text string, ref byte) (parts [][]byte, udhi bool, err error) {
	units := utf16.Encode([]rune(text))
	if len(units) <= SingleUnits {
		return [][]byte{ucs2(units)}, false, nil
	}
	var cuts [][]uint16
	for len(units) > 0 {
		n := min(PartUnits, len(units))
		if n < len(units) && utf16.IsSurrogate(rune(units[n-1])) && units[n-1] < 0xDC00 {
			n-- // keep a surrogate pair together
		}
		cuts = append(cuts, units[:n])
		units = units[n:]
	}
	if len(cuts) > MaxParts {
		return nil, false, errTooManyParts
	}
	for i, c := range cuts {
		p := make([]byte, 0, 6+2*len(c))
		p = append(p, 0x05, 0x00, 0x03, ref, byte(len(cuts)), byte(i+1))
		p = append(p, ucs2(c)...)
		parts = append(parts, p)
	}
	return parts, true, nil
}

func ucs2(units []uint16) []byte {
	b := make([]byte, 0, 2*len(units))
	for _, u := range units {
		b = binary.BigEndian.AppendUint16(b, u)
	}
	return b
}

// DecodeText turns a short_message's octets (without its UDH) into text
// by data_coding: UCS-2/UTF-16BE, Latin-1, else the octets as ASCII.
func DecodeText(coding byte, b []byte) (string, error) {
	switch coding {
	case CodingUCS2:
		if len(b)%2 != 0 {
			return "", fmt.Errorf("decode ucs-2: %d octets: %w", len(b), ErrField)
		}
		units := make([]uint16, len(b)/2)
		for i := range units {
			units[i] = binary.BigEndian.Uint16(b[2*i:])
		}
		return string(utf16.Decode(units)), nil
	case CodingLatin1:
		r := make([]rune, len(b))
		for i, c := range b {
			r[i] = rune(c)
		}
		return string(r), nil
	}
	return string(b), nil
}

// Concat is a concatenation header: part Seq of Total of message Ref.
type Concat struct {
	Ref        uint16
	Total, Seq byte
}

// SplitUDH separates a short_message sent with ESMClassUDHI into its
// concatenation header (found is false when the UDH has none) and the
// payload. It knows the 8-bit (IEI 00) and 16-bit (IEI 08) references.
func SplitUDH(b []byte) (c Concat, found bool, payload []byte, err error) {
	if len(b) < 1 || int(b[0])+1 > len(b) {
		return c, false, nil, fmt.Errorf("decode udh: %w", ErrTruncated)
	}
	udh, payload := b[1:1+int(b[0])], b[1+int(b[0]):]
	for len(udh) > 0 {
		if len(udh) < 2 || int(udh[1])+2 > len(udh) {
			return c, false, nil, fmt.Errorf("decode udh element: %w", ErrTruncated)
		}
		iei, v := udh[0], udh[2:2+int(udh[1])]
		switch {
		case iei == 0x00 && len(v) == 3:
			c, found = Concat{Ref: uint16(v[0]), Total: v[1], Seq: v[2]}, true
		case iei == 0x08 && len(v) == 4:
			c, found = Concat{Ref: binary.BigEndian.Uint16(v), Total: v[2], Seq: v[3]}, true
		}
		udh = udh[2+len(v):]
	}
	if found && (c.Total == 0 || c.Seq == 0 || c.Seq > c.Total) {
		return c, false, nil, fmt.Errorf("decode udh: part %d of %d: %w", c.Seq, c.Total, ErrField)
	}
	return c, found, payload, nil
}
