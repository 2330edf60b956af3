package cloud

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The worked example of Alibaba Cloud's "Request signature" page (RPC
// signature v1.0): DescribeRegions with AccessKeyId testid and secret
// testsecret, whose unsigned URL is
//
//	http://ecs.aliyuncs.com/?Timestamp=2016-02-23T12:46:24Z&Format=XML&AccessKeyId=testid&Action=DescribeRegions&SignatureMethod=HMAC-SHA1&SignatureNonce=3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf&Version=2014-05-26&SignatureVersion=1.0
//
// "The signature string calculated by using testsecret& is as follows:
// OLeaidS1JvxuMvnyHOwuJ+uX5qY=" (Alibaba Cloud documentation, "Request
// signature", Example section). An older copy of the same example (Aliyun
// 签名机制 示例, reproduced at https://developer.aliyun.com/ask/210168)
// spells the parameter TimeStamp and gives "计算得到的签名值为:
// CT9X0VtwR86fNWSnsc6v8YGOjuE=" — the same algorithm over a different
// parameter name, so both are checked.
func TestAliyunSignatureDocumentedExample(t *testing.T) {
	params := func(tsName string) map[string]string {
		return map[string]string{
			tsName:             "2016-02-23T12:46:24Z",
			"Format":           "XML",
			"AccessKeyId":      "testid",
			"Action":           "DescribeRegions",
			"SignatureMethod":  "HMAC-SHA1",
			"SignatureNonce":   "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
			"Version":          "2014-05-26",
			"SignatureVersion": "1.0",
		}
	}
	assert.Equal(t, "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML"+
		"%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"+
		"%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26",
		aliyunStringToSign("GET", params("Timestamp")))
	assert.Equal(t, "OLeaidS1JvxuMvnyHOwuJ+uX5qY=", aliyunSignature("testsecret", "GET", params("Timestamp")))
	assert.Equal(t, "CT9X0VtwR86fNWSnsc6v8YGOjuE=", aliyunSignature("testsecret", "GET", params("TimeStamp")))

	// The signed URL of the example carries the same parameters; Signature
	// itself never takes part.
	p := params("Timestamp")
	p["Signature"] = "anything"
	assert.Equal(t, "OLeaidS1JvxuMvnyHOwuJ+uX5qY=", aliyunSignature("testsecret", "GET", p))
}

func TestAliyunEscape(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"ABCabc012-_.~", "ABCabc012-_.~"},
		{"a b", "a%20b"},
		{"a*b+c", "a%2Ab%2Bc"},
		{"/", "%2F"},
		{"2016-02-23T12:46:24Z", "2016-02-23T12%3A46%3A24Z"},
		{`{"a":"望"}`, "%7B%22a%22%3A%22%E6%9C%9B%22%7D"},
	} {
		assert.Equal(t, tt.want, aliyunEscape(tt.in), tt.in)
	}
}

// The worked example of Tencent Cloud's "Signature v3" page (the SMS API's
// copy: https://www.tencentcloud.com/document/product/382/40467; the same
// text for every product, e.g. https://cloud.tencent.com/document/product/215/36792):
// DescribeInstances of cvm at timestamp 1551113065 with SecretKey
// Gu5t9xGARNpq86cd98joQYCN3EXAMPLE, signing content-type and host. Quoted:
// HashedRequestPayload "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064",
// HashedCanonicalRequest "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031",
// and "Authorization: TC3-HMAC-SHA256
// Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request,
// SignedHeaders=content-type;host,
// Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168".
func TestTC3DocumentedExample(t *testing.T) {
	payload := []byte(`{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}`)
	assert.Equal(t, "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064", sha256Hex(payload))
	s := tc3Sign("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "cvm", "POST", 1551113065, map[string]string{
		"Content-Type": "application/json; charset=utf-8",
		"Host":         "cvm.tencentcloudapi.com",
	}, payload)
	assert.Equal(t, "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\n"+
		"content-type;host\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064", s.CanonicalRequest)
	assert.Equal(t, "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n"+
		"5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031", s.StringToSign)
	assert.Equal(t, "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168", s.Signature)
	auth := s.Authorization("AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE")
	assert.Equal(t, "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, "+
		"SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168", auth)

	a, ok := parseTC3Authorization(auth)
	assert.True(t, ok)
	assert.Equal(t, tc3Auth{SecretID: "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", Date: "2019-02-25", Service: "cvm",
		SignedHeaders: []string{"content-type", "host"}, Signature: s.Signature}, a)
	for _, bad := range []string{"", "HMAC x", "TC3-HMAC-SHA256 Credential=a/b/c, Signature=x", "TC3-HMAC-SHA256 Credential=a/b/c/tc3_request, SignedHeaders=host"} {
		_, ok := parseTC3Authorization(bad)
		assert.False(t, ok, bad)
	}
}

// The date in the scope is UTC: 1551113065 is 2019-02-26 00:44:25 in
// Beijing but 2019-02-25 in the scope (the note under the documented
// example).
func TestTC3DateIsUTC(t *testing.T) {
	s := tc3Sign("k", "sms", "POST", 1551113065, map[string]string{"host": "h", "content-type": "c"}, nil)
	assert.Equal(t, "2019-02-25/sms/tc3_request", s.CredentialScope)
}
