package waybill

import "strings"

// Carrier codes.
const (
	SF      = "sf"      // 顺丰速运
	YTO     = "yto"     // 圆通速递
	ZTO     = "zto"     // 中通快递
	STO     = "sto"     // 申通快递
	Yunda   = "yunda"   // 韵达速递
	JD      = "jd"      // 京东物流
	JT      = "jt"      // 极兔速递 (J&T Express)
	EMS     = "ems"     // 中国邮政 / EMS
	Cainiao = "cainiao" // 菜鸟速递
	Deppon  = "deppon"  // 德邦快递
	Best    = "best"    // 百世快递
)

// Carrier describes an express carrier.
type Carrier struct {
	Code  string `json:"code"`  // one of the carrier code constants, e.g. "sf"
	Name  string `json:"name"`  // full Chinese name, e.g. 顺丰速运
	Short string `json:"short"` // short Chinese name, e.g. 顺丰
}

var carriers = []Carrier{
	{SF, "顺丰速运", "顺丰"},
	{YTO, "圆通速递", "圆通"},
	{ZTO, "中通快递", "中通"},
	{STO, "申通快递", "申通"},
	{Yunda, "韵达速递", "韵达"},
	{JD, "京东物流", "京东"},
	{JT, "极兔速递", "极兔"},
	{EMS, "中国邮政速递物流", "邮政EMS"},
	{Cainiao, "菜鸟速递", "菜鸟"},
	{Deppon, "德邦快递", "德邦"},
	{Best, "百世快递", "百世"},
}

// Carriers returns all known carriers in a fixed display order.
func Carriers() []Carrier {
	return append([]Carrier(nil), carriers...)
}

// Lookup returns the carrier with the given code (case-insensitive).
func Lookup(code string) (Carrier, bool) {
	code = strings.ToLower(strings.TrimSpace(code))
	for _, c := range carriers {
		if c.Code == code {
			return c, true
		}
	}
	return Carrier{}, false
}
