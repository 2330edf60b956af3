package resolve

import "strings"

// confusable lists groups of characters people type for one another when
// writing the county's names: the same syllable picked from a pinyin input
// list (向/响/象, 福/复/富), or a more common character of the same sound.
// New applies them to every village and town of the county, one character
// at a time, and keeps a misspelling only when it does not read as some
// other name.
var confusable = []string{
	"岗冈刚港钢", "兴星", "胜盛圣升", "利力立", "前钱千", "进近金晋劲",
	"厢镶箱相香湘", "向响象像", "红洪宏鸿", "长常昌", "山善杉", "福富付复傅",
	"永勇涌", "久九玖", "先鲜仙", "龙隆珑", "泉全权", "腰要姚", "朝潮",
	"阳杨洋扬", "安按庵", "天添田", "增曾", "正政郑证", "白百柏", "平萍苹坪",
	"发法", "结洁杰", "东冬栋", "风峰丰枫锋封", "跃越悦岳", "庆青清", "黄皇煌",
	"太泰", "主住柱", "聚巨具", "宝保堡", "合和河荷", "心新欣鑫", "治志",
	"建健剑", "程成城诚", "光广", "西希溪", "四寺", "收首", "荣容蓉融",
	"华化", "旗齐琪奇", "幸杏", "兰蓝岚", "卫为伟威", "德得", "惠慧会",
	"灯登", "恭公工", "郊交", "莲连", "奎魁", "箭剑", "通同", "灵岭玲",
}

// confusions maps a character to the characters it is mistaken for.
var confusions = func() map[rune][]rune {
	m := map[rune][]rune{}
	for _, g := range confusable {
		rs := []rune(g)
		for _, a := range rs {
			for _, b := range rs {
				if a != b {
					m[a] = append(m[a], b)
				}
			}
		}
	}
	return m
}()

// surnames are common family names. A village's bare name right after one
// is most likely a person's given name (刘胜利, 张建国, 马向阳).
const surnames = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许" +
	"傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝" +
	"孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文付关佟那"

var surnameSet = runeSet(surnames)

// placeSuffixes end the name of a province, city, county, district, town or
// township. A village's bare name right before one is another place
// (永安镇, 南岗区, 西安市), and an unknown name before one is a place the
// county does not know.
var placeSuffixes = runeSet("省市县区镇乡")

// notPlaces are words with a place suffix that name no place (超市 is a
// shop, 小区 an estate, 家乡 a home town).
var notPlaces = wordSet("超市 门市 集市 城市 菜市 夜市 早市 市场 市区 小区 社区 园区 校区 城区 " +
	"景区 新区 郊区 矿区 山区 区域 家乡 老乡 城乡 下乡 回乡 同乡 故乡 乡下 乡村 " +
	"城镇 乡镇 小镇 集镇 镇上 县城 县里 满族")

// streetWords after a village's bare name make it a street or an estate of
// the county seat (胜利路, 幸福小区), not the village.
var streetWords = []string{"路", "街", "大街", "大道", "巷", "胡同", "小区", "社区", "花园", "家园", "公寓",
	"大厦", "广场", "商场", "市场", "楼"}

// groupRunes mark group numbers, house numbers and landmarks; a misspelt
// village name never holds one (三组村 is group three's office, not 三合村).
var groupRunes = runeSet("组队社号楼栋单元委部旁边侧面对过院家")

// stopPhrases hold a village's name but are something else.
var stopPhrases = []string{"新华书店", "太平洋", "平安保险", "平安银行", "中国平安", "红星美凯龙",
	"东风汽车", "光明乳业", "人民医院", "中国", "人民", "国家", "永久牌"}

// elsewhere are places outside the county that people write next to the
// names of its villages: the other county-level divisions of 绥化 and the
// cities of 黑龙江.
var elsewhere = []string{"北林区", "安达市", "肇东市", "海伦市", "兰西县", "青冈县", "庆安县",
	"明水县", "绥棱县", "哈尔滨", "齐齐哈尔", "大庆市", "佳木斯", "牡丹江", "鸡西市", "鹤岗市",
	"双鸭山", "七台河", "伊春市", "黑河市", "大兴安岭"}

func runeSet(s string) map[rune]bool {
	m := map[rune]bool{}
	for _, r := range s {
		m[r] = true
	}
	return m
}

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}
