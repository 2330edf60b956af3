package resolve_test

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"cunyou/hub/gazetteer"
	"cunyou/hub/resolve"
)

const (
	countyFile   = "../../testdata/county.json"
	labelledFile = "../../testdata/addresses.tsv"
)

func newResolver(tb testing.TB) (*resolve.Resolver, *gazetteer.County) {
	tb.Helper()
	c, err := gazetteer.LoadFile(countyFile)
	if err != nil {
		tb.Fatal(err)
	}
	return resolve.New(c), c
}

type labelled struct {
	line             int
	address, station string
}

// readLabelled reads testdata/addresses.tsv: a header line, then
// address<TAB>expected_station (see hub/resolve/internal/genaddr).
func readLabelled(tb testing.TB) []labelled {
	tb.Helper()
	f, err := os.Open(labelledFile)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var rows []labelled
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if n == 1 {
			if sc.Text() != "address\texpected_station" {
				tb.Fatalf("%s:1: header %q", labelledFile, sc.Text())
			}
			continue
		}
		address, station, ok := strings.Cut(sc.Text(), "\t")
		if !ok || strings.Contains(station, "\t") {
			tb.Fatalf("%s:%d: want two columns: %q", labelledFile, n, sc.Text())
		}
		rows = append(rows, labelled{n, address, station})
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return rows
}

// score counts how the resolver does on the labelled rows: correct (the
// expected station, or unresolved where none is expected), wrong (a station
// other than the expected one) and unresolved (no station where one is
// expected).
type score struct {
	rows, correct, wrong, unresolved int
}

func (s score) pct(n int) float64 { return 100 * float64(n) / float64(s.rows) }

func TestLabelledSet(t *testing.T) {
	r, c := newResolver(t)
	rows := readLabelled(t)
	if len(rows) < 600 {
		t.Errorf("%d labelled rows, want at least 600", len(rows))
	}
	var s score
	want0 := 0
	for _, row := range rows {
		if row.station == "" {
			want0++
		} else if _, ok := c.Station(row.station); !ok {
			t.Errorf("%s:%d: unknown station %q", labelledFile, row.line, row.station)
		}
		got := r.Resolve(row.address)
		s.rows++
		switch {
		case got.Station == row.station:
			s.correct++
		case got.Station == "":
			s.unresolved++
			t.Logf("unresolved %s:%d %q: want %s, got %s: %s", labelledFile, row.line, row.address, row.station, got.Reason, got.Detail)
		default:
			s.wrong++
			want := row.station
			if want == "" {
				want = "unresolved"
			}
			t.Errorf("WRONG %s:%d %q: want %s, got %s (%s: %s)", labelledFile, row.line, row.address, want, got.Station, got.Reason, got.Detail)
		}
	}
	if want0 < 60 {
		t.Errorf("%d rows expect no station, want at least 60", want0)
	}
	t.Logf("%d rows (%d expect no station): accuracy %.1f%%, wrong station %.2f%%, unresolved %.1f%%",
		s.rows, want0, s.pct(s.correct), s.pct(s.wrong), s.pct(s.unresolved))
	if s.pct(s.wrong) > 1 {
		t.Errorf("wrong-station rate %.2f%% is above 1%%", s.pct(s.wrong))
	}
	if s.pct(s.correct) < 90 {
		t.Errorf("accuracy %.1f%% is below 90%%", s.pct(s.correct))
	}
}
