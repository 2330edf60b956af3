package store

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"cunyou/sqlitedb"
)

// BenchmarkStatistics30Days10M computes 30 days of statistics on the 10M
// county of hub/trackbench (its cached database, opened read-only as it
// is: `go test -bench Statistics ./hub/trackbench` builds it), the last
// month of its history.
func BenchmarkStatistics30Days10M(b *testing.B) {
	path := filepath.Join(os.TempDir(), "cunyou-trackbench-10M-v2", DBName)
	if _, err := os.Stat(path); err != nil {
		b.Skipf("no 10M county at %s", path)
	}
	db, err := sql.Open("sqlite", sqlitedb.DSN(path, sqlitedb.Options{BusyTimeout: 5 * time.Second, Synchronous: "NORMAL"}, true))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	loc := time.FixedZone("CST", 8*3600)
	to := time.Date(2026, 3, 14, 0, 0, 0, 0, loc)
	st := &Store{r: db, now: func() time.Time { return to }}
	q := StatsQuery{From: to.AddDate(0, 0, -30), To: to, Loc: loc, OverdueAfter: 3 * 24 * time.Hour}
	ctx := context.Background()
	var got *Statistics
	for b.Loop() {
		if got, err = st.Statistics(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(got.Total.In), "in")
	b.ReportMetric(float64(got.Total.PickedUp), "picked-up")
	b.Logf("%+v", got.Total)
}
