// Package messages holds the sentences operators read, keyed by stable
// code, one table per language. Simplified Chinese is the default; the
// English table sits beside it. A sentence names what happened and what to
// do; {name} placeholders take the error's arguments.
package messages

import (
	"strings"
)

// Lang is a language tag of a table.
type Lang string

const (
	ZH Lang = "zh-CN"
	EN Lang = "en"
)

var tables = map[Lang]map[string]string{ZH: zh, EN: en}

// Text renders code's sentence in lang, falling back to Chinese, then to
// the generic internal-error sentence.
func Text(lang Lang, code string, args map[string]string) string {
	t, ok := tables[lang]
	if !ok {
		t = zh
	}
	s, ok := t[code]
	if !ok {
		if s, ok = zh[code]; !ok {
			s = t["internal"]
		}
	}
	for k, v := range args {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return s
}

// Has reports whether code has a sentence in every table.
func Has(code string) bool {
	for _, t := range tables {
		if _, ok := t[code]; !ok {
			return false
		}
	}
	return true
}

// Pick chooses a table from an Accept-Language header: English only when
// the client prefers it over Chinese.
func Pick(acceptLanguage string) Lang {
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

var zh = map[string]string{
	"bad_request":          "请求内容不完整或格式不对，请检查后重试。",
	"not_found":            "没有这个功能地址。",
	"method_not_allowed":   "这个功能地址不支持这种请求方式。",
	"waybill_invalid":      "运单号无法识别，请重新扫描或手工输入。",
	"carrier_unknown":      "无法判断快递公司，请选择快递公司。",
	"carrier_mismatch":     "运单号与所选快递公司的格式不符，请核对。",
	"receiver_required":    "清单中没有这个运单，请输入收件人手机号。",
	"phone_invalid":        "手机号应为 11 位数字，请核对。",
	"no_shelves":           "还没有设置货架，请店主先设置货架。",
	"shelves_full":         "所有货架都满了，请先处理滞留件或增加货架。",
	"shelf_unknown":        "没有 {shelf} 号货架，请核对货架号。",
	"shelf_in_use":         "{shelf} 号货架第 {layer} 层还有包裹，不能删除或缩小。",
	"shelves_invalid":      "货架设置不正确：货架号 1-99，每架 1-9 层，每层 1-500 件，货架号不能重复。",
	"parcel_not_found":     "没有找到这个包裹，请核对取件码或运单号。",
	"parcel_picked_up":     "该包裹已于 {when} 由 {by} 取走，不能重复取件。",
	"parcel_returning":     "该包裹已于 {when} 标记退回，不在货架上。",
	"parcel_problem":       "该包裹是问题件，请先处理问题再取件。",
	"parcel_not_on_shelf":  "该包裹不在本站货架上。",
	"query_invalid":        "请输入取件码、手机尾号 4 位、手机号或扫描运单号。",
	"collector_required":   "代取时请填写代取人姓名和手机号。",
	"id_invalid":           "身份证号码有误，请核对后重新输入或重新刷卡。",
	"sender_id_required":   "寄件必须实名，请刷身份证或输入身份证号。",
	"name_required":        "请填写寄件人和收件人姓名。",
	"weight_invalid":       "请填写正确的重量（1 克到 100 公斤）。",
	"no_tariff":            "没有该快递公司寄往 {province} 的价格，请联系县中心。",
	"no_waybill_range":     "没有可用的运单号段，请手工输入运单号。",
	"waybill_exists":       "运单号 {waybill} 已经用过，请核对。",
	"reason_invalid":       "请选择问题原因。",
	"reason_text_required": "选择“其他”时请写明原因。",
	"date_invalid":         "日期不正确，请选择今天或以前的日期。",
	"day_already_closed":   "{date} 已经日结过了。",
	"settings_invalid":     "设置不正确：提醒天数至少 1 天，退回天数不少于提醒天数且不超过 90 天；贵重包裹的金额在 1 到 1000000 元之间。",
	"login_failed":         "用户名或密码错误，还可以再试 {left} 次。",
	"account_locked":       "密码错误次数过多，账号已锁定到 {until}，或请店主解锁。",
	"account_disabled":     "该账号已停用，请联系店主。",
	"unauthorized":         "请先登录。",
	"forbidden":            "这项操作需要店主权限。",
	"password_weak":        "密码至少 8 位，并包含大写字母、小写字母、数字、符号中的三类。",
	"pin_invalid":          "PIN 码应为 6 位数字。",
	"username_invalid":     "用户名应为 2-32 位小写字母、数字或 . _ -。",
	"username_taken":       "用户名 {username} 已存在，请换一个。",
	"role_invalid":         "角色只能是店主或店员。",
	"operator_not_found":   "没有这个账号。",
	"last_owner":           "站点至少要保留一个可用的店主账号。",
	"disk_full":            "磁盘已满，这次操作没有保存。请清理磁盘或联系技术员。",
	"db_locked":            "数据库正忙，这次操作没有保存，请稍后再试。",
	"db_readonly":          "数据无法写入（只读），这次操作没有保存，请联系技术员。",
	"db_failure":           "存储出错，这次操作没有保存，请联系技术员。",
	"internal":             "系统出错，这次操作没有保存，请重试或联系技术员。",

	// The county centre (centre mode).
	"not_centre":                "分拨中心功能只在县分拨中心的电脑上使用，这台电脑是驿站。",
	"trip_not_found":            "没有车次 {trip}，请核对车次号，或等县中心下发车次后再试。",
	"trip_invalid":              "车次号不正确，请扫描或选择车次。",
	"trip_cancelled":            "车次 {trip} 已取消，请装到其他车次。",
	"trip_departed":             "车次 {trip} 已于 {when} 发车，不能再装车。",
	"parcel_not_scanned":        "包裹 {waybill} 还没有在分拨中心扫描入库，请先扫描入库再装车。",
	"parcel_unresolved":         "包裹 {waybill} 待分配，还不知道送往哪个驿站。确实要装这趟车，请勾选“强制装车”。",
	"load_wrong_trip":           "包裹 {waybill} 应送往 {station}，车次 {trip} 不经过该站。请核对；确实要装这趟车，请勾选“强制装车”。",
	"parcel_loaded_elsewhere":   "包裹 {waybill} 已装上车次 {trip}。要改装到这趟车，请勾选“强制装车”。",
	"parcel_departed":           "包裹 {waybill} 已随车次 {trip} 于 {when} 发车。如果是退回件，请在“收件”中按退回登记。",
	"bag_invalid":               "袋号或笼号应为 1-32 位字母、数字或 - _。",
	"direction_invalid":         "请选择收件类型：寄出件或退回件。",
	"station_invalid":           "驿站编号不正确，应类似 ST-V0101。",
	"parcel_not_collected":      "包裹 {waybill} 还没有收件登记，不能交接，请先扫描收件。",
	"parcel_collected":          "包裹 {waybill} 已于 {when} 收件登记，要交给快递公司，请放到交接区，不要分拣。",
	"parcel_handed_over":        "包裹 {waybill} 已于 {when} 交给{carrier}（交接单 {list}）。",
	"handover_carrier_mismatch": "包裹 {waybill} 属于{carrier}，不能放进这家快递公司的交接单。",
	"handover_empty":            "交接单里没有包裹，请先选择要交接的包裹。",
	"handover_not_found":        "没有交接单 {list}，请核对单号。",
	"print_job_not_found":       "没有编号为 {id} 的打印任务。",
	"state_invalid":             "没有“{status}”这种状态，请从列表中选择。",
	"courier_invalid":           "快递员姓名最多 32 个字，且不能含特殊字符。",
	// What the sorter reads in large type after a scan (not errors).
	"centre_sorted":     "{station_name} · {line_name} {departure} 发车 · 分拣码 {sort_code}",
	"centre_no_trip":    "{station_name} · 暂无经过该站的车次，请放到待发区 · 分拣码 {sort_code}",
	"centre_unresolved": "待分配：还不知道送往哪个驿站，请放到待分配区，由调度指定。",
	"centre_repeat":     "已扫描过（{when}），分拣结果不变；标签可在打印任务中补打。",
	"centre_resorted":   "分拣结果已更新，请按新标签分拣。",

	// The station's devices (edge/devices).
	"idcard_none":     "读卡器上没有身份证，请把身份证放在读卡器上，读出后再提交。",
	"idcard_expired":  "这张身份证已过有效期（{valid_to}），请寄件人换一张有效证件。",
	"device_absent":   "没找到设备，请检查 USB 线或网线和电源；插好后会自动重新连接。",
	"device_ready":    "设备正常。",
	"device_starting": "正在连接设备……",
	"device_error":    "设备出错，请按提示处理；处理好后会自动重试。",
	"device_none":     "没有配置这种设备，请技术员在配置文件 devices 中添加。",
	"print_failed":    "打印失败：请看打印机是否开着、有纸、盖子合好，再点一次。",
	"label_kind":      "没有这种标签，请选择取件码（pickup）、运单（waybill）或分拣（sort）标签。",

	// Undoing the last inbound scan; the ID card at pickup.
	"undo_nothing":          "没有可以撤销的入库：您还没有扫描入库包裹。",
	"undo_not_last":         "只能撤销您最后扫的一件（{last}）；其他包裹请用问题件或退件处理。",
	"undo_moved":            "{waybill} 入库后已取件、标为问题件、退回或在盘点中移位，不能撤销；请用问题件或退件处理。",
	"undo_done":             "{waybill} 的入库已经撤销过了；要重新入库请再扫一次。",
	"undo_too_late":         "只能撤销今天扫的最后一件；{waybill} 是 {when} 入库的，请用问题件或退件处理。",
	"undo_day_closed":       "{date} 已经日结，{waybill} 已算在当天的入库里，不能撤销；请用问题件或退件处理。",
	"idcard_required_proxy": "代人取件须读取代取人的身份证：请把身份证放在读卡器上，点「读代取人身份证」，读出后再交付。",
	"idcard_required_value": "包裹 {waybill} 申报价值 {value} 元，达到 {limit} 元须读取取件人身份证：请把身份证放在读卡器上，点「读取件人身份证」，读出后再交付。",
}

var en = map[string]string{
	"bad_request":          "The request is incomplete or malformed; check it and try again.",
	"not_found":            "No such address.",
	"method_not_allowed":   "This address does not take this kind of request.",
	"waybill_invalid":      "The waybill number is not recognized; scan again or type it in.",
	"carrier_unknown":      "Cannot tell the carrier; choose the carrier.",
	"carrier_mismatch":     "The waybill number does not fit the chosen carrier; check it.",
	"receiver_required":    "This waybill is not in the manifest; enter the receiver's phone.",
	"phone_invalid":        "A phone number has 11 digits; check it.",
	"no_shelves":           "No shelves are set up yet; the owner must set them up first.",
	"shelves_full":         "All shelves are full; handle overdue parcels or add shelves.",
	"shelf_unknown":        "There is no shelf {shelf}; check the number.",
	"shelf_in_use":         "Shelf {shelf} layer {layer} still holds parcels; it cannot be removed or shrunk.",
	"shelves_invalid":      "Invalid shelves: numbers 1-99, 1-9 layers, 1-500 parcels a layer, no repeats.",
	"parcel_not_found":     "Parcel not found; check the pickup code or waybill.",
	"parcel_picked_up":     "This parcel was picked up at {when} by {by}; it cannot be picked up again.",
	"parcel_returning":     "This parcel was marked for return at {when}; it is not on the shelves.",
	"parcel_problem":       "This is a problem parcel; resolve the problem before pickup.",
	"parcel_not_on_shelf":  "This parcel is not on this station's shelves.",
	"query_invalid":        "Enter a pickup code, the phone's last 4 digits, a phone number, or scan a waybill.",
	"collector_required":   "For a proxy pickup, enter the proxy's name and phone.",
	"id_invalid":           "The ID number is wrong; check it or read the card again.",
	"sender_id_required":   "Sending requires the sender's real name: read the ID card or enter the number.",
	"name_required":        "Enter the sender's and receiver's names.",
	"weight_invalid":       "Enter a weight from 1 g to 100 kg.",
	"no_tariff":            "No price for this carrier to {province}; contact the county centre.",
	"no_waybill_range":     "No waybill numbers left; enter the waybill number by hand.",
	"waybill_exists":       "Waybill {waybill} is already used; check it.",
	"reason_invalid":       "Choose a problem reason.",
	"reason_text_required": "Describe the reason when choosing \"other\".",
	"date_invalid":         "Invalid date; choose today or an earlier day.",
	"day_already_closed":   "{date} is already closed.",
	"settings_invalid":     "Invalid settings: reminder after at least 1 day, return no sooner than the reminder and within 90 days; a valuable parcel's amount between 1 and 1000000 yuan.",
	"login_failed":         "Wrong user name or password; {left} tries left.",
	"account_locked":       "Too many wrong passwords: the account is locked until {until}, or ask the owner to unlock it.",
	"account_disabled":     "This account is disabled; ask the owner.",
	"unauthorized":         "Please log in.",
	"forbidden":            "This needs the owner's rights.",
	"password_weak":        "A password has at least 8 characters from three of: upper case, lower case, digits, symbols.",
	"pin_invalid":          "A PIN has 6 digits.",
	"username_invalid":     "A user name has 2-32 lower-case letters, digits or . _ -.",
	"username_taken":       "User name {username} exists; choose another.",
	"role_invalid":         "The role is owner or clerk.",
	"operator_not_found":   "No such account.",
	"last_owner":           "The station must keep one enabled owner account.",
	"disk_full":            "The disk is full; this action was not saved. Free some space or call a technician.",
	"db_locked":            "The database is busy; this action was not saved. Try again shortly.",
	"db_readonly":          "The data cannot be written (read-only); this action was not saved. Call a technician.",
	"db_failure":           "A storage error; this action was not saved. Call a technician.",
	"internal":             "A system error; this action was not saved. Try again or call a technician.",

	// The county centre (centre mode).
	"not_centre":                "Centre functions run only on the county centre's computer; this one is a station.",
	"trip_not_found":            "No trip {trip}; check the trip number, or try again once the county has sent the trips.",
	"trip_invalid":              "Invalid trip number; scan or choose the trip.",
	"trip_cancelled":            "Trip {trip} is cancelled; load the parcel on another trip.",
	"trip_departed":             "Trip {trip} left at {when}; nothing more can be loaded on it.",
	"parcel_not_scanned":        "Parcel {waybill} has not been scanned in at the centre; scan it in before loading.",
	"parcel_unresolved":         "Parcel {waybill} has no destination yet. To load it on this trip anyway, tick \"force load\".",
	"load_wrong_trip":           "Parcel {waybill} goes to {station}, which trip {trip} does not stop at. Check it; to load it anyway, tick \"force load\".",
	"parcel_loaded_elsewhere":   "Parcel {waybill} is already loaded on trip {trip}. To move it to this trip, tick \"force load\".",
	"parcel_departed":           "Parcel {waybill} left on trip {trip} at {when}. If it has come back, receive it as a return.",
	"bag_invalid":               "A bag or cage id has 1-32 letters, digits, - or _.",
	"direction_invalid":         "Choose what is received: an outbound parcel or a return.",
	"station_invalid":           "Invalid station id; it looks like ST-V0101.",
	"parcel_not_collected":      "Parcel {waybill} has not been received; scan it in as received before handing it over.",
	"parcel_collected":          "Parcel {waybill} was received for its carrier at {when}; put it in the handover area, do not sort it.",
	"parcel_handed_over":        "Parcel {waybill} was handed to {carrier} at {when} (list {list}).",
	"handover_carrier_mismatch": "Parcel {waybill} belongs to {carrier}; it cannot go on this carrier's list.",
	"handover_empty":            "The handover list is empty; choose the parcels to hand over.",
	"handover_not_found":        "No handover list {list}; check the number.",
	"print_job_not_found":       "No print job number {id}.",
	"state_invalid":             "There is no status \"{status}\"; choose one from the list.",
	"courier_invalid":           "A courier's name has at most 32 characters and no control characters.",
	// What the sorter reads in large type after a scan (not errors).
	"centre_sorted":     "{station_name} · {line_name} leaves {departure} · sort code {sort_code}",
	"centre_no_trip":    "{station_name} · no trip goes there yet: put it in the waiting area · sort code {sort_code}",
	"centre_unresolved": "Unresolved: no destination yet. Put it in the unresolved area; a dispatcher will assign it.",
	"centre_repeat":     "Already scanned ({when}); the sort decision stands. Reprint the label from the print jobs if needed.",
	"centre_resorted":   "The sort decision has changed: sort by the new label.",

	// The station's devices (edge/devices).
	"idcard_none":     "No ID card on the reader: lay the card on the reader and submit once it is read.",
	"idcard_expired":  "This ID card has expired ({valid_to}); the sender must show a valid one.",
	"device_absent":   "Device not found: check its USB or network cable and power; it reconnects by itself once plugged in.",
	"device_ready":    "The device works.",
	"device_starting": "Connecting to the device…",
	"device_error":    "The device has a fault: see to it as told; it is tried again by itself.",
	"device_none":     "No such device is configured; a technician adds it under devices in the config file.",
	"print_failed":    "Printing failed: check the printer is on, has labels and its cover is shut, then tap again.",
	"label_kind":      "No such label: choose pickup, waybill or sort.",

	// Undoing the last inbound scan; the ID card at pickup.
	"undo_nothing":          "Nothing to undo: you have not scanned a parcel in.",
	"undo_not_last":         "Only your last scan ({last}) can be undone; mark other parcels as problems or returns.",
	"undo_moved":            "{waybill} was picked up, marked a problem, returned or moved by a stocktake since it was scanned in, and cannot be undone; mark it as a problem or return it.",
	"undo_done":             "The inbound of {waybill} is undone already; scan it again to shelve it.",
	"undo_too_late":         "Only today's last scan can be undone; {waybill} was scanned in at {when}: mark it as a problem or return it.",
	"undo_day_closed":       "{date} is closed and counts {waybill} among its scans, so it cannot be undone: mark it as a problem or return it.",
	"idcard_required_proxy": "A proxy pickup needs the proxy's ID card read: lay the card on the reader, tap Read the collector's ID card, then hand out.",
	"idcard_required_value": "Parcel {waybill} is declared at {value} yuan; from {limit} yuan the collector's ID card must be read: lay the card on the reader, tap Read the receiver's ID card, then hand out.",
}
