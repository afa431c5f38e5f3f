package memeedit

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"

	"github.com/disintegration/imaging"
)

// Caption adds a caption bar of a solid colour above or below the picture
// (the canvas grows) and writes Text in it in a contrasting colour.
type Caption struct {
	Bottom     bool        // below the picture rather than above
	Height     float64     // bar height as a fraction of the picture's height
	Background color.NRGBA // bar colour
	Text       string
	// Blocky draws Text as blocky CJK-like glyphs (one per rune) instead
	// of Latin letters: the Go fonts have no CJK glyphs.
	Blocky bool
}

// Apply implements Step.
func (c Caption) Apply(img, _ image.Image) (image.Image, error) {
	b := img.Bounds()
	h := max(8, int(math.Round(c.Height*float64(b.Dy()))))
	out := imaging.New(b.Dx(), b.Dy()+h, c.Background)
	bar := image.Rect(0, 0, b.Dx(), h)
	picY := h
	if c.Bottom {
		bar = image.Rect(0, b.Dy(), b.Dx(), b.Dy()+h)
		picY = 0
	}
	out = imaging.Paste(out, img, image.Pt(0, picY))
	drawText(out, bar, c.Text, contrast(c.Background), c.Blocky, false)
	return out, nil
}

// String implements Step.
func (c Caption) String() string {
	pos := "top"
	if c.Bottom {
		pos = "bottom"
	}
	script := "latin"
	if c.Blocky {
		script = "blocky"
	}
	return fmt.Sprintf("caption(%s,h=%.2f,bg=%s,%s)", pos, c.Height, hexColour(c.Background), script)
}

// Overlay writes text over the picture itself, white with a black
// outline, centred on a horizontal line.
type Overlay struct {
	Y      float64 // centre line as a fraction of the height (0 top, 1 bottom)
	Size   float64 // text height as a fraction of the picture's height
	Text   string
	Blocky bool
}

// Apply implements Step.
func (o Overlay) Apply(img, _ image.Image) (image.Image, error) {
	out := imaging.Clone(img)
	b := out.Bounds()
	h := max(8, int(o.Size*float64(b.Dy())))
	cy := int(o.Y * float64(b.Dy()))
	box := image.Rect(0, cy-h/2, b.Dx(), cy+h/2).Intersect(b)
	drawText(out, box, o.Text, color.NRGBA{255, 255, 255, 255}, o.Blocky, true)
	return out, nil
}

// String implements Step.
func (o Overlay) String() string {
	return fmt.Sprintf("overlay(y=%.2f,size=%.2f,blocky=%t)", o.Y, o.Size, o.Blocky)
}

// Border pads the picture with a solid colour; each side's width is a
// fraction of the picture's width (left, right) or height (top, bottom).
// Equal top and bottom borders of black make a letterbox.
type Border struct {
	Top, Right, Bottom, Left float64
	Colour                   color.NRGBA
}

// Apply implements Step.
func (br Border) Apply(img, _ image.Image) (image.Image, error) {
	b := img.Bounds()
	t := int(br.Top * float64(b.Dy()))
	bo := int(br.Bottom * float64(b.Dy()))
	l := int(br.Left * float64(b.Dx()))
	r := int(br.Right * float64(b.Dx()))
	out := imaging.New(b.Dx()+l+r, b.Dy()+t+bo, br.Colour)
	return imaging.Paste(out, img, image.Pt(l, t)), nil
}

// String implements Step.
func (br Border) String() string {
	return fmt.Sprintf("border(t=%.2f,r=%.2f,b=%.2f,l=%.2f,%s)", br.Top, br.Right, br.Bottom, br.Left, hexColour(br.Colour))
}

// JPEG encodes the picture as JPEG at Quality and decodes it again.
type JPEG struct{ Quality int }

// Apply implements Step.
func (j JPEG) Apply(img, _ image.Image) (image.Image, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: j.Quality}); err != nil {
		return nil, fmt.Errorf("encoding: %w", err)
	}
	out, err := jpeg.Decode(&buf)
	if err != nil {
		return nil, fmt.Errorf("decoding: %w", err)
	}
	return out, nil
}

// String implements Step.
func (j JPEG) String() string { return fmt.Sprintf("jpeg(q=%d)", j.Quality) }

// Resize scales the picture by Scale (0.25 is a quarter of each side).
type Resize struct{ Scale float64 }

// Apply implements Step.
func (r Resize) Apply(img, _ image.Image) (image.Image, error) {
	b := img.Bounds()
	w := max(1, int(math.Round(float64(b.Dx())*r.Scale)))
	h := max(1, int(math.Round(float64(b.Dy())*r.Scale)))
	return imaging.Resize(img, w, h, imaging.Linear), nil
}

// String implements Step.
func (r Resize) String() string { return fmt.Sprintf("resize(%.2f)", r.Scale) }

// Mirror flips the picture left to right.
type Mirror struct{}

// Apply implements Step.
func (Mirror) Apply(img, _ image.Image) (image.Image, error) { return imaging.FlipH(img), nil }

// String implements Step.
func (Mirror) String() string { return "mirror" }

// Rotate turns the picture counter-clockwise by Degrees (90, 180 or 270).
type Rotate struct{ Degrees int }

// Apply implements Step.
func (r Rotate) Apply(img, _ image.Image) (image.Image, error) {
	switch r.Degrees {
	case 90:
		return imaging.Rotate90(img), nil
	case 180:
		return imaging.Rotate180(img), nil
	case 270:
		return imaging.Rotate270(img), nil
	}
	return nil, fmt.Errorf("rotation by %d degrees: want 90, 180 or 270", r.Degrees)
}

// String implements Step.
func (r Rotate) String() string { return fmt.Sprintf("rotate(%d)", r.Degrees) }

// Crop cuts a fraction of the picture's width or height from each side.
type Crop struct{ Top, Right, Bottom, Left float64 }

// Apply implements Step.
func (c Crop) Apply(img, _ image.Image) (image.Image, error) {
	b := img.Bounds()
	// Built field by field: image.Rect would swap crossed sides.
	r := image.Rectangle{
		Min: image.Pt(b.Min.X+int(c.Left*float64(b.Dx())), b.Min.Y+int(c.Top*float64(b.Dy()))),
		Max: image.Pt(b.Max.X-int(c.Right*float64(b.Dx())), b.Max.Y-int(c.Bottom*float64(b.Dy()))),
	}
	if r.Empty() {
		return nil, fmt.Errorf("crop leaves nothing of %v", b)
	}
	return imaging.Crop(img, r), nil
}

// String implements Step.
func (c Crop) String() string {
	return fmt.Sprintf("crop(t=%.2f,r=%.2f,b=%.2f,l=%.2f)", c.Top, c.Right, c.Bottom, c.Left)
}

// Largest is the largest fraction the crop cuts from any one side.
func (c Crop) Largest() float64 { return max(c.Top, c.Right, c.Bottom, c.Left) }

// Juxtapose sets the picture beside (or, Stacked, above or below) the
// partner picture. The partner is scaled so that its side along the seam
// is PartnerScale times the picture's; the shorter of the two is centred
// on a background of GapColour, which also fills a gap of Gap (a fraction
// of the picture's side across the seam) between them.
type Juxtapose struct {
	Stacked      bool
	PartnerFirst bool // partner left of (or above) the picture
	PartnerScale float64
	Gap          float64
	GapColour    color.NRGBA
}

// Apply implements Step.
func (j Juxtapose) Apply(img, partner image.Image) (image.Image, error) {
	if partner == nil || partner.Bounds().Empty() {
		return nil, fmt.Errorf("juxtaposition needs a partner picture")
	}
	b, pb := img.Bounds(), partner.Bounds()
	var p image.Image
	var w, h, gap int
	if !j.Stacked {
		ph := max(1, int(float64(b.Dy())*j.PartnerScale))
		pw := max(1, pb.Dx()*ph/pb.Dy())
		p = imaging.Resize(partner, pw, ph, imaging.Linear)
		gap = int(j.Gap * float64(b.Dx()))
		w, h = b.Dx()+gap+pw, max(b.Dy(), ph)
	} else {
		pw := max(1, int(float64(b.Dx())*j.PartnerScale))
		ph := max(1, pb.Dy()*pw/pb.Dx())
		p = imaging.Resize(partner, pw, ph, imaging.Linear)
		gap = int(j.Gap * float64(b.Dy()))
		w, h = max(b.Dx(), pw), b.Dy()+gap+ph
	}
	out := imaging.New(w, h, j.GapColour)
	first, second := img, p
	if j.PartnerFirst {
		first, second = p, img
	}
	fb, sb := first.Bounds(), second.Bounds()
	if !j.Stacked {
		out = imaging.Paste(out, first, image.Pt(0, (h-fb.Dy())/2))
		out = imaging.Paste(out, second, image.Pt(fb.Dx()+gap, (h-sb.Dy())/2))
	} else {
		out = imaging.Paste(out, first, image.Pt((w-fb.Dx())/2, 0))
		out = imaging.Paste(out, second, image.Pt((w-sb.Dx())/2, fb.Dy()+gap))
	}
	return out, nil
}

// String implements Step.
func (j Juxtapose) String() string {
	dir := "side"
	if j.Stacked {
		dir = "stack"
	}
	return fmt.Sprintf("juxtapose(%s,partnerFirst=%t,scale=%.2f,gap=%.2f,%s)", dir, j.PartnerFirst, j.PartnerScale, j.Gap, hexColour(j.GapColour))
}

// Grey turns the picture to shades of grey.
type Grey struct{}

// Apply implements Step.
func (Grey) Apply(img, _ image.Image) (image.Image, error) { return imaging.Grayscale(img), nil }

// String implements Step.
func (Grey) String() string { return "grey" }

// Contrast changes the contrast by Percent (-100 to 100).
type Contrast struct{ Percent float64 }

// Apply implements Step.
func (c Contrast) Apply(img, _ image.Image) (image.Image, error) {
	return imaging.AdjustContrast(img, c.Percent), nil
}

// String implements Step.
func (c Contrast) String() string { return fmt.Sprintf("contrast(%+.0f%%)", c.Percent) }

// Sticker puts a round smiley sticker over one corner of the picture.
type Sticker struct {
	Corner int     // 0 top-left, 1 top-right, 2 bottom-right, 3 bottom-left
	Size   float64 // diameter as a fraction of the shorter side
	Colour color.NRGBA
}

// Apply implements Step.
func (s Sticker) Apply(img, _ image.Image) (image.Image, error) {
	out := imaging.Clone(img)
	b := out.Bounds()
	d := max(4, int(s.Size*float64(min(b.Dx(), b.Dy()))))
	m := d / 8
	x0, y0 := m, m
	if s.Corner == 1 || s.Corner == 2 {
		x0 = b.Dx() - d - m
	}
	if s.Corner == 2 || s.Corner == 3 {
		y0 = b.Dy() - d - m
	}
	r := float64(d) / 2
	cx, cy := float64(x0)+r, float64(y0)+r
	ink := color.NRGBA{30, 30, 30, 255}
	fillCircle(out, cx, cy, r, color.NRGBA{255, 255, 255, 255})
	fillCircle(out, cx, cy, r*0.9, s.Colour)
	fillCircle(out, cx-r*0.35, cy-r*0.25, r*0.12, ink)
	fillCircle(out, cx+r*0.35, cy-r*0.25, r*0.12, ink)
	for t := 0.0; t <= math.Pi; t += 0.05 { // the smile
		fillCircle(out, cx+r*0.5*math.Cos(t), cy+r*0.15+r*0.35*math.Sin(t), r*0.07, ink)
	}
	return out, nil
}

// String implements Step.
func (s Sticker) String() string {
	return fmt.Sprintf("sticker(corner=%d,size=%.2f,%s)", s.Corner, s.Size, hexColour(s.Colour))
}

func fillCircle(img *image.NRGBA, cx, cy, r float64, c color.NRGBA) {
	b := img.Bounds()
	area := image.Rect(int(cx-r), int(cy-r), int(cx+r)+1, int(cy+r)+1).Intersect(b)
	for y := area.Min.Y; y < area.Max.Y; y++ {
		for x := area.Min.X; x < area.Max.X; x++ {
			dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy
			if dx*dx+dy*dy <= r*r {
				img.SetNRGBA(x, y, c)
			}
		}
	}
}

func fillRect(img *image.NRGBA, r image.Rectangle, c color.NRGBA) {
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetNRGBA(x, y, c)
		}
	}
}

// fillRoundRect fills r with corners rounded to radius rad.
func fillRoundRect(img *image.NRGBA, r image.Rectangle, rad int, c color.NRGBA) {
	r = r.Intersect(img.Bounds())
	rad = min(rad, r.Dx()/2, r.Dy()/2)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			dx := max(r.Min.X+rad-x, x-(r.Max.X-1-rad), 0)
			dy := max(r.Min.Y+rad-y, y-(r.Max.Y-1-rad), 0)
			if dx*dx+dy*dy <= rad*rad {
				img.SetNRGBA(x, y, c)
			}
		}
	}
}

// contrast is black or white, whichever stands out against c.
func contrast(c color.NRGBA) color.NRGBA {
	if 299*int(c.R)+587*int(c.G)+114*int(c.B) > 128*1000 {
		return color.NRGBA{0, 0, 0, 255}
	}
	return color.NRGBA{255, 255, 255, 255}
}

func hexColour(c color.NRGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }
