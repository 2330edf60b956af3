package sms

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestCount(t *testing.T) {
	for _, tt := range []struct {
		text         string
		chars, parts int
	}{
		{"", 0, 0},
		{"【望奎村邮】您的包裹已到南岗村驿站", 17, 1},
		{strings.Repeat("包", 70), 70, 1},
		{strings.Repeat("包", 71), 71, 2},
		{strings.Repeat("a", 134), 134, 2},
		{strings.Repeat("a", 135), 135, 3},
	} {
		c, p := Count(tt.text)
		assert.Equal(t, tt.chars, c, tt.text)
		assert.Equal(t, tt.parts, p, tt.text)
	}
}

func TestErrorKinds(t *testing.T) {
	e := &Error{Kind: Throttled, Code: "isv.BUSINESS_LIMIT_CONTROL", Msg: "minute limit"}
	assert.Equal(t, "sms: throttled isv.BUSINESS_LIMIT_CONTROL: minute limit", e.Error())
	assert.Equal(t, Throttled, KindOf(fmt.Errorf("send: %w", e)))
	assert.Equal(t, Temporary, KindOf(errors.New("connection reset")))
	assert.Equal(t, "misconfigured", Misconfigured.String())
}

func TestCheck(t *testing.T) {
	ok := Message{ID: "m1", Phone: "13912345678", Text: "【村邮】到了"}
	assert.NoError(t, ok.Check())
	for name, m := range map[string]Message{
		"no id":     {Phone: "13912345678", Text: "x"},
		"bad phone": {ID: "m", Phone: "12345", Text: "x"},
		"empty":     {ID: "m", Phone: "13912345678"},
		"too long":  {ID: "m", Phone: "13912345678", Text: strings.Repeat("字", 501)},
	} {
		err := m.Check()
		assert.Equal(t, Permanent, KindOf(err), name)
		assert.NotContains(t, err.Error(), "12345678", name)
	}
	assert.Equal(t, "139****5678", Mask("13912345678"))
}

func TestIsOptOut(t *testing.T) {
	for _, s := range []string{"TD", "td", " Td。", "退订", "N", "取消"} {
		assert.True(t, IsOptOut(s), s)
	}
	for _, s := range []string{"", "谢谢", "TD 明天取", "today"} {
		assert.False(t, IsOptOut(s), s)
	}
}

func TestQuietUntil(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	day := func(h, m int) time.Time { return time.Date(2026, 11, 27, h, m, 0, 0, cst) }
	for _, c := range []struct {
		hours string
		now   time.Time
		until time.Time
		quiet bool
	}{
		{"21:00-08:00", day(22, 0), day(8, 0).AddDate(0, 0, 1), true},
		{"21:00-08:00", day(7, 59), day(8, 0), true},
		{"21:00-08:00", day(8, 0), day(8, 0), false},
		{"21:00-08:00", day(20, 59), day(20, 59), false},
		{"12:00-13:30", day(12, 30), day(13, 30), true},
		{"12:00-13:30", day(13, 30), day(13, 30), false},
		{"25:00-08:00", day(23, 0), day(23, 0), false},
		{"", day(23, 0), day(23, 0), false},
	} {
		until, quiet := QuietUntil(c.now, c.hours)
		assert.Equal(t, c.quiet, quiet, "%s at %s", c.hours, c.now.Format("15:04"))
		assert.Equal(t, c.until, until, "%s at %s", c.hours, c.now.Format("15:04"))
	}
}

func TestJoinCodes(t *testing.T) {
	assert.Equal(t, "1-1-0001、1-1-0002", JoinCodes([]string{"1-1-0001", "1-1-0002"}))
	assert.Equal(t, "a、b、c、d、e等7个", JoinCodes([]string{"a", "b", "c", "d", "e", "f", "g"}))
}
