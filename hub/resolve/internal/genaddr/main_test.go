package main

import (
	"bytes"
	"os"
	"testing"

	"cunyou/hub/gazetteer"
)

// TestLabelledSetIsCurrent checks that testdata/addresses.tsv is what the
// generator writes, so the set is reproducible and nobody edits it by hand.
func TestLabelledSetIsCurrent(t *testing.T) {
	c, err := gazetteer.LoadFile("../../../../testdata/county.json")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := generate(c, defaultSeed, defaultPerVillage)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	write(&got, rows)
	want, err := os.ReadFile("../../../../testdata/addresses.tsv")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatal("testdata/addresses.tsv is stale: go run ./hub/resolve/internal/genaddr > testdata/addresses.tsv")
	}
	if len(rows) < 600 {
		t.Errorf("%d rows, want at least 600", len(rows))
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	c, err := gazetteer.LoadFile("../../../../testdata/county.json")
	if err != nil {
		t.Fatal(err)
	}
	a, err := generate(c, 7, 3)
	if err != nil {
		t.Fatal(err)
	}
	b, err := generate(c, 7, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != len(b) {
		t.Fatalf("%d rows then %d", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("row %d: %v then %v", i, a[i], b[i])
		}
	}
}
