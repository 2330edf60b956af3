package public

import (
	"maps"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/mask"
)

var placeholderRe = regexp.MustCompile(`\{[a-z_]+\}`)

func placeholders(s string) []string {
	p := placeholderRe.FindAllString(s, -1)
	slices.Sort(p)
	return slices.Compact(p)
}

// Every sentence is in both tables with the same placeholders, and every
// error code has its sentence.
func TestMessageTables(t *testing.T) {
	for _, k := range slices.Sorted(maps.Keys(zh)) {
		e, ok := en[k]
		if !assert.True(t, ok, "%q is in zh-CN but not in en", k) {
			continue
		}
		assert.Equal(t, placeholders(zh[k]), placeholders(e), "placeholders of %q", k)
		assert.NotEmpty(t, zh[k], k)
		assert.NotEmpty(t, e, k)
	}
	for k := range en {
		assert.Contains(t, zh, k, "%q is in en but not in zh-CN", k)
	}
	for code := range statuses {
		assert.Contains(t, zh, code, "error code %q has no sentence", code)
	}
	assert.Equal(t, "查询太频繁，请 3 分钟后再试。", text(ZH, CodeTooManyTries, "minutes", "3"))
	assert.Equal(t, zh[CodeInternal], text(EN+"x", "no.such.key"), "unknown language and key")
}

func TestPickLang(t *testing.T) {
	for _, tc := range []struct {
		query, header string
		want          Lang
	}{
		{"", "", ZH},
		{"", "zh-CN,zh;q=0.9,en;q=0.8", ZH},
		{"", "en-US,en;q=0.9", EN},
		{"", "fr-FR, en;q=0.5", EN},
		{"", "fr-FR", ZH},
		{"en", "zh-CN", EN},
		{"zh", "en", ZH},
	} {
		assert.Equal(t, tc.want, pickLang(tc.query, tc.header), "%q %q", tc.query, tc.header)
	}
}

func TestOpenState(t *testing.T) {
	day := func(hhmm string) time.Time {
		tm, err := time.Parse("15:04", hhmm)
		require.NoError(t, err)
		return time.Date(2026, 3, 14, tm.Hour(), tm.Minute(), 0, 0, time.UTC)
	}
	for _, tc := range []struct {
		hours, status, now string
		state              string
		open               bool
		key                string
	}{
		{"07:30-19:30", "open", "07:29", "closed", false, "state.closed_today"},
		{"07:30-19:30", "open", "07:30", "open", true, "state.open"},
		{"07:30-19:30", "open", "19:29", "open", true, "state.open"},
		{"07:30-19:30", "open", "19:30", "closed", false, "state.closed_next"},
		{"20:00-02:00", "open", "23:00", "open", true, "state.open"},
		{"20:00-02:00", "open", "01:59", "open", true, "state.open"},
		{"20:00-02:00", "open", "02:00", "closed", false, "state.closed_today"},
		{"07:30-19:30", "suspended", "12:00", "suspended", false, "state.suspended"},
		{"", "open", "12:00", "unknown", false, "state.unknown"},
		{"7:30-19:30", "open", "12:00", "unknown", false, "state.unknown"},
		{"08:00-08:00", "open", "12:00", "unknown", false, "state.unknown"},
	} {
		state, open, key, _ := openState(tc.hours, tc.status, day(tc.now))
		assert.Equal(t, tc.state, state, "%s at %s", tc.hours, tc.now)
		assert.Equal(t, tc.open, open, "%s at %s", tc.hours, tc.now)
		assert.Equal(t, tc.key, key, "%s at %s", tc.hours, tc.now)
	}
}

func TestMask(t *testing.T) {
	for in, want := range map[string]string{
		"13912345678": "139****5678", "13800138000-1234": "138****8000-****", "1234567": "*******", "": "",
	} {
		assert.Equal(t, want, mask.Phone(in), in)
	}
	for in, want := range map[string]string{"王秀英": "王*英", "李娜": "李*", "张": "*", "欧阳小娜": "欧**娜", " ": ""} {
		assert.Equal(t, want, mask.Name(in), in)
	}
}

func TestNormalizePhone(t *testing.T) {
	for in, want := range map[string]string{
		"13912345678": "13912345678", "139 1234 5678": "13912345678", "139-1234-5678": "13912345678",
		"+86 139 1234 5678": "13912345678", "１３９１２３４５６７８": "13912345678",
	} {
		got, ok := normalizePhone(in)
		assert.True(t, ok, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "1391234567", "139123456789", "23912345678", "12012345678", "1391234567a", "0455-6221234"} {
		_, ok := normalizePhone(in)
		assert.False(t, ok, in)
	}
}

func TestWindow(t *testing.T) {
	w := newWindow(3, time.Minute, 2)
	now := time.Date(2026, 3, 14, 8, 0, 0, 0, time.UTC)
	for i := range 3 {
		ok, _ := w.take("a", now.Add(time.Duration(i)*time.Second))
		require.True(t, ok, i)
	}
	ok, retry := w.take("a", now.Add(10*time.Second))
	assert.False(t, ok)
	assert.Equal(t, 50*time.Second, retry, "until the oldest try leaves the window")
	ok, _ = w.take("a", now.Add(time.Minute))
	assert.True(t, ok, "the oldest has left")
	ok, _ = w.take("b", now.Add(time.Minute))
	assert.True(t, ok)
	ok, _ = w.take("c", now.Add(time.Minute))
	assert.False(t, ok, "the table is full of live keys: a new client is refused")
	ok, _ = w.take("c", now.Add(3*time.Minute))
	assert.True(t, ok, "expired keys are swept")
}

func TestClientKey(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	for _, tc := range []struct {
		remote, xff, want string
	}{
		{"192.0.2.1:5000", "", "192.0.2.1"},
		{"192.0.2.1:5000", "198.51.100.9", "192.0.2.1"}, // not a trusted proxy: its header is ignored
		{"10.1.1.1:5000", "198.51.100.9", "198.51.100.9"},
		{"10.1.1.1:5000", "203.0.113.5, 198.51.100.9, 10.2.2.2", "198.51.100.9"}, // the right-most untrusted hop
		{"10.1.1.1:5000", "garbage", "10.1.1.1"},
		{"[2001:db8:1:2:3:4:5:6]:443", "", "2001:db8:1:2::/64"},
		{"[::ffff:192.0.2.7]:443", "", "192.0.2.7"},
	} {
		r := httptest.NewRequest("GET", "/q/", nil)
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		assert.Equal(t, tc.want, clientKey(r, trusted), "%s %s", tc.remote, tc.xff)
	}
}

func TestParseTrip(t *testing.T) {
	line, dep, ok := parseTrip("L1-20260314-0700")
	assert.True(t, ok)
	assert.Equal(t, "L1", line)
	assert.Equal(t, "07:00", dep)
	line, dep, ok = parseTrip("WK-EAST-20260314-1330")
	assert.True(t, ok)
	assert.Equal(t, "WK-EAST", line)
	assert.Equal(t, "13:30", dep)
	for _, id := range []string{"", "L1", "L1-2026-0700", "L1-20260314-2500"} {
		_, _, ok := parseTrip(id)
		assert.False(t, ok, id)
	}
}
