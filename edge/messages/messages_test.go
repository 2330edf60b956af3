package messages

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestTablesHaveSameCodes(t *testing.T) {
	for code := range zh {
		assert.Contains(t, en, code, "en lacks %s", code)
	}
	for code := range en {
		assert.Contains(t, zh, code, "zh lacks %s", code)
	}
}

func TestText(t *testing.T) {
	tests := []struct {
		lang Lang
		code string
		args map[string]string
		want string
	}{
		{ZH, "login_failed", map[string]string{"left": "3"}, "用户名或密码错误，还可以再试 3 次。"},
		{EN, "login_failed", map[string]string{"left": "3"}, "Wrong user name or password; 3 tries left."},
		{ZH, "no_such_code", nil, zh["internal"]},
		{"fr", "unauthorized", nil, zh["unauthorized"]},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Text(tt.lang, tt.code, tt.args))
	}
}

func TestPick(t *testing.T) {
	assert.Equal(t, ZH, Pick(""))
	assert.Equal(t, EN, Pick("en-US,en;q=0.9"))
	assert.Equal(t, ZH, Pick("zh-CN,zh;q=0.9,en;q=0.8"))
	assert.Equal(t, ZH, Pick("de"))
}
