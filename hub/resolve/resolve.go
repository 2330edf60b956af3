// Package resolve turns a parcel's destination address, as a receiver or a
// shop wrote it, into the village station that serves it (DESIGN §2 step 2).
//
// Addresses name the province, city and county or not; the town in full,
// short (先锋 for 先锋镇) or not at all; the village as 村, 屯, 大队 or bare,
// often misspelt; and carry group numbers, landmarks, names and phone
// numbers. Resolve finds the names of the county in the address and decides
// by fixed rules. A wrong station is worse than none: when in doubt the
// result is unresolved and the parcel goes to a dispatcher.
//
// The rules, in order:
//
//   - A place outside the county (北林区, 兰西县, 永安镇) leaves the address
//     unresolved.
//   - Names of villages with 村, 屯 or 大队 outweigh bare ones; a bare name
//     right after a family name is a person (刘胜利), one before 路, 街 or
//     小区 is a street of the county seat.
//   - The town decides between villages of the same name. Without a town, a
//     name in several towns is ambiguous. A town and a village of another
//     town conflict, unless the village's name is a known misspelling of a
//     village of that town (惠七镇福兴村 is 复兴村).
//   - 望奎 is the county, and the town 望奎镇 only once the county has been
//     named (望奎县望奎南岗村).
//   - Misspellings come from a table of confusable characters applied to
//     the county's names, then from a one-character edit of a name written
//     with 村, 屯 or 大队, accepted only when one village name is that near.
package resolve

import (
	"slices"
	"strings"

	"cunyou/hub/gazetteer"
)

// Reasons of a Result. They are stable: logs, metrics and the dispatchers'
// queue use them.
const (
	ReasonVillage   = "village"   // a village matched; Station is its station
	ReasonAmbiguous = "ambiguous" // the village name is in several towns and no town is named
	ReasonUnknown   = "unknown"   // no village of the county matched
	ReasonConflict  = "conflict"  // the places named cannot all be true
)

// Result is the answer for one address.
type Result struct {
	Station string // station id, or "" when unresolved
	Village string // village code, when one matched
	Town    string // town code: the village's, or the one town the address names
	Reason  string // one of the Reason constants
	Detail  string // what matched, in short English, for logs and dispatchers
}

// Resolved reports whether the result names a station.
func (r Result) Resolved() bool { return r.Station != "" }

// Resolver resolves addresses against one county. It is safe for
// concurrent use; all indexes are built by New.
type Resolver struct {
	keys       map[string]*key
	first      map[rune]bool // runes that start a key
	maxLen     int           // longest key, in runes
	towns      []town
	villages   []village
	byName     map[string][]int16 // village name → villages, for edit distance
	names      []nameRunes        // distinct village names, for edit distance
	countyName string
}

type town struct {
	code, name string
}

type village struct {
	code, name, station string
	town                int16
}

type nameRunes struct {
	name string
	rs   []rune
}

type keyKind uint8

const (
	kindVillage      keyKind = iota + 1
	kindTown                 // a town of the county
	kindCounty               // the county itself
	kindCountyOrTown         // the county's short name, also a town's short name
	kindHigher               // the province and the city of the county
	kindElsewhere            // a place outside the county
	kindStop                 // a phrase holding a village's name that is no village
)

// key is what one string of the dictionary means.
type key struct {
	kind keyKind
	town int16 // kindTown, kindCountyOrTown
	// kindVillage: the villages this string names, and those it is a
	// misspelling of.
	exact, fuzzy []int16
	bare         bool // a village's name without 村, 屯 or 大队
}

// New builds the resolver's indexes for the county. The county should be one
// that gazetteer.Load or Validate accepted.
func New(c *gazetteer.County) *Resolver {
	r := &Resolver{
		keys:       map[string]*key{},
		first:      map[rune]bool{},
		byName:     map[string][]int16{},
		countyName: c.Name,
	}
	stationOf := map[string]string{}
	for _, s := range c.Stations {
		stationOf[s.Village] = s.ID
	}
	countyShort := trimAny(c.Name, "县", "市", "区", "旗")

	// Places first: they win over any misspelling of a village.
	for _, k := range []string{c.Province, trimAny(c.Province, "省"), c.City, trimAny(c.City, "市", "地区")} {
		r.put(k, &key{kind: kindHigher})
	}
	r.put(c.Name, &key{kind: kindCounty})
	r.put(countyShort, &key{kind: kindCounty})
	r.put(countyShort+"县城", &key{kind: kindCounty})
	for _, k := range elsewhere {
		r.put(k, &key{kind: kindElsewhere})
	}
	for _, k := range stopPhrases {
		r.put(k, &key{kind: kindStop})
	}
	for ti, t := range c.Towns {
		r.towns = append(r.towns, town{code: t.Code, name: t.Name})
		for _, k := range townForms(t) {
			if k == countyShort {
				r.keys[k] = &key{kind: kindCountyOrTown, town: int16(ti)}
				continue
			}
			r.put(k, &key{kind: kindTown, town: int16(ti)})
		}
	}

	// Villages by their names and aliases.
	for ti, t := range c.Towns {
		for _, v := range t.Villages {
			vi := int16(len(r.villages))
			r.villages = append(r.villages, village{code: v.Code, name: v.Name, station: stationOf[v.Code], town: int16(ti)})
			if _, ok := r.byName[v.Name]; !ok {
				r.names = append(r.names, nameRunes{v.Name, []rune(v.Name)})
			}
			r.byName[v.Name] = append(r.byName[v.Name], vi)
			for _, f := range villageForms(v) {
				r.village(f.text, vi, f.bare, false)
			}
		}
	}

	// Misspellings: the county, towns, then villages; never over a real
	// name. A misspelt 望奎 is still the county first.
	for _, k := range []string{c.Name, countyShort} {
		for _, m := range misspellings(k) {
			r.put(m, &key{kind: kindCounty})
		}
	}
	for ti, t := range c.Towns {
		for _, k := range townForms(t) {
			for _, m := range misspellings(k) {
				if k == countyShort {
					if old, ok := r.keys[m]; ok && old.kind == kindCounty {
						r.keys[m] = &key{kind: kindCountyOrTown, town: int16(ti)}
					}
					continue
				}
				r.put(m, &key{kind: kindTown, town: int16(ti)})
			}
		}
	}
	for vi, v := range r.villages {
		core := strings.TrimSuffix(v.name, "村")
		for _, m := range misspellings(core) {
			for _, f := range suffixed(m) {
				r.village(f.text, int16(vi), f.bare, true)
			}
		}
	}

	for k := range r.keys {
		rs := []rune(k)
		r.first[rs[0]] = true
		r.maxLen = max(r.maxLen, len(rs))
	}
	return r
}

// put adds a key unless the string already means something.
func (r *Resolver) put(s string, k *key) {
	if len([]rune(s)) < 2 {
		return
	}
	if _, ok := r.keys[s]; !ok {
		r.keys[s] = k
	}
}

// village records that s names village vi (or, misspelt, may mean it).
func (r *Resolver) village(s string, vi int16, bare, misspelt bool) {
	if len([]rune(s)) < 2 {
		return
	}
	k, ok := r.keys[s]
	if !ok {
		k = &key{kind: kindVillage, bare: bare}
		r.keys[s] = k
	}
	if k.kind != kindVillage {
		return // a place or a phrase
	}
	switch {
	case slices.Contains(k.exact, vi):
	case !misspelt:
		k.exact = append(k.exact, vi)
		k.fuzzy = slices.DeleteFunc(k.fuzzy, func(x int16) bool { return x == vi })
	case !slices.Contains(k.fuzzy, vi):
		k.fuzzy = append(k.fuzzy, vi)
	}
}

type form struct {
	text string
	bare bool
}

// villageForms are the ways a village is written: 南岗村, 南岗, 南岗屯,
// 南岗大队 and the aliases of the file.
func villageForms(v gazetteer.Village) []form {
	core := strings.TrimSuffix(v.Name, "村")
	fs := suffixed(core)
	fs = append(fs, form{v.Name, core == v.Name})
	for _, a := range v.Aliases {
		fs = append(fs, form{a, a == core})
	}
	return fs
}

// suffixed are a village core bare and with 村, 屯 and 大队.
func suffixed(core string) []form {
	return []form{{core, true}, {core + "村", false}, {core + "屯", false}, {core + "大队", false}}
}

// townForms are the ways a town is written: 惠七满族镇, 惠七, 惠七镇, 惠七乡.
func townForms(t gazetteer.Town) []string {
	fs := []string{t.Name}
	if t.Short != "" {
		fs = append(fs, t.Short, t.Short+"镇", t.Short+"乡", t.Short+"满族镇", t.Short+"满族乡")
	}
	if n := strings.Replace(t.Name, "满族", "", 1); n != t.Name {
		fs = append(fs, n)
	}
	return fs
}

// misspellings are s with one character replaced by a confusable one.
func misspellings(s string) []string {
	rs := []rune(s)
	var out []string
	for i, c := range rs {
		for _, m := range confusions[c] {
			v := slices.Clone(rs)
			v[i] = m
			out = append(out, string(v))
		}
	}
	return out
}

func trimAny(s string, suffixes ...string) string {
	for _, x := range suffixes {
		if t := strings.TrimSuffix(s, x); t != s && t != "" {
			return t
		}
	}
	return s
}
