package modem

// The PDU codec: SMS-SUBMIT (encode and decode), SMS-DELIVER and
// SMS-STATUS-REPORT (decode) of 3GPP TS 23.040 §9.2, the SMSC address that
// precedes them in the PDU mode of 3GPP TS 27.005 (RP address of
// TS 24.011 §8.2.5.1), and the data coding schemes of TS 23.038 §4 that
// matter here: the GSM 7-bit default alphabet, 8-bit data and UCS-2.

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"
)

// Type-of-address octets (23.040 §9.1.2.5).
const (
	TOAInternational byte = 0x91 // ISDN/E.164, international: digits start with the country code
	TOAUnknown       byte = 0x81 // ISDN/E.164, type unknown: a national number as dialled
	TOANational      byte = 0xA1 // ISDN/E.164, national
	TOAAlphanumeric  byte = 0xD0 // GSM 7-bit text, e.g. a sender name
)

// Data coding schemes for the alphabets used here (23.038 §4, general
// data coding group, no class).
const (
	DCSGSM7 byte = 0x00
	DCS8Bit byte = 0x04
	DCSUCS2 byte = 0x08
)

// Alphabet is how user data is coded.
type Alphabet int

const (
	GSM7 Alphabet = iota
	Data8
	UCS2
)

func (a Alphabet) String() string {
	switch a {
	case GSM7:
		return "gsm7"
	case Data8:
		return "8bit"
	case UCS2:
		return "ucs2"
	}
	return fmt.Sprintf("alphabet(%d)", int(a))
}

// AlphabetOf reads the alphabet from a data coding scheme (23.038 §4).
// Reserved coding groups read as the default alphabet, as the standard
// says a receiver shall; compressed text is refused.
func AlphabetOf(dcs byte) (Alphabet, error) {
	switch dcs >> 4 {
	case 0x0, 0x1, 0x2, 0x3, 0x4, 0x5, 0x6, 0x7: // general data coding, or marked for automatic deletion
		if dcs&0x20 != 0 {
			return GSM7, fmt.Errorf("dcs 0x%02X: %w", dcs, errCompressed)
		}
		switch (dcs >> 2) & 0x03 {
		case 0:
			return GSM7, nil
		case 1:
			return Data8, nil
		case 2:
			return UCS2, nil
		}
		return GSM7, nil // reserved: the default alphabet
	case 0xC, 0xD: // message waiting, discard/store, default alphabet
		return GSM7, nil
	case 0xE: // message waiting, store, UCS-2
		return UCS2, nil
	case 0xF: // data coding/message class
		if dcs&0x04 != 0 {
			return Data8, nil
		}
		return GSM7, nil
	}
	return GSM7, nil // reserved groups 1000..1011
}

var (
	// ErrPDU is wrapped by every decoding error.
	ErrPDU        = errors.New("malformed pdu")
	errCompressed = errors.New("compressed user data not supported")
)

// Address is a phone number (or, for TOAAlphanumeric, a sender name) as it
// travels in a PDU.
type Address struct {
	Number string // digits, '*', '#', 'a', 'b', 'c'; or text when Type is TOAAlphanumeric
	Type   byte   // type of address: TOAInternational, TOAUnknown, …
}

func (a Address) String() string {
	if a.Type == TOAInternational {
		return "+" + a.Number
	}
	return a.Number
}

// IsZero reports whether a is empty (no SMSC given).
func (a Address) IsZero() bool { return a.Number == "" }

// ParseAddress reads "+8613912345678" as an international number and
// "13912345678" as a number of unknown type (national, as dialled).
func ParseAddress(s string) (Address, error) {
	a := Address{Number: s, Type: TOAUnknown}
	if strings.HasPrefix(s, "+") {
		a = Address{Number: s[1:], Type: TOAInternational}
	}
	if a.Number == "" || len(a.Number) > 20 {
		return Address{}, fmt.Errorf("address %q: %w", s, ErrPDU)
	}
	for _, c := range a.Number {
		if bcdDigit(c) < 0 {
			return Address{}, fmt.Errorf("address %q: %w", s, ErrPDU)
		}
	}
	return a, nil
}

// Concat is the concatenation information element of the user data header
// (23.040 §9.2.3.24.1 8-bit reference, §9.2.3.24.8 16-bit reference).
type Concat struct {
	Ref   uint16
	Total int // parts in the message, 1..255
	Seq   int // this part, 1..Total
	Wide  bool
}

// Submit is an SMS-SUBMIT TPDU (23.040 §9.2.2.2), the message a modem
// sends.
type Submit struct {
	RejectDuplicates bool          // TP-RD
	StatusReport     bool          // TP-SRR: ask the SMSC for a status report
	ReplyPath        bool          // TP-RP
	MR               byte          // TP-MR; modems put their own in and answer it in +CMGS
	To               Address       // TP-DA
	PID              byte          // TP-PID, 0: plain short message
	DCS              byte          // TP-DCS: DCSGSM7, DCSUCS2 or DCS8Bit
	Validity         time.Duration // TP-VP, relative format; 0: none, the SMSC's default
	Concat           *Concat       // nil: a single message
	Text             string        // the user data as text (GSM7, UCS2)
	Data             []byte        // the user data for 8-bit coding
}

// Deliver is an SMS-DELIVER TPDU (23.040 §9.2.2.1), a message a modem
// receives.
type Deliver struct {
	MoreMessages bool // !TP-MMS: the SMSC has more for this phone
	StatusReport bool // TP-SRI: the sender asked for a report
	ReplyPath    bool
	From         Address // TP-OA
	PID, DCS     byte
	Time         time.Time // TP-SCTS, in the sender's zone
	Concat       *Concat
	Text         string
	Data         []byte
}

// StatusReport is an SMS-STATUS-REPORT TPDU (23.040 §9.2.2.3): the fate
// of a message that was submitted with TP-SRR set.
type StatusReport struct {
	MoreMessages bool
	Qualifier    bool      // TP-SRQ: the report is for an SMS-COMMAND
	MR           byte      // TP-MR of the submitted message
	Recipient    Address   // TP-RA
	Time         time.Time // TP-SCTS: when the SMSC took the message
	Discharge    time.Time // TP-DT: when the status below was reached
	Status       byte      // TP-ST (23.040 §9.2.3.15)
}

// Message type indicators (23.040 §9.2.3.1), bits 0-1 of the first octet.
const (
	mtiDeliver      = 0x00 // SMSC → phone
	mtiSubmit       = 0x01 // phone → SMSC
	mtiStatusReport = 0x02 // SMSC → phone
)

// Encode returns the TPDU (without the SMSC address).
func (s *Submit) Encode() ([]byte, error) {
	alpha, err := AlphabetOf(s.DCS)
	if err != nil {
		return nil, err
	}
	udh := s.Concat.header()
	first := byte(mtiSubmit)
	if s.RejectDuplicates {
		first |= 0x04
	}
	if s.Validity > 0 {
		first |= 0x10 // TP-VPF relative
	}
	if s.StatusReport {
		first |= 0x20
	}
	if udh != nil {
		first |= 0x40
	}
	if s.ReplyPath {
		first |= 0x80
	}
	out := []byte{first, s.MR}
	da, err := encodeAddress(s.To)
	if err != nil {
		return nil, err
	}
	out = append(out, da...)
	out = append(out, s.PID, s.DCS)
	if s.Validity > 0 {
		out = append(out, relativeValidity(s.Validity))
	}
	ud, udl, err := encodeUserData(alpha, udh, s.Text, s.Data)
	if err != nil {
		return nil, err
	}
	out = append(out, byte(udl))
	return append(out, ud...), nil
}

// header returns the user data header for c, nil when c is nil.
func (c *Concat) header() []byte {
	if c == nil {
		return nil
	}
	if c.Wide {
		return []byte{6, 0x08, 4, byte(c.Ref >> 8), byte(c.Ref), byte(c.Total), byte(c.Seq)}
	}
	return []byte{5, 0x00, 3, byte(c.Ref), byte(c.Total), byte(c.Seq)}
}

// Limits of the user data (23.040 §9.2.3.16).
const (
	maxUDOctets  = 140
	maxUDSeptets = 160
)

// encodeUserData returns TP-UD and TP-UDL for text (or data) behind the
// user data header udh (which starts with its own length octet).
func encodeUserData(alpha Alphabet, udh []byte, text string, data []byte) (ud []byte, udl int, err error) {
	switch alpha {
	case GSM7:
		septets, ok := gsm7Septets(text)
		if !ok {
			return nil, 0, fmt.Errorf("text not in the gsm 7-bit alphabet: %w", ErrPDU)
		}
		skip := (len(udh)*8 + 6) / 7 // header and fill bits, in septets
		udl = skip + len(septets)
		if udl > maxUDSeptets {
			return nil, 0, fmt.Errorf("%d septets of user data (at most %d): %w", udl, maxUDSeptets, ErrPDU)
		}
		ud = packSeptets(septets, skip)
		copy(ud, udh)
		return ud, udl, nil
	case UCS2:
		ud = append([]byte(nil), udh...)
		for _, u := range utf16.Encode([]rune(text)) {
			ud = append(ud, byte(u>>8), byte(u))
		}
	default:
		ud = append(append([]byte(nil), udh...), data...)
	}
	if len(ud) > maxUDOctets {
		return nil, 0, fmt.Errorf("%d octets of user data (at most %d): %w", len(ud), maxUDOctets, ErrPDU)
	}
	return ud, len(ud), nil
}

// relativeValidity encodes a validity period in the relative format
// (23.040 §9.2.3.12.1), rounding down to what the format can say.
func relativeValidity(d time.Duration) byte {
	switch {
	case d <= 12*time.Hour:
		return byte(max(int(d/(5*time.Minute))-1, 0))
	case d <= 24*time.Hour:
		return byte(143 + int((d-12*time.Hour)/(30*time.Minute)))
	case d <= 30*24*time.Hour:
		return byte(166 + int(d/(24*time.Hour)))
	}
	return byte(min(192+int(d/(7*24*time.Hour)), 255))
}

// RelativeValidity decodes a relative validity period octet.
func RelativeValidity(vp byte) time.Duration {
	v := time.Duration(vp)
	switch {
	case vp <= 143:
		return (v + 1) * 5 * time.Minute
	case vp <= 167:
		return 12*time.Hour + (v-143)*30*time.Minute
	case vp <= 196:
		return (v - 166) * 24 * time.Hour
	}
	return (v - 192) * 7 * 24 * time.Hour
}

// bcdDigit returns the semi-octet of an address character, -1 if none.
func bcdDigit(c rune) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c == '*':
		return 0xA
	case c == '#':
		return 0xB
	case c == 'a', c == 'b', c == 'c':
		return int(c-'a') + 0xC
	}
	return -1
}

const bcdChars = "0123456789*#abc"

// semiOctets writes digits as swapped semi-octets, padded with F.
func semiOctets(digits string) ([]byte, error) {
	out := make([]byte, 0, (len(digits)+1)/2)
	for i := 0; i < len(digits); i += 2 {
		lo := bcdDigit(rune(digits[i]))
		hi := 0xF
		if i+1 < len(digits) {
			hi = bcdDigit(rune(digits[i+1]))
		}
		if lo < 0 || hi < 0 {
			return nil, fmt.Errorf("address %q: %w", digits, ErrPDU)
		}
		out = append(out, byte(hi<<4|lo))
	}
	return out, nil
}

// readSemiOctets reads n digits of swapped semi-octets.
func readSemiOctets(b []byte, n int) string {
	var sb strings.Builder
	for i := 0; i < n && i/2 < len(b); i++ {
		v := b[i/2]
		if i%2 == 1 {
			v >>= 4
		}
		v &= 0x0F
		if v == 0xF {
			break
		}
		sb.WriteByte(bcdChars[v])
	}
	return sb.String()
}

// encodeAddress writes a TP address: length in digits, type, digits.
func encodeAddress(a Address) ([]byte, error) {
	if a.Type&0x70 == 0x50 { // alphanumeric
		septets, ok := gsm7Septets(a.Number)
		if !ok || len(septets) > 11 {
			return nil, fmt.Errorf("alphanumeric address %q: %w", a.Number, ErrPDU)
		}
		packed := packSeptets(septets, 0)
		return append([]byte{byte((len(septets)*7 + 3) / 4), a.Type}, packed...), nil
	}
	if a.Number == "" || len(a.Number) > 20 {
		return nil, fmt.Errorf("address of %d digits: %w", len(a.Number), ErrPDU)
	}
	digits, err := semiOctets(a.Number)
	if err != nil {
		return nil, err
	}
	typ := a.Type
	if typ == 0 {
		typ = TOAUnknown
	}
	return append([]byte{byte(len(a.Number)), typ | 0x80}, digits...), nil
}

// EncodeSMSC writes the SMSC address that precedes a TPDU in PDU mode: its
// length in octets, the type and the digits; a zero address is the single
// octet 00, "use the SMSC stored on the SIM".
func EncodeSMSC(a Address) ([]byte, error) {
	if a.IsZero() {
		return []byte{0}, nil
	}
	digits, err := semiOctets(a.Number)
	if err != nil {
		return nil, err
	}
	typ := a.Type
	if typ == 0 {
		typ = TOAInternational
	}
	return append([]byte{byte(1 + len(digits)), typ | 0x80}, digits...), nil
}

// SplitSMSC reads the SMSC address at the head of a PDU and returns it with
// the TPDU that follows.
func SplitSMSC(pdu []byte) (Address, []byte, error) {
	if len(pdu) == 0 {
		return Address{}, nil, fmt.Errorf("empty pdu: %w", ErrPDU)
	}
	n := int(pdu[0])
	if n == 0 {
		return Address{}, pdu[1:], nil
	}
	if n > 11 || len(pdu) < 1+n {
		return Address{}, nil, fmt.Errorf("smsc address of %d octets in %d: %w", n, len(pdu), ErrPDU)
	}
	a := Address{Type: pdu[1], Number: readSemiOctets(pdu[2:1+n], 2*(n-1))}
	return a, pdu[1+n:], nil
}

// reader reads a TPDU field by field, remembering the first error.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%s at octet %d of %d: %w", what, r.off, len(r.b), ErrPDU)
	}
}

func (r *reader) octet(what string) byte {
	if r.err != nil || r.off >= len(r.b) {
		r.fail("short " + what)
		return 0
	}
	r.off++
	return r.b[r.off-1]
}

func (r *reader) octets(n int, what string) []byte {
	if r.err != nil || n < 0 || r.off+n > len(r.b) {
		r.fail("short " + what)
		return nil
	}
	r.off += n
	return r.b[r.off-n : r.off]
}

func (r *reader) rest() []byte {
	if r.err != nil {
		return nil
	}
	b := r.b[r.off:]
	r.off = len(r.b)
	return b
}

// address reads a TP address (23.040 §9.1.2.5).
func (r *reader) address(what string) Address {
	n := int(r.octet(what + " length"))
	typ := r.octet(what + " type")
	if n > 20 {
		r.fail(what + " too long")
		return Address{}
	}
	raw := r.octets((n+1)/2, what)
	if r.err != nil {
		return Address{}
	}
	if typ&0x70 == 0x50 { // alphanumeric
		return Address{Type: typ, Number: gsm7Text(unpackSeptets(raw, 0, n*4/7))}
	}
	return Address{Type: typ, Number: readSemiOctets(raw, n)}
}

// timestamp reads a TP-SCTS/TP-DT (23.040 §9.2.3.11): swapped semi-octets
// YY MM DD hh mm ss and the zone in quarters of an hour.
func (r *reader) timestamp(what string) time.Time {
	b := r.octets(7, what)
	if r.err != nil {
		return time.Time{}
	}
	d := func(v byte) int { return int(v&0x0F)*10 + int(v>>4) }
	tz := int(b[6]&0x07)*10 + int(b[6]>>4)
	if b[6]&0x08 != 0 {
		tz = -tz
	}
	year, month, day, hour, minute, sec := d(b[0]), d(b[1]), d(b[2]), d(b[3]), d(b[4]), d(b[5])
	if month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{} // garbage from a careless SMSC: not fatal
	}
	// Two-digit years: 90..99 are 1990s, the rest this century.
	year += 2000
	if year >= 2090 {
		year -= 100
	}
	zone := time.FixedZone("", tz*15*60)
	return time.Date(year, time.Month(month), day, hour, minute, sec, 0, zone)
}

// EncodeTimestamp writes t as a TP-SCTS in t's own zone.
func EncodeTimestamp(t time.Time) []byte {
	bcd := func(v int) byte { return byte(v%10)<<4 | byte(v/10%10) }
	_, off := t.Zone()
	q := off / (15 * 60)
	neg := q < 0
	if neg {
		q = -q
	}
	tz := bcd(q % 80)
	if neg {
		tz |= 0x08
	}
	return []byte{bcd(t.Year() % 100), bcd(int(t.Month())), bcd(t.Day()), bcd(t.Hour()), bcd(t.Minute()), bcd(t.Second()), tz}
}

// userData reads TP-UDL and TP-UD and returns the header's concatenation
// element and the text or data.
func (r *reader) userData(udhi bool, dcs byte) (c *Concat, text string, data []byte) {
	alpha, err := AlphabetOf(dcs)
	if err != nil {
		if r.err == nil {
			r.err = err
		}
		return nil, "", nil
	}
	udl := int(r.octet("user data length"))
	ud := r.rest()
	if r.err != nil {
		return nil, "", nil
	}
	hdrLen := 0
	if udhi {
		if len(ud) == 0 || int(ud[0])+1 > len(ud) {
			r.fail("user data header")
			return nil, "", nil
		}
		hdrLen = int(ud[0]) + 1
		c = parseConcat(ud[1:hdrLen])
	}
	switch alpha {
	case GSM7:
		if udl > maxUDSeptets || (udl*7+7)/8 > len(ud) {
			r.fail("user data")
			return nil, "", nil
		}
		skip := (hdrLen*8 + 6) / 7
		return c, gsm7Text(unpackSeptets(ud, skip, udl)), nil
	case UCS2:
		if udl > len(ud) || udl < hdrLen {
			r.fail("user data")
			return nil, "", nil
		}
		b := ud[hdrLen:udl]
		u := make([]uint16, len(b)/2)
		for i := range u {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		}
		return c, string(utf16.Decode(u)), nil
	default:
		if udl > len(ud) || udl < hdrLen {
			r.fail("user data")
			return nil, "", nil
		}
		return c, "", append([]byte(nil), ud[hdrLen:udl]...)
	}
}

// parseConcat finds the concatenation element among the information
// elements of a user data header; nil if there is none or it is bad.
func parseConcat(ies []byte) *Concat {
	for len(ies) >= 2 {
		id, n := ies[0], int(ies[1])
		if 2+n > len(ies) {
			return nil
		}
		v := ies[2 : 2+n]
		switch {
		case id == 0x00 && n == 3:
			return &Concat{Ref: uint16(v[0]), Total: int(v[1]), Seq: int(v[2])}
		case id == 0x08 && n == 4:
			return &Concat{Ref: uint16(v[0])<<8 | uint16(v[1]), Total: int(v[2]), Seq: int(v[3]), Wide: true}
		}
		ies = ies[2+n:]
	}
	return nil
}

func mti(tpdu []byte) (byte, error) {
	if len(tpdu) == 0 {
		return 0, fmt.Errorf("empty tpdu: %w", ErrPDU)
	}
	return tpdu[0] & 0x03, nil
}

// DecodeSubmit reads an SMS-SUBMIT TPDU (without the SMSC address).
func DecodeSubmit(tpdu []byte) (*Submit, error) {
	if t, err := mti(tpdu); err != nil {
		return nil, err
	} else if t != mtiSubmit {
		return nil, fmt.Errorf("message type %d is not sms-submit: %w", t, ErrPDU)
	}
	r := &reader{b: tpdu}
	first := r.octet("first octet")
	s := &Submit{RejectDuplicates: first&0x04 != 0, StatusReport: first&0x20 != 0, ReplyPath: first&0x80 != 0}
	s.MR = r.octet("message reference")
	s.To = r.address("destination address")
	s.PID = r.octet("protocol identifier")
	s.DCS = r.octet("data coding scheme")
	switch (first >> 3) & 0x03 {
	case 0x02: // relative
		s.Validity = RelativeValidity(r.octet("validity period"))
	case 0x01, 0x03: // enhanced, absolute: 7 octets we do not interpret
		r.octets(7, "validity period")
	}
	s.Concat, s.Text, s.Data = r.userData(first&0x40 != 0, s.DCS)
	if r.err != nil {
		return nil, r.err
	}
	return s, nil
}

// DecodeDeliver reads an SMS-DELIVER TPDU (without the SMSC address).
func DecodeDeliver(tpdu []byte) (*Deliver, error) {
	if t, err := mti(tpdu); err != nil {
		return nil, err
	} else if t != mtiDeliver {
		return nil, fmt.Errorf("message type %d is not sms-deliver: %w", t, ErrPDU)
	}
	r := &reader{b: tpdu}
	first := r.octet("first octet")
	d := &Deliver{MoreMessages: first&0x04 == 0, StatusReport: first&0x20 != 0, ReplyPath: first&0x80 != 0}
	d.From = r.address("originating address")
	d.PID = r.octet("protocol identifier")
	d.DCS = r.octet("data coding scheme")
	d.Time = r.timestamp("service centre time stamp")
	d.Concat, d.Text, d.Data = r.userData(first&0x40 != 0, d.DCS)
	if r.err != nil {
		return nil, r.err
	}
	return d, nil
}

// DecodeStatusReport reads an SMS-STATUS-REPORT TPDU (without the SMSC
// address). The optional parameters after TP-ST are not interpreted.
func DecodeStatusReport(tpdu []byte) (*StatusReport, error) {
	if t, err := mti(tpdu); err != nil {
		return nil, err
	} else if t != mtiStatusReport {
		return nil, fmt.Errorf("message type %d is not sms-status-report: %w", t, ErrPDU)
	}
	r := &reader{b: tpdu}
	first := r.octet("first octet")
	s := &StatusReport{MoreMessages: first&0x04 == 0, Qualifier: first&0x20 != 0}
	s.MR = r.octet("message reference")
	s.Recipient = r.address("recipient address")
	s.Time = r.timestamp("service centre time stamp")
	s.Discharge = r.timestamp("discharge time")
	s.Status = r.octet("status")
	if r.err != nil {
		return nil, r.err
	}
	return s, nil
}

// EncodeStatusReport writes an SMS-STATUS-REPORT TPDU, as an SMSC does
// (the simulator uses it).
func EncodeStatusReport(s *StatusReport) ([]byte, error) {
	first := byte(mtiStatusReport)
	if !s.MoreMessages {
		first |= 0x04
	}
	if s.Qualifier {
		first |= 0x20
	}
	ra, err := encodeAddress(s.Recipient)
	if err != nil {
		return nil, err
	}
	out := append([]byte{first, s.MR}, ra...)
	out = append(out, EncodeTimestamp(s.Time)...)
	out = append(out, EncodeTimestamp(s.Discharge)...)
	return append(out, s.Status), nil
}

// EncodeDeliver writes an SMS-DELIVER TPDU, as an SMSC does (the
// simulator and tests use it).
func EncodeDeliver(d *Deliver) ([]byte, error) {
	alpha, err := AlphabetOf(d.DCS)
	if err != nil {
		return nil, err
	}
	udh := d.Concat.header()
	first := byte(mtiDeliver)
	if !d.MoreMessages {
		first |= 0x04
	}
	if d.StatusReport {
		first |= 0x20
	}
	if udh != nil {
		first |= 0x40
	}
	if d.ReplyPath {
		first |= 0x80
	}
	oa, err := encodeAddress(d.From)
	if err != nil {
		return nil, err
	}
	out := append([]byte{first}, oa...)
	out = append(out, d.PID, d.DCS)
	out = append(out, EncodeTimestamp(d.Time)...)
	ud, udl, err := encodeUserData(alpha, udh, d.Text, d.Data)
	if err != nil {
		return nil, err
	}
	out = append(out, byte(udl))
	return append(out, ud...), nil
}

// Part sizes (23.040 §9.2.3.16 and the 6-octet concatenation header).
const (
	single7    = 160 // septets in one GSM 7-bit message
	part7      = 153 // septets in one part of a concatenated GSM 7-bit message
	singleUCS2 = 70  // UTF-16 code units in one UCS-2 message
	partUCS2   = 67  // UTF-16 code units in one part of a concatenated UCS-2 message
	maxParts   = 255
)

// SplitText chooses the alphabet for text (GSM 7-bit when every character
// has a septet, else UCS-2, which Chinese always needs) and cuts it into
// the parts of a concatenated message: one part up to 160 septets or 70
// UCS-2 units, else parts of 153 septets or 67 units. An escaped
// character and a surrogate pair are never cut in two.
func SplitText(text string) (dcs byte, parts []string, err error) {
	if text == "" {
		return DCSGSM7, []string{""}, nil
	}
	runes := []rune(text)
	cost := make([]int, len(runes))
	dcs = DCSGSM7
	single, part := single7, part7
	for i, r := range runes {
		if _, ok := gsm7Rev[r]; ok {
			cost[i] = 1
		} else if _, ok := gsm7ExtRev[r]; ok {
			cost[i] = 2
		} else {
			dcs, single, part = DCSUCS2, singleUCS2, partUCS2
			break
		}
	}
	if dcs == DCSUCS2 {
		for i, r := range runes {
			cost[i] = utf16.RuneLen(r)
			if cost[i] < 0 {
				cost[i] = 1 // an invalid rune is sent as U+FFFD
			}
		}
	}
	total := 0
	for _, c := range cost {
		total += c
	}
	if total <= single {
		return dcs, []string{text}, nil
	}
	start, used := 0, 0
	for i, c := range cost {
		if used+c > part {
			parts = append(parts, string(runes[start:i]))
			start, used = i, 0
		}
		used += c
	}
	parts = append(parts, string(runes[start:]))
	if len(parts) > maxParts {
		return 0, nil, fmt.Errorf("text needs %d parts (at most %d): %w", len(parts), maxParts, ErrPDU)
	}
	return dcs, parts, nil
}
