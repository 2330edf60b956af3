package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The headers of a delivery.
const (
	HeaderEvent     = "X-Cunyou-Event"     // the event's type, as in the body
	HeaderDelivery  = "X-Cunyou-Delivery"  // the delivery's id, the same on every retry
	HeaderTimestamp = "X-Cunyou-Timestamp" // unix seconds when this attempt was signed
	HeaderSignature = "X-Cunyou-Signature" // v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>
)

// DefaultTolerance is how far a delivery's timestamp may be from the
// receiver's clock when Verify is given no tolerance.
const DefaultTolerance = 5 * time.Minute

// Sign returns the signature header value of body signed at ts with
// secret: "v1=" and the hex HMAC-SHA256 of the decimal unix seconds of ts,
// a dot, and the body.
func Sign(secret string, ts time.Time, body []byte) string {
	return "v1=" + hex.EncodeToString(mac(secret, strconv.FormatInt(ts.Unix(), 10), body))
}

func mac(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify is the receiver's check of a delivery, the reference for
// integrators: body must be the raw request body, byte for byte, before
// any JSON decoding. It accepts the request when the timestamp header is
// within tolerance of now (DefaultTolerance when tolerance <= 0), which
// rejects a captured request replayed later, and one of the signature
// header's comma-separated v1= entries is the HMAC-SHA256 of timestamp +
// "." + body under secret, compared in constant time. Entries of other
// schemes are ignored, so a later scheme can be added beside v1.
func Verify(secret string, header http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	if secret == "" {
		return errors.New("webhook: empty secret")
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	ts := header.Get(HeaderTimestamp)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || ts == "" || ts[0] == '+' {
		return ErrNoSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrTimestamp
	}
	want := mac(secret, ts, body)
	var seen bool
	for _, v := range header.Values(HeaderSignature) {
		for entry := range strings.SplitSeq(v, ",") {
			scheme, sig, ok := strings.Cut(strings.TrimSpace(entry), "=")
			if !ok || scheme != "v1" {
				continue
			}
			seen = true
			got, err := hex.DecodeString(sig)
			if err == nil && hmac.Equal(got, want) {
				return nil
			}
		}
	}
	if !seen {
		return ErrNoSignature
	}
	return ErrSignature
}
