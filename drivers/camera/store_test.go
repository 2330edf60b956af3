package camera

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func pattern(t *testing.T, w, h, n int) []byte {
	t.Helper()
	b, err := Pattern(w, h, n)
	require.NoError(t, err)
	return b
}

func pngImage(t *testing.T, w, h int, c color.Color) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return buf.Bytes()
}

func decodeThumb(t *testing.T, path string) image.Image {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	img, err := jpeg.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	return img
}

func TestStorePut(t *testing.T) {
	dir := t.TempDir()
	s := NewStore(dir)
	data := pattern(t, 800, 600, 7)
	st, err := s.Put(data)
	require.NoError(t, err)

	// The edge's blob layout: DIR/ab/cdef…
	assert.Regexp(t, regexp.MustCompile(`^[0-9a-f]{64}$`), st.SHA256)
	assert.Equal(t, filepath.Join(dir, st.SHA256[:2], st.SHA256[2:]), st.Path)
	assert.Equal(t, st.Path+".thumb.jpg", st.Thumb)
	assert.Equal(t, ImageInfo{Format: JPEG, Width: 800, Height: 600}, st.ImageInfo)
	assert.Equal(t, int64(len(data)), st.Size)
	got, err := os.ReadFile(st.Path)
	require.NoError(t, err)
	assert.Equal(t, data, got)
	f, err := s.Open(st.SHA256)
	require.NoError(t, err)
	f.Close()

	thumb := decodeThumb(t, st.Thumb)
	assert.Equal(t, image.Rect(0, 0, 160, 120), thumb.Bounds())

	// The same bytes again: nothing written.
	before, err := os.Stat(st.Path)
	require.NoError(t, err)
	again, err := s.Put(data)
	require.NoError(t, err)
	assert.Equal(t, st, again)
	after, err := os.Stat(st.Path)
	require.NoError(t, err)
	assert.True(t, os.SameFile(before, after))
	tmp, err := os.ReadDir(filepath.Join(dir, "tmp"))
	require.NoError(t, err)
	assert.Empty(t, tmp, "no temporary file left behind")

	// A lost thumbnail is made again.
	require.NoError(t, os.Remove(st.Thumb))
	_, err = s.Put(data)
	require.NoError(t, err)
	decodeThumb(t, st.Thumb)

	_, err = s.Open("../../etc/passwd")
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestStoreThumbnails(t *testing.T) {
	s := NewStore(t.TempDir())
	for _, tc := range []struct {
		name string
		data []byte
		want image.Rectangle
		info ImageInfo
	}{
		{"landscape", pattern(t, 1000, 300, 1), image.Rect(0, 0, 160, 48), ImageInfo{JPEG, 1000, 300}},
		{"portrait", pattern(t, 300, 1000, 1), image.Rect(0, 0, 48, 160), ImageInfo{JPEG, 300, 1000}},
		{"small keeps its size", pattern(t, 100, 50, 1), image.Rect(0, 0, 100, 50), ImageInfo{JPEG, 100, 50}},
		{"a line", pattern(t, 2000, 1, 1), image.Rect(0, 0, 160, 1), ImageInfo{JPEG, 2000, 1}},
		{"png", pngImage(t, 320, 320, color.NRGBA{200, 10, 10, 255}), image.Rect(0, 0, 160, 160), ImageInfo{PNG, 320, 320}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := s.Put(tc.data)
			require.NoError(t, err)
			assert.Equal(t, tc.info, st.ImageInfo)
			assert.Equal(t, tc.want, decodeThumb(t, st.Thumb).Bounds())
		})
	}
}

// The thumbnail shows the picture: a transparent PNG lies on white, and a
// red one stays red.
func TestThumbnailColours(t *testing.T) {
	for _, tc := range []struct {
		c    color.Color
		want [3]uint8
	}{
		{color.NRGBA{0, 0, 0, 0}, [3]uint8{255, 255, 255}},
		{color.NRGBA{200, 10, 10, 255}, [3]uint8{200, 10, 10}},
		{color.NRGBA{0, 0, 0, 128}, [3]uint8{127, 127, 127}},
	} {
		img, _, err := image.Decode(bytes.NewReader(pngImage(t, 400, 200, tc.c)))
		require.NoError(t, err)
		th := shrink(img, ThumbSize)
		p := th.RGBAAt(80, 40)
		for i, v := range []uint8{p.R, p.G, p.B} {
			assert.InDelta(t, tc.want[i], v, 2, "%v", tc.c)
		}
	}
}

func TestStoreRefuses(t *testing.T) {
	dir := t.TempDir()
	s := NewStore(dir)
	data := pattern(t, 64, 64, 1)
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"truncated", data[:len(data)/2], ErrBadImage},
		{"text", []byte("hello"), ErrBadImage},
		{"empty", nil, ErrBadImage},
		{"too large", append(bytes.Clone(data), make([]byte, MaxImageBytes)...), ErrTooLarge},
		// Whole on the outside, broken inside: the thumbnail finds it out.
		{"damaged", append(append(bytes.Clone(data[:200]), make([]byte, 100)...), 0xFF, 0xD9), ErrBadImage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Put(tc.data)
			assert.ErrorIs(t, err, tc.want)
		})
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.Equal(t, "tmp", e.Name(), "nothing stored")
	}
}

func TestStorePutFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "IMG_0001.png")
	data := pngImage(t, 10, 10, color.White)
	require.NoError(t, os.WriteFile(path, data, 0o600))
	s := NewStore(filepath.Join(dir, "blobs"))
	st, err := s.PutFile(path)
	require.NoError(t, err)
	assert.Equal(t, PNG, st.Format)
	_, err = s.PutFile(filepath.Join(dir, "missing.jpg"))
	assert.ErrorIs(t, err, ErrBadImage)
}

func TestStoreUnwritable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	_, err := NewStore(filepath.Join(file, "blobs")).Put(pattern(t, 8, 8, 1))
	assert.ErrorIs(t, err, ErrStore)
	assert.Equal(t, "照片保存失败，请检查磁盘空间。", MessageOf(err).ZH)
}

func TestInspect(t *testing.T) {
	j := pattern(t, 32, 16, 1)
	p := pngImage(t, 3, 5, color.White)
	for _, tc := range []struct {
		name string
		in   []byte
		want ImageInfo
		err  error
	}{
		{"jpeg", j, ImageInfo{JPEG, 32, 16}, nil},
		{"jpeg padded", append(bytes.Clone(j), 0, 0, '\r', '\n'), ImageInfo{JPEG, 32, 16}, nil},
		{"jpeg without EOI", j[:len(j)-2], ImageInfo{}, ErrBadImage},
		{"jpeg half", j[:len(j)/2], ImageInfo{}, ErrBadImage},
		{"jpeg only SOI and EOI", []byte{0xFF, 0xD8, 0xFF, 0xD9}, ImageInfo{}, ErrBadImage},
		{"png", p, ImageInfo{PNG, 3, 5}, nil},
		{"png without IEND", p[:len(p)-12], ImageInfo{}, ErrBadImage},
		{"html", []byte("<html></html>"), ImageInfo{}, ErrBadImage},
		{"empty", nil, ImageInfo{}, ErrBadImage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Inspect(bytes.NewReader(tc.in), int64(len(tc.in)))
			assert.ErrorIs(t, err, tc.err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func FuzzInspect(f *testing.F) {
	b, _ := Pattern(16, 8, 1)
	f.Add(b)
	f.Add(b[:len(b)/2])
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xD9})
	f.Add([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x00IEND\xae\x42\x60\x82"))
	f.Fuzz(func(t *testing.T, in []byte) {
		info, err := Inspect(bytes.NewReader(in), int64(len(in)))
		if err == nil {
			require.Positive(t, info.Width)
			require.Positive(t, info.Height)
		}
	})
}

func TestMessages(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range Messages() {
		assert.Regexp(t, `^camera\.[a-z_]+$`, m.Code)
		assert.False(t, seen[m.Code], "%s twice", m.Code)
		seen[m.Code] = true
		assert.NotEmpty(t, m.ZH, m.Code)
		assert.NotEmpty(t, m.EN, m.Code)
	}
	assert.Equal(t, "", CodeOf(nil))
	assert.Equal(t, CodeFailure, CodeOf(os.ErrClosed))
	assert.Equal(t, CodeTimeout, CodeOf(ErrTimeout))
}

// A header that claims more pixels than MaxPixels is refused before
// anything decodes it: a few bytes must not make the thumbnail allocate
// gigabytes.
func TestInspectTooManyPixels(t *testing.T) {
	j := pattern(t, 32, 16, 1)
	i := bytes.Index(j, []byte{0xFF, 0xC0}) // SOF0: length, precision, height, width
	require.Positive(t, i)
	j[i+5], j[i+6], j[i+7], j[i+8] = 0xEA, 0x60, 0xEA, 0x60 // 60000×60000
	_, err := Inspect(bytes.NewReader(j), int64(len(j)))
	assert.ErrorIs(t, err, ErrTooLarge)
}
