package fingerprint

import "image"

// halve returns img at half its size in each dimension, each pixel the
// rounded mean of a 2x2 block (an odd last row or column is dropped), for
// *image.RGBA, *image.YCbCr and *image.Gray; other pictures are returned
// as they are. The fast mode hashes pHash, dHash and aHash on it: they
// shrink the picture to a few dozen pixels a side anyway, and the resize
// costs in proportion to the pixels it reads.
func halve(img image.Image) image.Image {
	b := img.Bounds()
	w, h := b.Dx()/2, b.Dy()/2
	if w == 0 || h == 0 {
		return img
	}
	avg := func(a, b, c, d uint8) uint8 { return uint8((uint(a) + uint(b) + uint(c) + uint(d) + 2) / 4) }
	switch m := img.(type) {
	case *image.RGBA:
		out := image.NewRGBA(image.Rect(0, 0, w, h))
		for y := range h {
			r0 := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+2*y):]
			r1 := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+2*y+1):]
			o := out.Pix[y*out.Stride : y*out.Stride+4*w]
			for x := range w {
				i := 8 * x
				for c := range 4 {
					o[4*x+c] = avg(r0[i+c], r0[i+4+c], r1[i+c], r1[i+4+c])
				}
			}
		}
		return out
	case *image.Gray:
		out := image.NewGray(image.Rect(0, 0, w, h))
		for y := range h {
			r0 := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+2*y):]
			r1 := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+2*y+1):]
			o := out.Pix[y*out.Stride : y*out.Stride+w]
			for x := range w {
				o[x] = avg(r0[2*x], r0[2*x+1], r1[2*x], r1[2*x+1])
			}
		}
		return out
	case *image.YCbCr:
		out := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio444)
		for y := range h {
			for x := range w {
				px, py := b.Min.X+2*x, b.Min.Y+2*y
				y0, y1 := m.YOffset(px, py), m.YOffset(px, py+1)
				c00, c01 := m.COffset(px, py), m.COffset(px+1, py)
				c10, c11 := m.COffset(px, py+1), m.COffset(px+1, py+1)
				i := y*out.YStride + x
				out.Y[i] = avg(m.Y[y0], m.Y[y0+1], m.Y[y1], m.Y[y1+1])
				out.Cb[i] = avg(m.Cb[c00], m.Cb[c01], m.Cb[c10], m.Cb[c11])
				out.Cr[i] = avg(m.Cr[c00], m.Cr[c01], m.Cr[c10], m.Cr[c11])
			}
		}
		return out
	}
	return img
}
