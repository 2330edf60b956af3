package printer

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"strings"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"rsc.io/qr"
)

// The preview: a label drawn as the printer would print it, one pixel a
// dot, black on white, for the kiosk's screen and the simulator's
// record. Text is laid out in the printers' cells (Latin half a cell,
// Chinese a full one), so the preview breaks lines where the printer
// does. The Go standard library has no Chinese font, and none is small
// enough to embed: Chinese is drawn with a font file found on the
// machine (FindFont), and where there is none each Chinese character is
// drawn as an empty box the size of its cell, Latin text in the Go font.

// Font is a font with Chinese characters for previews, loaded from a
// TrueType or OpenType file or collection. It is safe for concurrent
// use.
type Font struct {
	f    *sfnt.Font
	name string
	path string
}

// Name is the font's full name, e.g. "Noto Sans CJK SC".
func (f *Font) Name() string { return f.name }

// Path is the file the font was loaded from.
func (f *Font) Path() string { return f.path }

// FontPaths are the places FindFont looks, in order: Debian's and
// Fedora's Noto CJK and WenQuanYi packages, Windows' Microsoft YaHei,
// SimHei and SimSun, macOS' Heiti and PingFang.
var FontPaths = []string{
	"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
	"/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
	"/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
	"/usr/share/fonts/google-noto-sans-cjk-fonts/NotoSansCJK-Regular.ttc",
	"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
	"/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
	"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
	"/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
	"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
	"/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
	`C:\Windows\Fonts\msyh.ttc`,
	`C:\Windows\Fonts\msyh.ttf`,
	`C:\Windows\Fonts\simhei.ttf`,
	`C:\Windows\Fonts\simsun.ttc`,
	"/System/Library/Fonts/STHeiti Light.ttc",
	"/System/Library/Fonts/PingFang.ttc",
}

// ErrNoFont says that no font with Chinese characters was found.
var ErrNoFont = errors.New("printer: no font with Chinese characters found")

// FindFont loads the first font with Chinese characters found among
// paths and then FontPaths. With none it returns ErrNoFont, and the
// preview draws boxes for Chinese characters.
func FindFont(paths ...string) (*Font, error) {
	for _, p := range append(paths, FontPaths...) {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err != nil {
			continue
		}
		if f, err := LoadFont(p); err == nil {
			return f, nil
		}
	}
	return nil, ErrNoFont
}

// LoadFont loads a font file (.ttf, .otf, .ttc) that has Chinese
// characters. From a collection it takes the Simplified-Chinese member
// (a name with "SC", "GB", "YaHei", "SimSun" or "SimHei"), else the
// first that has 中.
func LoadFont(path string) (*Font, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load font: %w", err)
	}
	coll, err := sfnt.ParseCollection(data)
	if err != nil {
		return nil, fmt.Errorf("load font %s: %w", path, err)
	}
	var buf sfnt.Buffer
	var first *Font
	for i := range coll.NumFonts() {
		f, err := coll.Font(i)
		if err != nil {
			continue
		}
		if g, err := f.GlyphIndex(&buf, '中'); err != nil || g == 0 {
			continue
		}
		name, _ := f.Name(&buf, sfnt.NameIDFull)
		if name == "" {
			name, _ = f.Name(&buf, sfnt.NameIDFamily)
		}
		cand := &Font{f: f, name: name, path: path}
		for _, w := range []string{" SC", "GB", "YaHei", "SimSun", "SimHei", "Simplified"} {
			if strings.Contains(name, w) && !strings.Contains(name, "Mono") {
				return cand, nil
			}
		}
		if first == nil {
			first = cand
		}
	}
	if first == nil {
		return nil, fmt.Errorf("load font %s: no Chinese characters", path)
	}
	return first, nil
}

// goFonts are the Go fonts, for Latin text when no Chinese font is
// given.
var goFonts = sync.OnceValue(func() [2]*sfnt.Font {
	r, err1 := opentype.Parse(goregular.TTF)
	b, err2 := opentype.Parse(gobold.TTF)
	if err1 != nil || err2 != nil {
		panic("printer: the Go fonts do not parse")
	}
	return [2]*sfnt.Font{r, b}
})

// Preview draws the label, one pixel a dot, with font for Chinese
// (nil: boxes). Its errors wrap ErrBadLabel.
func Preview(l Label, f *Font) (*image.Gray, error) {
	if err := l.Validate(); err != nil {
		return nil, err
	}
	w, h := l.Size()
	c := &canvas{img: image.NewGray(image.Rect(0, 0, w, h)), font: f, faces: map[faceKey]font.Face{}}
	for i := range c.img.Pix {
		c.img.Pix[i] = 0xff
	}
	for _, e := range l.elements() {
		c.draw(e)
	}
	return c.img, nil
}

// PreviewPNG writes the label's preview as a PNG.
func PreviewPNG(w io.Writer, l Label, f *Font) error {
	img, err := Preview(l, f)
	if err != nil {
		return err
	}
	return png.Encode(w, img)
}

type faceKey struct {
	size int
	bold bool
	cjk  bool
}

type canvas struct {
	img   *image.Gray
	font  *Font
	faces map[faceKey]font.Face
}

// face is a face whose ascent and descent fill size pixels.
func (c *canvas) face(size int, bold, cjk bool) font.Face {
	k := faceKey{size, bold, cjk}
	if f, ok := c.faces[k]; ok {
		return f
	}
	var sf *sfnt.Font
	switch {
	case cjk && c.font != nil:
		sf = c.font.f
	case bold:
		sf = goFonts()[1]
	default:
		sf = goFonts()[0]
	}
	pt := float64(size)
	f, err := opentype.NewFace(sf, &opentype.FaceOptions{Size: pt, DPI: 72, Hinting: font.HintingNone})
	if err == nil && !(cjk && c.font != nil) { // a Chinese font's em is the cell; a Latin font's ascent and descent fill it
		m := f.Metrics()
		if hgt := (m.Ascent + m.Descent).Round(); hgt > 0 && hgt != size {
			f.Close()
			f, err = opentype.NewFace(sf, &opentype.FaceOptions{Size: pt * float64(size) / float64(hgt), DPI: 72, Hinting: font.HintingNone})
		}
	}
	if err != nil {
		return nil
	}
	c.faces[k] = f
	return f
}

func (c *canvas) draw(e Element) {
	switch e := e.(type) {
	case Text:
		w, h := textBox(e)
		m := image.NewAlpha(image.Rect(0, 0, max(w, 1), max(h, 1)))
		c.text(m, e)
		c.stamp(rotate(m, e.Rotation), e.X, e.Y)
	case Barcode:
		c.stamp(rotate(c.barcode(e), e.Rotation), e.X, e.Y)
	case QR:
		code, err := qr.Encode(e.Data, qrLevel(e.ECC))
		if err != nil {
			return
		}
		for y := range code.Size {
			for x := range code.Size {
				if code.Black(x, y) {
					c.fill(e.X+x*e.Cell, e.Y+y*e.Cell, e.Cell, e.Cell, 0)
				}
			}
		}
	case Line:
		c.fill(e.X, e.Y, e.Width, e.Height, 0)
	case Box:
		t := min(e.Thickness, e.Width, e.Height)
		c.fill(e.X, e.Y, e.Width, t, 0)
		c.fill(e.X, e.Y+e.Height-t, e.Width, t, 0)
		c.fill(e.X, e.Y, t, e.Height, 0)
		c.fill(e.X+e.Width-t, e.Y, t, e.Height, 0)
	case Reverse:
		r := image.Rect(e.X, e.Y, e.X+e.Width, e.Y+e.Height).Intersect(c.img.Rect)
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				i := c.img.PixOffset(x, y)
				c.img.Pix[i] = 0xff - c.img.Pix[i]
			}
		}
	}
}

// fill paints a rectangle, clipped to the label.
func (c *canvas) fill(x, y, w, h int, v uint8) {
	r := image.Rect(x, y, x+w, y+h).Intersect(c.img.Rect)
	for yy := r.Min.Y; yy < r.Max.Y; yy++ {
		for xx := r.Min.X; xx < r.Max.X; xx++ {
			c.img.Pix[c.img.PixOffset(xx, yy)] = v
		}
	}
}

// stamp prints a mask's dots (more than half covered) black at x, y.
func (c *canvas) stamp(m *image.Alpha, x, y int) {
	b := m.Bounds()
	for yy := b.Min.Y; yy < b.Max.Y; yy++ {
		for xx := b.Min.X; xx < b.Max.X; xx++ {
			if m.AlphaAt(xx, yy).A < 0x80 {
				continue
			}
			p := image.Pt(x+xx-b.Min.X, y+yy-b.Min.Y)
			if p.In(c.img.Rect) {
				c.img.Pix[c.img.PixOffset(p.X, p.Y)] = 0
			}
		}
	}
}

// text draws a text's characters into its cells, unturned.
func (c *canvas) text(m *image.Alpha, t Text) {
	x := 0
	for _, r := range t.Text {
		cw := runeWidth(r, t.Size)
		cjk := r >= 0x80
		f := c.face(t.Size, t.Bold, cjk)
		drawn := false
		if f != nil && (!cjk || c.font != nil) {
			if _, adv, ok := f.GlyphBounds(r); ok {
				// centre the glyph in its cell
				dx := fixed.I(x) + (fixed.I(cw)-adv)/2
				base := f.Metrics().Ascent
				if cjk {
					base = fixed.I(t.Size * 88 / 100) // the ideographic em box's baseline
				}
				d := &font.Drawer{Dst: m, Src: image.Opaque, Face: f, Dot: fixed.Point26_6{X: dx, Y: base}}
				d.DrawString(string(r))
				if t.Bold && cjk {
					d.Dot = fixed.Point26_6{X: dx + fixed.I(1), Y: base}
					d.DrawString(string(r))
				}
				drawn = true
			}
		}
		if !drawn && r != ' ' {
			tofu(m, x, 0, cw, t.Size)
		}
		x += cw
	}
}

// tofu draws the box that stands for a character without a glyph.
func tofu(m *image.Alpha, x, y, w, h int) {
	in := max(1, w/8)
	lw := max(1, h/16)
	r := image.Rect(x+in, y+in, x+w-in, y+h-in)
	for yy := r.Min.Y; yy < r.Max.Y; yy++ {
		for xx := r.Min.X; xx < r.Max.X; xx++ {
			if xx < r.Min.X+lw || xx >= r.Max.X-lw || yy < r.Min.Y+lw || yy >= r.Max.Y-lw {
				m.SetAlpha(xx, yy, color.Alpha{A: 0xff})
			}
		}
	}
}

// barcode draws a Code 128 barcode, unturned, with its human-readable
// line under it.
func (c *canvas) barcode(b Barcode) *image.Alpha {
	mods, err := code128Modules(b.Data)
	if err != nil {
		return image.NewAlpha(image.Rect(0, 0, 1, 1))
	}
	w := len(mods) * b.Module
	h := b.Height
	if b.HumanReadable {
		h += escposHRI
	}
	m := image.NewAlpha(image.Rect(0, 0, w, h))
	for i, bar := range mods {
		if !bar {
			continue
		}
		for x := i * b.Module; x < (i+1)*b.Module; x++ {
			for y := range b.Height {
				m.SetAlpha(x, y, color.Alpha{A: 0xff})
			}
		}
	}
	if b.HumanReadable {
		t := Text{Size: escposHRI - 4, Text: b.Data}
		tw, th := textBox(t)
		tm := image.NewAlpha(image.Rect(0, 0, tw, th))
		c.text(tm, t)
		x0, y0 := (w-tw)/2, b.Height+4
		for y := range th {
			for x := range tw {
				if a := tm.AlphaAt(x, y); a.A >= 0x80 {
					m.SetAlpha(x0+x, y0+y, a)
				}
			}
		}
	}
	return m
}

// rotate turns a mask clockwise.
func rotate(m *image.Alpha, r Rotation) *image.Alpha {
	if r == 0 {
		return m
	}
	b := m.Bounds()
	w, h := b.Dx(), b.Dy()
	rw, rh := rotatedBox(w, h, r)
	out := image.NewAlpha(image.Rect(0, 0, rw, rh))
	for y := range h {
		for x := range w {
			a := m.AlphaAt(b.Min.X+x, b.Min.Y+y)
			if a.A == 0 {
				continue
			}
			switch r {
			case 90:
				out.SetAlpha(h-1-y, x, a)
			case 180:
				out.SetAlpha(w-1-x, h-1-y, a)
			case 270:
				out.SetAlpha(y, w-1-x, a)
			}
		}
	}
	return out
}
