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

// TestFullScaleMatchesStdlib checks that at full scale the fork decodes
// exactly as image/jpeg does, errors included.
func TestFullScaleMatchesStdlib(t *testing.T) {
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
		if !sameImage(got, want) {
			t.Errorf("%s: %T %v differs from image/jpeg's %T %v", name, got, got.Bounds(), want, want.Bounds())
		}
	}
}

// TestPhotosMatchStdlib checks full-scale decoding against image/jpeg on
// photos of the repository: baseline and progressive, 4:2:0, 4:2:2 and
// 4:4:4, CMYK, and very low quality.
func TestPhotosMatchStdlib(t *testing.T) {
	for _, name := range []string{
		"photos/debian-mate-backgrounds/FreshFlower.jpg",
		"photos/debian-mate-backgrounds/Dune.jpg",
		"photos/debian-python3-skimage/rocket.jpg",
		"pdq-reference/pdq-data/misc-images/modes/CMYK.jpg",
		"pdq-reference/pdq-data/reg-test-input/labelme-subset/q0003.jpg",
		"pdq-reference/pdq-data/bridge-mods/square-512x512.jpg",
	} {
		data, err := os.ReadFile(filepath.Join("../../testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		want, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := Decode(bytes.NewReader(data), 1)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !sameImage(got, want) {
			t.Errorf("%s: %T %v differs from image/jpeg's", name, got, got.Bounds())
		}
	}
}

func sameImage(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	switch a := a.(type) {
	case *image.YCbCr:
		b, ok := b.(*image.YCbCr)
		return ok && a.SubsampleRatio == b.SubsampleRatio && bytes.Equal(a.Y, b.Y) && bytes.Equal(a.Cb, b.Cb) && bytes.Equal(a.Cr, b.Cr)
	case *image.Gray:
		b, ok := b.(*image.Gray)
		return ok && bytes.Equal(a.Pix, b.Pix)
	case *image.RGBA:
		b, ok := b.(*image.RGBA)
		return ok && bytes.Equal(a.Pix, b.Pix)
	case *image.CMYK:
		b, ok := b.(*image.CMYK)
		return ok && bytes.Equal(a.Pix, b.Pix)
	}
	return false
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
				case *image.YCbCr:
					s, ok := img.(*image.YCbCr)
					return ok && s.SubsampleRatio == full.(*image.YCbCr).SubsampleRatio
				case *image.Gray:
					_, ok := img.(*image.Gray)
					return ok
				case *image.RGBA:
					_, ok := img.(*image.RGBA)
					return ok
				case *image.CMYK:
					_, ok := img.(*image.CMYK)
					return ok
				}
				return false
			}(); !sameType {
				t.Errorf("%s 1/%d: %T, full size is %T", name, denom, img, full)
			}
			// Compare the first channel (luma, grey, or red, all at
			// full resolution) with the mean of the full-size block, over
			// whole blocks only. Edges ring in a truncated inverse DCT, so
			// the test is on the mean difference.
			if _, ok := full.(*image.CMYK); ok {
				continue
			}
			var diff, n int
			for y := 0; (y+1)*denom <= fb.Dy(); y++ {
				for x := 0; (x+1)*denom <= fb.Dx(); x++ {
					var sum int
					for dy := range denom {
						for dx := range denom {
							sum += int(channel0(full, x*denom+dx, y*denom+dy))
						}
					}
					d := int(channel0(img, x, y)) - (sum+denom*denom/2)/(denom*denom)
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

func channel0(img image.Image, x, y int) uint8 {
	switch m := img.(type) {
	case *image.YCbCr:
		return m.Y[m.YOffset(x, y)]
	case *image.Gray:
		return m.GrayAt(x, y).Y
	case *image.RGBA:
		return m.Pix[m.PixOffset(x, y)]
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
