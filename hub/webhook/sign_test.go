package webhook

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestSign(t *testing.T) {
	t.Parallel()
	// A fixed vector, for integrators checking their own implementation:
	// HMAC-SHA256("whsec_test", "1773478800." + body), checked with
	// openssl dgst -sha256 -hmac whsec_test.
	body := []byte(`{"id":"at_station/W1/op1","type":"at_station","created_at":"2026-03-14T09:00:00.000Z","data":{}}`)
	got := Sign("whsec_test", t0, body)
	assert.Equal(t, "v1=b9e81d18dcde37c53064849758acedaf967c5535091f2fae0d244d1c9a4b8ee3", got)
}

func TestVerify(t *testing.T) {
	t.Parallel()
	body := []byte(`{"id":"e1","type":"picked_up","created_at":"2026-03-14T09:00:00.000Z","data":{"waybill":"W1"}}`)
	signed := func(secret string, at time.Time, b []byte) http.Header {
		h := http.Header{}
		h.Set(HeaderTimestamp, strconv.FormatInt(at.Unix(), 10))
		h.Set(HeaderSignature, Sign(secret, at, b))
		return h
	}
	tests := []struct {
		name      string
		header    http.Header
		body      []byte
		now       time.Time
		tolerance time.Duration
		want      error
	}{
		{"valid", signed("s3cret", t0, body), body, t0, 0, nil},
		{"valid, 4 min late", signed("s3cret", t0, body), body, t0.Add(4 * time.Minute), 0, nil},
		{"tampered body", signed("s3cret", t0, body), append([]byte{' '}, body...), t0, 0, ErrSignature},
		{"other secret", signed("other", t0, body), body, t0, 0, ErrSignature},
		{"stale timestamp", signed("s3cret", t0, body), body, t0.Add(6 * time.Minute), 0, ErrTimestamp},
		{"timestamp from the future", signed("s3cret", t0.Add(10*time.Minute), body), body, t0, 0, ErrTimestamp},
		{"tolerance given", signed("s3cret", t0, body), body, t0.Add(6 * time.Minute), 10 * time.Minute, nil},
		{"timestamp moved, signature kept", func() http.Header {
			h := signed("s3cret", t0, body)
			h.Set(HeaderTimestamp, strconv.FormatInt(t0.Unix()+60, 10))
			return h
		}(), body, t0, 0, ErrSignature},
		{"no headers", http.Header{}, body, t0, 0, ErrNoSignature},
		{"no signature", func() http.Header {
			h := signed("s3cret", t0, body)
			h.Del(HeaderSignature)
			return h
		}(), body, t0, 0, ErrNoSignature},
		{"unknown scheme only", func() http.Header {
			h := signed("s3cret", t0, body)
			h.Set(HeaderSignature, "v0=abc")
			return h
		}(), body, t0, 0, ErrNoSignature},
		{"several signatures, one right", func() http.Header {
			h := signed("s3cret", t0, body)
			h.Set(HeaderSignature, "v1=00ff, v2=zz,"+Sign("s3cret", t0, body))
			return h
		}(), body, t0, 0, nil},
		{"malformed timestamp", func() http.Header {
			h := signed("s3cret", t0, body)
			h.Set(HeaderTimestamp, "+1773478800")
			return h
		}(), body, t0, 0, ErrNoSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify("s3cret", tt.header, tt.body, tt.now, tt.tolerance)
			if tt.want == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, tt.want)
			}
		})
	}
	assert.Error(t, Verify("", signed("", t0, body), body, t0, 0), "an empty secret verifies nothing")
	assert.False(t, errors.Is(Verify("s3cret", signed("s3cret", t0, body), body, t0, 0), ErrSignature))
}
