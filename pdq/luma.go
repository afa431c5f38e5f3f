package pdq

import (
	"image"
	"image/color"
)

// The reference's luma coefficients: float constants initialised from
// double literals (so rounded twice, to double and then to float).
const (
	lumaR = float32(float64(0.299))
	lumaG = float32(float64(0.587))
	lumaB = float32(float64(0.114))
)

// lumaTab holds the products of each coefficient with each 8-bit value,
// rounded to float32, as the reference computes them before adding:
// luma = (R*0.299 + G*0.587) + B*0.114. It is computed once and never
// changed.
var lumaTab = func() (t [3][256]float32) {
	for v := range 256 {
		t[0][v] = float32(lumaR * float32(v))
		t[1][v] = float32(lumaG * float32(v))
		t[2][v] = float32(lumaB * float32(v))
	}
	return t
}()

// rgbLuma is the reference's fillFloatLumaFromRGB for one pixel.
func rgbLuma(r, g, b uint8) float32 {
	return lumaTab[0][r] + lumaTab[1][g] + lumaTab[2][b]
}

// Luma returns the reference luma of img, row-major, width*height values,
// reusing dst's storage when it is large enough.
//
// Colour pixels give 0.299 R + 0.587 G + 0.114 B in float32, with the
// reference's rounding. Grey pixels (color.Gray, and color.Gray16 by its
// high byte) give their grey level, as the reference's grey path does; a
// grey+alpha PNG, which image/png returns as *image.NRGBA, takes the
// colour formula instead, which may differ in the last bit of a float.
// Alpha is ignored: channels 0-2 are taken as stored, so *image.NRGBA
// gives its non-premultiplied colour and *image.RGBA its premultiplied
// one, the way the reference hashes an RGBA file with the alpha channel
// dropped. Other image types are read through At and converted to
// non-premultiplied 8-bit RGB (so *image.RGBA read that way would differ
// where it is not opaque). *image.YCbCr, *image.NYCbCrA, *image.RGBA,
// *image.NRGBA, *image.Gray, *image.Gray16, *image.Paletted and
// *image.CMYK are read directly from their pixel slices.
//
// *image.YCbCr (what image/jpeg returns) is converted to 8-bit RGB as
// color.YCbCrToRGB does, with chroma sampled at its nearest position, so
// the result is what img.At gives. libjpeg interpolates subsampled chroma
// ("fancy upsampling") and rounds its colour conversion differently, so
// the PDQ hash of a JPEG decoded by image/jpeg usually differs in a few
// bits (0-2 on the reference images, more on tiny or heavily compressed
// ones) from the hash of the same file decoded by libjpeg.
func Luma(img image.Image, dst []float32) []float32 {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	dst = grow(dst, w*h)
	var rd imageRows
	rd.reset(img)
	for y := range h {
		rd.fill(y, dst[y*w:(y+1)*w])
	}
	return dst
}

// HashImage returns the PDQ hash and quality of img at full resolution,
// with luma as Luma computes it. It does not build the whole luma image:
// rows are converted as the filter needs them.
func (h *Hasher) HashImage(img image.Image) (Hash, int) {
	if !h.downsampleImage(img, true) {
		return Hash{}, 0
	}
	q := h.finish()
	return bitsAboveMedian(&h.b16, &h.sorted), q
}

// HashImageDihedral returns the hashes of the eight rotations and flips of
// img, and its quality, as HashLumaDihedral does on Luma(img).
func (h *Hasher) HashImageDihedral(img image.Image) (Dihedral, int) {
	if !h.downsampleImage(img, false) {
		return Dihedral{}, 0
	}
	q := h.finish()
	return h.dihedral(), q
}

// downsampleImage fills b64 from img, taking a 64x64 image as it is if
// direct64 is set. It reports false if img is too small to hash.
func (h *Hasher) downsampleImage(img image.Image, direct64 bool) bool {
	b := img.Bounds()
	w, ht := b.Dx(), b.Dy()
	if w < minDim || ht < minDim {
		return false
	}
	h.rows.reset(img)
	for k := range h.rows.buf {
		h.rows.buf[k] = grow(h.rows.buf[k], w)
	}
	if direct64 && w == 64 && ht == 64 {
		for y := range 64 {
			copy(h.b64[y*64:(y+1)*64], h.rows.row(y))
		}
	} else {
		h.downsample(&h.rows, w, ht)
	}
	h.rows.img = nil
	return true
}

// imageRows reads an image's luma row by row.
type imageRows struct {
	img image.Image
	buf [group][]float32 // row y is read into buf[y%group]
	pal [256]float32     // luma of each palette entry, for *image.Paletted
}

func (r *imageRows) reset(img image.Image) {
	r.img = img
	if p, ok := img.(*image.Paletted); ok {
		for i := range r.pal {
			r.pal[i] = 0
			if i < len(p.Palette) {
				r.pal[i] = colorLuma(p.Palette[i])
			}
		}
	}
}

func (r *imageRows) row(y int) []float32 {
	b := r.buf[y%group]
	r.fill(y, b)
	return b
}

// fill writes the luma of row y (counted from the top of the bounds) into
// dst, which holds one row.
func (r *imageRows) fill(y int, dst []float32) {
	b := r.img.Bounds()
	w := b.Dx()
	dst = dst[:w]
	switch m := r.img.(type) {
	case *image.YCbCr:
		ycbcrRow(m, b.Min.Y+y, dst)
	case *image.NYCbCrA:
		ycbcrRow(&m.YCbCr, b.Min.Y+y, dst)
	case *image.RGBA:
		rgbaRow(m.Pix[y*m.Stride:], dst)
	case *image.NRGBA:
		rgbaRow(m.Pix[y*m.Stride:], dst)
	case *image.Gray:
		for x, v := range m.Pix[y*m.Stride : y*m.Stride+w] {
			dst[x] = float32(v)
		}
	case *image.Gray16:
		p := m.Pix[y*m.Stride : y*m.Stride+2*w]
		for x := range dst {
			dst[x] = float32(p[2*x])
		}
	case *image.Paletted:
		for x, v := range m.Pix[y*m.Stride : y*m.Stride+w] {
			dst[x] = r.pal[v]
		}
	case *image.CMYK:
		p := m.Pix[y*m.Stride : y*m.Stride+4*w]
		for x := range dst {
			q := p[4*x : 4*x+4]
			dst[x] = rgbLuma(color.CMYKToRGB(q[0], q[1], q[2], q[3]))
		}
	default:
		for x := range dst {
			dst[x] = colorLuma(r.img.At(b.Min.X+x, b.Min.Y+y))
		}
	}
}

// colorLuma returns the luma of c as non-premultiplied 8-bit RGB, or of
// its grey level for a grey colour.
func colorLuma(c color.Color) float32 {
	switch c := c.(type) {
	case color.NRGBA:
		return rgbLuma(c.R, c.G, c.B)
	case color.NRGBA64:
		return rgbLuma(uint8(c.R>>8), uint8(c.G>>8), uint8(c.B>>8))
	case color.Gray:
		return float32(c.Y)
	case color.Gray16:
		return float32(c.Y >> 8)
	case color.NYCbCrA:
		return rgbLuma(color.YCbCrToRGB(c.Y, c.Cb, c.Cr))
	}
	r, g, b, a := c.RGBA()
	switch a {
	case 0xffff:
	case 0:
		r, g, b = 0, 0, 0
	default:
		r, g, b = r*0xffff/a, g*0xffff/a, b*0xffff/a
	}
	return rgbLuma(uint8(r>>8), uint8(g>>8), uint8(b>>8))
}

// rgbaRow converts one row of 4-byte pixels, ignoring the fourth byte.
func rgbaRow(pix []byte, dst []float32) {
	pix = pix[:4*len(dst)]
	for x := range dst {
		p := pix[4*x : 4*x+3 : 4*x+3]
		dst[x] = rgbLuma(p[0], p[1], p[2])
	}
}

// ycbcrRow converts row y (in image coordinates) of m.
func ycbcrRow(m *image.YCbCr, y int, dst []float32) {
	x0 := m.Rect.Min.X
	yrow := m.Y[(y-m.Rect.Min.Y)*m.YStride:]
	yrow = yrow[:len(dst)]
	var crow int
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio410:
		crow = (y/2 - m.Rect.Min.Y/2) * m.CStride
	default:
		crow = (y - m.Rect.Min.Y) * m.CStride
	}
	cb, cr := m.Cb[crow:], m.Cr[crow:]
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420:
		if x0 < 0 {
			// Division rounds toward zero: pixels -1, 0 and 1 share a
			// sample.
			for i, yy := range yrow {
				ci := (x0+i)/2 - x0/2
				dst[i] = ycbcrLuma(yy, cb[ci], cr[ci])
			}
			return
		}
		i := 0
		if x0&1 != 0 {
			// An odd start shares its chroma sample with no neighbour.
			dst[0] = ycbcrLuma(yrow[0], cb[0], cr[0])
			i = 1
		}
		ci := (x0+i)/2 - x0/2
		for ; i+1 < len(yrow); i, ci = i+2, ci+1 {
			r, g, b := chroma(cb[ci], cr[ci])
			dst[i] = lumaTerms(yrow[i], r, g, b)
			dst[i+1] = lumaTerms(yrow[i+1], r, g, b)
		}
		if i < len(yrow) {
			dst[i] = ycbcrLuma(yrow[i], cb[ci], cr[ci])
		}
	case image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410:
		for i, yy := range yrow {
			ci := (x0+i)/4 - x0/4
			dst[i] = ycbcrLuma(yy, cb[ci], cr[ci])
		}
	default:
		cb, cr = cb[:len(yrow)], cr[:len(yrow)]
		for i, yy := range yrow {
			dst[i] = ycbcrLuma(yy, cb[i], cr[i])
		}
	}
}

// chroma returns the chroma terms of color.YCbCrToRGB's R, G and B.
func chroma(cb, cr uint8) (r, g, b int32) {
	cb1 := int32(cb) - 128
	cr1 := int32(cr) - 128
	return 91881 * cr1, -22554*cb1 - 46802*cr1, 116130 * cb1
}

// lumaTerms is ycbcrLuma given the chroma terms.
func lumaTerms(y uint8, r, g, b int32) float32 {
	yy1 := int32(y) * 0x10101
	return lumaTab[0][clamp16(yy1+r)] + lumaTab[1][clamp16(yy1+g)] + lumaTab[2][clamp16(yy1+b)]
}

// ycbcrLuma is rgbLuma(color.YCbCrToRGB(y, cb, cr)).
func ycbcrLuma(y, cb, cr uint8) float32 {
	r, g, b := chroma(cb, cr)
	return lumaTerms(y, r, g, b)
}

// clamp16 is color.YCbCrToRGB's rounding, v>>16 clamped to 0-255, without
// branches.
func clamp16(v int32) uint8 {
	return uint8(max(0, min(255, v>>16)))
}
