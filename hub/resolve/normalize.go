package resolve

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// text is an address made ready for matching: full-width forms folded to
// ASCII, traditional characters to simplified, ASCII letters lowered, and
// spaces and punctuation dropped. gap[i] records that a space or a
// punctuation mark stood before rune i in the original, so that rules can
// tell 胜利 路北 (north of the road, in 胜利) from 胜利路北 (a street).
type text struct {
	s    string // the folded runes, without separators
	off  []int  // byte offset in s of each rune, and len(s) at the end
	rs   []rune
	gap  []bool
	used []bool // runes inside a recognised name, filled by scan
}

func normalize(address string) *text {
	t := &text{
		rs:  make([]rune, 0, utf8.RuneCountInString(address)),
		gap: make([]bool, 0, utf8.RuneCountInString(address)),
	}
	var b strings.Builder
	b.Grow(len(address))
	sep := false
	for _, r := range address {
		r = fold(r)
		if !keep(r) {
			sep = true
			continue
		}
		t.off = append(t.off, b.Len())
		b.WriteRune(r)
		t.rs = append(t.rs, r)
		t.gap = append(t.gap, sep)
		sep = false
	}
	t.s = b.String()
	t.off = append(t.off, len(t.s))
	t.used = make([]bool, len(t.rs))
	return t
}

// fold maps full-width ASCII to ASCII, the ideographic space to a space,
// traditional characters to simplified and ASCII letters to lower case.
func fold(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		r -= 0xFEE0
	case r == 0x3000:
		return ' '
	case r >= 0x3400:
		if s, ok := simplified[r]; ok {
			return s
		}
		return r
	}
	if r >= 'A' && r <= 'Z' {
		r += 'a' - 'A'
	}
	return r
}

// keep reports whether a rune takes part in matching: Han characters,
// digits and letters. Everything else separates.
func keep(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= '0' && r <= '9' || r >= 'a' && r <= 'z'
	}
	return unicode.Is(unicode.Han, r)
}

// simplified maps traditional characters, those of the county's names and of
// common address words, to simplified ones. Pairs of (traditional,
// simplified).
var simplified = func() map[rune]rune {
	const pairs = "縣县鎮镇鄉乡區区鄰邻隊队組组號号樓楼單单門门對对邊边後后滿满龍龙綏绥" +
		"崗岗岡冈興兴勝胜進进紅红長长東东豐丰鑲镶黃黄陽阳華华寶宝樂乐發发團团結结" +
		"風风躍跃慶庆國国復复雙双萬万靈灵強强榮荣鋒锋蓮莲衛卫偉伟蘭兰廣广燈灯" +
		"賣卖電电話话學学頭头會会場场業业農农貿贸舖铺鋪铺橋桥庫库糧粮車车園园兒儿" +
		"齊齐鳳凤錢钱葉叶劉刘張张趙赵孫孙陳陈馬马楊杨溝沟灣湾響响鄭郑潮潮鮮鲜" +
		"側侧對对過过處处醫医衛卫黨党員员幹干縫缝雜杂貨货鄉乡務务買买賓宾館馆" +
		"廠厂銀银聯联線线戶户號号層层間间幫帮幣币隨随鐵铁礦矿網网紀纪華华閣阁" +
		"龍龙鳥鸟雞鸡魚鱼豬猪麥麦穀谷禮礼壽寿懷怀顧顾憶忆擁拥剛刚緣缘藝艺蓋盖"
	m := map[rune]rune{}
	rs := []rune(pairs)
	for i := 0; i+1 < len(rs); i += 2 {
		if rs[i] != rs[i+1] {
			m[rs[i]] = rs[i+1]
		}
	}
	return m
}()
