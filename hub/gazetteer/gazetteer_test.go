package gazetteer_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/hub/gazetteer"
)

const countyFile = "../../testdata/county.json"

func TestLoadDemoCounty(t *testing.T) {
	c, err := gazetteer.LoadFile(countyFile)
	require.NoError(t, err)
	assert.Equal(t, "望奎县", c.Name)
	assert.Equal(t, "绥化市", c.City)
	assert.Equal(t, "黑龙江省", c.Province)
	assert.Len(t, c.Towns, 15)
	n := 0
	for _, tw := range c.Towns {
		n += len(tw.Villages)
	}
	assert.Equal(t, 77, n)
	assert.Len(t, c.Stations, 77)
	assert.NotEmpty(t, c.Lines)

	v, ok := c.Village("V0905")
	require.True(t, ok)
	assert.Equal(t, "向阳村", v.Name)
	assert.Contains(t, v.Aliases, "向阳屯")

	tw, ok := c.TownOf("V0905")
	require.True(t, ok)
	assert.Equal(t, "惠七满族镇", tw.Name)
	assert.Equal(t, "惠七", tw.Short)

	s, ok := c.StationOf("V1099")
	require.True(t, ok)
	assert.Equal(t, "ST-V1099", s.ID)

	s, ok = c.Station("ST-V0101")
	require.True(t, ok)
	assert.Equal(t, "V0101", s.Village)

	tw, ok = c.Town("T10")
	require.True(t, ok)
	assert.Equal(t, "灵山满族乡", tw.Name)

	for _, lookup := range []func() bool{
		func() bool { _, ok := c.Village("V9999"); return ok },
		func() bool { _, ok := c.TownOf("V9999"); return ok },
		func() bool { _, ok := c.StationOf("V9999"); return ok },
		func() bool { _, ok := c.Station("ST-V9999"); return ok },
		func() bool { _, ok := c.Town("T99"); return ok },
	} {
		assert.False(t, lookup())
	}
}

func TestLookupsNeedValidation(t *testing.T) {
	c := &gazetteer.County{Towns: []gazetteer.Town{{Code: "T01", Villages: []gazetteer.Village{{Code: "V1"}}}}}
	_, ok := c.Village("V1")
	assert.False(t, ok, "an unvalidated county answers no lookups")
}

// minimal is a small valid county file; each case below breaks one thing.
const minimal = `{
 "province": "黑龙江省", "city": "绥化市", "county": "望奎县",
 "centre": {"id": "CENTRE", "name": "中心", "lat": 46.8, "lon": 126.4},
 "towns": [
  {"code": "T01", "name": "望奎镇", "short": "望奎", "lat": 46.8, "lon": 126.4, "villages": [
   {"code": "V0101", "name": "南岗村", "aliases": ["南岗"], "lat": 46.8, "lon": 126.5},
   {"code": "V0102", "name": "新兴村", "aliases": [], "lat": 46.8, "lon": 126.5}]},
  {"code": "T02", "name": "通江镇", "short": "通江", "lat": 46.9, "lon": 126.6, "villages": [
   {"code": "V0201", "name": "南岗村", "aliases": [], "lat": 46.9, "lon": 126.6}]}
 ],
 "stations": [
  {"id": "ST-V0101", "village": "V0101", "name": "南岗村驿站", "hours": "07:30-19:30"},
  {"id": "ST-V0201", "village": "V0201", "name": "南岗村驿站", "hours": ""}
 ],
 "lines": [{"code": "L1", "name": "1路", "stops": ["CENTRE", "V0101", "V0201", "CENTRE"], "departures": ["07:00"]}]
}`

func TestLoadMinimal(t *testing.T) {
	c, err := gazetteer.Load(strings.NewReader(minimal))
	require.NoError(t, err)
	_, ok := c.StationOf("V0102")
	assert.False(t, ok, "a village may have no station yet")
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"duplicate village code", `"code": "V0201"`, `"code": "V0101"`, `village 0 "V0101": duplicate code`},
		{"duplicate town code", `"code": "T02"`, `"code": "T01"`, `town 1 "T01": duplicate code`},
		{"duplicate town name", `"name": "通江镇", "short": "通江"`, `"name": "望奎镇", "short": "通江"`, `name "望奎镇" already used by town "T01"`},
		{"duplicate station id", `"id": "ST-V0201"`, `"id": "ST-V0101"`, `station 1 "ST-V0101": duplicate id`},
		{"station of unknown village", `"village": "V0201"`, `"village": "V0999"`, `station 1 "ST-V0201": unknown village "V0999"`},
		{"two stations for a village", `"village": "V0201"`, `"village": "V0101"`, `village "V0101" already has station "ST-V0101"`},
		{"unknown line stop", `"V0201", "CENTRE"]`, `"V0299", "CENTRE"]`, `line 0 "L1": stop 2 "V0299" is neither a village nor the centre`},
		{"short line", `["CENTRE", "V0101", "V0201", "CENTRE"]`, `["CENTRE"]`, `fewer than two stops`},
		{"bad departure", `"07:00"`, `"7:00"`, `departure "7:00" is not HH:MM`},
		{"bad hours", `"07:30-19:30"`, `"07:30-25:00"`, `hours "07:30-25:00"`},
		{"missing village name", `"name": "新兴村"`, `"name": ""`, `village 1 "V0102": missing name`},
		{"village name twice in a town", `"name": "新兴村"`, `"name": "南岗村"`, `name "南岗村" twice in the town`},
		{"missing town name", `"name": "通江镇"`, `"name": ""`, `town 1 "T02": missing name`},
		{"missing station name", `"name": "南岗村驿站", "hours": ""`, `"name": "", "hours": ""`, `station 1 "ST-V0201": missing name`},
		{"missing county name", `"county": "望奎县"`, `"county": ""`, `county: missing name`},
		{"latitude out of range", `"lat": 46.9, "lon": 126.6}]}`, `"lat": 96.9, "lon": 126.6}]}`, `village 0 "V0201": coordinates (96.9, 126.6) out of range`},
		{"longitude out of range", `"lat": 46.8, "lon": 126.4, "villages"`, `"lat": 46.8, "lon": -226.4, "villages"`, `town 0 "T01": coordinates (46.8, -226.4) out of range`},
		{"missing coordinates", `"lat": 46.8, "lon": 126.4}`, `"lat": 0, "lon": 0}`, `centre "CENTRE": missing coordinates`},
		{"empty alias", `["南岗"]`, `["南岗", " "]`, `alias 1 is empty`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.Replace(minimal, tc.old, tc.new, 1)
			require.NotEqual(t, minimal, src, "the case must change the file")
			_, err := gazetteer.Load(strings.NewReader(src))
			require.Error(t, err)
			assert.True(t, errors.Is(err, gazetteer.ErrInvalid), "%v", err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	src := strings.Replace(minimal, `"village": "V0201"`, `"village": "V0999"`, 1)
	src = strings.Replace(src, `"07:00"`, `"25:00"`, 1)
	_, err := gazetteer.Load(strings.NewReader(src))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown village "V0999"`)
	assert.Contains(t, err.Error(), `departure "25:00"`)
}

func TestLoadRefusesUnknownFieldsAndBadJSON(t *testing.T) {
	_, err := gazetteer.Load(strings.NewReader(strings.Replace(minimal, `"province"`, `"provence"`, 1)))
	assert.ErrorContains(t, err, `decode county: json: unknown field "provence"`)
	_, err = gazetteer.Load(strings.NewReader(`{"towns": [`))
	assert.ErrorContains(t, err, "decode county")
}

func TestLoadFile(t *testing.T) {
	_, err := gazetteer.LoadFile(filepath.Join(t.TempDir(), "missing.json"))
	assert.ErrorContains(t, err, "open county")
	assert.ErrorIs(t, err, os.ErrNotExist)

	bad := filepath.Join(t.TempDir(), "county.json")
	require.NoError(t, os.WriteFile(bad, []byte(strings.Replace(minimal, `"county": "望奎县"`, `"county": ""`, 1)), 0o600))
	_, err = gazetteer.LoadFile(bad)
	assert.ErrorIs(t, err, gazetteer.ErrInvalid)
	assert.ErrorContains(t, err, "load "+bad)
}
