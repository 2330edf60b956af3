package printer

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/templates")

// goldenExt is the file each language's output is kept in.
var goldenExt = map[Language]string{TSPL: "label.tspl", ZPL: "label.zpl", ESCPOS: "label.escpos"}

// templateCase is testdata/templates/<case>/input.json: which template,
// and its fields.
type templateCase struct {
	Template string   `json:"template"`
	Waybill  *Waybill `json:"waybill"`
	Pickup   *Pickup  `json:"pickup"`
	Sort     *Sort    `json:"sort"`
}

func (c templateCase) label(t testing.TB) Label {
	t.Helper()
	switch {
	case c.Template == "waybill" && c.Waybill != nil:
		return WaybillLabel(*c.Waybill)
	case c.Template == "pickup" && c.Pickup != nil:
		return PickupLabel(*c.Pickup)
	case c.Template == "sort" && c.Sort != nil:
		return SortLabel(*c.Sort)
	}
	t.Fatalf("template %q without its fields", c.Template)
	return Label{}
}

// templateLabels reads every case under testdata/templates.
func templateLabels(t testing.TB) map[string]Label {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join("testdata", "templates", "*", "input.json"))
	require.NoError(t, err)
	require.NotEmpty(t, dirs)
	out := map[string]Label{}
	for _, in := range dirs {
		raw, err := os.ReadFile(in)
		require.NoError(t, err)
		var c templateCase
		require.NoError(t, json.Unmarshal(raw, &c), in)
		out[filepath.Base(filepath.Dir(in))] = c.label(t)
	}
	return out
}

// Each template in each language, byte for byte; go test -update
// rewrites the files after a deliberate change.
func TestTemplatesGolden(t *testing.T) {
	for name, l := range templateLabels(t) {
		require.NoError(t, l.Validate(), name)
		for _, lang := range Languages() {
			t.Run(name+"/"+string(lang), func(t *testing.T) {
				got, err := Encode(lang, l)
				require.NoError(t, err)
				path := filepath.Join("testdata", "templates", name, goldenExt[lang])
				if *update {
					require.NoError(t, os.WriteFile(path, got, 0o644))
				}
				want, err := os.ReadFile(path)
				require.NoError(t, err, "run go test -update to write the golden file")
				assert.True(t, bytes.Equal(want, got), "%s differs from the encoder's output (go test -update after a deliberate change)", path)
			})
		}
	}
}

// Every template's captions come in both languages and differ.
func TestCaptionTables(t *testing.T) {
	zh, en := captionTables[Chinese], captionTables[English]
	assert.NotEqual(t, zh.receiver, en.receiver)
	assert.Equal(t, "收件人", zh.receiver)
	assert.Equal(t, "To", en.receiver)
	assert.Equal(t, zh, captionsFor("fr"), "an unknown language gets the Chinese captions")
	texts := func(l Label) []string { return PrintedLabel{Label: l}.Texts() }
	assert.Contains(t, texts(PickupLabel(Pickup{Code: "1-1-0001"})), "取件码")
	assert.Contains(t, texts(PickupLabel(Pickup{Lang: English, Code: "1-1-0001"})), "Pickup code")
}

// The exact bytes of a Chinese name, in each language.
func TestGB18030Bytes(t *testing.T) {
	assert.Equal(t, []byte{0xD5, 0xC5, 0xC8, 0xFD}, GB18030("张三"))
	assert.Equal(t, []byte{0x95, 0x34, 0xB2, 0x35}, GB18030("𠮷"), "outside the BMP: four bytes")
	assert.Equal(t, "张三𠮷", fromGB18030([]byte{0xD5, 0xC5, 0xC8, 0xFD, 0x95, 0x34, 0xB2, 0x35}))

	l := Label{WidthMM: 40, HeightMM: 30, Elements: []Element{Text{X: 10, Y: 20, Size: 48, Text: "张三"}}}
	tspl, err := Encode(TSPL, l)
	require.NoError(t, err)
	assert.Contains(t, string(tspl), "TEXT 10,20,\"TSS24.BF2\",0,2,2,\"\xD5\xC5\xC8\xFD\"\r\n")
	zplOut, err := Encode(ZPL, l)
	require.NoError(t, err)
	assert.Contains(t, string(zplOut), "^FO10,20^A1N,48,48^FD\xD5\xC5\xC8\xFD^FS")
	escpos, err := Encode(ESCPOS, l)
	require.NoError(t, err)
	assert.Contains(t, string(escpos), "\x1b$\x0a\x00\x1d!\x11\x1bE\x00\x1dB\x00\x1bV\x00\x1b{\x00\xD5\xC5\xC8\xFD")
	assert.True(t, bytes.HasPrefix(escpos, []byte{0x1b, '@'}))
	assert.Contains(t, string(escpos), "\x1c&", "Chinese mode on")
}

// A second byte that is ZPL's ^, ~ or _ goes in hex; TSPL escapes a
// double quote.
func TestEscapes(t *testing.T) {
	l := Label{WidthMM: 40, HeightMM: 30, Elements: []Element{Text{Text: `a^b~c_d"e`}}}
	z, err := Encode(ZPL, l)
	require.NoError(t, err)
	assert.Contains(t, string(z), "^FH^FDa_5Eb_7Ec_5Fd\"e^FS")
	ts, err := Encode(TSPL, l)
	require.NoError(t, err)
	assert.Contains(t, string(ts), `,"a^b~c_d\["]e"`)
	for _, lang := range []Language{TSPL, ZPL, ESCPOS} {
		got := parseAll(t, lang, l, 3)
		require.Len(t, got, 1, lang)
		assert.Equal(t, []string{`a^b~c_d"e`}, PrintedLabel{Label: got[0]}.Texts(), lang)
	}
}

func TestValidate(t *testing.T) {
	ok := Label{WidthMM: 40, HeightMM: 30}
	require.NoError(t, ok.Validate())
	for name, l := range map[string]Label{
		"no size":         {},
		"huge":            {WidthMM: 5000, HeightMM: 30},
		"negative x":      {WidthMM: 40, HeightMM: 30, Elements: []Element{Text{X: -1, Text: "a"}}},
		"bad rotation":    {WidthMM: 40, HeightMM: 30, Elements: []Element{Text{Rotation: 45, Text: "a"}}},
		"control char":    {WidthMM: 40, HeightMM: 30, Elements: []Element{Text{Text: "a\r\nPRINT 1"}}},
		"chinese barcode": {WidthMM: 40, HeightMM: 30, Elements: []Element{Barcode{Data: "张三"}}},
		"empty barcode":   {WidthMM: 40, HeightMM: 30, Elements: []Element{Barcode{}}},
		"bad ecc":         {WidthMM: 40, HeightMM: 30, Elements: []Element{QR{ECC: 'X', Data: "a"}}},
		"not utf-8":       {WidthMM: 40, HeightMM: 30, Elements: []Element{Text{Text: "\xff"}}},
		"too many copies": {WidthMM: 40, HeightMM: 30, Copies: 5000},
	} {
		err := l.Validate()
		assert.ErrorIs(t, err, ErrBadLabel, name)
		assert.False(t, Retryable(err), name)
	}
	_, err := Encode("pcl", ok)
	assert.ErrorIs(t, err, ErrBadLabel)
}

// parseAll encodes the label and reads it back with the language's
// simulator parser, fed chunk bytes at a time.
func parseAll(t *testing.T, lang Language, l Label, chunk int) []Label {
	t.Helper()
	data, err := Encode(lang, l)
	require.NoError(t, err)
	p := dialects[lang].parser(SimOptions{DPI: l.dpi()})
	var out []Label
	for len(data) > 0 {
		n := min(chunk, len(data))
		for _, ev := range p.feed(data[:n]) {
			if ev.label != nil {
				out = append(out, *ev.label)
			}
		}
		data = data[n:]
	}
	return out
}

// What each language writes, its simulator reads back: TSPL and ZPL to
// the same elements, ESC/POS to the same texts, barcodes and QR codes
// (a receipt printer has no boxes).
func TestRoundTrip(t *testing.T) {
	for name, l := range templateLabels(t) {
		want := l.elements()
		for _, lang := range Languages() {
			for _, chunk := range []int{1, 5, 1 << 20} {
				got := parseAll(t, lang, l, chunk)
				require.Len(t, got, 1, "%s %s: one label", name, lang)
				g := got[0]
				assert.Equal(t, l.WidthMM, g.WidthMM, "%s %s width", name, lang)
				assert.Equal(t, l.HeightMM, g.HeightMM, "%s %s height", name, lang)
				if lang == ESCPOS {
					// A line printer moves what overlaps the line above it down: all
					// but the Y holds.
					assert.Equal(t, withoutY(want), withoutY(g.Elements), "%s %s", name, lang)
					continue
				}
				assert.Equal(t, want, g.Elements, "%s %s (chunks of %d)", name, lang, chunk)
			}
		}
	}
}

// withoutY is the texts, barcodes and QR codes of a label at Y 0, in
// the order of their X and content.
func withoutY(els []Element) []Element {
	var out []Element
	for _, e := range els {
		switch e := normalized(e).(type) {
		case Text:
			e.Y = 0
			out = append(out, e)
		case Barcode:
			e.Y = 0
			out = append(out, e)
		case QR:
			e.Y = 0
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(a, b Element) int {
		if d := posOf(a).X - posOf(b).X; d != 0 {
			return d
		}
		return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
	})
	return out
}

// posOf is an element's position.
func posOf(e Element) image.Point {
	switch e := normalized(e).(type) {
	case Text:
		return image.Pt(e.X, e.Y)
	case Barcode:
		return image.Pt(e.X, e.Y)
	case QR:
		return image.Pt(e.X, e.Y)
	case Line:
		return image.Pt(e.X, e.Y)
	case Box:
		return image.Pt(e.X, e.Y)
	case Reverse:
		return image.Pt(e.X, e.Y)
	}
	return image.Point{}
}

// Every element and every rotation reads back the same in TSPL and ZPL,
// at 203 and at 300 dpi.
func TestRoundTripElements(t *testing.T) {
	for _, dpi := range []int{203, 300} {
		l := Label{WidthMM: 100, HeightMM: 150, GapMM: 3, DPI: dpi, Copies: 2}
		for i, r := range []Rotation{0, 90, 180, 270} {
			y := 40 + i*200
			l.Elements = append(l.Elements,
				Text{X: 40, Y: y, Size: 48, Bold: i%2 == 0, Rotation: r, Text: "收件人 Zhang"},
				Barcode{X: 400, Y: y, Height: 60, Module: 2, HumanReadable: i%2 == 1, Rotation: r, Data: "JT0001234567890"},
			)
		}
		l.Elements = append(l.Elements,
			QR{X: 10, Y: 900, Cell: 5, ECC: 'H', Data: "https://example.cn/t/73100000000001"},
			Line{X: 0, Y: 880, Width: 700, Height: 3},
			Box{X: 5, Y: 5, Width: 790, Height: 1190, Thickness: 4},
			Reverse{X: 300, Y: 900, Width: 200, Height: 60},
		)
		for _, lang := range []Language{TSPL, ZPL} {
			got := parseAll(t, lang, l, 17)
			require.Len(t, got, 1)
			assert.Equal(t, l.elements(), got[0].Elements, "%s at %d dpi", lang, dpi)
			assert.Equal(t, 2, got[0].Copies, lang)
		}
		img, err := Preview(l, nil)
		require.NoError(t, err)
		w, h := l.Size()
		assert.Equal(t, image.Rect(0, 0, w, h), img.Bounds())
	}
	for _, l := range []Label{WaybillLabel(Waybill{DPI: 300, Number: "73100000000001", Route: "A03"}),
		PickupLabel(Pickup{DPI: 300, Code: "3-2-0417", Waybill: "73100000000001"}), SortLabel(Sort{DPI: 300, Waybill: "73100000000001"})} {
		require.NoError(t, l.Validate())
		for _, lang := range []Language{TSPL, ZPL} {
			got := parseAll(t, lang, l, 1<<20)
			require.Len(t, got, 1)
			assert.Equal(t, l.elements(), got[0].Elements, "%s at 300 dpi", lang)
		}
	}
	assert.Equal(t, 898, Label{DPI: 300}.Dots(76))
	assert.Equal(t, 608, Label{}.Dots(76))
}
