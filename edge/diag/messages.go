package diag

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"cunyou/edge/messages"
	"cunyou/idnum"
	"cunyou/mask"
)

// Msg is a sentence of the report: a key of the message table and its
// fmt arguments. Arguments that are Msgs, durations (dur), times (when) or
// sizes (size) are rendered in the report's language first.
type Msg struct {
	Key  string
	Args []any
}

// M is the sentence key with args.
func M(key string, args ...any) Msg { return Msg{Key: key, Args: args} }

// Plain is text that reads the same in every language, such as an error
// a driver returned. Phone and ID numbers in it are masked when printed.
func Plain(s string) Msg { return Msg{Key: keyPlain, Args: []any{s}} }

// IsZero reports whether m says nothing.
func (m Msg) IsZero() bool { return m.Key == "" }

const (
	keyPlain = "plain"
	keyJoin  = "join"
)

// join makes one sentence of several, skipping empty ones.
func join(ms ...Msg) Msg {
	var args []any
	for _, m := range ms {
		if !m.IsZero() {
			args = append(args, m)
		}
	}
	switch len(args) {
	case 0:
		return Msg{}
	case 1:
		return args[0].(Msg)
	}
	return Msg{Key: keyJoin, Args: args}
}

// Text renders m in lang (Chinese for a language without a table), with
// phone and ID numbers masked.
func (m Msg) Text(lang messages.Lang) string { return scrub(m.text(lang)) }

func (m Msg) text(lang messages.Lang) string {
	switch m.Key {
	case "":
		return ""
	case keyPlain:
		return fmt.Sprint(m.Args...)
	case keyJoin:
		parts := make([]string, len(m.Args))
		for i, a := range m.Args {
			parts[i] = fmt.Sprint(render(lang, a))
		}
		return strings.Join(parts, sentence(lang, "sep"))
	}
	args := make([]any, len(m.Args))
	for i, a := range m.Args {
		args[i] = render(lang, a)
	}
	return fmt.Sprintf(sentence(lang, m.Key), args...)
}

// localized is an argument that reads differently in each language.
type localized interface {
	text(lang messages.Lang) string
}

func render(lang messages.Lang, a any) any {
	switch v := a.(type) {
	case localized:
		return v.text(lang)
	case error:
		return v.Error()
	}
	return a
}

// sentence is key's format in lang, falling back to Chinese, then to the
// key itself (a missing key shows, it never breaks the report).
func sentence(lang messages.Lang, key string) string {
	if s, ok := table[lang][key]; ok {
		return s
	}
	if s, ok := table[messages.ZH][key]; ok {
		return s
	}
	return key
}

// dur is a duration as a person says it: "2 天 3 小时", "2 d 3 h".
type dur time.Duration

func (d dur) text(lang messages.Lang) string {
	t := time.Duration(d).Abs()
	if t >= time.Second {
		t = t.Round(time.Second)
	}
	units := []struct {
		size time.Duration
		key  string
	}{{24 * time.Hour, "unit.day"}, {time.Hour, "unit.hour"}, {time.Minute, "unit.minute"}, {time.Second, "unit.second"}}
	var parts []string
	for _, u := range units {
		if n := t / u.size; n > 0 && len(parts) < 2 {
			parts = append(parts, fmt.Sprintf(sentence(lang, u.key), int64(n)))
			t -= n * u.size
		} else if len(parts) > 0 {
			break // "2 天 3 小时", never "2 天 0 小时 5 秒"
		}
	}
	if len(parts) == 0 {
		return fmt.Sprintf(sentence(lang, "unit.ms"), t.Milliseconds())
	}
	return strings.Join(parts, " ")
}

// when is a moment in the station's local time.
type when time.Time

func (w when) text(messages.Lang) string {
	t := time.Time(w)
	if t.IsZero() {
		return "—"
	}
	return t.Format("2006-01-02 15:04:05")
}

// size is a number of bytes in binary units.
type size int64

func (s size) text(messages.Lang) string {
	v := float64(s)
	for _, u := range []string{"B", "KiB", "MiB", "GiB"} {
		if v < 1024 || u == "GiB" {
			if u == "B" {
				return fmt.Sprintf("%d B", int64(s))
			}
			return fmt.Sprintf("%.1f %s", v, u)
		}
		v /= 1024
	}
	return ""
}

// numRe finds each run of digits (an ID number's may end in X). The
// runs are judged one by one: a pattern that consumed the character after
// a number as its boundary would miss the next number of a list
// ("13800138000 13912345678").
var numRe = regexp.MustCompile(`[0-9]+[Xx]?`)

// scrub masks mainland mobile numbers and ID numbers in text that came
// from elsewhere (an error message, a driver's answer): the report is
// read over the shoulder and pasted into chats.
func scrub(s string) string {
	var b strings.Builder
	last := 0
	for _, ix := range numRe.FindAllStringIndex(s, -1) {
		i, j := ix[0], ix[1]
		run := s[i:j]
		digits := strings.TrimRight(run, "Xx")
		var masked string
		switch {
		case len(run) == 18 && (j == len(s) || !isAlnum(s[j])):
			masked = idnum.Mask(run)
		case len(digits) == 11 && digits[0] == '1' && digits[1] >= '3':
			masked = mask.Phone(digits) + run[len(digits):]
		default:
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(masked)
		last = j
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func isAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// table holds every sentence of the report, one map per language; the
// keys of each language are the same (a test checks it). Fixes are plain
// instructions for a technician on the station's PC.
var table = map[messages.Lang]map[string]string{
	messages.ZH: {
		"sep":         "；",
		"unit.day":    "%d 天",
		"unit.hour":   "%d 小时",
		"unit.minute": "%d 分钟",
		"unit.second": "%d 秒",
		"unit.ms":     "%d 毫秒",

		"status.ok":   "正常",
		"status.warn": "警告",
		"status.fail": "故障",
		"head.title":  "村邮站点诊断",
		"head.node":   "站点 %s",
		"head.nonode": "站点未知",
		"head.fix":    "处理：",
		"head.sum":    "结果：%d 项正常，%d 项警告，%d 项故障",

		"version.ok":          "cunyou-edge %s，数据库结构 %s（本程序 %d），同步协议 %d–%d",
		"version.hub":         "县中心 cunyou-hub %s，协议 %d–%d",
		"version.db_newer":    "数据库结构 %d 比本程序认识的 %d 新：数据库由更新版本的 cunyou-edge 写入",
		"version.db_older":    "数据库结构 %d 旧于本程序的 %d：正在运行的服务还是旧版本，或新版本还没启动过",
		"version.hub_newer":   "县中心只接受协议 %d 以上，本程序最高 %d",
		"version.hub_older":   "县中心只会协议 %d，本程序至少要 %d",
		"fix.version_db":      "安装写入该数据库的 cunyou-edge 版本或更新的版本",
		"fix.version_restart": "重启服务（systemctl restart cunyou-edge），新版本会先备份再升级数据库",
		"fix.version_edge":    "升级本站的 cunyou-edge",
		"fix.version_hub":     "请县中心升级 cunyou-hub",

		"config.ok":                    "配置文件 %s，数据目录 %s",
		"config.default":               "没有配置文件：使用默认设置和环境变量，数据目录 %s",
		"config.load":                  "配置文件 %s 读不了：%v",
		"config.invalid":               "设置有误：%v",
		"config.remote":                "收件页面对网络开放（allow_remote，监听 %s）",
		"config.normal":                "synchronous 为 NORMAL：断电时可能丢掉最后几笔操作",
		"config.hub_url":               "hub_url %s 覆盖了注册时的地址 %s",
		"fix.config":                   "按提示修改配置文件中的这个字段（样例见 packaging/edge.sample.json），再运行 cunyou-edge diag",
		"fix.config_remote":            "除非确实需要别的电脑访问，去掉 allow_remote，listen 用 127.0.0.1",
		"fix.config_normal":            "把 synchronous 改回 FULL",
		"db.missing":                   "数据目录 %s 里没有数据库 edge.db",
		"db.uninitialized":             "数据库 %s 还没有站点身份",
		"db.open":                      "数据库打不开：%v",
		"db.denied":                    "没有权限读取数据库 %s",
		"db.corrupt":                   "数据库损坏：%v",
		"db.check_ok":                  "%s 通过",
		"db.check_bad":                 "%s 发现问题：%s",
		"db.not_checked":               "未检查：数据库打不开",
		"fix.db_missing":               "新站点运行 cunyou-edge init --node 站点编号 --data %[1]s（或 cunyou-edge enroll --hub 地址 --code 注册码 --data %[1]s）；已有站点请检查 --data / --config 是否指向正确的目录",
		"fix.db_denied":                "用服务账号（sudo -u cunyou）或 root 运行 cunyou-edge diag",
		"fix.db_restore":               "停止服务，把整个数据目录复制一份留底，再用最近的备份恢复：cunyou-edge restore 备份文件，然后运行 cunyou-edge check",
		"fix.db_first":                 "先处理 db.integrity",
		"db.size":                      "edge.db %s，磁盘可用 %s",
		"db.size_nofree":               "edge.db %s",
		"db.size_large":                "edge.db %s，远大于一个站点几年的数据",
		"db.size_nocopy":               "edge.db %s，磁盘只剩 %s：放不下一份备份或升级前的副本",
		"fix.db_large":                 "联系技术员检查是哪张表变大了（cunyou-edge check），并确认同步正常（已确认的操作 7 天后会清理）",
		"fix.disk_room":                "腾出至少 %s 磁盘空间：删掉旧备份和下载的文件，或换更大的硬盘",
		"wal.none":                     "没有 WAL 文件（服务没在运行，数据库已正常关闭）",
		"wal.ok":                       "WAL 文件 %s",
		"wal.big":                      "WAL 文件 %s，超过 %s：检查点一直没能完成",
		"fix.wal":                      "关掉一直开着这个数据库的其他程序（如 sqlite3 窗口、备份软件），然后重启服务：systemctl restart cunyou-edge",
		"disk.ok":                      "%s 可用（共 %s），%s",
		"disk.low":                     "%s 只剩 %s 可用（共 %s）",
		"disk.unknown":                 "读不到 %s 的剩余空间：%v",
		"fix.disk":                     "清理磁盘（旧备份、下载的文件、日志），或换更大的硬盘；磁盘满了就不能收件",
		"fix.disk_unknown":             "用系统工具（df -h / 资源管理器）查看磁盘剩余空间",
		"backup.none":                  "%s 和 %s 里都没有备份",
		"backup.ok":                    "最近的备份 %s，%s 前（%s）",
		"backup.old":                   "最近的备份 %s 已是 %s 前（%s）",
		"fix.backup":                   "运行 cunyou-edge backup --data %s %s（目录要先建好）；以后每天备份一次，并另存一份到 U 盘",
		"clock.ok":                     "本机时钟与县中心相差 %s（%s）",
		"clock.off":                    "本机时钟比县中心%s %s（%s）",
		"clock.ahead":                  "快",
		"clock.behind":                 "慢",
		"clock.src_hello":              "刚才同步握手测得",
		"clock.src_date":               "按县中心回答的 Date 头测得，精度约 1 秒",
		"clock.src_stored":             "上次同步时测得",
		"clock.unmeasured":             "本机时间 %s；未能与县中心比较",
		"clock.insane":                 "本机日期 %s 明显不对",
		"clock.went_back":              "数据库里最后一笔操作的时间 %s 比本机时钟还晚 %s：电脑时间被往回调过",
		"fix.clock":                    "校准电脑的日期和时间并打开自动校时（timedatectl set-ntp true / Windows 设置“自动设置时间”）；日期总是回到很早，换主板电池",
		"fix.clock_measure":            "联网后再运行 cunyou-edge diag",
		"hub.none":                     "本站没有注册到县中心，也没有设置 hub_url",
		"hub.ok":                       "县中心 %s 可达（%s，%s）",
		"hub.status":                   "县中心 %s 回答 HTTP %d",
		"hub.dns":                      "找不到县中心地址 %s：%v",
		"hub.refused":                  "县中心 %s 拒绝连接",
		"hub.timeout":                  "连接县中心 %s 超时（%s）",
		"hub.neterr":                   "连不上县中心 %s：%v",
		"hub.tls_failed":               "连得上 %s，但证书验证没通过（见 hub.tls）",
		"hub.not_checked":              "未检查：连不上县中心",
		"hub.no_url":                   "未检查：没有县中心地址",
		"hub.not_enrolled":             "本站还没有注册（没有令牌）",
		"fix.enroll":                   "运行 cunyou-edge enroll --hub 县中心地址 --code 注册码（注册码向县中心要）",
		"fix.hub_net":                  "检查网络（4G 路由器、网线、信号）；确认 hub_url 拼写；数据都存在本机，联网后会自动补传",
		"fix.hub_refused":              "县中心服务没运行或端口不对：确认 hub_url 的端口，并联系县中心",
		"fix.hub_status":               "联系县中心技术员，说明上面的 HTTP 状态",
		"fix.see_reach":                "先处理 hub.reach",
		"fix.see_tls":                  "按 hub.tls 的处理办法做",
		"tls.ok":                       "证书有效，由 %s 签发，%s 到期",
		"tls.soon":                     "证书 %s 到期，只剩 %s",
		"tls.plain_local":              "本机地址，用明文 HTTP",
		"tls.plain":                    "县中心地址是明文 HTTP：令牌和数据在网上不加密",
		"tls.ca_read":                  "CA 文件 %s 读不了：%v",
		"tls.ca_pem":                   "CA 文件 %s 里没有 PEM 证书",
		"tls.unknown_ca":               "县中心的证书由 %s 签发，本机不信任它",
		"tls.unknown_ca_own":           "县中心的证书由 %s 签发，不是 CA 文件 %s 里的机构",
		"tls.expired":                  "县中心的证书已于 %s 过期（本机时间 %s）",
		"tls.not_yet":                  "县中心的证书 %s 才生效，本机时间是 %s",
		"tls.name":                     "证书上的名称（%s）与地址中的 %s 不符",
		"tls.other":                    "TLS 握手失败：%v",
		"fix.tls_plain":                "改用 https 地址（重新 enroll --hub https://… 或设置 hub_url）",
		"fix.tls_ca":                   "把县中心的 CA 证书（PEM 文件）放到本机，在配置中设置 ca_file（或 enroll 时用 --ca）",
		"fix.tls_ca_wrong":             "向县中心要正确的 CA 证书文件，替换 ca_file",
		"fix.tls_renew":                "请县中心更换证书；如果本机时间不对，先校准时间",
		"fix.tls_clock":                "本机时间不对：先校准电脑的日期和时间",
		"fix.tls_name":                 "hub_url 改用证书上的名称（见上），或请县中心换一张带这个名称的证书",
		"fix.tls_other":                "联系县中心技术员，说明上面的错误",
		"cred.ok":                      "县中心认得本站 %s 的令牌",
		"cred.unauthorized":            "县中心不接受本站的令牌（%s）",
		"cred.wrong_node":              "令牌属于别的站点：%s",
		"cred.version":                 "协议版本不兼容：%s",
		"cred.other":                   "握手失败：%s",
		"cred.perm":                    "数据库文件权限是 %04o：本机其他账号能读到令牌",
		"fix.cred_reenroll":            "向县中心要新的注册码，重新运行 cunyou-edge enroll --hub 地址 --code 注册码",
		"fix.cred_wrongnode":           "确认 --data 指向本站的数据目录；再向县中心要本站的注册码重新 enroll",
		"fix.cred_perm":                "运行 chmod 600 %s*",
		"backlog.ok":                   "%d 条操作、%d 张照片等待上传",
		"backlog.hub":                  "县中心已收到本期操作到第 %d 条（本机共 %d 条）",
		"backlog.big":                  "%d 条操作、%d 张照片等待上传，积压较多",
		"backlog.unenrolled":           "%d 条操作等待上传，但本站还没注册",
		"fix.backlog":                  "见 sync.oldest；一直不通的村子用 cunyou-edge sync export 文件 让司机带 U 盘到县中心",
		"oldest.none":                  "没有等待上传的操作；上次成功同步：%s",
		"oldest.age":                   "最早一条待上传的操作已等了 %s（%s）；上次成功同步：%s",
		"oldest.error":                 "最近一次同步错误 %s（%s）：%s",
		"oldest.never":                 "从未",
		"fix.sync_serve":               "启动服务（systemctl start cunyou-edge），同步随服务运行",
		"fix.sync_now":                 "运行 cunyou-edge sync now 查看具体错误",
		"dead.none":                    "县中心没有本站的死信或隔离的操作",
		"dead.some":                    "县中心有本站 %d 条死信（永远无法应用的操作）",
		"dead.quarantined":             "县中心隔离了本站 %d 条操作（同一编号、内容不同）",
		"dead.local":                   "本站不保存死信记录，县中心的统计也读不到（%s）；%s",
		"dead.last_none":               "最近没有同步错误",
		"dead.last":                    "最近一次同步错误：%s",
		"fix.dead":                     "请县中心运行 cunyou-hub deadletters --station %s 查看原因（多半要升级 cunyou-hub 或 cunyou-edge）",
		"fix.quarantine":               "可能有两份本站数据库在同步（复制过的硬盘，或没用 cunyou-edge restore 恢复的备份）：只留一台在用，并请县中心运行 cunyou-hub station list 核对",
		"serve.ok":                     "cunyou-edge serve 正在运行（%s）",
		"serve.down":                   "cunyou-edge serve 没有运行（%s 无应答）：收件页面和同步都停着",
		"serve.other":                  "%s 上运行的是别的站点 %s",
		"fix.serve":                    "启动服务：systemctl start cunyou-edge（Windows：在“服务”里启动 cunyou-edge）",
		"fix.serve_other":              "检查 listen 设置：两个站点不能用同一个地址",
		"devices.none":                 "没有配置设备",
		"fix.devices_none":             "在配置文件 devices 中添加设备",
		"device.panic":                 "检查程序出错：%s",
		"device.no_check":              "这个设备没有检查程序",
		"device.timeout":               "%s 内没有应答",
		"device.absent":                "没找到设备（%s）",
		"device.open_failed":           "设备打不开：%v",
		"device.busy":                  "设备被其他程序占用（%s）",
		"device.handshake":             "设备没有正确应答：%v",
		"device.sam_id":                "已连接，安全模块（SAM）编号 %s",
		"device.printer":               "已连接，打印机状态：%s",
		"device.paper_out":             "打印机缺纸",
		"device.head_open":             "打印机上盖没合上",
		"device.scanner":               "最近一次扫码在 %s 前",
		"device.scanner_old":           "已有 %s 没收到扫码",
		"device.snapshot":              "拍照正常：%d×%d，%s",
		"device.ok":                    "正常：%s",
		"modem.in_use":                 "%s 上的调制解调器由正在运行的服务使用，没有打开它检查（停止服务后再运行 diag 可查看它）",
		"modem.permission":             "没有权限打开调制解调器端口 %s",
		"modem.silent":                 "%s 上没有调制解调器应答 AT 指令",
		"modem.sim_absent":             "调制解调器里没有 SIM 卡",
		"modem.sim_locked":             "SIM 卡被 %s 码锁住",
		"modem.sim":                    "SIM 卡状态：%s",
		"modem.denied":                 "运营商拒绝这张 SIM 卡注册",
		"modem.unregistered":           "调制解调器没有注册到网络（%s）",
		"modem.signal_unknown":         "%s 测不到信号",
		"modem.weak":                   "信号弱",
		"modem.not_ready":              "现在发不了短信：%s",
		"modem.ok":                     "%s，%s %s，信号 %d dBm（CSQ %d）",
		"fix.modem_permission":         "把服务账号加入 dialout 组（usermod -aG dialout cunyou），或用 root 运行 cunyou-edge diag",
		"fix.modem_sim":                "断电后插好 SIM 卡（芯片朝下，卡槽推到底），再插上调制解调器",
		"fix.modem_pin":                "把 SIM 卡放进手机里取消 PIN 码（PUK 锁住要找运营商），再装回调制解调器",
		"fix.modem_operator":           "SIM 卡欠费或停机：联系运营商",
		"fix.modem_antenna":            "接好天线，把调制解调器或天线挪到窗边、高处；还不行就换运营商的卡",
		"fix.device_cable":             "检查设备的 USB 线（或网线）和电源，拔下再插上，然后重新运行 cunyou-edge diag",
		"fix.device_busy":              "关掉占用设备的其他程序（如厂家自带的软件），再重启服务",
		"fix.device_paper":             "装上打印纸或碳带，合上上盖",
		"fix.device_scan":              "扫一个条码试试；扫不出来就检查扫码枪的线和设置",
		"fix.device_report":            "把这份报告发给技术员",
		"fix.sync.network":             "连不上县中心：检查网络（4G 路由器、网线）；数据都存在本机，联网后自动补传",
		"fix.sync.timeout":             "网络太慢或经常断：检查信号；程序会自动重试",
		"fix.sync.local":               "本机数据库或磁盘出错：先处理上面的 db 和 disk 检查",
		"fix.sync.watchdog":            "同步长时间没有进展而自动重启过：反复出现请把这份报告发给技术员",
		"fix.sync.pruned":              "县中心丢了本站已经清理掉的旧操作，无法自动补传：联系县中心技术员",
		"fix.sync.diverged":            "另一份本站数据库也在同步（复制过的硬盘？）：只留一台在用，联系县中心技术员",
		"fix.sync.not_enrolled":        "运行 cunyou-edge enroll --hub 县中心地址 --code 注册码",
		"fix.sync.unauthorized":        "县中心不认本站的令牌：向县中心要新的注册码，重新 enroll",
		"fix.sync.busy":                "县中心繁忙，会按它要求的时间自动重试；长时间如此请联系县中心",
		"fix.sync.clock_skew":          "校准电脑的日期和时间",
		"fix.sync.unsupported_version": "程序版本与县中心不兼容：升级 cunyou-edge（或请县中心升级 cunyou-hub）",
		"fix.sync.wrong_node":          "县中心认为这些操作不属于本站：确认 --data 指向本站的数据目录，联系县中心",
		"fix.sync.other":               "运行 cunyou-edge sync now 查看具体错误；长时间不恢复请联系技术员",
	},
	messages.EN: {
		"sep":         "; ",
		"unit.day":    "%d d",
		"unit.hour":   "%d h",
		"unit.minute": "%d min",
		"unit.second": "%d s",
		"unit.ms":     "%d ms",

		"status.ok":   "OK",
		"status.warn": "WARN",
		"status.fail": "FAIL",
		"head.title":  "cunyou station diagnosis",
		"head.node":   "node %s",
		"head.nonode": "node unknown",
		"head.fix":    "fix: ",
		"head.sum":    "result: %d ok, %d warnings, %d failures",

		"version.ok":          "cunyou-edge %s, database schema %s (this program %d), sync protocol %d-%d",
		"version.hub":         "hub cunyou-hub %s, protocol %d-%d",
		"version.db_newer":    "database schema %d is newer than the %d this program knows: a newer cunyou-edge wrote it",
		"version.db_older":    "database schema %d is older than this program's %d: the running service is an older version, or the new one has not started yet",
		"version.hub_newer":   "the hub accepts protocol %d and up, this program speaks at most %d",
		"version.hub_older":   "the hub speaks only protocol %d, this program needs at least %d",
		"fix.version_db":      "install the cunyou-edge version that wrote this database, or a newer one",
		"fix.version_restart": "restart the service (systemctl restart cunyou-edge); the new version backs the database up before upgrading it",
		"fix.version_edge":    "upgrade this station's cunyou-edge",
		"fix.version_hub":     "ask the county to upgrade cunyou-hub",

		"config.ok":                    "config file %s, data folder %s",
		"config.default":               "no config file: defaults and environment, data folder %s",
		"config.load":                  "cannot read config file %s: %v",
		"config.invalid":               "bad setting: %v",
		"config.remote":                "the kiosk page is open to the network (allow_remote, listening on %s)",
		"config.normal":                "synchronous is NORMAL: a power cut can lose the last few actions",
		"config.hub_url":               "hub_url %s overrides the enrolled address %s",
		"fix.config":                   "fix the field named above in the config file (see packaging/edge.sample.json), then run cunyou-edge diag again",
		"fix.config_remote":            "unless other computers must reach the kiosk, remove allow_remote and listen on 127.0.0.1",
		"fix.config_normal":            "set synchronous back to FULL",
		"db.missing":                   "no database edge.db in the data folder %s",
		"db.uninitialized":             "database %s has no node identity yet",
		"db.open":                      "cannot open the database: %v",
		"db.denied":                    "no permission to read the database %s",
		"db.corrupt":                   "the database is damaged: %v",
		"db.check_ok":                  "%s passed",
		"db.check_bad":                 "%s found problems: %s",
		"db.not_checked":               "not checked: the database cannot be opened",
		"fix.db_missing":               "on a new station run cunyou-edge init --node NODE-ID --data %[1]s (or cunyou-edge enroll --hub URL --code CODE --data %[1]s); on an existing one check that --data / --config point at the right folder",
		"fix.db_denied":                "run cunyou-edge diag as the service account (sudo -u cunyou) or as root",
		"fix.db_restore":               "stop the service, copy the whole data folder aside, restore the newest backup with cunyou-edge restore BACKUP-FILE, then run cunyou-edge check",
		"fix.db_first":                 "deal with db.integrity first",
		"db.size":                      "edge.db %s, %s free on the disk",
		"db.size_nofree":               "edge.db %s",
		"db.size_large":                "edge.db %s, far more than years of a station's data",
		"db.size_nocopy":               "edge.db %s, only %s free on the disk: no room for a backup or the copy taken before an upgrade",
		"fix.db_large":                 "have a technician find which table grew (cunyou-edge check) and confirm sync works (acknowledged ops are pruned after 7 days)",
		"fix.disk_room":                "free at least %s of disk: delete old backups and downloads, or fit a larger disk",
		"wal.none":                     "no WAL file (the service is not running and closed the database cleanly)",
		"wal.ok":                       "WAL file %s",
		"wal.big":                      "WAL file %s, over %s: checkpoints keep failing to finish",
		"fix.wal":                      "close any other program that keeps this database open (an sqlite3 window, backup software), then restart the service: systemctl restart cunyou-edge",
		"disk.ok":                      "%s free (of %s), %s",
		"disk.low":                     "%s has only %s free (of %s)",
		"disk.unknown":                 "cannot read the free space of %s: %v",
		"fix.disk":                     "clean up the disk (old backups, downloads, logs) or fit a larger one; with a full disk no parcel can be scanned in",
		"fix.disk_unknown":             "look at the free space with the system's tools (df -h / Explorer)",
		"backup.none":                  "no backup in %s nor in %s",
		"backup.ok":                    "newest backup %s, %s ago (%s)",
		"backup.old":                   "the newest backup %s is %s old (%s)",
		"fix.backup":                   "run cunyou-edge backup --data %s %s (create the folder first); then back up daily and keep a copy on a USB stick",
		"clock.ok":                     "this PC's clock is within %s of the hub's (%s)",
		"clock.off":                    "this PC's clock is %[1]s the hub's by %[2]s (%[3]s)",
		"clock.ahead":                  "ahead of",
		"clock.behind":                 "behind",
		"clock.src_hello":              "measured by a sync hello just now",
		"clock.src_date":               "from the hub's Date header, to about 1 s",
		"clock.src_stored":             "as measured at the last sync",
		"clock.unmeasured":             "local time %s; not compared with the hub",
		"clock.insane":                 "this PC's date %s is plainly wrong",
		"clock.went_back":              "the last op in the database is stamped %s, %s later than this PC's clock: the clock was set back",
		"fix.clock":                    "set the PC's date and time and turn on automatic time (timedatectl set-ntp true / Windows \"Set time automatically\"); if the date keeps going back, replace the mainboard battery",
		"fix.clock_measure":            "run cunyou-edge diag again once online",
		"hub.none":                     "this station is not enrolled with a hub and has no hub_url",
		"hub.ok":                       "hub %s reachable (%s, %s)",
		"hub.status":                   "hub %s answered HTTP %d",
		"hub.dns":                      "cannot find the hub's address %s: %v",
		"hub.refused":                  "hub %s refused the connection",
		"hub.timeout":                  "connecting to the hub %s timed out (%s)",
		"hub.neterr":                   "cannot reach the hub %s: %v",
		"hub.tls_failed":               "%s answers, but its certificate did not verify (see hub.tls)",
		"hub.not_checked":              "not checked: the hub cannot be reached",
		"hub.no_url":                   "not checked: no hub address",
		"hub.not_enrolled":             "this station is not enrolled (no token)",
		"fix.enroll":                   "run cunyou-edge enroll --hub HUB-URL --code CODE (the county gives the code)",
		"fix.hub_net":                  "check the network (4G router, cable, signal) and the spelling of hub_url; everything is kept on this PC and sent once online",
		"fix.hub_refused":              "the hub service is down or the port is wrong: check the port in hub_url and call the county",
		"fix.hub_status":               "call the county's technician with the HTTP status above",
		"fix.see_reach":                "deal with hub.reach first",
		"fix.see_tls":                  "follow the fix of hub.tls",
		"tls.ok":                       "certificate valid, issued by %s, expires %s",
		"tls.soon":                     "the certificate expires %s, in %s",
		"tls.plain_local":              "an address on this PC, plain HTTP",
		"tls.plain":                    "the hub address is plain HTTP: the token and data cross the network unencrypted",
		"tls.ca_read":                  "cannot read the CA file %s: %v",
		"tls.ca_pem":                   "no PEM certificate in the CA file %s",
		"tls.unknown_ca":               "the hub's certificate is issued by %s, which this PC does not trust",
		"tls.unknown_ca_own":           "the hub's certificate is issued by %s, not by the authority in the CA file %s",
		"tls.expired":                  "the hub's certificate expired %s (this PC's time %s)",
		"tls.not_yet":                  "the hub's certificate is valid only from %s; this PC's time is %s",
		"tls.name":                     "the names on the certificate (%s) do not include %s from the address",
		"tls.other":                    "TLS handshake failed: %v",
		"fix.tls_plain":                "use an https address (enroll again with --hub https://… or set hub_url)",
		"fix.tls_ca":                   "put the county's CA certificate (PEM file) on this PC and set ca_file in the config (or enroll with --ca)",
		"fix.tls_ca_wrong":             "get the right CA certificate file from the county and replace ca_file",
		"fix.tls_renew":                "ask the county to renew the certificate; if this PC's time is wrong, set it first",
		"fix.tls_clock":                "this PC's time is wrong: set the date and time first",
		"fix.tls_name":                 "use a name from the certificate (above) in hub_url, or ask the county for a certificate with this name",
		"fix.tls_other":                "call the county's technician with the error above",
		"cred.ok":                      "the hub accepts the token of %s",
		"cred.unauthorized":            "the hub refuses this station's token (%s)",
		"cred.wrong_node":              "the token belongs to another node: %s",
		"cred.version":                 "protocol versions do not match: %s",
		"cred.other":                   "hello failed: %s",
		"cred.perm":                    "the database file's mode is %04o: other accounts on this PC can read the token",
		"fix.cred_reenroll":            "get a new enrollment code from the county and run cunyou-edge enroll --hub URL --code CODE again",
		"fix.cred_wrongnode":           "check that --data points at this station's folder; then enroll again with this station's code",
		"fix.cred_perm":                "run chmod 600 %s*",
		"backlog.ok":                   "%d ops and %d photos waiting to be sent",
		"backlog.hub":                  "the hub holds this incarnation's ops up to seq %d (this PC has %d)",
		"backlog.big":                  "%d ops and %d photos waiting to be sent: a large backlog",
		"backlog.unenrolled":           "%d ops waiting to be sent, but this station is not enrolled",
		"fix.backlog":                  "see sync.oldest; a village with no link can carry cunyou-edge sync export FILE to the county on a USB stick",
		"oldest.none":                  "nothing waits to be sent; last successful sync: %s",
		"oldest.age":                   "the oldest op waiting has waited %s (%s); last successful sync: %s",
		"oldest.error":                 "last sync error %s (%s): %s",
		"oldest.never":                 "never",
		"fix.sync_serve":               "start the service (systemctl start cunyou-edge): sync runs inside it",
		"fix.sync_now":                 "run cunyou-edge sync now to see the error",
		"dead.none":                    "the hub holds no dead letters or quarantined ops of this station",
		"dead.some":                    "the hub holds %d dead letters of this station (ops it can never apply)",
		"dead.quarantined":             "the hub quarantined %d ops of this station (same seq, other content)",
		"dead.local":                   "this station keeps no record of dead letters and the hub's figures cannot be read (%s); %s",
		"dead.last_none":               "no recent sync error",
		"dead.last":                    "last sync error: %s",
		"fix.dead":                     "ask the county to run cunyou-hub deadletters --station %s for the reasons (usually cunyou-hub or cunyou-edge needs an upgrade)",
		"fix.quarantine":               "two copies of this station's database may be syncing (a cloned disk, or a backup put back without cunyou-edge restore): keep one PC in use and ask the county to check cunyou-hub station list",
		"serve.ok":                     "cunyou-edge serve is running (%s)",
		"serve.down":                   "cunyou-edge serve is not running (no answer at %s): the kiosk page and sync are stopped",
		"serve.other":                  "%s serves another node, %s",
		"fix.serve":                    "start the service: systemctl start cunyou-edge (Windows: start cunyou-edge in Services)",
		"fix.serve_other":              "check the listen setting: two nodes cannot share an address",
		"devices.none":                 "no devices configured",
		"fix.devices_none":             "add the devices under devices in the config file",
		"device.panic":                 "the check crashed: %s",
		"device.no_check":              "this device has no check",
		"device.timeout":               "no answer within %s",
		"device.absent":                "device not found (%s)",
		"device.open_failed":           "cannot open the device: %v",
		"device.busy":                  "the device is held by another program (%s)",
		"device.handshake":             "the device did not answer properly: %v",
		"device.sam_id":                "connected, security module (SAM) id %s",
		"device.printer":               "connected, printer status: %s",
		"device.paper_out":             "the printer is out of paper",
		"device.head_open":             "the printer's cover is open",
		"device.scanner":               "last scan %s ago",
		"device.scanner_old":           "no scan for %s",
		"device.snapshot":              "snapshot taken: %d×%d, %s",
		"device.ok":                    "ok: %s",
		"modem.in_use":                 "the modem on %s is in use by the running service; not opened (stop the service and run diag again to see it)",
		"modem.permission":             "no permission to open the modem port %s",
		"modem.silent":                 "no modem on %s answers AT commands",
		"modem.sim_absent":             "no SIM card in the modem",
		"modem.sim_locked":             "the SIM card is locked by its %s",
		"modem.sim":                    "SIM card state: %s",
		"modem.denied":                 "the operator refuses to register this SIM card",
		"modem.unregistered":           "the modem is not registered with a network (%s)",
		"modem.signal_unknown":         "%s measures no signal",
		"modem.weak":                   "weak signal",
		"modem.not_ready":              "no SMS can go now: %s",
		"modem.ok":                     "%s, %s %s, signal %d dBm (CSQ %d)",
		"fix.modem_permission":         "add the service account to the dialout group (usermod -aG dialout cunyou), or run cunyou-edge diag as root",
		"fix.modem_sim":                "power off, seat the SIM card (chip down, pushed fully in), then plug the modem in again",
		"fix.modem_pin":                "put the SIM card in a phone and turn its PIN off (a PUK lock needs the operator), then put it back",
		"fix.modem_operator":           "the SIM card is unpaid or suspended: call the operator",
		"fix.modem_antenna":            "fit the antenna and move the modem or antenna to a window, up high; if that fails, try another operator's card",
		"fix.device_cable":             "check the device's USB (or network) cable and power, unplug and replug it, then run cunyou-edge diag again",
		"fix.device_busy":              "close the other program holding the device (the maker's own software, say), then restart the service",
		"fix.device_paper":             "load paper or ribbon and close the cover",
		"fix.device_scan":              "scan a barcode; if nothing arrives, check the scanner's cable and settings",
		"fix.device_report":            "send this report to a technician",
		"fix.sync.network":             "the hub cannot be reached: check the network (4G router, cable); everything is kept here and sent once online",
		"fix.sync.timeout":             "the link is too slow or keeps dropping: check the signal; sync retries by itself",
		"fix.sync.local":               "this PC's database or disk failed: deal with the db and disk checks above first",
		"fix.sync.watchdog":            "sync made no progress for long and was restarted: if it recurs, send this report to a technician",
		"fix.sync.pruned":              "the hub lost old ops this station has already pruned; they cannot be resent by themselves: call the county's technician",
		"fix.sync.diverged":            "another copy of this station's database is syncing (a cloned disk?): keep one PC in use and call the county's technician",
		"fix.sync.not_enrolled":        "run cunyou-edge enroll --hub HUB-URL --code CODE",
		"fix.sync.unauthorized":        "the hub refuses this station's token: get a new enrollment code from the county and enroll again",
		"fix.sync.busy":                "the hub is busy; sync retries when it says; if it lasts, call the county",
		"fix.sync.clock_skew":          "set the PC's date and time",
		"fix.sync.unsupported_version": "this program and the hub do not match: upgrade cunyou-edge (or ask the county to upgrade cunyou-hub)",
		"fix.sync.wrong_node":          "the hub says these ops are not this station's: check that --data points at this station's folder and call the county",
		"fix.sync.other":               "run cunyou-edge sync now to see the error; if it lasts, call a technician",
	},
}
