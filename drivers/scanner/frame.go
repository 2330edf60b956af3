package scanner

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// Suffix is the byte sequence a scan gun sends after each code. Scan guns
// are programmed by scanning configuration barcodes, and the factory
// default differs by vendor (PROTOCOLS §2).
type Suffix string

const (
	CR   Suffix = "\r"   // "Enter" on most scan guns
	LF   Suffix = "\n"   // "Enter" as Unix sees it
	CRLF Suffix = "\r\n" // Datalogic's factory default
	Tab  Suffix = "\t"
)

// ParseSuffix reads a suffix by its name as a configuration file gives it:
// CR, LF, CRLF or TAB (any case).
func ParseSuffix(name string) (Suffix, error) {
	switch strings.ToUpper(strings.TrimSpace(name)) {
	case "CR", "ENTER":
		return CR, nil
	case "LF":
		return LF, nil
	case "CRLF":
		return CRLF, nil
	case "TAB":
		return Tab, nil
	}
	return "", fmt.Errorf("scanner suffix %q: want CR, LF, CRLF or TAB: %w", name, ErrConfig)
}

// String names the suffix as ParseSuffix reads it.
func (s Suffix) String() string {
	switch s {
	case CR:
		return "CR"
	case LF:
		return "LF"
	case CRLF:
		return "CRLF"
	case Tab:
		return "TAB"
	}
	return fmt.Sprintf("%q", string(s))
}

func (s Suffix) valid() bool { return s == CR || s == LF || s == CRLF || s == Tab }

// framer cuts a byte stream into frames ended by a suffix. A run of more
// than max bytes without a suffix is garbage: it is reported once and
// skipped up to the next suffix. The framer holds at most
// max+len(suffix) bytes whatever it is fed.
type framer struct {
	suffix  []byte
	max     int
	buf     []byte
	discard bool // inside garbage: skipping to the next suffix
}

func newFramer(suffix Suffix, max int) *framer {
	return &framer{suffix: []byte(suffix), max: max, buf: make([]byte, 0, max+len(suffix))}
}

// feed consumes b, calling frame for each whole frame (without its
// suffix; the slice is valid only during the call) and tooLong once for
// each run of garbage.
func (f *framer) feed(b []byte, frame func([]byte), tooLong func()) {
	keep := len(f.suffix) - 1 // bytes that may be the start of a suffix
	for _, c := range b {
		f.buf = append(f.buf, c)
		if bytes.HasSuffix(f.buf, f.suffix) {
			if !f.discard {
				frame(f.buf[:len(f.buf)-len(f.suffix)])
			}
			f.buf, f.discard = f.buf[:0], false
			continue
		}
		if len(f.buf)-keep <= f.max {
			continue
		}
		if !f.discard {
			f.discard = true
			tooLong()
		}
		f.buf = append(f.buf[:0], f.buf[len(f.buf)-keep:]...)
	}
}

// reset forgets a partial frame (the port was reopened).
func (f *framer) reset() { f.buf, f.discard = f.buf[:0], false }

// clean turns a frame into a code: decoded from GB18030 when gb is set,
// surrounding white space and control characters trimmed (the LF of a
// CRLF scanner read with suffix CR, line noise), the prefix stripped when
// present, and the rest checked to be printable UTF-8. An empty code (""
// with a nil error) is no read at all.
func clean(frame []byte, prefix string, gb bool) (string, error) {
	if gb {
		u, err := simplifiedchinese.GB18030.NewDecoder().Bytes(frame)
		if err != nil || bytes.ContainsRune(u, utf8.RuneError) {
			return "", ErrNotPrintable
		}
		frame = u
	}
	s := strings.TrimFunc(string(frame), blank)
	if prefix != "" {
		s = strings.TrimFunc(strings.TrimPrefix(s, prefix), blank)
	}
	if !utf8.ValidString(s) {
		return "", ErrNotPrintable
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return "", ErrNotPrintable
		}
	}
	return s, nil
}

func blank(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }
