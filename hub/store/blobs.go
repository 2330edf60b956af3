package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"cunyou/syncproto"
)

// blobLocks serialize the chunks of one blob: 256 stripes by the hash's
// first byte, so uploads of different blobs rarely wait on each other.
type blobLocks [256]sync.Mutex

func (l *blobLocks) lock(sha string) func() {
	b, _ := hex.DecodeString(sha[:2])
	m := &l[b[0]]
	m.Lock()
	return m.Unlock
}

// ValidSHA256 reports whether s is a lower-case hex SHA-256.
func ValidSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// BlobPath is where a complete blob's bytes live:
// DATA_DIR/blobs/ab/<sha256>; the incomplete upload is the same name with
// ".part".
func (s *Store) BlobPath(sha string) string {
	return filepath.Join(s.dir, "blobs", sha[:2], sha)
}

// BlobStatus returns how many bytes of blob sha the hub holds, and its
// declared length (0 when unknown).
func (s *Store) BlobStatus(ctx context.Context, sha string) (syncproto.BlobStatus, int64, error) {
	if !ValidSHA256(sha) {
		return syncproto.BlobStatus{}, 0, fmt.Errorf("%w: blob name %q", ErrInvalid, sha)
	}
	defer s.blobs.lock(sha)()
	return s.blobStatus(ctx, sha)
}

func (s *Store) blobStatus(ctx context.Context, sha string) (syncproto.BlobStatus, int64, error) {
	st := syncproto.BlobStatus{SHA256: sha}
	if fi, err := os.Stat(s.BlobPath(sha)); err == nil {
		st.Offset, st.Complete = fi.Size(), true
		return st, fi.Size(), nil
	}
	if fi, err := os.Stat(s.BlobPath(sha) + ".part"); err == nil {
		st.Offset = fi.Size()
	}
	var size int64
	err := s.r.QueryRowContext(ctx, "SELECT size FROM blobs WHERE sha256 = ?", sha).Scan(&size)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return st, 0, fmt.Errorf("read blob: %w", classify(err))
	}
	return st, size, nil
}

// AppendBlob writes a chunk of blob sha read from body at offset, which
// must be where the hub's copy ends (else *OffsetError). length is the
// blob's whole size, at most limit. When the last byte arrives the hub
// checks the SHA-256: a mismatch discards the upload (ErrBlobMismatch); a
// match makes the blob complete. A chunk cut short by the network keeps
// the bytes that arrived, so the next chunk resumes after them.
func (s *Store) AppendBlob(ctx context.Context, node, sha string, offset, length, limit int64, body io.Reader) (syncproto.BlobStatus, error) {
	if !ValidSHA256(sha) {
		return syncproto.BlobStatus{}, fmt.Errorf("%w: blob name %q", ErrInvalid, sha)
	}
	if length <= 0 {
		return syncproto.BlobStatus{}, fmt.Errorf("%w: blob length %d", ErrInvalid, length)
	}
	if length > limit {
		return syncproto.BlobStatus{}, fmt.Errorf("%w: blob of %d bytes (limit %d)", ErrTooLarge, length, limit)
	}
	defer s.blobs.lock(sha)()
	st, known, err := s.blobStatus(ctx, sha)
	if err != nil || st.Complete {
		return st, err
	}
	if known != 0 && known != length {
		return st, fmt.Errorf("%w: blob length %d, it was started with %d", ErrInvalid, length, known)
	}
	if offset != st.Offset {
		return st, &OffsetError{Offset: st.Offset}
	}
	part := s.BlobPath(sha) + ".part"
	if err := os.MkdirAll(filepath.Dir(part), 0o700); err != nil {
		return st, fmt.Errorf("store blob: %w", err)
	}
	f, err := os.OpenFile(part, os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return st, fmt.Errorf("store blob: %w", err)
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return st, fmt.Errorf("store blob: %w", err)
	}
	remaining := length - offset
	n, copyErr := io.Copy(f, io.LimitReader(body, remaining+1))
	if n > remaining {
		// Past the declared length: drop this chunk.
		f.Truncate(offset)
		return st, fmt.Errorf("%w: chunk goes past the blob's length %d", ErrInvalid, length)
	}
	if err := f.Sync(); err != nil {
		return st, fmt.Errorf("store blob: %w", err)
	}
	st.Offset = offset + n
	if err := s.recordBlob(ctx, sha, node, length, st.Offset, false); err != nil {
		return st, err
	}
	if st.Offset < length {
		if copyErr != nil {
			return st, fmt.Errorf("read blob chunk: %w", copyErr)
		}
		return st, nil
	}
	// The last byte is in: check the whole file against its name.
	rf, err := os.Open(part)
	if err != nil {
		return st, fmt.Errorf("store blob: %w", err)
	}
	h := sha256.New()
	_, err = io.Copy(h, rf)
	rf.Close()
	if err != nil {
		return st, fmt.Errorf("store blob: %w", err)
	}
	if hex.EncodeToString(h.Sum(nil)) != sha {
		f.Close()
		os.Remove(part)
		err := s.Write(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, "DELETE FROM blobs WHERE sha256 = ?", sha)
			return err
		})
		return syncproto.BlobStatus{SHA256: sha}, errors.Join(ErrBlobMismatch, err)
	}
	f.Close()
	if err := os.Rename(part, s.BlobPath(sha)); err != nil {
		return st, fmt.Errorf("store blob: %w", err)
	}
	syncDir(filepath.Dir(part))
	st.Complete = true
	return st, s.recordBlob(ctx, sha, node, length, length, true)
}

func (s *Store) recordBlob(ctx context.Context, sha, node string, size, received int64, complete bool) error {
	now := s.now().UnixMilli()
	var completed int64
	if complete {
		completed = now
	}
	return s.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO blobs (sha256, size, received, complete, node, created_ms, completed_ms)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (sha256) DO UPDATE SET received = excluded.received, complete = excluded.complete,
				completed_ms = excluded.completed_ms`, sha, size, received, complete, node, now, completed)
		return err
	})
}

// syncDir makes a rename in dir durable; a failure only weakens that.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
