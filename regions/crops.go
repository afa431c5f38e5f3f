package regions

import (
	"fmt"
	"image"
)

// DefaultCuts are the crop levels Bank stores. PDQ matches a cropped
// copy only within about 3% of a side of a stored crop (pHash is more
// tolerant), so the levels are 8% apart and cover crops of about 4% to
// 28% of a side.
func DefaultCuts() []float64 { return []float64{0.08, 0.16, 0.24} }

// Bank returns the regions of a bank picture to hash and store with its
// entry: Crops at each of DefaultCuts, then what Find returns for the
// picture itself. The latter makes matching symmetric: when Find cuts
// into a picture (a flat sky above a caption bar, a grey strip of the
// picture's own), it cuts the bank picture the same way.
func Bank(img image.Image) []Region {
	var out []Region
	for _, c := range DefaultCuts() {
		out = append(out, Crops(img.Bounds(), c)...)
	}
	return append(out, Find(img)...)
}

// Crops returns regions of a bank picture with bounds b, to be hashed and
// stored with its entry (medialabel.Entry.Regions) so that a copy cropped
// by about cut on one side, or on all sides, still matches: the centre
// with cut/2 taken from each side ("centre85" for a cut of 0.15), and the
// picture with cut taken from one side ("left85" keeps the left 85%,
// likewise "right85", "top85" and "bottom85"). Crops returns nothing for
// a cut outside (0, 0.5) or a picture under 16 pixels a side.
func Crops(b image.Rectangle, cut float64) []Region {
	if cut <= 0 || cut >= 0.5 || b.Dx() < 16 || b.Dy() < 16 {
		return nil
	}
	dx, dy := int(cut*float64(b.Dx())+0.5), int(cut*float64(b.Dy())+0.5)
	keep := int((1-cut)*100 + 0.5)
	name := func(s string) string { return fmt.Sprintf("%s%d", s, keep) }
	return []Region{
		{name("centre"), image.Rect(b.Min.X+dx/2, b.Min.Y+dy/2, b.Max.X-(dx-dx/2), b.Max.Y-(dy-dy/2))},
		{name("left"), image.Rect(b.Min.X, b.Min.Y, b.Max.X-dx, b.Max.Y)},
		{name("right"), image.Rect(b.Min.X+dx, b.Min.Y, b.Max.X, b.Max.Y)},
		{name("top"), image.Rect(b.Min.X, b.Min.Y, b.Max.X, b.Max.Y-dy)},
		{name("bottom"), image.Rect(b.Min.X, b.Min.Y+dy, b.Max.X, b.Max.Y)},
	}
}
