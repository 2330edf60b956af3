package printer

import (
	"bytes"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// modulesString writes modules as 1 for a bar, 0 for a space.
func modulesString(mods []bool) string {
	var b strings.Builder
	for _, m := range mods {
		if m {
			b.WriteByte('1')
		} else {
			b.WriteByte('0')
		}
	}
	return b.String()
}

func TestCode128(t *testing.T) {
	for _, tt := range []struct{ data, want string }{
		// start C, 33, 44, 55, check, stop
		{"334455", "11010011100" + "10100011000" + "10001101110" + "11101000110" + "10010011110" + "1100011101011"},
		// start B, H, I, code C, 34, 56, 78, code B, H, check, stop
		{"HI345678H", "110100100001100010100011000100010101110111101000101100011100010110110000101001011110111011000101000111011000101100011101011"},
	} {
		mods, err := code128Modules(tt.data)
		require.NoError(t, err)
		assert.Equal(t, tt.want, modulesString(mods), tt.data)
	}
	// Each symbol has three bars and three spaces of eleven modules; the
	// bars' modules are even.
	seen := map[string]bool{}
	for i, w := range code128Widths[:106] {
		sum, bars := 0, 0
		for j, c := range w {
			sum += int(c - '0')
			if j%2 == 0 {
				bars += int(c - '0')
			}
		}
		assert.Equal(t, 11, sum, "symbol %d", i)
		assert.Zero(t, bars%2, "symbol %d", i)
		assert.False(t, seen[w], "symbol %d repeats", i)
		seen[w] = true
	}
	_, err := code128Symbols("张三")
	assert.Error(t, err)
	assert.Zero(t, Code128Width("", 2))
}

// decodeCode128 reads a row of a preview back to data, as a scanner
// would.
func decodeCode128(t *testing.T, img *image.Gray, y, module int) string {
	t.Helper()
	var runs []int
	b := img.Bounds()
	x := b.Min.X
	for x < b.Max.X && img.GrayAt(x, y).Y != 0 {
		x++
	}
	for x < b.Max.X {
		v := img.GrayAt(x, y).Y
		n := 0
		for x < b.Max.X && img.GrayAt(x, y).Y == v {
			x++
			n++
		}
		runs = append(runs, n/module)
	}
	index := map[string]int{}
	for i, w := range code128Widths {
		index[w] = i
	}
	var syms []int
	for i := 0; i+6 <= len(runs); i += 6 {
		w := ""
		for _, r := range runs[i : i+6] {
			w += string(rune('0' + r))
		}
		s, ok := index[w]
		if !ok {
			if s, ok := index[w+string(rune('0'+runs[min(i+6, len(runs)-1)]))]; ok && s == c128Stop {
				break
			}
			t.Fatalf("no symbol %s", w)
		}
		syms = append(syms, s)
	}
	require.NotEmpty(t, syms)
	sum := syms[0]
	for i, s := range syms[1 : len(syms)-1] {
		sum += (i + 1) * s
	}
	require.Equal(t, sum%103, syms[len(syms)-1], "check symbol")
	var out []byte
	set := byte('B')
	if syms[0] == c128StartC {
		set = 'C'
	}
	for _, s := range syms[1 : len(syms)-1] {
		switch {
		case s == c128CodeC:
			set = 'C'
		case s == c128CodeB:
			set = 'B'
		case set == 'C':
			out = append(out, byte('0'+s/10), byte('0'+s%10))
		default:
			out = append(out, byte(s+32))
		}
	}
	return string(out)
}

// The preview's barcodes scan: their bars read back to the data.
func TestPreviewBarcodeScans(t *testing.T) {
	for _, data := range []string{"73100000000001", "JT0001234567890", "YT7512345678901", "a{b}"} {
		for _, mod := range []int{1, 2, 3} {
			l := Label{WidthMM: 76, HeightMM: 30, Elements: []Element{Barcode{X: 20, Y: 10, Height: 60, Module: mod, HumanReadable: true, Data: data}}}
			img, err := Preview(l, nil)
			require.NoError(t, err)
			assert.Equal(t, data, decodeCode128(t, img, 40, mod), "module %d", mod)
		}
	}
}

// cellInk counts black dots in a rectangle.
func cellInk(img *image.Gray, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if img.GrayAt(x, y).Y == 0 {
				n++
			}
		}
	}
	return n
}

// Without a Chinese font each Chinese character is an empty box; Latin
// text is drawn.
func TestPreviewWithoutFont(t *testing.T) {
	l := Label{WidthMM: 40, HeightMM: 10, Elements: []Element{Text{X: 0, Y: 0, Size: 48, Text: "中A"}}}
	img, err := Preview(l, nil)
	require.NoError(t, err)
	assert.Equal(t, uint8(0xff), img.GrayAt(24, 24).Y, "the box is empty inside")
	assert.Equal(t, uint8(0), img.GrayAt(24, 7).Y, "the box's top edge")
	assert.Greater(t, cellInk(img, image.Rect(48, 0, 72, 48)), 40, "the A is drawn")
}

// With a font from the machine, Chinese is drawn for real: 中's stroke
// runs down the middle of its cell, where a box is empty.
func TestPreviewWithFont(t *testing.T) {
	f, err := FindFont()
	if err != nil {
		t.Skipf("no Chinese font on this machine (%v): the preview draws boxes", err)
	}
	t.Logf("font %s from %s", f.Name(), f.Path())
	l := Label{WidthMM: 40, HeightMM: 10, Elements: []Element{Text{X: 0, Y: 0, Size: 48, Text: "中"}}}
	img, err := Preview(l, f)
	require.NoError(t, err)
	assert.Equal(t, uint8(0), img.GrayAt(24, 40).Y, "中's vertical stroke")
	_, err = LoadFont("/dev/null")
	assert.Error(t, err)
}

func TestPreviewElements(t *testing.T) {
	l := Label{WidthMM: 40, HeightMM: 30, Elements: []Element{
		Text{X: 100, Y: 10, Size: 24, Rotation: 90, Text: "ABCD"},
		Box{X: 10, Y: 100, Width: 50, Height: 40, Thickness: 3},
		Line{X: 200, Y: 100, Width: 50, Height: 4},
		QR{X: 200, Y: 150, Cell: 2, Data: "73100000000001"},
		Reverse{X: 0, Y: 200, Width: 20, Height: 20},
	}}
	img, err := Preview(l, nil)
	require.NoError(t, err)
	w, h := l.Size()
	assert.Equal(t, image.Rect(0, 0, w, h), img.Bounds())
	// The text turned 90° lies in its turned box: 24 wide, 48 tall.
	assert.Greater(t, cellInk(img, image.Rect(100, 10, 124, 58)), 50)
	assert.Zero(t, cellInk(img, image.Rect(124, 0, 200, 90)))
	assert.Zero(t, cellInk(img, image.Rect(0, 58, 100, 99)))
	// The box's edges, not its inside.
	assert.Equal(t, uint8(0), img.GrayAt(11, 101).Y)
	assert.Equal(t, uint8(0xff), img.GrayAt(30, 120).Y)
	assert.Equal(t, 50*4, cellInk(img, image.Rect(200, 100, 250, 104)))
	// The QR's finder pattern in its corner.
	assert.Equal(t, uint8(0), img.GrayAt(200, 150).Y)
	assert.Equal(t, 20*20, cellInk(img, image.Rect(0, 200, 20, 220)), "white turned black")

	_, err = Preview(Label{}, nil)
	assert.ErrorIs(t, err, ErrBadLabel)
}

// Every template previews, and a printed label's PNG decodes.
func TestTemplatePreviews(t *testing.T) {
	for name, l := range templateLabels(t) {
		var b bytes.Buffer
		require.NoError(t, PreviewPNG(&b, l, nil), name)
		img, err := png.Decode(&b)
		require.NoError(t, err, name)
		w, h := l.Size()
		assert.Equal(t, image.Rect(0, 0, w, h), img.Bounds(), name)
	}
	got := parseAll(t, TSPL, PickupLabel(testPickup), 64)
	require.Len(t, got, 1)
	raw, err := PrintedLabel{Label: got[0]}.PNG(nil)
	require.NoError(t, err)
	img, err := png.Decode(bytes.NewReader(raw))
	require.NoError(t, err)
	assert.Equal(t, image.Rect(0, 0, 320, 240), img.Bounds())
}
