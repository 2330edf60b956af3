package smpp

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/sms"
)

func TestSplitShort(t *testing.T) {
	parts, udhi, err := Split("你好 A", 7)
	require.NoError(t, err)
	assert.False(t, udhi)
	assert.Equal(t, [][]byte{{0x4f, 0x60, 0x59, 0x7d, 0x00, 0x20, 0x00, 0x41}}, parts)
}

func TestSplitLong(t *testing.T) {
	text := strings.Repeat("村", 67) + "邮邮邮邮" // 71: one too many for one message
	parts, udhi, err := Split(text, 0x2a)
	require.NoError(t, err)
	assert.True(t, udhi)
	require.Len(t, parts, 2)
	assert.Equal(t, []byte{0x05, 0x00, 0x03, 0x2a, 0x02, 0x01}, parts[0][:6])
	assert.Len(t, parts[0], 6+134, "67 UCS-2 characters after the header")
	assert.Equal(t, []byte{0x05, 0x00, 0x03, 0x2a, 0x02, 0x02, 0x90, 0xae, 0x90, 0xae, 0x90, 0xae, 0x90, 0xae}, parts[1], "邮 is U+90AE")
}

// The parts are what the operators bill (sms.Count) and join back to the
// text.
func TestSplitCountsAsOperators(t *testing.T) {
	for _, n := range []int{1, 69, 70, 71, 134, 135, 201, 500} {
		text := strings.Repeat("驿", n)
		parts, _, err := Split(text, 1)
		require.NoError(t, err)
		_, want := sms.Count(text)
		assert.Equal(t, want, len(parts), "%d characters", n)
		assert.Equal(t, text, join(t, parts), "%d characters", n)
	}
}

func TestSplitKeepsSurrogatePairs(t *testing.T) {
	text := strings.Repeat("a", 66) + "😀" + strings.Repeat("b", 10) // the emoji's pair straddles unit 67
	parts, _, err := Split(text, 1)
	require.NoError(t, err)
	require.Len(t, parts, 2)
	assert.Len(t, parts[0], 6+2*66, "the pair moved to the next part")
	assert.Equal(t, text, join(t, parts))
}

func TestSplitTooLong(t *testing.T) {
	_, _, err := Split(strings.Repeat("长", 67*255+1), 1)
	assert.Error(t, err)
}

func join(t *testing.T, parts [][]byte) string {
	t.Helper()
	if len(parts) == 1 {
		s, err := DecodeText(CodingUCS2, parts[0])
		require.NoError(t, err)
		return s
	}
	var b strings.Builder
	for i, p := range parts {
		c, ok, payload, err := SplitUDH(p)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, Concat{Ref: 1, Total: byte(len(parts)), Seq: byte(i + 1)}, c)
		s, err := DecodeText(CodingUCS2, payload)
		require.NoError(t, err)
		b.WriteString(s)
	}
	return b.String()
}

func TestSplitUDH(t *testing.T) {
	for _, c := range []struct {
		name    string
		in      []byte
		want    Concat
		found   bool
		payload string
		bad     bool
	}{
		{"8-bit reference", []byte{5, 0, 3, 9, 3, 2, 'h', 'i'}, Concat{9, 3, 2}, true, "hi", false},
		{"16-bit reference", []byte{6, 8, 4, 0x12, 0x34, 2, 1, 'x'}, Concat{0x1234, 2, 1}, true, "x", false},
		{"other element only", []byte{3, 0x24, 1, 0, 'x'}, Concat{}, false, "x", false},
		{"other element then concat", []byte{8, 0x24, 1, 0, 0, 3, 7, 2, 2}, Concat{7, 2, 2}, true, "", false},
		{"header longer than the message", []byte{9, 0, 3}, Concat{}, false, "", true},
		{"element longer than the header", []byte{3, 0, 3, 1}, Concat{}, false, "", true},
		{"part 0", []byte{5, 0, 3, 9, 3, 0}, Concat{}, false, "", true},
		{"part 3 of 2", []byte{5, 0, 3, 9, 2, 3}, Concat{}, false, "", true},
		{"empty", nil, Concat{}, false, "", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, found, payload, err := SplitUDH(c.in)
			if c.bad {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.found, found)
			if found {
				assert.Equal(t, c.want, got)
			}
			assert.Equal(t, c.payload, string(payload))
		})
	}
}

func TestDecodeText(t *testing.T) {
	s, err := DecodeText(CodingLatin1, []byte{'c', 0xe9})
	require.NoError(t, err)
	assert.Equal(t, "cé", s)
	s, err = DecodeText(CodingDefault, []byte("id:1"))
	require.NoError(t, err)
	assert.Equal(t, "id:1", s)
	_, err = DecodeText(CodingUCS2, []byte{0x4f})
	assert.Error(t, err, "odd number of octets")
}
