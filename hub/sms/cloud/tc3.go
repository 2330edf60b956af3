package cloud

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Tencent Cloud API 3.0 request signature TC3-HMAC-SHA256, as documented in
// "Signature v3" / 签名方法 v3 (for SMS:
// https://www.tencentcloud.com/document/product/382/40467; the same page
// for every product, e.g. https://cloud.tencent.com/document/product/215/36792):
//
//	CanonicalRequest = Method \n "/" \n CanonicalQueryString \n
//	                   CanonicalHeaders \n SignedHeaders \n hex(sha256(payload))
//
// where CanonicalHeaders is "name:value\n" for every signed header, names
// and values lower-cased and trimmed, sorted by name (content-type and host
// at least), and SignedHeaders the names joined with ";".
//
//	StringToSign = "TC3-HMAC-SHA256" \n Timestamp \n
//	               Date/service/tc3_request \n hex(sha256(CanonicalRequest))
//	SecretDate    = HMAC-SHA256("TC3" + SecretKey, Date)   (Date: UTC yyyy-mm-dd of Timestamp)
//	SecretService = HMAC-SHA256(SecretDate, service)
//	SecretSigning = HMAC-SHA256(SecretService, "tc3_request")
//	Signature     = hex(HMAC-SHA256(SecretSigning, StringToSign))
//	Authorization = "TC3-HMAC-SHA256 Credential=" + SecretId + "/" + scope +
//	                ", SignedHeaders=" + SignedHeaders + ", Signature=" + Signature
//
// The timestamp travels in X-TC-Timestamp; the action, version and region
// in X-TC-Action, X-TC-Version and X-TC-Region.

const tc3Algorithm = "TC3-HMAC-SHA256"

// tc3Signed is a signature with the steps that made it, so tests can
// compare each with the documented example.
type tc3Signed struct {
	CanonicalRequest string
	CredentialScope  string
	StringToSign     string
	SignedHeaders    string
	Signature        string
}

// tc3Sign signs a request of method (POST, with an empty query string)
// carrying payload, at timestamp (unix seconds), for service ("sms"),
// covering headers (name → value; names are lower-cased here).
func tc3Sign(secretKey, service, method string, timestamp int64, headers map[string]string, payload []byte) tc3Signed {
	names := make([]string, 0, len(headers))
	canon := make(map[string]string, len(headers))
	for k, v := range headers {
		k = strings.ToLower(strings.TrimSpace(k))
		names = append(names, k)
		canon[k] = strings.ToLower(strings.TrimSpace(v))
	}
	sort.Strings(names)
	var ch strings.Builder
	for _, k := range names {
		ch.WriteString(k + ":" + canon[k] + "\n")
	}
	var s tc3Signed
	s.SignedHeaders = strings.Join(names, ";")
	s.CanonicalRequest = method + "\n/\n\n" + ch.String() + "\n" + s.SignedHeaders + "\n" + sha256Hex(payload)
	date := time.Unix(timestamp, 0).UTC().Format(time.DateOnly)
	s.CredentialScope = date + "/" + service + "/tc3_request"
	s.StringToSign = tc3Algorithm + "\n" + strconv.FormatInt(timestamp, 10) + "\n" + s.CredentialScope + "\n" + sha256Hex([]byte(s.CanonicalRequest))
	key := hmacSHA256([]byte("TC3"+secretKey), date)
	key = hmacSHA256(key, service)
	key = hmacSHA256(key, "tc3_request")
	s.Signature = hex.EncodeToString(hmacSHA256(key, s.StringToSign))
	return s
}

// Authorization is the header value for secretID.
func (s tc3Signed) Authorization(secretID string) string {
	return tc3Algorithm + " Credential=" + secretID + "/" + s.CredentialScope +
		", SignedHeaders=" + s.SignedHeaders + ", Signature=" + s.Signature
}

// tc3Auth is a parsed Authorization header.
type tc3Auth struct {
	SecretID      string
	Date, Service string
	SignedHeaders []string
	Signature     string
}

// parseTC3Authorization reads an Authorization header; ok is false when it
// is not a well-formed TC3-HMAC-SHA256 one.
func parseTC3Authorization(h string) (a tc3Auth, ok bool) {
	rest, found := strings.CutPrefix(h, tc3Algorithm+" ")
	if !found {
		return a, false
	}
	for part := range strings.SplitSeq(rest, ",") {
		k, v, found := strings.Cut(strings.TrimSpace(part), "=")
		if !found {
			return a, false
		}
		switch k {
		case "Credential":
			f := strings.Split(v, "/")
			if len(f) != 4 || f[3] != "tc3_request" {
				return a, false
			}
			a.SecretID, a.Date, a.Service = f[0], f[1], f[2]
		case "SignedHeaders":
			a.SignedHeaders = strings.Split(v, ";")
		case "Signature":
			a.Signature = v
		}
	}
	return a, a.SecretID != "" && a.Signature != "" && len(a.SignedHeaders) > 0
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}
