package regions

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/disintegration/imaging"
	"github.com/medialabel/medialabel/memeedit"
)

// texture is a photo-like test picture: smooth shading plus blobs plus
// noise, so that no row or column of it is flat or graphic.
func texture(w, h int, seed uint64) *image.NRGBA {
	rng := rand.New(rand.NewPCG(seed, 1))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	fx, fy := rng.Float64()*0.1+0.02, rng.Float64()*0.1+0.02
	base := [3]float64{rng.Float64() * 120, rng.Float64() * 120, rng.Float64() * 120}
	for y := range h {
		for x := range w {
			s := 60*math.Sin(float64(x)*fx) + 60*math.Cos(float64(y)*fy+float64(x)*0.01)
			var c [3]uint8
			for ch := range 3 {
				v := base[ch] + 60 + s*float64(ch+1)/3 + rng.Float64()*40
				c[ch] = uint8(min(255, max(0, v)))
			}
			img.SetNRGBA(x, y, color.NRGBA{c[0], c[1], c[2], 255})
		}
	}
	return img
}

func region(rs []Region, name string) (image.Rectangle, bool) {
	for _, r := range rs {
		if r.Name == name {
			return r.Rect, true
		}
	}
	return image.Rectangle{}, false
}

func within(got, want image.Rectangle, tol int) bool {
	d := func(a, b int) bool { return abs(a-b) <= tol }
	return d(got.Min.X, want.Min.X) && d(got.Min.Y, want.Min.Y) && d(got.Max.X, want.Max.X) && d(got.Max.Y, want.Max.Y)
}

func apply(t *testing.T, s memeedit.Step, img, partner image.Image) image.Image {
	t.Helper()
	out, err := s.Apply(img, partner)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestTrimBorders(t *testing.T) {
	pic := texture(300, 200, 1)
	tests := []struct {
		border memeedit.Border
		want   image.Rectangle
	}{
		{memeedit.Border{Top: 0.1, Bottom: 0.1, Colour: color.NRGBA{0, 0, 0, 255}}, image.Rect(0, 20, 300, 220)},
		{memeedit.Border{Left: 0.1, Right: 0.2, Colour: color.NRGBA{255, 255, 255, 255}}, image.Rect(30, 0, 330, 200)},
		{memeedit.Border{Top: 0.05, Right: 0.05, Bottom: 0.3, Left: 0.2, Colour: color.NRGBA{200, 16, 46, 255}}, image.Rect(60, 10, 360, 210)},
		{memeedit.Border{Top: 0.02, Right: 0.02, Bottom: 0.02, Left: 0.02, Colour: color.NRGBA{128, 128, 128, 255}}, image.Rect(6, 4, 306, 204)},
	}
	for _, tt := range tests {
		t.Run(tt.border.String(), func(t *testing.T) {
			img := apply(t, tt.border, pic, nil)
			for _, q := range []int{0, 75} {
				in := img
				if q > 0 {
					in = apply(t, memeedit.JPEG{Quality: q}, img, nil)
				}
				got, ok := region(Find(in), Trim)
				if !ok || !within(got, tt.want, 2) {
					t.Errorf("jpeg %d: trim = %v (found %t), want %v", q, got, ok, tt.want)
				}
			}
		})
	}
}

func TestCaptionCut(t *testing.T) {
	pic := texture(320, 240, 2)
	white, black := color.NRGBA{255, 255, 255, 255}, color.NRGBA{0, 0, 0, 255}
	tests := []struct {
		name  string
		steps []memeedit.Step
		want  image.Rectangle
	}{
		{"top white latin", []memeedit.Step{memeedit.Caption{Height: 0.25, Background: white, Text: "WHAT'S THE DIFFERENCE?"}}, image.Rect(0, 60, 320, 300)},
		{"bottom black blocky", []memeedit.Step{memeedit.Caption{Bottom: true, Height: 0.2, Background: black, Text: "有什么区别", Blocky: true}}, image.Rect(0, 0, 320, 240)},
		{"both ends", []memeedit.Step{
			memeedit.Caption{Height: 0.15, Background: white, Text: "NOBODY:"},
			memeedit.Caption{Bottom: true, Height: 0.15, Background: black, Text: "醒醒吧", Blocky: true},
		}, image.Rect(0, 36, 320, 276)},
		{"caption in border", []memeedit.Step{
			memeedit.Caption{Height: 0.2, Background: white, Text: "WAKE UP"},
			memeedit.Border{Top: 0.05, Right: 0.05, Bottom: 0.05, Left: 0.05, Colour: black},
		}, image.Rect(16, 14+48, 336, 14+48+240)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var img image.Image = pic
			for _, s := range tt.steps {
				img = apply(t, s, img, nil)
			}
			for _, q := range []int{0, 40} {
				in := img
				if q > 0 {
					in = apply(t, memeedit.JPEG{Quality: q}, img, nil)
				}
				rs := Find(in)
				got, ok := region(rs, CaptionCut)
				if !ok {
					got, ok = region(rs, Trim) // a caption cut equal to the trim is not repeated
				}
				if !ok || !within(got, tt.want, 2) {
					t.Errorf("jpeg %d: caption cut = %v (found %t), want %v; regions %v", q, got, ok, tt.want, rs)
				}
			}
		})
	}
}

func TestSplitSeams(t *testing.T) {
	pic := texture(300, 200, 3)
	partner := texture(240, 200, 4)
	white := color.NRGBA{255, 255, 255, 255}
	tests := []struct {
		j          memeedit.Juxtapose
		names      [2]string
		wantA, wnB image.Rectangle
	}{
		{memeedit.Juxtapose{PartnerScale: 1, GapColour: white}, [2]string{SplitLeft, SplitRight},
			image.Rect(0, 0, 300, 200), image.Rect(300, 0, 540, 200)},
		{memeedit.Juxtapose{PartnerScale: 1, Gap: 0.05, GapColour: white, PartnerFirst: true}, [2]string{SplitLeft, SplitRight},
			image.Rect(0, 0, 240, 200), image.Rect(255, 0, 555, 200)},
		{memeedit.Juxtapose{PartnerScale: 0.7, GapColour: white}, [2]string{SplitLeft, SplitRight},
			image.Rect(0, 0, 300, 200), image.Rect(300, 30, 468, 170)},
		{memeedit.Juxtapose{Stacked: true, PartnerScale: 1, GapColour: white}, [2]string{SplitTop, SplitBottom},
			image.Rect(0, 0, 300, 200), image.Rect(0, 200, 300, 450)},
		{memeedit.Juxtapose{Stacked: true, PartnerScale: 1, Gap: 0.06, GapColour: color.NRGBA{0, 0, 0, 255}, PartnerFirst: true}, [2]string{SplitTop, SplitBottom},
			image.Rect(0, 0, 300, 250), image.Rect(0, 262, 300, 462)},
	}
	for _, tt := range tests {
		t.Run(tt.j.String(), func(t *testing.T) {
			img := apply(t, tt.j, pic, partner)
			for _, q := range []int{0, 50} {
				in := img
				if q > 0 {
					in = apply(t, memeedit.JPEG{Quality: q}, img, nil)
				}
				rs := Find(in)
				a, okA := region(rs, tt.names[0])
				b, okB := region(rs, tt.names[1])
				if !okA || !okB || !within(a, tt.wantA, 2) || !within(b, tt.wnB, 2) {
					t.Errorf("jpeg %d: %s = %v, %s = %v; want %v, %v (regions %v)", q, tt.names[0], a, tt.names[1], b, tt.wantA, tt.wnB, rs)
				}
			}
		})
	}
}

// TestPhotosUntouched checks that a plain picture gives no trim, caption
// cut or split: every region of it would be an extra chance of a false
// match.
func TestPhotosUntouched(t *testing.T) {
	for seed := range uint64(5) {
		img := texture(200+int(seed)*40, 300-int(seed)*30, seed+10)
		if rs := Find(img); len(rs) != 0 {
			t.Errorf("texture %d: regions %v, want none", seed, rs)
		}
	}
}

func TestFindBounds(t *testing.T) {
	pic := texture(300, 200, 5)
	framed, err := memeedit.Border{Top: 0.1, Bottom: 0.1, Colour: color.NRGBA{0, 0, 0, 255}}.Apply(pic, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A sub-image with an offset origin: regions are in its coordinates.
	big := imaging.New(400, 300, color.NRGBA{9, 9, 9, 255})
	big = imaging.Paste(big, framed, image.Pt(50, 30))
	sub := big.SubImage(image.Rect(50, 30, 350, 270))
	got, ok := region(Find(sub), Trim)
	if want := image.Rect(50, 50, 350, 250); !ok || !within(got, want, 2) {
		t.Errorf("trim of offset image = %v, want %v", got, want)
	}
	for _, size := range []image.Rectangle{image.Rect(0, 0, 0, 0), image.Rect(0, 0, 3, 500), image.Rect(0, 0, 1, 1)} {
		if rs := Find(image.NewNRGBA(size)); len(rs) != 0 {
			t.Errorf("Find(%v) = %v, want none", size, rs)
		}
	}
}

func TestFindLargeImage(t *testing.T) {
	// Images over MaxSide are analysed shrunk; rectangles stay within
	// the shrink factor.
	pic := texture(1200, 800, 6)
	img := apply(t, memeedit.Border{Top: 0.1, Bottom: 0.1, Colour: color.NRGBA{0, 0, 0, 255}}, pic, nil)
	got, ok := region(Find(img), Trim)
	k := (1200 + MaxSide - 1) / MaxSide
	if want := image.Rect(0, 80, 1200, 880); !ok || !within(got, want, k+1) {
		t.Errorf("trim = %v, want %v within %d", got, want, k+1)
	}
}

func ExampleFind() {
	pic := texture(300, 200, 7)
	meme, _ := memeedit.Caption{Height: 0.2, Background: color.NRGBA{255, 255, 255, 255}, Text: "WAKE UP"}.Apply(pic, nil)
	for _, r := range Find(meme) {
		fmt.Println(r.Name, r.Rect)
	}
	// Output:
	// caption-cut (0,40)-(300,240)
	// flat-trim (0,10)-(300,240)
}

// TestFlatTrim checks that a picture on a black background in a black
// letterbox, which the border rule leaves whole (the flat lines end at
// lines that are mostly black, as at the text of a caption bar), loses
// the letterbox and the background in flat-trim, as the picture itself
// does.
func TestFlatTrim(t *testing.T) {
	// A bright disc on black, like a scan of an eye.
	pic := image.NewNRGBA(image.Rect(0, 0, 240, 240))
	tex := texture(240, 240, 8)
	for y := range 240 {
		for x := range 240 {
			dx, dy := float64(x)-120, float64(y)-120
			c := color.NRGBA{0, 0, 0, 255}
			if dx*dx+dy*dy < 100*100 {
				c = tex.NRGBAAt(x, y)
			}
			pic.SetNRGBA(x, y, c)
		}
	}
	boxed := apply(t, memeedit.Border{Top: 0.25, Bottom: 0.25, Colour: color.NRGBA{0, 0, 0, 255}}, pic, nil)
	own, ok := region(Find(pic), FlatTrim)
	if !ok || !within(own, image.Rect(20, 20, 220, 220), 3) {
		t.Fatalf("flat-trim of the picture = %v (found %t), want about (20,20)-(220,220)", own, ok)
	}
	got, ok := region(Find(boxed), FlatTrim)
	want := own.Add(image.Pt(0, 60))
	if !ok || !within(got, want, 2) {
		t.Errorf("flat-trim of the letterboxed picture = %v (found %t), want %v", got, ok, want)
	}
}

func TestCrops(t *testing.T) {
	b := image.Rect(10, 20, 210, 120)
	got := Crops(b, 0.2)
	want := []Region{
		{"centre80", image.Rect(30, 30, 190, 110)},
		{"left80", image.Rect(10, 20, 170, 120)},
		{"right80", image.Rect(50, 20, 210, 120)},
		{"top80", image.Rect(10, 20, 210, 100)},
		{"bottom80", image.Rect(10, 40, 210, 120)},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Crops = %v, want %v", got, want)
	}
	for _, cut := range []float64{0, -0.1, 0.5, 0.9} {
		if rs := Crops(b, cut); rs != nil {
			t.Errorf("Crops(cut %v) = %v, want none", cut, rs)
		}
	}
	if rs := Crops(image.Rect(0, 0, 10, 100), 0.1); rs != nil {
		t.Errorf("Crops of a 10 px wide picture = %v, want none", rs)
	}
}

// FuzzFind checks that Find never panics and keeps its promises on any
// picture: at most MaxRegions regions, each inside the image, none the
// whole image.
func FuzzFind(f *testing.F) {
	f.Add(uint16(40), uint16(30), []byte{0, 0, 0, 255, 255, 255})
	f.Add(uint16(300), uint16(5), []byte{1, 2, 3})
	f.Add(uint16(64), uint16(64), []byte{})
	f.Fuzz(func(t *testing.T, w, h uint16, pattern []byte) {
		w, h = w%700, h%700
		img := image.NewNRGBA(image.Rect(3, 5, 3+int(w), 5+int(h)))
		for i := range img.Pix {
			if len(pattern) > 0 {
				img.Pix[i] = pattern[(i*7/3)%len(pattern)]
			}
			if i%4 == 3 {
				img.Pix[i] = 255
			}
		}
		rs := Find(img)
		if len(rs) > MaxRegions {
			t.Fatalf("%d regions", len(rs))
		}
		for _, r := range rs {
			if !r.Rect.In(img.Bounds()) || r.Rect.Empty() || r.Rect == img.Bounds() {
				t.Fatalf("region %v of %v", r, img.Bounds())
			}
		}
	})
}

func BenchmarkFind(b *testing.B) {
	pic := texture(1024, 640, 8)
	meme, err := memeedit.Caption{Height: 0.2, Background: color.NRGBA{255, 255, 255, 255}, Text: "WHAT'S THE DIFFERENCE?"}.Apply(pic, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		Find(meme)
	}
}

// TestFindSameOnRGBA checks that a picture as JPEG decoding returns it
// (*image.RGBA, opaque) gives the regions its NRGBA form gives.
func TestFindSameOnRGBA(t *testing.T) {
	pic := texture(1024, 640, 8)
	m, err := memeedit.Caption{Height: 0.2, Background: color.NRGBA{255, 255, 255, 255}, Text: "WHAT'S THE DIFFERENCE?"}.Apply(pic, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := m.Bounds()
	rgba := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(rgba, rgba.Bounds(), m, b.Min, draw.Src)
	want := Find(m)
	if len(want) == 0 {
		t.Fatal("no region found in a captioned picture")
	}
	if got := Find(rgba); !reflect.DeepEqual(got, want) {
		t.Errorf("RGBA: %v, NRGBA: %v", got, want)
	}
}

// BenchmarkFindRGBA is Find on a 1 MP picture as JPEG decoding returns it.
func BenchmarkFindRGBA(b *testing.B) {
	pic := texture(1280, 800, 8)
	m, err := memeedit.Caption{Height: 0.2, Background: color.NRGBA{255, 255, 255, 255}, Text: "WHAT'S THE DIFFERENCE?"}.Apply(pic, nil)
	if err != nil {
		b.Fatal(err)
	}
	mb := m.Bounds()
	rgba := image.NewRGBA(image.Rect(0, 0, mb.Dx(), mb.Dy()))
	draw.Draw(rgba, rgba.Bounds(), m, mb.Min, draw.Src)
	for b.Loop() {
		Find(rgba)
	}
}

func TestScreenshotFrame(t *testing.T) {
	pic := texture(512, 384, 9)
	for _, s := range []memeedit.Screenshot{
		{Width: 720, Header: color.NRGBA{255, 255, 255, 255}, Padding: true, Text: "THIS IS WHO THEY ARE"},
		{Width: 720, Dark: true, Header: color.NRGBA{24, 119, 242, 255}, Text: "有什么区别", Blocky: true},
	} {
		t.Run(s.String(), func(t *testing.T) {
			img := apply(t, s, pic, nil)
			// The layout of memeedit.Screenshot at 720 pixels: 2 pixels a dp.
			x, w := 16, 688
			if s.Padding {
				x, w = 40, 640
			}
			top := 48 + 112 + 16 + 24 + 88 + 56
			want := image.Rect(x, top, x+w, top+w*384/512)
			rs := Find(img)
			got, ok := region(rs, CaptionCut)
			k := (img.Bounds().Dy() + MaxSide - 1) / MaxSide
			if !ok || !within(got, want, k+1) {
				t.Errorf("caption cut %v, want %v within %d; regions %v", got, want, k+1, rs)
			}
		})
	}
}

func TestBank(t *testing.T) {
	pic := texture(300, 200, 11)
	framed := apply(t, memeedit.Border{Top: 0.1, Bottom: 0.1, Colour: color.NRGBA{0, 0, 0, 255}}, pic, nil)
	rs := Bank(framed)
	if want := 5*len(DefaultCuts()) + 1; len(rs) != want {
		t.Fatalf("%d regions, want %d: %v", len(rs), want, rs)
	}
	if rs[0].Name != "centre92" || rs[len(rs)-1].Name != Trim {
		t.Errorf("first and last regions %v, %v; want centre92 and trim", rs[0], rs[len(rs)-1])
	}
}

// TestColourSeam checks the seam found by the colour change between
// lines, where two pictures touch without a gap, and that a plain
// picture has none.
func TestColourSeam(t *testing.T) {
	pic := texture(300, 200, 6)
	// The partner is the picture's own texture with its channels
	// swapped and darkened: alike in texture, unlike in colour.
	partner := image.NewNRGBA(image.Rect(0, 0, 260, 200))
	src := texture(260, 200, 7)
	for i := 0; i < len(src.Pix); i += 4 {
		partner.Pix[i], partner.Pix[i+1], partner.Pix[i+2], partner.Pix[i+3] = src.Pix[i+2]/2, src.Pix[i]/2, src.Pix[i+1], 255
	}
	tests := []struct {
		j        memeedit.Juxtapose
		vertical bool
		want     int // in image pixels
	}{
		{memeedit.Juxtapose{PartnerScale: 1}, true, 300},
		{memeedit.Juxtapose{PartnerScale: 1, PartnerFirst: true}, true, 260},
		{memeedit.Juxtapose{Stacked: true, PartnerScale: 1}, false, 200},
	}
	for _, tt := range tests {
		img := apply(t, tt.j, pic, partner)
		p := newPlane(img, MaxSide)
		r := image.Rect(0, 0, p.w, p.h)
		length := p.w
		if !tt.vertical {
			length = p.h
		}
		margin := int(float64(length) * seamMargin)
		u, ok := p.colourSeam(r, tt.vertical, margin, length-margin)
		got := int(float64(u) * p.sx)
		if !tt.vertical {
			got = int(float64(u) * p.sy)
		}
		if !ok || abs(got-tt.want) > 2 {
			t.Errorf("%s: seam at %d (found %t), want %d", tt.j, got, ok, tt.want)
		}
	}
	for seed := range uint64(5) {
		img := texture(300, 240, seed+20)
		p := newPlane(img, MaxSide)
		for _, vertical := range []bool{true, false} {
			if u, ok := p.colourSeam(image.Rect(0, 0, p.w, p.h), vertical, 40, 200); ok {
				t.Errorf("texture %d: seam at %d (vertical %t), want none", seed, u, vertical)
			}
		}
	}
}
