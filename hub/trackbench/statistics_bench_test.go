package trackbench_test

import (
	"context"
	"testing"
	"time"

	"cunyou/hub/store"
	"cunyou/hub/trackbench"
)

// BenchmarkStatistics30Days10M computes the statistics of GET
// /api/v1/statistics for the last 30 days of the 10M county's history
// (every station and carrier: the largest answer), as a manager's or the
// government's console asks for them. query-ms is the time of one,
// cpu-ms/query the CPU it took (on all cores: the carriers are read
// alongside the facts), which the machine's other work changes less.
func BenchmarkStatistics30Days10M(b *testing.B) {
	ctx := context.Background()
	dir, _, err := trackbench.Cached(ctx, trackbench.County10M, countyFile, b.Logf)
	if err != nil {
		b.Fatal(err)
	}
	end := time.Date(2026, 3, 14, 0, 0, 0, 0, trackbench.Loc) // the history ends before 14 March
	st, err := store.Open(ctx, dir, store.Options{Now: func() time.Time { return end }})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	q := store.StatsQuery{From: end.AddDate(0, 0, -30), To: end, Loc: trackbench.Loc, OverdueAfter: 3 * 24 * time.Hour}
	var got *store.Statistics
	start, cpu := time.Now(), processCPU()
	for b.Loop() {
		if got, err = st.Statistics(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(time.Since(start).Milliseconds())/float64(b.N), "query-ms")
	b.ReportMetric(float64((processCPU()-cpu).Milliseconds())/float64(b.N), "cpu-ms/query")
	b.ReportMetric(float64(got.Total.In), "in")
	b.ReportMetric(float64(got.Total.PickedUp), "picked-up")
	b.ReportMetric(float64(len(got.StationDays)), "station-days")
}
