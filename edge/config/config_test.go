package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDefaultsValid(t *testing.T) {
	require.NoError(t, Default().Validate())
}

func TestLoadFileThenEnv(t *testing.T) {
	path := filepath.Join(t.TempDir(), "edge.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"version":1,"node":"ST-V0101","listen":"127.0.0.1:9000","busy_timeout":"2s"}`), 0o600))
	t.Setenv("CUNYOU_EDGE_LISTEN", "127.0.0.1:9100")
	c, err := Load(path)
	require.NoError(t, err)
	assert.Equal(t, "ST-V0101", c.Node)
	assert.Equal(t, "127.0.0.1:9100", c.Listen, "environment wins over the file")
	assert.Equal(t, "2s", c.BusyTimeout.String())
	require.NoError(t, c.Validate())
}

func TestLoadSyncSettingsFromEnv(t *testing.T) {
	t.Setenv("CUNYOU_EDGE_HUB_URL", "https://hub.example")
	t.Setenv("CUNYOU_EDGE_SYNC_INTERVAL", "30s")
	t.Setenv("CUNYOU_EDGE_SAFETY_WINDOW", "336h")
	t.Setenv("CUNYOU_EDGE_WATCHDOG", "20m")
	c, err := Load("")
	require.NoError(t, err)
	assert.Equal(t, "https://hub.example", c.HubURL)
	assert.Equal(t, Duration(30*time.Second), c.SyncInterval)
	assert.Equal(t, Duration(336*time.Hour), c.SafetyWindow)
	assert.Equal(t, Duration(20*time.Minute), c.Watchdog)
	require.NoError(t, c.Validate())

	t.Setenv("CUNYOU_EDGE_WATCHDOG", "ten minutes")
	_, err = Load("")
	require.ErrorContains(t, err, "CUNYOU_EDGE_WATCHDOG")
}

func TestLoadRejects(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"unknown field": `{"lisen":"x"}`,
		"newer version": `{"version":99}`,
		"not json":      `listen=1`,
	} {
		path := filepath.Join(dir, "c.json")
		require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
		_, err := Load(path)
		assert.Error(t, err, name)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"remote listen refused", func(c *Config) { c.Listen = "0.0.0.0:8700" }, "not loopback"},
		{"remote listen allowed", func(c *Config) { c.Listen = "0.0.0.0:8700"; c.AllowRemote = true }, ""},
		{"localhost ok", func(c *Config) { c.Listen = "localhost:8700" }, ""},
		{"bad node", func(c *Config) { c.Node = "站点 1" }, "node"},
		{"bad kind", func(c *Config) { c.Kind = "depot" }, "kind"},
		{"bad timezone", func(c *Config) { c.Timezone = "Mars/Base" }, "timezone"},
		{"bad synchronous", func(c *Config) { c.Synchronous = "OFF" }, "synchronous"},
		{"bad log level", func(c *Config) { c.LogLevel = "loud" }, "log_level"},
		{"empty data dir", func(c *Config) { c.DataDir = "" }, "data_dir"},
		{"hub url", func(c *Config) { c.HubURL = "https://hub.wangkui.example:8443" }, ""},
		{"hub url without scheme", func(c *Config) { c.HubURL = "hub.wangkui.example" }, "hub_url"},
		{"hub url not http", func(c *Config) { c.HubURL = "ftp://hub" }, "hub_url"},
		{"sync interval zero", func(c *Config) { c.SyncInterval = 0 }, "sync_interval"},
		{"safety window short", func(c *Config) { c.SafetyWindow = Duration(time.Minute) }, "safety_window"},
		{"watchdog below interval", func(c *Config) { c.Watchdog = Duration(15 * time.Second) }, "watchdog"},
	}
	for _, tt := range tests {
		c := Default()
		tt.change(&c)
		err := c.Validate()
		if tt.want == "" {
			assert.NoError(t, err, tt.name)
		} else if assert.Error(t, err, tt.name) {
			assert.Contains(t, err.Error(), tt.want, tt.name)
		}
	}
}

func TestSampleConfigLoads(t *testing.T) {
	c, err := Load("../../packaging/edge.sample.json")
	require.NoError(t, err)
	require.NoError(t, c.Validate())
	d := Default()
	d.Node = c.Node
	assert.Equal(t, d, c, "the sample shows every default")
}

func TestValidateDevices(t *testing.T) {
	good := []Device{
		{Name: "reader", Kind: DeviceIDCard, USB: "0400:c35a"},
		{Name: "gun", Kind: DeviceScanner, Port: "/dev/ttyACM0", Suffix: "crlf"},
		{Name: "labels", Kind: DevicePrinter, Transport: "tcp:192.168.1.50:9100", Language: "tspl"},
		{Name: "serial-labels", Kind: DevicePrinter, Port: "/dev/ttyUSB1", Baud: 9600},
		{Name: "cam", Kind: DeviceCameraHTTP, URL: "http://192.168.1.64/ISAPI/Streaming/channels/101/picture", Auth: "digest"},
		{Name: "gaopaiyi", Kind: DeviceCameraFolder, Folder: `C:\scans`},
	}
	c := Default()
	c.Devices = good
	require.NoError(t, c.Validate())

	tests := []struct {
		name string
		dev  Device
		want string
	}{
		{"bad name", Device{Name: "读卡器", Kind: DeviceIDCard, Port: "/dev/ttyUSB0"}, "devices[6].name"},
		{"duplicate", Device{Name: "gun", Kind: DeviceScanner, Port: "/dev/ttyUSB0"}, "given twice"},
		{"bad kind", Device{Name: "x", Kind: "fax"}, "devices[6].kind"},
		{"reader without port", Device{Name: "x", Kind: DeviceIDCard}, "devices[6].port"},
		{"bad usb", Device{Name: "x", Kind: DeviceIDCard, USB: "1a86"}, "devices[6].usb"},
		{"bad suffix", Device{Name: "x", Kind: DeviceScanner, Port: "p", Suffix: "space"}, "devices[6].suffix"},
		{"printer without address", Device{Name: "x", Kind: DevicePrinter}, "devices[6].transport"},
		{"bad transport", Device{Name: "x", Kind: DevicePrinter, Transport: "lpt1"}, "devices[6].transport"},
		{"bad language", Device{Name: "x", Kind: DevicePrinter, Transport: "tcp:h", Language: "pcl"}, "devices[6].language"},
		{"camera url", Device{Name: "x", Kind: DeviceCameraHTTP, URL: "rtsp://cam"}, "devices[6].url"},
		{"camera auth", Device{Name: "x", Kind: DeviceCameraHTTP, URL: "http://cam/x", Auth: "ntlm"}, "devices[6].auth"},
		{"folder", Device{Name: "x", Kind: DeviceCameraFolder}, "devices[6].folder"},
	}
	for _, tt := range tests {
		c := Default()
		c.Devices = append(append([]Device{}, good...), tt.dev)
		err := c.Validate()
		if assert.Error(t, err, tt.name) {
			assert.Contains(t, err.Error(), tt.want, tt.name)
		}
	}
}
