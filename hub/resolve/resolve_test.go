package resolve_test

import (
	"strings"
	"testing"

	"cunyou/hub/gazetteer"
	"cunyou/hub/resolve"
)

type ruleCase struct {
	rule, address, station, reason string
}

// rules are the table tests of each rule, on the demo county.
var rules = []ruleCase{
	// The plain address, and the higher places present or not.
	{"full address", "黑龙江省绥化市望奎县惠七满族镇向阳村", "ST-V0905", "village"},
	{"province and city short", "黑龙江绥化望奎惠七向阳村", "ST-V0905", "village"},
	{"no province, city or county", "惠七满族镇向阳村", "ST-V0905", "village"},
	{"county only", "望奎县向阳村", "ST-V0905", "village"},

	// The town's forms.
	{"town short", "先锋民主村", "ST-V0701", "village"},
	{"town short with 镇", "惠七镇向阳村", "ST-V0905", "village"},
	{"town short with 乡", "灵山乡北岗村", "ST-V1099", "village"},
	{"township written as a town", "灵山镇北岗村", "ST-V1099", "village"},
	{"town without 满族", "厢白乡新兴村", "ST-V1501", "village"},
	{"town missing, name unique", "民主村", "ST-V0701", "village"},
	{"town misspelt", "先峰镇民主村", "ST-V0701", "village"},

	// The village's forms.
	{"village as 屯", "惠七向阳屯", "ST-V0905", "village"},
	{"village as 大队", "惠七向阳大队", "ST-V0905", "village"},
	{"village bare", "惠七向阳", "ST-V0905", "village"},
	{"village bare, no town", "向阳", "ST-V0905", "village"},
	{"village committee", "向阳村委会", "ST-V0905", "village"},
	{"village whose name ends in 屯", "腰屯屯", "ST-V0301", "village"},

	// Groups, landmarks, phones, names.
	{"group in words", "向阳村三组", "ST-V0905", "village"},
	{"group in digits", "向阳村5组", "ST-V0905", "village"},
	{"team", "向阳二队", "ST-V0905", "village"},
	{"group 十一", "八一村十一组", "ST-V0204", "village"},
	{"landmark", "向阳村小卖部旁", "ST-V0905", "village"},
	{"landmark 村委会对面", "惠七镇 向阳村村委会对面", "ST-V0905", "village"},
	{"phone inside", "向阳村13945671234三组", "ST-V0905", "village"},
	{"phone first", "13945671234 惠七向阳", "ST-V0905", "village"},
	{"landline", "惠七满族镇红星村三组 电话：0455-6123456", "ST-V0901", "village"},
	{"receiver's name holds a village name", "朝阳 刘胜利 13945671234", "ST-V0302", "village"},
	{"receiver's name before the village", "张建国 合心村", "ST-V0802", "village"},
	{"receiver's name only", "刘胜利", "", "unknown"},
	{"hamlet inside the village", "灵山乡永安村王家屯", "ST-V1001", "village"},

	// Spacing, punctuation, widths, scripts.
	{"spaces everywhere", "望 奎 县 东 升 乡 保 安 村", "ST-V1301", "village"},
	{"punctuation", "望奎县,厢白满族乡/厢红村-二队。", "ST-V1504", "village"},
	{"brackets", "望奎县（厢白乡）长山村", "ST-V1505", "village"},
	{"full-width digits", "五一村１２组", "ST-V1403", "village"},
	{"full-width letters and space", "ＷＫ　向阳村", "ST-V0905", "village"},
	{"traditional characters", "東郊鎮鑲黃村", "ST-V0602", "village"},
	{"traditional town", "惠七滿族鎮萬寶村", "ST-V0902", "village"},

	// Misspellings from the table of confusable characters.
	{"homophone 响阳", "响阳村", "ST-V0905", "village"},
	{"homophone 响阳 with town", "惠七响阳村", "ST-V0905", "village"},
	{"homophone 潮阳", "卫星镇潮阳村", "ST-V0302", "village"},
	{"homophone 厢黄", "东郊厢黄村", "ST-V0602", "village"},
	{"homophone 香黄, no town", "香黄屯", "ST-V0602", "village"},
	{"homophone of a shared name, no town", "南冈村", "", "ambiguous"},
	{"homophone of a shared name, town decides", "灯塔乡南冈村", "ST-V1406", "village"},
	{"misspelling that is another village", "福兴村", "ST-V0201", "village"},
	{"misspelling reconciled by the town", "惠七镇福兴村", "ST-V0904", "village"},

	// One character off a name written with 村, 屯 or 大队.
	{"one substitution", "跃井村", "ST-V0504", "village"},
	{"one insertion", "东方风村", "ST-V0503", "village"},
	{"one off two names", "富明村", "", "unknown"},
	{"one off 向阳 and 朝阳", "太阳村", "", "unknown"},
	{"group words are no name", "五组村委会", "", "unknown"},
	{"one off, but a bare word", "跃井", "", "unknown"},

	// The same name in two towns.
	{"town decides 南岗 (望奎镇)", "望奎镇南岗村", "ST-V0101", "village"},
	{"town decides 南岗 (灯塔乡)", "灯塔乡南岗村", "ST-V1406", "village"},
	{"town decides 北岗 (海丰)", "海丰北岗屯", "ST-V0401", "village"},
	{"town decides 北岗 (灵山)", "灵山北岗", "ST-V1099", "village"},
	{"no town: ambiguous", "北岗村", "", "ambiguous"},
	{"no town: ambiguous 新兴", "新兴村三组", "", "ambiguous"},
	{"no town, county named: ambiguous", "望奎县长山村", "", "ambiguous"},

	// Conflicts.
	{"town without that village", "先锋镇先进村", "", "conflict"},
	{"brief: 先锋 has no 前进", "先锋前进屯三组 王家小卖部", "", "conflict"},
	{"brief: 灵山 has no 南岗", "望奎县灵山乡南岗大队5组13945671234", "", "conflict"},
	{"brief: 惠七 has no 胜利", "黑龙江绥化望奎惠七镇 胜利村村委会对面", "", "conflict"},
	{"two towns", "望奎镇 灯塔乡 南岗村", "", "conflict"},
	{"two villages of the town", "惠七镇 向阳村 红星村", "", "conflict"},
	{"the town's bare word does not rescue a conflict", "惠七镇 胜利村 向阳", "", "conflict"},
	{"misspelt town, village elsewhere", "镶白乡镶黄村", "", "conflict"},

	// 望奎: the county, and the short name of 望奎镇.
	{"望奎县 is the county", "望奎县南岗村", "", "ambiguous"},
	{"bare 望奎 first is the county", "望奎南岗村", "", "ambiguous"},
	{"望奎镇 is the town", "望奎镇南岗村", "ST-V0101", "village"},
	{"望奎 after the county is the town", "望奎县望奎南岗村", "ST-V0101", "village"},
	{"the county twice is not the town", "望奎县望奎县南岗村", "", "ambiguous"},
	{"the county is no conflict", "望奎县 前程村", "ST-V0903", "village"},
	{"bare 望奎 is no conflict", "望奎 前程村", "ST-V0903", "village"},
	{"misspelt county", "望魁南岗村", "", "ambiguous"},

	// Names inside other words, and places outside the county.
	{"street of the county seat", "望奎县胜利路88号", "", "unknown"},
	{"estate of the county seat", "望奎县幸福小区3号楼2单元", "", "unknown"},
	{"avenue", "望奎县红旗大街", "", "unknown"},
	{"road named after a town", "望奎县先锋路红旗村", "ST-V1205", "village"},
	{"space before 路北 keeps the village", "长发 路北", "ST-V0405", "village"},
	{"shop name", "新华书店", "", "unknown"},
	{"another district", "黑龙江省绥化市北林区永安镇胜利村", "", "conflict"},
	{"a Harbin district named like a village", "哈尔滨市南岗区红旗大街", "", "unknown"},
	{"another county", "兰西县平安镇", "", "unknown"},
	{"a village's name as a town elsewhere", "平安镇平安村", "", "conflict"},
	{"a city named like a town", "同江市胜利村", "", "conflict"},
	{"an unknown town", "青山镇向阳村", "", "conflict"},
	{"another province", "陕西省西安市雁塔区", "", "unknown"},
	{"supermarket is no city", "向阳村超市", "ST-V0905", "village"},
	{"town only", "先锋镇政府", "", "unknown"},
	{"empty", "", "", "unknown"},
	{"phone only", "13945671234", "", "unknown"},
	{"the centre", "望奎县农村物流分拨中心", "", "unknown"},
}

func TestRules(t *testing.T) {
	r, _ := newResolver(t)
	for _, tc := range rules {
		t.Run(tc.rule, func(t *testing.T) {
			got := r.Resolve(tc.address)
			if got.Station != tc.station || got.Reason != tc.reason {
				t.Errorf("Resolve(%q) = %s %s (%s), want %q %s", tc.address, got.Station, got.Reason, got.Detail, tc.station, tc.reason)
			}
			if got.Detail == "" {
				t.Errorf("Resolve(%q): no detail", tc.address)
			}
			if got.Resolved() != (got.Station != "") {
				t.Errorf("Resolved() = %v with station %q", got.Resolved(), got.Station)
			}
		})
	}
}

func TestResultFields(t *testing.T) {
	r, _ := newResolver(t)
	for _, tc := range []struct {
		address   string
		want      resolve.Result
		detailHas string
	}{
		{"惠七镇福兴村", resolve.Result{Station: "ST-V0904", Village: "V0904", Town: "T09", Reason: resolve.ReasonVillage}, "复兴村 (V0904) of 惠七满族镇"},
		{"跃井村", resolve.Result{Station: "ST-V0504", Village: "V0504", Town: "T05", Reason: resolve.ReasonVillage}, "one character off 跃进村"},
		{"南岗村", resolve.Result{Reason: resolve.ReasonAmbiguous}, "南岗村 is in 望奎镇, 灯塔乡"},
		{"灵山乡南岗村", resolve.Result{Town: "T10", Reason: resolve.ReasonConflict}, "names 灵山满族乡, but 南岗村 is in 望奎镇, 灯塔乡"},
		{"先锋镇中心校", resolve.Result{Town: "T07", Reason: resolve.ReasonUnknown}, "town 先锋镇 but no village"},
		{"北林区东风村", resolve.Result{Reason: resolve.ReasonConflict}, "names 北林区, outside 望奎县"},
	} {
		got := r.Resolve(tc.address)
		detail := got.Detail
		got.Detail = ""
		if got != tc.want {
			t.Errorf("Resolve(%q) = %+v, want %+v", tc.address, got, tc.want)
		}
		if !strings.Contains(detail, tc.detailHas) {
			t.Errorf("Resolve(%q).Detail = %q, want it to hold %q", tc.address, detail, tc.detailHas)
		}
	}
}

func TestDetailHoldsNoPhone(t *testing.T) {
	r, _ := newResolver(t)
	for _, a := range []string{"向阳村13945671234", "13945671234南岗村", "跃井村13945671234", "13945671234"} {
		if d := r.Resolve(a).Detail; strings.Contains(d, "1394567") {
			t.Errorf("Resolve(%q).Detail = %q holds the phone number", a, d)
		}
	}
}

// small is a county built to try the rules on names the demo county lacks:
// a village named like another town (卫星村 in 东郊镇), a town whose short
// name is not the county's, and a village without a station.
const small = `{
 "province": "黑龙江省", "city": "绥化市", "county": "青山县",
 "centre": {"id": "CENTRE", "name": "中心", "lat": 46.8, "lon": 126.4},
 "towns": [
  {"code": "T1", "name": "卫星镇", "short": "卫星", "lat": 46.8, "lon": 126.4, "villages": [
   {"code": "V11", "name": "前进村", "aliases": ["前进"], "lat": 46.8, "lon": 126.5}]},
  {"code": "T2", "name": "东郊镇", "short": "东郊", "lat": 46.9, "lon": 126.6, "villages": [
   {"code": "V21", "name": "卫星村", "aliases": [], "lat": 46.9, "lon": 126.6},
   {"code": "V22", "name": "青山村", "aliases": [], "lat": 46.9, "lon": 126.6},
   {"code": "V23", "name": "新建村", "aliases": [], "lat": 46.9, "lon": 126.6}]}
 ],
 "stations": [
  {"id": "S11", "village": "V11", "name": "前进村驿站", "hours": ""},
  {"id": "S21", "village": "V21", "name": "卫星村驿站", "hours": ""},
  {"id": "S22", "village": "V22", "name": "青山村驿站", "hours": ""}
 ],
 "lines": []
}`

func TestTownShortInsideNames(t *testing.T) {
	c, err := gazetteer.Load(strings.NewReader(small))
	if err != nil {
		t.Fatal(err)
	}
	r := resolve.New(c)
	for _, tc := range []ruleCase{
		{"the village named like a town", "卫星村", "S21", "village"},
		{"the village in its town", "东郊镇卫星村", "S21", "village"},
		{"the village after the other town", "卫星镇卫星村", "", "conflict"},
		{"the town, then its village", "卫星前进村", "S11", "village"},
		{"a bare town word is the town", "东郊卫星", "", "conflict"},
		{"the county short is not a town here", "青山县青山村", "S22", "village"},
		{"the village named like the county", "青山村", "S22", "village"},
		{"the county alone", "青山县", "", "unknown"},
		{"a village without a station", "东郊新建村", "", "village"},
	} {
		got := r.Resolve(tc.address)
		if got.Station != tc.station || got.Reason != tc.reason {
			t.Errorf("%s: Resolve(%q) = %q %s (%s), want %q %s", tc.rule, tc.address, got.Station, got.Reason, got.Detail, tc.station, tc.reason)
		}
	}
	if got := r.Resolve("东郊新建村"); got.Village != "V23" || !strings.Contains(got.Detail, "no station") {
		t.Errorf("village without station: %+v", got)
	}
}

func FuzzResolve(f *testing.F) {
	c, err := gazetteer.LoadFile(countyFile)
	if err != nil {
		f.Fatal(err)
	}
	r := resolve.New(c)
	for _, tc := range rules {
		f.Add(tc.address)
	}
	f.Add("\xff\xfe村屯大队")
	f.Add("村")
	f.Add("大")
	f.Add("望奎望奎望奎")
	f.Fuzz(func(t *testing.T, address string) {
		got := r.Resolve(address)
		switch got.Reason {
		case resolve.ReasonVillage, resolve.ReasonAmbiguous, resolve.ReasonUnknown, resolve.ReasonConflict:
		default:
			t.Fatalf("Resolve(%q): reason %q", address, got.Reason)
		}
		if got.Station == "" {
			return
		}
		s, ok := c.Station(got.Station)
		if !ok {
			t.Fatalf("Resolve(%q): unknown station %q", address, got.Station)
		}
		if got.Reason != resolve.ReasonVillage || s.Village != got.Village {
			t.Fatalf("Resolve(%q) = %+v: station of village %s", address, got, s.Village)
		}
		if tw, _ := c.TownOf(got.Village); tw == nil || tw.Code != got.Town {
			t.Fatalf("Resolve(%q) = %+v: wrong town", address, got)
		}
	})
}
