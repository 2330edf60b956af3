package public

import "strings"

// Lang is a language of the message tables.
type Lang string

// The languages of the pages and the JSON answers: Simplified Chinese by
// default, English beside it.
const (
	ZH Lang = "zh-CN"
	EN Lang = "en"
)

var tables = map[Lang]map[string]string{ZH: zh, EN: en}

// text renders key's sentence in lang (Chinese when lang has none) with
// {name} placeholders filled from args, given as name, value pairs.
func text(lang Lang, key string, args ...string) string {
	s, ok := tables[lang][key]
	if !ok {
		if s, ok = zh[key]; !ok {
			s = zh[CodeInternal]
		}
	}
	for i := 0; i+1 < len(args); i += 2 {
		s = strings.ReplaceAll(s, "{"+args[i]+"}", args[i+1])
	}
	return s
}

// has reports whether key is in the Chinese table.
func has(key string) bool {
	_, ok := zh[key]
	return ok
}

// pickLang chooses the answer's language: the lang query parameter, else
// Accept-Language (English only when the client prefers it to Chinese).
func pickLang(query, acceptLanguage string) Lang {
	switch strings.ToLower(query) {
	case "en":
		return EN
	case "zh", "zh-cn":
		return ZH
	}
	for _, part := range strings.Split(acceptLanguage, ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "zh"):
			return ZH
		case strings.HasPrefix(tag, "en"):
			return EN
		}
	}
	return ZH
}

// zh is the Chinese table: error sentences (by error code), statuses,
// timeline sentences, station and trip states. A sentence says what
// happened and, for an error, what to do.
var zh = map[string]string{
	CodeBadRequest:           "请求内容不完整或格式不对，请刷新页面后重试。",
	CodeNotFound:             "没有这个查询地址。",
	CodeMethodNotAllowed:     "这个查询地址不支持这种请求方式。",
	CodeUnsupportedMedia:     "请求格式不对，请刷新页面后重试。",
	CodeTooLarge:             "请求内容太长。",
	CodeCrossSite:            "请直接打开村邮查询页面再查。",
	CodeBadWaybill:           "运单号不对，请核对后重新输入（只有字母和数字，至少 8 位）。",
	CodeWaybillNotFound:      "没有查到这个运单。包裹可能还没送到县里，请过几个小时再查，或核对单号。",
	CodeBadPhone:             "手机号应为 11 位数字，请核对。",
	CodeBadTail:              "请输入这个手机号的任一包裹运单号的最后 4 位。",
	CodeNoMatch:              "手机号或运单尾号不对。请输入这个手机号收到的任一包裹运单号的最后 4 位。",
	CodeTooManyTries:         "查询太频繁，请 {minutes} 分钟后再试。",
	CodePhoneLocked:          "这个手机号输错次数太多，已暂停查询，请 {minutes} 分钟后再试；也可以凭短信里的取件码直接到驿站取件。",
	CodeBadCarrier:           "请选择快递公司。",
	CodeBadProvince:          "请选择寄往的省份。",
	CodeBadWeight:            "重量应在 1 克到 100 公斤之间。",
	CodeNoTariff:             "{carrier}暂时没有寄往{province}的价格，请到驿站询问。",
	CodeUnknownVillage:       "没有这个村，请重新选择。",
	CodeUnknownStation:       "没有这个驿站，请重新选择。",
	CodeNoCounty:             "县里的村镇和驿站信息还没有录入，请稍后再查。",
	CodeBusy:                 "查询的人太多了，请稍后再试。",
	CodeInternal:             "系统出错了，请稍后再试。",
	"status.manifested":      "快递公司已发货",
	"status.at_centre":       "已到县分拨中心",
	"status.sorted":          "已分拣，等待装车",
	"status.loaded":          "已装车，等待发车",
	"status.in_transit":      "正在送往驿站",
	"status.at_station":      "已到驿站，待取件",
	"status.picked_up":       "已取件",
	"status.problem":         "包裹有问题，请联系驿站",
	"status.lost":            "暂时找不到，正在查找",
	"status.returning":       "正在退回",
	"status.returned":        "已退回",
	"status.accepted":        "驿站已收寄",
	"status.collected":       "已到县分拨中心",
	"status.handed_over":     "已交给快递公司",
	"status.unknown":         "处理中",
	"step.in.sent":           "已发货",
	"step.in.centre":         "到县城",
	"step.in.road":           "在路上",
	"step.in.station":        "到驿站",
	"step.in.done":           "已取件",
	"step.out.accepted":      "已收寄",
	"step.out.centre":        "到县城",
	"step.out.carrier":       "交快递",
	"event.manifested":       "已收到{carrier}的发货信息，将送往{station}",
	"event.manifested_to":    "已收到{carrier}的发货信息，正在安排送往哪个驿站",
	"event.destination":      "已改为送往{station}",
	"event.carrier":          "{carrier}：{text}",
	"event.carrier_at":       "{carrier}：{text}（{place}）",
	"event.at_centre":        "已到达{centre}",
	"event.sorted":           "已在{centre}分拣，将送往{station}",
	"event.loaded":           "已装上班车 {line} {departure}，等待发车",
	"event.loaded_bare":      "已装车，等待发车",
	"event.departed":         "已从分拨中心发出，班车 {line} {departure}",
	"event.departed_eta":     "已从分拨中心发出，班车 {line} {departure}，预计 {eta} 到{station}",
	"event.departed_bare":    "已从分拨中心发出",
	"event.vehicle_arrived":  "班车 {vehicle} 已到达 {station}",
	"event.vehicle_left":     "班车 {vehicle} 已驶离 {station}",
	"event.vehicle_near":     "班车 {vehicle} 即将到达 {station}，预计 {eta}",
	"event.inbound":          "已到达{station}，取件码请见短信",
	"event.inbound_undone":   "入库已撤销：{station}扫错了，包裹不在该站",
	"event.picked_up":        "您的包裹已在{station}被取走",
	"event.picked_proxy":     "包裹已在{station}由他人代取",
	"event.problem":          "{station}登记了问题：{reason}，正在处理",
	"event.lost":             "包裹暂时找不到，已登记查找；找到后继续派送，也可联系{carrier}",
	"event.returning":        "正在退回：{reason}",
	"event.return_centre":    "退件已到达{centre}",
	"event.returned":         "已退回{carrier}",
	"event.accepted":         "{station}已收寄，寄往{province}",
	"event.collected":        "已到达{centre}，等待交给{carrier}",
	"event.handed_over":      "已交给{carrier}，后续请到{carrier}查询",
	"carrier.collected":      "已揽收",
	"carrier.departed":       "已发出",
	"carrier.arrived":        "已到达",
	"carrier.delivering":     "正在派送",
	"reason.damaged":         "包装破损",
	"reason.wrong_station":   "送错了驿站",
	"reason.refused":         "收件人拒收",
	"reason.address_unknown": "地址不详",
	"reason.lost":            "包裹找不到了",
	"reason.other":           "其他原因",
	"reason.overdue":         "超时没有取件",
	"reason.unknown":         "原因待查",
	"place.unknown":          "驿站",
	"place.centre":           "县分拨中心",
	"state.open":             "营业中，{close} 关门",
	"state.closed_today":     "已关门，今天 {open} 开门",
	"state.closed_next":      "已关门，明天 {open} 开门",
	"state.suspended":        "暂停营业",
	"state.unknown":          "营业时间请打电话问",
	"trip.planned":           "{departure} 发车，预计 {arrive} 到",
	"trip.due":               "应已发车，预计 {arrive} 到",
	"trip.on_the_way":        "已发车，预计 {arrive} 到",
	"trip.passed":            "已过站",
	"trip.cancelled":         "今天这趟取消了",
	"trip.timetable":         "按时刻表 {departure} 发车，预计 {arrive} 到",
	"trip.no_station":        "{village}还没有驿站，班车不在这里停。",
	"trip.none":              "今天没有停{village}的班车了。",
	"price.rule":             "首重 {first} 以内 {first_price}，超出后每 {step} 加 {step_price}",
	"unit.kg":                "{n} 公斤",
	"unit.g":                 "{n} 克",
	"money":                  "{yuan} 元",
}

// en is the English table, with the same keys and placeholders.
var en = map[string]string{
	CodeBadRequest:           "The request is incomplete or malformed. Reload the page and try again.",
	CodeNotFound:             "There is no such query address.",
	CodeMethodNotAllowed:     "This query address does not take this kind of request.",
	CodeUnsupportedMedia:     "The request's format is wrong. Reload the page and try again.",
	CodeTooLarge:             "The request is too long.",
	CodeCrossSite:            "Open the cunyou query page itself and ask again.",
	CodeBadWaybill:           "That waybill number is not right. Check it and enter it again (letters and digits, at least 8).",
	CodeWaybillNotFound:      "No parcel with this waybill number yet. It may not have reached the county: ask again in a few hours, or check the number.",
	CodeBadPhone:             "A phone number has 11 digits. Check it.",
	CodeBadTail:              "Enter the last 4 characters of the waybill number of any parcel to this phone.",
	CodeNoMatch:              "Wrong phone number or waybill ending. Enter the last 4 characters of the waybill number of any parcel sent to this phone.",
	CodeTooManyTries:         "Too many queries. Try again in {minutes} minutes.",
	CodePhoneLocked:          "Too many wrong tries for this phone number: queries are paused. Try again in {minutes} minutes, or collect the parcel at the station with the pickup code in the SMS.",
	CodeBadCarrier:           "Choose a carrier.",
	CodeBadProvince:          "Choose the province to send to.",
	CodeBadWeight:            "The weight must be between 1 g and 100 kg.",
	CodeNoTariff:             "{carrier} has no price to {province} yet. Ask at the station.",
	CodeUnknownVillage:       "There is no such village. Choose again.",
	CodeUnknownStation:       "There is no such station. Choose again.",
	CodeNoCounty:             "The county's towns and stations are not entered yet. Try again later.",
	CodeBusy:                 "Too many people are asking right now. Try again shortly.",
	CodeInternal:             "Something went wrong. Try again later.",
	"status.manifested":      "Sent by the carrier",
	"status.at_centre":       "At the county centre",
	"status.sorted":          "Sorted, waiting for the bus",
	"status.loaded":          "Loaded, waiting to leave",
	"status.in_transit":      "On its way to the station",
	"status.at_station":      "At the station, ready to collect",
	"status.picked_up":       "Collected",
	"status.problem":         "A problem parcel: call the station",
	"status.lost":            "Missing: being searched for",
	"status.returning":       "Going back",
	"status.returned":        "Returned",
	"status.accepted":        "Accepted by the station",
	"status.collected":       "At the county centre",
	"status.handed_over":     "Handed to the carrier",
	"status.unknown":         "In progress",
	"step.in.sent":           "Sent",
	"step.in.centre":         "County",
	"step.in.road":           "On the road",
	"step.in.station":        "Station",
	"step.in.done":           "Collected",
	"step.out.accepted":      "Accepted",
	"step.out.centre":        "County",
	"step.out.carrier":       "Carrier",
	"event.manifested":       "{carrier} announced the parcel; it goes to {station}",
	"event.manifested_to":    "{carrier} announced the parcel; its station is being decided",
	"event.destination":      "Now going to {station}",
	"event.carrier":          "{carrier}: {text}",
	"event.carrier_at":       "{carrier}: {text} ({place})",
	"event.at_centre":        "Arrived at {centre}",
	"event.sorted":           "Sorted at {centre} for {station}",
	"event.loaded":           "Loaded on bus {line} {departure}, waiting to leave",
	"event.loaded_bare":      "Loaded, waiting to leave",
	"event.departed":         "Left the county centre on bus {line} {departure}",
	"event.departed_eta":     "Left the county centre on bus {line} {departure}; due at {station} about {eta}",
	"event.departed_bare":    "Left the county centre",
	"event.vehicle_arrived":  "Bus {vehicle} reached {station}",
	"event.vehicle_left":     "Bus {vehicle} left {station}",
	"event.vehicle_near":     "Bus {vehicle} is nearly at {station}, due about {eta}",
	"event.inbound":          "Arrived at {station}; the pickup code is in the SMS",
	"event.inbound_undone":   "Inbound undone: scanned at {station} by mistake; the parcel is not there",
	"event.picked_up":        "Your parcel was collected at {station}",
	"event.picked_proxy":     "Collected at {station} by someone on the receiver's behalf",
	"event.problem":          "{station} reported a problem: {reason}; it is being handled",
	"event.lost":             "The parcel cannot be found for now and is being searched for; found, it goes on. You may also call {carrier}",
	"event.returning":        "Going back: {reason}",
	"event.return_centre":    "The return arrived at {centre}",
	"event.returned":         "Returned to {carrier}",
	"event.accepted":         "Accepted by {station}, to {province}",
	"event.collected":        "Arrived at {centre}, waiting for {carrier}",
	"event.handed_over":      "Handed to {carrier}; follow it at {carrier}",
	"carrier.collected":      "collected",
	"carrier.departed":       "left",
	"carrier.arrived":        "arrived",
	"carrier.delivering":     "out for delivery",
	"reason.damaged":         "damaged packing",
	"reason.wrong_station":   "delivered to the wrong station",
	"reason.refused":         "refused by the receiver",
	"reason.address_unknown": "address unclear",
	"reason.lost":            "cannot be found",
	"reason.other":           "another reason",
	"reason.overdue":         "not collected in time",
	"reason.unknown":         "reason to be checked",
	"place.unknown":          "the station",
	"place.centre":           "the county centre",
	"state.open":             "Open, closes at {close}",
	"state.closed_today":     "Closed, opens today at {open}",
	"state.closed_next":      "Closed, opens tomorrow at {open}",
	"state.suspended":        "Temporarily closed",
	"state.unknown":          "Call for opening hours",
	"trip.planned":           "Leaves {departure}, due about {arrive}",
	"trip.due":               "Should have left, due about {arrive}",
	"trip.on_the_way":        "On its way, due about {arrive}",
	"trip.passed":            "Has passed",
	"trip.cancelled":         "Cancelled today",
	"trip.timetable":         "Timetable: leaves {departure}, due about {arrive}",
	"trip.no_station":        "{village} has no station yet; the buses do not stop there.",
	"trip.none":              "No more buses to {village} today.",
	"price.rule":             "Up to {first}: {first_price}; each further {step}: {step_price}",
	"unit.kg":                "{n} kg",
	"unit.g":                 "{n} g",
	"money":                  "¥{yuan}",
}
