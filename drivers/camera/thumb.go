package camera

import (
	"image"
	"image/color"
)

// shrink scales img down to fit size×size, keeping its aspect, by
// averaging the source pixels under each target pixel (a box filter:
// good for shrinking, which is all a thumbnail does). Transparent parts
// are laid on white. A smaller image keeps its size.
func shrink(img image.Image, size int) *image.RGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	tw, th := w, h
	switch {
	case w >= h && w > size:
		tw, th = size, max(h*size/w, 1)
	case h > w && h > size:
		tw, th = max(w*size/h, 1), size
	}
	// Source columns [xs[i], xs[i+1]) make target column i; rows alike.
	xs, ys := spans(b.Min.X, w, tw), spans(b.Min.Y, h, th)
	at := rgbAt(img)
	dst := image.NewRGBA(image.Rect(0, 0, tw, th))
	sum := make([]uint32, 3*tw)
	for ty := range th {
		clear(sum)
		for y := ys[ty]; y < ys[ty+1]; y++ {
			for tx := range tw {
				for x := xs[tx]; x < xs[tx+1]; x++ {
					r, g, bl := at(x, y)
					sum[3*tx] += uint32(r)
					sum[3*tx+1] += uint32(g)
					sum[3*tx+2] += uint32(bl)
				}
			}
		}
		for tx := range tw {
			n := uint32((ys[ty+1] - ys[ty]) * (xs[tx+1] - xs[tx]))
			i := dst.PixOffset(tx, ty)
			dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2], dst.Pix[i+3] =
				uint8(sum[3*tx]/n), uint8(sum[3*tx+1]/n), uint8(sum[3*tx+2]/n), 0xFF
		}
	}
	return dst
}

// spans cuts n source pixels starting at from into k runs of at least
// one.
func spans(from, n, k int) []int {
	s := make([]int, k+1)
	for i := range s {
		s[i] = from + i*n/k
	}
	return s
}

// rgbAt returns a reader of 8-bit RGB over white, fast for the images
// the JPEG and PNG decoders give.
func rgbAt(img image.Image) func(x, y int) (r, g, b uint8) {
	switch m := img.(type) {
	case *image.YCbCr:
		return func(x, y int) (uint8, uint8, uint8) {
			c := m.YCbCrAt(x, y)
			return color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
		}
	case *image.Gray:
		return func(x, y int) (uint8, uint8, uint8) {
			v := m.Pix[m.PixOffset(x, y)]
			return v, v, v
		}
	case *image.RGBA:
		return func(x, y int) (uint8, uint8, uint8) {
			p := m.Pix[m.PixOffset(x, y):]
			w := 0xFF - p[3] // premultiplied: white shows through what is not covered
			return p[0] + w, p[1] + w, p[2] + w
		}
	}
	return func(x, y int) (uint8, uint8, uint8) {
		r, g, b, a := img.At(x, y).RGBA()
		w := 0xFFFF - a
		return uint8((r + w) >> 8), uint8((g + w) >> 8), uint8((b + w) >> 8)
	}
}
