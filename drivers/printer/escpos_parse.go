package printer

import (
	"fmt"
	"math"
	"slices"
	"strconv"
)

// escposParser reads ESC/POS as encodeESCPOS writes it, and skips what
// it does not know. A label ends at a cut (GS V).
type escposParser struct {
	dpi int
	buf []byte

	width   int // GS W, dots
	cur     int // the paper's position, dots from the label's top
	spacing int // ESC 3
	x       int // ESC $
	mul     int // GS !, height multiple
	bold    bool
	reverse bool
	rot90   bool
	upside  bool
	segs    []escposSeg // the line being built
	open    bool        // text bytes go on the last segment
	els     []Element

	bcHeight, bcModule int
	bcHRI              bool
	qrCell             int
	qrECC              byte
	qrData             []byte
}

type escposSeg struct {
	x                    int
	mul                  int
	bold, reverse, rot90 bool
	upside               bool
	text                 []byte
}

func newESCPOSParser(opt SimOptions) streamParser {
	p := &escposParser{dpi: opt.DPI}
	p.reset()
	return p
}

// reset is ESC @: modes to their defaults, a new label.
func (p *escposParser) reset() {
	dpi := p.dpi
	*p = escposParser{dpi: dpi, buf: p.buf, width: Label{DPI: dpi}.Dots(72), spacing: 30, mul: 1,
		bcHeight: 162, bcModule: 3, qrCell: 3, qrECC: 'M'}
}

func (p *escposParser) feed(b []byte) []simEvent {
	p.buf = append(p.buf, b...)
	var evs []simEvent
	for len(p.buf) > 0 {
		n, ev := p.step(p.buf)
		if n == 0 {
			if len(p.buf) > maxBuffered {
				p.buf = p.buf[1:] // a command that never completes: skip its first byte
				continue
			}
			break
		}
		p.buf = p.buf[n:]
		if ev.command != "" || ev.label != nil || ev.query != nil {
			evs = append(evs, ev)
		}
	}
	if len(p.buf) == 0 {
		p.buf = nil
	}
	return evs
}

// step reads the command at the start of b: how many bytes it takes (0
// when b is too short to say) and what it does.
func (p *escposParser) step(b []byte) (int, simEvent) {
	c := b[0]
	var ev simEvent
	if c >= 0x20 {
		if !p.open {
			x := p.x
			if n := len(p.segs); n > 0 && p.segs[n-1].x >= x {
				last := p.segs[n-1]
				x = last.x + TextWidth(fromGB18030(last.text), 24*last.mul)
			}
			p.segs = append(p.segs, escposSeg{x: x, mul: p.mul, bold: p.bold, reverse: p.reverse, rot90: p.rot90, upside: p.upside})
			p.open = true
		}
		if s := &p.segs[len(p.segs)-1]; len(s.text) < maxTextBytes {
			s.text = append(s.text, c)
		}
		return 1, ev
	}
	p.open = false
	arg := func(i int) int { return int(b[i]) }
	switch c {
	case lf:
		p.flush(p.spacing)
		return 1, ev
	case esc, gs, fsByte, dle:
	default:
		return 1, ev // CR and other controls
	}
	if len(b) < 2 {
		return 0, ev
	}
	two := string([]byte{c, b[1]})
	size := 2
	switch two {
	case "\x1b@":
		p.reset()
		ev.command = "ESC @"
	case "\x1b2":
		p.spacing = 30
	case "\x1bE", "\x1bV", "\x1b{", "\x1b3", "\x1bJ", "\x1ba", "\x1b!", "\x1b-", "\x1bM", "\x1bd", "\x1bG", "\x1bR", "\x1bt",
		"\x1d!", "\x1dB", "\x1dh", "\x1dw", "\x1dH", "\x1df", "\x1dr", "\x1da", "\x1dI", "\x1c!", "\x10\x04", "\x10\x05":
		if len(b) < 3 {
			return 0, ev
		}
		size = 3
		n := arg(2)
		switch two {
		case "\x1bE":
			p.bold = n&1 != 0
		case "\x1bV":
			p.rot90 = n&1 != 0
		case "\x1b{":
			p.upside = n&1 != 0
		case "\x1b3":
			p.spacing = n
		case "\x1bJ":
			p.flush(n)
		case "\x1bd":
			p.flush(n * p.spacing)
		case "\x1d!":
			p.mul = n&0x07 + 1
		case "\x1dB":
			p.reverse = n&1 != 0
		case "\x1dh":
			p.bcHeight = n
		case "\x1dw":
			p.bcModule = n
		case "\x1dH":
			p.bcHRI = n&3 != 0
		case "\x10\x04":
			ev.query = []byte{dle, 0x04, byte(n)}
			ev.command = "DLE EOT " + strconv.Itoa(n)
		}
	case "\x1b$", "\x1dL", "\x1dW", "\x1dP":
		if len(b) < 4 {
			return 0, ev
		}
		size = 4
		v := arg(2) | arg(3)<<8
		switch two {
		case "\x1b$":
			p.x = v
		case "\x1dW":
			if validDots(v) {
				p.width = v
			}
		}
	case "\x1dV":
		if len(b) < 3 {
			return 0, ev
		}
		size = 3
		m := arg(2)
		if m == 65 || m == 66 {
			if len(b) < 4 {
				return 0, ev
			}
			size = 4
			p.flush(arg(3))
		} else {
			p.flush(0)
		}
		ev.command = "GS V"
		ev.label = p.cut()
	case "\x1dk":
		if len(b) < 3 {
			return 0, ev
		}
		m := arg(2)
		var data []byte
		if m <= 6 {
			end := -1
			for i := 3; i < len(b) && i < 3+256; i++ {
				if b[i] == 0 {
					end = i
					break
				}
			}
			if end < 0 {
				if len(b) >= 3+256 {
					return 3, ev // no terminator in sight: skip the command
				}
				return 0, ev
			}
			data, size = b[3:end], end+1
		} else {
			if len(b) < 4 || len(b) < 4+arg(3) {
				return 0, ev
			}
			data, size = b[4:4+arg(3)], 4+arg(3)
		}
		p.flush(0)
		ev.command = fmt.Sprintf("GS k %d", m)
		if m == 73 {
			p.barcode(escposUn128(data))
		}
	case "\x1d(":
		if len(b) < 5 {
			return 0, ev
		}
		n := arg(3) | arg(4)<<8
		if len(b) < 5+n {
			return 0, ev
		}
		size = 5 + n
		if b[2] == 'k' && n >= 2 && b[5] == 49 {
			p.qr(b[6], b[7:5+n])
		}
	case "\x1dv":
		if len(b) < 8 {
			return 0, ev
		}
		wb, rows := arg(4)|arg(5)<<8, arg(6)|arg(7)<<8
		if wb*rows > maxBuffered || b[2] != '0' {
			return 8, ev
		}
		if len(b) < 8+wb*rows {
			return 0, ev
		}
		size = 8 + wb*rows
		p.flush(0)
		p.raster(b[8:size], wb, rows)
		ev.command = "GS v 0"
	}
	return size, ev
}

// flush prints the line being built and feeds feed dots.
func (p *escposParser) flush(feed int) {
	for _, s := range p.segs {
		rot := Rotation(0)
		switch {
		case s.rot90 && s.upside:
			rot = 270
		case s.rot90:
			rot = 90
		case s.upside:
			rot = 180
		}
		t := Text{X: s.x, Y: p.cur, Size: 24 * s.mul, Bold: s.bold, Rotation: rot, Text: fromGB18030(s.text)}
		if !validDots(t.X, t.Y) {
			continue
		}
		p.els = addElement(p.els, t)
		if s.reverse {
			w, h := textBox(t)
			p.els = addElement(p.els, Reverse{X: t.X, Y: t.Y, Width: w, Height: h})
		}
	}
	if len(p.segs) > 0 || feed > 0 {
		p.x = 0 // a printed line returns to the left margin
	}
	p.segs, p.open = nil, false
	p.cur = min(p.cur+max(feed, 0), maxDots)
}

// cut ends the label.
func (p *escposParser) cut() *Label {
	dpm := Label{DPI: p.dpi}.DotsPerMM()
	l := &Label{WidthMM: math.Round(float64(p.width)/dpm*10) / 10, HeightMM: math.Round(float64(p.cur)/dpm*10) / 10,
		DPI: p.dpi, Elements: slices.Clone(p.els)}
	p.els, p.cur = nil, 0
	return l
}

func (p *escposParser) barcode(data string) {
	if data == "" || !printableASCII(data) || !validDots(p.x) {
		return
	}
	p.els = addElement(p.els, Barcode{X: p.x, Y: p.cur, Height: max(p.bcHeight, 1), Module: clamp(p.bcModule, 1, 10), HumanReadable: p.bcHRI, Data: data})
	p.cur = min(p.cur+max(p.bcHeight, 1), maxDots)
	if p.bcHRI {
		p.cur = min(p.cur+escposHRI, maxDots)
	}
}

// qr takes one GS ( k function of the QR symbol (cn 49).
func (p *escposParser) qr(fn byte, params []byte) {
	switch fn {
	case 67:
		if len(params) >= 1 && params[0] >= 1 && params[0] <= 16 {
			p.qrCell = int(params[0])
		}
	case 69:
		if len(params) >= 1 && params[0] >= 48 && params[0] <= 51 {
			p.qrECC = "LMQH"[params[0]-48]
		}
	case 80:
		if len(params) >= 1 {
			p.qrData = slices.Clone(params[1:])
		}
	case 81:
		p.flush(0)
		data := string(p.qrData)
		if data == "" || !validDots(p.x) {
			return
		}
		p.els = addElement(p.els, QR{X: p.x, Y: p.cur, Cell: p.qrCell, ECC: p.qrECC, Data: data})
		p.cur = min(p.cur+qrModules(data, p.qrECC)*p.qrCell, maxDots)
	}
}

// raster reads a GS v 0 image as the rules it holds: runs of dots that
// repeat on consecutive rows become one Line.
func (p *escposParser) raster(data []byte, wb, rows int) {
	type run struct{ x, w int }
	runsOf := func(row []byte) []run {
		var out []run
		start := -1
		for x := 0; x <= wb*8; x++ {
			on := x < wb*8 && row[x/8]&(0x80>>(x%8)) != 0
			switch {
			case on && start < 0:
				start = x
			case !on && start >= 0:
				out = append(out, run{start, x - start})
				start = -1
			}
		}
		return out
	}
	top := 0
	var prev []run
	emit := func(until int) {
		for _, r := range prev {
			p.els = addElement(p.els, Line{X: r.x, Y: p.cur + top, Width: r.w, Height: until - top})
		}
	}
	for y := range rows {
		runs := runsOf(data[y*wb : (y+1)*wb])
		if y == 0 || !slices.Equal(runs, prev) {
			if y > 0 {
				emit(y)
			}
			prev, top = runs, y
		}
	}
	if rows > 0 {
		emit(rows)
	}
	p.cur = min(p.cur+rows, maxDots)
}

// escposUn128 undoes escposCode128: GS k 73 data back to text.
func escposUn128(b []byte) string {
	var out []byte
	set := byte('B')
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == '{' && i+1 < len(b) {
			i++
			switch b[i] {
			case 'A', 'B', 'C':
				set = b[i]
			case '{':
				out = append(out, '{')
			}
			continue
		}
		if set == 'C' {
			if c > 99 {
				return ""
			}
			out = append(out, '0'+c/10, '0'+c%10)
			continue
		}
		out = append(out, c)
	}
	return string(out)
}
