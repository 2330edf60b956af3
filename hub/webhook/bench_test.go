package webhook

import (
	"database/sql"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"
)

// BenchmarkDue reads the queue as the dispatcher does after every attempt,
// with a long backlog: 10 carriers, 100k deliveries queued (two carriers'
// receivers down, their lines held) and 200k delivered.
func BenchmarkDue(b *testing.B) {
	e := newEnv(b, Options{Log: slog.New(slog.DiscardHandler)})
	now := t0.UnixMilli()
	require.NoError(b, e.st.Write(e.ctx, func(tx *sql.Tx) error {
		st, err := tx.Prepare(`INSERT INTO webhook_deliveries
			(carrier, event_id, kind, waybill, body, status, next_attempt_ms, created_ms, series_ms, holds_line)
			VALUES (?, ?, 'at_station', ?, x'7b7d', ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		for i := range 300_000 {
			c := fmt.Sprintf("C%d", i%10)
			status, next, holds := "delivered", now, 0
			switch {
			case i >= 200_000 && i%10 < 2:
				status, next = "pending", now
			case i >= 200_000:
				status, next, holds = "failed", now+60_000, 1
			}
			if _, err := st.Exec(c, fmt.Sprint("e", i), fmt.Sprint("W", i), status, next, now, now, holds); err != nil {
				return err
			}
		}
		return nil
	}))
	b.ResetTimer()
	for b.Loop() {
		picks, _, err := e.d.due(e.ctx, 8, func(string) bool { return false })
		if err != nil || len(picks) != 2 {
			b.Fatal(picks, err)
		}
	}
}

// BenchmarkEnqueue is the cost Enqueue adds to the caller's transaction.
func BenchmarkEnqueue(b *testing.B) {
	e := newEnv(b, Options{Log: slog.New(slog.DiscardHandler)})
	e.ep.set("ZTO", "http://127.0.0.1:1/", "s")
	i := 0
	b.ResetTimer()
	require.NoError(b, e.st.Write(e.ctx, func(tx *sql.Tx) error {
		for b.Loop() {
			i++
			if err := e.d.Enqueue(e.ctx, tx, ev("ZTO", "at_station", fmt.Sprint("W", i))); err != nil {
				return err
			}
		}
		return nil
	}))
}
