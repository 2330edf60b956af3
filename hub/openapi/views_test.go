package openapi_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"cunyou/hub/openapi"
)

func TestMask(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"13812345678", "138****5678"},
		{"13812345678-1234", "138****5678-****"},
		{"1234567", "*******"},
		{"", ""},
	} {
		assert.Equal(t, tc.want, openapi.MaskPhone(tc.in), tc.in)
	}
	for _, tc := range []struct{ in, want string }{
		{"王秀英", "王*英"},
		{"欧阳娜娜", "欧**娜"},
		{"李四", "李*"},
		{"王", "*"},
		{" 张三 ", "张*"},
		{"", ""},
		{"Li Na", "L***a"},
	} {
		assert.Equal(t, tc.want, openapi.MaskName(tc.in), tc.in)
	}
}
