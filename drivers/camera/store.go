package camera

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"os"
	"path/filepath"
)

// MaxImageBytes bounds an image: the edge's MaxBlobBytes, so that every
// stored image can go up the blob queue.
const MaxImageBytes = 16 << 20

// ThumbSize is the longer side of a thumbnail, in pixels.
const ThumbSize = 160

// Store keeps images named by the SHA-256 of their bytes, in the layout
// of the edge's blobs (edge/store/blobs.go): DIR/ab/cdef… holds the image
// whose hash is abcdef…, DIR/tmp the files being written. A store opened
// on the edge's BlobDir puts its images where OpenBlob finds them; the
// edge still records each one (PutBlob of the same bytes stores nothing
// twice). Beside each image lies its thumbnail, DIR/ab/cdef….thumb.jpg,
// a JPEG at most ThumbSize pixels on its longer side. A file is written
// to a temporary name, synced and renamed into place, so an image on
// disk is always whole; the thumbnail is in place before its image.
type Store struct {
	dir string
}

// Stored says what Put stored.
type Stored struct {
	SHA256 string // lowercase hex
	Size   int64
	ImageInfo
	Path  string // the image
	Thumb string // its thumbnail
}

// NewStore returns a store in dir, created on the first Put.
func NewStore(dir string) *Store { return &Store{dir: dir} }

// Dir is the store's folder.
func (s *Store) Dir() string { return s.dir }

// Path is where the image of a hash is kept.
func (s *Store) Path(sha string) string {
	return filepath.Join(s.dir, sha[:2], sha[2:])
}

// ThumbPath is where the thumbnail of an image is kept.
func (s *Store) ThumbPath(sha string) string { return s.Path(sha) + ".thumb.jpg" }

// Put stores a whole JPEG or PNG image and its thumbnail and says what it
// stored. Storing the same bytes again writes nothing (a missing
// thumbnail is made again). Its errors wrap ErrTooLarge, ErrBadImage or
// ErrStore.
func (s *Store) Put(data []byte) (Stored, error) {
	if len(data) > MaxImageBytes {
		return Stored{}, fmt.Errorf("store image: %w: %d bytes", ErrTooLarge, len(data))
	}
	info, err := Inspect(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return Stored{}, fmt.Errorf("store image: %w", err)
	}
	sum := sha256.Sum256(data)
	sha := hex.EncodeToString(sum[:])
	st := Stored{SHA256: sha, Size: int64(len(data)), ImageInfo: info, Path: s.Path(sha), Thumb: s.ThumbPath(sha)}
	if fi, err := os.Stat(st.Thumb); err != nil || fi.Size() == 0 {
		thumb, err := thumbnail(data)
		if err != nil {
			return Stored{}, fmt.Errorf("store image %s: %w", sha, err)
		}
		if err := s.write(st.Thumb, thumb); err != nil {
			return Stored{}, err
		}
	}
	if fi, err := os.Stat(st.Path); err == nil && fi.Size() == st.Size {
		return st, nil
	}
	return st, s.write(st.Path, data)
}

// PutFile stores the image in a file, as Put does.
func (s *Store) PutFile(path string) (Stored, error) {
	f, err := os.Open(path)
	if err != nil {
		return Stored{}, fmt.Errorf("store image: %w: %v", ErrBadImage, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxImageBytes+1))
	if err != nil {
		return Stored{}, fmt.Errorf("store image: read %s: %w: %v", path, ErrBadImage, err)
	}
	return s.Put(data)
}

// Open opens a stored image for reading.
func (s *Store) Open(sha string) (*os.File, error) {
	if !validSHA(sha) {
		return nil, fmt.Errorf("open image %q: %w", sha, os.ErrNotExist)
	}
	return os.Open(s.Path(sha))
}

func validSHA(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range []byte(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// write puts data at dst whole: a temporary file in DIR/tmp, synced,
// renamed into place, its folder synced.
func (s *Store) write(dst string, data []byte) error {
	tmpDir := filepath.Join(s.dir, "tmp")
	if err := os.MkdirAll(tmpDir, 0o700); err != nil {
		return fmt.Errorf("store image: %w: %v", ErrStore, err)
	}
	f, err := os.CreateTemp(tmpDir, "image-*")
	if err != nil {
		return fmt.Errorf("store image: %w: %v", ErrStore, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op once renamed
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.MkdirAll(filepath.Dir(dst), 0o700)
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		return fmt.Errorf("store image %s: %w: %v", filepath.Base(dst), ErrStore, err)
	}
	if d, err := os.Open(filepath.Dir(dst)); err == nil { // not on Windows
		d.Sync()
		d.Close()
	}
	return nil
}

// thumbnail decodes an image and encodes it again as a JPEG at most
// ThumbSize pixels on its longer side.
func thumbnail(data []byte) ([]byte, error) {
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decode image: %w: %v", ErrBadImage, err)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, shrink(img, ThumbSize), &jpeg.Options{Quality: 80}); err != nil {
		return nil, fmt.Errorf("encode thumbnail: %w", err)
	}
	return buf.Bytes(), nil
}
