package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"cunyou/sqlitedb"
	"cunyou/syncproto"
)

// Backup writes a consistent copy of the live database to dst.
func (s *Store) Backup(ctx context.Context, dst string) error {
	if _, err := os.Stat(dst); err == nil {
		return fmt.Errorf("back up: %s already exists", dst)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.w.ExecContext(ctx, "VACUUM INTO ?", dst); err != nil {
		return fmt.Errorf("back up: %w", classify(err))
	}
	return nil
}

// Restore replaces the database at dst with a copy of the backup at src and
// gives it a new incarnation, so that the op sequence numbers it will reuse
// cannot be mistaken for the ones issued after the backup was taken. Its
// clock resumes after the replaced database's, never behind it. The backup
// is copied and checked beside dst first: if anything fails, dst is left as
// it was. The replaced database is kept as dst.replaced-TIMESTAMP. The node
// must not be running.
func Restore(ctx context.Context, src, dst string, o Options) (*Store, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	stage := dst + ".restoring"
	for _, f := range []string{stage, stage + "-wal", stage + "-shm"} {
		if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
			return nil, fmt.Errorf("restore: %w", err)
		}
	}
	if err := copyFile(src, stage); err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	oldHWM, err := readHWM(ctx, dst)
	if err != nil {
		os.Remove(stage)
		return nil, fmt.Errorf("restore: read the database being replaced: %w", err)
	}
	if err := prepareRestore(ctx, stage, o, oldHWM); err != nil {
		for _, f := range []string{stage, stage + "-wal", stage + "-shm"} {
			os.Remove(f)
		}
		return nil, err
	}
	replaced := fmt.Sprintf("%s.replaced-%s", dst, o.Now().UTC().Format("20060102T150405"))
	for _, sfx := range []string{"", "-wal", "-shm"} {
		if err := os.Rename(dst+sfx, replaced+sfx); err != nil && !os.IsNotExist(err) {
			return nil, fmt.Errorf("restore: move the current database aside: %w", err)
		}
	}
	if err := os.Rename(stage, dst); err != nil {
		return nil, fmt.Errorf("restore: put the backup in place: %w", err)
	}
	o.Node, o.Kind = "", ""
	st, err := Open(ctx, dst, o)
	if err != nil {
		return nil, err
	}
	st.ReplacedPath = replaced
	return st, nil
}

// prepareRestore opens the staged copy, checks it, starts a new
// incarnation with the clock past hwm, and closes it cleanly.
func prepareRestore(ctx context.Context, stage string, o Options, hwm syncproto.Timestamp) error {
	o.Node, o.Kind = "", "" // the identity comes from the backup
	s, err := Open(ctx, stage, o)
	if err != nil {
		return fmt.Errorf("restore: open backup: %w", err)
	}
	defer s.Close()
	if err := s.Check(ctx); err != nil {
		return fmt.Errorf("restore: backup fails its check: %w", err)
	}
	if hwm > s.clock.Last() {
		s.clock = syncproto.NewClock(s.now, hwm, 0)
	}
	if err := s.reincarnate(ctx, "restored"); err != nil {
		return err
	}
	if _, err := s.w.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return fmt.Errorf("restore: checkpoint: %w", classify(err))
	}
	return nil
}

// readHWM returns the clock high-water mark of the database at path, or 0
// when there is none (no file, or no identity yet).
func readHWM(ctx context.Context, path string) (syncproto.Timestamp, error) {
	if _, err := os.Stat(path); os.IsNotExist(err) {
		return 0, nil
	}
	db, err := sql.Open("sqlite", sqlitedb.DSN(path, sqlitedb.Options{BusyTimeout: time.Second, Synchronous: "FULL"}, true))
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var hwm int64
	err = db.QueryRowContext(ctx, "SELECT max(n.hlc_hwm, coalesce((SELECT max(hlc) FROM outbox), 0)) FROM node n WHERE n.id = 1").Scan(&hwm)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, classify(err)
	}
	return syncproto.Timestamp(hwm), nil
}

// reincarnate starts a new incarnation: a new random id, seq from 1, and
// the clock's mark saved.
func (s *Store) reincarnate(ctx context.Context, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	inc := newIncarnation()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", classify(err))
	}
	defer tx.Rollback()
	var prevSeq int64
	if err := tx.QueryRowContext(ctx, "SELECT next_seq - 1 FROM node WHERE id = 1").Scan(&prevSeq); err != nil {
		return fmt.Errorf("read identity: %w", classify(err))
	}
	if _, err := tx.ExecContext(ctx, "UPDATE node SET incarnation = ?, next_seq = 1, hlc_hwm = max(hlc_hwm, ?) WHERE id = 1",
		inc, int64(s.clock.Now())); err != nil {
		return fmt.Errorf("new incarnation: %w", classify(err))
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO incarnations (incarnation, started_at, reason, prev, prev_seq) VALUES (?, ?, ?, ?, ?)`,
		inc, s.now().UnixMilli(), reason, s.id.Incarnation, prevSeq); err != nil {
		return fmt.Errorf("record incarnation: %w", classify(err))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", classify(err))
	}
	s.id.Incarnation = inc
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
