package printer

import (
	"bytes"
	"cmp"
	"slices"

	"rsc.io/qr"
)

// ESC/POS (PROTOCOLS §3.4). A receipt printer prints line by line, so a
// label becomes lines from top to bottom in the standard mode: the paper
// is fed (ESC J) down to each element's Y, and ESC $ moves across to its
// X. Texts that share a Y share a line. Chinese mode (FS &) is on for
// the whole label and text goes as GB18030; a text's size is a multiple
// (GS !, 1..8) of the 24-dot font, bold is ESC E, text under a Reverse
// is printed white on black (GS B), and a text turned 90° uses ESC V
// (180° ESC {). Barcodes are Code 128 (GS k 73) and QR codes GS ( k.
// What a receipt printer cannot place, it does not get: a Line is a
// raster strip (GS v 0) only when it is wider than tall, a Box only its
// top and bottom rules. Motion units are taken to be dots (the printers'
// default). GS W sets the print width to the label's; the label ends
// with a feed to its height and a cut (GS V 66 0).

// escposStatusQueries are DLE EOT 1, 2 and 4: printer, offline cause,
// roll paper sensor.
var escposStatusQueries = [][]byte{
	{0x10, 0x04, escposPrinterStatus},
	{0x10, 0x04, escposOfflineCause},
	{0x10, 0x04, escposPaperSensor},
}

const (
	esc    = 0x1b
	gs     = 0x1d
	fsByte = 0x1c
	dle    = 0x10
	lf     = 0x0a
)

func init() {
	register(ESCPOS, dialect{encode: encodeESCPOS, status: escposStatus, parser: newESCPOSParser})
}

func escposStatus(ask asker) (Status, error) {
	var b [3]byte
	for i, q := range escposStatusQueries {
		reply, err := ask(q, func(r []byte) bool { return len(r) >= 1 })
		if err != nil {
			return Status{}, err
		}
		b[i] = reply[0]
	}
	return ParseESCPOSStatus(b[0], b[1], b[2])
}

// escposLine is what an ESC/POS label prints at one Y: texts, or one
// barcode, QR code or rule.
type escposLine struct {
	y     int
	texts []escposText
	other Element
}

type escposText struct {
	Text
	reverse bool
}

// escposLines sorts a label's elements into lines, top to bottom.
func escposLines(l Label) []escposLine {
	els := l.elements()
	var reverses []Reverse
	for _, e := range els {
		if r, ok := e.(Reverse); ok {
			reverses = append(reverses, r)
		}
	}
	var lines []escposLine
	byY := map[int]int{} // y → index of the text line there
	for _, e := range els {
		switch e := e.(type) {
		case Text:
			i, ok := byY[e.Y]
			if !ok {
				i = len(lines)
				byY[e.Y] = i
				lines = append(lines, escposLine{y: e.Y})
			}
			t := escposText{Text: e}
			for _, r := range reverses {
				t.reverse = t.reverse || e.X >= r.X && e.X < r.X+r.Width && e.Y >= r.Y && e.Y < r.Y+r.Height
			}
			lines[i].texts = append(lines[i].texts, t)
		case Barcode:
			lines = append(lines, escposLine{y: e.Y, other: e})
		case QR:
			lines = append(lines, escposLine{y: e.Y, other: e})
		case Line:
			if e.Width > e.Height {
				lines = append(lines, escposLine{y: e.Y, other: e})
			}
		case Box:
			bottom := e.Y + e.Height - e.Thickness
			lines = append(lines,
				escposLine{y: e.Y, other: Line{X: e.X, Y: e.Y, Width: e.Width, Height: e.Thickness}},
				escposLine{y: bottom, other: Line{X: e.X, Y: bottom, Width: e.Width, Height: e.Thickness}})
		}
	}
	slices.SortStableFunc(lines, func(a, b escposLine) int { return cmp.Compare(a.y, b.y) })
	for _, ln := range lines {
		slices.SortStableFunc(ln.texts, func(a, b escposText) int { return cmp.Compare(a.X, b.X) })
	}
	return lines
}

// escposHRI is the height the printer gives a barcode's human-readable
// line (font A, 24 dots).
const escposHRI = 24

// qrModules is the side of data's QR code in modules, as the preview
// draws it; 0 when it cannot be encoded.
func qrModules(data string, ecc byte) int {
	c, err := qr.Encode(data, qrLevel(ecc))
	if err != nil {
		return 0
	}
	return c.Size
}

func qrLevel(ecc byte) qr.Level {
	switch ecc {
	case 'L':
		return qr.L
	case 'Q':
		return qr.Q
	case 'H':
		return qr.H
	}
	return qr.M
}

func bit(b bool) byte {
	if b {
		return 1
	}
	return 0
}

func le16(n int) (byte, byte) { return byte(n), byte(n >> 8) }

// escposCode128 writes Code 128 data as GS k 73 takes it: {B and {C
// select the code set, digits in C go two to a byte, and a { in B is
// doubled.
func escposCode128(data string) []byte {
	syms, err := code128Symbols(data)
	if err != nil {
		return nil
	}
	var out []byte
	set := byte('B')
	for _, s := range syms[:len(syms)-2] { // the printer adds the check and stop symbols
		switch {
		case s == c128StartB || s == c128CodeB:
			out, set = append(out, '{', 'B'), 'B'
		case s == c128StartC || s == c128CodeC:
			out, set = append(out, '{', 'C'), 'C'
		case set == 'C':
			out = append(out, byte(s))
		case s+32 == '{':
			out = append(out, '{', '{')
		default:
			out = append(out, byte(s+32))
		}
	}
	return out
}

// encodeESCPOS writes a valid label (Encode checks) in ESC/POS.
func encodeESCPOS(l Label) []byte {
	var b bytes.Buffer
	w, h := l.Size()
	lines := escposLines(l)
	for range l.copies() {
		wl, wh := le16(w)
		b.Write([]byte{esc, '@', gs, 'L', 0, 0, gs, 'W', wl, wh, fsByte, '&'})
		cur := 0
		feed := func(to int) {
			for to > cur {
				n := min(to-cur, 255)
				b.Write([]byte{esc, 'J', byte(n)})
				cur += n
			}
		}
		for _, ln := range lines {
			feed(ln.y)
			if ln.texts != nil {
				height := 0
				for _, t := range ln.texts {
					mul := fontMul(t.Size, 8)
					height = max(height, 24*mul)
					xl, xh := le16(t.X)
					b.Write([]byte{esc, '$', xl, xh, gs, '!', byte((mul-1)<<4 | (mul - 1)), esc, 'E', bit(t.Bold), gs, 'B', bit(t.reverse),
						esc, 'V', bit(t.Rotation == 90 || t.Rotation == 270), esc, '{', bit(t.Rotation == 180 || t.Rotation == 270)})
					b.Write(GB18030(t.Text.Text))
				}
				b.Write([]byte{esc, '3', byte(height), lf})
				cur += height
				continue
			}
			switch e := ln.other.(type) {
			case Barcode:
				data := escposCode128(e.Data)
				xl, xh := le16(e.X)
				hri := byte(0)
				if e.HumanReadable {
					hri = 2
				}
				b.Write([]byte{esc, '$', xl, xh, gs, 'h', byte(clamp(e.Height, 1, 255)), gs, 'w', byte(clamp(e.Module, 2, 6)), gs, 'H', hri,
					gs, 'k', 73, byte(len(data))})
				b.Write(data)
				cur += clamp(e.Height, 1, 255)
				if e.HumanReadable {
					cur += escposHRI
				}
			case QR:
				xl, xh := le16(e.X)
				cell := clamp(e.Cell, 1, 16)
				pl, ph := le16(len(e.Data) + 3)
				b.Write([]byte{esc, '$', xl, xh,
					gs, '(', 'k', 4, 0, 49, 65, 50, 0, // model 2
					gs, '(', 'k', 3, 0, 49, 67, byte(cell), // module size
					gs, '(', 'k', 3, 0, 49, 69, 48 + escposECC(e.ECC), // error correction
					gs, '(', 'k', pl, ph, 49, 80, 48}) // store
				b.WriteString(e.Data)
				b.Write([]byte{gs, '(', 'k', 3, 0, 49, 81, 48}) // print
				cur += qrModules(e.Data, e.ECC) * cell
			case Line:
				b.Write(escposRule(e))
				cur += e.Height
			}
		}
		feed(h)
		b.Write([]byte{fsByte, '.', gs, 'V', 66, 0})
	}
	return b.Bytes()
}

func escposECC(ecc byte) byte {
	switch ecc {
	case 'L':
		return 0
	case 'Q':
		return 2
	case 'H':
		return 3
	}
	return 1
}

// escposRule draws a line as a raster strip (GS v 0): Height rows of
// dots X..X+Width.
func escposRule(e Line) []byte {
	wb := (e.X + e.Width + 7) / 8
	xl, xh := le16(wb)
	yl, yh := le16(e.Height)
	out := []byte{gs, 'v', '0', 0, xl, xh, yl, yh}
	row := make([]byte, wb)
	for x := e.X; x < e.X+e.Width; x++ {
		row[x/8] |= 0x80 >> (x % 8)
	}
	for range e.Height {
		out = append(out, row...)
	}
	return out
}
