package camera

// The simulators: a network camera answering HTTP on 127.0.0.1 with
// generated JPEG snapshots, and Drop, which saves a file into a watched
// folder the way a document camera's software does. They are test and
// demo aids, never the product: the camera is reached through real
// net/http, the folder through real files.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// Fault is what the simulated camera does wrong.
type Fault int

const (
	FaultNone         Fault = iota
	FaultUnauthorized       // 401 whatever the credentials
	FaultServerError        // 500
	FaultSlow               // answers only after the delay of SetDelay (10 s when unset)
	FaultHTML               // 200 with a login page, text/html
	FaultTruncated          // 200 image/jpeg, cut before its end marker
	FaultDisguised          // 200 image/jpeg whose body is a login page
)

// SimOptions tunes a Simulator.
type SimOptions struct {
	// User and Password are the camera's login; none is asked when both
	// are "".
	User, Password string
	// Auth is "digest" (when "") or "basic".
	Auth string
	// Algorithms are the Digest algorithms offered, one challenge each,
	// in order: SHA-256 and MD5 when nil (RFC 7616 §3.7).
	Algorithms []string
	// NoQop makes the challenge ask no qop (RFC 2069's Digest).
	NoQop bool
	// Realm is the realm of the challenges; "IP Camera" when "".
	Realm string
	// Width and Height are the snapshots' size; 640×480 when 0.
	Width, Height int
	// Path is the snapshot path; /ISAPI/Streaming/channels/101/picture
	// (Hikvision's) when "".
	Path string
	// Log receives what the simulator does; nothing when nil.
	Log *slog.Logger
}

// SimStats counts what the simulated camera answered.
type SimStats struct {
	Requests   int    // all requests
	Challenges int    // 401 answers
	Snapshots  int    // JPEG snapshots served
	Auth       string // how the last request logged in: "basic", a Digest algorithm, or ""
}

// Simulator is a network camera on 127.0.0.1.
type Simulator struct {
	opt SimOptions
	srv *http.Server
	ln  net.Listener

	mu     sync.Mutex
	fault  Fault
	delay  time.Duration
	nonces map[string]uint64 // issued nonce → highest nc used
	stale  map[string]bool
	stats  SimStats
}

// NewSimulator starts a camera on a free port of 127.0.0.1.
func NewSimulator(opt SimOptions) (*Simulator, error) {
	if opt.Auth == "" {
		opt.Auth = "digest"
	}
	if opt.Algorithms == nil {
		opt.Algorithms = []string{"SHA-256", "MD5"}
	}
	if opt.Realm == "" {
		opt.Realm = "IP Camera"
	}
	if opt.Width == 0 || opt.Height == 0 {
		opt.Width, opt.Height = 640, 480
	}
	if opt.Path == "" {
		opt.Path = "/ISAPI/Streaming/channels/101/picture"
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("camera simulator: %w", err)
	}
	s := &Simulator{opt: opt, ln: ln, nonces: map[string]uint64{}, stale: map[string]bool{}, delay: 10 * time.Second}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 5 * time.Second}
	go s.srv.Serve(ln)
	return s, nil
}

// URL is the snapshot URL.
func (s *Simulator) URL() string { return "http://" + s.ln.Addr().String() + s.opt.Path }

// Close stops the camera at once, breaking requests in flight.
func (s *Simulator) Close() error { return s.srv.Close() }

// SetFault makes every answer from now on go wrong as f says, until
// SetFault(FaultNone).
func (s *Simulator) SetFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
}

// SetDelay sets how long FaultSlow waits before answering.
func (s *Simulator) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// ExpireNonces makes every Digest nonce issued so far stale, as a camera
// does after a while: the next answer to one is a 401 with stale=true.
func (s *Simulator) ExpireNonces() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for n := range s.nonces {
		s.stale[n] = true
	}
}

// Stats counts what the camera answered so far.
func (s *Simulator) Stats() SimStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

func (s *Simulator) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.stats.Requests++
	fault, delay := s.fault, s.delay
	s.mu.Unlock()
	if fault == FaultSlow {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	if r.URL.Path != s.opt.Path {
		http.NotFound(w, r)
		return
	}
	if ok, stale := s.authorized(r); !ok || fault == FaultUnauthorized {
		s.challenge(w, stale)
		return
	}
	const page = "<html><head><title>Login</title></head><body>请登录</body></html>"
	switch fault {
	case FaultServerError:
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	case FaultHTML:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(page))
		return
	case FaultDisguised:
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write([]byte(page))
		return
	}
	s.mu.Lock()
	s.stats.Snapshots++
	n := s.stats.Snapshots
	s.mu.Unlock()
	data, err := Pattern(s.opt.Width, s.opt.Height, n)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if fault == FaultTruncated {
		data = data[:len(data)*2/3]
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Write(data)
}

// authorized checks a request's credentials; stale says they were right
// but for a nonce that expired.
func (s *Simulator) authorized(r *http.Request) (ok, stale bool) {
	if s.opt.User == "" && s.opt.Password == "" {
		return true, false
	}
	if s.opt.Auth == "basic" {
		u, p, ok := r.BasicAuth()
		ok = ok && eq(u, s.opt.User) && eq(p, s.opt.Password)
		if ok {
			s.mu.Lock()
			s.stats.Auth = "basic"
			s.mu.Unlock()
		}
		return ok, false
	}
	cs := parseChallenges([]string{r.Header.Get("Authorization")})
	if len(cs) != 1 || cs[0].scheme != "digest" {
		return false, false
	}
	p := cs[0].params
	d := &digestCreds{user: s.opt.User, password: s.opt.Password, realm: s.opt.Realm, nonce: p["nonce"],
		algorithm: p["algorithm"], qop: p["qop"], nc: p["nc"], cnonce: p["cnonce"], method: r.Method,
		uri: p["uri"], userhash: p["userhash"] == "true"}
	nc, err := strconv.ParseUint(p["nc"], 16, 32)
	if s.opt.NoQop {
		nc, err = 0, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	last, issued := s.nonces[d.nonce]
	switch {
	case !issued, digestAlg(d.algorithm) < 0, p["uri"] != r.URL.RequestURI(),
		err != nil, !s.opt.NoQop && (d.qop != "auth" || nc <= last),
		!eq(p["username"], d.username()), !eq(p["response"], d.response()):
		return false, false
	case s.stale[d.nonce]:
		return false, true
	}
	s.nonces[d.nonce] = nc
	s.stats.Auth = d.algorithm
	return true, false
}

func eq(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// challenge answers 401 with a challenge for each algorithm.
func (s *Simulator) challenge(w http.ResponseWriter, stale bool) {
	s.mu.Lock()
	s.stats.Challenges++
	s.mu.Unlock()
	if s.opt.Auth == "basic" {
		w.Header().Add("WWW-Authenticate", fmt.Sprintf("Basic realm=%s", quote(s.opt.Realm)))
	} else {
		b := make([]byte, 16)
		rand.Read(b)
		nonce := hex.EncodeToString(b)
		s.mu.Lock()
		s.nonces[nonce] = 0
		s.mu.Unlock()
		for _, alg := range s.opt.Algorithms {
			c := fmt.Sprintf(`Digest realm=%s, nonce=%s, algorithm=%s, opaque="cafe"`, quote(s.opt.Realm), quote(nonce), alg)
			if !s.opt.NoQop {
				c += `, qop="auth"`
			}
			if stale {
				c += ", stale=true"
			}
			w.Header().Add("WWW-Authenticate", c)
		}
	}
	http.Error(w, "401 Unauthorized", http.StatusUnauthorized)
}

// Pattern draws a test picture, colour bars with the number n in black
// on white below them, and encodes it as a JPEG.
func Pattern(width, height, n int) ([]byte, error) {
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	bars := []color.RGBA{{235, 235, 235, 255}, {235, 235, 16, 255}, {16, 235, 235, 255}, {16, 235, 16, 255},
		{235, 16, 235, 255}, {235, 16, 16, 255}, {16, 16, 235, 255}, {16, 16, 16, 255}}
	for x := range width {
		c := bars[x*len(bars)/width]
		copy(img.Pix[4*x:], []byte{c.R, c.G, c.B, c.A})
	}
	for y := 1; y < height; y++ {
		row := img.Pix[y*img.Stride : (y+1)*img.Stride]
		if y < height*2/3 {
			copy(row, img.Pix[:img.Stride])
		} else {
			for i := range row {
				row[i] = 0xFF
			}
		}
	}
	// The number in a 3×5 pixel font, scaled to fit the white third.
	digits := strconv.Itoa(n)
	scale := max(1, min(height/3/7, width/(4*len(digits)+1)))
	for i, d := range digits {
		glyph := font3x5[d-'0']
		for row := range 5 {
			for col := range 3 {
				if glyph[row]>>(2-col)&1 == 0 {
					continue
				}
				x0, y0 := (1+4*i+col)*scale, height*2/3+(1+row)*scale
				for y := y0; y < min(y0+scale, height); y++ {
					for x := x0; x < min(x0+scale, width); x++ {
						img.SetRGBA(x, y, color.RGBA{0, 0, 0, 255})
					}
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// font3x5 has the digits, a row a byte, the left pixel the high bit.
var font3x5 = [10][5]byte{
	{7, 5, 5, 5, 7}, {2, 6, 2, 2, 7}, {7, 1, 7, 4, 7}, {7, 1, 7, 1, 7}, {5, 5, 7, 1, 1},
	{7, 4, 7, 1, 7}, {7, 4, 7, 5, 7}, {7, 1, 1, 1, 1}, {7, 5, 7, 5, 7}, {7, 5, 7, 1, 7},
}

// DropOptions says how Drop saves a file.
type DropOptions struct {
	// Pieces is how many writes the content goes in; 4 when 0.
	Pieces int
	// Pause is the wait between writes.
	Pause time.Duration
	// Between is called after each write but the last, with the bytes
	// written so far: a test can look at the folder while the file is
	// half written.
	Between func(written int)
	// ViaTemp writes to name+".tmp" and renames it at the end, as some
	// software does.
	ViaTemp bool
}

// Drop saves data into dir as name the way a document camera's software
// does: create the file, write it in pieces, close it.
func Drop(ctx context.Context, dir, name string, data []byte, opt DropOptions) error {
	if opt.Pieces <= 0 {
		opt.Pieces = 4
	}
	dst := filepath.Join(dir, name)
	path := dst
	if opt.ViaTemp {
		path += ".tmp"
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("drop %s: %w", name, err)
	}
	step := max(1, (len(data)+opt.Pieces-1)/opt.Pieces)
	for written := 0; written < len(data); {
		k := min(step, len(data)-written)
		if _, err := f.Write(data[written : written+k]); err != nil {
			f.Close()
			return fmt.Errorf("drop %s: %w", name, err)
		}
		written += k
		if written == len(data) {
			break
		}
		if opt.Between != nil {
			opt.Between(written)
		}
		if opt.Pause > 0 {
			select {
			case <-time.After(opt.Pause):
			case <-ctx.Done():
				f.Close()
				return fmt.Errorf("drop %s: %w", name, ctx.Err())
			}
		}
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("drop %s: %w", name, err)
	}
	if opt.ViaTemp {
		return os.Rename(path, dst)
	}
	return nil
}
