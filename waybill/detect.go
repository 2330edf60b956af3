package waybill

import (
	"cmp"
	"regexp"
	"slices"
)

// Candidate is a carrier hint for a waybill number.
type Candidate struct {
	Code       string `json:"code"`       // carrier code, e.g. "sf"
	Confidence int    `json:"confidence"` // 1–100; higher is more likely
}

// A rule is one known number format of a carrier. Patterns are matched
// against normalized numbers (uppercase, no spaces). Confidence reflects how
// specific the format is: lettered prefixes are near certain, numeric formats
// overlap between carriers (PROTOCOLS §6.1).
type rule struct {
	code string
	conf int
	re   *regexp.Regexp
}

var rules = []rule{
	// Lettered prefixes.
	{SF, 90, regexp.MustCompile(`^SF[0-9A-Z]\d{12}$`)},
	{YTO, 90, regexp.MustCompile(`^YT\d{13}$`)},
	{YTO, 70, regexp.MustCompile(`^YT\d{10,15}$`)},
	{JD, 90, regexp.MustCompile(`^JD[0-9A-Z]{2}\d{11}$`)},
	{JD, 70, regexp.MustCompile(`^JD[0-9A-Z]{2}\d{9,14}$`)},
	{JT, 80, regexp.MustCompile(`^JT\d{12,13}$`)}, // J&T and Best share JT…
	{Best, 50, regexp.MustCompile(`^JT\d{12,13}$`)},
	{Deppon, 90, regexp.MustCompile(`^DPK\d{12}$`)},
	{Deppon, 70, regexp.MustCompile(`^DPK\d{9,16}$`)},
	{EMS, 90, regexp.MustCompile(`^[A-Z]{2}\d{9}[A-Z]{2}$`)}, // UPU S10
	{EMS, 80, regexp.MustCompile(`^P[A-Z]\d{11}$`)},

	// Numeric, most specific first.
	{Cainiao, 70, regexp.MustCompile(`^621\d{12}$`)},
	{STO, 60, regexp.MustCompile(`^(77|88)\d{13}$`)},
	{STO, 55, regexp.MustCompile(`^(77|43)\d{12,15}$`)},
	{ZTO, 60, regexp.MustCompile(`^7[3-68]\d{12}$`)},
	{EMS, 55, regexp.MustCompile(`^(10|11|12|50|51|52|95|97|98|99)\d{11}$`)},
	{EMS, 50, regexp.MustCompile(`^[189]\d{12}$`)},
	{Yunda, 50, regexp.MustCompile(`^[34]\d{14}$`)},
	{Yunda, 45, regexp.MustCompile(`^5\d{12}$`)},
	{YTO, 40, regexp.MustCompile(`^[6-9]\d{17}$`)},

	// Loose and legacy numeric formats.
	{ZTO, 20, regexp.MustCompile(`^\d{14}$`)},
	{Yunda, 20, regexp.MustCompile(`^(\d{13}|\d{15})$`)},
	{SF, 15, regexp.MustCompile(`^\d{12}$`)},
	{ZTO, 15, regexp.MustCompile(`^\d{12}$`)},
	{Deppon, 10, regexp.MustCompile(`^\d{8,10}$`)},
}

// Detect returns carrier hints for a waybill number, most confident first.
// The number is normalized first; an invalid or unrecognized number yields
// no candidates (nil). Each carrier appears at most once.
func Detect(number string) []Candidate {
	n, err := Normalize(number)
	if err != nil {
		return nil
	}
	var out []Candidate
next:
	for _, r := range rules {
		if !r.re.MatchString(n) {
			continue
		}
		for i := range out {
			if out[i].Code == r.code {
				out[i].Confidence = max(out[i].Confidence, r.conf)
				continue next
			}
		}
		out = append(out, Candidate{Code: r.code, Confidence: r.conf})
	}
	slices.SortStableFunc(out, func(a, b Candidate) int {
		return cmp.Compare(b.Confidence, a.Confidence)
	})
	return out
}

// Valid reports whether number matches one of the carrier's known formats.
// Any normalizable number is valid for a carrier without known formats.
func Valid(carrier, number string) bool {
	n, err := Normalize(number)
	if err != nil {
		return false
	}
	c, ok := Lookup(carrier)
	if !ok {
		return true
	}
	for _, r := range rules {
		if r.code == c.Code && r.re.MatchString(n) {
			return true
		}
	}
	return false
}
