package camera

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// HTTPOptions configures an HTTPCamera.
type HTTPOptions struct {
	// URL is the camera's snapshot address, e.g.
	// http://192.168.1.64/ISAPI/Streaming/channels/101/picture
	// (Hikvision) or http://192.168.1.108/cgi-bin/snapshot.cgi (Dahua).
	URL string
	// Name is the device name in snapshots and logs; the URL's host
	// when "".
	Name string
	// User and Password log in to the camera.
	User, Password string
	// Auth is "" to answer whatever the camera asks for (Digest, the
	// strongest hash it offers, or Basic), "digest" to answer Digest
	// only, or "basic" to send Basic credentials with every request.
	Auth string
	// Timeout bounds one snapshot, the login round included; 5 s when 0.
	Timeout time.Duration
	// MaxBytes bounds a snapshot; MaxImageBytes when 0.
	MaxBytes int64
	// Transport carries the requests; a transport of its own when nil.
	Transport http.RoundTripper
	// Now stamps snapshots; time.Now when nil.
	Now func() time.Time
	// Log receives what the camera does; nothing when nil.
	Log *slog.Logger
}

// HTTPCamera takes JPEG snapshots from a network camera. It is safe for
// concurrent use.
type HTTPCamera struct {
	opt    HTTPOptions
	url    *url.URL
	client *http.Client

	mu     sync.Mutex
	digest *challenge // the camera's last Digest challenge, answered again until it goes stale
	nc     uint32     // requests made with its nonce
	basic  bool       // the camera asked for Basic: sent at once
}

// Snapshot is one picture from a camera.
type Snapshot struct {
	Data          []byte // the JPEG as the camera sent it
	Width, Height int
	At            time.Time
	Device        string
}

// NewHTTP makes an HTTPCamera. It connects to nothing: Snapshot does.
func NewHTTP(opt HTTPOptions) (*HTTPCamera, error) {
	u, err := url.Parse(opt.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("camera url %q: want http://host/path: %w", opt.URL, ErrConfig)
	}
	switch opt.Auth = strings.ToLower(opt.Auth); opt.Auth {
	case "", "basic", "digest":
	default:
		return nil, fmt.Errorf("camera auth %q: want basic, digest or empty: %w", opt.Auth, ErrConfig)
	}
	if opt.Timeout == 0 {
		opt.Timeout = 5 * time.Second
	}
	if opt.MaxBytes == 0 {
		opt.MaxBytes = MaxImageBytes
	}
	if opt.Timeout < 0 || opt.MaxBytes < 0 {
		return nil, fmt.Errorf("camera timeout %v, max bytes %d: %w", opt.Timeout, opt.MaxBytes, ErrConfig)
	}
	if opt.Name == "" {
		opt.Name = u.Host
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.Transport == nil {
		opt.Transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	if u.User != nil && opt.User == "" && opt.Password == "" {
		opt.User = u.User.Username()
		opt.Password, _ = u.User.Password()
	}
	u.User = nil // credentials go in headers, never in the URL
	c := &HTTPCamera{opt: opt, url: u, client: &http.Client{Transport: opt.Transport,
		// A camera that redirects (to a login page) gives no snapshot.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	return c, nil
}

// Name is the device name its snapshots carry.
func (c *HTTPCamera) Name() string { return c.opt.Name }

// Snapshot takes a picture: it GETs the snapshot URL, logs in when the
// camera asks, and checks that the answer is one whole JPEG. Its errors
// wrap ErrUnreachable, ErrTimeout, ErrAuth, ErrStatus, ErrNotJPEG or
// ErrTooLarge.
func (c *HTTPCamera) Snapshot(ctx context.Context) (*Snapshot, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, c.opt.Timeout, ErrTimeout)
	defer cancel()
	// At most three rounds: the one that meets a challenge, its answer,
	// and one more when the camera says the nonce went stale.
	for round := 0; ; round++ {
		resp, err := c.get(ctx)
		if err != nil {
			return nil, c.fail(ctx, err)
		}
		if resp.StatusCode != http.StatusUnauthorized {
			defer resp.Body.Close()
			return c.read(ctx, resp)
		}
		resp.Body.Close()
		if err := c.challenged(resp, round); err != nil {
			return nil, err
		}
	}
}

// get makes one request, with the credentials the camera last asked for.
func (c *HTTPCamera) get(ctx context.Context) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "image/jpeg")
	c.mu.Lock()
	switch {
	case c.digest != nil:
		c.nc++
		req.Header.Set("Authorization", c.digestHeader(req))
	case c.basic || c.opt.Auth == "basic":
		req.SetBasicAuth(c.opt.User, c.opt.Password)
	}
	c.mu.Unlock()
	return c.client.Do(req)
}

// challenged takes a 401 answer: it picks the challenge to answer next,
// or says why there is no point in asking again: the credentials were
// refused, or none the camera asks for can be given.
func (c *HTTPCamera) challenged(resp *http.Response, round int) error {
	cs := parseChallenges(resp.Header.Values("WWW-Authenticate"))
	if c.opt.Auth != "" {
		cs = slices.DeleteFunc(cs, func(ch challenge) bool { return ch.scheme != c.opt.Auth })
	}
	ch, ok := best(cs)
	c.mu.Lock()
	defer c.mu.Unlock()
	sentBasic := c.basic || c.opt.Auth == "basic"
	c.digest, c.nc = nil, 0
	stale := ch.scheme == "digest" && strings.EqualFold(ch.params["stale"], "true")
	switch {
	case c.opt.User == "" && c.opt.Password == "":
		return fmt.Errorf("get %s: %w: the camera asks for a login and none is configured", c.opt.Name, ErrAuth)
	case !ok:
		return fmt.Errorf("get %s: %w: no login it asks for is supported: %s", c.opt.Name, ErrAuth,
			strings.Join(resp.Header.Values("WWW-Authenticate"), "; "))
	case round >= 2, round == 1 && !stale, ch.scheme == "basic" && sentBasic:
		// Credentials computed for this very camera were refused.
		c.basic = false
		return fmt.Errorf("get %s: %w", c.opt.Name, ErrAuth)
	case ch.scheme == "basic":
		c.basic = true // sent at once from now on
	default:
		c.basic, c.digest = false, &ch
	}
	return nil
}

// digestHeader answers the stored challenge for req; c.mu is held.
func (c *HTTPCamera) digestHeader(req *http.Request) string {
	p := c.digest.params
	d := &digestCreds{user: c.opt.User, password: c.opt.Password, realm: p["realm"], nonce: p["nonce"],
		algorithm: p["algorithm"], opaque: p["opaque"], method: req.Method, uri: req.URL.RequestURI(),
		userhash: strings.EqualFold(p["userhash"], "true")}
	if q, ok := p["qop"]; ok {
		d.qop, d.nc, d.cnonce = qopOf(q), fmt.Sprintf("%08x", c.nc), newCnonce()
	}
	return d.header()
}

// read checks and reads a snapshot answer.
func (c *HTTPCamera) read(ctx context.Context, resp *http.Response) (*Snapshot, error) {
	switch {
	case resp.StatusCode == http.StatusForbidden:
		return nil, fmt.Errorf("get %s: %w: %s", c.opt.Name, ErrAuth, resp.Status)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("get %s: %w: %s", c.opt.Name, ErrStatus, resp.Status)
	}
	ct := resp.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); ct != "" && (err != nil || !jpegType(mt)) {
		return nil, fmt.Errorf("get %s: %w: content type %q", c.opt.Name, ErrNotJPEG, ct)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.opt.MaxBytes+1))
	if err != nil {
		return nil, c.fail(ctx, err)
	}
	if int64(len(data)) > c.opt.MaxBytes {
		return nil, fmt.Errorf("get %s: %w: over %d bytes", c.opt.Name, ErrTooLarge, c.opt.MaxBytes)
	}
	info, err := Inspect(bytes.NewReader(data), int64(len(data)))
	if err != nil || info.Format != JPEG {
		return nil, fmt.Errorf("get %s: %w: %v", c.opt.Name, ErrNotJPEG, err)
	}
	return &Snapshot{Data: data, Width: info.Width, Height: info.Height, At: c.opt.Now(), Device: c.opt.Name}, nil
}

// jpegType accepts the media types cameras label JPEG snapshots with,
// and application/octet-stream, which cheap ones send (the bytes are
// checked anyway).
func jpegType(mt string) bool {
	switch mt {
	case "image/jpeg", "image/jpg", "image/pjpeg", "application/octet-stream":
		return true
	}
	return false
}

// fail sorts a transport error: a deadline ran out (the camera's or the
// caller's), or the camera could not be reached (or broke off). The
// caller's own cancellation is passed on as it is.
func (c *HTTPCamera) fail(ctx context.Context, err error) error {
	var ne net.Error
	switch {
	case errors.Is(context.Cause(ctx), ErrTimeout):
		return fmt.Errorf("get %s: %w after %v", c.opt.Name, ErrTimeout, c.opt.Timeout)
	case errors.Is(ctx.Err(), context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return fmt.Errorf("get %s: %w", c.opt.Name, ErrTimeout)
	case ctx.Err() != nil:
		return fmt.Errorf("get %s: %w", c.opt.Name, context.Cause(ctx))
	}
	return fmt.Errorf("get %s: %w: %v", c.opt.Name, ErrUnreachable, err)
}
