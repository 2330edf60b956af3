package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/sqlitedb"
	"cunyou/syncproto"
)

var t0 = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)

func open(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dir, Options{Now: func() time.Time { return t0 }})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func TestOpenPragmas(t *testing.T) {
	s := open(t, t.TempDir())
	var mode string
	var sync, version int
	require.NoError(t, s.w.QueryRow("PRAGMA journal_mode").Scan(&mode))
	require.NoError(t, s.w.QueryRow("PRAGMA synchronous").Scan(&sync))
	require.NoError(t, s.w.QueryRow("PRAGMA user_version").Scan(&version))
	assert.Equal(t, "wal", mode)
	assert.Equal(t, 2, sync, "FULL")
	assert.Equal(t, SchemaVersion(), version)
	_, err := s.DB().Exec("DELETE FROM nodes")
	assert.Error(t, err, "the read pool is read-only")
	_, err = Open(context.Background(), t.TempDir(), Options{Synchronous: "OFF"})
	assert.ErrorContains(t, err, "FULL or NORMAL")
	assert.NoError(t, s.Close())
	assert.NoError(t, s.Close(), "closing twice is harmless")
}

func TestMigrationBackup(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir)
	_, err := s.AddNode(ctx, "ST-A", syncproto.NodeStation, "甲")
	require.NoError(t, err)
	assert.Empty(t, s.BackupPath, "a new database needs no copy")

	// A newer build adds a migration: the existing database is copied
	// aside first, then migrated in one transaction.
	ms, err := sqlitedb.Migrations(migrationsFS())
	require.NoError(t, err)
	next := append(ms, sqlitedb.Migration{Version: len(ms) + 1, Name: "9999_test.sql", SQL: "ALTER TABLE nodes ADD COLUMN phone TEXT;"})
	require.NoError(t, s.db.MigrateTo(ctx, next))
	require.NotEmpty(t, s.db.BackupPath)
	assert.True(t, strings.HasPrefix(filepath.Base(s.db.BackupPath), fmt.Sprintf("hub.db.v%d-", len(ms))))
	b, err := sql.Open("sqlite", "file:"+s.db.BackupPath+"?mode=ro")
	require.NoError(t, err)
	defer b.Close()
	var n, v int
	require.NoError(t, b.QueryRow("SELECT count(*) FROM nodes").Scan(&n))
	require.NoError(t, b.QueryRow("PRAGMA user_version").Scan(&v))
	assert.Equal(t, 1, n)
	assert.Equal(t, len(ms), v)

	// A broken migration leaves the database as it was.
	broken := append(next, sqlitedb.Migration{Version: len(next) + 1, Name: "10000_bad.sql", SQL: "CREATE TABLE x (a); SELECT nonsense FROM nowhere;"})
	require.Error(t, s.db.MigrateTo(ctx, broken))
	var cur int
	require.NoError(t, s.w.QueryRow("PRAGMA user_version").Scan(&cur))
	assert.Equal(t, len(next), cur)
	require.NoError(t, s.Close())

	// This build refuses the database a newer build migrated.
	_, err = Open(ctx, dir, Options{})
	assert.ErrorIs(t, err, ErrNewerSchema)
}

func TestNodes(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	code, err := s.AddNode(ctx, "ST-A", syncproto.NodeStation, "  甲站  ")
	require.NoError(t, err)
	for _, bad := range []struct{ id, kind, name string }{{"", "station", "x"}, {"ST A", "station", "x"}, {"ST-B", "bus", "x"}, {"ST-B", "station", " "}} {
		_, err := s.AddNode(ctx, bad.id, syncproto.NodeKind(bad.kind), bad.name)
		assert.ErrorIs(t, err, ErrInvalid, bad)
	}
	n, err := s.Node(ctx, "ST-A")
	require.NoError(t, err)
	assert.Equal(t, "甲站", n.Name)
	assert.True(t, n.CodePending)
	assert.False(t, n.Enrolled)

	_, _, err = s.Enroll(ctx, "short", "", "")
	assert.ErrorIs(t, err, ErrEnrollCode)
	_, _, err = s.Enroll(ctx, code, "ST-B", "edge 1.0")
	assert.ErrorIs(t, err, ErrWrongNode, "a code made for another node")
	n, err = s.Node(ctx, "ST-A")
	require.NoError(t, err)
	assert.True(t, n.CodePending, "the code stays usable")
	n, tok, err := s.Enroll(ctx, strings.ToLower(code), "", "edge 1.0")
	require.NoError(t, err)
	assert.True(t, n.Enrolled)
	assert.False(t, n.CodePending)
	assert.Equal(t, "edge 1.0", n.Software)
	got, err := s.Authenticate(ctx, tok)
	require.NoError(t, err)
	assert.Equal(t, "ST-A", got.ID)
	_, err = s.Authenticate(ctx, "")
	assert.ErrorIs(t, err, ErrUnauthorized)

	require.NoError(t, s.SetDisabled(ctx, "ST-A", true))
	_, err = s.Authenticate(ctx, tok)
	assert.ErrorIs(t, err, ErrUnauthorized)
	assert.ErrorIs(t, s.SetDisabled(ctx, "ST-NONE", true), ErrNotFound)
	_, err = s.NewEnrollCode(ctx, "ST-NONE")
	assert.ErrorIs(t, err, ErrNotFound)

	require.NoError(t, s.RecordHello(ctx, "ST-A", "edge 1.1", -3*time.Second, nil))
	n, err = s.Node(ctx, "ST-A")
	require.NoError(t, err)
	assert.Equal(t, -3*time.Second, n.LastSkew)
	assert.True(t, t0.Equal(n.LastContact))
}

func TestChangesStore(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	_, err := s.AddNode(ctx, "ST-A", syncproto.NodeStation, "甲")
	require.NoError(t, err)
	_, err = s.AddChanges(ctx, []Outgoing{{Node: "ST-A", Type: syncproto.ChangeManifest, Payload: 1}, {Node: "ST-NONE", Type: syncproto.ChangeManifest, Payload: 1}})
	assert.ErrorIs(t, err, ErrNotFound)
	seq, err := s.ChangesSeq(ctx, "ST-A")
	require.NoError(t, err)
	assert.Zero(t, seq, "all or none")
	_, err = s.AddChanges(ctx, []Outgoing{{Node: "ST-A", Type: "weather", Payload: 1}})
	assert.ErrorIs(t, err, ErrInvalid)
	_, err = s.AddChanges(ctx, []Outgoing{{Node: "ST-A", Type: syncproto.ChangeTemplate, Payload: strings.Repeat("x", syncproto.MaxRecordBytes)}})
	assert.ErrorIs(t, err, ErrTooLarge)

	require.NoError(t, s.RecordChangesAfter(ctx, "ST-A", 5, 0))
	require.NoError(t, s.RecordChangesAfter(ctx, "ST-A", 3, 0), "never backwards")
	n, err := s.Node(ctx, "ST-A")
	require.NoError(t, err)
	assert.EqualValues(t, 5, n.ChangesAfter)
}

func TestBlobStore(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	data := bytes.Repeat([]byte("村邮"), 1000)
	sum := sha256.Sum256(data)
	sha := hex.EncodeToString(sum[:])
	n := int64(len(data))

	st, err := s.AppendBlob(ctx, "ST-A", sha, 0, n, 1<<20, bytes.NewReader(data[:1000]))
	require.NoError(t, err)
	assert.EqualValues(t, 1000, st.Offset)
	_, err = s.AppendBlob(ctx, "ST-A", sha, 1000, n+1, 1<<20, bytes.NewReader(data[1000:]))
	assert.ErrorIs(t, err, ErrInvalid, "the length may not change")
	_, err = s.AppendBlob(ctx, "ST-A", sha, 1000, n, 1<<20, bytes.NewReader(append(data[1000:], 'x')))
	assert.ErrorIs(t, err, ErrInvalid, "a chunk past the length is refused")
	st, _, err = s.BlobStatus(ctx, sha)
	require.NoError(t, err)
	assert.EqualValues(t, 1000, st.Offset, "and dropped")

	// A chunk cut short keeps what arrived.
	cut := cutReader{r: bytes.NewReader(data[1000:3000])}
	_, err = s.AppendBlob(ctx, "ST-A", sha, 1000, n, 1<<20, &cut)
	require.Error(t, err)
	st, _, err = s.BlobStatus(ctx, sha)
	require.NoError(t, err)
	assert.EqualValues(t, 3000, st.Offset)

	st, err = s.AppendBlob(ctx, "ST-A", sha, 3000, n, 1<<20, bytes.NewReader(data[3000:]))
	require.NoError(t, err)
	assert.True(t, st.Complete)
	// A complete blob answers complete, whatever is sent again.
	st, err = s.AppendBlob(ctx, "ST-B", sha, 0, n, 1<<20, bytes.NewReader(data))
	require.NoError(t, err)
	assert.Equal(t, syncproto.BlobStatus{SHA256: sha, Offset: n, Complete: true}, st)
	var complete bool
	var node string
	require.NoError(t, s.DB().QueryRow("SELECT complete, node FROM blobs WHERE sha256 = ?", sha).Scan(&complete, &node))
	assert.True(t, complete)
	assert.Equal(t, "ST-A", node)
	_, err = os.Stat(s.BlobPath(sha) + ".part")
	assert.True(t, os.IsNotExist(err))

	_, err = s.AppendBlob(ctx, "ST-A", strings.Repeat("0", 64), 0, 2<<20, 1<<20, bytes.NewReader(nil))
	assert.ErrorIs(t, err, ErrTooLarge)
	_, _, err = s.BlobStatus(ctx, "../../etc/passwd")
	assert.ErrorIs(t, err, ErrInvalid)
}

// cutReader returns its bytes, then a network error.
type cutReader struct{ r *bytes.Reader }

func (e *cutReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil {
		return n, errors.New("connection reset")
	}
	return n, nil
}

// A hub whose facts were written before migration 0008 reads the same
// timeline after it: the facts' new op columns are filled from ops.
func TestMigrationFactsCarryTheirOp(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ms, err := sqlitedb.Migrations(migrationsFS())
	require.NoError(t, err)
	require.Greater(t, len(ms), 7)
	old := fstestFS(t, ms[:7])
	db, err := sqlitedb.Open(ctx, filepath.Join(dir, "hub.db"), old, sqlitedb.Options{})
	require.NoError(t, err)
	for _, q := range []string{
		"INSERT INTO nodes (node_id, kind, name, created_at) VALUES ('ST-A', 'station', '甲', 0)",
		"INSERT INTO cursors (stream, node, incarnation, acked_seq, updated_ms) VALUES (1, 'ST-A', 'i1', 2, 0)",
		"INSERT INTO ops (hub_seq, stream, seq, v, hlc, actor, kind, payload, hash, received_ms, applied) VALUES (1, 1, 1, 1, 111, 'op', 'parcel.inbound', x'7b7d', 'h1', 1000, 1)",
		"INSERT INTO ops (hub_seq, stream, seq, v, hlc, actor, kind, payload, hash, received_ms, applied) VALUES (2, 0, 1, 1, 222, 'hub', 'parcel.manifested', x'7b7d', 'h2', 2000, 1)",
		"INSERT INTO facts (id, waybill, direction, hub_seq, detail) VALUES (1, 'YT1', 'in', 2, 'manifest')",
		"INSERT INTO facts (id, waybill, direction, hub_seq, detail) VALUES (2, 'YT1', 'in', 1, 'code 1-1-0001')",
	} {
		_, err := db.W.ExecContext(ctx, q)
		require.NoError(t, err, q)
	}
	require.NoError(t, db.Close())

	s := open(t, dir)
	got, err := s.Timeline(ctx, "YT1", "")
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, []any{"HUB", "", uint64(1), syncproto.EventKind("parcel.manifested"), syncproto.Timestamp(222), int64(2000)},
		[]any{got[0].Node, got[0].Incarnation, got[0].Seq, got[0].Kind, got[0].HLC, got[0].Received.UnixMilli()})
	assert.Equal(t, []any{"ST-A", "i1", uint64(1), syncproto.EventKind("parcel.inbound"), syncproto.Timestamp(111), int64(1000)},
		[]any{got[1].Node, got[1].Incarnation, got[1].Seq, got[1].Kind, got[1].HLC, got[1].Received.UnixMilli()})
}

// fstestFS serves ms as migration files.
func fstestFS(t *testing.T, ms []sqlitedb.Migration) fs.FS {
	t.Helper()
	m := fstest.MapFS{}
	for _, x := range ms {
		m[x.Name] = &fstest.MapFile{Data: []byte(x.SQL)}
	}
	return m
}
