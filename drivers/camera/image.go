package camera

import (
	"bytes"
	"fmt"
	"image"
	_ "image/jpeg" // image.DecodeConfig reads JPEG
	_ "image/png"  // and PNG
	"io"
)

// Formats of the images the package takes.
const (
	JPEG = "jpeg"
	PNG  = "png"
)

var (
	jpegSOI = []byte{0xFF, 0xD8, 0xFF} // start of image and the next marker's lead byte
	jpegEOI = []byte{0xFF, 0xD9}
	pngSig  = []byte("\x89PNG\r\n\x1a\n")
	// pngIEND is the IEND chunk whole: length 0, type, CRC.
	pngIEND = []byte("\x00\x00\x00\x00IEND\xae\x42\x60\x82")
)

// ImageInfo describes a whole image.
type ImageInfo struct {
	Format        string // JPEG or PNG
	Width, Height int
}

// MaxPixels bounds an image's width × height (64 Mpx): decoding it for
// the thumbnail allocates every pixel the header claims.
const MaxPixels = 64 << 20

// maxPad is how much padding may follow a JPEG's EOI: some cameras fill
// their answer to a block size with zeros.
const maxPad = 512

// Inspect checks that the size bytes of r are one whole JPEG (SOI first,
// EOI last, padding allowed) or PNG (signature first, IEND chunk last)
// and reads its dimensions. A file still being written fails: its end is
// missing. It reads only the head and the tail.
func Inspect(r io.ReaderAt, size int64) (ImageInfo, error) {
	head := make([]byte, min(size, 8))
	if _, err := r.ReadAt(head, 0); err != nil {
		return ImageInfo{}, fmt.Errorf("read image: %w: %v", ErrBadImage, err)
	}
	tail := make([]byte, min(size, maxPad+int64(len(jpegEOI))))
	if _, err := r.ReadAt(tail, size-int64(len(tail))); err != nil {
		return ImageInfo{}, fmt.Errorf("read image: %w: %v", ErrBadImage, err)
	}
	var info ImageInfo
	switch {
	case bytes.HasPrefix(head, jpegSOI):
		info.Format = JPEG
		if !bytes.HasSuffix(bytes.TrimRight(tail, "\x00\r\n "), jpegEOI) {
			return ImageInfo{}, fmt.Errorf("jpeg of %d bytes has no end marker: %w", size, ErrBadImage)
		}
	case bytes.HasPrefix(head, pngSig):
		info.Format = PNG
		if !bytes.HasSuffix(tail, pngIEND) {
			return ImageInfo{}, fmt.Errorf("png of %d bytes has no IEND chunk: %w", size, ErrBadImage)
		}
	default:
		return ImageInfo{}, fmt.Errorf("image starts % x: %w", head, ErrBadImage)
	}
	cfg, format, err := image.DecodeConfig(io.NewSectionReader(r, 0, size))
	if err != nil || format != info.Format {
		return ImageInfo{}, fmt.Errorf("read %s header: %w: %v", info.Format, ErrBadImage, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return ImageInfo{}, fmt.Errorf("%s of %dx%d: %w", info.Format, cfg.Width, cfg.Height, ErrBadImage)
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return ImageInfo{}, fmt.Errorf("%s of %dx%d: %w", info.Format, cfg.Width, cfg.Height, ErrTooLarge)
	}
	info.Width, info.Height = cfg.Width, cfg.Height
	return info, nil
}
