package cloud

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"cunyou/sms"
)

// FakeOptions configures a fake provider endpoint.
type FakeOptions struct {
	// KeyID and Secret are the only credentials the fake accepts (Aliyun
	// AccessKeyId/AccessKeySecret, Tencent SecretId/SecretKey).
	KeyID, Secret string
	// AppID is the Tencent SmsSdkAppId the fake accepts; any when empty.
	AppID string
	// Templates are the approved templates: id → its variables' names in
	// order. Nil approves every template (Tencent's variables are then
	// named 1, 2, … as its placeholders {1}, {2}, …).
	Templates map[string][]string
	// Signs are the approved signatures; nil approves every one.
	Signs []string
	// Now is the fake's clock, against which request timestamps are
	// checked; time.Now when nil.
	Now func() time.Time
	// MaxSkew is how far a request's timestamp may be from Now: 15 min
	// (Aliyun) or 5 min (Tencent) when 0.
	MaxSkew time.Duration
	// AnswerDelay holds the answer to SendSms after the message is
	// accepted: a slow way back, the window in which a sender that stops
	// has sent a message without knowing it (Aliyun's fake).
	AnswerDelay time.Duration
}

// FakeSMS is a message as a fake provider accepted it.
type FakeSMS struct {
	Phone      string // 11 digits, without +86
	Sign       string
	Template   string
	Params     []sms.Param // named as the template names them
	MessageID  string      // Aliyun OutId, Tencent SessionContext
	ProviderID string      // Aliyun BizId, Tencent SerialNo
	At         time.Time
}

// Text is the message as "template:name=value,…", the form the sms
// conformance suite compares for template gateways.
func (m FakeSMS) Text() string {
	ps := make([]string, len(m.Params))
	for i, p := range m.Params {
		ps[i] = p.Name + "=" + p.Value
	}
	return m.Template + ":" + strings.Join(ps, ",")
}

// fakeFailure is a refusal queued by FailNext.
type fakeFailure struct {
	status        int
	code, message string
}

// fakeServer is what both fakes share: a loopback HTTP server, the
// options, the received messages and the queued failures.
type fakeServer struct {
	o   FakeOptions
	ln  net.Listener
	srv *http.Server

	mu       sync.Mutex
	received []FakeSMS
	fail     []fakeFailure
	seq      int
}

func startFake(o FakeOptions, skew time.Duration, h http.Handler) *fakeServer {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxSkew == 0 {
		o.MaxSkew = skew
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("cloud: fake: listen: %v", err))
	}
	f := &fakeServer{o: o, ln: ln, srv: &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}}
	go f.srv.Serve(ln) //nolint:errcheck // ends with Close
	return f
}

// URL is the fake's endpoint, for the gateway's Endpoint option.
func (f *fakeServer) URL() string { return "http://" + f.ln.Addr().String() + "/" }

// Close stops the fake.
func (f *fakeServer) Close() error { return f.srv.Close() }

// Received lists the accepted messages, oldest first.
func (f *fakeServer) Received() []FakeSMS {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.received)
}

// FailWith makes the fake refuse the next submission with the provider
// code and message and the HTTP status (200 for business refusals, which
// both providers answer with 200; a 5xx without a code for a server
// error).
func (f *fakeServer) FailWith(status int, code, message string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = append(f.fail, fakeFailure{status, code, message})
}

// nextFailure pops the queued refusal, if any.
func (f *fakeServer) nextFailure() (fakeFailure, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.fail) == 0 {
		return fakeFailure{}, false
	}
	x := f.fail[0]
	f.fail = f.fail[1:]
	return x, true
}

func (f *fakeServer) signApproved(s string) bool {
	return f.o.Signs == nil || slices.Contains(f.o.Signs, s)
}

func (f *fakeServer) templateNames(id string) ([]string, bool) {
	if f.o.Templates == nil {
		return nil, true
	}
	names, ok := f.o.Templates[id]
	return names, ok
}

func (f *fakeServer) skewed(t time.Time) bool {
	d := f.o.Now().Sub(t)
	return d > f.o.MaxSkew || d < -f.o.MaxSkew
}

// randDigits returns n random decimal digits.
func randDigits(n int) string {
	var b strings.Builder
	for range n {
		d, _ := rand.Int(rand.Reader, big.NewInt(10))
		b.WriteByte(byte('0' + d.Int64()))
	}
	return b.String()
}

// requestID is a provider-style request id.
func requestID() string {
	n := nonce()
	return strings.ToUpper(n[:8] + "-" + n[8:12] + "-" + n[12:16] + "-" + n[16:20] + "-" + n[20:32])
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	w.Write(b) //nolint:errcheck // the client may be gone
}

// mainlandPhone strips 86, +86 or 0086 from p and reports whether the rest
// is a mainland mobile number.
func mainlandPhone(p string) (string, bool) {
	for _, pre := range []string{"+86", "0086", "86"} {
		if rest, ok := strings.CutPrefix(p, pre); ok && len(rest) == 11 {
			p = rest
			break
		}
	}
	return p, sms.ValidPhone(p)
}
