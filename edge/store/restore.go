package store

import (
	"context"
	"fmt"
	"io"
	"os"
)

// Backup writes a consistent copy of the live database to dst.
func (s *Store) Backup(ctx context.Context, dst string) error {
	if _, err := os.Stat(dst); err == nil {
		return fmt.Errorf("back up: %s already exists", dst)
	}
	if _, err := s.r.ExecContext(ctx, "VACUUM INTO ?", dst); err != nil {
		return fmt.Errorf("back up: %w", classify(err))
	}
	return nil
}

// Restore replaces the database at dst with a copy of the backup at src and
// gives it a new incarnation, so that the op sequence numbers it will reuse
// cannot be mistaken for the ones issued after the backup was taken. The
// database being replaced is kept beside it as dst + ".replaced". The node
// must not be running.
func Restore(ctx context.Context, src, dst string, o Options) (*Store, error) {
	if err := os.Rename(dst, dst+".replaced"); err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("restore: move current database aside: %w", err)
	}
	for _, sfx := range []string{"-wal", "-shm"} {
		if err := os.Rename(dst+sfx, dst+".replaced"+sfx); err != nil && !os.IsNotExist(err) {
			return nil, fmt.Errorf("restore: move %s aside: %w", sfx, err)
		}
	}
	if err := copyFile(src, dst); err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	o.Node, o.Kind = "", "" // the identity comes from the backup
	s, err := Open(ctx, dst, o)
	if err != nil {
		return nil, fmt.Errorf("restore: open backup: %w", err)
	}
	if err := s.Check(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("restore: backup fails its check: %w", err)
	}
	if err := s.reincarnate(ctx, "restored"); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// reincarnate starts a new incarnation: a new random id and seq from 1.
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
	if _, err := tx.ExecContext(ctx, "UPDATE node SET incarnation = ?, next_seq = 1 WHERE id = 1", inc); err != nil {
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
