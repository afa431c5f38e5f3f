package memeedit

import (
	"crypto/sha256"
	"image"
	"image/color"
	"strings"
	"testing"

	"github.com/disintegration/imaging"
)

func picture(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, color.NRGBA{uint8(x * 7), uint8(y * 5), uint8(x * y), 255})
		}
	}
	return img
}

func digest(img image.Image) [32]byte {
	return sha256.Sum256(imaging.Clone(img).Pix)
}

func TestGenerateDeterministic(t *testing.T) {
	a, b := Generate(42, 3), Generate(42, 3)
	if len(a) != 3*len(Families()) {
		t.Fatalf("got %d edits, want %d", len(a), 3*len(Families()))
	}
	pic, partner := picture(120, 90), picture(80, 100)
	names := map[string]bool{}
	for i := range a {
		if a[i].String() != b[i].String() {
			t.Fatalf("edit %d differs between runs: %s vs %s", i, a[i], b[i])
		}
		if names[a[i].Name] {
			t.Errorf("duplicate name %s", a[i].Name)
		}
		names[a[i].Name] = true
		x, err := a[i].Apply(pic, partner)
		if err != nil {
			t.Fatalf("%s: %v", a[i], err)
		}
		y, err := b[i].Apply(pic, partner)
		if err != nil {
			t.Fatalf("%s: %v", b[i], err)
		}
		if digest(x) != digest(y) {
			t.Errorf("%s: pixels differ between runs", a[i])
		}
	}
	if c := Generate(43, 3); c[0].String() == a[0].String() && c[1].String() == a[1].String() && c[len(c)-1].String() == a[len(a)-1].String() {
		t.Error("seeds 42 and 43 gave the same edits")
	}
}

func TestStepGeometry(t *testing.T) {
	pic, partner := picture(200, 100), picture(50, 100)
	white := color.NRGBA{255, 255, 255, 255}
	tests := []struct {
		step Step
		want image.Point
	}{
		{Caption{Height: 0.2, Background: white, Text: "HI"}, image.Pt(200, 120)},
		{Caption{Bottom: true, Height: 0.3, Background: white, Text: "你好", Blocky: true}, image.Pt(200, 130)},
		{Overlay{Y: 0.5, Size: 0.1, Text: "HI"}, image.Pt(200, 100)},
		{Border{Top: 0.1, Bottom: 0.2, Left: 0.05, Colour: white}, image.Pt(210, 130)},
		{JPEG{Quality: 20}, image.Pt(200, 100)},
		{Resize{Scale: 0.5}, image.Pt(100, 50)},
		{Mirror{}, image.Pt(200, 100)},
		{Rotate{Degrees: 90}, image.Pt(100, 200)},
		{Rotate{Degrees: 180}, image.Pt(200, 100)},
		{Crop{Left: 0.1, Top: 0.2}, image.Pt(180, 80)},
		{Juxtapose{PartnerScale: 1}, image.Pt(250, 100)},
		{Juxtapose{PartnerScale: 0.5, Gap: 0.1, GapColour: white}, image.Pt(245, 100)},
		{Juxtapose{Stacked: true, PartnerScale: 1}, image.Pt(200, 500)},
		{Grey{}, image.Pt(200, 100)},
		{Contrast{Percent: 30}, image.Pt(200, 100)},
		{Sticker{Corner: 2, Size: 0.2, Colour: white}, image.Pt(200, 100)},
	}
	for _, tt := range tests {
		t.Run(tt.step.String(), func(t *testing.T) {
			out, err := tt.step.Apply(pic, partner)
			if err != nil {
				t.Fatal(err)
			}
			if got := out.Bounds().Size(); got != tt.want {
				t.Errorf("size %v, want %v", got, tt.want)
			}
		})
	}
}

func TestStepContent(t *testing.T) {
	pic := picture(200, 100)
	out, err := Mirror{}.Apply(pic, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := imaging.Clone(out).NRGBAAt(0, 10), pic.NRGBAAt(199, 10); got != want {
		t.Errorf("mirror: pixel (0,10) = %v, want %v", got, want)
	}
	red := color.NRGBA{200, 16, 46, 255}
	out, err = Border{Top: 0.1, Colour: red}.Apply(pic, nil)
	if err != nil {
		t.Fatal(err)
	}
	o := imaging.Clone(out)
	if got := o.NRGBAAt(5, 5); got != red {
		t.Errorf("border pixel = %v, want %v", got, red)
	}
	if got, want := o.NRGBAAt(5, 15), pic.NRGBAAt(5, 5); got != want {
		t.Errorf("picture moved: %v, want %v", got, want)
	}
	// The caption's text changes the bar.
	plain, _ := Caption{Height: 0.3, Background: red}.Apply(pic, nil)
	with, _ := Caption{Height: 0.3, Background: red, Text: "WAKE UP"}.Apply(pic, nil)
	if digest(plain) == digest(with) {
		t.Error("caption text drew nothing")
	}
	blocky, _ := Caption{Height: 0.3, Background: red, Text: "醒醒吧", Blocky: true}.Apply(pic, nil)
	if digest(plain) == digest(blocky) {
		t.Error("blocky caption drew nothing")
	}
}

func TestScreenshotFramesPicture(t *testing.T) {
	pic := picture(300, 200)
	for _, s := range []Screenshot{{Width: 360, Header: color.NRGBA{24, 119, 242, 255}, Text: "hi"}, {Width: 720, Dark: true, Padding: true, Text: "有什么区别", Blocky: true}} {
		out, err := s.Apply(pic, nil)
		if err != nil {
			t.Fatal(err)
		}
		b := out.Bounds()
		if b.Dx() != s.Width || b.Dy() <= s.Width*200/300 {
			t.Errorf("%s: size %v: want width %d and room for the frame", s, b.Size(), s.Width)
		}
	}
	if _, err := (Screenshot{Width: 10}).Apply(pic, nil); err == nil {
		t.Error("screenshot 10 px wide: no error")
	}
}

func TestErrors(t *testing.T) {
	pic := picture(40, 40)
	tests := []struct {
		edit Edit
		want string
	}{
		{Edit{Name: "r", Steps: []Step{Rotate{Degrees: 45}}}, "want 90, 180 or 270"},
		{Edit{Name: "c", Steps: []Step{Crop{Left: 0.6, Right: 0.6}}}, "crop leaves nothing"},
		{Edit{Name: "j", Steps: []Step{Juxtapose{PartnerScale: 1}}}, "needs a partner"},
	}
	for _, tt := range tests {
		if _, err := tt.edit.Apply(pic, nil); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.edit, err, tt.want)
		}
	}
	if _, err := (Edit{Name: "e"}).Apply(image.NewNRGBA(image.Rect(0, 0, 0, 0)), nil); err == nil {
		t.Error("empty picture: no error")
	}
}

func TestHard(t *testing.T) {
	for _, f := range Families() {
		want := f == FamilyCropLarge || f == FamilySideBySide || f == FamilyStacked
		if Hard(f) != want {
			t.Errorf("Hard(%s) = %t", f, Hard(f))
		}
	}
}

func BenchmarkGenerateApply(b *testing.B) {
	pic, partner := picture(640, 480), picture(400, 300)
	edits := Generate(1, 1)
	b.ResetTimer()
	for i := range b.N {
		if _, err := edits[i%len(edits)].Apply(pic, partner); err != nil {
			b.Fatal(err)
		}
	}
}
