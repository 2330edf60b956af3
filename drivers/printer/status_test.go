package printer

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tsplStatusCases are the bytes of PROTOCOLS §3.2 (the GP-2120T manual's
// examples first) and one for every other bit.
var tsplStatusCases = []struct {
	b        byte
	faults   []Code
	printing bool
}{
	{0x00, nil, false},
	{0x01, []Code{CodeHeadOpen}, false},
	{0x04, []Code{CodePaperOut}, false},
	{0x05, []Code{CodeHeadOpen, CodePaperOut}, false},
	{0x0C, []Code{CodePaperOut, CodeRibbonOut}, false},
	{0x10, []Code{CodePaused}, false},
	{0x20, nil, true},
	{0x02, []Code{CodePaperJam}, false},
	{0x08, []Code{CodeRibbonOut}, false},
	{0x40, []Code{CodeCoverOpen}, false},
	{0x80, []Code{CodeOverTemp}, false},
	{0x24, []Code{CodePaperOut}, true},
	{0xFF, []Code{CodeHeadOpen, CodeCoverOpen, CodePaperJam, CodePaperOut, CodeRibbonOut, CodeOverTemp, CodePaused}, true},
}

func TestParseTSPLStatus(t *testing.T) {
	for _, tt := range tsplStatusCases {
		st := ParseTSPLStatus(tt.b)
		assert.Equal(t, tt.faults, st.Faults(), "byte %#02x", tt.b)
		assert.Equal(t, tt.printing, st.Printing, "byte %#02x", tt.b)
		assert.Equal(t, len(tt.faults) == 0, st.Ready(), "byte %#02x", tt.b)
		if len(tt.faults) > 0 {
			assert.Equal(t, tt.faults[0], CodeOf(st.Err()), "byte %#02x: the most pressing fault first", tt.b)
		} else {
			assert.NoError(t, st.Err())
		}
	}
}

// Every one of the 256 bytes: each bit is its own fault.
func TestParseTSPLStatusEveryByte(t *testing.T) {
	for b := range 256 {
		st := ParseTSPLStatus(byte(b))
		got := [8]bool{st.HeadOpen, st.PaperJam, st.PaperOut, st.RibbonOut, st.Paused, st.Printing, st.CoverOpen, st.OverTemp}
		for bit := range 8 {
			assert.Equal(t, b&(1<<bit) != 0, got[bit], "byte %#02x bit %d", b, bit)
		}
		assert.Equal(t, b&^0x20 == 0, st.Ready(), "byte %#02x", b)
	}
}

func FuzzTSPLStatus(f *testing.F) {
	for _, tt := range tsplStatusCases {
		f.Add(tt.b)
	}
	f.Fuzz(func(t *testing.T, b byte) {
		st := ParseTSPLStatus(b)
		if st.Ready() != (st.Err() == nil) {
			t.Fatalf("%#02x: ready %v but error %v", b, st.Ready(), st.Err())
		}
		if b&^0x20 != 0 && st.Ready() {
			t.Fatalf("%#02x: a fault bit and ready", b)
		}
		if e := st.Err(); e != nil && CodeOf(e).Chinese() == "" {
			t.Fatalf("%#02x: no sentence", b)
		}
	})
}

// zpl builds a ~HS reply from its first two strings.
func zpl(s1, s2 string) string {
	return "\x02" + s1 + "\x03\r\n\x02" + s2 + "\x03\r\n\x021234,0\x03\r\n"
}

const (
	zplS1Ready = "030,0,0,1040,000,0,0,0,000,0,0,0"
	zplS2Ready = "000,0,0,0,0,2,6,0,00000000,1,000"
)

var zplStatusCases = []struct {
	name     string
	reply    string
	faults   []Code
	printing bool
	err      Code
}{
	{"ready", zpl(zplS1Ready, zplS2Ready), nil, false, ""},
	{"paper out", zpl("030,1,0,1040,000,0,0,0,000,0,0,0", zplS2Ready), []Code{CodePaperOut}, false, ""},
	{"paused", zpl("030,0,1,1040,000,0,0,0,000,0,0,0", zplS2Ready), []Code{CodePaused}, false, ""},
	{"formats waiting", zpl("030,0,0,1040,002,0,0,0,000,0,0,0", zplS2Ready), nil, true, ""},
	{"corrupt RAM", zpl("030,0,0,1040,000,0,0,0,000,1,0,0", zplS2Ready), []Code{CodeFault}, false, ""},
	{"under temperature", zpl("030,0,0,1040,000,0,0,0,000,0,1,0", zplS2Ready), []Code{CodeOverTemp}, false, ""},
	{"over temperature", zpl("030,0,0,1040,000,0,0,0,000,0,0,1", zplS2Ready), []Code{CodeOverTemp}, false, ""},
	{"head up", zpl(zplS1Ready, "000,0,1,0,0,2,6,0,00000000,1,000"), []Code{CodeHeadOpen}, false, ""},
	{"ribbon out", zpl(zplS1Ready, "000,0,0,1,0,2,6,0,00000000,1,000"), []Code{CodeRibbonOut}, false, ""},
	{"labels left in batch", zpl(zplS1Ready, "000,0,0,0,0,2,6,0,00000003,1,000"), nil, true, ""},
	{"head up and paper out", zpl("030,1,0,1040,000,0,0,0,000,0,0,0", "000,0,1,0,0,2,6,0,00000000,1,000"),
		[]Code{CodeHeadOpen, CodePaperOut}, false, ""},
	{"noise before", "\x00\xff" + zpl(zplS1Ready, zplS2Ready), nil, false, ""},
	{"short strings", zpl("030,0,0", "000,0,0,0"), nil, false, ""},
	{"third string missing", "\x02" + zplS1Ready + "\x03\r\n\x02" + zplS2Ready + "\x03\r\n", nil, false, ""},
	{"one string", "\x02" + zplS1Ready + "\x03\r\n", nil, false, CodeProtocol},
	{"nothing", "", nil, false, CodeProtocol},
	{"no STX", zplS1Ready + "\r\n" + zplS2Ready, nil, false, CodeProtocol},
	{"too few fields", zpl("030,0", zplS2Ready), nil, false, CodeProtocol},
	{"flag not 0 or 1", zpl("030,X,0,1040,000,0,0,0,000,0,0,0", zplS2Ready), nil, false, CodeProtocol},
	{"unterminated", "\x02" + zplS1Ready + "\x03\r\n\x02000,0,1", nil, false, CodeProtocol},
}

func TestParseZPLStatus(t *testing.T) {
	for _, tt := range zplStatusCases {
		t.Run(tt.name, func(t *testing.T) {
			st, err := ParseZPLStatus([]byte(tt.reply))
			if tt.err != "" {
				require.Error(t, err)
				assert.Equal(t, tt.err, CodeOf(err))
				assert.ErrorIs(t, err, ErrProtocol)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.faults, st.Faults())
			assert.Equal(t, tt.printing, st.Printing)
		})
	}
}

func FuzzZPLStatus(f *testing.F) {
	for _, tt := range zplStatusCases {
		f.Add([]byte(tt.reply))
	}
	f.Fuzz(func(t *testing.T, reply []byte) {
		st, err := ParseZPLStatus(reply)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.Code != CodeProtocol {
				t.Fatalf("%q: error %v is no protocol error", reply, err)
			}
			return
		}
		if st.Ready() != (st.Err() == nil) {
			t.Fatalf("%q: ready %v, error %v", reply, st.Ready(), st.Err())
		}
	})
}

var escposStatusCases = []struct {
	name                   string
	printer, offline, page byte
	faults                 []Code
	err                    Code
}{
	{"ready", 0x12, 0x12, 0x12, nil, ""},
	{"paper near end", 0x12, 0x12, 0x1E, nil, ""},
	{"paper end", 0x1A, 0x32, 0x72, []Code{CodePaperOut, CodeOffline}, ""},
	{"paper sensor only", 0x12, 0x12, 0x72, []Code{CodePaperOut}, ""},
	{"cover open", 0x1A, 0x16, 0x12, []Code{CodeCoverOpen, CodeOffline}, ""},
	{"error", 0x1A, 0x52, 0x12, []Code{CodeFault, CodeOffline}, ""},
	{"feed button", 0x1A, 0x1A, 0x12, []Code{CodePaused, CodeOffline}, ""},
	{"offline, no cause", 0x1A, 0x12, 0x12, []Code{CodeOffline}, ""},
	{"not a status byte", 0x00, 0x12, 0x12, nil, CodeProtocol},
	{"high bit", 0x12, 0x92, 0x12, nil, CodeProtocol},
	{"bit 1 clear", 0x12, 0x12, 0x10, nil, CodeProtocol},
}

func TestParseESCPOSStatus(t *testing.T) {
	for _, tt := range escposStatusCases {
		t.Run(tt.name, func(t *testing.T) {
			st, err := ParseESCPOSStatus(tt.printer, tt.offline, tt.page)
			if tt.err != "" {
				assert.Equal(t, tt.err, CodeOf(err))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.faults, st.Faults())
		})
	}
}

func FuzzESCPOSStatus(f *testing.F) {
	for _, tt := range escposStatusCases {
		f.Add(tt.printer, tt.offline, tt.page)
	}
	f.Fuzz(func(t *testing.T, a, b, c byte) {
		st, err := ParseESCPOSStatus(a, b, c)
		if err != nil {
			if CodeOf(err) != CodeProtocol {
				t.Fatalf("%02x %02x %02x: %v", a, b, c, err)
			}
			return
		}
		if st.Ready() != (st.Err() == nil) {
			t.Fatalf("%02x %02x %02x: ready %v, error %v", a, b, c, st.Ready(), st.Err())
		}
	})
}

func TestStatusString(t *testing.T) {
	assert.Equal(t, "ready", Status{}.String())
	assert.Equal(t, "head_open,paper_out,printing", Status{PaperOut: true, HeadOpen: true, Printing: true}.String())
}
