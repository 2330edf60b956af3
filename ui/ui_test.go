package ui_test

import (
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"cunyou/ui"
)

// pages are the embedded pages, each with its message table.
var pages = []struct {
	name string
	fs   func(string) (fs.FS, error)
	// minKeys is the fewest message keys the page must be found using
	// (fewer means the patterns are broken).
	minKeys int
}{
	{"kiosk", ui.Kiosk, 50},
	{"public", ui.Public, 40},
	{"console", ui.Console, 80},
}

func pageFile(t *testing.T, page, name string) string {
	t.Helper()
	for _, p := range pages {
		if p.name != page {
			continue
		}
		fsys, err := p.fs("")
		if err != nil {
			t.Fatal(err)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	t.Fatalf("no page %q", page)
	return ""
}

func kioskFile(t *testing.T, name string) string {
	t.Helper()
	return pageFile(t, "kiosk", name)
}

var (
	entryRe       = regexp.MustCompile(`(?m)^\s*"([^"]+)":\s*"((?:[^"\\]|\\.)*)",?\s*$`)
	placeholderRe = regexp.MustCompile(`\{[a-z_]+\}`)
)

// i18nTables reads the zh-CN and en tables of a page's i18n.js: key →
// message. Duplicate keys (which JavaScript would silently merge) are
// errors.
func i18nTables(t *testing.T, page string) (zh, en map[string]string) {
	t.Helper()
	src := pageFile(t, page, "i18n.js")
	zhAt := strings.Index(src, `"zh-CN": {`)
	enAt := strings.Index(src, `"en": {`)
	if zhAt < 0 || enAt < 0 || enAt < zhAt {
		t.Fatalf("i18n.js: want a \"zh-CN\" table followed by an \"en\" table")
	}
	parse := func(name, block string) map[string]string {
		m := map[string]string{}
		for _, sm := range entryRe.FindAllStringSubmatch(block, -1) {
			if _, dup := m[sm[1]]; dup {
				t.Errorf("i18n.js %s: key %q twice", name, sm[1])
			}
			m[sm[1]] = sm[2]
		}
		if len(m) == 0 {
			t.Fatalf("i18n.js %s: no messages found", name)
		}
		return m
	}
	return parse("zh-CN", src[zhAt:enAt]), parse("en", src[enAt:])
}

func TestI18nTablesHaveTheSameKeys(t *testing.T) {
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) { testSameKeys(t, p.name) })
	}
}

func testSameKeys(t *testing.T, page string) {
	zh, en := i18nTables(t, page)
	for _, k := range slices.Sorted(maps.Keys(zh)) {
		e, ok := en[k]
		if !ok {
			t.Errorf("key %q is in zh-CN but not in en", k)
			continue
		}
		if got, want := placeholders(e), placeholders(zh[k]); !slices.Equal(got, want) {
			t.Errorf("key %q: en placeholders %v, zh-CN has %v", k, got, want)
		}
		if strings.TrimSpace(zh[k]) == "" || strings.TrimSpace(e) == "" {
			t.Errorf("key %q: empty message", k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(en)) {
		if _, ok := zh[k]; !ok {
			t.Errorf("key %q is in en but not in zh-CN", k)
		}
	}
}

func placeholders(s string) []string {
	p := placeholderRe.FindAllString(s, -1)
	slices.Sort(p)
	return slices.Compact(p)
}

var (
	refRe      = regexp.MustCompile(`(?i)\b(?:src|href)\s*=\s*"([^"]*)"`)
	i18nAttrRe = regexp.MustCompile(`data-i18n(?:-placeholder|-aria)?="([^"]*)"`)
	// keyLitRe finds message keys in app.js: every "area.name" string.
	keyLitRe = regexp.MustCompile(`"([a-z]+\.[a-z0-9_]+)"`)
)

func TestUIIndexReferencesExist(t *testing.T) {
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			fsys, err := p.fs("")
			if err != nil {
				t.Fatal(err)
			}
			testReferences(t, fsys, p.name)
		})
	}
}

func testReferences(t *testing.T, fsys fs.FS, page string) {
	html := pageFile(t, page, "index.html")
	refs := refRe.FindAllStringSubmatch(html, -1)
	var local []string
	for _, m := range refs {
		ref := m[1]
		switch {
		case strings.HasPrefix(ref, "data:"), strings.HasPrefix(ref, "#"): // inline, a place in the page
			continue
		case strings.Contains(ref, "://"), strings.HasPrefix(ref, "//"):
			t.Errorf("index.html loads %q from outside: the page must need nothing but its own server", ref)
			continue
		}
		name := strings.TrimPrefix(strings.SplitN(ref, "?", 2)[0], "/")
		if _, err := fs.Stat(fsys, name); err != nil {
			t.Errorf("index.html references %q, not in the embedded files: %v", ref, err)
		}
		local = append(local, name)
	}
	for _, want := range []string{"i18n.js", "app.js", "app.css"} {
		if !slices.Contains(local, want) {
			t.Errorf("index.html does not load %s", want)
		}
	}
}

// TestUIStringsComeFromTheTable checks that every message key the page
// uses exists, and that no Chinese text hides in index.html or app.js
// outside the message table.
func TestUIStringsComeFromTheTable(t *testing.T) {
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) { testStrings(t, p.name, p.minKeys) })
	}
}

func testStrings(t *testing.T, page string, minKeys int) {
	zh, _ := i18nTables(t, page)
	html := pageFile(t, page, "index.html")
	js := pageFile(t, page, "app.js")

	var used []string
	for _, m := range i18nAttrRe.FindAllStringSubmatch(html+js, -1) {
		used = append(used, m[1])
	}
	for _, m := range keyLitRe.FindAllStringSubmatch(js, -1) {
		if !strings.HasPrefix(m[1], "cunyou.") { // storage keys
			used = append(used, m[1])
		}
	}
	if len(used) < minKeys {
		t.Fatalf("found only %d message keys in use; is the pattern broken?", len(used))
	}
	for _, k := range used {
		if _, ok := zh[k]; !ok {
			t.Errorf("key %q is used but not in the message table", k)
		}
	}

	text := regexp.MustCompile(`(?s)<!--.*?-->`).ReplaceAllString(html, "")
	text = regexp.MustCompile(`(?s)<[^>]*>`).ReplaceAllString(text, "")
	if s := strings.TrimSpace(text); s != "" {
		t.Errorf("index.html has literal text outside data-i18n: %q", s)
	}
	for i, line := range strings.Split(js, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "//") {
			continue
		}
		if strings.IndexFunc(line, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0 {
			t.Errorf("app.js:%d: Chinese text outside the message table: %s", i+1, strings.TrimSpace(line))
		}
	}
}

// The public page and the console run under a Content-Security-Policy without
// 'unsafe-inline': no inline script, style or event handler, and it
// builds the page from text, never from HTML strings.
func TestPublicPageKeepsToItsCSP(t *testing.T) {
	for _, page := range []string{"public", "console"} {
		t.Run(page, func(t *testing.T) { testCSP(t, page) })
	}
}

func testCSP(t *testing.T, page string) {
	html := pageFile(t, page, "index.html")
	for _, tag := range regexp.MustCompile(`(?i)<script\b[^>]*>`).FindAllString(html, -1) {
		if !strings.Contains(tag, " src=") {
			t.Errorf("index.html: %q: an inline script breaks the CSP (script-src 'self')", tag)
		}
	}
	for _, bad := range []*regexp.Regexp{
		regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>\s*[^<\s]`), // a script with a body
		regexp.MustCompile(`(?i)<style\b`),
		regexp.MustCompile(`(?i)\sstyle\s*=`),
		regexp.MustCompile(`(?i)\son[a-z]+\s*=`),
		regexp.MustCompile(`(?i)javascript:`),
	} {
		if m := bad.FindString(html); m != "" {
			t.Errorf("index.html: %q breaks the CSP (script-src 'self'; style-src 'self')", m)
		}
	}
	for _, name := range []string{"app.js", "i18n.js"} {
		js := pageFile(t, page, name)
		for _, bad := range []string{".innerHTML", ".outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"} {
			if strings.Contains(js, bad) {
				t.Errorf("%s uses %s: build elements from text", name, bad)
			}
		}
	}
}

// The public page runs in old phone browsers (WeChat's, Android 7 WebView):
// none of the newer syntax and methods they lack.
func TestPublicPageRunsOnOldPhones(t *testing.T) {
	newer := []string{"?.", "??", ".replaceAll(", ".replaceChildren(", ".flat(", ".flatMap(", "Object.fromEntries",
		"structuredClone", ".at(", "Array.prototype.at", ".findLast("}
	for _, name := range []string{"app.js", "i18n.js"} {
		for i, line := range strings.Split(pageFile(t, "public", name), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "//") {
				continue
			}
			for _, bad := range newer {
				if strings.Contains(line, bad) {
					t.Errorf("%s:%d uses %s, which old phone browsers lack: %s", name, i+1, bad, strings.TrimSpace(line))
				}
			}
		}
	}
}

// Every message of the public page's table is used (provinces are picked
// by code), and the page stays small for a slow link.
func TestPublicPageIsLean(t *testing.T) {
	zh, _ := i18nTables(t, "public")
	src := pageFile(t, "public", "index.html") + pageFile(t, "public", "app.js")
	for _, k := range slices.Sorted(maps.Keys(zh)) {
		if strings.HasPrefix(k, "province.") {
			continue
		}
		if !strings.Contains(src, `"`+k+`"`) {
			t.Errorf("message %q is not used", k)
		}
	}
	total := 0
	for _, name := range []string{"index.html", "app.css", "i18n.js", "app.js"} {
		total += len(pageFile(t, "public", name))
	}
	if total > 64<<10 {
		t.Errorf("the public page weighs %d bytes before compression; keep it under 64 KiB", total)
	}
}
