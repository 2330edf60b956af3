// Package passwd hashes and checks people's secrets: argon2id in the PHC
// string format, and the password policy of DESIGN §6 (at least 8
// characters of at least three classes: upper case, lower case, digits,
// other). The edge's operators and the hub's users both use it; it
// imports nothing of ours.
package passwd

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/crypto/argon2"
)

// MinLength and MinClasses are the password policy.
const (
	MinLength  = 8
	MinClasses = 3
)

// ErrWeak: a password shorter than MinLength or of fewer than MinClasses
// character classes.
var ErrWeak = errors.New("passwd: at least 8 characters of three classes (upper case, lower case, digits, other)")

// argon2id parameters: the OWASP minimum of 19 MiB, 2 passes. A check
// costs tens of milliseconds, and the memory is returned at once.
const (
	kdfTime    = 2
	kdfMemory  = 19 * 1024
	kdfThreads = 1
	kdfKeyLen  = 32
	saltLen    = 16
)

// Check reports whether password meets the policy: ErrWeak when not.
func Check(password string) error {
	var classes [4]bool
	for _, r := range password {
		switch {
		case unicode.IsUpper(r):
			classes[0] = true
		case unicode.IsLower(r):
			classes[1] = true
		case unicode.IsDigit(r):
			classes[2] = true
		default:
			classes[3] = true
		}
	}
	n := 0
	for _, c := range classes {
		if c {
			n++
		}
	}
	if len([]rune(password)) < MinLength || n < MinClasses {
		return ErrWeak
	}
	return nil
}

// Hash returns the argon2id PHC string of secret
// ($argon2id$v=19$m=19456,t=2,p=1$salt$key, unpadded base64).
func Hash(secret string) string {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		panic(err) // crypto/rand does not fail on the systems we run on
	}
	key := argon2.IDKey([]byte(secret), salt, kdfTime, kdfMemory, kdfThreads, kdfKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, kdfMemory, kdfTime, kdfThreads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// Verify checks secret against a PHC string from Hash, with the
// parameters recorded in it, in constant time. A malformed string, or
// one whose parameters are beyond reason, verifies nothing.
func Verify(phc, secret string) bool {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return false
	}
	var m, t uint32
	var p uint8
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || n != 3 {
		return false
	}
	if m < 8 || m > 1<<20 || t < 1 || t > 16 || p < 1 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(want) < 16 || len(want) > 64 {
		return false
	}
	got := argon2.IDKey([]byte(secret), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummy is a hash that no password is checked against for real, made on
// first use.
var dummy = sync.OnceValue(func() string { return Hash("cunyou: no such account") })

// Waste spends the time of one Verify, so that a login for a name that
// does not exist costs the same as one that does.
func Waste(secret string) { Verify(dummy(), secret) }

// Generate makes a 14-character password of the four classes, with none
// of the characters easily misread (0/O, 1/l/I): what an admin hands to a
// new user, shown once.
func Generate() string {
	const (
		upper = "ABCDEFGHJKLMNPQRSTUVWXYZ"
		lower = "abcdefghijkmnopqrstuvwxyz"
		digit = "23456789"
		other = "-_.!@#%+"
	)
	pick := func(set string) byte {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(set))))
		if err != nil {
			panic(err)
		}
		return set[n.Int64()]
	}
	for {
		b := make([]byte, 14)
		for i := range b {
			b[i] = pick(upper + lower + digit + other)
		}
		if pw := string(b); Check(pw) == nil && strings.ContainsAny(pw, digit) {
			return pw
		}
	}
}
