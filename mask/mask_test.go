package mask

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPhone(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "13812345678": "138****5678", "13812345678-1234": "138****5678-****", "12345": "*****", "0451-8888888": "****-*******",
	} {
		assert.Equal(t, want, Phone(in), in)
	}
}

func TestName(t *testing.T) {
	for in, want := range map[string]string{"": "", "王": "*", "李娜": "李*", "王秀英": "王*英", "欧阳丽娜": "欧**娜", " 张三 ": "张*", "Li Na": "L***a"} {
		assert.Equal(t, want, Name(in), in)
	}
}
