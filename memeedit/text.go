package memeedit

import (
	"hash/fnv"
	"image"
	"image/color"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// drawText writes text centred in box, as large as fits (at most 60% of
// the box's height). With outline, each glyph gets a dark outline as meme
// text over pictures does.
func drawText(dst *image.NRGBA, box image.Rectangle, text string, c color.NRGBA, blocky, outline bool) {
	if box.Dx() < 4 || box.Dy() < 4 || text == "" {
		return
	}
	if blocky {
		drawBlocky(dst, box, text, c, outline)
		return
	}
	f, err := opentype.Parse(gobold.TTF)
	if err != nil {
		return // the embedded font always parses
	}
	size := float64(box.Dy()) * 0.6
	var face font.Face
	var width fixed.Int26_6
	for range 8 {
		face, err = opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingNone})
		if err != nil {
			return
		}
		width = font.MeasureString(face, text)
		if width.Ceil() <= box.Dx()*9/10 {
			break
		}
		size *= float64(box.Dx()) * 0.9 / float64(width.Ceil())
	}
	defer face.Close()
	m := face.Metrics()
	x := box.Min.X + (box.Dx()-width.Ceil())/2
	y := box.Min.Y + (box.Dy()+m.Ascent.Ceil()-m.Descent.Ceil())/2
	d := &font.Drawer{Dst: dst, Face: face}
	if outline {
		o := max(1, int(size/16))
		d.Src = image.NewUniform(color.NRGBA{0, 0, 0, 255})
		for _, off := range [][2]int{{-o, 0}, {o, 0}, {0, -o}, {0, o}, {-o, -o}, {o, o}, {-o, o}, {o, -o}} {
			d.Dot = fixed.P(x+off[0], y+off[1])
			d.DrawString(text)
		}
	}
	d.Src = image.NewUniform(c)
	d.Dot = fixed.P(x, y)
	d.DrawString(text)
}

// drawBlocky draws one square glyph-like cluster of strokes per rune of
// text, in the manner of CJK characters: a few horizontal and vertical
// bars in each square cell, chosen from a hash of the rune and its place
// so that the same text always gives the same glyphs.
func drawBlocky(dst *image.NRGBA, box image.Rectangle, text string, c color.NRGBA, outline bool) {
	runes := []rune(text)
	cell := min(box.Dy()*6/10, box.Dx()*9/10/len(runes))
	if cell < 4 {
		return
	}
	gap := cell / 8
	total := len(runes)*(cell+gap) - gap
	x0 := box.Min.X + (box.Dx()-total)/2
	y0 := box.Min.Y + (box.Dy()-cell)/2
	th := max(1, cell/10)
	var strokes []image.Rectangle
	for i, r := range runes {
		h := fnv.New64a()
		h.Write([]byte{byte(r), byte(r >> 8), byte(r >> 16), byte(i)})
		bitsLeft := h.Sum64()
		next := func(n uint64) int {
			v := int(bitsLeft % n)
			bitsLeft /= n
			return v
		}
		cx := x0 + i*(cell+gap)
		for range 2 + next(3) { // horizontal bars
			y := y0 + next(8)*cell/8
			a, b := next(3)*cell/8, cell-next(3)*cell/8
			strokes = append(strokes, image.Rect(cx+a, y, cx+b, y+th))
		}
		for range 1 + next(3) { // vertical bars
			x := cx + next(8)*cell/8
			a, b := next(3)*cell/8, cell-next(2)*cell/8
			strokes = append(strokes, image.Rect(x, y0+a, x+th, y0+b))
		}
	}
	if outline {
		for _, s := range strokes {
			fillRect(dst, s.Inset(-th), color.NRGBA{0, 0, 0, 255})
		}
	}
	for _, s := range strokes {
		fillRect(dst, s, c)
	}
}
