package confkit

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type kind string

type sample struct {
	Version int      `json:"version"`
	Name    string   `json:"name" env:"T_NAME" help:"a name"`
	Kind    kind     `json:"kind" env:"T_KIND" help:"a kind"`
	On      bool     `json:"on" env:"T_ON" help:"a switch"`
	N       int      `json:"n" env:"T_N" help:"a count"`
	Big     int64    `json:"big" env:"T_BIG" help:"a size"`
	Wait    Duration `json:"wait" env:"T_WAIT" help:"a pause"`
	Plain   string   `json:"plain"`
	Section section  `json:"section"`
}

type section struct {
	Port  string `json:"port" env:"T_PORT" help:"a port"`
	Other int    `json:"other"`
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestApplyEnv(t *testing.T) {
	s := sample{Name: "file", N: 3, Plain: "kept"}
	require.NoError(t, ApplyEnv(&s, env(map[string]string{
		"T_NAME": "env", "T_KIND": "centre", "T_ON": "true", "T_N": "7", "T_BIG": "1099511627776", "T_WAIT": "250ms", "Plain": "x",
		"T_PORT": "/dev/ttyUSB2",
	})))
	assert.Equal(t, sample{Name: "env", Kind: "centre", On: true, N: 7, Big: 1 << 40, Wait: Duration(250 * time.Millisecond), Plain: "kept",
		Section: section{Port: "/dev/ttyUSB2"}}, s, "a section's fields too")

	s = sample{Name: "file"}
	require.NoError(t, ApplyEnv(&s, env(nil)))
	assert.Equal(t, "file", s.Name, "an unset variable leaves the field alone")

	err := ApplyEnv(&s, env(map[string]string{"T_ON": "yes please", "T_N": "seven", "T_WAIT": "soon"}))
	require.Error(t, err)
	for _, name := range []string{"T_ON", "T_N", "T_WAIT"} {
		assert.ErrorContains(t, err, name, "every bad variable is named")
	}
	assert.Panics(t, func() {
		var bad struct {
			F []string `env:"T_F"`
		}
		ApplyEnv(&bad, env(map[string]string{"T_F": "x"}))
	})
}

func TestEnvHelp(t *testing.T) {
	assert.Equal(t, map[string]string{"T_NAME": "a name", "T_KIND": "a kind", "T_ON": "a switch", "T_N": "a count",
		"T_BIG": "a size", "T_WAIT": "a pause", "T_PORT": "a port"}, EnvHelp(sample{}))
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "c.json")
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		return p
	}
	var s sample
	require.NoError(t, ReadFile(write(`{"name":"a","wait":"2s"}`), &s, &s.Version, 2))
	assert.Equal(t, sample{Version: 2, Name: "a", Wait: Duration(2 * time.Second)}, s)
	for name, body := range map[string]string{
		"unknown field": `{"nmae":"a"}`,
		"newer":         `{"version":3}`,
		"not json":      `name=a`,
		"bad duration":  `{"wait":"soon"}`,
	} {
		var s sample
		assert.Error(t, ReadFile(write(body), &s, &s.Version, 2), name)
	}
	assert.ErrorContains(t, ReadFile(filepath.Join(dir, "missing.json"), &s, &s.Version, 2), "read config")
}

func TestDurationJSON(t *testing.T) {
	b, err := json.Marshal(Duration(90 * time.Second))
	require.NoError(t, err)
	assert.Equal(t, `"1m30s"`, string(b))
	assert.Equal(t, "1m30s", Duration(90*time.Second).String())
}

func TestChecks(t *testing.T) {
	assert.NoError(t, CheckListen("127.0.0.1:1", false, "why"))
	assert.NoError(t, CheckListen("[::1]:1", false, "why"))
	assert.NoError(t, CheckListen("localhost:1", false, "why"))
	assert.ErrorContains(t, CheckListen("0.0.0.0:1", false, "kiosk only"), "kiosk only")
	assert.NoError(t, CheckListen("0.0.0.0:1", true, "why"))
	assert.Error(t, CheckListen("nonsense", true, "why"))

	assert.NoError(t, CheckStorage("/d", "normal", Duration(time.Second), "info"))
	assert.ErrorContains(t, CheckStorage("", "FULL", Duration(time.Second), "info"), "data_dir")
	assert.ErrorContains(t, CheckStorage("/d", "OFF", Duration(time.Second), "info"), "synchronous")
	assert.ErrorContains(t, CheckStorage("/d", "FULL", 0, "info"), "busy_timeout")
	assert.ErrorContains(t, CheckStorage("/d", "FULL", Duration(time.Second), "loud"), "log_level")
}

func TestLoadFileThenEnvAndDataDir(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.json")
	require.NoError(t, os.WriteFile(p, []byte(`{"name":"file","n":2}`), 0o600))
	t.Setenv("T_NAME", "env")
	var s sample
	require.NoError(t, Load(p, &s, &s.Version, 1))
	assert.Equal(t, sample{Version: 1, Name: "env", N: 2}, s, "the environment wins over the file")
	s = sample{}
	require.NoError(t, Load("", &s, &s.Version, 1))
	assert.Equal(t, sample{Name: "env"}, s)

	t.Setenv("ProgramData", "")
	assert.Equal(t, "/var/lib/prog", DefaultDataDir("prog"))
	t.Setenv("ProgramData", filepath.Join("C:", "ProgramData"))
	assert.Equal(t, filepath.Join("C:", "ProgramData", "prog"), DefaultDataDir("prog"))
}
