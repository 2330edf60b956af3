package resolve_test

import (
	"testing"
	"time"

	"cunyou/hub/resolve"
)

// BenchmarkResolveLabelled resolves the whole labelled set per iteration and
// reports the figures of the set (accuracy-%, wrong-%, unresolved-%) and the
// mean time per address (ns/address), which stays meaningful under
// -benchtime 1x.
func BenchmarkResolveLabelled(b *testing.B) {
	r, _ := newResolver(b)
	rows := readLabelled(b)
	var s score
	for _, row := range rows {
		got := r.Resolve(row.address).Station
		s.rows++
		switch {
		case got == row.station:
			s.correct++
		case got == "":
			s.unresolved++
		default:
			s.wrong++
		}
	}
	b.ReportAllocs()
	start := time.Now()
	n := 0
	for b.Loop() {
		for _, row := range rows {
			r.Resolve(row.address)
		}
		n++
	}
	elapsed := time.Since(start)
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(n*len(rows)), "ns/address")
	b.ReportMetric(s.pct(s.correct), "accuracy-%")
	b.ReportMetric(s.pct(s.wrong), "wrong-%")
	b.ReportMetric(s.pct(s.unresolved), "unresolved-%")
}

func BenchmarkNew(b *testing.B) {
	_, c := newResolver(b)
	b.ReportAllocs()
	for b.Loop() {
		_ = resolve.New(c)
	}
}
