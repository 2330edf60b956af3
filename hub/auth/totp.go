package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"hash"
	"net/url"
	"strings"
	"time"
)

// TOTP (RFC 6238) as authenticator apps use it: HMAC-SHA1, a 30-second
// step, 6 digits; a code of the step before or after is accepted too (a
// phone's clock is off by a little), each step once.
const (
	TOTPStep   = 30 * time.Second
	TOTPDigits = 6
	totpSkew   = 1
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// TOTPCode returns the code of key at counter (RFC 4226's HOTP with the
// given hash and digits; RFC 6238's counter is the Unix time / step).
func TOTPCode(key []byte, counter uint64, digits int, h func() hash.Hash) string {
	mac := hmac.New(h, key)
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, bin%mod)
}

// NewTOTPSecret returns a new random 20-byte secret in base32, as
// authenticator apps take it.
func NewTOTPSecret() string {
	var b [20]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return b32.EncodeToString(b[:])
}

// TOTPURI is the otpauth:// URI that an authenticator app reads (from a
// QR code or typed in).
func TOTPURI(issuer, username, secret string) string {
	v := url.Values{"secret": {secret}, "issuer": {issuer}, "algorithm": {"SHA1"}, "digits": {"6"}, "period": {"30"}}
	return "otpauth://totp/" + url.PathEscape(issuer+":"+username) + "?" + v.Encode()
}

// checkTOTP returns the step of code when it is good at now for secret
// and newer than last (a code is accepted once).
func checkTOTP(secret, code string, now time.Time, last int64) (int64, bool) {
	key, err := b32.DecodeString(strings.ToUpper(strings.TrimSpace(secret)))
	code = strings.TrimSpace(code)
	if err != nil || len(code) != TOTPDigits {
		return 0, false
	}
	step := now.Unix() / int64(TOTPStep/time.Second)
	for d := -totpSkew; d <= totpSkew; d++ {
		s := step + int64(d)
		if s <= last || s < 0 {
			continue
		}
		if subtle.ConstantTimeCompare([]byte(TOTPCode(key, uint64(s), TOTPDigits, sha1.New)), []byte(code)) == 1 {
			return s, true
		}
	}
	return 0, false
}
