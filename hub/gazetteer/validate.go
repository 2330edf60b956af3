package gazetteer

import (
	"fmt"
	"math"
	"strings"
)

// Validate checks the county and builds the lookup indexes. It reports every
// problem it finds in one error wrapping ErrInvalid. A county changed after
// Validate must be validated again before its lookups are trusted.
func (c *County) Validate() error {
	var p problems
	if c.Name == "" {
		p.add("county: missing name")
	}
	if c.Province == "" {
		p.add("county: missing province")
	}
	if c.City == "" {
		p.add("county: missing city")
	}
	if c.Centre.ID == "" {
		p.add("centre: missing id")
	}
	if c.Centre.Name == "" {
		p.add("centre %q: missing name", c.Centre.ID)
	}
	p.coords("centre "+quote(c.Centre.ID), c.Centre.Lat, c.Centre.Lon)

	idx := &index{
		village:   map[string]*Village{},
		townOf:    map[string]*Town{},
		town:      map[string]*Town{},
		station:   map[string]*Station{},
		stationOf: map[string]*Station{},
	}
	if len(c.Towns) == 0 {
		p.add("county: no towns")
	}
	townNames := map[string]string{}
	for i := range c.Towns {
		t := &c.Towns[i]
		what := fmt.Sprintf("town %d %q", i, t.Code)
		switch {
		case t.Code == "":
			p.add("%s: missing code", what)
		case idx.town[t.Code] != nil:
			p.add("%s: duplicate code", what)
		default:
			idx.town[t.Code] = t
		}
		if t.Name == "" {
			p.add("%s: missing name", what)
		}
		for _, n := range []string{t.Name, t.Short} {
			if n == "" {
				continue
			}
			if other, ok := townNames[n]; ok && other != t.Code {
				p.add("%s: name %q already used by town %q", what, n, other)
			}
			townNames[n] = t.Code
		}
		p.coords(what, t.Lat, t.Lon)
		names := map[string]bool{}
		for j := range t.Villages {
			v := &t.Villages[j]
			what := fmt.Sprintf("town %q village %d %q", t.Code, j, v.Code)
			switch {
			case v.Code == "":
				p.add("%s: missing code", what)
			case idx.village[v.Code] != nil:
				p.add("%s: duplicate code", what)
			case v.Code == c.Centre.ID:
				p.add("%s: code is the centre's id", what)
			default:
				idx.village[v.Code] = v
				idx.townOf[v.Code] = t
			}
			if v.Name == "" {
				p.add("%s: missing name", what)
			} else if names[v.Name] {
				p.add("%s: name %q twice in the town", what, v.Name)
			}
			names[v.Name] = true
			for k, a := range v.Aliases {
				if strings.TrimSpace(a) == "" {
					p.add("%s: alias %d is empty", what, k)
				}
			}
			p.coords(what, v.Lat, v.Lon)
		}
	}

	for i := range c.Stations {
		s := &c.Stations[i]
		what := fmt.Sprintf("station %d %q", i, s.ID)
		switch {
		case s.ID == "":
			p.add("%s: missing id", what)
		case idx.station[s.ID] != nil:
			p.add("%s: duplicate id", what)
		default:
			idx.station[s.ID] = s
		}
		if s.Name == "" {
			p.add("%s: missing name", what)
		}
		switch {
		case s.Village == "":
			p.add("%s: missing village", what)
		case idx.village[s.Village] == nil:
			p.add("%s: unknown village %q", what, s.Village)
		case idx.stationOf[s.Village] != nil:
			p.add("%s: village %q already has station %q", what, s.Village, idx.stationOf[s.Village].ID)
		default:
			idx.stationOf[s.Village] = s
		}
		if s.Hours != "" && !validHours(s.Hours) {
			p.add("%s: hours %q are not HH:MM-HH:MM", what, s.Hours)
		}
	}

	lines := map[string]bool{}
	for i, l := range c.Lines {
		what := fmt.Sprintf("line %d %q", i, l.Code)
		switch {
		case l.Code == "":
			p.add("%s: missing code", what)
		case lines[l.Code]:
			p.add("%s: duplicate code", what)
		}
		lines[l.Code] = true
		if l.Name == "" {
			p.add("%s: missing name", what)
		}
		if len(l.Stops) < 2 {
			p.add("%s: fewer than two stops", what)
		}
		for k, s := range l.Stops {
			if s != c.Centre.ID && idx.village[s] == nil {
				p.add("%s: stop %d %q is neither a village nor the centre", what, k, s)
			}
		}
		for _, d := range l.Departures {
			if !validClock(d) {
				p.add("%s: departure %q is not HH:MM", what, d)
			}
		}
	}

	if err := p.err(); err != nil {
		c.idx = nil
		return err
	}
	c.idx = idx
	return nil
}

// problems collects validation messages.
type problems []string

func (p *problems) add(format string, args ...any) {
	*p = append(*p, fmt.Sprintf(format, args...))
}

// coords refuses coordinates outside the globe, NaN and the (0, 0) of a
// field left out.
func (p *problems) coords(what string, lat, lon float64) {
	switch {
	case math.IsNaN(lat) || math.IsNaN(lon) || lat < -90 || lat > 90 || lon < -180 || lon > 180:
		p.add("%s: coordinates (%v, %v) out of range", what, lat, lon)
	case lat == 0 && lon == 0:
		p.add("%s: missing coordinates", what)
	}
}

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	const most = 20
	msg := p
	if len(p) > most {
		msg = append(p[:most:most], fmt.Sprintf("and %d more", len(p)-most))
	}
	return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(msg, "; "))
}

func quote(s string) string { return fmt.Sprintf("%q", s) }

// validClock reports whether s is a 24-hour "HH:MM".
func validClock(s string) bool {
	if len(s) != 5 || s[2] != ':' {
		return false
	}
	for _, i := range []int{0, 1, 3, 4} {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	return h < 24 && m < 60
}

// validHours reports whether s is "HH:MM-HH:MM".
func validHours(s string) bool {
	a, b, ok := strings.Cut(s, "-")
	return ok && validClock(a) && validClock(b)
}
