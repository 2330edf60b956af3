package printer

import (
	"fmt"
	"slices"
	"strings"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// Language is a printer's command language.
type Language string

// The languages, as configured.
const (
	// TSPL: TSC, Gprinter, Xprinter, HPRT and most Chinese thermal label
	// printers (PROTOCOLS §3.2).
	TSPL Language = "tspl"
	// ZPL: Zebra and its clones (PROTOCOLS §3.3).
	ZPL Language = "zpl"
	// ESCPOS: receipt printers (PROTOCOLS §3.4), which print a label as
	// lines from top to bottom; see EncodeESCPOS.
	ESCPOS Language = "escpos"
)

// dialect is what the package knows of a language: how to write a
// label, how to ask for the status, and, for the simulator, how to read
// what a host sends.
type dialect struct {
	encode func(Label) []byte
	status func(ask asker) (Status, error)
	parser func(opt SimOptions) streamParser
}

// asker sends a query and reads the reply until complete says it is
// whole; it returns what came with ErrNoReply when the reply did not
// come whole in time, and ErrNoStatus when the connection carries no
// replies.
type asker func(query []byte, complete func([]byte) bool) ([]byte, error)

var dialects = map[Language]dialect{}

// register adds a language; each language's file does it in init.
func register(name Language, d dialect) {
	if _, dup := dialects[name]; dup {
		panic("printer: language registered twice: " + string(name))
	}
	dialects[name] = d
}

// Languages lists the languages the package speaks.
func Languages() []Language {
	var out []Language
	for l := range dialects {
		out = append(out, l)
	}
	slices.Sort(out)
	return out
}

// ParseLanguage reads a language's name from the configuration: tspl,
// zpl or escpos (case does not matter; "esc/pos" is escpos).
func ParseLanguage(s string) (Language, error) {
	l := Language(strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "/", ""))
	if _, ok := dialects[l]; !ok {
		return "", fmt.Errorf("printer language %q: want tspl, zpl or escpos", s)
	}
	return l, nil
}

func (l Language) dialect() (dialect, error) {
	d, ok := dialects[l]
	if !ok {
		return dialect{}, &Error{Code: CodeBadLabel, Op: "encode", Err: fmt.Errorf("unknown printer language %q", l)}
	}
	return d, nil
}

// Encode writes the label in the language, ready to send to a printer.
// Its errors wrap ErrBadLabel.
func Encode(lang Language, l Label) ([]byte, error) {
	d, err := lang.dialect()
	if err != nil {
		return nil, err
	}
	if err := l.Validate(); err != nil {
		return nil, err
	}
	return d.encode(l), nil
}

// GB18030 encodes text as Chinese printers read it. GB18030 covers all
// of Unicode; a printer's font may still lack a rare character (most
// built-in fonts hold GB2312 only) and print a blank or a box.
func GB18030(s string) []byte {
	b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
	if err != nil {
		return []byte(strings.ToValidUTF8(s, "?")) // only invalid UTF-8 fails, and Validate refuses it
	}
	return b
}

// fromGB18030 decodes what a host sent; bad bytes become U+FFFD.
func fromGB18030(b []byte) string {
	s, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
	if err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return string(s)
}

// clamp bounds v to [lo, hi].
func clamp(v, lo, hi int) int { return max(lo, min(v, hi)) }

// fontMul is the multiple of a 24-dot font nearest to size, within
// [1, hi].
func fontMul(size, hi int) int { return clamp((size+12)/24, 1, hi) }

// asciiOnly tells whether s needs no Chinese font.
func asciiOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// rotatedBox is the bounding box of a w×h element turned by r.
func rotatedBox(w, h int, r Rotation) (int, int) {
	if r == 90 || r == 270 {
		return h, w
	}
	return w, h
}
