package scanner

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type frameCase struct {
	name   string
	suffix Suffix
	max    int
	in     string
	frames []string // "!" stands for a dropped run of garbage
}

var frameCases = []frameCase{
	{"CR", CR, 16, "A1\rB2\r", []string{"A1", "B2"}},
	{"LF", LF, 16, "A1\nB2\n", []string{"A1", "B2"}},
	{"CRLF", CRLF, 16, "A1\r\nB2\r\n", []string{"A1", "B2"}},
	{"Tab", Tab, 16, "A1\tB2\t", []string{"A1", "B2"}},
	{"CRLF read as CR", CR, 16, "A1\r\nB2\r\n", []string{"A1", "\nB2"}}, // clean trims the LF
	{"no suffix yet", CR, 16, "A1", nil},
	{"empty frames", CR, 16, "\r\r", []string{"", ""}},
	{"lone CR in CRLF", CRLF, 16, "A\rB\r\n", []string{"A\rB"}},
	{"exactly max", CR, 4, "ABCD\r", []string{"ABCD"}},
	{"exactly max CRLF", CRLF, 4, "ABCD\r\n", []string{"ABCD"}},
	{"one over max", CR, 4, "ABCDE\rOK\r", []string{"!", "OK"}},
	{"one over max CRLF", CRLF, 4, "ABCDE\r\nOK\r\n", []string{"!", "OK"}},
	{"garbage reported once", CR, 4, strings.Repeat("x", 100) + "\rOK\r", []string{"!", "OK"}},
	{"garbage without end", LF, 4, strings.Repeat("x", 100), []string{"!"}},
	{"garbage ends at split CRLF", CRLF, 4, strings.Repeat("x", 9) + "\r\nOK\r\n", []string{"!", "OK"}},
	{"binary", CR, 16, "\x00\xff\x80\r", []string{"\x00\xff\x80"}},
}

// frames runs the framer over in, fed in pieces of n bytes.
func frames(suffix Suffix, max int, in []byte, n int) []string {
	f := newFramer(suffix, max)
	var out []string
	for len(in) > 0 {
		k := min(n, len(in))
		f.feed(in[:k], func(b []byte) { out = append(out, string(b)) }, func() { out = append(out, "!") })
		in = in[k:]
	}
	return out
}

func TestFramer(t *testing.T) {
	for _, tc := range frameCases {
		t.Run(tc.name, func(t *testing.T) {
			for _, n := range []int{1, 2, 3, 1000} {
				assert.Equal(t, tc.frames, frames(tc.suffix, tc.max, []byte(tc.in), n), "pieces of %d", n)
			}
		})
	}
}

func TestClean(t *testing.T) {
	for _, tc := range []struct {
		in, prefix, want string
		err              error
		gb               bool
	}{
		{"YT123", "", "YT123", nil, false},
		{"\nYT123 ", "", "YT123", nil, false},
		{"\x00\x00YT123\x1b", "", "YT123", nil, false},
		{"PFX:YT123", "PFX:", "YT123", nil, false},
		{"\nPFX: YT123", "PFX:", "YT123", nil, false},
		{"YT123", "PFX:", "YT123", nil, false},
		{"取件码 8-2-1103", "", "取件码 8-2-1103", nil, false},
		{"", "", "", nil, false},
		{"\n", "", "", nil, false},
		{"PFX:", "PFX:", "", nil, false},
		{"YT\x00123", "", "", ErrNotPrintable, false},
		{"YT\t123", "", "", ErrNotPrintable, false},
		{"\xffYT123", "", "", ErrNotPrintable, false},
		{"\xd6\xd0\xcd\xa8", "", "", ErrNotPrintable, false}, // GBK, not UTF-8
		{"\xd6\xd0\xcd\xa8 ZT123", "", "中通 ZT123", nil, true},
		{"ZT123\r", "", "ZT123", nil, true},
		{"\xffZT123", "", "", ErrNotPrintable, true},
	} {
		got, err := clean([]byte(tc.in), tc.prefix, tc.gb)
		assert.ErrorIs(t, err, tc.err, "%q", tc.in)
		assert.Equal(t, tc.want, got, "%q", tc.in)
	}
}

// FuzzFramer checks the framer against a plain model: split at each
// suffix, a frame longer than max is one drop, and an unended tail is a
// drop once it cannot fit even if its last bytes start a suffix. Feeding
// in pieces changes nothing, and no frame holds a suffix.
func FuzzFramer(f *testing.F) {
	suffixes := []Suffix{CR, LF, CRLF, Tab}
	for _, tc := range frameCases {
		for i, s := range suffixes {
			if s == tc.suffix {
				f.Add([]byte(tc.in), uint8(i), uint8(tc.max), uint8(1))
			}
		}
	}
	f.Fuzz(func(t *testing.T, in []byte, si, max, piece uint8) {
		suffix := suffixes[int(si)%len(suffixes)]
		m := int(max)%64 + 1
		n := int(piece)%17 + 1
		got := frames(suffix, m, in, n)
		require.Equal(t, frames(suffix, m, in, len(in)+1), got)
		require.Equal(t, model(suffix, m, in), got)
		for _, fr := range got {
			require.LessOrEqual(t, len(fr), m)
			require.NotContains(t, fr, string(suffix))
		}
	})
}

func model(suffix Suffix, max int, in []byte) []string {
	var out []string
	parts := bytes.Split(in, []byte(suffix))
	for i, p := range parts {
		last := i == len(parts)-1
		switch {
		case last && len(p)-(len(suffix)-1) > max:
			out = append(out, "!")
		case last:
		case len(p) > max:
			out = append(out, "!")
		default:
			out = append(out, string(p))
		}
	}
	return out
}
