// Package idnum parses 18-digit mainland resident ID numbers
// (居民身份证号码, GB 11643, check char per ISO 7064 MOD 11-2).
//
// An ID prints masked (first 6 + asterisks + last 4) through fmt and
// log/slog, so a full number does not leak into logs by accident.
package idnum

import (
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Len is the length of an ID number.
const Len = 18

// weights of digits 1–17: 2^(17-i) mod 11.
var weights = [Len - 1]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const checkChars = "10X98765432"

var minBirth = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)

// ID is a valid 18-digit ID number. The zero value is empty.
type ID struct {
	number string
}

// Parse validates an ID number. It trims surrounding spaces and accepts a
// lowercase check char x. The birth date must be a real date between
// 1900-01-01 and today.
func Parse(raw string) (ID, error) {
	s := strings.TrimSpace(raw)
	if len(s) != Len {
		return ID{}, ErrLength
	}
	if s[Len-1] == 'x' {
		s = s[:Len-1] + "X"
	}
	for i := 0; i < Len-1; i++ {
		if !isDigit(s[i]) {
			return ID{}, ErrCharset
		}
	}
	if c := s[Len-1]; !isDigit(c) && c != 'X' {
		return ID{}, ErrCharset
	}
	if checkChar(s) != s[Len-1] {
		return ID{}, ErrChecksum
	}
	if _, ok := birthDate(s, time.Now()); !ok {
		return ID{}, ErrBirthDate
	}
	return ID{number: s}, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// checkChar computes the check char from the first 17 digits of s.
func checkChar(s string) byte {
	sum := 0
	for i, w := range weights {
		sum += int(s[i]-'0') * w
	}
	return checkChars[sum%11]
}

// birthDate parses YYYYMMDD at s[6:14] and reports whether it is a real
// date between 1900-01-01 and the calendar day of now.
func birthDate(s string, now time.Time) (time.Time, bool) {
	y := atoi(s[6:10])
	m := time.Month(atoi(s[10:12]))
	d := atoi(s[12:14])
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if t.Year() != y || t.Month() != m || t.Day() != d {
		return time.Time{}, false
	}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	if t.Before(minBirth) || t.After(today) {
		return time.Time{}, false
	}
	return t, true
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// String returns the masked number, e.g. "110105********002X".
func (id ID) String() string { return Mask(id.number) }

// Format prints the masked number for every verb, including %#v and %d.
func (id ID) Format(f fmt.State, verb rune) {
	fmt.Fprintf(f, fmt.FormatString(f, verb), id.String())
}

// LogValue returns the masked number for log/slog.
func (id ID) LogValue() slog.Value { return slog.StringValue(id.String()) }

// Full returns the full number. Use it only to hash or to hand to a
// system that needs it; never log or display it.
func (id ID) Full() string { return id.number }

// IsZero reports whether id is the zero value.
func (id ID) IsZero() bool { return id.number == "" }

// Last4 returns the last four chars, e.g. "002X".
func (id ID) Last4() string {
	if id.IsZero() {
		return ""
	}
	return id.number[Len-4:]
}

// Region returns the six-digit administrative division code.
func (id ID) Region() string {
	if id.IsZero() {
		return ""
	}
	return id.number[:6]
}

// BirthDate returns the birth date at midnight UTC.
func (id ID) BirthDate() time.Time {
	if id.IsZero() {
		return time.Time{}
	}
	return time.Date(atoi(id.number[6:10]), time.Month(atoi(id.number[10:12])), atoi(id.number[12:14]), 0, 0, 0, 0, time.UTC)
}

// Male reports whether the 17th digit (sequence) is odd.
func (id ID) Male() bool {
	if id.IsZero() {
		return false
	}
	return (id.number[16]-'0')%2 == 1
}

// Mask hides the middle of s for display: a value longer than 10 chars
// becomes its first 6 and last 4 chars with asterisks between; a shorter
// value, which that would not hide, becomes all asterisks.
func Mask(s string) string {
	r := []rune(s)
	if len(r) <= 10 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:6]) + strings.Repeat("*", len(r)-10) + string(r[len(r)-4:])
}
