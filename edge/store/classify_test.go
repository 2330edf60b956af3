package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/syncproto"
)

var allKinds = []error{ErrDiskFull, ErrLocked, ErrReadOnly, ErrIO, ErrCorrupt}

// requireKind requires err to be classified as want and as no other kind.
func requireKind(t *testing.T, err, want error) {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, want)
	for _, k := range allKinds {
		if k != want {
			assert.NotErrorIs(t, err, k)
		}
	}
}

func TestClassifyPassesOtherErrorsThrough(t *testing.T) {
	assert.NoError(t, classify(nil))
	plain := errors.New("plain")
	assert.Same(t, plain, classify(plain))
	wrapped := fmt.Errorf("read: %w", sql.ErrNoRows)
	assert.Same(t, wrapped, classify(wrapped))

	// A SQLite error without a storage meaning (a constraint) is left alone.
	s := openStore(t, dbPath(t), Options{})
	err := s.Write(context.Background(), "li", func(tx *Tx) error {
		_, err := tx.ExecContext(context.Background(), "INSERT INTO node (id, node_id, kind, incarnation, next_seq, hlc_hwm, secret, created_at) VALUES (2, 'x', 'station', 'i', 1, 0, x'00', 0)")
		return err
	})
	require.ErrorContains(t, err, "CHECK constraint")
	for _, k := range allKinds {
		assert.NotErrorIs(t, err, k)
	}
}

func TestClassifiedErrorKeepsCause(t *testing.T) {
	path := dbPath(t)
	_, err := rawDB(t, path).Exec("CREATE TABLE t (x)")
	require.NoError(t, err)
	ro, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	require.NoError(t, err)
	defer ro.Close()
	_, cause := ro.Exec("INSERT INTO t VALUES (1)")
	require.Error(t, cause)

	err = classify(cause)
	requireKind(t, err, ErrReadOnly)
	assert.True(t, errors.Is(err, cause), "the driver's error stays reachable")
	assert.True(t, strings.HasPrefix(err.Error(), "database read-only: "), err.Error())
	assert.Contains(t, err.Error(), cause.Error())
}

func TestDiskFull(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, dbPath(t), Options{})
	appendSetting(t, s, "li", 1)
	var pages int
	require.NoError(t, s.w.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages))
	// The writer is a single connection, so the cap holds for every write.
	_, err := s.w.ExecContext(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", pages+2))
	require.NoError(t, err)

	big := strings.Repeat("x", 64<<10)
	var full error
	for i := range 50 {
		full = s.Write(ctx, "li", func(tx *Tx) error {
			if _, err := tx.ExecContext(ctx, "INSERT INTO settings (key, value) VALUES (?, ?)", fmt.Sprint("big", i), big); err != nil {
				return err
			}
			_, err := tx.Append(syncproto.KindSettingsSet, syncproto.SettingsSet{OverdueDays: i})
			return err
		})
		if full != nil {
			break
		}
	}
	requireKind(t, full, ErrDiskFull)
	assert.Len(t, allOps(t, s), 1, "the failed write left no op")
	var n int
	require.NoError(t, s.r.QueryRowContext(ctx, "SELECT count(*) FROM settings WHERE key LIKE 'big%'").Scan(&n))
	assert.Zero(t, n)
	require.NoError(t, s.Check(ctx))

	// Room again: writing resumes with the next seq.
	_, err = s.w.ExecContext(ctx, "PRAGMA max_page_count = 1073741823")
	require.NoError(t, err)
	assert.Equal(t, uint64(2), appendSetting(t, s, "li", 2).Seq)
	require.NoError(t, s.Check(ctx))
}

func TestLocked(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	s := openStore(t, path, Options{BusyTimeout: 100 * time.Millisecond})
	appendSetting(t, s, "li", 1)

	// Another process takes the write lock and keeps it.
	other := rawDB(t, path)
	conn, err := other.Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.ExecContext(ctx, "BEGIN IMMEDIATE")
	require.NoError(t, err)

	start := time.Now()
	err = s.Write(ctx, "li", func(tx *Tx) error {
		_, err := tx.Append(syncproto.KindSettingsSet, syncproto.SettingsSet{})
		return err
	})
	requireKind(t, err, ErrLocked)
	assert.GreaterOrEqual(t, time.Since(start), 90*time.Millisecond, "it waited for the busy timeout")
	// Readers are not blocked by a writer in WAL mode.
	assert.Len(t, allOps(t, s), 1)

	_, err = conn.ExecContext(ctx, "ROLLBACK")
	require.NoError(t, err)
	assert.Equal(t, uint64(2), appendSetting(t, s, "li", 2).Seq)
	require.NoError(t, s.Check(ctx))
}

func TestReadOnlyDatabase(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	s, err := Open(ctx, path, Options{Node: testNode, Kind: syncproto.NodeStation})
	require.NoError(t, err)
	appendSetting(t, s, "li", 1)
	require.NoError(t, s.Close())

	require.NoError(t, os.Chmod(path, 0o444))
	if f, err := os.OpenFile(path, os.O_WRONLY, 0); err == nil {
		f.Close()
		// Running as root: permissions do not bind. Make the file immutable
		// instead, which binds root too.
		if out, err := exec.Command("chattr", "+i", path).CombinedOutput(); err != nil {
			t.Skipf("cannot make %s read-only as uid %d: chmod does not bind and chattr failed: %v %s", path, os.Geteuid(), err, out)
		}
		t.Cleanup(func() { exec.Command("chattr", "-i", path).Run() })
	}

	s, err = Open(ctx, path, Options{BusyTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Logf("open: %v", err)
		requireKind(t, err, ErrReadOnly)
		return
	}
	defer s.Close()
	t.Log("opened read-only database")
	assert.Len(t, allOps(t, s), 1, "a read-only database can still be read")
	err = s.Write(ctx, "li", func(tx *Tx) error {
		_, err := tx.Append(syncproto.KindSettingsSet, syncproto.SettingsSet{})
		return err
	})
	requireKind(t, err, ErrReadOnly)
}

func TestNotADatabase(t *testing.T) {
	path := dbPath(t)
	require.NoError(t, os.WriteFile(path, []byte(strings.Repeat("not a database. ", 512)), 0o600))
	_, err := Open(context.Background(), path, Options{Node: testNode, Kind: syncproto.NodeStation})
	requireKind(t, err, ErrCorrupt)
}
