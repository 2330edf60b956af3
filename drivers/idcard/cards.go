package idcard

// demoCards are made-up people of the demo county (望奎县, division code
// 231221) with check digits computed as GB 11643 says. None is a real
// person; the numbers are for tests and the showroom only.
var demoCards = []Card{
	{Name: "张三", Sex: SexMale, Nation: "01", Birth: "19850312",
		Address: "黑龙江省望奎县望奎镇东风村三组12号", Number: "231221198503120139",
		Authority: "望奎县公安局", ValidFrom: "20150610", ValidTo: "20350610"},
	{Name: "李桂芳", Sex: SexFemale, Nation: "11", Birth: "19920708",
		Address: "黑龙江省望奎县灵山满族乡灵山村45号", Number: "231221199207080245",
		Authority: "望奎县公安局", ValidFrom: "20180301", ValidTo: "20280301"},
	{Name: "王秀英", Sex: SexFemale, Nation: "01", Birth: "19510203",
		Address: "黑龙江省望奎县卫星镇卫星村二组7号", Number: "231221195102030040",
		Authority: "望奎县公安局", ValidFrom: "20120520", ValidTo: longTerm},
	{Name: "赵小军", Sex: SexMale, Nation: "02", Birth: "20010915",
		Address: "黑龙江省望奎县先锋镇先锋村六组3号", Number: "231221200109150030",
		Authority: "望奎县公安局", ValidFrom: "20190820", ValidTo: "20290820"},
	{Kind: KindPermit, Name: "陈美玲", Sex: SexFemale, Birth: "19940823",
		Address: "黑龙江省望奎县望奎镇正阳街18号", Number: "810000199408230021",
		Authority: "望奎县公安局", ValidFrom: "20200105", ValidTo: "20250105",
		PassNumber: "H12345678", IssueCount: "01"},
}

// DemoCards returns made-up cards for the Simulator: four resident cards
// (one valid for ever, 长期) and a Hong Kong residence permit.
func DemoCards() []Card {
	out := make([]Card, len(demoCards))
	copy(out, demoCards)
	return out
}
