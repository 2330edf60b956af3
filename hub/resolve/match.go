package resolve

import (
	"fmt"
	"slices"
	"strings"
)

// mention is one name found in an address.
type mention struct {
	k          *key
	start, end int // runes
}

func (t *text) word(start, end int) string { return t.s[t.off[start]:t.off[end]] }

// scan finds the names of the dictionary in the text, leftmost longest, and
// marks the runes they cover as used.
func (r *Resolver) scan(t *text, ms []mention) []mention {
	n := len(t.rs)
	for i := 0; i < n; {
		if !r.first[t.rs[i]] {
			i++
			continue
		}
		l := min(r.maxLen, n-i)
		for ; l >= 2; l-- {
			if k, ok := r.keys[t.word(i, i+l)]; ok {
				ms = append(ms, mention{k, i, i + l})
				for j := i; j < i+l; j++ {
					t.used[j] = true
				}
				break
			}
		}
		if l < 2 {
			i++
			continue
		}
		i += l
	}
	return ms
}

// reading is what the names of an address say together.
type reading struct {
	countyNamed bool
	towns       []int16
	villages    []mention
	elsewhere   string // a place outside the county, as written
}

func (rd *reading) addTown(t int16) {
	if !slices.Contains(rd.towns, t) {
		rd.towns = append(rd.towns, t)
	}
}

// read interprets the mentions in order.
func (r *Resolver) read(t *text, ms []mention) reading {
	var rd reading
	for _, m := range ms {
		next := rune(0)
		if m.end < len(t.rs) && !t.gap[m.end] {
			next = t.rs[m.end]
		}
		switch m.k.kind {
		case kindCounty:
			rd.countyNamed = true
		case kindCountyOrTown:
			// Addresses go from the larger place to the smaller: 望奎 is the
			// county, and the town only once the county has been named.
			if rd.countyNamed {
				rd.addTown(m.k.town)
			} else {
				rd.countyNamed = true
			}
		case kindTown:
			if next != 0 && strings.ContainsRune("省市县区", next) && !notPlaces[string([]rune{next, runeAt(t, m.end+1)})] {
				rd.setElsewhere(t.word(m.start, m.end+1)) // 同江市 is not 通江镇
				continue
			}
			if w := t.word(m.start, m.end); !strings.HasSuffix(w, "镇") && !strings.HasSuffix(w, "乡") && next != 0 && streetAt(t, m.end) {
				continue // 先锋路, 莲花小区: a street named after the town
			}
			rd.addTown(m.k.town)
		case kindElsewhere:
			rd.setElsewhere(t.word(m.start, m.end))
		case kindVillage:
			if !m.k.bare {
				rd.villages = append(rd.villages, m)
				continue
			}
			if placeSuffixes[next] && !notPlaces[string([]rune{next, runeAt(t, m.end+1)})] {
				rd.setElsewhere(t.word(m.start, m.end+1)) // 永安镇, 南岗区, 西安市
				continue
			}
			if next != 0 && streetAt(t, m.end) {
				continue // 胜利路, 幸福小区: a street of the county seat
			}
			if m.start > 0 && !t.gap[m.start] && !t.used[m.start-1] && surnameSet[t.rs[m.start-1]] {
				continue // 刘胜利: a person
			}
			rd.villages = append(rd.villages, m)
		}
	}
	if rd.elsewhere == "" {
		rd.elsewhere = unknownPlace(t)
	}
	return rd
}

func (rd *reading) setElsewhere(s string) {
	if rd.elsewhere == "" {
		rd.elsewhere = s
	}
}

func runeAt(t *text, i int) rune {
	if i < len(t.rs) {
		return t.rs[i]
	}
	return 0
}

// streetAt reports whether a street word starts at rune i.
func streetAt(t *text, i int) bool {
	rest := t.s[t.off[i]:]
	for _, w := range streetWords {
		if strings.HasPrefix(rest, w) {
			return true
		}
	}
	return false
}

// unknownPlace finds a place name the dictionary does not know: two unused
// Han characters and a place suffix (青山镇, 河北省), which is not one of the
// words that only look like it (超市, 小区, 县城).
func unknownPlace(t *text) string {
	for j := 2; j < len(t.rs); j++ {
		if t.used[j] || !placeSuffixes[t.rs[j]] {
			continue
		}
		if t.gap[j] || t.gap[j-1] {
			continue
		}
		a, b := t.rs[j-2], t.rs[j-1]
		if t.used[j-1] || t.used[j-2] || !isHan(a) || !isHan(b) || groupRunes[a] || groupRunes[b] || isNumeral(a) || isNumeral(b) {
			continue
		}
		if notPlaces[string([]rune{b, t.rs[j]})] || notPlaces[string([]rune{t.rs[j], runeAt(t, j+1)})] {
			continue
		}
		return t.word(j-2, j+1)
	}
	return ""
}

func isHan(r rune) bool { return r >= 0x3400 && keep(r) }

func isNumeral(r rune) bool {
	return strings.ContainsRune("〇一二三四五六七八九十百两零", r)
}

// Resolve finds the station for an address.
func (r *Resolver) Resolve(address string) Result {
	t := normalize(address)
	var buf [16]mention
	ms := r.scan(t, buf[:0])
	rd := r.read(t, ms)

	res := Result{Reason: ReasonUnknown}
	if len(rd.towns) == 1 {
		res.Town = r.towns[rd.towns[0]].code
	}
	if rd.elsewhere != "" {
		if len(rd.villages) > 0 {
			res.Reason = ReasonConflict
		}
		res.Detail = fmt.Sprintf("names %s, outside %s", rd.elsewhere, r.countyName)
		return res
	}
	if len(rd.towns) > 1 {
		res.Reason = ReasonConflict
		res.Detail = "names several towns: " + r.townNames(rd.towns)
		return res
	}

	// The candidates: villages named with 村, 屯 or 大队 outweigh bare names;
	// a name's exact villages outweigh those it may be a misspelling of.
	var cands []int16
	how := ""
	strong := slices.ContainsFunc(rd.villages, func(m mention) bool { return !m.k.bare })
	var from mention
	for _, m := range rd.villages {
		if strong && m.k.bare {
			continue
		}
		vs := m.k.exact
		if len(vs) == 0 {
			vs = m.k.fuzzy
		}
		for _, v := range vs {
			if !slices.Contains(cands, v) {
				cands = append(cands, v)
			}
		}
		if from.k == nil {
			from = m
		}
	}
	if from.k != nil {
		how = fmt.Sprintf("from %q", t.word(from.start, from.end))
		if len(from.k.exact) == 0 {
			how += " (misspelt)"
		}
	}
	if len(rd.villages) == 0 {
		if name, near := r.nearName(t); name != "" {
			cands = r.byName[name]
			how = fmt.Sprintf("from %q (one character off %s)", near, name)
		}
	}
	if len(cands) == 0 {
		if res.Town != "" {
			res.Detail = "town " + r.towns[rd.towns[0]].name + " but no village of it"
		} else {
			res.Detail = "no village of " + r.countyName
		}
		return res
	}

	if len(rd.towns) == 1 {
		tw := rd.towns[0]
		in := inTown(r, cands, tw)
		if len(in) == 0 {
			// Reconcile: a name read as a misspelling of a village of the
			// town named (惠七镇福兴村 is 复兴村, not 通江镇's 福兴村).
			for _, m := range rd.villages {
				if strong && m.k.bare {
					continue
				}
				for _, v := range inTown(r, m.k.fuzzy, tw) {
					if len(in) == 0 {
						how = fmt.Sprintf("from %q (misspelt, read in the town named)", t.word(m.start, m.end))
					}
					if !slices.Contains(in, v) {
						in = append(in, v)
					}
				}
			}
		}
		switch len(in) {
		case 0:
			res.Reason = ReasonConflict
			res.Detail = fmt.Sprintf("names %s, but %s is in %s", r.towns[tw].name, r.villages[cands[0]].name, r.townsOf(cands))
			return res
		case 1:
			return r.found(in[0], how+", town named")
		default:
			res.Reason = ReasonConflict
			res.Detail = "names several villages of " + r.towns[tw].name + ": " + r.villageNames(in)
			return res
		}
	}
	if len(cands) == 1 {
		return r.found(cands[0], how+", no town named")
	}
	res.Reason = ReasonAmbiguous
	if r.sameName(cands) {
		res.Detail = fmt.Sprintf("%s is in %s; no town named", r.villages[cands[0]].name, r.townsOf(cands))
	} else {
		res.Detail = "names several villages: " + r.villageNames(cands) + "; no town named"
	}
	return res
}

func (r *Resolver) found(v int16, how string) Result {
	vg := r.villages[v]
	res := Result{
		Station: vg.station,
		Village: vg.code,
		Town:    r.towns[vg.town].code,
		Reason:  ReasonVillage,
		Detail:  fmt.Sprintf("%s (%s) of %s %s", vg.name, vg.code, r.towns[vg.town].name, how),
	}
	if vg.station == "" {
		res.Detail += "; the village has no station"
	}
	return res
}

func inTown(r *Resolver, vs []int16, tw int16) []int16 {
	var in []int16
	for _, v := range vs {
		if r.villages[v].town == tw && !slices.Contains(in, v) {
			in = append(in, v)
		}
	}
	return in
}

func (r *Resolver) sameName(vs []int16) bool {
	for _, v := range vs[1:] {
		if r.villages[v].name != r.villages[vs[0]].name {
			return false
		}
	}
	return true
}

func (r *Resolver) townsOf(vs []int16) string {
	var ts []int16
	for _, v := range vs {
		if t := r.villages[v].town; !slices.Contains(ts, t) {
			ts = append(ts, t)
		}
	}
	return r.townNames(ts)
}

func (r *Resolver) townNames(ts []int16) string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = r.towns[t].name
	}
	return strings.Join(names, ", ")
}

func (r *Resolver) villageNames(vs []int16) string {
	names := make([]string, len(vs))
	for i, v := range vs {
		names[i] = r.villages[v].name + " (" + r.towns[r.villages[v].town].name + ")"
	}
	return strings.Join(names, ", ")
}

// nearName looks for a village name written with 村, 屯 or 大队 but one
// character off (an edit distance of one), among the text no name covered.
// It answers only when exactly one village name is that near; near is the
// text as written.
func (r *Resolver) nearName(t *text) (name, near string) {
	n := len(t.rs)
	for j := 1; j < n; j++ {
		if t.used[j] {
			continue
		}
		switch {
		case t.rs[j] == '村' || t.rs[j] == '屯':
		case t.rs[j] == '大' && j+1 < n && t.rs[j+1] == '队':
		default:
			continue
		}
		for l := 2; l <= 3 && l <= j; l++ {
			ok := true
			for i := j - l; i < j; i++ {
				c := t.rs[i]
				if t.used[i] || !isHan(c) || groupRunes[c] || (i > j-l && t.gap[i]) {
					ok = false
					break
				}
			}
			if !ok || (j > 0 && t.gap[j]) {
				break
			}
			w := append(slices.Clone(t.rs[j-l:j]), '村')
			for _, nm := range r.names {
				if len(nm.rs) < 3 || !oneEdit(w, nm.rs) {
					continue
				}
				if name != "" && name != nm.name {
					return "", "" // more than one name is near
				}
				name, near = nm.name, t.word(j-l, j+1)
			}
		}
	}
	return name, near
}

// oneEdit reports whether a and b differ by exactly one substitution,
// insertion or deletion.
func oneEdit(a, b []rune) bool {
	if len(a) < len(b) {
		a, b = b, a
	}
	switch len(a) - len(b) {
	case 0:
		diff := 0
		for i := range a {
			if a[i] != b[i] {
				diff++
			}
		}
		return diff == 1
	case 1:
		i := 0
		for i < len(b) && a[i] == b[i] {
			i++
		}
		return slices.Equal(a[i+1:], b[i:])
	}
	return false
}
