// Package public serves the villagers' query pages and their JSON API
// under /q/: no login, a phone's browser on a slow link.
//
// Pages (one small page, hash routes, ui/public):
//
//	/q/            track a waybill (#/track/WAYBILL), 我的包裹 (#/mine),
//	               找驿站 (#/stations), 寄件价格 (#/price), 今日班车 (#/trips)
//
// JSON (answers in Chinese, or English with Accept-Language: en or ?lang=en;
// errors are {"error": {"code", "message", "retry_after_s"?}}):
//
//	GET  /q/api/track?waybill=W             the parcel's status, station and timeline; receiver masked, never the pickup code
//	POST /q/api/mine {"phone", "tail"}      a phone's parcels with their pickup codes, given the last 4 characters of
//	                                        one of its waybills; rate-limited per client and per phone
//	GET  /q/api/stations                    towns → villages → stations, open or closed now
//	GET  /q/api/stations/{id}               one station
//	GET  /q/api/price/options               carriers with a tariff, provinces
//	GET  /q/api/price?carrier=&province=&weight_g=  the price of a parcel to send
//	GET  /q/api/trips?village=CODE          today's trips stopping at the village's station
//
// The handler serves paths starting with /q/: mount it as it is
// (mux.Handle("/q/", srv.Handler())), not under StripPrefix.
package public

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/netip"
	"path"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"cunyou/hub/store"
	"cunyou/ui"
)

// Prefix is where the pages live; Handler serves paths under it.
const Prefix = "/q/"

// Options configure the server. Store is required.
type Options struct {
	Store *store.Store
	// Now is the wall clock; time.Now when nil.
	Now func() time.Time
	// Location is the county's time zone: "today", opening hours and
	// trips are counted in it. Asia/Shanghai (UTC+8) when nil.
	Location *time.Location
	// Log receives failures and My parcels queries (phones masked);
	// discarded when nil.
	Log *slog.Logger
	// Files are the page's assets; the embedded ui.Public("") when nil.
	// A folder (ui.Public(dir)) is read again on every request.
	Files fs.FS
	// Limits bound each client's queries; DefaultLimits where zero.
	Limits Limits
	// TrustedProxies are the addresses of reverse proxies in front of
	// the hub, whose X-Forwarded-For names the client. Empty: the
	// connection's address is the client.
	TrustedProxies []netip.Prefix
}

// Server serves the public pages and their API.
type Server struct {
	st      *store.Store
	now     func() time.Time
	loc     *time.Location
	log     *slog.Logger
	reg     registryCache
	limits  Limits
	trusted []netip.Prefix

	mineIP  *window
	trackIP *window
	phones  *phoneGuard

	files  fs.FS
	live   bool // files is a folder being edited: no cached assets
	assets sync.Map
}

// New returns a server on o.Store.
func New(o Options) *Server {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Location == nil {
		o.Location = time.FixedZone("CST", 8*3600)
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	live := o.Files != nil
	if o.Files == nil {
		f, err := ui.Public("")
		if err != nil {
			panic(fmt.Sprintf("public: embedded pages: %v", err)) // a broken build
		}
		o.Files = f
	}
	l := o.Limits.withDefaults()
	return &Server{
		st: o.Store, now: o.Now, loc: o.Location, log: o.Log, reg: registryCache{st: o.Store},
		limits: l, trusted: o.TrustedProxies,
		mineIP:  newWindow(l.MineTries, l.MineWindow, l.MaxKeys),
		trackIP: newWindow(l.TrackTries, l.TrackWindow, l.MaxKeys),
		phones:  newPhoneGuard(l),
		files:   o.Files, live: live,
	}
}

// Handler returns the routes under /q/.
func (s *Server) Handler() http.Handler {
	r := chi.NewRouter()
	r.Use(s.recoverer, securityHeaders, middleware.GetHead)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, Prefix+"api/") {
			s.fail(w, r, fail(CodeNotFound))
			return
		}
		noPage(w)
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, fail(CodeMethodNotAllowed))
	})
	r.Get(Prefix, s.index)
	r.Get(Prefix+"{file}", s.asset)
	r.Route(Prefix+"api", func(r chi.Router) {
		r.Get("/track", s.track)
		r.Post("/mine", s.mine)
		r.Get("/stations", s.stations)
		r.Get("/stations/{id}", s.station)
		r.Get("/price/options", s.priceOptions)
		r.Get("/price", s.price)
		r.Get("/trips", s.trips)
	})
	return r
}

// csp allows the page's own script, style and API and nothing else: no
// inline script or style, no other origin, no framing.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=()")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.fail(w, r, &apiError{code: CodeInternal, err: fmt.Errorf("panic: %v", v)})
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func noPage(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNotFound)
	fmt.Fprintln(w, "没有这个页面 / no such page")
}

func (s *Server) lang(r *http.Request) Lang {
	return pickLang(r.URL.Query().Get("lang"), r.Header.Get("Accept-Language"))
}

// Cache-Control of the answers.
const (
	cacheNone     = "no-store"                            // personal data: codes, receivers
	cacheShort    = "public, max-age=30"                  // trips
	cacheMinute   = "public, max-age=60"                  // stations (open now)
	cacheRegistry = "public, max-age=300"                 // prices, options
	cachePage     = "no-cache"                            // the page: revalidate (ETag)
	cacheAsset    = "public, max-age=31536000, immutable" // a versioned asset
)

// reply writes v as JSON.
func (s *Server) reply(w http.ResponseWriter, r *http.Request, status int, v any, cache string) {
	body, err := json.Marshal(v)
	if err != nil {
		s.fail(w, r, &apiError{code: CodeInternal, err: err})
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", cache)
	h.Add("Vary", "Accept-Language")
	writeBody(w, r, status, body)
}

// fail writes an error answer, logging faults of the hub.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	e := asAPIError(err)
	status, body := e.body(s.lang(r))
	if status >= 500 {
		s.log.Error("public: "+r.Method+" "+r.URL.Path, "code", e.code, "err", e.err)
	}
	e.header(w.Header())
	s.reply(w, r, status, body, cacheNone)
}

// gzipMin is the smallest body worth compressing.
const gzipMin = 1024

// writeBody writes body, gzipped when the client takes it and it helps.
func writeBody(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	h := w.Header()
	h.Add("Vary", "Accept-Encoding")
	if len(body) >= gzipMin && acceptsGzip(r) {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
		zw.Write(body)
		zw.Close()
		h.Set("Content-Encoding", "gzip")
		body = b.Bytes()
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// asset is one file of the page, with its version (a hash of its bytes)
// and its gzipped bytes.
type asset struct {
	body, gz []byte
	version  string
	ctype    string
}

var assetNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*\.(js|css|svg|png|ico|webmanifest)$`)

func (s *Server) loadAsset(name string) (*asset, error) {
	if !s.live {
		if a, ok := s.assets.Load(name); ok {
			return a.(*asset), nil
		}
	}
	b, err := fs.ReadFile(s.files, name)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	a := &asset{body: b, version: hex.EncodeToString(sum[:6]), ctype: mime.TypeByExtension(path.Ext(name))}
	switch path.Ext(name) {
	case ".js":
		a.ctype = "text/javascript; charset=utf-8"
	case ".css":
		a.ctype = "text/css; charset=utf-8"
	case ".html":
		a.ctype = "text/html; charset=utf-8"
	case ".webmanifest":
		a.ctype = "application/manifest+json"
	}
	if a.ctype == "" {
		a.ctype = "application/octet-stream"
	}
	if len(b) >= gzipMin && path.Ext(name) != ".png" {
		var z bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
		zw.Write(b)
		zw.Close()
		a.gz = z.Bytes()
	}
	if !s.live {
		s.assets.Store(name, a)
	}
	return a, nil
}

// refRe finds the page's local references to version them.
var refRe = regexp.MustCompile(`\b(src|href)="([a-z0-9][a-z0-9_.-]*\.(?:js|css|svg|png|ico|webmanifest))"`)

// index serves the page with every local asset reference versioned
// (app.js?v=HASH), so assets can be cached for a year and a new build
// is fetched at once.
func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	page, err := s.loadIndex()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.serveAsset(w, r, page, cachePage)
}

func (s *Server) loadIndex() (*asset, error) {
	if !s.live {
		if a, ok := s.assets.Load("/index"); ok {
			return a.(*asset), nil
		}
	}
	raw, err := fs.ReadFile(s.files, "index.html")
	if err != nil {
		return nil, fmt.Errorf("read index.html: %w", err)
	}
	var ferr error
	html := refRe.ReplaceAllFunc(raw, func(m []byte) []byte {
		sm := refRe.FindSubmatch(m)
		a, err := s.loadAsset(string(sm[2]))
		if err != nil {
			ferr = err
			return m
		}
		return fmt.Appendf(nil, `%s="%s?v=%s"`, sm[1], sm[2], a.version)
	})
	if ferr != nil {
		return nil, fmt.Errorf("index.html: %w", ferr)
	}
	sum := sha256.Sum256(html)
	a := &asset{body: html, version: hex.EncodeToString(sum[:6]), ctype: "text/html; charset=utf-8"}
	var z bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
	zw.Write(html)
	zw.Close()
	a.gz = z.Bytes()
	if !s.live {
		s.assets.Store("/index", a)
	}
	return a, nil
}

func (s *Server) asset(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "file")
	if name == "index.html" {
		http.Redirect(w, r, Prefix, http.StatusMovedPermanently)
		return
	}
	if !assetNameRe.MatchString(name) {
		noPage(w)
		return
	}
	a, err := s.loadAsset(name)
	if err != nil {
		noPage(w)
		return
	}
	cache := cachePage
	if v := r.URL.Query().Get("v"); v != "" && v == a.version {
		cache = cacheAsset
	}
	s.serveAsset(w, r, a, cache)
}

func (s *Server) serveAsset(w http.ResponseWriter, r *http.Request, a *asset, cache string) {
	h := w.Header()
	body, etag := a.body, `"`+a.version+`"`
	gz := a.gz != nil && acceptsGzip(r)
	if gz {
		body, etag = a.gz, `"`+a.version+`-gz"`
	}
	h.Set("ETag", etag)
	h.Set("Cache-Control", cache)
	h.Set("Content-Type", a.ctype)
	h.Add("Vary", "Accept-Encoding")
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if gz {
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// today is the county's date and its time now.
func (s *Server) today() time.Time { return s.now().In(s.loc) }

// registry returns the county's registries.
func (s *Server) registry(ctx context.Context) (*registry, error) { return s.reg.get(ctx) }
