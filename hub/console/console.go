// Package console serves the dispatchers' web console under /console/:
// one page of plain JavaScript (ui/console) that signs in with
// POST /api/v1/login and reads and acts through the open API (/api/v1),
// its session token kept in the tab's sessionStorage. This package serves
// only the page's files, with a strict Content-Security-Policy; every
// datum and every permission check is the open API's.
//
// The handler serves paths starting with /console/: mount it as it is
// (mux.Handle(console.Prefix, console.Handler(nil))), not under StripPrefix.
package console

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strings"

	"cunyou/ui"
)

// Prefix is where the console lives.
const Prefix = "/console/"

// csp allows the page's own script, style and API and nothing else: no
// inline script or style, no other origin, no framing.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

var assetNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*\.(?:js|css|html|svg|png)$`)

// Handler serves the console's files from files, or from the embedded
// ui.Console("") when files is nil (a folder is read on every request,
// to edit the page without rebuilding).
func Handler(files fs.FS) http.Handler {
	if files == nil {
		f, err := ui.Console("")
		if err != nil {
			panic(fmt.Sprintf("console: embedded pages: %v", err)) // a broken build
		}
		files = f
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w, r)
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name, ok := strings.CutPrefix(r.URL.Path, Prefix)
		switch {
		case !ok:
			http.Redirect(w, r, Prefix, http.StatusMovedPermanently)
			return
		case name == "":
			name = "index.html"
		case name == "index.html":
			http.Redirect(w, r, Prefix, http.StatusMovedPermanently)
			return
		case !assetNameRe.MatchString(name):
			noPage(w)
			return
		}
		body, err := fs.ReadFile(files, name)
		if err != nil {
			noPage(w)
			return
		}
		sum := sha256.Sum256(body)
		etag := `"` + hex.EncodeToString(sum[:8]) + `"`
		h := w.Header()
		h.Set("ETag", etag)
		// Revalidated every time: an updated hub serves its new page at once.
		h.Set("Cache-Control", "no-cache")
		ctype := mime.TypeByExtension(path.Ext(name))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		h.Set("Content-Type", ctype)
		if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, etag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h.Set("Content-Length", fmt.Sprint(len(body)))
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			w.Write(body)
		}
	})
}

func securityHeaders(w http.ResponseWriter, r *http.Request) {
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
}

func noPage(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNotFound)
	fmt.Fprintln(w, "没有这个页面 / no such page")
}
