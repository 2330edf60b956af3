package scanner

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hidReport builds a 64-byte scanned-data report.
func hidReport(data string, symbology byte, more bool) []byte {
	b := make([]byte, HIDReportSize)
	b[0], b[1] = HIDReportID, byte(len(data))
	copy(b[2:], data)
	b[62] = symbology
	if more {
		b[63] = 1
	}
	return b
}

// hidReports splits code into reports of at most 56 bytes.
func hidReports(code string) [][]byte {
	var out [][]byte
	for {
		n := min(len(code), hidMaxData)
		out = append(out, hidReport(code[:n], 'b', n < len(code)))
		code = code[n:]
		if code == "" {
			return out
		}
	}
}

func TestParseHIDReport(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want HIDReport
		ok   bool
		err  error
	}{
		{"whole", hidReport("YT123", 'b', false), HIDReport{Data: []byte("YT123"), Symbology: 'b'}, true, nil},
		{"continued", hidReport(strings.Repeat("x", 56), 'Q', true), HIDReport{Data: []byte(strings.Repeat("x", 56)), Symbology: 'Q', More: true}, true, nil},
		{"short report", []byte{2, 3, 'A', 'B', 'C'}, HIDReport{Data: []byte("ABC")}, true, nil},
		{"other report ID", []byte{4, 0, 0}, HIDReport{}, false, nil},
		{"empty", nil, HIDReport{}, false, nil},
		{"only the ID", []byte{2}, HIDReport{}, false, ErrHIDReport},
		{"length past the end", []byte{2, 9, 'A'}, HIDReport{}, false, ErrHIDReport},
		{"length over 56", append([]byte{2, 57}, make([]byte, 62)...), HIDReport{}, false, ErrHIDReport},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok, err := ParseHIDReport(tc.in)
			assert.ErrorIs(t, err, tc.err)
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.want, got)
		})
	}
}

func FuzzParseHIDReport(f *testing.F) {
	f.Add(hidReport("YT123", 'b', false))
	f.Add(hidReport(strings.Repeat("x", 56), 'Q', true))
	f.Add([]byte{2, 3, 'A', 'B', 'C'})
	f.Add([]byte{2, 9, 'A'})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, ok, err := ParseHIDReport(b)
		if !ok {
			return
		}
		require.NoError(t, err)
		require.LessOrEqual(t, len(r.Data), hidMaxData)
		require.Equal(t, string(b[2:2+len(r.Data)]), string(r.Data))
	})
}

// hidDevice hands the scanner one pipe an open, as a device node that is
// plugged in; the test writes reports into the current pipe, each Write
// one Read as hidraw gives them.
type hidDevice struct{ opened chan *io.PipeWriter }

func (d *hidDevice) open() (io.ReadCloser, error) {
	r, w := io.Pipe()
	select {
	case d.opened <- w:
		return r, nil
	default:
		return nil, fmt.Errorf("open hid: %w", ErrNotFound)
	}
}

func TestHIDScanner(t *testing.T) {
	dev := &hidDevice{opened: make(chan *io.PipeWriter)}
	s, err := NewHID(Options{MaxLen: 100, RetryMin: time.Millisecond, RetryMax: 5 * time.Millisecond}, dev.open)
	require.NoError(t, err)
	assert.Equal(t, "hidpos", s.Name())
	ch := run(t, s)
	wantState(t, ch, StateAbsent, CodeNotFound)
	w := <-dev.opened
	wantState(t, ch, StateOpen, "")

	send := func(reports ...[]byte) {
		t.Helper()
		for _, r := range reports {
			_, err := w.Write(r)
			require.NoError(t, err)
		}
	}
	send(hidReports("YT2412345678901")...)
	wantCode(t, ch, "YT2412345678901")
	long := "https://example.cn/t?" + strings.Repeat("9", 70) // two reports
	send(hidReports(long)...)
	wantCode(t, ch, long)
	send([]byte{0x04, 1, 0}) // another report: not a scan
	send(hidReports(strings.Repeat("7", 150))...)
	wantDropped(t, ch, ErrTooLong)
	send([]byte{2, 60})
	wantDropped(t, ch, ErrHIDReport)
	send(hidReport("\r\nJT3098765432100\r", 0, false)) // a suffix set in HID mode too is trimmed
	wantCode(t, ch, "JT3098765432100")

	w.CloseWithError(io.ErrUnexpectedEOF) // unplugged
	wantState(t, ch, StateAbsent, CodeLost)
	wantState(t, ch, StateAbsent, CodeNotFound)
	w = <-dev.opened
	wantState(t, ch, StateOpen, "")
	send(hidReports("B1")...)
	wantCode(t, ch, "B1")
}

func TestHIDRaw(t *testing.T) {
	dir := t.TempDir()
	_, err := HIDRaw(filepath.Join(dir, "hidraw0"))()
	assert.ErrorIs(t, err, ErrNotFound)
	path := filepath.Join(dir, "hidraw1")
	require.NoError(t, os.WriteFile(path, hidReport("A1", 0, false), 0o600))
	rc, err := HIDRaw(path)()
	require.NoError(t, err)
	rc.Close()
}
