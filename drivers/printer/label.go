package printer

import (
	"fmt"
	"math"
	"unicode/utf8"
)

// Label is one label: the stock's size, the printer's resolution, and the
// elements to print on it. Element positions and sizes are in dots from
// the label's top-left corner, as the printer languages count them.
type Label struct {
	// WidthMM and HeightMM are the stock's size (76×130 for the
	// e-waybill, PROTOCOLS §3.1).
	WidthMM, HeightMM float64
	// GapMM is the gap between two labels on the roll (TSPL GAP); 0 is
	// continuous stock.
	GapMM float64
	// DPI is the printer's resolution; 203 (8 dots/mm) when 0.
	DPI int
	// Copies is how many of the label to print; 1 when 0.
	Copies int
	// Elements are drawn in order; a Reverse inverts what is under it.
	Elements []Element
}

// Element is one thing drawn on a label: Text, Barcode, QR, Line, Box or
// Reverse (or a pointer to one).
type Element interface {
	element()
}

// Rotation turns an element clockwise, in degrees: 0, 90, 180 or 270.
// The element's X and Y stay the top-left corner of the turned element's
// bounding box (ZPL's ^FO rule); the TSPL encoder moves its pivot to
// match.
type Rotation int

// Text is a line of text. Printers draw it with a fixed cell font:
// Latin characters half a cell wide, Chinese a full cell.
type Text struct {
	X, Y int
	// Size is the character height in dots; 24 when 0. TSPL and ESC/POS
	// round it to a multiple of their 24-dot font.
	Size     int
	Bold     bool // printed twice, one dot apart, where the font has no bold
	Rotation Rotation
	Text     string
}

// Barcode is a Code 128 barcode.
type Barcode struct {
	X, Y int
	// Height is the bars' height in dots; 80 when 0.
	Height int
	// Module is the narrowest bar's width in dots; 2 when 0.
	Module int
	// HumanReadable prints the data under the bars.
	HumanReadable bool
	Rotation      Rotation
	// Data is printable ASCII (32..126).
	Data string
}

// QR is a QR code (model 2, byte mode).
type QR struct {
	X, Y int
	// Cell is a module's side in dots; 4 when 0.
	Cell int
	// ECC is the error correction level 'L', 'M', 'Q' or 'H'; 'M' when 0.
	ECC  byte
	Data string
}

// Line is a filled rectangle: a rule across or down the label (TSPL
// BAR).
type Line struct {
	X, Y, Width, Height int
}

// Box is a rectangle's outline, Thickness dots wide inside its bounds.
type Box struct {
	X, Y, Width, Height int
	Thickness           int // 2 when 0
}

// Reverse inverts the rectangle: black becomes white and white black
// (TSPL REVERSE, ZPL ^FR). It acts on what is drawn before it.
type Reverse struct {
	X, Y, Width, Height int
}

func (Text) element()    {}
func (Barcode) element() {}
func (QR) element()      {}
func (Line) element()    {}
func (Box) element()     {}
func (Reverse) element() {}

// Limits that keep a label within what a label printer can take.
const (
	maxLabelMM   = 1000
	maxTextBytes = 1000
	maxDataBytes = 2000
	maxDots      = 8000
)

// dpi is the label's resolution with its default.
func (l Label) dpi() int {
	if l.DPI <= 0 {
		return 203
	}
	return l.DPI
}

// DotsPerMM is the printer's resolution in dots a millimetre: 8 at
// 203 dpi, 11.8 at 300 dpi.
func (l Label) DotsPerMM() float64 {
	if l.dpi() == 203 {
		return 8
	}
	return float64(l.dpi()) / 25.4
}

// Dots converts millimetres to dots at the label's resolution.
func (l Label) Dots(mm float64) int {
	return int(math.Round(mm * l.DotsPerMM()))
}

// Size is the label's size in dots.
func (l Label) Size() (w, h int) {
	return l.Dots(l.WidthMM), l.Dots(l.HeightMM)
}

func (l Label) copies() int {
	if l.Copies <= 0 {
		return 1
	}
	return l.Copies
}

// normalized returns the element with its defaults filled in.
func normalized(e Element) Element {
	switch e := e.(type) {
	case *Text:
		return normalized(*e)
	case *Barcode:
		return normalized(*e)
	case *QR:
		return normalized(*e)
	case *Line:
		return *e
	case *Box:
		return normalized(*e)
	case *Reverse:
		return *e
	case Text:
		if e.Size <= 0 {
			e.Size = 24
		}
		return e
	case Barcode:
		if e.Height <= 0 {
			e.Height = 80
		}
		if e.Module <= 0 {
			e.Module = 2
		}
		return e
	case QR:
		if e.Cell <= 0 {
			e.Cell = 4
		}
		if e.ECC == 0 {
			e.ECC = 'M'
		}
		return e
	case Box:
		if e.Thickness <= 0 {
			e.Thickness = 2
		}
		return e
	}
	return e
}

// elements returns the label's elements as values with their defaults.
func (l Label) elements() []Element {
	out := make([]Element, 0, len(l.Elements))
	for _, e := range l.Elements {
		if e != nil {
			out = append(out, normalized(e))
		}
	}
	return out
}

// elementsOf picks the label's elements of one type, in order, with
// their defaults.
func elementsOf[T Element](l Label) []T {
	var out []T
	for _, e := range l.elements() {
		if v, ok := e.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

// Validate checks that every printer language can print the label. Its
// errors wrap ErrBadLabel.
func (l Label) Validate() error {
	bad := func(format string, args ...any) error {
		return &Error{Code: CodeBadLabel, Op: "check label", Err: fmt.Errorf(format, args...)}
	}
	if !(l.WidthMM > 0 && l.WidthMM <= maxLabelMM && l.HeightMM > 0 && l.HeightMM <= maxLabelMM) {
		return bad("size %g×%g mm out of range", l.WidthMM, l.HeightMM)
	}
	if l.GapMM < 0 || l.GapMM > 100 {
		return bad("gap %g mm out of range", l.GapMM)
	}
	if w, h := l.Size(); w > maxDots || h > maxDots {
		return bad("size %d×%d dots out of range", w, h)
	}
	if l.Copies < 0 || l.Copies > 1000 {
		return bad("copies %d out of range", l.Copies)
	}
	pos := func(what string, vals ...int) error {
		for _, v := range vals {
			if v < 0 || v > maxDots {
				return bad("%s: %d out of range", what, v)
			}
		}
		return nil
	}
	for i, e := range l.elements() {
		var err error
		switch e := e.(type) {
		case Text:
			err = pos("text", e.X, e.Y, e.Size)
			switch {
			case err != nil:
			case !validRotation(e.Rotation):
				err = bad("text %d: rotation %d", i, e.Rotation)
			case !utf8.ValidString(e.Text) || len(e.Text) > maxTextBytes:
				err = bad("text %d: not UTF-8 or too long", i)
			case hasControl(e.Text):
				err = bad("text %d: control character", i)
			}
		case Barcode:
			err = pos("barcode", e.X, e.Y, e.Height, e.Module)
			switch {
			case err != nil:
			case e.Module > 10:
				err = bad("barcode %d: module %d dots", i, e.Module)
			case !validRotation(e.Rotation):
				err = bad("barcode %d: rotation %d", i, e.Rotation)
			case e.Data == "" || len(e.Data) > 100:
				err = bad("barcode %d: %d characters", i, len(e.Data))
			case !printableASCII(e.Data):
				err = bad("barcode %d: %q is not printable ASCII", i, e.Data)
			}
		case QR:
			err = pos("qr", e.X, e.Y)
			switch {
			case err != nil:
			case e.Cell > 20:
				err = bad("qr %d: cell %d dots", i, e.Cell)
			case e.ECC != 'L' && e.ECC != 'M' && e.ECC != 'Q' && e.ECC != 'H':
				err = bad("qr %d: error correction %q", i, e.ECC)
			case e.Data == "" || len(e.Data) > maxDataBytes || !utf8.ValidString(e.Data):
				err = bad("qr %d: empty, too long or not UTF-8", i)
			case hasControl(e.Data):
				err = bad("qr %d: control character", i)
			}
		case Line:
			err = pos("line", e.X, e.Y, e.Width, e.Height)
		case Box:
			err = pos("box", e.X, e.Y, e.Width, e.Height, e.Thickness)
		case Reverse:
			err = pos("reverse", e.X, e.Y, e.Width, e.Height)
		default:
			err = bad("element %d: unknown type %T", i, e)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func validRotation(r Rotation) bool {
	return r == 0 || r == 90 || r == 180 || r == 270
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 32 || s[i] > 126 {
			return false
		}
	}
	return true
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 32 || r == 0x7f {
			return true
		}
	}
	return false
}

// TextWidth is the width in dots of s at a character height of size, in
// the printers' cell fonts: Latin characters (below U+0080) half a cell,
// others a full cell.
func TextWidth(s string, size int) int {
	if size <= 0 {
		size = 24
	}
	w := 0
	for _, r := range s {
		w += runeWidth(r, size)
	}
	return w
}

func runeWidth(r rune, size int) int {
	if r < 0x80 {
		return size / 2
	}
	return size
}

// Wrap breaks s into lines no wider than width dots at size, at most
// max lines (the last one cut short with "…" when s does not fit; all
// lines when max ≤ 0). It breaks anywhere, as Chinese text may, but
// keeps a run of Latin letters and digits together when it can.
func Wrap(s string, size, width, max int) []string {
	var lines []string
	rs := []rune(s)
	for len(rs) > 0 {
		w, n := 0, 0
		for n < len(rs) && w+runeWidth(rs[n], size) <= width {
			w += runeWidth(rs[n], size)
			n++
		}
		if n == 0 {
			n = 1 // a character wider than the line: print it anyway
		}
		if n < len(rs) && isWordRune(rs[n]) {
			k := n
			for k > 0 && isWordRune(rs[k-1]) {
				k--
			}
			if k > 0 {
				n = k
			}
		}
		line := string(rs[:n])
		rs = rs[n:]
		for len(rs) > 0 && rs[0] == ' ' {
			rs = rs[1:]
		}
		if max > 0 && len(lines) == max-1 && len(rs) > 0 {
			lr := []rune(line)
			for len(lr) > 0 && TextWidth(string(lr), size)+size > width {
				lr = lr[:len(lr)-1]
			}
			lines = append(lines, string(lr)+"…")
			return lines
		}
		lines = append(lines, line)
	}
	return lines
}

func isWordRune(r rune) bool {
	return r < 0x80 && (r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
}

// textBox is the size of a text's bounding box before rotation.
func textBox(t Text) (w, h int) {
	return TextWidth(t.Text, t.Size), t.Size
}
