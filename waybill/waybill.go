// Package waybill normalizes express waybill numbers (快递单号) and guesses
// the carrier from their format.
//
// Formats drift and numeric formats overlap between carriers, so Detect
// returns ranked hints, not answers.
package waybill

import "strings"

// Length limits of a normalized waybill number.
const (
	MinLen    = 8
	MaxLen    = 32
	MinDigits = 6
)

// Normalize cleans a scanned or typed waybill number: it trims whitespace
// (including scanner suffixes CR, LF and Tab), converts full-width ASCII to
// half-width and uppercases letters. The result contains only A-Z, 0-9 and
// '-', is MinLen to MaxLen characters long and has at least MinDigits
// digits: every carrier's numbers are mostly digits, so a word scanned or
// typed by mistake is refused.
func Normalize(raw string) (string, error) {
	s := strings.TrimFunc(raw, isTrim)
	if s == "" {
		return "", ErrEmpty
	}
	var b strings.Builder
	b.Grow(min(len(s), MaxLen+1))
	digits := 0
	for _, r := range s {
		r = halfWidth(r)
		switch {
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		case r >= '0' && r <= '9':
			digits++
		case r >= 'A' && r <= 'Z', r == '-':
		default:
			return "", ErrCharset
		}
		b.WriteRune(r)
		if b.Len() > MaxLen {
			return "", ErrLength
		}
	}
	if b.Len() < MinLen {
		return "", ErrLength
	}
	if digits < MinDigits {
		return "", ErrCharset
	}
	return b.String(), nil
}

// isTrim reports whether r is stripped from both ends of a raw number:
// ASCII and full-width whitespace, BOM and stray NULs some scanners send.
func isTrim(r rune) bool {
	switch r {
	case ' ', '\t', '\r', '\n', '\v', '\f', 0, '\u3000', '\u00a0', '\ufeff':
		return true
	}
	return false
}

// halfWidth maps full-width ASCII (U+FF01–U+FF5E) to its ASCII form.
func halfWidth(r rune) rune {
	if r >= '\uff01' && r <= '\uff5e' {
		return r - 0xfee0
	}
	return r
}
