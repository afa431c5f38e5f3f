package pdq

import (
	"image"
	"image/color"
	"math/rand/v2"
	"testing"
)

// opaque hides an image's concrete type, so that Luma reads it through
// At, the generic path.
type opaque struct{ image.Image }

func randomImages(r *rand.Rand, rect image.Rectangle) map[string]image.Image {
	fill := func(p []byte) {
		for i := range p {
			p[i] = byte(r.Uint32())
		}
	}
	imgs := map[string]image.Image{}
	for _, ratio := range []image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
	} {
		m := image.NewYCbCr(rect, ratio)
		fill(m.Y)
		fill(m.Cb)
		fill(m.Cr)
		imgs["YCbCr"+ratio.String()] = m
	}
	na := image.NewNYCbCrA(rect, image.YCbCrSubsampleRatio420)
	fill(na.Y)
	fill(na.Cb)
	fill(na.Cr)
	fill(na.A)
	imgs["NYCbCrA"] = na
	rgba := image.NewRGBA(rect)
	fill(rgba.Pix)
	for i := 3; i < len(rgba.Pix); i += 4 {
		rgba.Pix[i] = 0xff // opaque, so that At gives the stored values
	}
	imgs["RGBA"] = rgba
	nrgba := image.NewNRGBA(rect)
	fill(nrgba.Pix)
	imgs["NRGBA"] = nrgba
	gray := image.NewGray(rect)
	fill(gray.Pix)
	imgs["Gray"] = gray
	gray16 := image.NewGray16(rect)
	fill(gray16.Pix)
	imgs["Gray16"] = gray16
	pal := image.NewPaletted(rect, nil)
	for range 200 {
		pal.Palette = append(pal.Palette, color.NRGBA{byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32())})
	}
	for i := range pal.Pix {
		pal.Pix[i] = byte(r.IntN(len(pal.Palette)))
	}
	imgs["Paletted"] = pal
	cmyk := image.NewCMYK(rect)
	fill(cmyk.Pix)
	imgs["CMYK"] = cmyk
	rgba64 := image.NewRGBA64(rect)
	fill(rgba64.Pix)
	imgs["RGBA64"] = rgba64
	return imgs
}

// TestLumaFastPaths checks that each direct path gives what the generic
// At path gives, on images whose bounds do not start at the origin.
func TestLumaFastPaths(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, rect := range []image.Rectangle{
		image.Rect(0, 0, 37, 23),
		image.Rect(-3, 5, 30, 26),
		image.Rect(1, 1, 2, 2),
	} {
		for name, img := range randomImages(r, rect) {
			got := Luma(img, nil)
			want := Luma(opaque{img}, make([]float32, 1))
			if len(got) != rect.Dx()*rect.Dy() || len(want) != len(got) {
				t.Fatalf("%s %v: %d and %d values, want %d", name, rect, len(got), len(want), rect.Dx()*rect.Dy())
			}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("%s %v: luma[%d] = %v, At path gives %v", name, rect, i, got[i], want[i])
					break
				}
			}
			// A sub-image reads the same pixels.
			sub := img.(interface {
				SubImage(image.Rectangle) image.Image
			}).SubImage(rect.Inset(1))
			if s := Luma(sub, nil); len(s) > 0 {
				w := rect.Dx()
				if s[0] != got[w+1] {
					t.Errorf("%s %v: sub-image luma %v, want %v", name, rect, s[0], got[w+1])
				}
			}
		}
	}
}

func TestLumaValues(t *testing.T) {
	for _, c := range []struct {
		c    color.Color
		want float32
	}{
		{color.Gray{200}, 200},
		{color.Gray16{0x1234}, 0x12},
		{color.NRGBA{255, 255, 255, 0}, 255}, // alpha ignored
		{color.RGBA{0, 0, 0, 0}, 0},
		{color.NRGBA{10, 20, 30, 255}, float32(float32(lumaR*10)+float32(lumaG*20)) + float32(lumaB*30)},
		{color.YCbCr{128, 128, 128}, rgbLuma(128, 128, 128)},
	} {
		if got := colorLuma(c.c); got != c.want {
			t.Errorf("colorLuma(%v) = %v, want %v", c.c, got, c.want)
		}
	}
	// image/jpeg's colour conversion, exactly.
	for y := 0; y < 256; y += 5 {
		for cb := 0; cb < 256; cb += 3 {
			for cr := 0; cr < 256; cr += 7 {
				want := rgbLuma(color.YCbCrToRGB(uint8(y), uint8(cb), uint8(cr)))
				if got := ycbcrLuma(uint8(y), uint8(cb), uint8(cr)); got != want {
					t.Fatalf("ycbcrLuma(%d, %d, %d) = %v, want %v", y, cb, cr, got, want)
				}
			}
		}
	}
}

// TestSmallAndSpecialSizes covers the reference's edge cases: sides under
// 5 give a zero hash, and a 64x64 luma image skips the filter in
// HashLuma but not in the dihedral hashes or in larger images.
func TestSmallAndSpecialSizes(t *testing.T) {
	var h Hasher
	r := rand.New(rand.NewPCG(5, 6))
	for _, size := range [][2]int{{0, 0}, {4, 100}, {100, 4}, {1, 1}} {
		luma := make([]float32, size[0]*size[1])
		if hash, q := h.HashLuma(luma, size[0], size[1]); hash != (Hash{}) || q != 0 {
			t.Errorf("%v: %v q%d, want zero", size, hash, q)
		}
		img := image.NewGray(image.Rect(0, 0, size[0], size[1]))
		if d, q := h.HashImageDihedral(img); d != (Dihedral{}) || q != 0 {
			t.Errorf("%v: dihedral %v q%d, want zero", size, d, q)
		}
	}
	for _, size := range [][2]int{{5, 5}, {64, 64}, {63, 65}, {7, 300}, {1000, 9}} {
		img := image.NewGray(image.Rect(0, 0, size[0], size[1]))
		for i := range img.Pix {
			img.Pix[i] = byte(r.IntN(256))
		}
		luma := Luma(img, nil)
		hl, ql := h.HashLuma(luma, size[0], size[1])
		hi, qi := h.HashImage(img)
		if hl != hi || ql != qi {
			t.Errorf("%v: HashLuma %v q%d, HashImage %v q%d", size, hl, ql, hi, qi)
		}
		d, qd := h.HashLumaDihedral(luma, size[0], size[1])
		di, _ := h.HashImageDihedral(img)
		if d != di {
			t.Errorf("%v: HashLumaDihedral and HashImageDihedral differ", size)
		}
		if qd != ql {
			t.Errorf("%v: dihedral quality %d, plain %d", size, qd, ql)
		}
		if size == [2]int{64, 64} {
			// No filter: the 64x64 buffer is the input.
			for i := range h.b64 {
				if h.b64[i] != luma[i] && i < 10 {
					// h.b64 now holds the dihedral run's filtered image;
					// recompute the plain one.
					h.HashLuma(luma, 64, 64)
					if h.b64[i] != luma[i] {
						t.Fatalf("64x64: buffer[%d] = %v, want the input %v", i, h.b64[i], luma[i])
					}
				}
			}
		} else if Distance(d[Original], hl) != 0 {
			t.Errorf("%v: dihedral original %v, plain %v", size, d[Original], hl)
		}
		if d[Original] == d[Rotate90] && hl != (Hash{}) {
			t.Errorf("%v: rotate90 equals original", size)
		}
	}
}

// TestDihedralMatchesTransformedImage checks the DCT sign rules, and the
// names of the transforms, against actually transforming a photo: the
// hash of each transformed copy must match the dihedral hash of the same
// name (within 31 bits: the sampling grid is not symmetric, so they are not
// always equal) and no other.
func TestDihedralMatchesTransformedImage(t *testing.T) {
	src := decodePNG(t, "reg-test-input__dih__bridge-1-original.pixels.png")
	n := src.Bounds().Dx()
	if src.Bounds().Dy() != n {
		t.Fatalf("want a square image, got %v", src.Bounds())
	}
	luma := Luma(src, nil)
	transforms := []func(x, y int) (int, int){
		Original:   func(x, y int) (int, int) { return x, y },
		Rotate90:   func(x, y int) (int, int) { return n - 1 - y, x },
		Rotate180:  func(x, y int) (int, int) { return n - 1 - x, n - 1 - y },
		Rotate270:  func(x, y int) (int, int) { return y, n - 1 - x },
		FlipX:      func(x, y int) (int, int) { return x, n - 1 - y },
		FlipY:      func(x, y int) (int, int) { return n - 1 - x, y },
		FlipPlus1:  func(x, y int) (int, int) { return y, x },
		FlipMinus1: func(x, y int) (int, int) { return n - 1 - y, n - 1 - x },
	}
	var h Hasher
	d, _ := h.HashLumaDihedral(luma, n, n)
	dst := make([]float32, n*n)
	for i, tf := range transforms {
		for y := range n {
			for x := range n {
				sx, sy := tf(x, y)
				dst[y*n+x] = luma[sy*n+sx]
			}
		}
		got, _ := h.HashLuma(dst, n, n)
		for j := range d {
			dist := Distance(got, d[j])
			if (j == i) != (dist <= 31) {
				t.Errorf("transform %d: hash is %d bits from dihedral hash %d", i, dist, j)
			}
		}
	}
}

func TestHashImageAllocs(t *testing.T) {
	img := image.NewYCbCr(image.Rect(0, 0, 300, 200), image.YCbCrSubsampleRatio420)
	var h Hasher
	h.HashImage(img)
	h.HashImageDihedral(img)
	luma := Luma(img, nil)
	if n := testing.AllocsPerRun(5, func() {
		h.HashImage(img)
		h.HashImageDihedral(img)
		h.HashLuma(luma, 300, 200)
		luma = Luma(img, luma)
	}); n != 0 {
		t.Errorf("%v allocations per run, want 0", n)
	}
}
