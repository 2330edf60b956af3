package sms

import (
	"errors"
	"fmt"
	"strings"
	"testing"

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
