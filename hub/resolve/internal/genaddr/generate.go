package main

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"cunyou/hub/gazetteer"
)

// gen builds addresses for one county with one random source.
type gen struct {
	c      *gazetteer.County
	r      *rand.Rand
	county string // 望奎 (the county without 县)
	// towns per village name: a name in several towns needs its town.
	namedIn map[string]int
	// taken holds every name, alias and bare name of a village, so that a
	// misspelling never produces another village.
	taken map[string]bool
	// stationOf maps a village code to its station id.
	stationOf map[string]string
}

func generate(c *gazetteer.County, seed uint64, perVillage int) ([]row, error) {
	g := &gen{
		c:         c,
		r:         rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		county:    strings.TrimSuffix(c.Name, "县"),
		namedIn:   map[string]int{},
		taken:     map[string]bool{},
		stationOf: map[string]string{},
	}
	for _, t := range c.Towns {
		for _, v := range t.Villages {
			g.namedIn[v.Name]++
			g.taken[v.Name] = true
			g.taken[core(v.Name)] = true
			for _, a := range v.Aliases {
				g.taken[a] = true
			}
			if s, ok := c.StationOf(v.Code); ok {
				g.stationOf[v.Code] = s.ID
			}
		}
	}

	var rows []row
	seen := map[string]string{}
	add := func(r row) error {
		if strings.ContainsAny(r.address, "\t\n\r") {
			return fmt.Errorf("address %q holds a tab or newline", r.address)
		}
		if prev, ok := seen[r.address]; ok {
			if prev != r.station {
				return fmt.Errorf("address %q labelled both %q and %q", r.address, prev, r.station)
			}
			return nil // a repeat adds nothing
		}
		seen[r.address] = r.station
		rows = append(rows, r)
		return nil
	}
	for _, r := range handRows {
		if r.station != "" {
			if _, ok := c.Station(r.station); !ok {
				return nil, fmt.Errorf("hand row %q: unknown station %q", r.address, r.station)
			}
		}
		if err := add(r); err != nil {
			return nil, err
		}
	}
	for ti := range c.Towns {
		t := &c.Towns[ti]
		for vi := range t.Villages {
			for range perVillage {
				if err := add(g.village(t, &t.Villages[vi])); err != nil {
					return nil, err
				}
			}
		}
	}
	for range 50 {
		if err := add(g.conflict()); err != nil {
			return nil, err
		}
	}
	for range 25 {
		if err := add(g.ambiguous()); err != nil {
			return nil, err
		}
	}
	for range 40 {
		if err := add(g.unknown()); err != nil {
			return nil, err
		}
	}
	return rows, nil
}

// core is a village name without 村: 南岗 for 南岗村.
func core(name string) string { return strings.TrimSuffix(name, "村") }

func (g *gen) pick(s []string) string { return s[g.r.IntN(len(s))] }

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

// prefix is the province, city and county, each present or not, full or
// short. countyNamed reports whether the county was named.
func (g *gen) prefix() (parts []string, countyNamed bool) {
	if g.chance(0.3) {
		parts = append(parts, g.pick([]string{g.c.Province, strings.TrimSuffix(g.c.Province, "省")}))
	}
	if g.chance(0.35) {
		parts = append(parts, g.pick([]string{g.c.City, strings.TrimSuffix(g.c.City, "市")}))
	}
	if g.chance(0.55) {
		parts = append(parts, g.pick([]string{g.c.Name, g.c.Name, g.county}))
		countyNamed = true
	}
	return parts, countyNamed
}

// kind is the last character of a town's name: 镇 or 乡.
func kind(t *gazetteer.Town) string {
	r := []rune(t.Name)
	return string(r[len(r)-1])
}

// town writes the town in one of the ways people do, or leaves it out.
// named reports whether a careful reader takes the result as the town.
func (g *gen) town(t *gazetteer.Town, countyNamed bool) (text string, named bool) {
	p := g.r.Float64()
	switch {
	case p < 0.30:
		return "", false
	case p < 0.60:
		return t.Name, true
	case p < 0.85:
		// A bare 望奎 before any county names the county, not the town.
		return t.Short, t.Short != g.county || countyNamed
	case p < 0.93:
		return t.Short + kind(t), true
	default:
		if m, ok := g.misspell(t.Short, false); ok {
			return m + kind(t), true
		}
		return t.Name, true
	}
}

// misspell replaces one character of s by a homophone. With village set the
// result must not be any village's name: that would not be a misspelling
// anyone could recover.
func (g *gen) misspell(s string, village bool) (string, bool) {
	rs := []rune(s)
	for _, i := range g.r.Perm(len(rs)) {
		subs := homophones[rs[i]]
		if len(subs) == 0 {
			continue
		}
		m := append([]rune(nil), rs...)
		m[i] = subs[g.r.IntN(len(subs))]
		out := string(m)
		if village && (g.taken[out] || g.taken[out+"村"]) {
			continue
		}
		return out, true
	}
	return "", false
}

// villageText writes the village as 村, 屯, 大队, bare, with 村委会, or
// misspelt.
func (g *gen) villageText(v *gazetteer.Village) string {
	c := core(v.Name)
	p := g.r.Float64()
	switch {
	case p < 0.30:
		return v.Name
	case p < 0.45:
		return c
	case p < 0.60:
		return c + "屯"
	case p < 0.72:
		return c + "大队"
	case p < 0.78:
		return v.Name + "委会"
	case p < 0.86 && len(v.Aliases) > 0:
		return g.pick(v.Aliases)
	default:
		if m, ok := g.misspell(c, true); ok {
			return m + g.pick([]string{"村", "村", "屯", ""})
		}
		return v.Name
	}
}

var (
	groups = []string{"三组", "5组", "二队", "十一组", "3社", "第四组", "七队", "4组12号", "1组",
		"六组", "2队", "十组", "8组", "一社", "九组"}
	landmarks = []string{"小卖部旁", "村委会对面", "王家小卖部", "学校东侧", "卫生所后面", "老李家",
		"供销社对过", "粮库旁边", "村部西边", "东头第三家", "大桥边", "水泥路边上", "菜店隔壁",
		"加油站对面", "幼儿园后院", "屯东头", "超市", "农资店", "磨米厂", "养鸡场", "村口",
		"红砖房", "路北", "道南第二家"}
	people = []string{"王淑芬", "李桂兰", "张建军", "刘胜利", "赵国庆", "孙秀英", "周玉珍", "张建国",
		"李红梅", "王德福", "陈平安", "马向阳", "于海洋", "高翠兰"}
	seps = []string{"", "", " ", " ", "  ", ",", "，", "-", "/", "、"}
)

// phone writes a mobile or landline number the ways people type them.
func (g *gen) phone() string {
	n := fmt.Sprintf("1%d%d%08d", []int{3, 5, 8}[g.r.IntN(3)], g.r.IntN(10), g.r.IntN(100000000))
	switch g.r.IntN(8) {
	case 0:
		return n[:3] + "-" + n[3:7] + "-" + n[7:]
	case 1:
		return n[:3] + " " + n[3:7] + " " + n[7:]
	case 2:
		return "电话" + n
	case 3:
		return "手机:" + n
	case 4:
		return fmt.Sprintf("0455-%07d", 6000000+g.r.IntN(1000000))
	case 5:
		return "(" + n + ")"
	default:
		return n
	}
}

// noise appends groups, landmarks, a person and a phone number.
func (g *gen) noise(parts []string) []string {
	if g.chance(0.5) {
		parts = append(parts, g.pick(groups))
	}
	if g.chance(0.35) {
		parts = append(parts, g.pick(landmarks))
	}
	if g.chance(0.15) {
		p := g.pick(people)
		if g.chance(0.4) {
			p += "收"
		}
		parts = append(parts, p)
	}
	if g.chance(0.3) {
		ph := g.phone()
		if g.chance(0.25) {
			parts = append([]string{ph}, parts...)
		} else {
			parts = append(parts, ph)
		}
	}
	return parts
}

// finish joins the parts and sometimes writes digits full width or the
// whole address in traditional characters.
func (g *gen) finish(parts []string) string {
	sep := g.pick(seps)
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			if g.chance(0.2) {
				b.WriteString(g.pick(seps))
			} else {
				b.WriteString(sep)
			}
		}
		b.WriteString(p)
	}
	s := b.String()
	if g.chance(0.15) {
		s = strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r - '0' + '０'
			}
			return r
		}, s)
	}
	if g.chance(0.07) {
		s = strings.Map(func(r rune) rune {
			if t, ok := traditional[r]; ok {
				return t
			}
			return r
		}, s)
	}
	if s == "" {
		s = "自提"
	}
	return s
}

// village builds one address of v in town t.
func (g *gen) village(t *gazetteer.Town, v *gazetteer.Village) row {
	parts, countyNamed := g.prefix()
	town, townNamed := g.town(t, countyNamed)
	if town != "" {
		parts = append(parts, town)
	}
	parts = append(parts, g.villageText(v))
	parts = g.noise(parts)
	station := g.stationOf[v.Code]
	if !townNamed && g.namedIn[v.Name] > 1 {
		station = "" // ambiguous: the town would decide, and it is missing
	}
	return row{g.finish(parts), station}
}

// ambiguous builds an address of a village whose name is in several towns,
// without the town.
func (g *gen) ambiguous() row {
	for {
		t := &g.c.Towns[g.r.IntN(len(g.c.Towns))]
		v := &t.Villages[g.r.IntN(len(t.Villages))]
		if g.namedIn[v.Name] < 2 {
			continue
		}
		parts, _ := g.prefix()
		parts = append(parts, g.villageText(v))
		return row{g.finish(g.noise(parts)), ""}
	}
}

// conflict builds an address naming a town and a village of another town,
// where the town has no village of that name nor one a misspelling of it.
func (g *gen) conflict() row {
	for {
		vt := &g.c.Towns[g.r.IntN(len(g.c.Towns))]
		v := &vt.Villages[g.r.IntN(len(vt.Villages))]
		t := &g.c.Towns[g.r.IntN(len(g.c.Towns))]
		if t.Code == vt.Code || g.reconcilable(t, core(v.Name)) {
			continue
		}
		parts, countyNamed := g.prefix()
		town := g.pick([]string{t.Name, t.Short, t.Short + kind(t)})
		if town == g.county && !countyNamed {
			town = t.Name
		}
		parts = append(parts, town, g.pick([]string{v.Name, core(v.Name), core(v.Name) + "屯", core(v.Name) + "大队"}))
		return row{g.finish(g.noise(parts)), ""}
	}
}

// reconcilable reports whether town t has a village named c, or one c could
// be a misspelling of.
func (g *gen) reconcilable(t *gazetteer.Town, c string) bool {
	for _, w := range t.Villages {
		wc := []rune(core(w.Name))
		cc := []rune(c)
		if string(wc) == c {
			return true
		}
		if len(wc) != len(cc) {
			continue
		}
		diff := 0
		for i := range wc {
			if wc[i] != cc[i] {
				diff++
				if !isHomophone(wc[i], cc[i]) {
					diff = 99
				}
			}
		}
		if diff == 1 {
			return true
		}
	}
	return false
}

func isHomophone(a, b rune) bool {
	for _, r := range homophones[a] {
		if r == b {
			return true
		}
	}
	for _, r := range homophones[b] {
		if r == a {
			return true
		}
	}
	return false
}

var (
	// seatStreets are streets and estates of the county seat; many bear a
	// village's name, none is a village.
	seatStreets = []string{"胜利路", "东风街", "幸福小区", "光明小区", "红旗大街", "团结路", "五一路",
		"建国路", "和平街", "八一路", "平安小区", "朝阳小区", "向阳街", "新华路", "前进街", "太平街",
		"兴隆小区", "龙泉路"}
	// elsewhere are places outside the county.
	elsewhere = []string{"绥化市北林区", "兰西县", "青冈县", "庆安县", "明水县", "绥棱县", "海伦市",
		"安达市", "肇东市", "哈尔滨市南岗区", "哈尔滨市道里区", "大庆市萨尔图区", "齐齐哈尔市",
		"北林区", "兰西县平安镇", "海伦市向阳乡", "北林区永安镇", "庆安县丰收乡"}
	nowhere = []string{"王家屯", "李家窝堡", "三道沟", "后屯", "二道河子", "老五家", "张家店",
		"刘家油坊", "西大岗子", "新发屯"}
)

// unknown builds an address that names no village of the county: a town
// alone, a street of the county seat, a place outside the county, a hamlet
// the gazetteer does not know.
func (g *gen) unknown() row {
	parts, countyNamed := g.prefix()
	switch g.r.IntN(4) {
	case 0:
		t := &g.c.Towns[g.r.IntN(len(g.c.Towns))]
		town, _ := g.town(t, countyNamed)
		if town == "" {
			town = t.Name
		}
		parts = append(parts, town, g.pick([]string{"镇政府", "中心校", "卫生院", "派出所", "信用社", "粮库", "邮局"}))
	case 1:
		if !countyNamed {
			parts = append(parts, g.c.Name)
		}
		parts = append(parts, g.pick(seatStreets), fmt.Sprintf("%d号", 1+g.r.IntN(200)))
	case 2:
		parts = append(parts[:0], g.pick(elsewhere), g.pick([]string{"胜利村", "东风村", "前进屯", "红旗街", "幸福小区", "永安村", "长青屯"}))
	default:
		parts = append(parts, g.pick(nowhere))
	}
	return row{g.finish(g.noise(parts)), ""}
}
