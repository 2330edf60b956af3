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
	"regexp"
	"time"
)

// Blobs are files named by the SHA-256 of their content (pickup photos),
// kept under DATA_DIR/blobs/ab/cdef…, and uploaded to the hub on their own
// queue (DESIGN §4 rule 8). Ops refer to them by hash.

// MaxBlobBytes bounds one blob.
const MaxBlobBytes = 16 << 20

var blobNameRe = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ValidBlobName reports whether sha is a lowercase hex SHA-256.
func ValidBlobName(sha string) bool { return blobNameRe.MatchString(sha) }

// BlobDir is the folder holding the blobs, beside the database.
func (s *Store) BlobDir() string { return filepath.Join(filepath.Dir(s.path), "blobs") }

func (s *Store) blobPath(sha string) string {
	return filepath.Join(s.BlobDir(), sha[:2], sha[2:])
}

// PutBlob stores the content of r, at most MaxBlobBytes, and returns its
// SHA-256 and size. The file is written to a temporary name, synced and
// renamed into place, so a blob on disk is always whole; storing the same
// content twice keeps one file.
func (s *Store) PutBlob(ctx context.Context, r io.Reader) (string, int64, error) {
	tmpDir := filepath.Join(s.BlobDir(), "tmp")
	if err := os.MkdirAll(tmpDir, 0o700); err != nil {
		return "", 0, fmt.Errorf("store blob: %w", err)
	}
	f, err := os.CreateTemp(tmpDir, "blob-*")
	if err != nil {
		return "", 0, fmt.Errorf("store blob: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op once renamed
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(r, MaxBlobBytes+1))
	if err == nil && n > MaxBlobBytes {
		err = ErrBlobTooLarge
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", 0, fmt.Errorf("store blob: %w", err)
	}
	sha := hex.EncodeToString(h.Sum(nil))
	dst := s.blobPath(sha)
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return "", 0, fmt.Errorf("store blob: %w", err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return "", 0, fmt.Errorf("store blob: %w", err)
	}
	syncDir(filepath.Dir(dst))
	err = s.Write(ctx, "sync", func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO blobs (sha256, size, created_ms) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
			sha, n, tx.Now().UnixMilli())
		return err
	})
	if err != nil {
		return "", 0, fmt.Errorf("record blob: %w", err)
	}
	return sha, n, nil
}

// syncDir makes a rename in dir durable where the system allows it (not
// on Windows, where a folder cannot be opened for syncing).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// OpenBlob opens a stored blob for reading.
func (s *Store) OpenBlob(sha string) (*os.File, error) {
	if !ValidBlobName(sha) {
		return nil, fmt.Errorf("open blob %q: %w", sha, ErrNoBlob)
	}
	f, err := os.Open(s.blobPath(sha))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("open blob %s: %w", sha, ErrNoBlob)
	}
	return f, err
}

// HasBlob reports whether a blob is stored.
func (s *Store) HasBlob(ctx context.Context, sha string) (bool, error) {
	var one int
	err := s.r.QueryRowContext(ctx, "SELECT 1 FROM blobs WHERE sha256 = ?", sha).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, classify(err)
}

// Blob is a stored blob.
type Blob struct {
	SHA256  string
	Size    int64
	Created time.Time
}

// PendingBlobs lists blobs the hub does not hold yet, oldest first.
func (s *Store) PendingBlobs(ctx context.Context, limit int) ([]Blob, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT sha256, size, created_ms FROM blobs WHERE uploaded_ms IS NULL ORDER BY created_ms LIMIT ?", limit)
	if err != nil {
		return nil, fmt.Errorf("read blobs: %w", classify(err))
	}
	defer rows.Close()
	var out []Blob
	for rows.Next() {
		var b Blob
		var ms int64
		if err := rows.Scan(&b.SHA256, &b.Size, &ms); err != nil {
			return nil, fmt.Errorf("read blobs: %w", classify(err))
		}
		b.Created = time.UnixMilli(ms)
		out = append(out, b)
	}
	return out, classify(rows.Err())
}

// BlobBacklog counts the blobs the hub does not hold yet.
func (s *Store) BlobBacklog(ctx context.Context) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM blobs WHERE uploaded_ms IS NULL").Scan(&n)
	return n, classify(err)
}

// MarkBlobUploaded records that the hub holds the whole blob.
func (s *Store) MarkBlobUploaded(ctx context.Context, sha string) error {
	return s.markBlob(ctx, sha, s.now().UnixMilli())
}

// GiveUpBlob takes a blob whose file is missing or damaged off the upload
// queue, so that it does not block the blobs behind it.
func (s *Store) GiveUpBlob(ctx context.Context, sha string) error {
	return s.markBlob(ctx, sha, 0)
}

func (s *Store) markBlob(ctx context.Context, sha string, ms int64) error {
	return s.Write(ctx, "sync", func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE blobs SET uploaded_ms = ? WHERE sha256 = ?", ms, sha)
		return err
	})
}
