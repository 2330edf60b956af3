package printer

import (
	"bytes"
	"fmt"
)

// ZPL (PROTOCOLS §3.3). Each label is one ^XA…^XZ format. Chinese text
// follows the recipe the sources report working: the GB18030 encoding
// table (^SEE:GB18030.DAT) and the SimSun font mapped to font 1
// (^CW1,E:SIMSUN.FNT), which every text field names (^A1). ^CI26
// (Zebra's multibyte Asian encodings, ASCII transparent, the ^CI that
// goes with ^SE) is ours: the source shows no ^CI, and none of it has
// been tried on a printer here. The printer needs SIMSUN.FNT in its E:
// memory (Zebra's Chinese font kit). Field data goes as GB18030
// bytes; a ^, ~ or _ in it (ZPL's command and hex characters, which can
// also be the second byte of a Chinese character) is written in hex
// under ^FH. ZPL has no bold: bold text is printed twice, one dot apart.

// ZPL's commands that set the printer up for Chinese.
const (
	ZPLEncoding = "^CI26^SEE:GB18030.DAT"
	ZPLFont     = "^CW1,E:SIMSUN.FNT"
)

// zplStatusQuery is ~HS: three strings back, none in an error state.
var zplStatusQuery = []byte("~HS")

func init() {
	register(ZPL, dialect{encode: encodeZPL, status: zplStatus, parser: newZPLParser})
}

func zplStatus(ask asker) (Status, error) {
	reply, err := ask(zplStatusQuery, zplComplete)
	if err != nil {
		return Status{}, err
	}
	return ParseZPLStatus(reply)
}

// zplOrientation is ^A's and ^BC's orientation for a rotation: Normal,
// Rotated 90° clockwise, Inverted, Bottom-up.
func zplOrientation(r Rotation) byte {
	switch r {
	case 90:
		return 'R'
	case 180:
		return 'I'
	case 270:
		return 'B'
	}
	return 'N'
}

// zplField writes ^FD data, in hex under ^FH where it holds ^, ~ or _.
func zplField(b *bytes.Buffer, data []byte) {
	if bytes.ContainsAny(data, "^~_") {
		b.WriteString("^FH")
		b.WriteString("^FD")
		for _, c := range data {
			if c == '^' || c == '~' || c == '_' {
				fmt.Fprintf(b, "_%02X", c)
			} else {
				b.WriteByte(c)
			}
		}
	} else {
		b.WriteString("^FD")
		b.Write(data)
	}
	b.WriteString("^FS\n")
}

// encodeZPL writes a valid label (Encode checks) in ZPL.
func encodeZPL(l Label) []byte {
	var b bytes.Buffer
	w, h := l.Size()
	b.WriteString("^XA\n" + ZPLEncoding + "\n" + ZPLFont + "\n")
	fmt.Fprintf(&b, "^PW%d\n^LL%d\n^LH0,0\n", w, h)
	for _, e := range l.elements() {
		switch e := e.(type) {
		case Text:
			data := GB18030(e.Text)
			fmt.Fprintf(&b, "^FO%d,%d^A1%c,%d,%d", e.X, e.Y, zplOrientation(e.Rotation), e.Size, e.Size)
			zplField(&b, data)
			if e.Bold {
				dx, dy := 1, 0
				if e.Rotation == 90 || e.Rotation == 270 {
					dx, dy = 0, 1
				}
				fmt.Fprintf(&b, "^FO%d,%d^A1%c,%d,%d", e.X+dx, e.Y+dy, zplOrientation(e.Rotation), e.Size, e.Size)
				zplField(&b, data)
			}
		case Barcode:
			hr := 'N'
			if e.HumanReadable {
				hr = 'Y'
			}
			fmt.Fprintf(&b, "^FO%d,%d^BY%d^BC%c,%d,%c,N,N,A", e.X, e.Y, e.Module, zplOrientation(e.Rotation), e.Height, hr)
			zplField(&b, []byte(e.Data))
		case QR:
			fmt.Fprintf(&b, "^FO%d,%d^BQN,2,%d", e.X, e.Y, clamp(e.Cell, 1, 10))
			zplField(&b, append([]byte{e.ECC, 'A', ','}, e.Data...))
		case Line:
			fmt.Fprintf(&b, "^FO%d,%d^GB%d,%d,%d^FS\n", e.X, e.Y, e.Width, e.Height, max(1, min(e.Width, e.Height)))
		case Box:
			fmt.Fprintf(&b, "^FO%d,%d^GB%d,%d,%d^FS\n", e.X, e.Y, e.Width, e.Height, e.Thickness)
		case Reverse:
			fmt.Fprintf(&b, "^FO%d,%d^FR^GB%d,%d,%d^FS\n", e.X, e.Y, e.Width, e.Height, max(1, min(e.Width, e.Height)))
		}
	}
	fmt.Fprintf(&b, "^PQ%d\n^XZ\n", l.copies())
	return b.Bytes()
}
