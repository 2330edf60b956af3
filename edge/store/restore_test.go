package store

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/syncproto"
)

// restoreFixture is a closed database at path with ops 1..5 of incarnation
// inc and a backup at bak taken after op 3.
type restoreFixture struct {
	path, bak string
	inc       string
	clock     *testClock
	ops       []*syncproto.Op
}

func newRestoreFixture(t *testing.T) restoreFixture {
	t.Helper()
	ctx := context.Background()
	f := restoreFixture{path: dbPath(t), clock: newTestClock(when2025)}
	f.bak = filepath.Join(filepath.Dir(f.path), "backup", "edge-20250310.db")
	require.NoError(t, os.MkdirAll(filepath.Dir(f.bak), 0o755))

	s, err := Open(ctx, f.path, Options{Node: testNode, Kind: syncproto.NodeStation, Now: f.clock.Now})
	require.NoError(t, err)
	f.inc = s.Identity().Incarnation
	for i := range 3 {
		f.ops = append(f.ops, appendSetting(t, s, "li", i))
	}
	if err := s.Backup(ctx, f.bak); err != nil {
		// See TestBackup; take the same copy on the writer so that Restore
		// can still be tested.
		t.Logf("Backup: %v; copying with VACUUM INTO on the writer instead", err)
		_, err = s.w.ExecContext(ctx, "VACUUM INTO ?", f.bak)
		require.NoError(t, err)
	}

	f.clock.Set(when2025.Add(30 * 24 * time.Hour))
	for i := 3; i < 5; i++ {
		f.ops = append(f.ops, appendSetting(t, s, "li", i))
	}
	require.NoError(t, s.Close())
	return f
}

func TestBackup(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	s := openStore(t, path, Options{})
	for i := range 3 {
		appendSetting(t, s, "li", i)
	}
	bak := filepath.Join(t.TempDir(), "edge.bak")
	err := s.Backup(ctx, bak)
	if err != nil {
		t.Fatalf("regression: edge/store/restore.go Backup runs VACUUM INTO on s.r, the query_only(1) pool, which SQLite refuses: %v", err)
	}
	// A backup never overwrites a file.
	require.ErrorContains(t, s.Backup(ctx, bak), "already exists")

	// The copy is consistent and complete while the store stays open.
	appendSetting(t, s, "li", 3)
	db := rawDB(t, bak)
	var n, maxSeq int
	require.NoError(t, db.QueryRow("SELECT count(*), max(seq) FROM outbox").Scan(&n, &maxSeq))
	assert.Equal(t, 3, n)
	assert.Equal(t, 3, maxSeq)
	var ok string
	require.NoError(t, db.QueryRow("PRAGMA integrity_check").Scan(&ok))
	assert.Equal(t, "ok", ok)
	var inc string
	var nextSeq int
	require.NoError(t, db.QueryRow("SELECT incarnation, next_seq FROM node").Scan(&inc, &nextSeq))
	assert.Equal(t, s.Identity().Incarnation, inc)
	assert.Equal(t, 4, nextSeq)
}

func TestBackupRefusesExistingFile(t *testing.T) {
	s := openStore(t, dbPath(t), Options{})
	bak := filepath.Join(t.TempDir(), "edge.bak")
	require.NoError(t, os.WriteFile(bak, []byte("precious"), 0o600))
	require.ErrorContains(t, s.Backup(context.Background(), bak), "already exists")
	b, err := os.ReadFile(bak)
	require.NoError(t, err)
	assert.Equal(t, "precious", string(b))
}

func TestRestore(t *testing.T) {
	ctx := context.Background()
	f := newRestoreFixture(t)

	s, err := Restore(ctx, f.bak, f.path, Options{Node: "ignored", Kind: syncproto.NodeCentre, Now: f.clock.Now})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })

	id := s.Identity()
	assert.Equal(t, testNode, id.Node, "the identity comes from the backup")
	assert.Equal(t, syncproto.NodeStation, id.Kind)
	assert.Regexp(t, incarnationRe, id.Incarnation)
	assert.NotEqual(t, f.inc, id.Incarnation, "a restored database is a new incarnation")

	// The restored state is the backup's: the settings written after it
	// are gone.
	var days string
	require.NoError(t, s.r.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = 'overdue_days'").Scan(&days))
	assert.Equal(t, "2", days)

	// The new incarnation starts at seq 1 and the outbox of the old one is
	// kept, as far as the backup had it.
	st, err := s.Outbox(ctx)
	require.NoError(t, err)
	assert.Equal(t, OutboxStats{}, st)
	assert.Empty(t, allOps(t, s))
	var oldOps int
	require.NoError(t, s.r.QueryRowContext(ctx, "SELECT count(*) FROM outbox WHERE incarnation = ?", f.inc).Scan(&oldOps))
	assert.Equal(t, 3, oldOps)

	var reason string
	var prev sql.NullString
	var prevSeq sql.NullInt64
	require.NoError(t, s.r.QueryRowContext(ctx, "SELECT reason, prev, prev_seq FROM incarnations WHERE incarnation = ?", id.Incarnation).
		Scan(&reason, &prev, &prevSeq))
	assert.Equal(t, "restored", reason)
	assert.Equal(t, f.inc, prev.String)
	assert.Equal(t, int64(3), prevSeq.Int64, "the old incarnation ends where the backup ends")
	var incs int
	require.NoError(t, s.r.QueryRowContext(ctx, "SELECT count(*) FROM incarnations").Scan(&incs))
	assert.Equal(t, 2, incs)

	op := appendSetting(t, s, "li", 7)
	assert.Equal(t, uint64(1), op.Seq)
	assert.Equal(t, id.Incarnation, op.Incarnation)
	assert.Greater(t, op.HLC, f.ops[2].HLC)
	op = appendSetting(t, s, "li", 8)
	assert.Equal(t, uint64(2), op.Seq)
	require.NoError(t, s.Check(ctx), "two incarnations, each gap-free")

	// The replaced database is kept, whole.
	old := rawDB(t, s.ReplacedPath)
	var n int
	var inc string
	require.NoError(t, old.QueryRow("SELECT count(*) FROM outbox").Scan(&n))
	require.NoError(t, old.QueryRow("SELECT incarnation FROM node").Scan(&inc))
	assert.Equal(t, 5, n)
	assert.Equal(t, f.inc, inc)

	// The backup itself is untouched.
	bak := rawDB(t, f.bak)
	require.NoError(t, bak.QueryRow("SELECT incarnation FROM node").Scan(&inc))
	assert.Equal(t, f.inc, inc)

	// Reopening keeps the new incarnation.
	require.NoError(t, s.Close())
	s2 := openStore(t, f.path, Options{Now: f.clock.Now})
	assert.Equal(t, id.Incarnation, s2.Identity().Incarnation)
	assert.Equal(t, uint64(3), appendSetting(t, s2, "li", 9).Seq)
	require.NoError(t, s2.Check(ctx))
}

func TestRestoreTwiceGivesTwoIncarnations(t *testing.T) {
	ctx := context.Background()
	f := newRestoreFixture(t)
	s, err := Restore(ctx, f.bak, f.path, Options{Now: f.clock.Now})
	require.NoError(t, err)
	first := s.Identity().Incarnation
	appendSetting(t, s, "li", 1)
	require.NoError(t, s.Close())
	require.NoError(t, os.Remove(s.ReplacedPath))

	s, err = Restore(ctx, f.bak, f.path, Options{Now: f.clock.Now})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	assert.NotEqual(t, first, s.Identity().Incarnation)
	assert.NotEqual(t, f.inc, s.Identity().Incarnation)
	assert.Equal(t, uint64(1), appendSetting(t, s, "li", 2).Seq)
	require.NoError(t, s.Check(ctx))
}

func TestRestoreKeepsClockAheadOfReplacedDatabase(t *testing.T) {
	ctx := context.Background()
	f := newRestoreFixture(t)
	// The machine comes back from repair with its clock in 1970.
	f.clock.Set(time.Unix(0, 0))
	s, err := Restore(ctx, f.bak, f.path, Options{Now: f.clock.Now})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	op := appendSetting(t, s, "li", 1)
	require.Greater(t, op.HLC, f.ops[2].HLC, "after the backup's mark, at least")
	if op.HLC <= f.ops[4].HLC {
		t.Fatalf("regression: edge/store/restore.go Restore resumes the HLC from the backup's hlc_hwm (%s), not from the replaced "+
			"database's (%s): with a 1970 wall clock the node issues %s, before ops it already issued", f.ops[2].HLC, f.ops[4].HLC, op.HLC)
	}
}

func TestRestoreFailureKeepsLiveDatabase(t *testing.T) {
	tests := []struct {
		name string
		src  func(t *testing.T, f restoreFixture) string
		want string
	}{
		{"missing backup", func(t *testing.T, f restoreFixture) string {
			return filepath.Join(filepath.Dir(f.bak), "no-such.db")
		}, "no such file"},
		{"backup failing its check", func(t *testing.T, f restoreFixture) string {
			db := rawDB(t, f.bak)
			_, err := db.Exec("DELETE FROM outbox WHERE seq = 2")
			require.NoError(t, err)
			require.NoError(t, db.Close())
			return f.bak
		}, "check"},
		{"not a database", func(t *testing.T, f restoreFixture) string {
			p := filepath.Join(filepath.Dir(f.bak), "junk.db")
			require.NoError(t, os.WriteFile(p, []byte("this is not a database, just some text long enough to have a header"), 0o600))
			return p
		}, "corrupt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f := newRestoreFixture(t)
			src := tt.src(t, f)
			_, err := Restore(ctx, src, f.path, Options{Now: f.clock.Now})
			require.Error(t, err)
			assert.ErrorContains(t, err, tt.want)

			s, err := Open(ctx, f.path, Options{})
			var ops []syncproto.Op
			if err == nil {
				defer s.Close()
				ops = allOps(t, s)
			}
			if err != nil || s.Identity().Incarnation != f.inc || len(ops) != 5 {
				t.Fatalf("regression: edge/store/restore.go Restore moves the live database to .replaced before the backup is "+
					"copied, opened and checked, and does not move it back on failure: after a failed restore (%s) "+
					"the node finds no database or the bad copy at its path (open: %v, %d of 5 ops)", tt.name, err, len(ops))
			}
			require.NoError(t, s.Check(ctx))
		})
	}
}
