package printer

import (
	"bytes"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The simulator's readers of what a host sends. Each takes the bytes in
// whatever pieces they arrive and turns them into events: a label to
// print, a status query to answer, and every command as read. They are
// fuzzed: no input makes them panic or grow without bound.

// streamParser reads what a host sends to a printer.
type streamParser interface {
	feed(b []byte) []simEvent
}

// simEvent is what a printer does with a command.
type simEvent struct {
	label   *Label // print this label
	query   []byte // answer this status query
	command string // the command as read, for the record ("" for none)
}

const (
	maxLine     = 64 << 10 // a longer command line is dropped
	maxElements = 4096     // a label's elements beyond these are dropped
	maxBuffered = 1 << 20  // bytes held waiting for a command's end
)

// validDots tells whether every value is a position or size a label can
// have.
func validDots(vals ...int) bool {
	for _, v := range vals {
		if v < 0 || v > maxDots {
			return false
		}
	}
	return true
}

// addText appends a text, or makes the text before it bold when it is
// the same text one dot further on (how the encoders print bold).
func addText(els []Element, t Text) []Element {
	if n := len(els); n > 0 {
		if p, ok := els[n-1].(Text); ok && !p.Bold && p.Text == t.Text && p.Size == t.Size && p.Rotation == t.Rotation {
			dx, dy := t.X-p.X, t.Y-p.Y
			along := dx == 1 && dy == 0
			if t.Rotation == 90 || t.Rotation == 270 {
				along = dx == 0 && dy == 1
			}
			if along {
				p.Bold = true
				els[n-1] = p
				return els
			}
		}
	}
	return addElement(els, t)
}

func addElement(els []Element, e Element) []Element {
	if len(els) >= maxElements {
		return els
	}
	return append(els, e)
}

// tsplParser reads TSPL: lines ended by LF (CR ignored), and the
// immediate <ESC>!x commands anywhere.
type tsplParser struct {
	dpi   int
	line  []byte
	long  bool // the line overflowed maxLine: drop it
	esc   int  // 1 after ESC, 2 after ESC !
	label Label
}

func newTSPLParser(opt SimOptions) streamParser {
	return &tsplParser{dpi: opt.DPI, label: Label{DPI: opt.DPI, WidthMM: 76, HeightMM: 130}}
}

func (p *tsplParser) feed(b []byte) []simEvent {
	var evs []simEvent
	for _, c := range b {
		switch {
		case p.esc == 1:
			p.esc = 0
			if c == '!' {
				p.esc = 2
			}
		case p.esc == 2:
			p.esc = 0
			evs = append(evs, simEvent{query: []byte{0x1b, '!', c}, command: "<ESC>!" + string(rune(c))})
		case c == 0x1b:
			p.esc = 1
		case c == '\n':
			if !p.long {
				evs = append(evs, p.command(p.line)...)
			}
			p.line, p.long = p.line[:0], false
		case c == '\r':
		case len(p.line) >= maxLine:
			p.long = true
		default:
			p.line = append(p.line, c)
		}
	}
	return evs
}

// tsplArg is one argument of a command: its text, whether it was quoted
// (quoted text unescaped: \["] is a double quote).
type tsplArg struct {
	raw    []byte
	quoted bool
}

func (a tsplArg) String() string { return strings.TrimSpace(string(a.raw)) }

func (a tsplArg) int() (int, bool) {
	n, err := strconv.Atoi(a.String())
	return n, err == nil
}

// mm reads a length in millimetres ("76 mm"), dots ("608 dot") or
// inches ("3").
func (a tsplArg) mm(dpm float64) (float64, bool) {
	s := strings.ToLower(a.String())
	unit := 25.4
	switch {
	case strings.HasSuffix(s, "mm"):
		s, unit = strings.TrimSuffix(s, "mm"), 1
	case strings.HasSuffix(s, "dot"):
		s, unit = strings.TrimSuffix(s, "dot"), 1/dpm
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || f < 0 || f*unit > maxLabelMM {
		return 0, false
	}
	return f * unit, true
}

func tsplArgs(s []byte) []tsplArg {
	var args []tsplArg
	var cur tsplArg
	in := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case in && bytes.HasPrefix(s[i:], []byte(`\["]`)):
			cur.raw = append(cur.raw, '"')
			i += 3
		case in && c == '"':
			in = false
		case in:
			cur.raw = append(cur.raw, c)
		case c == '"':
			in, cur.quoted = true, true
			cur.raw = cur.raw[:0]
		case c == ',':
			args = append(args, cur)
			cur = tsplArg{}
		default:
			if !cur.quoted {
				cur.raw = append(cur.raw, c)
			}
		}
	}
	return append(args, cur)
}

func (p *tsplParser) command(line []byte) []simEvent {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return nil
	}
	ev := simEvent{command: strings.ToValidUTF8(string(line), "?")}
	name, rest, _ := bytes.Cut(line, []byte(" "))
	args := tsplArgs(rest)
	ints := func(n int) ([]int, bool) {
		if len(args) < n {
			return nil, false
		}
		out := make([]int, n)
		for i := range n {
			v, ok := args[i].int()
			if !ok {
				return nil, false
			}
			out[i] = v
		}
		return out, true
	}
	dpm := Label{DPI: p.dpi}.DotsPerMM()
	l := &p.label
	switch strings.ToUpper(string(name)) {
	case "SIZE":
		if len(args) >= 2 {
			w, ok1 := args[0].mm(dpm)
			h, ok2 := args[1].mm(dpm)
			if ok1 && ok2 && w > 0 && h > 0 {
				l.WidthMM, l.HeightMM = w, h
			}
		}
	case "GAP":
		if g, ok := args[0].mm(dpm); ok {
			l.GapMM = g
		}
	case "CLS":
		l.Elements = nil
	case "TEXT":
		if len(args) < 7 {
			break
		}
		v, ok := ints(2)
		rot, ok2 := args[3].int()
		ym, ok3 := args[5].int()
		if !ok || !ok2 || !ok3 || !validRotation(Rotation(rot)) || ym < 1 || ym > 10 {
			break
		}
		t := Text{Size: tsplFontHeight(args[2].String()) * ym, Rotation: Rotation(rot), Text: fromGB18030(args[len(args)-1].raw)}
		w, h := textBox(t)
		t.X, t.Y = tsplUnpivot(v[0], v[1], w, h, t.Rotation)
		if validDots(t.X, t.Y) {
			l.Elements = addText(l.Elements, t)
		}
	case "BARCODE":
		if len(args) < 9 {
			break
		}
		v, ok := ints(2)
		h, ok1 := args[3].int()
		hr, ok2 := args[4].int()
		rot, ok3 := args[5].int()
		narrow, ok4 := args[6].int()
		data := string(args[len(args)-1].raw)
		if !ok || !ok1 || !ok2 || !ok3 || !ok4 || !validRotation(Rotation(rot)) || narrow < 1 || narrow > 10 || !validDots(h) ||
			!strings.HasPrefix(args[2].String(), "128") || data == "" || !printableASCII(data) {
			break
		}
		bc := Barcode{Height: h, Module: narrow, HumanReadable: hr != 0, Rotation: Rotation(rot), Data: data}
		bc.X, bc.Y = tsplUnpivot(v[0], v[1], Code128Width(data, narrow), h, bc.Rotation)
		if validDots(bc.X, bc.Y) {
			l.Elements = addElement(l.Elements, bc)
		}
	case "QRCODE":
		if len(args) < 7 {
			break
		}
		v, ok := ints(2)
		cell, ok1 := args[3].int()
		ecc := strings.ToUpper(args[2].String())
		data := strings.ToValidUTF8(string(args[len(args)-1].raw), "\uFFFD")
		if !ok || !ok1 || !validDots(v...) || cell < 1 || cell > 20 || len(ecc) != 1 || !strings.Contains("LMQH", ecc) || data == "" {
			break
		}
		l.Elements = addElement(l.Elements, QR{X: v[0], Y: v[1], Cell: cell, ECC: ecc[0], Data: data})
	case "BAR":
		if v, ok := ints(4); ok && validDots(v...) {
			l.Elements = addElement(l.Elements, Line{X: v[0], Y: v[1], Width: v[2], Height: v[3]})
		}
	case "BOX":
		if v, ok := ints(5); ok && validDots(v...) && v[2] >= v[0] && v[3] >= v[1] {
			l.Elements = addElement(l.Elements, Box{X: v[0], Y: v[1], Width: v[2] - v[0], Height: v[3] - v[1], Thickness: v[4]})
		}
	case "REVERSE":
		if v, ok := ints(4); ok && validDots(v...) {
			l.Elements = addElement(l.Elements, Reverse{X: v[0], Y: v[1], Width: v[2], Height: v[3]})
		}
	case "PRINT":
		m, ok := args[0].int()
		if !ok || m < 1 || m > 1000 {
			break
		}
		n := 1
		if len(args) > 1 {
			if v, ok := args[1].int(); ok && v >= 1 && v <= 1000 {
				n = v
			}
		}
		printed := *l
		printed.Copies = m * n
		printed.Elements = slices.Clone(l.Elements)
		ev.label = &printed
	}
	return []simEvent{ev}
}

// tsplFontHeight is the cell height of a TSPL font: the Chinese bitmap
// fonts are 24 dots; the built-in Latin fonts 1..8 as the manuals list
// them.
func tsplFontHeight(font string) int {
	switch font {
	case "1":
		return 12
	case "2":
		return 20
	case "4":
		return 32
	case "5":
		return 48
	case "6":
		return 14
	case "7":
		return 21
	case "8":
		return 19
	}
	return 24
}

// tsplUnpivot undoes tsplPivot: the box's corner from TSPL's point.
func tsplUnpivot(x, y, w, h int, r Rotation) (int, int) {
	switch r {
	case 90:
		return x - h, y
	case 180:
		return x - w, y - h
	case 270:
		return x, y - w
	}
	return x, y
}
