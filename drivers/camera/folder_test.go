package camera

import (
	"context"
	"image/color"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// watch runs a Folder on dir with short waits and returns its events;
// the test's end stops it.
func watch(t *testing.T, dir string, opt FolderOptions) <-chan Event {
	t.Helper()
	opt.Dir = dir
	if opt.Settle == 0 {
		opt.Settle = 20 * time.Millisecond
	}
	if opt.Retry == 0 {
		opt.Retry = 10 * time.Millisecond
	}
	ch := make(chan Event, 64)
	ctx, cancel := context.WithCancel(context.Background())
	opt.Sink = ChanSink(ctx, ch)
	f, err := NewFolder(opt)
	require.NoError(t, err)
	done := make(chan error)
	go func() { done <- f.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		assert.NoError(t, <-done)
	})
	return ch
}

// next returns the next event; the deadline only keeps a broken test
// from hanging.
func next(t *testing.T, ch <-chan Event) Event {
	t.Helper()
	select {
	case e := <-ch:
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no event")
		return nil
	}
}

func wantState(t *testing.T, ch <-chan Event, want State, code string) {
	t.Helper()
	e := next(t, ch)
	sc, ok := e.(StateChange)
	require.True(t, ok, "want state %s, got %#v", want, e)
	assert.Equal(t, want, sc.State)
	assert.Equal(t, code, CodeOf(sc.Err))
}

func wantFile(t *testing.T, ch <-chan Event, name string, size int) File {
	t.Helper()
	e := next(t, ch)
	f, ok := e.(File)
	require.True(t, ok, "want file %s, got %#v", name, e)
	assert.Equal(t, name, filepath.Base(f.Path))
	assert.Equal(t, int64(size), f.Size)
	return f
}

// Files there at the start are reported once each; what is no image by
// its name is passed over.
func TestFolderExisting(t *testing.T) {
	dir := t.TempDir()
	a, b := pattern(t, 64, 48, 1), pngImage(t, 8, 8, color.White)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.JPG"), a, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "b.png"), b, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".hidden.jpg"), a, 0o600))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub.jpg"), 0o700))
	ch := watch(t, dir, FolderOptions{Name: "高拍仪"})
	wantState(t, ch, StateOpen, "")
	got := map[string]File{}
	for range 2 {
		f := next(t, ch).(File)
		got[filepath.Base(f.Path)] = f
	}
	assert.Equal(t, ImageInfo{JPEG, 64, 48}, got["a.JPG"].ImageInfo)
	assert.Equal(t, "高拍仪", got["a.JPG"].Device)
	assert.Equal(t, int64(len(b)), got["b.png"].Size)
	assert.Equal(t, PNG, got["b.png"].Format)
	// Nothing more: the next event is about the next file.
	require.NoError(t, Drop(context.Background(), dir, "c.jpg", a, DropOptions{}))
	wantFile(t, ch, "c.jpg", len(a))
}

// A file written in pieces, with pauses longer than the settling time,
// is reported once, whole.
func TestFolderDropInPieces(t *testing.T) {
	dir := t.TempDir()
	ch := watch(t, dir, FolderOptions{})
	wantState(t, ch, StateOpen, "")
	data := pattern(t, 320, 240, 2)
	var early []Event
	err := Drop(context.Background(), dir, "IMG_0001.jpg", data, DropOptions{Pieces: 4, Pause: 60 * time.Millisecond,
		Between: func(int) {
			select {
			case e := <-ch:
				early = append(early, e)
			default:
			}
		}})
	require.NoError(t, err)
	assert.Empty(t, early, "nothing reported while the file was being written")
	f := wantFile(t, ch, "IMG_0001.jpg", len(data))
	assert.Equal(t, 320, f.Width)

	// Written to a temporary name and renamed into place.
	require.NoError(t, Drop(context.Background(), dir, "IMG_0002.png", pngImage(t, 4, 4, color.White), DropOptions{ViaTemp: true, Pieces: 2}))
	wantFile(t, ch, "IMG_0002.png", len(pngImage(t, 4, 4, color.White)))

	// The same name written again with other content is news; the
	// store will tell whether the bytes are.
	data3 := pattern(t, 100, 100, 3)
	require.NoError(t, Drop(context.Background(), dir, "IMG_0001.jpg", data3, DropOptions{}))
	wantFile(t, ch, "IMG_0001.jpg", len(data3))
}

// A file that never becomes a whole image is rejected, once.
func TestFolderRejects(t *testing.T) {
	dir := t.TempDir()
	ch := watch(t, dir, FolderOptions{GiveUp: 50 * time.Millisecond})
	wantState(t, ch, StateOpen, "")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "broken.jpg"), []byte("<html>not a photo</html>"), 0o600))
	e := next(t, ch)
	r, ok := e.(Rejected)
	require.True(t, ok, "%#v", e)
	assert.Equal(t, "broken.jpg", filepath.Base(r.Path))
	assert.ErrorIs(t, r.Err, ErrBadImage)
	data := pattern(t, 16, 16, 1)
	require.NoError(t, Drop(context.Background(), dir, "good.jpg", data, DropOptions{}))
	wantFile(t, ch, "good.jpg", len(data))
}

// A folder missing at start, or removed while watched, is absent and
// looked for again.
func TestFolderMissing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "scans")
	ch := watch(t, dir, FolderOptions{})
	wantState(t, ch, StateAbsent, CodeFolderMissing)
	require.NoError(t, os.Mkdir(dir, 0o700))
	wantState(t, ch, StateOpen, "")
	data := pattern(t, 16, 16, 1)
	require.NoError(t, Drop(context.Background(), dir, "a.jpg", data, DropOptions{}))
	wantFile(t, ch, "a.jpg", len(data))

	require.NoError(t, os.RemoveAll(dir))
	wantState(t, ch, StateAbsent, CodeFolderMissing)
	require.NoError(t, os.Mkdir(dir, 0o700))
	wantState(t, ch, StateOpen, "")
	require.NoError(t, Drop(context.Background(), dir, "a.jpg", data, DropOptions{}))
	wantFile(t, ch, "a.jpg", len(data))
}

// A file where the folder should be is a fault to fix, not a folder to
// wait for.
func TestFolderNotAFolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scans")
	require.NoError(t, os.WriteFile(path, nil, 0o600))
	ch := watch(t, path, FolderOptions{})
	wantState(t, ch, StateError, CodeFolder)
}

func TestNewFolder(t *testing.T) {
	_, err := NewFolder(FolderOptions{})
	assert.ErrorIs(t, err, ErrConfig)
	_, err = NewFolder(FolderOptions{Dir: "x", Settle: -1})
	assert.ErrorIs(t, err, ErrConfig)
	f, err := NewFolder(FolderOptions{Dir: "D:/高拍仪"})
	require.NoError(t, err)
	assert.Equal(t, "D:/高拍仪", f.Name())
	st, err := f.State()
	assert.Equal(t, StateAbsent, st)
	assert.NoError(t, err)
}
