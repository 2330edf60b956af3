package cloud

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"sort"
	"strings"
)

// Aliyun's RPC request signature, version 1.0 (HMAC-SHA1), as documented
// in Alibaba Cloud's "Request signature" / 签名机制 pages (for example
// https://help.aliyun.com/document_detail/28839.html and
// https://www.alibabacloud.com/help/doc-detail/127287.htm):
//
//  1. Sort every request parameter except Signature by name.
//  2. Percent-encode names and values as UTF-8 with RFC 3986 rules:
//     A–Z a–z 0–9 - _ . ~ stay, everything else becomes %XY (upper-case
//     hex), a space is %20 (never +).
//  3. Join name=value pairs with & into the canonicalized query string.
//  4. StringToSign = HTTPMethod + "&" + percentEncode("/") + "&" +
//     percentEncode(canonicalized query string).
//  5. Signature = Base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign)).
//
// The common parameters that take part are AccessKeyId, Action, Format,
// RegionId, SignatureMethod (HMAC-SHA1), SignatureNonce (unique per
// request), SignatureVersion (1.0), Timestamp (ISO 8601 UTC,
// yyyy-MM-ddTHH:mm:ssZ) and Version.

// aliyunEscape percent-encodes s by Aliyun's rules.
func aliyunEscape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) * 3)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// aliyunCanonicalQuery is the sorted, encoded query string of params,
// without Signature.
func aliyunCanonicalQuery(params map[string]string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "Signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(aliyunEscape(k))
		b.WriteByte('=')
		b.WriteString(aliyunEscape(params[k]))
	}
	return b.String()
}

// aliyunStringToSign is the string the signature covers.
func aliyunStringToSign(method string, params map[string]string) string {
	return method + "&" + aliyunEscape("/") + "&" + aliyunEscape(aliyunCanonicalQuery(params))
}

// aliyunSignature signs params sent with method using secret.
func aliyunSignature(secret, method string, params map[string]string) string {
	m := hmac.New(sha1.New, []byte(secret+"&"))
	m.Write([]byte(aliyunStringToSign(method, params)))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// aliyunBody is the form body of a signed request: the canonicalized query
// and the signature, encoded the same way.
func aliyunBody(params map[string]string, signature string) string {
	return aliyunCanonicalQuery(params) + "&Signature=" + aliyunEscape(signature)
}
