package chaos

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// maxBody caps request and response bodies, which the proxy holds whole.
const maxBody = 64 << 20

// maxLog caps the entries Log keeps; the seed replays the rest.
const maxLog = 100_000

// Config builds a Proxy.
type Config struct {
	// Upstream is the hub's base URL: http:// and an IP literal in
	// 127.0.0.0/8 or ::1 with a port ("http://127.0.0.1:43121"), as
	// httptest.Server.URL is. Anything else, host names included, is
	// refused with ErrNotLoopback.
	Upstream string
	// Seed drives every decision. 0 picks a random seed; Seed tells which.
	Seed uint64
	// Faults are the link's misbehaviours at start; the zero value is a
	// healthy link.
	Faults Faults
	// Logf, if set, gets one line per request, per cut and per fault
	// change (t.Logf fits). It is not called once Close has returned.
	Logf func(format string, args ...any)
}

// Proxy is an HTTP/1.1 reverse proxy on 127.0.0.1 that misbehaves like a
// poor link between its clients and one loopback upstream. It holds every
// request and response body whole (up to 64 MiB) to be able to duplicate,
// cut and throttle them. All methods are safe for concurrent use.
type Proxy struct {
	seed      uint64
	url       string
	srv       *http.Server
	transport *http.Transport
	ctx       context.Context
	cancel    context.CancelFunc
	up, down  bucket
	changed   chan struct{}  // CutEvery changed
	bg        sync.WaitGroup // Serve and the cutter
	handlers  sync.WaitGroup // requests being handled
	connsWG   sync.WaitGroup // client connections not yet closed or hijacked
	stats     counters

	logMu     sync.RWMutex
	logf      func(format string, args ...any)
	logClosed bool

	mu       sync.Mutex
	closed   bool
	faults   Faults
	upstream *url.URL
	seq      uint64
	active   int                   // requests being handled
	conns    map[net.Conn]struct{} // open client connections
	maxDone  uint64                // highest request number answered upstream
	doneCh   chan struct{}         // closed and replaced when maxDone grows
	log      []Entry
}

// New starts a proxy on 127.0.0.1 (a free port) in front of cfg.Upstream.
func New(cfg Config) (*Proxy, error) {
	up, err := parseUpstream(cfg.Upstream)
	if err != nil {
		return nil, err
	}
	if err := cfg.Faults.Validate(); err != nil {
		return nil, err
	}
	seed := cfg.Seed
	for seed == 0 {
		seed = rand.Uint64()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Proxy{
		seed:     seed,
		url:      "http://" + ln.Addr().String(),
		ctx:      ctx,
		cancel:   cancel,
		changed:  make(chan struct{}, 1),
		logf:     cfg.Logf,
		faults:   cloneFaults(cfg.Faults),
		upstream: up,
		conns:    make(map[net.Conn]struct{}),
		doneCh:   make(chan struct{}),
	}
	p.transport = &http.Transport{
		Proxy:               nil, // never an HTTP_PROXY from the environment
		DialContext:         dialLoopback,
		DisableCompression:  true, // pass bodies through as the upstream sent them
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     30 * time.Second,
	}
	p.srv = &http.Server{
		Handler:           http.HandlerFunc(p.serveHTTP),
		ReadHeaderTimeout: 30 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ConnState:         p.connState,
		ErrorLog:          log.New(logWriter{p}, "chaos: http: ", 0),
	}
	p.bg.Go(func() { _ = p.srv.Serve(ln) })
	p.bg.Go(p.cutter)
	p.printf("chaos: proxy %s → %s, seed %#x, faults: %v", p.url, up, seed, cfg.Faults)
	return p, nil
}

// URL is the proxy's base URL, "http://127.0.0.1:PORT": give it to the
// client in place of the upstream's.
func (p *Proxy) URL() string { return p.url }

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return strings.TrimPrefix(p.url, "http://") }

// Seed is the seed in use: the one given, or the one picked for 0.
func (p *Proxy) Seed() uint64 { return p.seed }

// Faults returns the faults in force.
func (p *Proxy) Faults() Faults {
	p.mu.Lock()
	defer p.mu.Unlock()
	return cloneFaults(p.faults)
}

// SetFaults changes the faults for the requests that arrive from now on
// (requests already in flight keep their decisions) and restarts the
// CutEvery timer if it changed. SetFaults(Faults{}) heals the link.
func (p *Proxy) SetFaults(f Faults) error {
	if err := f.Validate(); err != nil {
		return err
	}
	p.mu.Lock()
	cutChanged := f.CutEvery != p.faults.CutEvery
	p.faults = cloneFaults(f)
	seq := p.seq
	p.mu.Unlock()
	if cutChanged {
		select {
		case p.changed <- struct{}{}:
		default:
		}
	}
	p.printf("chaos: seed %#x: faults from request #%d on: %v", p.seed, seq+1, f)
	return nil
}

// SetUpstream points the proxy at another loopback upstream (a hub
// restarted on a new port) for the requests that arrive from now on.
func (p *Proxy) SetUpstream(upstream string) error {
	u, err := parseUpstream(upstream)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.upstream = u
	p.mu.Unlock()
	p.transport.CloseIdleConnections()
	return nil
}

// CutNow closes every open client connection at once, as CutEvery does,
// and says how many there were.
func (p *Proxy) CutNow() int { return p.cut("CutNow") }

// WaitIdle waits until no request is being handled, or ctx is done. A
// client can see its answer an instant before the proxy has written it
// down: call WaitIdle after the clients have returned and before reading
// Stats or Log.
func (p *Proxy) WaitIdle(ctx context.Context) error {
	for {
		p.mu.Lock()
		active := p.active
		p.mu.Unlock()
		if active == 0 {
			return nil
		}
		if err := sleep(ctx, 2*time.Millisecond); err != nil {
			return fmt.Errorf("wait idle: %d requests in flight: %w", active, err)
		}
	}
}

func (p *Proxy) leave() {
	p.mu.Lock()
	p.active--
	p.mu.Unlock()
}

// Close stops the proxy: it closes the listener and every client
// connection, aborts held, delayed and forwarded requests, and returns when
// every goroutine it started has ended. Later calls do nothing.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	conns := p.takeConns()
	p.mu.Unlock()

	p.cancel()
	_ = p.srv.Close()
	for _, c := range conns {
		_ = c.Close()
	}
	p.bg.Wait()
	p.connsWG.Wait()
	p.handlers.Wait()
	p.transport.CloseIdleConnections()
	p.printf("chaos: proxy %s closed, seed %#x: %v", p.url, p.seed, p.Stats())

	p.logMu.Lock()
	p.logClosed = true
	p.logMu.Unlock()
	return nil
}

// serveHTTP is the handler of every request.
func (p *Proxy) serveHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		panic(http.ErrAbortHandler) // closes the connection quietly
	}
	p.handlers.Add(1)
	defer p.handlers.Done()
	p.active++
	defer p.leave()
	p.seq++
	seq, f, up := p.seq, p.faults, p.upstream
	d := Decide(p.seed, seq, f)
	if !f.applies(r.URL.Path) {
		d = Decision{Seq: seq}
	}
	e := Entry{Decision: d, Method: r.Method, Path: r.URL.Path}
	idx := -1
	if len(p.log) < maxLog {
		idx = len(p.log)
		p.log = append(p.log, e)
	}
	p.mu.Unlock()
	p.stats.requests.Add(1)

	defer func() { // also when a hijack fails and the handler aborts
		if idx >= 0 {
			p.mu.Lock()
			p.log[idx] = e
			p.mu.Unlock()
		}
		p.printf("chaos: seed %#x: %s", p.seed, e)
	}()
	p.handle(w, r, &e, up)
}

// handle carries out the decision and says in e what became of the request.
func (p *Proxy) handle(w http.ResponseWriter, r *http.Request, e *Entry, up *url.URL) {
	d := e.Decision
	body, err := p.readBody(r.Context(), r.Body)
	if errors.Is(err, errTooLarge) {
		http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
		e.Outcome = "answered 413: request body too large"
		return
	} else if err != nil {
		p.stats.clientGone.Add(1)
		e.Outcome = "client gone while sending: " + err.Error()
		return
	}
	// Delay and Reorder model bytes already on the way: once the body has
	// been read, the request goes through even if the client's
	// connection is cut meanwhile, as a retransmitted segment would.
	if d.Delay > 0 {
		p.stats.delayed.Add(1)
		if sleep(p.ctx, d.Delay) != nil {
			p.abort(w)
			e.Outcome = "proxy closed while delaying"
			return
		}
	}
	if d.Hold > 0 {
		p.stats.reordered.Add(1)
		e.Overtaken = p.hold(d.Seq, d.Hold)
		if e.Overtaken {
			p.stats.overtaken.Add(1)
		}
		if p.ctx.Err() != nil {
			p.abort(w)
			e.Outcome = "proxy closed while holding"
			return
		}
	}
	if d.DropRequest {
		p.stats.droppedRequests.Add(1)
		p.abort(w)
		e.Outcome = "dropped before forwarding: connection closed"
		return
	}
	ans, err := p.forward(r, body, d, up)
	if err != nil {
		p.stats.upstreamErrors.Add(1)
		p.abort(w)
		e.Outcome = "upstream failed, connection closed: " + err.Error()
		return
	}
	e.Status = ans.status
	switch {
	case d.DropResponse:
		p.stats.droppedResponses.Add(1)
		e.Outcome = p.writeCut(w, r, ans, d)
	case d.Truncate:
		p.stats.truncated.Add(1)
		e.Outcome = p.writeCut(w, r, ans, d)
	default:
		e.Outcome = p.writeAnswer(w, r, ans)
	}
}

var errTooLarge = fmt.Errorf("body larger than %d bytes", maxBody)

// readBody reads a request body at the link's upload rate.
func (p *Proxy) readBody(ctx context.Context, body io.Reader) ([]byte, error) {
	var buf bytes.Buffer
	chunk := make([]byte, 16<<10)
	for {
		bps := p.bps()
		n, err := body.Read(chunk[:min(len(chunk), chunkSize(bps))])
		if n > 0 {
			buf.Write(chunk[:n])
			p.stats.bytesUp.Add(int64(n))
			if buf.Len() > maxBody {
				return nil, errTooLarge
			}
			wait := p.up.reserve(time.Now(), n, bps)
			p.stats.throttledUp.Add(int64(wait))
			if err := sleep(ctx, wait); err != nil {
				return nil, fmt.Errorf("read body: %w", err)
			}
		}
		if err == io.EOF {
			return buf.Bytes(), nil
		}
		if err != nil {
			return nil, fmt.Errorf("read body: %w", err)
		}
	}
}

// writeBody writes b at the link's download rate, flushing each chunk.
func (p *Proxy) writeBody(ctx context.Context, w io.Writer, flush func() error, b []byte) (int, error) {
	written := 0
	for len(b) > 0 {
		bps := p.bps()
		n := min(len(b), chunkSize(bps))
		wait := p.down.reserve(time.Now(), n, bps)
		p.stats.throttledDown.Add(int64(wait))
		if err := sleep(ctx, wait); err != nil {
			return written, err
		}
		m, err := w.Write(b[:n])
		written += m
		p.stats.bytesDown.Add(int64(m))
		if err == nil {
			err = flush()
		}
		if err != nil {
			return written, err
		}
		b = b[n:]
	}
	return written, nil
}

func (p *Proxy) bps() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.faults.BitsPerSecond
}

// hold waits until a request later than seq has been answered upstream
// (true) or for d (false).
func (p *Proxy) hold(seq uint64, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		p.mu.Lock()
		done, ch := p.maxDone, p.doneCh
		p.mu.Unlock()
		if done > seq {
			return true
		}
		select {
		case <-ch:
		case <-t.C:
			return false
		case <-p.ctx.Done():
			return false
		}
	}
}

// answered notes that request seq got its answer from upstream.
func (p *Proxy) answered(seq uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if seq > p.maxDone {
		p.maxDone = seq
		close(p.doneCh)
		p.doneCh = make(chan struct{})
	}
}

// answer is an upstream's response, held whole.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// forward sends the request upstream, twice if the decision says so.
func (p *Proxy) forward(r *http.Request, body []byte, d Decision, up *url.URL) (answer, error) {
	if !d.Duplicate {
		return p.roundTrip(r, body, d.Seq, up)
	}
	p.stats.duplicated.Add(1)
	var (
		ans  [2]answer
		errs [2]error
	)
	if d.DupParallel {
		var wg sync.WaitGroup
		for i := range 2 {
			wg.Go(func() { ans[i], errs[i] = p.roundTrip(r, body, d.Seq, up) })
		}
		wg.Wait()
	} else {
		for i := range 2 {
			ans[i], errs[i] = p.roundTrip(r, body, d.Seq, up)
		}
	}
	i := d.DupAnswer
	if errs[i] != nil {
		i = 1 - i
	}
	return ans[i], errs[i]
}

// roundTrip sends one copy of the request upstream and reads the answer.
// It runs on the proxy's context, not the client's: a client that hangs
// up does not stop a request the upstream has begun to receive.
func (p *Proxy) roundTrip(r *http.Request, body []byte, seq uint64, up *url.URL) (answer, error) {
	u := *up
	u.Path = strings.TrimSuffix(up.Path, "/") + r.URL.Path
	u.RawPath = ""
	if r.URL.RawPath != "" {
		u.RawPath = strings.TrimSuffix(up.EscapedPath(), "/") + r.URL.RawPath
	}
	u.RawQuery = r.URL.RawQuery
	req, err := http.NewRequestWithContext(p.ctx, r.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		return answer{}, fmt.Errorf("build request: %w", err)
	}
	req.Header = r.Header.Clone()
	removeHopHeaders(req.Header)
	p.stats.forwarded.Add(1)
	resp, err := p.transport.RoundTrip(req)
	if err != nil {
		return answer{}, fmt.Errorf("forward request: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return answer{}, fmt.Errorf("read answer: %w", err)
	}
	if len(b) > maxBody {
		return answer{}, fmt.Errorf("read answer: %w", errTooLarge)
	}
	p.answered(seq)
	h := resp.Header.Clone()
	removeHopHeaders(h)
	return answer{status: resp.StatusCode, header: h, body: b}, nil
}

// writeAnswer writes the whole answer at the link's download rate.
func (p *Proxy) writeAnswer(w http.ResponseWriter, r *http.Request, a answer) string {
	h := w.Header()
	for k, v := range a.header {
		h[k] = v
	}
	withBody := bodyAllowed(r.Method, a.status)
	if withBody {
		h.Set("Content-Length", strconv.Itoa(len(a.body)))
	}
	w.WriteHeader(a.status)
	rc := http.NewResponseController(w)
	if err := rc.Flush(); err != nil {
		p.stats.clientGone.Add(1)
		return fmt.Sprintf("client gone before the answer (%d): %v", a.status, err)
	}
	if withBody {
		n, err := p.writeBody(r.Context(), w, rc.Flush, a.body)
		if err != nil {
			p.stats.clientGone.Add(1)
			return fmt.Sprintf("client gone after %d of %d body bytes (%d): %v", n, len(a.body), a.status, err)
		}
	}
	p.stats.answered.Add(1)
	return fmt.Sprintf("answered %d", a.status)
}

// writeCut takes over the client's connection, writes the prefix of the
// answer that d.DropResponse or d.Truncate calls for, and closes it.
func (p *Proxy) writeCut(w http.ResponseWriter, r *http.Request, a answer, d Decision) string {
	var head bytes.Buffer
	fmt.Fprintf(&head, "HTTP/1.1 %03d %s\r\n", a.status, http.StatusText(a.status))
	h := a.header.Clone()
	body := a.body
	if bodyAllowed(r.Method, a.status) {
		h.Set("Content-Length", strconv.Itoa(len(body)))
	} else {
		body = nil
	}
	_ = h.Write(&head)
	head.WriteString("\r\n")
	total := head.Len() + len(body)

	var k int // bytes of the answer to write
	switch {
	case d.DropResponse && d.Silent:
		k = 0
	case d.DropResponse:
		k = 1 + int(d.CutAt*float64(total-1)) // [1, total-1]
	case len(body) > 0: // Truncate
		k = head.Len() + int(d.CutAt*float64(len(body))) // whole head, [0, len-1] of the body
	default: // Truncate with no body to cut: cut the head instead
		k = 1 + int(d.CutAt*float64(head.Len()-1))
	}

	conn, ok := p.hijack(w)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	defer p.release(conn)
	hk := min(k, head.Len())
	if _, err := conn.Write(head.Bytes()[:hk]); err != nil {
		return fmt.Sprintf("connection closed; client gone after %d of %d bytes: %v", hk, total, err)
	}
	n := 0
	if k > hk {
		var err error
		n, err = p.writeBody(p.ctx, conn, func() error { return nil }, body[:k-hk])
		if err != nil {
			return fmt.Sprintf("connection closed; client gone after %d of %d bytes: %v", hk+n, total, err)
		}
	}
	return fmt.Sprintf("connection closed after %d of %d bytes (head %d, body %d of %d, status %d)",
		hk+n, total, head.Len(), n, len(body), a.status)
}

// abort closes the client's connection without a word.
func (p *Proxy) abort(w http.ResponseWriter) {
	conn, ok := p.hijack(w)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	p.release(conn)
}

// hijack takes the client's connection from the server; the proxy tracks
// it so that cuts and Close reach it.
func (p *Proxy) hijack(w http.ResponseWriter) (net.Conn, bool) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, false
	}
	p.track(conn)
	return conn, true
}

// release closes a hijacked connection.
func (p *Proxy) release(conn net.Conn) {
	p.untrack(conn)
	_ = conn.Close()
}

func (p *Proxy) connState(c net.Conn, s http.ConnState) {
	// Called from Serve's goroutine for StateNew, so Close, which waits
	// for Serve to return before it waits for connsWG, never races an Add.
	switch s {
	case http.StateNew:
		p.connsWG.Add(1)
		p.track(c)
	case http.StateHijacked, http.StateClosed:
		p.untrack(c)
		p.connsWG.Done()
	}
}

func (p *Proxy) track(c net.Conn) {
	p.mu.Lock()
	closed := p.closed
	if !closed {
		p.conns[c] = struct{}{}
	}
	p.mu.Unlock()
	if closed {
		_ = c.Close()
	}
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// takeConns empties the connection set; p.mu is held.
func (p *Proxy) takeConns() []net.Conn {
	conns := make([]net.Conn, 0, len(p.conns))
	for c := range p.conns {
		conns = append(conns, c)
	}
	clear(p.conns)
	return conns
}

// cut closes every open client connection.
func (p *Proxy) cut(why string) int {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return 0
	}
	conns := p.takeConns()
	seq := p.seq
	p.mu.Unlock()
	p.stats.cuts.Add(1)
	p.stats.cutConns.Add(int64(len(conns)))
	for _, c := range conns {
		_ = c.Close()
	}
	p.printf("chaos: seed %#x: %s: link cut after request #%d, %d connections closed", p.seed, why, seq, len(conns))
	return len(conns)
}

// cutter cuts the link every CutEvery, jittered from the seed's stream 0
// (requests use streams 1, 2, …).
func (p *Proxy) cutter() {
	rng := rand.New(rand.NewPCG(p.seed, mix(0)))
	for {
		every := p.Faults().CutEvery
		var tick <-chan time.Time
		var t *time.Timer
		if every > 0 {
			t = time.NewTimer(every/2 + time.Duration(rng.Int64N(int64(every))))
			tick = t.C
		}
		select {
		case <-tick:
			p.cut("CutEvery")
		case <-p.changed:
		case <-p.ctx.Done():
		}
		if t != nil {
			t.Stop()
		}
		if p.ctx.Err() != nil {
			return
		}
	}
}

// printf logs through Config.Logf, never after Close has returned.
func (p *Proxy) printf(format string, args ...any) {
	p.logMu.RLock()
	defer p.logMu.RUnlock()
	if p.logf != nil && !p.logClosed {
		p.logf(format, args...)
	}
}

// logWriter carries the HTTP server's own complaints to Config.Logf.
type logWriter struct{ p *Proxy }

func (l logWriter) Write(b []byte) (int, error) {
	l.p.printf("%s", strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// parseUpstream accepts only http:// to a loopback IP literal with a port.
func parseUpstream(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("parse upstream: %w: %w", ErrNotLoopback, err)
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("upstream %q: scheme must be http: %w", raw, ErrNotLoopback)
	}
	host := u.Hostname()
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return nil, fmt.Errorf("upstream %q: host %q is not an IP literal: %w", raw, host, ErrNotLoopback)
	}
	if !ip.Unmap().IsLoopback() {
		return nil, fmt.Errorf("upstream %q: %w", raw, ErrNotLoopback)
	}
	if u.Port() == "" {
		return nil, fmt.Errorf("upstream %q: no port: %w", raw, ErrNotLoopback)
	}
	return &url.URL{Scheme: "http", Host: u.Host, Path: u.Path, RawPath: u.RawPath}, nil
}

// dialLoopback is the transport's only way out: it checks the address
// again, so nothing but loopback is ever dialled.
func dialLoopback(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.Unmap().IsLoopback() {
		return nil, fmt.Errorf("dial %s: %w", addr, ErrNotLoopback)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// hopHeaders belong to one connection, not to the request.
var hopHeaders = []string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

func removeHopHeaders(h http.Header) {
	for _, f := range h.Values("Connection") {
		for _, name := range strings.Split(f, ",") {
			if name = strings.TrimSpace(name); name != "" {
				h.Del(name)
			}
		}
	}
	for _, name := range hopHeaders {
		h.Del(name)
	}
}

// bodyAllowed reports whether an answer to method with status has a body.
func bodyAllowed(method string, status int) bool {
	if method == http.MethodHead {
		return false
	}
	return !(status >= 100 && status < 200) && status != http.StatusNoContent && status != http.StatusNotModified
}

func cloneFaults(f Faults) Faults {
	f.Paths = append([]string(nil), f.Paths...)
	return f
}
