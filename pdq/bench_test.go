package pdq

import (
	"image"
	"math/rand/v2"
	"testing"
)

const benchW, benchH = 2560, 1600

func benchYCbCr() *image.YCbCr {
	r := rand.New(rand.NewPCG(9, 10))
	m := image.NewYCbCr(image.Rect(0, 0, benchW, benchH), image.YCbCrSubsampleRatio420)
	for _, p := range [][]byte{m.Y, m.Cb, m.Cr} {
		for i := range p {
			p[i] = byte(r.Uint32())
		}
	}
	return m
}

func benchRGBA() *image.RGBA {
	r := rand.New(rand.NewPCG(9, 10))
	m := image.NewRGBA(image.Rect(0, 0, benchW, benchH))
	for i := range m.Pix {
		m.Pix[i] = byte(r.Uint32())
	}
	return m
}

func benchPixels(b *testing.B, n int) {
	b.ReportAllocs()
	b.SetBytes(int64(n))
}

func BenchmarkLumaYCbCr420(b *testing.B) {
	img := benchYCbCr()
	dst := Luma(img, nil)
	benchPixels(b, benchW*benchH)
	for b.Loop() {
		dst = Luma(img, dst)
	}
}

func BenchmarkLumaRGBA(b *testing.B) {
	img := benchRGBA()
	dst := Luma(img, nil)
	benchPixels(b, benchW*benchH)
	for b.Loop() {
		dst = Luma(img, dst)
	}
}

// BenchmarkJarosz is the blur and decimation to 64x64 of a luma image,
// which the streamed filter does in one go.
func BenchmarkJarosz(b *testing.B) {
	luma := Luma(benchYCbCr(), nil)
	var h Hasher
	h.slice = sliceRows{luma, benchW}
	benchPixels(b, benchW*benchH)
	for b.Loop() {
		h.downsample(&h.slice, benchW, benchH)
	}
}

func BenchmarkBoxRow(b *testing.B) {
	luma := Luma(benchYCbCr(), nil)[:benchW]
	out := make([]float32, benchW)
	w := jaroszWindow(benchW, 64)
	benchPixels(b, benchW)
	for b.Loop() {
		boxRow(luma, out, w)
	}
}

// BenchmarkDecimate is the second row pass, which divides only at the
// sampled columns.
func BenchmarkDecimate(b *testing.B) {
	luma := Luma(benchYCbCr(), nil)[:benchW]
	out := make([]float32, 64)
	var h Hasher
	for i := range h.colsIdx {
		h.colsIdx[i] = int(((float64(i) + 0.5) * float64(benchW)) / 64)
	}
	w := jaroszWindow(benchW, 64)
	benchPixels(b, benchW)
	for b.Loop() {
		boxRowSampled(luma, h.colsIdx[:], out, w)
	}
}

func BenchmarkDCT(b *testing.B) {
	var h Hasher
	h.HashImage(benchYCbCr())
	b.ReportAllocs()
	for b.Loop() {
		dct64To16(&h.b64, &h.b16x64, &h.b16)
	}
}

func BenchmarkQuality(b *testing.B) {
	var h Hasher
	h.HashImage(benchYCbCr())
	b.ReportAllocs()
	for b.Loop() {
		quality(&h.b64)
	}
}

func BenchmarkMedian(b *testing.B) {
	var h Hasher
	h.HashImage(benchYCbCr())
	b.ReportAllocs()
	for b.Loop() {
		bitsAboveMedian(&h.b16, &h.sorted)
	}
}

func BenchmarkDihedralBits(b *testing.B) {
	var h Hasher
	h.HashImage(benchYCbCr())
	b.ReportAllocs()
	for b.Loop() {
		h.dihedral()
	}
}

func BenchmarkHashImageYCbCr(b *testing.B) {
	img := benchYCbCr()
	var h Hasher
	benchPixels(b, benchW*benchH)
	for b.Loop() {
		h.HashImage(img)
	}
}

func BenchmarkHashImageRGBA(b *testing.B) {
	img := benchRGBA()
	var h Hasher
	benchPixels(b, benchW*benchH)
	for b.Loop() {
		h.HashImage(img)
	}
}
