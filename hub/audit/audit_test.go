package audit_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/hub/audit"
	"cunyou/hub/store"
)

func newLog(t *testing.T) (*audit.Log, *store.Store) {
	t.Helper()
	st, err := store.Open(context.Background(), t.TempDir(), store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	return audit.New(st), st
}

// tamper runs query on a connection of its own, with the append-only
// triggers dropped: what someone with the database file could do.
func tamper(t *testing.T, st *store.Store, query string, args ...any) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(st.Dir(), store.DBName)+"?_pragma=busy_timeout(5000)")
	require.NoError(t, err)
	defer db.Close()
	for _, q := range []string{"DROP TRIGGER audit_no_update", "DROP TRIGGER audit_no_delete", query} {
		_, err := db.Exec(q, args...)
		require.NoError(t, err, q)
		args = nil
	}
}

func fill(t *testing.T, l *audit.Log, n int) {
	t.Helper()
	for i := range n {
		_, err := l.Append(context.Background(), audit.Entry{Actor: "user:wang", Role: "dispatcher", Action: "parcel.read",
			Target: fmt.Sprintf("YT%04d", i), Remote: "10.0.0.7", Result: audit.OK})
		require.NoError(t, err)
	}
}

func TestChain(t *testing.T) {
	ctx := context.Background()
	l, _ := newLog(t)
	rep, err := l.Verify(ctx)
	require.NoError(t, err)
	assert.Zero(t, rep.Rows)

	fill(t, l, 5)
	rows, err := l.List(ctx, store.AuditQuery{})
	require.NoError(t, err)
	require.Len(t, rows, 5)
	assert.Equal(t, int64(5), rows[0].Seq, "newest first")
	assert.Equal(t, audit.Genesis, rows[4].Prev)
	for i := 0; i < 4; i++ {
		assert.Equal(t, rows[i+1].Hash, rows[i].Prev)
		assert.Equal(t, audit.Seal(rows[i]), rows[i].Hash)
	}
	rep, err = l.Verify(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(5), rep.Rows)
	assert.Equal(t, rows[0].Hash, rep.Last)
}

func TestAppendOnly(t *testing.T) {
	ctx := context.Background()
	l, st := newLog(t)
	fill(t, l, 2)
	err := st.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec("UPDATE audit SET result = 'ok' WHERE seq = 1")
		return err
	})
	assert.ErrorContains(t, err, "append-only")
	err = st.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec("DELETE FROM audit WHERE seq = 2")
		return err
	})
	assert.ErrorContains(t, err, "append-only")
}

func TestTamperDetected(t *testing.T) {
	tests := []struct {
		name  string
		query string
		seq   int64
	}{
		{"content changed", "UPDATE audit SET actor = 'user:li' WHERE seq = 3", 3},
		{"content and hash changed", "UPDATE audit SET target = 'YT9999', hash = '" + fmt.Sprint(audit.Genesis) + "' WHERE seq = 3", 3},
		{"row removed", "DELETE FROM audit WHERE seq = 3", 4},
		{"time moved", "UPDATE audit SET at_ms = at_ms - 3600000 WHERE seq = 5", 5},
		{"first row changed", "UPDATE audit SET remote = '10.0.0.8' WHERE seq = 1", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			l, st := newLog(t)
			fill(t, l, 6)
			tamper(t, st, tt.query)
			_, err := l.Verify(ctx)
			require.ErrorIs(t, err, audit.ErrBroken)
			var be *audit.BrokenError
			require.ErrorAs(t, err, &be)
			assert.Equal(t, tt.seq, be.Seq, "%v", err)
		})
	}
}

func TestCanonical(t *testing.T) {
	r := store.AuditRow{Seq: 1, Actor: "a\"b", Action: "x", Prev: audit.Genesis}
	assert.Equal(t, `[1,-62135596800000,"a\"b","","x","","","",""]`, string(audit.Canonical(r)))
	// fields cannot run into each other
	a := store.AuditRow{Seq: 1, Actor: "ab", Role: "c", Prev: audit.Genesis}
	b := store.AuditRow{Seq: 1, Actor: "a", Role: "bc", Prev: audit.Genesis}
	assert.NotEqual(t, audit.Seal(a), audit.Seal(b))
}

// Appends from many goroutines (the API's handlers) keep one chain.
func TestConcurrentAppends(t *testing.T) {
	ctx := context.Background()
	l, _ := newLog(t)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 10 {
				_, err := l.Append(ctx, audit.Entry{Actor: fmt.Sprintf("user:u%d", g), Action: "parcel.read", Target: fmt.Sprint(i), Result: audit.OK})
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
	rep, err := l.Verify(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(80), rep.Rows)
}
