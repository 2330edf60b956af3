package syncer

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"cunyou/syncproto"
)

// Transport carries the sync protocol's calls to a hub. Every call is
// bounded by its context's deadline; an error answer of the hub comes back
// as a *HubError.
type Transport interface {
	Hello(ctx context.Context, h syncproto.Hello) (syncproto.Welcome, error)
	// PushOps sends one encoded ops batch.
	PushOps(ctx context.Context, batch []byte) (syncproto.OpsResult, error)
	// Changes fetches the downstream changes after a cursor.
	Changes(ctx context.Context, after uint64, limit int) (syncproto.Batch, error)
	// BlobOffset returns how many bytes of a blob the hub holds.
	BlobOffset(ctx context.Context, sha string) (int64, error)
	// PushBlob sends the chunk of a blob of size total that starts at
	// offset.
	PushBlob(ctx context.Context, sha string, offset, total int64, chunk []byte) (syncproto.BlobStatus, error)
}

// Client is the HTTPS carrier of the protocol (syncproto/api.go).
type Client struct {
	base  *url.URL
	token string
	http  *http.Client
}

// maxResponseBytes bounds what is read of a hub's answer: a changes batch
// is limited once decompressed, this bounds it before.
const maxResponseBytes = syncproto.MaxBatchBytes

// NewClient returns a client for the hub at hubURL authenticating with
// token. caFile, when set, is a PEM file of the county's own certificate
// authority, trusted beside the system's.
func NewClient(hubURL, token, caFile string) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(hubURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("hub url %q: want http(s)://host[:port]", hubURL)
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   15 * time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   2,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
	}
	if caFile != "" {
		pool, err := CAPool(caFile)
		if err != nil {
			return nil, fmt.Errorf("read hub CA %s: %w", caFile, err)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &Client{base: u, token: token, http: &http.Client{Transport: tr}}, nil
}

// ErrNoPEM: a CA file without a PEM certificate in it.
var ErrNoPEM = errors.New("no PEM certificate in it")

// CAPool is what a station trusts of the hub: the system's authorities
// and the county's own CA file (none when caFile is ""). A file that
// cannot be read is its error; one without a certificate ErrNoPEM.
func CAPool(caFile string) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if caFile == "" {
		return pool, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return pool, err
	}
	if !pool.AppendCertsFromPEM(pem) {
		return pool, ErrNoPEM
	}
	return pool, nil
}

// CloseIdle closes the client's idle connections: after a failure the
// next call starts on a fresh one.
func (c *Client) CloseIdle() { c.http.CloseIdleConnections() }

func (c *Client) url(path string, q url.Values) string {
	u := *c.base
	u.Path += path
	if q != nil {
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// do sends a request and returns the response of a 2xx answer; any other
// answer becomes a *HubError.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, body []byte, hdr http.Header) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.url(path, q), rd)
	if err != nil {
		return nil, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	if res.StatusCode/100 == 2 {
		return res, nil
	}
	defer res.Body.Close()
	return nil, hubError(res)
}

// hubError reads an error answer.
func hubError(res *http.Response) *HubError {
	he := &HubError{Status: res.StatusCode}
	raw, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if err := json.Unmarshal(raw, &he.Body); err != nil || he.Body.Code == syncproto.CodeOK {
		he.Body = syncproto.ErrorBody{Code: codeForStatus(res.StatusCode), Message: strings.TrimSpace(string(raw))}
		if len(he.Body.Message) > 200 {
			he.Body.Message = he.Body.Message[:200]
		}
	}
	if he.Body.Name == "" {
		he.Body.Name = he.Body.Code.String()
	}
	he.RetryAfter = he.Body.RetryAfter()
	if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil && time.Duration(s)*time.Second > he.RetryAfter {
		he.RetryAfter = time.Duration(s) * time.Second
	}
	if v, err := strconv.ParseInt(res.Header.Get("Upload-Offset"), 10, 64); err == nil {
		he.UploadOffset = &v
	}
	return he
}

// codeForStatus names an error answer that carries no error body (a proxy's
// page, say).
func codeForStatus(status int) syncproto.Code {
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden:
		return syncproto.CodeUnauthorized
	case http.StatusNotFound:
		return syncproto.CodeNotFound
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return syncproto.CodeBusy
	case http.StatusRequestEntityTooLarge:
		return syncproto.CodeTooLarge
	}
	return syncproto.CodeInternal
}

func decodeJSON(res *http.Response, v any) error {
	defer res.Body.Close()
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(v); err != nil {
		return &syncproto.Error{Code: syncproto.CodeBadBatch, Msg: fmt.Sprintf("hub answer: %v", err)}
	}
	return nil
}

func (c *Client) postJSON(ctx context.Context, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	res, err := c.do(ctx, http.MethodPost, path, nil, body, http.Header{"Content-Type": {"application/json"}})
	if err != nil {
		return err
	}
	return decodeJSON(res, out)
}

// Enroll trades a one-time code for the node's identity and token.
func (c *Client) Enroll(ctx context.Context, req syncproto.EnrollRequest) (syncproto.EnrollResponse, error) {
	var out syncproto.EnrollResponse
	if err := c.postJSON(ctx, syncproto.PathEnroll, req, &out); err != nil {
		return out, err
	}
	if out.Node == "" || out.Token == "" || !out.Kind.Valid() {
		return out, &syncproto.Error{Code: syncproto.CodeBadBatch, Msg: "enrollment answer without node, kind or token"}
	}
	return out, nil
}

func (c *Client) Hello(ctx context.Context, h syncproto.Hello) (syncproto.Welcome, error) {
	var w syncproto.Welcome
	err := c.postJSON(ctx, syncproto.PathHello, h, &w)
	return w, err
}

func (c *Client) PushOps(ctx context.Context, batch []byte) (syncproto.OpsResult, error) {
	var r syncproto.OpsResult
	res, err := c.do(ctx, http.MethodPost, syncproto.PathOps, nil, batch, http.Header{"Content-Type": {"application/octet-stream"}})
	if err != nil {
		return r, err
	}
	err = decodeJSON(res, &r)
	return r, err
}

func (c *Client) Changes(ctx context.Context, after uint64, limit int) (syncproto.Batch, error) {
	q := url.Values{"after": {strconv.FormatUint(after, 10)}, "limit": {strconv.Itoa(limit)}}
	res, err := c.do(ctx, http.MethodGet, syncproto.PathChanges, q, nil, nil)
	if err != nil {
		return syncproto.Batch{}, err
	}
	defer res.Body.Close()
	return syncproto.ReadBatch(io.LimitReader(res.Body, maxResponseBytes))
}

func (c *Client) BlobOffset(ctx context.Context, sha string) (int64, error) {
	res, err := c.do(ctx, http.MethodHead, syncproto.PathBlobs+sha, nil, nil, nil)
	var he *HubError
	if errors.As(err, &he) && he.Status == http.StatusNotFound {
		return 0, nil // the hub has none of it yet
	}
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	off, err := strconv.ParseInt(res.Header.Get("Upload-Offset"), 10, 64)
	if err != nil || off < 0 {
		return 0, &syncproto.Error{Code: syncproto.CodeBadBatch, Msg: "blob answer without Upload-Offset"}
	}
	return off, nil
}

func (c *Client) PushBlob(ctx context.Context, sha string, offset, total int64, chunk []byte) (syncproto.BlobStatus, error) {
	var st syncproto.BlobStatus
	res, err := c.do(ctx, http.MethodPatch, syncproto.PathBlobs+sha, nil, chunk, http.Header{
		"Content-Type":  {"application/offset+octet-stream"},
		"Upload-Offset": {strconv.FormatInt(offset, 10)},
		"Upload-Length": {strconv.FormatInt(total, 10)},
	})
	if err != nil {
		return st, err
	}
	err = decodeJSON(res, &st)
	return st, err
}
