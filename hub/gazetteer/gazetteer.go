// Package gazetteer holds the county gazetteer: the towns and villages of
// the county, the village stations that serve them, the bus lines that
// reach them and the county sorting centre (DESIGN §2 step 2). It loads the
// county file (testdata/county.json), validates it and answers lookups by
// code. It holds no state beyond the file and keeps no database.
package gazetteer

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// County is the county file: its place in the country, the sorting centre,
// the towns with their villages, the stations and the bus lines.
type County struct {
	Province string    `json:"province"` // 黑龙江省
	City     string    `json:"city"`     // 绥化市
	Name     string    `json:"county"`   // 望奎县
	Note     string    `json:"note,omitempty"`
	Centre   Centre    `json:"centre"`
	Towns    []Town    `json:"towns"`
	Stations []Station `json:"stations"`
	Lines    []Line    `json:"lines"`

	idx *index // built by Validate
}

// Centre is the county sorting centre. Its ID may appear as a line stop.
type Centre struct {
	ID   string  `json:"id"`
	Name string  `json:"name"`
	Lat  float64 `json:"lat"`
	Lon  float64 `json:"lon"`
}

// Town is a town (镇) or township (乡) with its villages. Short is the name
// people use without the suffix (先锋 for 先锋镇, 惠七 for 惠七满族镇).
type Town struct {
	Code     string    `json:"code"`
	Name     string    `json:"name"`
	Short    string    `json:"short"`
	Lat      float64   `json:"lat"`
	Lon      float64   `json:"lon"`
	Villages []Village `json:"villages"`
}

// Village is an administrative village (行政村). Aliases are the other names
// it goes by (南岗, 南岗屯, 南岗大队 for 南岗村). Codes are unique in the county.
type Village struct {
	Code    string   `json:"code"`
	Name    string   `json:"name"`
	Aliases []string `json:"aliases"`
	Lat     float64  `json:"lat"`
	Lon     float64  `json:"lon"`
}

// Station is a village station (驿站). Village is the code of the village it
// serves; Hours is "HH:MM-HH:MM" when known.
type Station struct {
	ID      string `json:"id"`
	Village string `json:"village"`
	Name    string `json:"name"`
	Hours   string `json:"hours"`
}

// Line is a bus line with its ordered stops (village codes or the centre's
// ID) and its departure times ("HH:MM").
type Line struct {
	Code       string   `json:"code"`
	Name       string   `json:"name"`
	Stops      []string `json:"stops"`
	Departures []string `json:"departures"`
}

// Load decodes and validates a county file. Unknown fields are refused, so a
// misspelt key does not silently drop data.
func Load(r io.Reader) (*County, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var c County
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("decode county: %w", err)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// LoadFile loads and validates the county file at path.
func LoadFile(path string) (*County, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open county: %w", err)
	}
	defer f.Close()
	c, err := Load(f)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	return c, nil
}
