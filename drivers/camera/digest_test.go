package camera

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The worked examples of the RFCs.
func TestDigestVectors(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    digestCreds
		want string
	}{
		{"RFC 2617 §3.5", digestCreds{user: "Mufasa", password: "Circle Of Life", realm: "testrealm@host.com",
			nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093", qop: "auth", nc: "00000001", cnonce: "0a4f113b",
			method: "GET", uri: "/dir/index.html"}, "6629fae49393a05397450978507c4ef1"},
		{"RFC 7616 §3.9.1 MD5", digestCreds{user: "Mufasa", password: "Circle of Life", realm: "http-auth@example.org",
			nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", algorithm: "MD5", qop: "auth", nc: "00000001",
			cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", method: "GET", uri: "/dir/index.html"},
			"8ca523f5e9506fed4657c9700eebdbec"},
		{"RFC 7616 §3.9.1 SHA-256", digestCreds{user: "Mufasa", password: "Circle of Life", realm: "http-auth@example.org",
			nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", algorithm: "SHA-256", qop: "auth", nc: "00000001",
			cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", method: "GET", uri: "/dir/index.html"},
			"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.d.response())
		})
	}
}

func TestDigestHeader(t *testing.T) {
	d := digestCreds{user: `a"b`, password: "p", realm: "r", nonce: "n", algorithm: "SHA-256", qop: "auth",
		nc: "00000002", cnonce: "c", opaque: "o", method: "GET", uri: "/x?y=1"}
	h := d.header()
	cs := parseChallenges([]string{h})
	require.Len(t, cs, 1)
	assert.Equal(t, "digest", cs[0].scheme)
	assert.Equal(t, map[string]string{"username": `a"b`, "realm": "r", "uri": "/x?y=1", "algorithm": "SHA-256",
		"nonce": "n", "nc": "00000002", "cnonce": "c", "qop": "auth", "response": d.response(), "opaque": "o"}, cs[0].params)

	d.userhash = true
	cs = parseChallenges([]string{d.header()})
	require.Len(t, cs, 1)
	assert.Len(t, cs[0].params["username"], 64)
	assert.Equal(t, "true", cs[0].params["userhash"])
}

func TestParseChallenges(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []string
		want []challenge
	}{
		{"basic", []string{`Basic realm="IP Camera"`}, []challenge{{"basic", map[string]string{"realm": "IP Camera"}}}},
		{"two headers", []string{`Digest realm="r", nonce="n1", algorithm=SHA-256, qop="auth"`, `Digest realm="r", nonce="n1", algorithm=MD5, qop="auth"`},
			[]challenge{
				{"digest", map[string]string{"realm": "r", "nonce": "n1", "algorithm": "SHA-256", "qop": "auth"}},
				{"digest", map[string]string{"realm": "r", "nonce": "n1", "algorithm": "MD5", "qop": "auth"}},
			}},
		{"two in one header", []string{`Digest realm="a, b", qop="auth,auth-int", nonce=xyz, Basic realm="c"`},
			[]challenge{
				{"digest", map[string]string{"realm": "a, b", "qop": "auth,auth-int", "nonce": "xyz"}},
				{"basic", map[string]string{"realm": "c"}},
			}},
		{"escapes and spaces", []string{`DIGEST Realm = "say \"hi\"" ,  NONCE="n\\1",stale=TRUE`},
			[]challenge{{"digest", map[string]string{"realm": `say "hi"`, "nonce": `n\1`, "stale": "TRUE"}}}},
		{"token68", []string{`Negotiate YII=, Basic realm="x"`},
			[]challenge{{"negotiate", map[string]string{}}, {"basic", map[string]string{"realm": "x"}}}},
		{"unterminated", []string{`Digest realm="r`}, []challenge{{"digest", map[string]string{"realm": "r"}}}},
		{"junk", []string{`=,,"x" ; @`}, nil},
		{"empty", []string{""}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, parseChallenges(tc.in))
		})
	}
}

func FuzzParseChallenges(f *testing.F) {
	for _, s := range []string{`Basic realm="IP Camera"`, `Digest realm="a, b", qop="auth,auth-int", nonce=xyz, Basic realm="c"`,
		`DIGEST Realm = "say \"hi\"" ,  NONCE="n\\1",stale=TRUE`, `Negotiate YII=, Basic realm="x"`, `Digest realm="r`, `=,,"x" ; @`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, c := range parseChallenges([]string{s}) {
			require.NotEmpty(t, c.scheme)
			for _, r := range c.scheme {
				require.True(t, r < 0x80 && isTokenChar(byte(r)), "scheme %q", c.scheme)
			}
			best([]challenge{c}) // no panic on any parameters
		}
	})
}

func TestBest(t *testing.T) {
	basic := challenge{"basic", map[string]string{"realm": "r"}}
	md5 := challenge{"digest", map[string]string{"nonce": "n", "qop": "auth"}}
	sha := challenge{"digest", map[string]string{"nonce": "n", "qop": "auth", "algorithm": "SHA-256"}}
	sess := challenge{"digest", map[string]string{"nonce": "n", "qop": "auth", "algorithm": "sha-256-sess"}}
	odd := challenge{"digest", map[string]string{"nonce": "n", "algorithm": "SHA-1"}}
	noNonce := challenge{"digest", map[string]string{"algorithm": "SHA-256"}}
	intOnly := challenge{"digest", map[string]string{"nonce": "n", "qop": "auth-int"}}
	badQop := challenge{"digest", map[string]string{"nonce": "n", "qop": "token"}}
	bearer := challenge{"bearer", map[string]string{}}
	for _, tc := range []struct {
		in   []challenge
		want challenge
		ok   bool
	}{
		{[]challenge{basic, md5, sha}, sha, true},
		{[]challenge{sha, md5}, sha, true},
		{[]challenge{md5, basic}, md5, true},
		{[]challenge{sess, md5}, sess, true},
		{[]challenge{odd, noNonce, basic}, basic, true},
		{[]challenge{intOnly}, intOnly, true},
		{[]challenge{badQop, bearer}, challenge{}, false},
		{nil, challenge{}, false},
	} {
		got, ok := best(tc.in)
		assert.Equal(t, tc.ok, ok)
		assert.Equal(t, tc.want, got)
	}
	assert.Equal(t, "auth", qopOf("auth-int, auth"))
	assert.Equal(t, "auth-int", qopOf("auth-int"))
	assert.Equal(t, "", qopOf(""))
}
