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

func kioskFile(t *testing.T, name string) string {
	t.Helper()
	fsys, err := ui.Kiosk("")
	if err != nil {
		t.Fatal(err)
	}
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var (
	entryRe       = regexp.MustCompile(`(?m)^\s*"([^"]+)":\s*"((?:[^"\\]|\\.)*)",?\s*$`)
	placeholderRe = regexp.MustCompile(`\{[a-z_]+\}`)
)

// i18nTables reads the zh-CN and en tables of i18n.js: key → message.
// Duplicate keys (which JavaScript would silently merge) are errors.
func i18nTables(t *testing.T) (zh, en map[string]string) {
	t.Helper()
	src := kioskFile(t, "i18n.js")
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
	zh, en := i18nTables(t)
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
	i18nAttrRe = regexp.MustCompile(`data-i18n(?:-placeholder)?="([^"]*)"`)
	// keyLitRe finds message keys in app.js: every "area.name" string.
	keyLitRe = regexp.MustCompile(`"([a-z]+\.[a-z0-9_]+)"`)
)

func TestUIIndexReferencesExist(t *testing.T) {
	fsys, err := ui.Kiosk("")
	if err != nil {
		t.Fatal(err)
	}
	html := kioskFile(t, "index.html")
	refs := refRe.FindAllStringSubmatch(html, -1)
	var local []string
	for _, m := range refs {
		ref := m[1]
		switch {
		case strings.HasPrefix(ref, "data:"):
			continue
		case strings.Contains(ref, "://"), strings.HasPrefix(ref, "//"):
			t.Errorf("index.html loads %q from outside: the kiosk must work with no network", ref)
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
	zh, _ := i18nTables(t)
	html := kioskFile(t, "index.html")
	js := kioskFile(t, "app.js")

	var used []string
	for _, m := range i18nAttrRe.FindAllStringSubmatch(html, -1) {
		used = append(used, m[1])
	}
	for _, m := range keyLitRe.FindAllStringSubmatch(js, -1) {
		if !strings.HasPrefix(m[1], "cunyou.") { // storage keys
			used = append(used, m[1])
		}
	}
	if len(used) < 50 {
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
