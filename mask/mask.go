// Package mask shows personal data the way cunyou shows it to anyone but
// the people who need it in full: phones as 138****5678, names as 王*英.
package mask

import "strings"

// Phone hides the middle of a phone number (138****5678) and all of an
// extension (privacy numbers: 138****8000-****); a number too short to
// show both ends is hidden whole.
func Phone(p string) string {
	if p == "" {
		return ""
	}
	num, ext, hasExt := strings.Cut(p, "-")
	r := []rune(num)
	var out string
	if len(r) < 8 {
		out = strings.Repeat("*", len(r))
	} else {
		out = string(r[:3]) + strings.Repeat("*", len(r)-7) + string(r[len(r)-4:])
	}
	if hasExt {
		out += "-" + strings.Repeat("*", len([]rune(ext)))
	}
	return out
}

// Name hides a name but its first and last character (王*英, 欧**娜), the
// second of two (李*), a one-character name entirely.
func Name(n string) string {
	r := []rune(strings.TrimSpace(n))
	switch len(r) {
	case 0:
		return ""
	case 1:
		return "*"
	case 2:
		return string(r[0]) + "*"
	}
	return string(r[0]) + strings.Repeat("*", len(r)-2) + string(r[len(r)-1])
}
