package jpegscale

import (
	"bytes"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testFiles(t testing.TB) map[string][]byte {
	t.Helper()
	names, err := filepath.Glob("testdata/*.jpeg")
	if err != nil || len(names) < 10 {
		t.Fatalf("test images: %v (%d found)", err, len(names))
	}
	files := map[string][]byte{}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(n)] = b
	}
	return files
}

// TestFullScaleAgreesWithStdlib checks that at full scale the fork accepts
// and refuses the files image/jpeg does, at the same size. The pixels are
// libjpeg's (TestMatchesLibjpeg), not image/jpeg's.
func TestFullScaleAgreesWithStdlib(t *testing.T) {
	for name, data := range testFiles(t) {
		want, wantErr := jpeg.Decode(bytes.NewReader(data))
		got, err := Decode(bytes.NewReader(data), 1)
		if (err == nil) != (wantErr == nil) {
			t.Errorf("%s: error %v, image/jpeg says %v", name, err, wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if got.Bounds() != want.Bounds() {
			t.Errorf("%s: bounds %v, image/jpeg's %v", name, got.Bounds(), want.Bounds())
		}
	}
}

// TestScaled checks the size and type of reduced-scale decodes, and that
// each pixel is near the mean of the full-size block it stands for.
func TestScaled(t *testing.T) {
	for name, data := range testFiles(t) {
		full, err := Decode(bytes.NewReader(data), 1)
		if err != nil {
			if !strings.Contains(name, "truncated") {
				t.Errorf("%s: %v", name, err)
			}
			continue
		}
		fb := full.Bounds()
		for _, denom := range []int{2, 4, 8} {
			img, err := Decode(bytes.NewReader(data), denom)
			if err != nil {
				t.Errorf("%s 1/%d: %v", name, denom, err)
				continue
			}
			b := img.Bounds()
			if want := image.Rect(0, 0, (fb.Dx()+denom-1)/denom, (fb.Dy()+denom-1)/denom); b != want {
				t.Errorf("%s 1/%d: bounds %v, want %v", name, denom, b, want)
			}
			if sameType := func() bool {
				switch full.(type) {
				case *image.RGBA:
					// Colour is RGB at full scale; reduced, YCbCr
					// planes, or RGB when stored as RGB.
					switch img.(type) {
					case *image.YCbCr, *image.RGBA:
						return true
					}
					return false
				case *image.Gray:
					_, ok := img.(*image.Gray)
					return ok
				case *image.CMYK:
					_, ok := img.(*image.CMYK)
					return ok
				}
				return false
			}(); !sameType {
				t.Errorf("%s 1/%d: %T, full size is %T", name, denom, img, full)
			}
			// Compare the luma (or grey, at full resolution) with the mean of the full-size block, over
			// whole blocks only. Edges ring in a truncated inverse DCT, so
			// the test is on the mean difference.
			if _, ok := full.(*image.CMYK); ok {
				continue
			}
			// Against YCbCr, the luma of the full-size RGB; RGB
			// against RGB (a JPEG stored as RGB), red.
			_, luma := img.(*image.YCbCr)
			var diff, n int
			for y := 0; (y+1)*denom <= fb.Dy(); y++ {
				for x := 0; (x+1)*denom <= fb.Dx(); x++ {
					var sum int
					for dy := range denom {
						for dx := range denom {
							sum += int(channel0(full, x*denom+dx, y*denom+dy, luma))
						}
					}
					d := int(channel0(img, x, y, luma)) - (sum+denom*denom/2)/(denom*denom)
					diff += max(d, -d)
					n++
				}
			}
			if mean := float64(diff) / float64(n); mean > 4 {
				t.Errorf("%s 1/%d: pixels differ from the block mean by %.2f on average", name, denom, mean)
			}
		}
	}
}

func channel0(img image.Image, x, y int, luma bool) uint8 {
	switch m := img.(type) {
	case *image.YCbCr:
		return m.Y[m.YOffset(x, y)]
	case *image.Gray:
		return m.GrayAt(x, y).Y
	case *image.RGBA:
		p := m.Pix[m.PixOffset(x, y):]
		if !luma {
			return p[0]
		}
		// JFIF's luma of the RGB.
		return uint8((19595*uint32(p[0]) + 38470*uint32(p[1]) + 7471*uint32(p[2]) + 1<<15) >> 16)
	}
	panic("unexpected image type")
}

// TestTooManyScans checks that a file repeating a scan without end is
// refused.
func TestTooManyScans(t *testing.T) {
	data := testFiles(t)["video-001.q50.420.progressive.jpeg"]
	sos := bytes.Index(data, []byte{0xff, 0xda})
	eoi := bytes.LastIndex(data, []byte{0xff, 0xd9})
	next := bytes.Index(data[sos+2:], []byte{0xff, 0xda})
	if sos < 0 || eoi < 0 || next < 0 {
		t.Fatal("no scans found")
	}
	scan := data[sos : sos+2+next] // the first scan, marker to marker
	var b bytes.Buffer
	b.Write(data[:sos])
	for range maxScans + 1 {
		b.Write(scan)
	}
	b.Write(data[eoi:])
	if _, err := Decode(bytes.NewReader(b.Bytes()), 8); err == nil || !strings.Contains(err.Error(), "scans") {
		t.Errorf("error %v, want one about too many scans", err)
	}
}

func TestBadDenominator(t *testing.T) {
	data := testFiles(t)["video-001.q50.420.jpeg"]
	for _, denom := range []int{0, -1, 3, 16} {
		if _, err := Decode(bytes.NewReader(data), denom); err == nil || !strings.Contains(err.Error(), "denominator") {
			t.Errorf("denom %d: error %v, want one about the denominator", denom, err)
		}
	}
}

func TestDecodeConfig(t *testing.T) {
	data := testFiles(t)["video-001.q50.420.jpeg"]
	cfg, err := DecodeConfig(bytes.NewReader(data))
	want, _ := jpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg != want {
		t.Errorf("DecodeConfig = %+v, %v; want %+v", cfg, err, want)
	}
}

// FuzzDecode checks that no input makes the decoder panic, at any scale,
// and that what it decodes has the size the header states.
func FuzzDecode(f *testing.F) {
	for _, data := range testFiles(f) {
		f.Add(data, uint8(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, s uint8) {
		cfg, err := DecodeConfig(bytes.NewReader(data))
		if err != nil || cfg.Width*cfg.Height > 1e6 {
			return
		}
		denom := 1 << (s % 4)
		img, err := Decode(bytes.NewReader(data), denom)
		if err != nil {
			return
		}
		if b := img.Bounds(); b.Dx() != (cfg.Width+denom-1)/denom || b.Dy() != (cfg.Height+denom-1)/denom {
			t.Fatalf("1/%d: bounds %v for %dx%d", denom, b, cfg.Width, cfg.Height)
		}
	})
}
