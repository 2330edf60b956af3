package cloud

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"cunyou/sms"
)

// maxAnswer bounds what is read of a provider's answer.
const maxAnswer = 1 << 20

// httpClient is what both gateways share: the client, the clock, the log.
type httpClient struct {
	endpoint string
	client   *http.Client
	own      bool // the client is ours to close
	now      func() time.Time
	log      *slog.Logger
}

func newHTTPClient(name, endpoint, def string, c *http.Client, timeout time.Duration, now func() time.Time, log *slog.Logger) (httpClient, error) {
	if endpoint == "" {
		endpoint = def
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return httpClient{}, fmt.Errorf("%s: endpoint %q: %w", name, endpoint, ErrBadEndpoint)
	}
	h := httpClient{endpoint: endpoint, client: c, now: now, log: log}
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	if h.client == nil {
		h.client = &http.Client{Timeout: timeout, Transport: http.DefaultTransport.(*http.Transport).Clone()}
		h.own = true
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	return h, nil
}

// post sends body and returns the answer's status and body. A failed
// exchange is a Temporary *sms.Error.
func (h httpClient) post(ctx context.Context, contentType string, header http.Header, body []byte) (int, []byte, error) {
	if err := ctx.Err(); err != nil {
		return 0, nil, transportError(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.endpoint, bytes.NewReader(body))
	if err != nil {
		return 0, nil, &sms.Error{Kind: sms.Misconfigured, Code: "request", Msg: scrub(err.Error())}
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := h.client.Do(req)
	if err != nil {
		return 0, nil, transportError(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return 0, nil, transportError(err)
	}
	return resp.StatusCode, b, nil
}

func (h httpClient) close() {
	if h.own {
		h.client.CloseIdleConnections()
	}
}

// httpStatusError is the error of an answer that carries no provider
// code (a proxy's or load balancer's page).
func httpStatusError(status int) *sms.Error {
	r := unknownRule(status, "", false, false)
	return &sms.Error{Kind: r.kind, Code: "http_" + strconv.Itoa(status), Msg: r.what, RetryAfter: r.retry}
}

// nonce returns a fresh random hex string.
func nonce() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// parts is how many billed messages m makes: counted on its text when it
// has one (the text as the receiver reads it, signature included), else
// what the provider says (0 when it says nothing).
func parts(m sms.Message, provider int) int {
	if m.Text != "" {
		_, n := sms.Count(m.Text)
		return n
	}
	if provider > 0 {
		return provider
	}
	return 1
}

// templateJSON renders params as a JSON object with the keys in the
// template's order (Aliyun's TemplateParam).
func templateJSON(params []sms.Param) string {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, p := range params {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(p.Name)
		v, _ := json.Marshal(p.Value)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.String()
}

// checkTemplate refuses messages a template gateway cannot send.
func checkTemplate(m sms.Message, sign string) error {
	if err := m.Check(); err != nil {
		return err
	}
	if m.Template == "" {
		// Another gateway (SMPP, modem) can send the text.
		return &sms.Error{Kind: sms.Misconfigured, Code: "no_template", Msg: "cloud gateways send approved templates only"}
	}
	if sign == "" {
		return &sms.Error{Kind: sms.Misconfigured, Code: "no_sign", Msg: "no signature in the message or the gateway's options"}
	}
	return nil
}

// requestNote names the provider's request id in an error, for a ticket
// with the provider's support.
func requestNote(id string) string {
	if id == "" {
		return ""
	}
	return " (request id " + id + ")"
}
