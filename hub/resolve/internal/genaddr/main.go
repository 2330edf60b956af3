// Command genaddr writes the labelled address set that measures the address
// resolver (package cunyou/hub/resolve):
//
//	go run ./hub/resolve/internal/genaddr > testdata/addresses.tsv
//
// # Format
//
// UTF-8 text, one row per line, two columns separated by one TAB:
//
//	address<TAB>expected_station
//
// The first line is the header "address\texpected_station". address is the
// destination address as a receiver or a shop would type it (never holding a
// TAB or a newline). expected_station is the id of the station a careful
// dispatcher holding the county gazetteer would send the parcel to, or empty
// when such a dispatcher would not pick one: the village name exists in
// several towns and the address names no town (ambiguous), the address names
// a town and a village of another town (conflict), or no village of the
// county is named at all (unknown, including places outside the county).
//
// # Rows
//
// First the hand-written rows (the literal table below, in the styles real
// people use), then generated rows: for every village of the county several
// addresses that combine, at random, the variations receivers make — the
// province, city and county present, shortened or left out; the town full,
// short (先锋 for 先锋镇, 惠七 for 惠七满族镇), as 惠七镇/灵山乡, misspelt or
// missing; the village as 村, 屯, 大队, bare or misspelt with a homophone;
// group numbers, landmarks, a receiver's name and a phone number appended;
// spaces and punctuation; full-width digits; traditional characters — and
// then conflicting, ambiguous and unknown addresses. The generator labels a
// row from what it built, never by running the resolver. A misspelling that
// turns a village into another village of the county is left out: nobody
// could recover it. The output depends only on -seed and the county file.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"

	"cunyou/hub/gazetteer"
)

// The defaults make testdata/addresses.tsv.
const (
	defaultSeed       = 20260611
	defaultPerVillage = 7
)

func main() {
	countyPath := flag.String("county", "testdata/county.json", "county gazetteer file")
	seed := flag.Uint64("seed", defaultSeed, "random seed")
	perVillage := flag.Int("per-village", defaultPerVillage, "generated addresses per village")
	flag.Parse()

	c, err := gazetteer.LoadFile(*countyPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "genaddr:", err)
		os.Exit(1)
	}
	rows, err := generate(c, *seed, *perVillage)
	if err != nil {
		fmt.Fprintln(os.Stderr, "genaddr:", err)
		os.Exit(1)
	}
	w := bufio.NewWriter(os.Stdout)
	write(w, rows)
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "genaddr:", err)
		os.Exit(1)
	}
}

// write writes the header and the rows.
func write(w io.Writer, rows []row) {
	fmt.Fprintln(w, "address\texpected_station")
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%s\n", r.address, r.station)
	}
}

type row struct{ address, station string }

// handRows are written by hand, in the ways people really write addresses.
// Three of them come from the task brief and are conflicts: 先锋镇 has no
// 前进村, 灵山满族乡 no 南岗村, 惠七满族镇 no 胜利村.
var handRows = []row{
	{"先锋前进屯三组 王家小卖部", ""},
	{"望奎县灵山乡南岗大队5组13945671234", ""},
	{"黑龙江绥化望奎惠七镇 胜利村村委会对面", ""},
	{"先锋民主屯三组 王家小卖部", "ST-V0701"},
	{"望奎县灵山乡北岗大队5组13945671234", "ST-V1099"},
	{"黑龙江绥化望奎惠七镇 向阳村村委会对面", "ST-V0905"},
	// 望奎: the county, and the short name of 望奎镇.
	{"望奎县望奎镇南岗村", "ST-V0101"},
	{"望奎县南岗村", ""},
	{"望奎南岗村三组", ""},
	{"望奎县望奎南岗村", "ST-V0101"},
	{"望奎镇南岗大队", "ST-V0101"},
	{"黑龙江省绥化市望奎县 望奎镇 胜利村 2组", "ST-V0103"},
	{"望奎 胜利屯", ""},
	{"望奎县 前程村 13836451122", "ST-V0903"},
	// The same village name in two towns: the town decides.
	{"灯塔乡南岗村二组", "ST-V1406"},
	{"灯塔南岗 老赵家", "ST-V1406"},
	{"海丰北岗屯", "ST-V0401"},
	{"灵山北岗", "ST-V1099"},
	{"北岗村", ""},
	{"厢白乡新兴村", "ST-V1501"},
	{"厢白满族乡胜利村五组", "ST-V1502"},
	{"厢白前进大队", "ST-V1503"},
	{"望奎镇厢红村", "ST-V0105"},
	{"厢白乡厢红", "ST-V1504"},
	{"长山村", ""},
	{"厢白 长山屯 3组", "ST-V1505"},
	{"望奎镇新兴村", "ST-V0102"},
	{"新兴村", ""},
	{"胜利村", ""},
	{"前进大队", ""},
	{"南岗", ""},
	{"望奎镇 灯塔乡 南岗村", ""},
	{"望奎县 南岗村 李家小卖部 13945671234", ""},
	{"黑龙江省 绥化市 望奎县 灯塔乡 南岗村 5组", "ST-V1406"},
	{"望奎县,厢白满族乡,厢红村,二队", "ST-V1504"},
	{"望奎县（厢白乡）长山村", "ST-V1505"},
	{"灵山满族乡北岗村(灵山)", "ST-V1099"},
	{"北岗村驿站", ""},
	{"灵山乡 北岗村驿站", "ST-V1099"},
	{"海丰北岗村驿站", "ST-V0401"},
	// Misspellings.
	{"惠七响阳村", "ST-V0905"},
	{"响阳村", "ST-V0905"},
	{"卫星镇潮阳村", "ST-V0302"},
	{"惠七镇福兴村", "ST-V0904"},
	{"通江镇福兴村", "ST-V0201"},
	{"福兴村", "ST-V0201"},
	{"复兴村", "ST-V0904"},
	{"东郊厢黄村", "ST-V0602"},
	{"香黄屯", "ST-V0602"},
	{"海丰天曾村", "ST-V0402"},
	{"郑白村", "ST-V0403"},
	{"前成村", "ST-V0903"},
	{"双隆村", "ST-V0906"},
	{"惠七镇红兴村", "ST-V0901"},
	{"和心村", "ST-V0802"},
	{"兴龙村", "ST-V0303"},
	{"永九村", "ST-V0202"},
	{"先峰镇民主村", "ST-V0701"},
	{"灵山乡南冈村", ""},
	{"灯塔乡南冈村", "ST-V1406"},
	{"太阳村", ""},
	// Traditional characters, full-width digits, spacing.
	{"後三鄉長青村", "ST-V1105"},
	{"惠七滿族鎮萬寶村", "ST-V0902"},
	{"靈山鄉光明村", "ST-V1003"},
	{"東郊鎮鑲黃村", "ST-V0602"},
	{"五一村１２组", "ST-V1403"},
	{"通江八一村３组", "ST-V0204"},
	{"望 奎 县 东 升 乡 保 安 村", "ST-V1301"},
	{"黑龙江望奎县先锋镇聚宝村 村委会对面 13945671234", "ST-V0704"},
	{"惠七满族镇红星村三组 电话：0455-6123456", "ST-V0901"},
	// People's names that are village names.
	{"恭六红旗村 刘胜利收", "ST-V1205"},
	{"朝阳 刘胜利 13945671234", "ST-V0302"},
	{"火箭镇建国村 张建国", "ST-V0804"},
	{"张建国 13904551234 合心村", "ST-V0802"},
	{"惠七 向阳村 刘向阳收", "ST-V0905"},
	{"李红旗 东郊镇太平村", "ST-V0606"},
	{"张平安 13945671234 新民屯", "ST-V1202"},
	{"刘胜利", ""},
	// Hamlets inside villages, and hamlets alone.
	{"灵山乡永安村王家屯", "ST-V1001"},
	{"王家屯三组", ""},
	{"李家窝堡 东头", ""},
	// Streets of the county seat and places outside the county.
	{"黑龙江省绥化市北林区永安镇胜利村", ""},
	{"哈尔滨市南岗区红旗大街", ""},
	{"望奎县幸福小区3号楼2单元", ""},
	{"望奎县胜利路88号", ""},
	{"望奎县城 东风街 五金店", ""},
	{"望奎镇 光明小区", ""},
	{"陕西省西安市雁塔区", ""},
	{"兰西县平安镇", ""},
	{"海伦市 向阳乡", ""},
	{"绥化市北林区 东风村", ""},
	{"望奎县团结路", ""},
	// Conflicts: the town has no such village.
	{"先锋镇先进村", ""},
	{"东郊镇民主村", ""},
	{"卫星镇三星村", ""},
	{"莲花镇 胜利村", ""},
	// No village at all.
	{"先锋镇政府", ""},
	{"惠七满族镇", ""},
	{"13945671234", ""},
	{"自提", ""},
	{"望奎县", ""},
	{"望奎县后三乡", ""},
	{"黑龙江省绥化市望奎县", ""},
	// Every town, plainly and less plainly.
	{"东升乡幸福村", "ST-V1304"},
	{"幸福村四组", "ST-V1304"},
	{"东升幸福", "ST-V1304"},
	{"后三乡长青村", "ST-V1105"},
	{"后三长青三组", "ST-V1105"},
	{"灯塔乡五一村", "ST-V1403"},
	{"望奎 八一屯", "ST-V0204"},
	{"黑龙江省绥化市望奎县通江镇龙泉村", "ST-V0205"},
	{"绥化望奎卫星腰屯", "ST-V0301"},
	{"卫星腰屯屯", "ST-V0301"},
	{"腰屯村", "ST-V0301"},
	{"海丰镇天增村", "ST-V0402"},
	{"正白屯", "ST-V0403"},
	{"海丰平安大队", "ST-V0404"},
	{"长发村", "ST-V0405"},
	{"莲花镇永胜村", "ST-V0501"},
	{"莲花团结屯", "ST-V0502"},
	{"东风村", "ST-V0503"},
	{"莲花跃进村 小卖部旁", "ST-V0504"},
	{"东郊镇庆丰村", "ST-V0601"},
	{"东郊三星村", "ST-V0603"},
	{"长胜屯", "ST-V0604"},
	{"靠山屯", "ST-V0605"},
	{"太平村", "ST-V0606"},
	{"先锋永丰", "ST-V0702"},
	{"先锋镇富民村", "ST-V0703"},
	{"聚宝屯", "ST-V0704"},
	{"火箭东安", "ST-V0801"},
	{"火箭镇治安村", "ST-V0803"},
	{"惠七红星村", "ST-V0901"},
	{"惠七前程", "ST-V0903"},
	{"惠七双龙", "ST-V0906"},
	{"灵山和平村", "ST-V1002"},
	{"灵山乡西安村", "ST-V1004"},
	{"后三永兴村", "ST-V1101"},
	{"四合屯", "ST-V1102"},
	{"双山大队", "ST-V1103"},
	{"后三乡丰收村", "ST-V1104"},
	{"东光村", "ST-V1106"},
	{"恭六东兴", "ST-V1201"},
	{"新民村", "ST-V1202"},
	{"富强村", "ST-V1203"},
	{"恭六荣华屯", "ST-V1204"},
	{"东升保安村", "ST-V1301"},
	{"永和村", "ST-V1302"},
	{"新立屯", "ST-V1303"},
	{"兴盛村", "ST-V1305"},
	{"东升三合", "ST-V1306"},
	{"灯塔正兰村", "ST-V1401"},
	{"灯塔乡宏伟", "ST-V1402"},
	{"德胜屯", "ST-V1404"},
	{"新华村", "ST-V1405"},
	{"通江镇永久村", "ST-V0202"},
	{"通江先进村", "ST-V0203"},
	{"合心村", "ST-V0802"},
	{"治安屯", "ST-V0803"},
	{"建国村", "ST-V0804"},
	{"东安村", "ST-V0801"},
	{"向阳村", "ST-V0905"},
	{"朝阳村", "ST-V0302"},
	{"龙泉", "ST-V0205"},
	{"安乐屯", "ST-V0304"},
	{"天增", "ST-V0402"},
	{"西安村", "ST-V1004"},
}

// homophones are the misspellings people make of the characters of the
// county's names: same or near sound as typed by pinyin input, or the
// character of a more common word.
var homophones = map[rune][]rune{
	'岗': {'冈', '刚', '港'}, '兴': {'星'}, '胜': {'盛', '圣'}, '利': {'力', '立'},
	'前': {'钱', '千'}, '进': {'近', '金'}, '厢': {'镶', '箱', '相'}, '红': {'洪', '宏'},
	'长': {'常'}, '山': {'善'}, '福': {'富', '付'}, '永': {'勇'}, '久': {'九'},
	'先': {'鲜', '仙'}, '龙': {'隆'}, '泉': {'全'}, '腰': {'要'}, '朝': {'潮'},
	'阳': {'杨', '洋'}, '隆': {'龙'}, '安': {'按'}, '增': {'曾'}, '正': {'政', '郑'},
	'白': {'百', '柏'}, '平': {'萍'}, '发': {'法'}, '结': {'洁', '杰'}, '东': {'冬'},
	'风': {'峰', '丰', '枫'}, '跃': {'越', '悦'}, '丰': {'峰', '风', '锋'},
	'镶': {'厢', '香', '箱'}, '黄': {'皇'}, '星': {'兴'}, '太': {'泰'}, '民': {'明'},
	'主': {'住'}, '富': {'福'}, '聚': {'巨'}, '宝': {'保', '堡'}, '合': {'和'},
	'心': {'新', '欣'}, '治': {'志'}, '建': {'健'}, '复': {'福', '付'}, '程': {'成', '城'},
	'向': {'响', '象'}, '和': {'合', '河'}, '光': {'广'}, '西': {'希'}, '四': {'寺'},
	'青': {'清'}, '新': {'心', '欣'}, '荣': {'容', '蓉'}, '华': {'化'}, '旗': {'齐', '琪'},
	'立': {'利', '力'}, '幸': {'杏'}, '盛': {'胜'}, '兰': {'蓝'}, '宏': {'红', '洪'},
	'伟': {'卫', '威'}, '德': {'得'}, '天': {'添'}, '保': {'宝'}, '收': {'首'},
	// Towns.
	'锋': {'峰', '丰'}, '惠': {'慧', '会'}, '灯': {'登'}, '恭': {'公', '工'},
	'郊': {'交'}, '莲': {'连'}, '箭': {'剑'}, '卫': {'为'}, '奎': {'魁'},
}

// traditional maps the simplified characters of the county's names and of
// common address words to their traditional forms.
var traditional = map[rune]rune{
	'县': '縣', '镇': '鎮', '乡': '鄉', '队': '隊', '组': '組', '满': '滿', '龙': '龍',
	'绥': '綏', '岗': '崗', '兴': '興', '胜': '勝', '进': '進', '红': '紅', '长': '長',
	'东': '東', '丰': '豐', '镶': '鑲', '黄': '黃', '阳': '陽', '华': '華', '宝': '寶',
	'乐': '樂', '发': '發', '团': '團', '结': '結', '风': '風', '跃': '躍', '庆': '慶',
	'国': '國', '复': '復', '双': '雙', '万': '萬', '灵': '靈', '后': '後', '强': '強',
	'荣': '榮', '锋': '鋒', '莲': '蓮', '卫': '衛', '伟': '偉', '兰': '蘭', '门': '門',
	'卖': '賣', '对': '對', '边': '邊', '电': '電', '话': '話', '号': '號', '学': '學',
	'头': '頭', '会': '會', '广': '廣', '灯': '燈', '来': '來', '场': '場', '业': '業',
	'农': '農', '贸': '貿', '铺': '舖', '桥': '橋', '库': '庫', '粮': '糧', '车': '車',
	'园': '園', '儿': '兒', '齐': '齊', '凤': '鳳', '钱': '錢', '叶': '葉', '刘': '劉',
	'张': '張', '赵': '趙', '孙': '孫', '陈': '陳', '马': '馬', '杨': '楊', '沟': '溝',
}
