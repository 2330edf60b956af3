package printer

import (
	"bytes"
	"fmt"
	"strconv"
)

// TSPL (PROTOCOLS §3.2). Each label is SIZE, GAP, CLS, its elements and
// PRINT, one command a line ended by CRLF. Text uses the printer's
// Simplified-Chinese font TSS24.BF2 (24×24 dots, GB-coded; its Latin
// half is 12×24) for every string, enlarged by a whole multiple (1..10)
// to the nearest size, and goes as GB18030 bytes. TSPL has no bold: bold
// text is printed twice, one dot apart. TSPL turns text and barcodes
// about their first point; the encoder moves that point so the turned
// element's box starts at the element's X and Y.

// TSPLFont is the font every TEXT command names.
const TSPLFont = "TSS24.BF2"

// tsplStatusQuery is <ESC>!?: one status byte back, even mid-job.
var tsplStatusQuery = []byte{0x1b, '!', '?'}

func init() {
	register(TSPL, dialect{encode: encodeTSPL, status: tsplStatus, parser: newTSPLParser})
}

func tsplStatus(ask asker) (Status, error) {
	reply, err := ask(tsplStatusQuery, func(b []byte) bool { return len(b) >= 1 })
	if err != nil {
		return Status{}, err
	}
	return ParseTSPLStatus(reply[0]), nil
}

// encodeTSPL writes a valid label (Encode checks) in TSPL.
func encodeTSPL(l Label) []byte {
	var b bytes.Buffer
	line := func(format string, args ...any) {
		fmt.Fprintf(&b, format, args...)
		b.WriteString("\r\n")
	}
	line("SIZE %s mm,%s mm", num(l.WidthMM), num(l.HeightMM))
	line("GAP %s mm,0 mm", num(l.GapMM))
	line("CLS")
	for _, e := range l.elements() {
		switch e := e.(type) {
		case Text:
			mul := fontMul(e.Size, 10)
			t := e
			t.Size = 24 * mul
			w, h := textBox(t)
			x, y := tsplPivot(e.X, e.Y, w, h, e.Rotation)
			text := tsplQuote(GB18030(e.Text))
			b.WriteString(fmt.Sprintf(`TEXT %d,%d,"%s",%d,%d,%d,`, x, y, TSPLFont, e.Rotation, mul, mul))
			b.Write(text)
			b.WriteString("\r\n")
			if e.Bold {
				dx, dy := 1, 0
				if e.Rotation == 90 || e.Rotation == 270 {
					dx, dy = 0, 1
				}
				b.WriteString(fmt.Sprintf(`TEXT %d,%d,"%s",%d,%d,%d,`, x+dx, y+dy, TSPLFont, e.Rotation, mul, mul))
				b.Write(text)
				b.WriteString("\r\n")
			}
		case Barcode:
			x, y := tsplPivot(e.X, e.Y, Code128Width(e.Data, e.Module), e.Height, e.Rotation)
			hr := 0
			if e.HumanReadable {
				hr = 1
			}
			b.WriteString(fmt.Sprintf(`BARCODE %d,%d,"128",%d,%d,%d,%d,%d,`, x, y, e.Height, hr, e.Rotation, e.Module, e.Module))
			b.Write(tsplQuote([]byte(e.Data)))
			b.WriteString("\r\n")
		case QR:
			b.WriteString(fmt.Sprintf(`QRCODE %d,%d,%c,%d,A,0,`, e.X, e.Y, e.ECC, clamp(e.Cell, 1, 10)))
			b.Write(tsplQuote([]byte(e.Data)))
			b.WriteString("\r\n")
		case Line:
			line("BAR %d,%d,%d,%d", e.X, e.Y, e.Width, e.Height)
		case Box:
			line("BOX %d,%d,%d,%d,%d", e.X, e.Y, e.X+e.Width, e.Y+e.Height, e.Thickness)
		case Reverse:
			line("REVERSE %d,%d,%d,%d", e.X, e.Y, e.Width, e.Height)
		}
	}
	line("PRINT 1,%d", l.copies())
	return b.Bytes()
}

// tsplPivot is the point TSPL turns a w×h element about, for the
// element's box to start at x, y once turned.
func tsplPivot(x, y, w, h int, r Rotation) (int, int) {
	switch r {
	case 90:
		return x + h, y
	case 180:
		return x + w, y + h
	case 270:
		return x, y + w
	}
	return x, y
}

// tsplQuote quotes a TSPL string: a double quote inside is \["].
func tsplQuote(s []byte) []byte {
	out := make([]byte, 0, len(s)+2)
	out = append(out, '"')
	out = append(out, bytes.ReplaceAll(s, []byte(`"`), []byte(`\["]`))...)
	return append(out, '"')
}

// num writes a size in millimetres without needless digits.
func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
