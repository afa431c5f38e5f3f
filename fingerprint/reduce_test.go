package fingerprint

import (
	"image"
	"image/color"
	"testing"
)

// TestHalve checks the 2x2 means, the size (odd edges dropped) and the
// pixel type for each picture type halve reduces, and that other types and
// pictures too small are left as they are.
func TestHalve(t *testing.T) {
	rgba := image.NewRGBA(image.Rect(10, 20, 15, 24)) // 5x4, off origin
	gray := image.NewGray(image.Rect(0, 0, 5, 4))
	ycc := image.NewYCbCr(image.Rect(0, 0, 4, 4), image.YCbCrSubsampleRatio420)
	for y := range 4 {
		for x := range 5 {
			v := uint8(10*x + 50*y)
			rgba.SetRGBA(10+x, 20+y, color.RGBA{v, v + 1, v + 2, 255})
			gray.SetGray(x, y, color.Gray{v})
			if x < 4 {
				ycc.Y[ycc.YOffset(x, y)] = v
			}
		}
	}
	for i := range ycc.Cb {
		ycc.Cb[i], ycc.Cr[i] = uint8(100+i), uint8(200-i)
	}
	// The mean of the top left 2x2 block: (0+10+50+60+2)/4 = 30 (rounded).
	tests := []struct {
		name string
		in   image.Image
		want image.Rectangle
		at00 func(image.Image) uint8
	}{
		{"rgba", rgba, image.Rect(0, 0, 2, 2), func(m image.Image) uint8 { return m.(*image.RGBA).Pix[0] }},
		{"gray", gray, image.Rect(0, 0, 2, 2), func(m image.Image) uint8 { return m.(*image.Gray).Pix[0] }},
		{"ycbcr", ycc, image.Rect(0, 0, 2, 2), func(m image.Image) uint8 { return m.(*image.YCbCr).Y[0] }},
	}
	for _, tt := range tests {
		got := halve(tt.in)
		if got.Bounds() != tt.want {
			t.Errorf("%s: bounds %v, want %v", tt.name, got.Bounds(), tt.want)
			continue
		}
		if v := tt.at00(got); v != 30 {
			t.Errorf("%s: first pixel %d, want 30", tt.name, v)
		}
	}
	if m := halve(ycc).(*image.YCbCr); m.Cb[0] != 100 || m.Cr[1] != 199 {
		t.Errorf("ycbcr chroma %d %d, want 100 199", m.Cb[0], m.Cr[1])
	}
	if m := halve(rgba).(*image.RGBA); m.Pix[1] != 31 || m.Pix[3] != 255 {
		t.Errorf("rgba green %d alpha %d, want 31 255", m.Pix[1], m.Pix[3])
	}
	one := image.NewGray(image.Rect(0, 0, 1, 9))
	if halve(one) != image.Image(one) {
		t.Error("a 1-pixel-wide picture was halved")
	}
	pal := image.NewPaletted(image.Rect(0, 0, 8, 8), color.Palette{color.Black})
	if halve(pal) != image.Image(pal) {
		t.Error("a paletted picture was halved")
	}
}
