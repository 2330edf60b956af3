package printer

import "fmt"

// Code 128 (ISO/IEC 15417), for the preview: printers draw their own
// barcodes from the data.

// code128Widths are the bar and space widths, in modules, of symbols
// 0..106 (106 is the stop pattern, with its final bar).
var code128Widths = [107]string{
	"212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212", "221213",
	"221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221", "223211", "221132",
	"221231", "213212", "223112", "312131", "311222", "321122", "321221", "312212", "322112", "322211",
	"212123", "212321", "232121", "111323", "131123", "131321", "112313", "132113", "132311", "211313",
	"231113", "231311", "112133", "112331", "132131", "113123", "113321", "133121", "313121", "211331",
	"231131", "213113", "213311", "213131", "311123", "311321", "331121", "312113", "312311", "332111",
	"314111", "221411", "431111", "111224", "111422", "121124", "121421", "141122", "141221", "112214",
	"112412", "122114", "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111",
	"111242", "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
	"214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311", "113141",
	"114131", "311141", "411131", "211412", "211214", "211232", "2331112",
}

const (
	c128CodeC  = 99
	c128CodeB  = 100
	c128StartB = 104
	c128StartC = 105
	c128Stop   = 106
)

// code128Symbols encodes printable ASCII as Code 128 symbol values:
// start, data, check, stop. Runs of four or more digits go in code set
// C, two to a symbol; the rest in code set B.
func code128Symbols(data string) ([]int, error) {
	if data == "" || !printableASCII(data) {
		return nil, fmt.Errorf("code 128: %q is not printable ASCII", data)
	}
	digits := func(i int) int {
		n := 0
		for i+n < len(data) && data[i+n] >= '0' && data[i+n] <= '9' {
			n++
		}
		return n
	}
	var syms []int
	set := byte(0)
	enter := func(to byte, start, code int) {
		switch set {
		case to:
			return
		case 0:
			syms = append(syms, start)
		default:
			syms = append(syms, code)
		}
		set = to
	}
	for i := 0; i < len(data); {
		run := digits(i)
		var useC bool
		switch {
		case set == 'C':
			useC = run >= 2
		case run >= 4:
			useC = run%2 == 0 // an odd digit goes in B first, so the run in C ends where the digits do
		default:
			useC = i == 0 && run == len(data) && run == 2
		}
		if useC {
			enter('C', c128StartC, c128CodeC)
			syms = append(syms, int(data[i]-'0')*10+int(data[i+1]-'0'))
			i += 2
			continue
		}
		enter('B', c128StartB, c128CodeB)
		syms = append(syms, int(data[i])-32)
		i++
	}
	sum := syms[0]
	for i, s := range syms[1:] {
		sum += (i + 1) * s
	}
	return append(syms, sum%103, c128Stop), nil
}

// code128Modules is the barcode as modules, true for a bar, without the
// quiet zones.
func code128Modules(data string) ([]bool, error) {
	syms, err := code128Symbols(data)
	if err != nil {
		return nil, err
	}
	var mods []bool
	for _, s := range syms {
		bar := true
		for _, w := range code128Widths[s] {
			for range int(w - '0') {
				mods = append(mods, bar)
			}
			bar = !bar
		}
	}
	return mods, nil
}

// Code128Width is the width in dots of data's barcode at module dots a
// module, as the preview draws it.
func Code128Width(data string, module int) int {
	mods, err := code128Modules(data)
	if err != nil {
		return 0
	}
	if module <= 0 {
		module = 2
	}
	return len(mods) * module
}
