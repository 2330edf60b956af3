package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func acked(t *testing.T, s *Store, inc string) SyncIncarnation {
	t.Helper()
	incs, err := s.SyncIncarnations(context.Background())
	require.NoError(t, err)
	for _, in := range incs {
		if in.ID == inc {
			return in
		}
	}
	t.Fatalf("no incarnation %s", inc)
	return SyncIncarnation{}
}

func TestSyncAcksAndBacklog(t *testing.T) {
	ctx := context.Background()
	clock := newTestClock(when2025)
	s := openStore(t, dbPath(t), Options{Now: clock.Now})
	inc := s.Identity().Incarnation

	b, err := s.Backlog(ctx)
	require.NoError(t, err)
	assert.Equal(t, Backlog{}, b, "nothing written, nothing waits")

	for i := range 10 {
		appendSetting(t, s, "li", i)
		clock.Set(clock.Now().Add(time.Minute))
	}
	b, err = s.Backlog(ctx)
	require.NoError(t, err)
	assert.Equal(t, 10, b.Ops)
	assert.True(t, b.Oldest.Equal(when2025), "oldest %s", b.Oldest)

	require.NoError(t, s.SetAcked(ctx, inc, 4))
	require.NoError(t, s.SetAcked(ctx, inc, 3), "an older ack is ignored")
	in := acked(t, s, inc)
	assert.Equal(t, uint64(4), in.Acked)
	assert.Equal(t, 6, in.Pending())
	assert.True(t, in.Current)
	b, err = s.Backlog(ctx)
	require.NoError(t, err)
	assert.Equal(t, 6, b.Ops)
	assert.True(t, b.Oldest.Equal(when2025.Add(4*time.Minute)))

	ops, err := s.OpsOf(ctx, inc, 4, 3, 0)
	require.NoError(t, err)
	require.Len(t, ops, 3)
	assert.Equal(t, uint64(5), ops[0].Seq)
	for _, op := range ops {
		require.NoError(t, op.Verify())
	}
	ops, err = s.OpsOf(ctx, inc, 4, 100, 1)
	require.NoError(t, err)
	assert.Len(t, ops, 1, "the byte cap still lets one op through")

	// The hub lost ops 3 and 4: the cursor goes back.
	require.NoError(t, s.ResetAcked(ctx, inc, 2))
	assert.Equal(t, uint64(2), acked(t, s, inc).Acked)
	require.NoError(t, s.SetAcked(ctx, inc, 10))
	b, err = s.Backlog(ctx)
	require.NoError(t, err)
	assert.Equal(t, Backlog{}, b)
	require.NoError(t, s.Check(ctx))
}

func TestPrune(t *testing.T) {
	ctx := context.Background()
	clock := newTestClock(when2025)
	path := dbPath(t)
	s := openStore(t, path, Options{Now: clock.Now})
	old := s.Identity().Incarnation
	for i := range 6 {
		appendSetting(t, s, "li", i)
	}
	require.NoError(t, s.SetAcked(ctx, old, 4))
	clock.Set(when2025.Add(time.Hour))
	require.NoError(t, s.SetAcked(ctx, old, 6))

	n, err := s.Prune(ctx, 24*time.Hour)
	require.NoError(t, err)
	assert.Zero(t, n, "acknowledged within the window: kept")

	clock.Set(when2025.Add(24*time.Hour + 30*time.Minute))
	n, err = s.Prune(ctx, 24*time.Hour)
	require.NoError(t, err)
	assert.Equal(t, 4, n, "only what was acknowledged a window ago")
	require.NoError(t, s.Check(ctx), "a pruned prefix is no gap")

	clock.Set(when2025.Add(48 * time.Hour))
	n, err = s.Prune(ctx, 24*time.Hour)
	require.NoError(t, err)
	assert.Equal(t, 1, n, "the newest op of the current incarnation stays")
	require.NoError(t, s.Check(ctx))
	in := acked(t, s, old)
	assert.Equal(t, uint64(6), in.FirstSeq)
	assert.Equal(t, uint64(5), in.Pruned)
	assert.Zero(t, in.Pending())

	// Ops never acknowledged are never pruned, whatever their age; the
	// one before them, no longer the newest, goes now.
	appendSetting(t, s, "li", 7)
	clock.Set(when2025.Add(1000 * time.Hour))
	n, err = s.Prune(ctx, 24*time.Hour)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	in = acked(t, s, old)
	assert.Equal(t, uint64(7), in.FirstSeq)
	assert.Equal(t, 1, in.Pending())

	// A hole above the pruned prefix is still a gap.
	appendSetting(t, s, "li", 8)
	appendSetting(t, s, "li", 9)
	require.NoError(t, s.Check(ctx))
	_, err = rawDB(t, path).Exec("DELETE FROM outbox WHERE seq = 8")
	require.NoError(t, err)
	require.ErrorIs(t, s.Check(ctx), ErrCorrupt)
	_, err = rawDB(t, path).Exec("DELETE FROM outbox WHERE seq = 7")
	require.NoError(t, err)
	require.ErrorIs(t, s.Check(ctx), ErrCorrupt, "ops not pruned are missing at the start")
	_, err = rawDB(t, path).Exec("DELETE FROM outbox WHERE seq = 9")
	require.NoError(t, err)
	require.ErrorIs(t, s.Check(ctx), ErrCorrupt, "issued ops are gone")
}

func TestPruneOldIncarnationWhole(t *testing.T) {
	ctx := context.Background()
	clock := newTestClock(when2025)
	path := dbPath(t)
	s, err := Open(ctx, path, Options{Node: testNode, Kind: "station", Now: clock.Now})
	require.NoError(t, err)
	first := s.Identity().Incarnation
	for i := range 3 {
		appendSetting(t, s, "li", i)
	}
	backup := filepath.Join(t.TempDir(), "b.db")
	require.NoError(t, s.Backup(ctx, backup))
	require.NoError(t, s.Close())
	s, err = Restore(ctx, backup, path, Options{Now: clock.Now})
	require.NoError(t, err)
	defer s.Close()
	appendSetting(t, s, "li", 9)
	require.NoError(t, s.SetAcked(ctx, first, 3))
	clock.Set(when2025.Add(DefaultSafetyWindow + time.Hour))
	n, err := s.Prune(ctx, 0)
	require.NoError(t, err)
	assert.Equal(t, 3, n, "an old incarnation goes whole")
	require.NoError(t, s.Check(ctx))
	incs, err := s.SyncIncarnations(ctx)
	require.NoError(t, err)
	require.Len(t, incs, 2)
	assert.Equal(t, first, incs[0].ID, "oldest first")
	assert.Zero(t, incs[0].LastSeq)
	assert.Equal(t, 1, incs[1].Pending())
}

func TestSyncConfigAndState(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, dbPath(t), Options{})
	_, ok, err := s.SyncConfig(ctx)
	require.NoError(t, err)
	assert.False(t, ok)
	require.Error(t, s.SetSyncConfig(ctx, SyncConfig{HubURL: "https://hub"}))
	require.NoError(t, s.SetSyncConfig(ctx, SyncConfig{HubURL: "https://hub", Token: "t1", EnrolledAt: when2025}))
	require.NoError(t, s.SetSyncConfig(ctx, SyncConfig{HubURL: "https://hub2", Token: "t2", CAFile: "/ca.pem", EnrolledAt: when2030}))
	c, ok, err := s.SyncConfig(ctx)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, SyncConfig{HubURL: "https://hub2", Token: "t2", CAFile: "/ca.pem", EnrolledAt: time.UnixMilli(when2030.UnixMilli())}, c)

	require.NoError(t, s.RecordSyncError(ctx, when2025, "timeout", "hello: deadline"))
	require.NoError(t, s.RecordSyncSuccess(ctx, when2025.Add(time.Minute)))
	require.NoError(t, s.SetSkew(ctx, -1500*time.Millisecond))
	require.NoError(t, s.ResetDownCursor(ctx, 42))
	st, err := s.SyncState(ctx)
	require.NoError(t, err)
	assert.Equal(t, SyncState{DownCursor: 42, LastSuccess: time.UnixMilli(when2025.Add(time.Minute).UnixMilli()),
		LastAttempt: time.UnixMilli(when2025.Add(time.Minute).UnixMilli()), LastError: "hello: deadline", LastErrorCode: "timeout",
		LastErrorAt: time.UnixMilli(when2025.UnixMilli()), Skew: -1500 * time.Millisecond}, st)

	err = s.Write(ctx, "hub", func(tx *Tx) error { return tx.AdvanceDownCursor(40, 2) })
	require.NoError(t, err)
	st, err = s.SyncState(ctx)
	require.NoError(t, err)
	assert.Equal(t, uint64(42), st.DownCursor, "never back")
	assert.Equal(t, 2, st.ChangesSkipped)
}

func TestBlobs(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, dbPath(t), Options{})
	content := []byte("\x89PNG\r\n\x1a\n a photo")
	sha, n, err := s.PutBlob(ctx, bytes.NewReader(content))
	require.NoError(t, err)
	sum := sha256.Sum256(content)
	assert.Equal(t, hex.EncodeToString(sum[:]), sha)
	assert.Equal(t, int64(len(content)), n)
	_, err = os.Stat(filepath.Join(s.BlobDir(), sha[:2], sha[2:]))
	require.NoError(t, err, "stored as blobs/ab/cdef…")

	// The same content again: one blob.
	sha2, _, err := s.PutBlob(ctx, bytes.NewReader(content))
	require.NoError(t, err)
	assert.Equal(t, sha, sha2)
	pending, err := s.PendingBlobs(ctx, 10)
	require.NoError(t, err)
	require.Len(t, pending, 1)
	assert.Equal(t, int64(len(content)), pending[0].Size)

	f, err := s.OpenBlob(sha)
	require.NoError(t, err)
	got, err := io.ReadAll(f)
	f.Close()
	require.NoError(t, err)
	assert.Equal(t, content, got)
	ok, err := s.HasBlob(ctx, sha)
	require.NoError(t, err)
	assert.True(t, ok)

	_, err = s.OpenBlob(strings.Repeat("0", 64))
	require.ErrorIs(t, err, ErrNoBlob)
	_, err = s.OpenBlob("../../edge.db")
	require.ErrorIs(t, err, ErrNoBlob)

	// Too large: refused, and nothing is left behind.
	_, _, err = s.PutBlob(ctx, io.LimitReader(zeros{}, MaxBlobBytes+1))
	require.ErrorIs(t, err, ErrBlobTooLarge)
	tmp, err := os.ReadDir(filepath.Join(s.BlobDir(), "tmp"))
	require.NoError(t, err)
	assert.Empty(t, tmp)

	require.NoError(t, s.MarkBlobUploaded(ctx, sha))
	n2, err := s.BlobBacklog(ctx)
	require.NoError(t, err)
	assert.Zero(t, n2)
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
