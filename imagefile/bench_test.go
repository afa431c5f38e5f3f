package imagefile_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/medialabel/medialabel/imagefile"
	"github.com/medialabel/medialabel/imagefile/imagetest"
)

// BenchmarkDecode decodes one file of each format: 640x480 pictures
// generated in every format, plus real files (a 2560x1600 JPEG photograph
// and the 1600x1004 reference WebP, for which there is no encoder).
func BenchmarkDecode(b *testing.B) {
	pic := imagetest.Picture(640, 480, 1)
	cases := []struct {
		name string
		data []byte
	}{
		{"jpeg-640x480", imagetest.JPEG(pic)},
		{"png-640x480", imagetest.PNG(pic)},
		{"gif-640x480", imagetest.GIF(pic)},
		{"bmp-640x480", imagetest.BMP(pic)},
		{"tiff-640x480", imagetest.TIFF(pic)},
	}
	for _, f := range []struct{ name, path string }{
		{"jpeg-2560x1600", "../testdata/photos/debian-plasma-workspace-wallpapers/Kite-2560x1600.jpg"},
		{"webp-1600x1004", filepath.Join(pdqData, "misc-images/modes/F.webp")},
	} {
		data, err := os.ReadFile(f.path)
		if err != nil {
			b.Fatal(err)
		}
		cases = append(cases, struct {
			name string
			data []byte
		}{f.name, data})
	}
	var d imagefile.Decoder
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.data)))
			for b.Loop() {
				if _, err := d.DecodeBytes(c.data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeConfig measures the header check that runs before every
// decode, and the refusal of a PNG claiming 60000x60000 pixels.
func BenchmarkDecodeConfig(b *testing.B) {
	var d imagefile.Decoder
	jpg := imagetest.JPEG(imagetest.Picture(640, 480, 1))
	huge := imagetest.HugePNG(60000, 60000)
	b.Run("jpeg", func(b *testing.B) {
		for b.Loop() {
			if _, err := d.DecodeConfig(jpg); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("huge-png", func(b *testing.B) {
		for b.Loop() {
			if _, err := d.DecodeBytes(huge); err == nil {
				b.Fatal("decoded a 60000x60000 PNG")
			}
		}
	})
}
