package idcard

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"cunyou/idnum"
	"cunyou/mask"
)

// The text block (PROTOCOLS §1.6): UCS-2LE fields at fixed offsets,
// padded with spaces.
type textField struct{ off, chars int }

var (
	fName       = textField{0, 15}
	fSex        = textField{30, 1}
	fNation     = textField{32, 2}
	fBirth      = textField{36, 8}
	fAddress    = textField{52, 35}
	fNumber     = textField{122, 18}
	fAuthority  = textField{158, 15}
	fValidFrom  = textField{188, 8}
	fValidTo    = textField{204, 8}
	fPassNumber = textField{220, 9} // residence permit
	fIssueCount = textField{238, 2} // residence permit
	fKind       = textField{248, 1}
)

const (
	// TextLen and PhotoLen are the sizes of the blocks a card gives.
	TextLen  = 256
	PhotoLen = 1024
	// BaseInfoLen is the size of the whole answer to read base info.
	BaseInfoLen = headerLen + 3 + 4 + TextLen + PhotoLen + 1 // 1295
	// minText covers every field up to the end of the validity.
	minText = 220
	// longTerm is the validity end of a card valid for ever.
	longTerm = "长期"
)

func (f textField) end() int { return f.off + 2*f.chars }

// get decodes a field and trims its padding (spaces, NULs).
func (f textField) get(text []byte) string {
	if f.end() > len(text) {
		return ""
	}
	b := text[f.off:f.end()]
	u := make([]uint16, 0, f.chars)
	for i := 0; i+1 < len(b); i += 2 {
		u = append(u, uint16(b[i])|uint16(b[i+1])<<8)
	}
	return strings.Trim(string(utf16.Decode(u)), " \x00\u3000")
}

// put encodes s into a field, padded with spaces.
func (f textField) put(text []byte, s string, name string) error {
	u := utf16.Encode([]rune(s))
	if len(u) > f.chars {
		return fmt.Errorf("encode %s: %q is longer than %d characters", name, s, f.chars)
	}
	for len(u) < f.chars {
		u = append(u, ' ')
	}
	for i, c := range u {
		text[f.off+2*i] = byte(c)
		text[f.off+2*i+1] = byte(c >> 8)
	}
	return nil
}

// ParseBaseInfo parses a complete answer to read base info (30 01),
// 1,295 bytes from a resident ID card: the frame is checked, then the
// text and photo are cut out by the two length fields after the status,
// not by fixed offsets. The layout with a fingerprint length (30 10) is
// accepted too; the fingerprints are dropped. The ID number must pass
// its check digit (ErrIDNumber); a foreigner's card fails with
// ErrForeignerCard; a bad frame, or lengths that do not fill it, wrap
// ErrProtocol or ErrChecksum; text that does not parse wraps ErrCardData.
func ParseBaseInfo(frame []byte) (*Identity, error) {
	r, err := ParseResponse(frame)
	if err != nil {
		return nil, err
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("read base info: %w", err)
	}
	return parseBaseData(r.Data)
}

// parseBaseData parses the data of the answer: lengths, text, photo.
func parseBaseData(d []byte) (*Identity, error) {
	if len(d) < 4 {
		return nil, fmt.Errorf("parse base info: %w: %d data bytes", ErrProtocol, len(d))
	}
	textLen, photoLen := int(d[0])<<8|int(d[1]), int(d[2])<<8|int(d[3])
	start := 4
	if start+textLen+photoLen != len(d) {
		// With fingerprints: a third length, then text, photo, prints.
		if len(d) < 6 || 6+textLen+photoLen+(int(d[4])<<8|int(d[5])) != len(d) {
			return nil, fmt.Errorf("parse base info: %w: lengths %d+%d do not fill %d data bytes", ErrProtocol, textLen, photoLen, len(d))
		}
		start = 6
	}
	if textLen < minText {
		return nil, fmt.Errorf("parse base info: %w: text of %d bytes", ErrProtocol, textLen)
	}
	text := d[start : start+textLen]
	photo := bytes.Clone(d[start+textLen : start+textLen+photoLen])
	return parseText(text, photo)
}

func parseText(text, photo []byte) (*Identity, error) {
	id := &Identity{Photo: photo, Name: fName.get(text), Address: fAddress.get(text), Authority: fAuthority.get(text)}
	switch k := fKind.get(text); k {
	case "J":
		id.Kind = KindPermit
	case "I":
		return nil, fmt.Errorf("parse base info: %w", ErrForeignerCard)
	}
	if id.Name == "" {
		return nil, fmt.Errorf("parse base info: %w: no name", ErrCardData)
	}
	switch s := fSex.get(text); s {
	case "0", "1", "2", "9":
		id.Sex = Sex(s[0])
	default:
		return nil, fmt.Errorf("parse base info: %w: sex %q", ErrCardData, s)
	}
	if id.Kind == KindResident {
		id.NationCode = fNation.get(text)
	}
	var err error
	if id.Birth, err = parseDate(fBirth.get(text)); err != nil {
		return nil, fmt.Errorf("parse base info: birth: %w", err)
	}
	if id.ValidFrom, err = parseDate(fValidFrom.get(text)); err != nil {
		return nil, fmt.Errorf("parse base info: valid from: %w", err)
	}
	if to := fValidTo.get(text); to == longTerm {
		id.LongTerm = true
	} else if id.ValidTo, err = parseDate(to); err != nil {
		return nil, fmt.Errorf("parse base info: valid to: %w", err)
	}
	if id.Number, err = idnum.Parse(fNumber.get(text)); err != nil {
		kind := ErrIDNumber
		if errors.Is(err, idnum.ErrLength) || errors.Is(err, idnum.ErrCharset) {
			kind = ErrCardData
		}
		return nil, fmt.Errorf("parse base info: %w: %v", kind, err) // idnum's errors never hold the number
	}
	if id.Kind == KindPermit {
		id.PassNumber = fPassNumber.get(text)
		if c := fIssueCount.get(text); c != "" {
			if id.IssueCount, err = strconv.Atoi(c); err != nil || id.IssueCount < 0 {
				return nil, fmt.Errorf("parse base info: %w: issue count %q", ErrCardData, c)
			}
		}
	}
	return id, nil
}

// parseDate reads YYYYMMDD, a year from 1900 to 2199, as midnight UTC.
func parseDate(s string) (time.Time, error) {
	t, err := time.Parse("20060102", s)
	if err != nil || len(s) != 8 || t.Year() < 1900 || t.Year() >= 2200 {
		return time.Time{}, fmt.Errorf("%w: date %q", ErrCardData, s)
	}
	return t, nil
}

// Card describes a card for the Simulator and for tests: the text fields
// as the card stores them, unchecked, so a test can make a bad card too.
// It prints masked, like Identity.
type Card struct {
	Kind       CardKind
	Name       string // up to 15 characters
	Sex        Sex
	Nation     string // code, e.g. "01"; "" on a residence permit
	Birth      string // YYYYMMDD
	Address    string // up to 35 characters
	Number     string // 18 characters
	Authority  string // up to 15 characters
	ValidFrom  string // YYYYMMDD
	ValidTo    string // YYYYMMDD or 长期
	PassNumber string // residence permit, up to 9 characters
	IssueCount string // residence permit, 2 digits
	Photo      []byte // the WLT blob; 1024 made-up bytes when nil
}

// String returns the masked card, e.g. "张* 231221********0139".
func (c Card) String() string {
	return strings.TrimSpace(mask.Name(c.Name) + " " + idnum.Mask(c.Number))
}

// Format prints the masked card for every verb.
func (c Card) Format(f fmt.State, verb rune) { fmt.Fprintf(f, fmt.FormatString(f, verb), c.String()) }

// LogValue logs the masked card.
func (c Card) LogValue() slog.Value { return slog.StringValue(c.String()) }

// Text encodes the 256-byte text block.
func (c Card) Text() ([]byte, error) {
	text := bytes.Repeat([]byte{' ', 0}, TextLen/2)
	sex := ""
	if c.Sex != 0 {
		sex = string(rune(c.Sex))
	}
	fields := []fieldValue{
		{fName, c.Name, "name"}, {fSex, sex, "sex"}, {fNation, c.Nation, "nation"},
		{fBirth, c.Birth, "birth"}, {fAddress, c.Address, "address"}, {fNumber, c.Number, "number"},
		{fAuthority, c.Authority, "authority"}, {fValidFrom, c.ValidFrom, "valid from"}, {fValidTo, c.ValidTo, "valid to"},
	}
	if c.Kind == KindPermit {
		fields = append(fields, fieldValue{fPassNumber, c.PassNumber, "pass number"}, fieldValue{fIssueCount, c.IssueCount, "issue count"})
	}
	if c.Kind != KindResident {
		fields = append(fields, fieldValue{fKind, string(rune(c.Kind)), "kind"})
	}
	for _, fv := range fields {
		if err := fv.f.put(text, fv.v, fv.name); err != nil {
			return nil, err
		}
	}
	return text, nil
}

type fieldValue struct {
	f       textField
	v, name string
}

// BaseInfo encodes the card as a reader's complete answer to read base
// info: 1,295 bytes with a 1024-byte photo.
func (c Card) BaseInfo() ([]byte, error) {
	text, err := c.Text()
	if err != nil {
		return nil, err
	}
	photo := c.Photo
	if photo == nil {
		photo = fakePhoto(c.Number)
	}
	data := make([]byte, 0, 4+len(text)+len(photo))
	data = append(data, byte(len(text)>>8), byte(len(text)), byte(len(photo)>>8), byte(len(photo)))
	data = append(data, text...)
	data = append(data, photo...)
	return Response{SW3: SW3OK, Data: data}.Frame(), nil
}

// fakePhoto makes 1024 bytes that stand for a WLT blob, the same for the
// same seed.
func fakePhoto(seed string) []byte {
	x := uint32(2166136261)
	for i := 0; i < len(seed); i++ {
		x = (x ^ uint32(seed[i])) * 16777619
	}
	b := make([]byte, PhotoLen)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}
