package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The county's day from the command line: load the county, register a
// carrier and a client, import a manifest file, work the dispatchers'
// queue, plan trips, track a parcel.
func TestCountyCommands(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	county := filepath.Join("..", "..", "..", "testdata", "county.json")
	out := mustRun(t, "county", "load", "--data", dir, county)
	assert.Contains(t, out, "loaded 黑龙江省绥化市望奎县: 15 towns, 77 villages, 77 stations, 5 lines")
	assert.Contains(t, out, "78 new nodes")
	assert.Regexp(t, `ST-V0101\s+[0-9A-Z]{4}-[0-9A-Z]{4}`, out)
	assert.Contains(t, mustRun(t, "county", "load", "--data", dir, county), "no new nodes", "loading again changes nothing")
	assert.ErrorContains(t, run("county", "load", "--data", dir).err, "give the county file")

	mustRun(t, "carrier", "add", "--data", dir, "--code", "zto", "--name", "中通快递")
	assert.ErrorContains(t, run("carrier", "add", "--data", dir, "--code", "ZTO!", "--name", "x").err, "carrier code")
	assert.Contains(t, mustRun(t, "carrier", "list", "--data", dir), "zto   中通快递")

	out = mustRun(t, "client", "add", "--data", dir, "--id", "zto-api", "--name", "中通", "--carrier", "zto", "--scopes", "parcels:write,parcels:read")
	assert.Regexp(t, regexp.MustCompile(`\ncy_[A-Za-z0-9_-]{43}\n`), out)
	assert.ErrorContains(t, run("client", "add", "--data", dir, "--id", "x", "--name", "x", "--scopes", "all").err, "scope")
	assert.Contains(t, mustRun(t, "client", "list", "--data", dir), "zto-api")

	csv := filepath.Join(dir, "m.csv")
	require.NoError(t, os.WriteFile(csv, []byte("运单号,快递公司,收件人,手机,地址\n"+
		"73100000000001,中通,王秀英,13912345678,先锋镇民主村三组\n"+
		"73100000000002,中通,李四,139,先锋镇\n"+
		"73100000000003,中通,赵六,13912345670,南岗村\n"), 0o600))
	out = mustRun(t, "manifest", "import", "--data", dir, csv)
	assert.Contains(t, out, "row 3  73100000000002  rejected  bad_phone")
	assert.Contains(t, out, "m.csv: 2 created, 0 updated, 0 unchanged, 1 rejected; 1 wait for a dispatcher")
	assert.NotContains(t, out, "13912345670")

	out = mustRun(t, "unresolved", "--data", dir)
	assert.Contains(t, out, "73100000000003")
	assert.Contains(t, out, "139****5670")
	assert.NotContains(t, out, "13912345670")
	mustRun(t, "assign", "--data", dir, "--waybill", "73100000000003", "--station", "ST-V0101", "--note", "电话确认", "--by", "li")
	assert.Contains(t, mustRun(t, "unresolved", "--data", dir), "no parcel waits")
	assert.Error(t, run("assign", "--data", dir, "--waybill", "73100000000003", "--station", "CENTRE").err)

	out = mustRun(t, "track", "--data", dir, "73100000000003")
	assert.Contains(t, out, "manifested, destination ST-V0101 (manual)")
	assert.Contains(t, out, "destination set to ST-V0101 by dispatcher:li: 电话确认")
	assert.NotContains(t, out, "13912345670")

	out = mustRun(t, "trips", "plan", "--data", dir, "--date", "2026-11-27")
	assert.Contains(t, out, "L1-20261127-0700")
	mustRun(t, "vehicle", "add", "--data", dir, "--plate", "黑M12345", "--capacity", "300")
	mustRun(t, "driver", "add", "--data", dir, "--id", "D001", "--name", "张师傅", "--phone", "13700001111")
	mustRun(t, "trips", "set", "--data", dir, "--id", "L1-20261127-0700", "--vehicle", "黑M12345", "--driver", "D001")
	out = mustRun(t, "trips", "list", "--data", dir, "--date", "2026-11-27")
	assert.True(t, strings.Contains(out, "黑M12345") && strings.Contains(out, "D001"), out)
	assert.Contains(t, mustRun(t, "driver", "list", "--data", dir), "137****1111")
	assert.Error(t, run("trips", "set", "--data", dir, "--id", "L1-20261127-0700", "--vehicle", "黑X00000").err)
}

func TestStationSetShow(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	mustRun(t, "county", "load", "--data", dir, filepath.Join("..", "..", "..", "testdata", "county.json"))
	out := mustRun(t, "station", "set", "--data", dir, "--id", "ST-V0101", "--hours", "08:00-20:00", "--contact-name", "王店主",
		"--contact", "0455-1234567", "--address", "南岗村中心街 3 号")
	assert.Contains(t, out, "ST-V0101 南岗村驿站 (station) 望奎镇南岗村")
	assert.Contains(t, out, "hours 08:00-20:00  contact 王店主 0455-1234567  status open")
	assert.ErrorContains(t, run("station", "set", "--data", dir, "--id", "ST-V0101", "--hours", "8-20").err, "HH:MM-HH:MM")
	assert.ErrorContains(t, run("station", "set", "--data", dir, "--id", "ST-V0101", "--status", "gone").err, "status")
	assert.Contains(t, mustRun(t, "station", "show", "--data", dir, "--id", "ST-V0101"), "南岗村中心街 3 号")
}

func TestSMSCommands(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	out := mustRun(t, "sms", "templates", "--data", dir)
	assert.Contains(t, out, "arrival: 您的{carrier}包裹已到{station}")
	assert.Contains(t, out, "reminder:")
	out = mustRun(t, "sms", "template", "--data", dir, "--kind", "arrival", "--text", "{station}到了您的{carrier}包裹，取件码{code}",
		"--provider", "aliyun=SMS_1001")
	assert.Contains(t, out, "template arrival saved: 南岗村驿站到了您的中通包裹，取件码5-2-3001 (")
	assert.ErrorContains(t, run("sms", "template", "--data", dir, "--kind", "arrival", "--text", "{phone}").err, "not a variable")
	assert.Contains(t, mustRun(t, "sms", "optout", "--data", dir, "--phone", "13912345678"), "139****5678 gets no more messages")
	assert.Contains(t, mustRun(t, "sms", "optin", "--data", dir, "--phone", "13912345678"), "139****5678 gets messages again")
	assert.Contains(t, mustRun(t, "sms", "list", "--data", dir), "no messages")
}
