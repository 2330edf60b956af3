package diag

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/edge/messages"
)

var verbRe = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?[a-zA-Z]`)

// Every sentence exists in every language, with the same arguments.
func TestMessageTables(t *testing.T) {
	zh, en := table[messages.ZH], table[messages.EN]
	for key, s := range zh {
		other, ok := en[key]
		if !assert.True(t, ok, "%s has no English sentence", key) {
			continue
		}
		assert.Equal(t, len(verbRe.FindAllString(s, -1)), len(verbRe.FindAllString(other, -1)), "%s: arguments differ:\n%s\n%s", key, s, other)
	}
	for key := range en {
		_, ok := zh[key]
		assert.True(t, ok, "%s has no Chinese sentence", key)
	}
}

// Every key the code names is in the table.
func TestMessageKeysUsed(t *testing.T) {
	keyRe := regexp.MustCompile(`\bM\("([a-z_.]+)"[,)]`)
	files, err := os.ReadDir(".")
	require.NoError(t, err)
	n := 0
	for _, fi := range files {
		if !strings.HasSuffix(fi.Name(), ".go") || strings.HasSuffix(fi.Name(), "_test.go") {
			continue
		}
		src, err := os.ReadFile(fi.Name())
		require.NoError(t, err)
		for _, m := range keyRe.FindAllStringSubmatch(string(src), -1) {
			n++
			_, ok := table[messages.ZH][m[1]]
			assert.True(t, ok, "%s names a missing sentence %s", fi.Name(), m[1])
		}
	}
	assert.Greater(t, n, 100)
	for _, code := range []string{"network", "timeout", "local", "watchdog", "pruned", "diverged", "not_enrolled", "unauthorized",
		"busy", "clock_skew", "unsupported_version", "wrong_node"} {
		_, ok := table[messages.ZH]["fix.sync."+code]
		assert.True(t, ok, "the sync loop's error %s has advice", code)
	}
}

func TestScrub(t *testing.T) {
	tests := []struct{ in, want string }{
		{"read card: 13800138000 not found", "read card: 138****8000 not found"},
		{"id 11010519491231002X in frame", "id 110105********002X in frame"},
		{"seq 12345678901234 stays", "seq 12345678901234 stays"},
		{"waybill 73100000000001", "waybill 73100000000001"},
		{"13912345678", "139****5678"},
		{"to 13800138000 13912345678", "to 138****8000 139****5678"},
		{"13800138000,13912345678,13700001111", "138****8000,139****5678,137****1111"},
		{"ids 11010519491231002X 110105194912310037", "ids 110105********002X 110105********0037"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Plain(tt.in).Text(messages.ZH), tt.in)
	}
}

func TestDurations(t *testing.T) {
	tests := []struct {
		d      time.Duration
		zh, en string
	}{
		{1500 * time.Millisecond, "2 秒", "2 s"},
		{250 * time.Millisecond, "250 毫秒", "250 ms"},
		{90 * time.Minute, "1 小时 30 分钟", "1 h 30 min"},
		{50*time.Hour + 5*time.Second, "2 天 2 小时", "2 d 2 h"},
		{-3 * time.Minute, "3 分钟", "3 min"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.zh, dur(tt.d).text(messages.ZH))
		assert.Equal(t, tt.en, dur(tt.d).text(messages.EN))
	}
}

// Device checks plug in from outside: each runs under its deadline, and a
// broken one fails without stopping the report.
func TestDeviceChecks(t *testing.T) {
	e := newEnv(t)
	o := e.options()
	o.DeviceTimeout = 50 * time.Millisecond
	release := make(chan struct{})
	defer close(release)
	o.Devices = []Check{
		{Name: "idcard", Run: func(ctx context.Context) Result { return OK(M("device.sam_id", "05.01-20240312-0012345678")) }},
		{Name: "device.printer", Run: func(ctx context.Context) Result { return Warn(M("device.paper_out"), M("fix.device_paper")) }},
		{Name: "scanner", Run: func(ctx context.Context) Result {
			return Fail(M("device.open_failed", errors.New("open /dev/ttyACM0: no such file")), M("fix.device_cable"))
		}},
		{Name: "camera", Run: func(ctx context.Context) Result {
			<-release // a driver that ignores its deadline
			return OK(M("device.snapshot", 1920, 1080, size(210<<10)))
		}},
		{Name: "modem", Run: func(ctx context.Context) Result { panic("nil port") }},
		{Name: "reader2", Run: func(ctx context.Context) Result {
			return Fail(Plain("card 11010519491231002X of 13800138000 unreadable"), M("fix.device_report"))
		}},
		{Name: "empty"},
	}
	rep := Run(e.ctx, o)
	want := []struct {
		name   string
		status Status
		detail string
	}{
		{"device.idcard", StatusOK, "connected, security module (SAM) id 05.01-20240312-0012345678"},
		{"device.printer", StatusWarn, "the printer is out of paper"},
		{"device.scanner", StatusFail, "cannot open the device: open /dev/ttyACM0: no such file"},
		{"device.camera", StatusFail, "no answer within 50 ms"},
		{"device.modem", StatusFail, "the check crashed: nil port"},
		{"device.reader2", StatusFail, "card 110105********002X of 138****8000 unreadable"},
		{"device.empty", StatusFail, "this device has no check"},
	}
	var names []string
	for _, l := range rep.Lines {
		if strings.HasPrefix(l.Name, "device") {
			names = append(names, l.Name)
		}
	}
	require.Len(t, names, len(want), "devices in their order, no 'devices' line")
	for i, w := range want {
		assert.Equal(t, w.name, names[i])
		l := line(t, rep, w.name)
		assert.Equal(t, w.status, l.Status, w.name)
		assert.Equal(t, w.detail, l.Detail.Text(messages.EN), w.name)
		assert.NotEmpty(t, l.Detail.Text(messages.ZH))
	}
	assert.Equal(t, "装上打印纸或碳带，合上上盖", line(t, rep, "device.printer").Fix.Text(messages.ZH))
	assert.Equal(t, 2, rep.ExitCode())
}

func TestNoDevices(t *testing.T) {
	lines := runDevices(context.Background(), nil, time.Second)
	require.Len(t, lines, 1)
	assert.Equal(t, "devices", lines[0].Name)
	assert.Equal(t, StatusOK, lines[0].Status)
	assert.Equal(t, "没有配置设备", lines[0].Detail.Text(messages.ZH))
	assert.Equal(t, "在配置文件 devices 中添加设备", lines[0].Fix.Text(messages.ZH))
	assert.Equal(t, "add the devices under devices in the config file", lines[0].Fix.Text(messages.EN))
}

func TestExitCode(t *testing.T) {
	rep := func(ss ...Status) Report {
		var r Report
		for i, s := range ss {
			r.Lines = append(r.Lines, Line{Name: string(rune('a' + i)), Result: Result{Status: s}})
		}
		return r
	}
	assert.Equal(t, 0, rep(StatusOK, StatusOK).ExitCode())
	assert.Equal(t, 1, rep(StatusOK, StatusWarn, StatusOK).ExitCode())
	assert.Equal(t, 2, rep(StatusWarn, StatusFail, StatusOK).ExitCode())
	assert.Equal(t, 0, rep().ExitCode())
}

func TestJSONShape(t *testing.T) {
	e := newEnv(t)
	rep := e.run(t)
	var buf bytes.Buffer
	require.NoError(t, rep.WriteJSON(&buf, messages.EN))
	var raw map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(buf.Bytes(), &raw))
	assert.ElementsMatch(t, []string{"checks", "version", "node"}, slices.Collect(mapsKeys(raw)))
	var checks []map[string]any
	require.NoError(t, json.Unmarshal(raw["checks"], &checks))
	require.Len(t, checks, len(rep.Lines))
	var names []string
	for _, c := range checks {
		assert.ElementsMatch(t, []string{"name", "status", "detail", "fix"}, slices.Collect(mapsKeys(c)))
		assert.Contains(t, []any{"ok", "warn", "fail"}, c["status"])
		assert.Regexp(t, `^[a-z0-9_.]+$`, c["name"])
		assert.NotEmpty(t, c["detail"])
		if c["status"] != "ok" {
			assert.NotEmpty(t, c["fix"], c["name"])
		}
		names = append(names, c["name"].(string))
	}
	assert.Equal(t, []string{"version", "config", "db.integrity", "db.size", "db.wal", "disk.free", "backup.recent", "clock.skew",
		"hub.reach", "hub.tls", "hub.credentials", "sync.backlog", "sync.oldest", "sync.deadletters", "serve", "devices"}, names)
	assert.JSONEq(t, `"v-test"`, string(raw["version"]))
	assert.JSONEq(t, `"`+testNode+`"`, string(raw["node"]))
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func TestTextOutput(t *testing.T) {
	rep := Report{Node: testNode, Version: "v-test", At: time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC), Lines: []Line{
		{Name: "db.integrity", Result: OK(M("db.check_ok", "quick_check"))},
		{Name: "disk.free", Result: Warn(M("disk.low", "/var/lib/cunyou-edge", size(1<<30), size(32<<30)), M("fix.disk"))},
		{Name: "hub.reach", Result: Fail(M("hub.refused", "https://hub.example"), M("fix.hub_refused"))},
	}}
	var zh, en bytes.Buffer
	require.NoError(t, rep.WriteText(&zh, messages.ZH))
	require.NoError(t, rep.WriteText(&en, messages.EN))
	assert.Equal(t, `村邮站点诊断 · 站点 ST-D01 · cunyou-edge v-test · 2026-03-14 09:30:00

正常  db.integrity  quick_check 通过
警告  disk.free     /var/lib/cunyou-edge 只剩 1.0 GiB 可用（共 32.0 GiB）
                    处理：清理磁盘（旧备份、下载的文件、日志），或换更大的硬盘；磁盘满了就不能收件
故障  hub.reach     县中心 https://hub.example 拒绝连接
                    处理：县中心服务没运行或端口不对：确认 hub_url 的端口，并联系县中心

结果：1 项正常，1 项警告，1 项故障
`, zh.String())
	assert.Equal(t, `cunyou station diagnosis · node ST-D01 · cunyou-edge v-test · 2026-03-14 09:30:00

OK    db.integrity  quick_check passed
WARN  disk.free     /var/lib/cunyou-edge has only 1.0 GiB free (of 32.0 GiB)
                    fix: clean up the disk (old backups, downloads, logs) or fit a larger one; with a full disk no parcel can be scanned in
FAIL  hub.reach     hub https://hub.example refused the connection
                    fix: the hub service is down or the port is wrong: check the port in hub_url and call the county

result: 1 ok, 1 warnings, 1 failures
`, en.String())
}
