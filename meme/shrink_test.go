package meme_test

import (
	"context"
	"image"
	"image/color"
	"reflect"
	"testing"

	"github.com/disintegration/imaging"

	"github.com/medialabel/medialabel"
	"github.com/medialabel/medialabel/fingerprint"
	"github.com/medialabel/medialabel/meme"
)

// pattern is an RGBA picture whose every pixel differs from its
// neighbours, with its bounds at min.
func pattern(min image.Point, w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rectangle{min, min.Add(image.Pt(w, h))})
	for y := range h {
		for x := range w {
			m.SetRGBA(min.X+x, min.Y+y, color.RGBA{uint8(x * 7), uint8(y * 13), uint8(x*y + 3), 255})
		}
	}
	return m
}

func TestRegionImage(t *testing.T) {
	for _, tc := range []struct {
		name         string
		img          image.Image
		k            int // the shrink factor, 1 for none
		wantW, wantH int
	}{
		{"fits", pattern(image.Pt(0, 0), 512, 300), 1, 512, 300},
		{"fits, off the origin", pattern(image.Pt(5, 9), 200, 512), 1, 200, 512},
		{"twice too wide", pattern(image.Pt(0, 0), 1024, 700), 2, 512, 350},
		{"just over", pattern(image.Pt(0, 0), 513, 100), 2, 256, 50},
		{"three times, off the origin", pattern(image.Pt(3, 4), 1030, 600), 3, 343, 200},
		{"tall grey", image.NewGray(image.Rect(0, 0, 90, 2000)), 4, 22, 500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := meme.RegionImage(tc.img)
			if tc.k == 1 {
				if got != tc.img {
					t.Fatalf("a picture that fits was copied")
				}
				return
			}
			b := got.Bounds()
			if b != image.Rect(0, 0, tc.wantW, tc.wantH) {
				t.Fatalf("bounds %v, want %dx%d at the origin", b, tc.wantW, tc.wantH)
			}
			if max(b.Dx(), b.Dy()) > meme.RegionSide {
				t.Fatalf("%v is over RegionSide", b)
			}
			// Each pixel is the rounded mean of its k x k block.
			src := tc.img.Bounds().Min
			for _, p := range []image.Point{{0, 0}, {b.Dx() - 1, b.Dy() - 1}, {b.Dx() / 2, b.Dy() / 3}} {
				var sum [4]int
				for dy := range tc.k {
					for dx := range tc.k {
						c := color.RGBAModel.Convert(tc.img.At(src.X+p.X*tc.k+dx, src.Y+p.Y*tc.k+dy)).(color.RGBA)
						sum[0] += int(c.R)
						sum[1] += int(c.G)
						sum[2] += int(c.B)
						sum[3] += int(c.A)
					}
				}
				n := tc.k * tc.k
				want := color.RGBA{uint8((sum[0] + n/2) / n), uint8((sum[1] + n/2) / n), uint8((sum[2] + n/2) / n), uint8((sum[3] + n/2) / n)}
				if c := got.At(p.X, p.Y); c != want {
					t.Errorf("pixel %v = %v, want %v", p, c, want)
				}
			}
		})
	}
}

// TestMirrorHashes checks that the whole picture's mirror, which a query
// takes row by row from an RGBA picture, hashes as imaging.FlipH's
// mirror does.
func TestMirrorHashes(t *testing.T) {
	ctx := context.Background()
	h, err := fingerprint.New(fingerprint.Options{Signals: []medialabel.Signal{medialabel.PDQ, medialabel.PHash}})
	if err != nil {
		t.Fatal(err)
	}
	for _, img := range []*image.RGBA{
		pattern(image.Pt(0, 0), 300, 200),
		pattern(image.Pt(11, 7), 257, 390).SubImage(image.Rect(20, 30, 200, 300)).(*image.RGBA),
		decodeRGBA(t, "coffee.png"),
	} {
		want, err := h.HashImage(ctx, imaging.FlipH(img))
		if err != nil {
			t.Fatal(err)
		}
		got, err := h.HashImage(ctx, meme.Mirrored(img))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Hashes, want.Hashes) {
			t.Errorf("%v: mirrored hashes %v, imaging.FlipH %v", img.Bounds(), got.Hashes, want.Hashes)
		}
	}
}

func decodeRGBA(t *testing.T, name string) *image.RGBA {
	img := decode(t, readPhoto(t, name))
	if m, ok := img.(*image.RGBA); ok {
		return m
	}
	b := img.Bounds()
	m := image.NewRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			m.Set(x, y, img.At(x, y))
		}
	}
	return m
}
