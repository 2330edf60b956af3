package console_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"cunyou/hub/console"
)

func TestServesThePage(t *testing.T) {
	h := console.Handler(nil)
	tests := []struct {
		name, method, target string
		status               int
		ctype, body          string
	}{
		{"index", "GET", "/console/", 200, "text/html; charset=utf-8", `<script src="app.js"`},
		{"script", "GET", "/console/app.js", 200, "text/javascript; charset=utf-8", "sessionStorage"},
		{"messages", "GET", "/console/i18n.js", 200, "text/javascript; charset=utf-8", `"zh-CN"`},
		{"style", "GET", "/console/app.css", 200, "text/css; charset=utf-8", "#map"},
		{"head", "HEAD", "/console/app.js", 200, "text/javascript; charset=utf-8", ""},
		{"index by name", "GET", "/console/index.html", 301, "", ""},
		{"no prefix slash", "GET", "/console", 301, "", ""},
		{"missing", "GET", "/console/nope.js", 404, "text/plain; charset=utf-8", "没有这个页面"},
		{"traversal", "GET", "/console/../go.mod", 404, "", ""},
		{"post", "POST", "/console/", 405, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.target, nil))
			if got, want := rec.Code, tc.status; got != want {
				t.Fatalf("status %d, want %d", got, want)
			}
			if tc.ctype != "" {
				if got := rec.Header().Get("Content-Type"); got != tc.ctype {
					t.Errorf("content type %q, want %q", got, tc.ctype)
				}
			}
			if !strings.Contains(rec.Body.String(), tc.body) {
				t.Errorf("body lacks %q", tc.body)
			}
			if got := rec.Header().Get("Content-Security-Policy"); !strings.Contains(got, "default-src 'self'") ||
				!strings.Contains(got, "script-src 'self'") || strings.Contains(got, "unsafe-inline") {
				t.Errorf("CSP %q", got)
			}
			if got := rec.Header().Get("X-Frame-Options"); got != "DENY" {
				t.Errorf("X-Frame-Options %q", got)
			}
		})
	}
}

func TestRevalidatesByETag(t *testing.T) {
	h := console.Handler(nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/console/app.js", nil))
	etag := rec.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	req := httptest.NewRequest("GET", "/console/app.js", nil)
	req.Header.Set("If-None-Match", etag)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if got, want := rec.Code, http.StatusNotModified; got != want {
		t.Errorf("status %d, want %d", got, want)
	}
}
