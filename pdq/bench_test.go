package pdq

import (
	"image"
	"image/draw"
	"image/jpeg"
	"os"
	"testing"
)

const benchW, benchH = 2560, 1600

// benchYCbCr returns a 2560x1600 4:2:0 photo, as image/jpeg decodes it.
func benchYCbCr(b *testing.B) *image.YCbCr {
	f, err := os.Open("../testdata/photos/debian-mate-backgrounds/Aqua.jpg")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	img, err := jpeg.Decode(f)
	if err != nil {
		b.Fatal(err)
	}
	m, ok := img.(*image.YCbCr)
	if !ok || m.Bounds().Dx() != benchW || m.Bounds().Dy() != benchH || m.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		b.Fatalf("want a %dx%d 4:2:0 *image.YCbCr, got %T %v", benchW, benchH, img, img.Bounds())
	}
	return m
}

// benchRGBA returns the same photo as *image.RGBA.
func benchRGBA(b *testing.B) *image.RGBA {
	src := benchYCbCr(b)
	m := image.NewRGBA(src.Bounds())
	draw.Draw(m, m.Bounds(), src, image.Point{}, draw.Src)
	return m
}

func benchPixels(b *testing.B, n int) {
	b.ReportAllocs()
	b.SetBytes(int64(n))
}

func BenchmarkLumaYCbCr420(b *testing.B) {
	img := benchYCbCr(b)
	dst := Luma(img, nil)
	benchPixels(b, benchW*benchH)
	for b.Loop() {
		dst = Luma(img, dst)
	}
}

func BenchmarkLumaRGBA(b *testing.B) {
	img := benchRGBA(b)
	dst := Luma(img, nil)
	benchPixels(b, benchW*benchH)
	for b.Loop() {
		dst = Luma(img, dst)
	}
}

// BenchmarkJarosz is the blur and decimation to 64x64 of a luma image,
// which the streamed filter does in one go.
func BenchmarkJarosz(b *testing.B) {
	luma := Luma(benchYCbCr(b), nil)
	var h Hasher
	h.slice = sliceRows{luma, benchW}
	benchPixels(b, benchW*benchH)
	for b.Loop() {
		h.downsample(&h.slice, benchW, benchH)
	}
}

// BenchmarkBoxRow is the first row pass, on four rows.
func BenchmarkBoxRow(b *testing.B) {
	luma := Luma(benchYCbCr(b), nil)
	var in, out [group][]float32
	for k := range group {
		in[k], out[k] = luma[k*benchW:(k+1)*benchW], make([]float32, benchW)
	}
	w := jaroszWindow(benchW, 64)
	benchPixels(b, group*benchW)
	for b.Loop() {
		boxRow4(&in, &out, w)
	}
}

// BenchmarkDecimate is the second row pass, on four rows, which divides
// only at the sampled columns.
func BenchmarkDecimate(b *testing.B) {
	luma := Luma(benchYCbCr(b), nil)
	var in, out [group][]float32
	for k := range group {
		in[k], out[k] = luma[k*benchW:(k+1)*benchW], make([]float32, 64)
	}
	var cols [64]int
	for i := range cols {
		cols[i] = int(((float64(i) + 0.5) * float64(benchW)) / 64)
	}
	w := jaroszWindow(benchW, 64)
	benchPixels(b, group*benchW)
	for b.Loop() {
		boxRowSampled4(&in, cols[:], &out, w)
	}
}

func BenchmarkDCT(b *testing.B) {
	var h Hasher
	h.HashImage(benchYCbCr(b))
	b.ReportAllocs()
	for b.Loop() {
		dct64To16(&h.b64, &h.b16x64, &h.b16)
	}
}

func BenchmarkQuality(b *testing.B) {
	var h Hasher
	h.HashImage(benchYCbCr(b))
	b.ReportAllocs()
	for b.Loop() {
		quality(&h.b64)
	}
}

func BenchmarkMedian(b *testing.B) {
	var h Hasher
	h.HashImage(benchYCbCr(b))
	b.ReportAllocs()
	for b.Loop() {
		bitsAboveMedian(&h.b16, &h.sorted)
	}
}

func BenchmarkDihedralBits(b *testing.B) {
	var h Hasher
	h.HashImage(benchYCbCr(b))
	b.ReportAllocs()
	for b.Loop() {
		h.dihedral()
	}
}

func BenchmarkHashImageYCbCr(b *testing.B) {
	img := benchYCbCr(b)
	var h Hasher
	benchPixels(b, benchW*benchH)
	for b.Loop() {
		h.HashImage(img)
	}
}

func BenchmarkHashImageRGBA(b *testing.B) {
	img := benchRGBA(b)
	var h Hasher
	benchPixels(b, benchW*benchH)
	for b.Loop() {
		h.HashImage(img)
	}
}
