package diag

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"cunyou/edge/syncer"
	"cunyou/syncproto"
)

// hubFacts is what asking the hub found: GET /healthz (reachability,
// certificate, version, the Date header), a hello with the token
// (credentials, clock, cursors) and GET /metrics (dead letters, when the
// hub lets anyone read it). Nothing here writes to this node's database.
type hubFacts struct {
	url       *url.URL // nil when no hub is configured
	overrides string   // the enrolled address the config's hub_url replaces
	caFile    string
	caErr     error // reading the CA file failed
	caNoPEM   bool

	reachErr error // the GET of /healthz failed before an answer
	status   int   // its HTTP status
	latency  time.Duration
	peer     *x509.Certificate // the hub's certificate, when TLS verified
	health   struct {
		Version  string `json:"version"`
		Proto    int    `json:"proto"`
		MinProto int    `json:"min_proto"`
	}
	dateSkew *time.Duration // hub − node from the Date header

	helloErr  error // the hello failed (a *hubAnswer when the hub refused it)
	welcome   *syncproto.Welcome
	helloSkew *time.Duration

	metricsRead       bool // dead and quarantined are the hub's figures
	metricsErr        error
	dead, quarantined int
}

// hubAnswer is an error answer of the hub.
type hubAnswer struct {
	status int
	body   syncproto.ErrorBody
}

func (e *hubAnswer) Error() string {
	if e.body.Name != "" {
		return fmt.Sprintf("HTTP %d %s: %s", e.status, e.body.Name, e.body.Message)
	}
	return fmt.Sprintf("HTTP %d", e.status)
}

// maxHealthBytes and maxMetricsBytes bound what is read of the hub's
// answers (the metrics list every station of the county).
const (
	maxHealthBytes  = 64 << 10
	maxMetricsBytes = 32 << 20
)

func probeHub(ctx context.Context, f *facts) hubFacts {
	var h hubFacts
	raw := f.o.Config.HubURL
	if raw == "" {
		raw = f.db.enroll.hubURL
	} else if f.db.enrolled && strings.TrimRight(raw, "/") != strings.TrimRight(f.db.enroll.hubURL, "/") {
		h.overrides = f.db.enroll.hubURL
	}
	if raw == "" {
		return h
	}
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		h.reachErr = fmt.Errorf("hub url %q: want https://host[:port]", redactURL(raw))
		return h
	}
	h.url = u
	h.caFile = f.o.Config.CAFile
	if h.caFile == "" {
		h.caFile = f.db.enroll.caFile
	}
	client := h.client(f)
	h.getHealth(ctx, client, f)
	if h.reachErr != nil || h.status != http.StatusOK {
		return h
	}
	if f.db.enrolled {
		h.hello(ctx, client, f)
	}
	h.getMetrics(ctx, client, f)
	return h
}

// client trusts the system's authorities and the county's CA file, as the
// sync loop does, on the report's clock.
func (h *hubFacts) client(f *facts) *http.Client {
	pool, err := syncer.CAPool(h.caFile)
	switch {
	case errors.Is(err, syncer.ErrNoPEM):
		h.caNoPEM = true
	case err != nil:
		h.caErr = err
	}
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: f.o.Timeout}).DialContext,
		TLSHandshakeTimeout: f.o.Timeout,
		TLSClientConfig:     &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12, Time: f.o.Now},
		DisableKeepAlives:   true,
	}
	return &http.Client{Transport: tr, Timeout: f.o.Timeout}
}

func (h *hubFacts) endpoint(path string) string {
	u := *h.url
	u.Path += path
	return u.String()
}

// send sends one request and returns the answer and how long it took to
// come.
func send(ctx context.Context, client *http.Client, method, url string, body []byte, hdr http.Header) (*http.Response, time.Duration, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, 0, err
	}
	maps.Copy(req.Header, hdr)
	start := time.Now()
	res, err := client.Do(req)
	return res, time.Since(start), err
}

func (h *hubFacts) getHealth(ctx context.Context, client *http.Client, f *facts) {
	res, rtt, err := send(ctx, client, http.MethodGet, h.endpoint("/healthz"), nil, nil)
	if err != nil {
		h.reachErr = err
		return
	}
	defer res.Body.Close()
	h.latency, h.status = rtt, res.StatusCode
	if res.TLS != nil && len(res.TLS.PeerCertificates) > 0 {
		h.peer = res.TLS.PeerCertificates[0]
	}
	if d, err := http.ParseTime(res.Header.Get("Date")); err == nil {
		// The Date header is whole seconds, truncated: the hub's clock
		// read half a second more on average, half a round trip ago.
		skew := d.Add(500 * time.Millisecond).Sub(f.o.Now().Add(-rtt / 2))
		h.dateSkew = &skew
	}
	if res.StatusCode == http.StatusOK {
		json.NewDecoder(io.LimitReader(res.Body, maxHealthBytes)).Decode(&h.health)
	}
}

// hello says hello with the token, as the sync loop does: the hub answers
// with its clock and, for each incarnation, how far it holds the ops.
func (h *hubFacts) hello(ctx context.Context, client *http.Client, f *facts) {
	msg := syncproto.Hello{Proto: syncproto.ProtoVersion, MinProto: syncproto.MinProtoVersion, Node: f.db.id.node,
		Software: "cunyou-edge " + f.o.Version + " (diag)", Incarnations: f.db.backlog.incarnations}
	if msg.Incarnations == nil {
		msg.Incarnations = []string{}
	}
	sent := f.o.Now()
	msg.TimeMs = sent.UnixMilli()
	body, _ := json.Marshal(msg)
	res, rtt, err := send(ctx, client, http.MethodPost, h.endpoint(syncproto.PathHello), body, http.Header{
		"Content-Type": {"application/json"}, "Authorization": {"Bearer " + f.db.enroll.token}})
	if err != nil {
		h.helloErr = err
		return
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(res.Body, maxHealthBytes))
	if res.StatusCode != http.StatusOK {
		a := &hubAnswer{status: res.StatusCode}
		if json.Unmarshal(raw, &a.body) == nil && a.body.Name == "" && a.body.Code != syncproto.CodeOK {
			a.body.Name = a.body.Code.String()
		}
		h.helloErr = a
		return
	}
	var w syncproto.Welcome
	if err := json.Unmarshal(raw, &w); err != nil {
		h.helloErr = fmt.Errorf("hello answer: %w", err)
		return
	}
	h.welcome = &w
	if w.HubTimeMs > 0 {
		skew := time.Duration(w.HubTimeMs-sent.Add(rtt/2).UnixMilli()) * time.Millisecond
		h.helloSkew = &skew
	}
}

// getMetrics reads the station's dead letters and quarantined ops from the
// hub's metrics, which only a hub without a metrics token lets anyone read.
func (h *hubFacts) getMetrics(ctx context.Context, client *http.Client, f *facts) {
	h.metricsErr = errors.New("no node identity")
	if f.db.id.node == "" {
		return
	}
	res, _, err := send(ctx, client, http.MethodGet, h.endpoint("/metrics"), nil, nil)
	if err != nil {
		h.metricsErr = err
		return
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		h.metricsErr = &hubAnswer{status: res.StatusCode}
		return
	}
	h.dead, h.quarantined, h.metricsErr = parseStationMetrics(io.LimitReader(res.Body, maxMetricsBytes), f.db.id.node)
	h.metricsRead = h.metricsErr == nil
}

// parseStationMetrics finds the station's dead letters and quarantined
// ops in the hub's Prometheus text.
func parseStationMetrics(r io.Reader, node string) (dead, quarantined int, err error) {
	label := `{station="` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(node) + `"} `
	found := 0
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		for name, dst := range map[string]*int{"cunyou_hub_station_dead_letters": &dead, "cunyou_hub_station_quarantined": &quarantined} {
			if v, ok := strings.CutPrefix(line, name+label); ok {
				n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil {
					return 0, 0, fmt.Errorf("metrics: %s: %w", name, err)
				}
				*dst = int(n)
				found++
			}
		}
	}
	if err := sc.Err(); err != nil {
		return 0, 0, fmt.Errorf("metrics: %w", err)
	}
	if found < 2 {
		return 0, 0, fmt.Errorf("metrics list no figures for station %s", node)
	}
	return dead, quarantined, nil
}

// skew is the best measure of the hub's clock minus this node's: the
// hello's (milliseconds), else the Date header's, else the one sync
// recorded. src names the source's message key.
func (f *facts) skew() (skew time.Duration, src string, ok bool) {
	switch {
	case f.hub.helloSkew != nil:
		return *f.hub.helloSkew, "clock.src_hello", true
	case f.hub.dateSkew != nil:
		return *f.hub.dateSkew, "clock.src_date", true
	case f.db.state.skewKnown:
		return f.db.state.skew, "clock.src_stored", true
	}
	return 0, "", false
}

// serveFacts is whether `cunyou-edge serve` answers on the kiosk address.
type serveFacts struct {
	addr string
	err  error
	node string
}

// serveRunning reports whether this node's serve answers on its address.
func (f *facts) serveRunning() bool {
	return f.serve.err == nil && f.serve.node != "" && f.serve.node == f.db.id.node
}

// probeServe asks the kiosk's /healthz on the configured listen address.
func probeServe(ctx context.Context, f *facts) serveFacts {
	host, port, err := net.SplitHostPort(f.o.Config.Listen)
	if err != nil {
		return serveFacts{addr: f.o.Config.Listen, err: err}
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
		if ip != nil && ip.To4() == nil {
			host = "::1"
		}
	}
	s := serveFacts{addr: net.JoinHostPort(host, port)}
	cctx, cancel := context.WithTimeout(ctx, f.o.Timeout)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	res, _, err := send(cctx, client, http.MethodGet, "http://"+s.addr+"/healthz", nil, nil)
	if err != nil {
		s.err = err
		return s
	}
	defer res.Body.Close()
	var body struct {
		Node string `json:"node"`
	}
	if res.StatusCode != http.StatusOK {
		s.err = &hubAnswer{status: res.StatusCode}
		return s
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, maxHealthBytes)).Decode(&body); err != nil {
		s.err = fmt.Errorf("healthz: %w", err)
		return s
	}
	s.node = body.Node
	return s
}

// redactURL drops a password from a URL before it is shown.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}
