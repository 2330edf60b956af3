package passwd_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"cunyou/passwd"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		password string
		ok       bool
	}{
		{"Abcdef1!", true},
		{"abcdefg1!", true},  // lower, digit, other
		{"ABCDEFG1a", true},  // upper, digit, lower
		{"村邮Passw0rd", true}, // hanzi count as other
		{"Abc1!", false},     // short
		{"abcdefgh", false},  // one class
		{"abcdefg1", false},  // two classes
		{"ABCDEFGH12", false},
		{"", false},
		{"Ab1!Ab1", false}, // 7 characters
	}
	for _, tt := range tests {
		err := passwd.Check(tt.password)
		if tt.ok {
			assert.NoError(t, err, "%q", tt.password)
		} else {
			assert.ErrorIs(t, err, passwd.ErrWeak, "%q", tt.password)
		}
	}
}

func TestHashVerify(t *testing.T) {
	const secret = "Cunyou-2026"
	h := passwd.Hash(secret)
	assert.Regexp(t, `^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`, h)
	assert.NotContains(t, h, secret)
	assert.NotEqual(t, h, passwd.Hash(secret), "salted")
	assert.True(t, passwd.Verify(h, secret))
	assert.False(t, passwd.Verify(h, "Cunyou-2027"))
	for _, bad := range []string{"", "$argon2i$v=19$m=19456,t=2,p=1$AAAA$AAAA", "$argon2id$v=19$m=x$AAAA$AAAA",
		strings.Replace(h, "$argon2id$", "$bcrypt$", 1), strings.Replace(h, "v=19", "v=16", 1),
		strings.Replace(h, "m=19456", "m=99999999", 1), strings.Replace(h, "t=2", "t=0", 1)} {
		assert.False(t, passwd.Verify(bad, secret), "%q", bad)
	}
	passwd.Waste(secret) // no panic, no answer
}

// A PHC string from another argon2id implementation (the reference
// one, via the argon2 CLI: echo -n password | argon2 somesalt -id -t 2 -m 16 -p 1).
func TestVerifyReference(t *testing.T) {
	assert.True(t, passwd.Verify("$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc", "password"))
}

func TestGenerate(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		pw := passwd.Generate()
		assert.Len(t, pw, 14)
		assert.NoError(t, passwd.Check(pw), pw)
		assert.False(t, strings.ContainsAny(pw, "0O1lI"), pw)
		assert.False(t, seen[pw], "the same password twice")
		seen[pw] = true
	}
}
