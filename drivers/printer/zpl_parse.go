package printer

import (
	"bytes"
	"math"
	"slices"
	"strconv"
	"strings"
)

// zplParser reads ZPL: commands that start with ^ or ~ and run to the
// next one; formats ^XA…^XZ; ~HS anywhere.
type zplParser struct {
	dpi      int
	buf      []byte
	inFormat bool
	pw, ll   int // ^PW, ^LL: the label's size in dots
	lhX, lhY int // ^LH: the label home
	utf8     bool
	module   int // ^BY
	copies   int
	els      []Element
	f        zplFieldState
}

// zplFieldState is the field being built between ^FO and ^FS.
type zplFieldState struct {
	x, y      int
	kind      byte // 0 text, 'C' Code 128, 'Q' QR, 'G' graphic box
	size      int
	rot       Rotation
	hr        bool
	height    int
	cell      int
	gw, gh    int
	gt        int
	reverse   bool
	hex       bool
	indicator byte
	data      []byte
	hasData   bool
}

func newZPLParser(opt SimOptions) streamParser {
	return &zplParser{dpi: opt.DPI, module: 2}
}

// zplNext is the index of the first ^ or ~ from i on, -1 for none.
func zplNext(b []byte, i int) int {
	for ; i < len(b); i++ {
		if b[i] == '^' || b[i] == '~' {
			return i
		}
	}
	return -1
}

func (p *zplParser) feed(b []byte) []simEvent {
	p.buf = append(p.buf, b...)
	var evs []simEvent
	for {
		i := zplNext(p.buf, 0)
		if i < 0 {
			p.buf = p.buf[:0]
			break
		}
		p.buf = p.buf[i:]
		if len(p.buf) < 3 {
			break
		}
		name := strings.ToUpper(string(p.buf[1:3]))
		j := zplNext(p.buf, 3)
		if j < 0 {
			if p.buf[0] == '~' && name == "HS" || name == "XZ" || name == "XA" || name == "FS" {
				j = 3
			} else if len(p.buf) > maxBuffered {
				p.buf = p.buf[:0] // a command that never ends
				break
			} else {
				break
			}
		}
		args := p.buf[3:j]
		prefix := p.buf[0]
		if name[0] == 'A' { // ^A takes its font in the name's place: ^A1N,48,48
			args = p.buf[2:j]
			name = "A"
		}
		evs = append(evs, p.command(prefix, name, args)...)
		p.buf = p.buf[j:]
	}
	if len(p.buf) == 0 {
		p.buf = nil // let a long stream's buffer go
	}
	return evs
}

// zplInts reads comma-separated numbers; a missing or bad one is def.
func zplInts(args []byte, def int, n int) []int {
	parts := strings.Split(string(args), ",")
	out := make([]int, n)
	for i := range n {
		out[i] = def
		if i < len(parts) {
			if v, err := strconv.Atoi(strings.TrimSpace(parts[i])); err == nil {
				out[i] = v
			}
		}
	}
	return out
}

func zplRotation(c byte) (Rotation, bool) {
	switch c {
	case 'N', 'n':
		return 0, true
	case 'R', 'r':
		return 90, true
	case 'I', 'i':
		return 180, true
	case 'B', 'b':
		return 270, true
	}
	return 0, false
}

func (p *zplParser) command(prefix byte, name string, args []byte) []simEvent {
	clean := make([]byte, 0, len(args))
	for _, c := range args {
		if c != '\r' && c != '\n' {
			clean = append(clean, c)
		}
	}
	ev := simEvent{command: strings.ToValidUTF8(string(prefix)+name+string(clean), "?")}
	if prefix == '~' {
		if name == "HS" {
			ev.query = []byte("~HS")
		}
		return []simEvent{ev}
	}
	trimmed := bytes.TrimSpace(clean)
	switch name {
	case "XA":
		p.inFormat, p.els, p.copies, p.f = true, nil, 1, zplFieldState{}
	case "XZ":
		if !p.inFormat {
			break
		}
		p.inFormat = false
		dpm := Label{DPI: p.dpi}.DotsPerMM()
		l := Label{WidthMM: float64(p.pw) / dpm, HeightMM: float64(p.ll) / dpm, DPI: p.dpi, Copies: p.copies, Elements: slices.Clone(p.els)}
		l.WidthMM, l.HeightMM = math.Round(l.WidthMM*10)/10, math.Round(l.HeightMM*10)/10
		ev.label = &l
	case "PW":
		if v := zplInts(trimmed, -1, 1)[0]; validDots(v) {
			p.pw = v
		}
	case "LL":
		if v := zplInts(trimmed, -1, 1)[0]; validDots(v) {
			p.ll = v
		}
	case "LH":
		if v := zplInts(trimmed, 0, 2); validDots(v...) {
			p.lhX, p.lhY = v[0], v[1]
		}
	case "CI":
		p.utf8 = zplInts(trimmed, 0, 1)[0] == 28
	case "PQ":
		if v := zplInts(trimmed, 1, 1)[0]; v >= 1 && v <= 1000 {
			p.copies = v
		}
	case "BY":
		if v := zplInts(trimmed, 2, 1)[0]; v >= 1 && v <= 10 {
			p.module = v
		}
	case "FO":
		v := zplInts(trimmed, 0, 2)
		p.f.x, p.f.y = v[0]+p.lhX, v[1]+p.lhY
	case "A":
		// args: font, then o,h,w
		if len(trimmed) < 2 {
			break
		}
		rest := trimmed[1:]
		if r, ok := zplRotation(rest[0]); ok {
			p.f.rot = r
		}
		if parts := bytes.SplitN(rest, []byte(","), 2); len(parts) == 2 {
			p.f.size = zplInts(parts[1], 0, 1)[0]
		}
		p.f.kind = 0
	case "FH":
		p.f.hex, p.f.indicator = true, '_'
		if len(trimmed) > 0 {
			p.f.indicator = trimmed[0]
		}
	case "FR":
		p.f.reverse = true
	case "FD":
		p.f.data, p.f.hasData = bytes.Clone(clean), true
	case "BC":
		p.f.kind = 'C'
		if len(trimmed) > 0 {
			if r, ok := zplRotation(trimmed[0]); ok {
				p.f.rot = r
			}
		}
		parts := strings.Split(string(trimmed), ",")
		p.f.height = 80
		if len(parts) > 1 {
			if v, err := strconv.Atoi(strings.TrimSpace(parts[1])); err == nil {
				p.f.height = v
			}
		}
		p.f.hr = len(parts) <= 2 || strings.TrimSpace(parts[2]) != "N"
	case "BQ":
		p.f.kind = 'Q'
		p.f.cell = zplInts(trimmed, 2, 3)[2]
	case "GB":
		p.f.kind = 'G'
		v := zplInts(trimmed, 1, 3)
		p.f.gw, p.f.gh, p.f.gt = v[0], v[1], v[2]
	case "FS":
		p.commit()
		p.f = zplFieldState{}
	}
	return []simEvent{ev}
}

// fieldData is the field's data, ^FH hex undone.
func (f *zplFieldState) fieldData() []byte {
	if !f.hex {
		return f.data
	}
	var out []byte
	for i := 0; i < len(f.data); i++ {
		if f.data[i] == f.indicator && i+2 < len(f.data) {
			if v, err := strconv.ParseUint(string(f.data[i+1:i+3]), 16, 8); err == nil {
				out = append(out, byte(v))
				i += 2
				continue
			}
		}
		out = append(out, f.data[i])
	}
	return out
}

// commit adds the field that ^FS ends to the label.
func (p *zplParser) commit() {
	f := &p.f
	if !p.inFormat || !validDots(f.x, f.y) {
		return
	}
	data := f.fieldData()
	switch f.kind {
	case 0:
		if !f.hasData || f.size < 1 || f.size > maxDots {
			return
		}
		text := fromGB18030(data)
		if p.utf8 {
			text = strings.ToValidUTF8(string(data), "\uFFFD")
		}
		p.els = addText(p.els, Text{X: f.x, Y: f.y, Size: f.size, Rotation: f.rot, Text: text})
	case 'C':
		s := string(data)
		if s == "" || !printableASCII(s) || !validDots(f.height) || f.height == 0 {
			return
		}
		p.els = addElement(p.els, Barcode{X: f.x, Y: f.y, Height: f.height, Module: p.module, HumanReadable: f.hr, Rotation: f.rot, Data: s})
	case 'Q':
		ecc, rest, ok := bytes.Cut(data, []byte(","))
		if !ok || len(ecc) < 1 || !strings.ContainsRune("LMQH", rune(ecc[0])) || len(rest) == 0 || f.cell < 1 || f.cell > 10 {
			return
		}
		p.els = addElement(p.els, QR{X: f.x, Y: f.y, Cell: f.cell, ECC: ecc[0], Data: strings.ToValidUTF8(string(rest), "\uFFFD")})
	case 'G':
		if !validDots(f.gw, f.gh, f.gt) {
			return
		}
		switch {
		case f.reverse:
			p.els = addElement(p.els, Reverse{X: f.x, Y: f.y, Width: f.gw, Height: f.gh})
		case f.gt >= min(f.gw, f.gh):
			p.els = addElement(p.els, Line{X: f.x, Y: f.y, Width: f.gw, Height: f.gh})
		default:
			p.els = addElement(p.els, Box{X: f.x, Y: f.y, Width: f.gw, Height: f.gh, Thickness: f.gt})
		}
	}
}
