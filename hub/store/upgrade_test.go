package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/sqlitedb"
)

// A hub database of schema 13 with dead letters, quarantined ops and
// exceptions in it migrates to this build's schema: they are open, the
// ops stay append-only but for a dead letter's retry.
func TestUpgradeFrom13(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ms, err := sqlitedb.Migrations(migrationsFS())
	require.NoError(t, err)
	w, err := sql.Open("sqlite", sqlitedb.DSN(filepath.Join(dir, DBName), sqlitedb.Options{BusyTimeout: 5e9, Synchronous: "FULL"}, false))
	require.NoError(t, err)
	w.SetMaxOpenConns(1)
	old := &sqlitedb.DB{Path: filepath.Join(dir, DBName), W: w}
	require.NoError(t, old.MigrateTo(ctx, ms[:13]))
	for _, q := range []string{
		`INSERT INTO nodes (node_id, kind, name, created_at) VALUES ('ST-A', 'station', 'A', 0)`,
		`INSERT INTO cursors (stream, node, incarnation, acked_seq, updated_ms) VALUES (1, 'ST-A', 'inc1', 3, 0)`,
		`INSERT INTO ops (hub_seq, stream, seq, v, hlc, actor, kind, payload, hash, received_ms, applied) VALUES
			(1, 1, 1, 1, 65536000, 'clerk', 'parcel.inbound', CAST('{"waybill":"W1"}' AS BLOB), 'h1', 100, 1),
			(2, 1, 2, 1, 65536001, 'clerk', 'parcel.bogus', CAST('{"waybill":"W2"}' AS BLOB), 'h2', 100, 0)`,
		`INSERT INTO dead_letters (node, incarnation, seq, kind, payload, hash, code, reason, received_ms)
			VALUES ('ST-A', 'inc1', 2, 'parcel.bogus', CAST('{"waybill":"W2"}' AS BLOB), 'h2', 3, 'unknown kind', 100)`,
		`INSERT INTO quarantine (node, incarnation, seq, hash_existing, hash_new, v, hlc, actor, kind, payload, received_ms, reason)
			VALUES ('ST-A', 'inc1', 1, 'h1', 'hx', 1, 65536000, 'clerk', 'parcel.inbound', CAST('{}' AS BLOB), 100, 'reused')`,
		`INSERT INTO exceptions (waybill, direction, reason, ops, created_ms) VALUES ('W1', 'in', 'contradiction', 'ST-A/inc1/1', 100)`,
	} {
		_, err := w.ExecContext(ctx, q)
		require.NoError(t, err, q)
	}
	require.NoError(t, w.Close())

	s, err := Open(ctx, dir, Options{})
	require.NoError(t, err)
	defer s.Close()
	assert.NotEmpty(t, s.BackupPath, "copied aside before migrating")

	dl, err := s.DeadLettersOf(ctx, "", true)
	require.NoError(t, err)
	require.Len(t, dl, 1)
	assert.Equal(t, DeadOpen, dl[0].State)
	q, err := s.QuarantineOf(ctx, "", true)
	require.NoError(t, err)
	require.Len(t, q, 1)
	es, err := s.Exceptions(ctx, "")
	require.NoError(t, err)
	require.Len(t, es, 1)
	assert.True(t, es[0].Resolved.IsZero())
	sts, err := s.Stations(ctx)
	require.NoError(t, err)
	require.Len(t, sts, 1)
	assert.EqualValues(t, 1, sts[0].DeadLetters)
	assert.EqualValues(t, 1, sts[0].Quarantined)

	// ops: only a dead letter's retry changes a row.
	for _, q := range []string{
		"UPDATE ops SET payload = CAST('{}' AS BLOB) WHERE hub_seq = 1",
		"UPDATE ops SET applied = 0 WHERE hub_seq = 1",
		"UPDATE ops SET applied = 1, hub_seq = 3, kind = 'parcel.inbound' WHERE hub_seq = 2",
		"UPDATE ops SET applied = 1 WHERE hub_seq = 2",
		"DELETE FROM ops WHERE hub_seq = 2",
	} {
		err := s.Write(ctx, func(tx *sql.Tx) error { _, err := tx.ExecContext(ctx, q); return err })
		assert.ErrorContains(t, err, "append-only", q)
	}
	require.NoError(t, s.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE ops SET applied = 1, hub_seq = 3 WHERE hub_seq = 2")
		return err
	}))
}
