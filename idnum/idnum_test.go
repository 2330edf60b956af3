package idnum_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/idnum"
)

var parseTests = []struct {
	name    string
	raw     string
	want    string // Full()
	wantErr error
}{
	{"Beijing X", "11010519491231002X", "11010519491231002X", nil},
	{"lowercase x", "11010519491231002x", "11010519491231002X", nil},
	{"spaces", "  440308199901101512 \r\n", "440308199901101512", nil},
	{"Hong Kong permit", "810000199408230021", "810000199408230021", nil},
	{"Taiwan permit", "830000199201300022", "830000199201300022", nil},
	{"1900-01-01", "110105190001011231", "110105190001011231", nil},
	{"leap day", "110105200002291235", "110105200002291235", nil},

	{"bad checksum", "110105194912310021", "", idnum.ErrChecksum},
	{"bad checksum digit", "440308199901101513", "", idnum.ErrChecksum},
	{"transposed digits", "440308199901105112", "", idnum.ErrChecksum},
	{"Feb 30", "110105199902301237", "", idnum.ErrBirthDate},
	{"1900 not leap", "110105190002291239", "", idnum.ErrBirthDate},
	{"month 13", "110105199913011235", "", idnum.ErrBirthDate},
	{"day 0", "110105199901001232", "", idnum.ErrBirthDate},
	{"before 1900", "110105189912311237", "", idnum.ErrBirthDate},
	{"future", "110105299901011236", "", idnum.ErrBirthDate},
	{"empty", "", "", idnum.ErrLength},
	{"17 digits", "11010519491231002", "", idnum.ErrLength},
	{"19 chars", "11010519491231002X1", "", idnum.ErrLength},
	{"15-digit old format", "110105491231002", "", idnum.ErrLength},
	{"inner space", "110105 19491231002", "", idnum.ErrCharset},
	{"letters", "11010519491231ABCD", "", idnum.ErrCharset},
	{"X not last", "1101051949123100X2", "", idnum.ErrCharset},
	{"check char Y", "11010519491231002Y", "", idnum.ErrCharset},
	{"full-width digits", "１１０１０５", "", idnum.ErrCharset}, // 18 bytes
	{"non-ASCII", "张三11010519491231", "", idnum.ErrLength},
}

func TestParse(t *testing.T) {
	for _, tt := range parseTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := idnum.Parse(tt.raw)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				assert.True(t, got.IsZero())
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got.Full())
		})
	}
}

func TestParseTomorrow(t *testing.T) {
	for _, d := range []time.Time{time.Now().AddDate(0, 0, 2), time.Now().AddDate(0, 0, -2)} {
		s17 := "110105" + d.Format("20060102") + "123"
		_, err := idnum.Parse(s17 + string(checkChar(s17)))
		if d.After(time.Now()) {
			assert.ErrorIs(t, err, idnum.ErrBirthDate, s17)
		} else {
			assert.NoError(t, err, s17)
		}
	}
}

func TestFields(t *testing.T) {
	tests := []struct {
		raw    string
		masked string
		last4  string
		region string
		birth  time.Time
		male   bool
	}{
		{"11010519491231002X", "110105********002X", "002X", "110105", date(1949, 12, 31), false},
		{"440308199901101512", "440308********1512", "1512", "440308", date(1999, 1, 10), true},
		{"810000199408230021", "810000********0021", "0021", "810000", date(1994, 8, 23), false},
		{"830000199201300022", "830000********0022", "0022", "830000", date(1992, 1, 30), false},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			id, err := idnum.Parse(tt.raw)
			require.NoError(t, err)
			assert.Equal(t, tt.raw, id.Full())
			assert.Equal(t, tt.masked, id.String())
			assert.Equal(t, tt.last4, id.Last4())
			assert.Equal(t, tt.region, id.Region())
			assert.Equal(t, tt.birth, id.BirthDate())
			assert.Equal(t, tt.male, id.Male())
			assert.False(t, id.IsZero())
		})
	}
}

func TestZero(t *testing.T) {
	var id idnum.ID
	assert.True(t, id.IsZero())
	assert.Empty(t, id.String())
	assert.Empty(t, id.Full())
	assert.Empty(t, id.Last4())
	assert.Empty(t, id.Region())
	assert.True(t, id.BirthDate().IsZero())
	assert.False(t, id.Male())
}

func TestNoLeak(t *testing.T) {
	const full = "11010519491231002X"
	id, err := idnum.Parse(full)
	require.NoError(t, err)

	type holder struct {
		Name string
		ID   idnum.ID
		Ptr  *idnum.ID
	}
	h := holder{Name: "张三", ID: id, Ptr: &id}
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d", "%10v", "%-20s"} {
		for _, arg := range []any{id, &id, h, []idnum.ID{id}, map[string]idnum.ID{"k": id}} {
			got := fmt.Sprintf(format, arg)
			assert.NotContains(t, got, full, "format %s of %T", format, arg)
		}
	}
	assert.Equal(t, "110105********002X", fmt.Sprint(id))
	assert.Equal(t, "110105********002X", fmt.Sprintf("%v", id))
	assert.Equal(t, `"110105********002X"`, fmt.Sprintf("%#v", id))

	var buf bytes.Buffer
	for _, handler := range []slog.Handler{
		slog.NewTextHandler(&buf, nil),
		slog.NewJSONHandler(&buf, nil),
	} {
		log := slog.New(handler)
		log.Info("check in", "id", id, "ptr", &id, "holder", h, slog.Group("g", "id", id))
		log.With("id", id).Info("with")
	}
	assert.NotContains(t, buf.String(), full)
	assert.Contains(t, buf.String(), "110105********002X")
}

func TestMask(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"123", "***"},
		{"1234567890", "**********"},
		{"12345678901", "123456*8901"},
		{"110105491231002", "110105*****1002"},
		{"11010519491231002X", "110105********002X"},
		{"1101051949123100", "110105******3100"},
		{"张三李四王五赵六孙七钱", "张三李四王五*六孙七钱"},
	}
	for _, tt := range tests {
		got := idnum.Mask(tt.in)
		assert.Equal(t, tt.want, got, "Mask(%q)", tt.in)
	}
}

func FuzzParse(f *testing.F) {
	for _, tt := range parseTests {
		f.Add(tt.raw)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		_ = idnum.Mask(raw)
		id, err := idnum.Parse(raw)
		if err != nil {
			require.True(t, id.IsZero())
			return
		}
		full := id.Full()
		again, err := idnum.Parse(full)
		require.NoError(t, err)
		require.Equal(t, id, again)
		require.Len(t, full, 18)
		require.True(t, validMod11(full), "checksum of %s", full)
		require.NotContains(t, id.String(), full[6:14])
		require.Equal(t, full[:6], id.Region())
		require.Equal(t, full[14:], id.Last4())
		b := id.BirthDate()
		require.Equal(t, full[6:14], b.Format("20060102"))
		require.False(t, b.Before(date(1900, 1, 1)))
		require.False(t, b.After(time.Now()))
	})
}

// validMod11 checks ISO 7064 MOD 11-2 in its textbook form: with X = 10,
// the sum of d_i * 2^(17-i) over all 18 chars is 1 mod 11.
func validMod11(s string) bool {
	sum := 0
	for i := 0; i < 18; i++ {
		d := 10
		if s[i] != 'X' {
			n, err := strconv.Atoi(s[i : i+1])
			if err != nil {
				return false
			}
			d = n
		}
		sum += d * (1 << (17 - i)) % 11
	}
	return sum%11 == 1
}

// checkChar computes the check char of 17 digits the textbook way.
func checkChar(s17 string) byte {
	for _, c := range []byte("0123456789X") {
		if validMod11(s17 + string(c)) {
			return c
		}
	}
	panic("no check char")
}

func date(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
