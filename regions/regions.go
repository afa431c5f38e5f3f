// Package regions finds the picture inside a meme before it is hashed.
//
// Memes rarely travel as the original file: they get a caption bar, a
// letterbox, a phone-app frame, or are set beside another picture. A
// perceptual hash of the whole meme then differs from the hash of the
// original. Find returns a few candidate rectangles (borders trimmed,
// caption bars and app frames cut, juxtapositions split at their seam: a
// gap, a step in brightness, or a change of colour that stands out),
// each to be hashed as well as the whole image. Crop returns regions of a
// bank picture (its centre and one-sided crops), stored with a bank entry
// so that a cropped copy still matches.
//
// The analysis runs on a copy of the image shrunk to at most MaxSide
// pixels on its longer side, so its cost does not grow with the image;
// rectangles are mapped back to the image's own coordinates (exact for
// images no larger than that, within the shrink factor otherwise).
package regions

import (
	"image"
	"image/color"
	"image/draw"
	"strings"

	"github.com/medialabel/medialabel/internal/boxfilter"
)

// MaxSide is the longer side of the copy that Find analyses.
const MaxSide = 512

// MaxRegions bounds the number of regions Find returns.
const MaxRegions = 8

// Region names that Find returns.
const (
	Trim        = "trim"         // uniform borders removed
	FlatTrim    = "flat-trim"    // runs of flat lines removed from each side, whatever follows
	CaptionCut  = "caption-cut"  // borders, caption bars and app frames removed
	SplitLeft   = "split-left"   // left part of a side-by-side juxtaposition
	SplitRight  = "split-right"  // right part
	SplitTop    = "split-top"    // upper part of a stacked juxtaposition
	SplitBottom = "split-bottom" // lower part
	// CutSuffix ends the name of a part of a split with its bars cut
	// too ("split-left-cut"), when that differs from the part.
	CutSuffix = "-cut"
)

// fallbackFrac is the least share of the trimmed picture each part of a
// split of it must have (see Find).
const fallbackFrac = 0.3

// span is the length of r across a vertical seam, or along a
// horizontal one.
func span(r image.Rectangle, vertical bool) float64 {
	if vertical {
		return float64(r.Dx())
	}
	return float64(r.Dy())
}

// Found reports whether name is one of the region names Find gives, as
// opposed to the names of Crops.
func Found(name string) bool {
	switch name {
	case Trim, FlatTrim, CaptionCut, SplitLeft, SplitRight, SplitTop, SplitBottom:
		return true
	}
	base, ok := strings.CutSuffix(name, CutSuffix)
	return ok && base != CaptionCut && Found(base)
}

// A Region is a named rectangle of an image.
type Region struct {
	Name string
	Rect image.Rectangle
}

// Find returns candidate rectangles of img that may hold the picture a
// meme was made from, in the coordinates of img.Bounds(). The whole image
// is never among them: the caller hashes it anyway. At most MaxRegions
// are returned, none smaller than a tenth of the image's area, and no
// two with the same rectangle. The parts of a split come with their
// borders trimmed (SplitLeft...) and, when that differs, with their bars
// cut too (SplitLeft+CutSuffix...).
func Find(img image.Image) []Region {
	p := newPlane(img, MaxSide)
	if p.w < 16 || p.h < 16 {
		return nil
	}
	full := image.Rect(0, 0, p.w, p.h)
	minArea := full.Dx() * full.Dy() / 10
	var out []Region
	add := func(name string, r image.Rectangle) {
		if r.Dx() < 8 || r.Dy() < 8 || r.Dx()*r.Dy() < minArea || r == full || len(out) >= MaxRegions {
			return
		}
		for _, o := range out {
			if o.Rect == r {
				return
			}
		}
		out = append(out, Region{Name: name, Rect: r})
	}

	trimmed := p.peel(full, borders)
	add(Trim, trimmed)
	cut := p.peel(full, bars)
	add(CaptionCut, cut)
	// The parts of a split lose their borders (the background a smaller
	// picture is centred on); bars are cut from them too only as further
	// regions, as a picture of stripes (stairs, blinds) looks like bars.
	var cuts []Region
	for _, sp := range []struct {
		vertical bool
		a, b     string
	}{{true, SplitLeft, SplitRight}, {false, SplitTop, SplitBottom}} {
		a, b, ok := p.split(cut, sp.vertical)
		if !ok && trimmed != cut {
			// Cutting bars may have taken a smooth picture (a sea under
			// a sky) for a bar: look in the trimmed picture too, for
			// parts of fallbackFrac of it at least (not a caption bar
			// and its picture, whose bar alone would match the same bar
			// over another picture).
			a, b, ok = p.split(trimmed, sp.vertical)
			ok = ok && min(span(a, sp.vertical), span(b, sp.vertical)) >= fallbackFrac*span(trimmed, sp.vertical)
		}
		if ok {
			add(sp.a, p.peel(a, borders))
			add(sp.b, p.peel(b, borders))
			cuts = append(cuts, Region{sp.a + CutSuffix, p.peel(a, bars)}, Region{sp.b + CutSuffix, p.peel(b, bars)})
		}
	}
	// A picture on a background of the border's colour (a black
	// background in a black letterbox) loses its background here, and
	// so does the bank picture, which Find cuts the same way.
	add(FlatTrim, p.peel(full, flat))
	for _, c := range cuts {
		add(c.Name, c.Rect)
	}
	for i := range out {
		out[i].Rect = p.toImage(out[i].Rect, img.Bounds())
	}
	return out
}

// plane is a shrunk RGB copy of an image, the analysis works on.
type plane struct {
	w, h int
	// sx, sy are the image pixels per plane pixel.
	sx, sy float64
	rgb    []uint8 // 3 bytes a pixel, row-major
	luma   []int16 // 0-255
}

func newPlane(img image.Image, maxSide int) *plane {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return &plane{}
	}
	k := max(1, (max(w, h)+maxSide-1)/maxSide)
	pw, ph := w/k, h/k
	if pw == 0 || ph == 0 {
		return &plane{}
	}
	src := toNRGBA(img)
	p := &plane{w: pw, h: ph, sx: float64(w) / float64(pw), sy: float64(h) / float64(ph),
		rgb: make([]uint8, 3*pw*ph), luma: make([]int16, pw*ph)}
	// At k = 1 (what queries give: pictures already shrunk to MaxSide)
	// the pixels are read in place.
	means, stride := src.Pix, src.Stride
	if k > 1 {
		means, stride = make([]uint8, 4*pw*ph), 4*pw
		boxfilter.Means(means, stride, src.Pix, src.Stride, pw, ph, k)
	}
	for py := range ph {
		row := means[py*stride : py*stride+4*pw]
		for px := range pw {
			i := py*pw + px
			r, g, bl := row[4*px], row[4*px+1], row[4*px+2]
			p.rgb[3*i], p.rgb[3*i+1], p.rgb[3*i+2] = r, g, bl
			p.luma[i] = int16((299*int(r) + 587*int(g) + 114*int(bl)) / 1000)
		}
	}
	return p
}

// toNRGBA returns img as non-premultiplied RGBA with its origin at 0,0,
// composited over white where it is transparent.
func toNRGBA(img image.Image) *image.NRGBA {
	b := img.Bounds()
	if b.Min == (image.Point{}) {
		switch src := img.(type) {
		case *image.NRGBA:
			if opaque(src.Pix) {
				return src
			}
		case *image.RGBA:
			// Opaque, premultiplied and non-premultiplied are the same
			// bytes: what JPEG decoding returns needs no copy.
			if opaque(src.Pix) {
				return &image.NRGBA{Pix: src.Pix, Stride: src.Stride, Rect: src.Rect}
			}
		}
	}
	out := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(out, out.Bounds(), img, b.Min, draw.Over)
	return out
}

// opaque reports whether every alpha byte of the RGBA or NRGBA pixels pix
// is 0xff.
func opaque(pix []uint8) bool {
	for i := 3; i < len(pix); i += 4 {
		if pix[i] != 0xff {
			return false
		}
	}
	return true
}

// toImage maps a plane rectangle to image coordinates.
func (p *plane) toImage(r image.Rectangle, b image.Rectangle) image.Rectangle {
	conv := func(v int, s float64, lo, hi int) int {
		return min(hi, max(lo, lo+int(float64(v)*s+0.5)))
	}
	return image.Rect(
		conv(r.Min.X, p.sx, b.Min.X, b.Max.X), conv(r.Min.Y, p.sy, b.Min.Y, b.Max.Y),
		conv(r.Max.X, p.sx, b.Min.X, b.Max.X), conv(r.Max.Y, p.sy, b.Min.Y, b.Max.Y),
	)
}
