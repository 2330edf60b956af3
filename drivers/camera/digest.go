package camera

// HTTP authentication as network cameras ask for it: Basic (RFC 7617)
// and Digest (RFC 7616, which keeps RFC 2617's MD5 and adds SHA-256),
// with qop=auth, a client nonce and a nonce count.

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
)

// challenge is one challenge of a WWW-Authenticate header (or, parsed the
// same way, the credentials of an Authorization header).
type challenge struct {
	scheme string            // lower case: "basic", "digest"
	params map[string]string // keys in lower case, values unquoted
}

// parseChallenges reads the challenges of WWW-Authenticate header values
// (RFC 7235 §4.1): several headers, several challenges a header, each
// a scheme and comma-separated auth-params whose values are tokens or
// quoted strings. What it cannot read it skips.
func parseChallenges(values []string) []challenge {
	var out []challenge
	for _, v := range values {
		p := &authParser{s: v}
		var cur *challenge
		for p.skip(" \t,"); p.i < len(p.s); p.skip(" \t,") {
			name := p.token()
			switch {
			case name == "" && p.peek() == '"':
				p.value() // a stray quoted string: skip it whole
				continue
			case name == "":
				p.i++ // not a token: skip it
				continue
			}
			p.skip(" \t")
			if p.peek() != '=' {
				out = append(out, challenge{scheme: strings.ToLower(name), params: map[string]string{}})
				cur = &out[len(out)-1]
				continue
			}
			p.i++
			p.skip(" \t")
			if c := p.peek(); c == '=' || c == ',' || c == 0 {
				p.skip("=") // a token68 (Negotiate YII=): no parameter
				continue
			}
			val := p.value()
			if cur != nil {
				cur.params[strings.ToLower(name)] = val
			}
		}
	}
	return out
}

type authParser struct {
	s string
	i int
}

func (p *authParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *authParser) skip(chars string) {
	for p.i < len(p.s) && strings.IndexByte(chars, p.s[p.i]) >= 0 {
		p.i++
	}
}

// token reads an RFC 7230 token.
func (p *authParser) token() string {
	start := p.i
	for p.i < len(p.s) && isTokenChar(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

// value reads a token or a quoted string (with \-escapes).
func (p *authParser) value() string {
	if p.peek() != '"' {
		return p.token()
	}
	p.i++
	var sb strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		p.i++
		switch {
		case c == '"':
			return sb.String()
		case c == '\\' && p.i < len(p.s):
			sb.WriteByte(p.s[p.i])
			p.i++
		default:
			sb.WriteByte(c)
		}
	}
	return sb.String() // unterminated: take what there is
}

func isTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// digestHashes are the algorithms of RFC 7616 §6.1, strongest first.
var digestHashes = []struct {
	name string
	new  func() hash.Hash
}{
	{"SHA-512-256", sha512.New512_256},
	{"SHA-256", sha256.New},
	{"MD5", md5.New},
}

// digestAlg returns the index in digestHashes of an algorithm name (""
// is MD5, -sess variants count), or -1 for one not supported.
func digestAlg(algorithm string) int {
	a := strings.TrimSuffix(strings.ToUpper(algorithm), "-SESS")
	if a == "" {
		a = "MD5"
	}
	for i, h := range digestHashes {
		if h.name == a {
			return i
		}
	}
	return -1
}

// strength ranks a challenge: 0 unusable, 1 basic, 2 and up digest, the
// stronger the hash the higher.
func strength(c challenge) int {
	switch c.scheme {
	case "basic":
		return 1
	case "digest":
		i := digestAlg(c.params["algorithm"])
		if c.params["nonce"] == "" || i < 0 {
			return 0
		}
		if q, ok := c.params["qop"]; ok && qopOf(q) == "" {
			return 0
		}
		return 1 + len(digestHashes) - i
	}
	return 0
}

// best picks the strongest challenge the package can answer.
func best(cs []challenge) (challenge, bool) {
	var pick challenge
	top := 0
	for _, c := range cs {
		if s := strength(c); s > top {
			pick, top = c, s
		}
	}
	return pick, top > 0
}

// qopOf picks the quality of protection from a challenge's list: "auth",
// or "auth-int" (for a GET its body is empty), or "" for none usable.
func qopOf(list string) string {
	var intOK bool
	for _, q := range strings.Split(list, ",") {
		switch strings.ToLower(strings.TrimSpace(q)) {
		case "auth":
			return "auth"
		case "auth-int":
			intOK = true
		}
	}
	if intOK {
		return "auth-int"
	}
	return ""
}

// digestCreds are the values a Digest answer is computed from.
type digestCreds struct {
	user, password          string
	realm, nonce, algorithm string
	qop, nc, cnonce, opaque string
	method, uri             string
	userhash                bool
	body                    []byte // for qop=auth-int
}

// response computes the request-digest of RFC 7616 §3.4.1 (RFC 2069's
// form when there is no qop).
func (d *digestCreds) response() string {
	newHash := digestHashes[digestAlg(d.algorithm)].new
	h := func(parts ...string) string {
		x := newHash()
		x.Write([]byte(strings.Join(parts, ":")))
		return hex.EncodeToString(x.Sum(nil))
	}
	ha1 := h(d.user, d.realm, d.password)
	if strings.HasSuffix(strings.ToUpper(d.algorithm), "-SESS") {
		ha1 = h(ha1, d.nonce, d.cnonce)
	}
	ha2 := h(d.method, d.uri)
	if d.qop == "auth-int" {
		x := newHash()
		x.Write(d.body)
		ha2 = h(d.method, d.uri, hex.EncodeToString(x.Sum(nil)))
	}
	if d.qop == "" {
		return h(ha1, d.nonce, ha2)
	}
	return h(ha1, d.nonce, d.nc, d.cnonce, d.qop, ha2)
}

// username is the username as sent: hashed with the realm when the
// server asked for userhash (RFC 7616 §3.4.4).
func (d *digestCreds) username() string {
	if !d.userhash {
		return d.user
	}
	x := digestHashes[digestAlg(d.algorithm)].new()
	x.Write([]byte(d.user + ":" + d.realm))
	return hex.EncodeToString(x.Sum(nil))
}

// header renders the Authorization header's value.
func (d *digestCreds) header() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, `Digest username=%s, realm=%s, uri=%s`, quote(d.username()), quote(d.realm), quote(d.uri))
	if d.algorithm != "" {
		fmt.Fprintf(&sb, `, algorithm=%s`, d.algorithm)
	}
	fmt.Fprintf(&sb, `, nonce=%s`, quote(d.nonce))
	if d.qop != "" {
		fmt.Fprintf(&sb, `, nc=%s, cnonce=%s, qop=%s`, d.nc, quote(d.cnonce), d.qop)
	}
	fmt.Fprintf(&sb, `, response=%s`, quote(d.response()))
	if d.opaque != "" {
		fmt.Fprintf(&sb, `, opaque=%s`, quote(d.opaque))
	}
	if d.userhash {
		sb.WriteString(`, userhash=true`)
	}
	return sb.String()
}

func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// newCnonce returns a fresh client nonce.
func newCnonce() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
