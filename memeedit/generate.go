package memeedit

import (
	"fmt"
	"image/color"
	"math/rand/v2"
)

// Generate draws perFamily edits of every family (Families order), with
// parameters from a generator seeded by seed: the same seed and count
// always give the same edits.
func Generate(seed uint64, perFamily int) []Edit {
	g := &gen{rng: rand.New(rand.NewPCG(seed, 0x6d656d6565646974))}
	var edits []Edit
	for _, fam := range Families() {
		for i := range perFamily {
			edits = append(edits, Edit{
				Name:   fmt.Sprintf("%s-%02d", fam, i),
				Family: fam,
				Steps:  g.steps(fam, i),
			})
		}
	}
	return edits
}

type gen struct{ rng *rand.Rand }

func (g *gen) uniform(lo, hi float64) float64 { return lo + g.rng.Float64()*(hi-lo) }

func (g *gen) pick(n int) int { return g.rng.IntN(n) }

// latinCaptions and blockyCaptions are the caption texts. Blocky texts
// stand for Chinese: each rune becomes one glyph-like block.
var latinCaptions = [...]string{
	"WHAT'S THE DIFFERENCE?", "THEY ARE ALL THE SAME", "WAKE UP", "SHARE BEFORE THEY DELETE IT",
	"NOBODY:", "WHEN YOU SEE IT", "THIS IS WHO THEY ARE", "SPOT THE DIFFERENCE",
}

var blockyCaptions = [...]string{
	"有什么区别", "他们都一样", "醒醒吧", "转发让更多人看到", "你品你细品", "真相只有一个",
}

func (g *gen) caption() (string, bool) {
	if g.pick(2) == 0 {
		return latinCaptions[g.pick(len(latinCaptions))], false
	}
	return blockyCaptions[g.pick(len(blockyCaptions))], true
}

// barColour is a caption bar's colour: mostly white or black, sometimes
// a brand colour.
func (g *gen) barColour() color.NRGBA {
	switch g.pick(5) {
	case 0, 1:
		return color.NRGBA{255, 255, 255, 255}
	case 2, 3:
		return color.NRGBA{0, 0, 0, 255}
	}
	return g.colour()
}

func (g *gen) colour() color.NRGBA {
	palette := [...]color.NRGBA{
		{255, 255, 255, 255}, {0, 0, 0, 255}, {200, 16, 46, 255}, {255, 222, 0, 255},
		{24, 119, 242, 255}, {128, 128, 128, 255}, {34, 139, 34, 255}, {240, 240, 235, 255},
	}
	return palette[g.pick(len(palette))]
}

func (g *gen) captionStep() Caption {
	text, blocky := g.caption()
	return Caption{Bottom: g.pick(2) == 1, Height: g.uniform(0.1, 0.3), Background: g.barColour(), Text: text, Blocky: blocky}
}

func (g *gen) border() Border {
	c := g.colour()
	switch g.pick(3) {
	case 0: // letterbox
		t := g.uniform(0.05, 0.35)
		return Border{Top: t, Bottom: t, Colour: color.NRGBA{0, 0, 0, 255}}
	case 1: // pillarbox or even frame
		w := g.uniform(0.02, 0.2)
		if g.pick(2) == 0 {
			return Border{Left: w, Right: w, Colour: c}
		}
		return Border{Top: w, Right: w, Bottom: w, Left: w, Colour: c}
	}
	return Border{Top: g.uniform(0, 0.2), Right: g.uniform(0, 0.2), Bottom: g.uniform(0, 0.2), Left: g.uniform(0.01, 0.2), Colour: c}
}

func (g *gen) crop(lo, hi float64) Crop {
	f := g.uniform(lo, hi)
	switch g.pick(5) {
	case 0:
		return Crop{Top: f}
	case 1:
		return Crop{Right: f}
	case 2:
		return Crop{Bottom: f}
	case 3:
		return Crop{Left: f}
	}
	// From all sides at once: f of the width and of the height in all,
	// shared unevenly between opposite sides.
	t, l := g.uniform(0.3, 0.7)*f, g.uniform(0.3, 0.7)*f
	return Crop{Top: t, Right: f - l, Bottom: f - t, Left: l}
}

func (g *gen) juxtapose(stacked bool) Juxtapose {
	j := Juxtapose{Stacked: stacked, PartnerFirst: g.pick(2) == 0, PartnerScale: 1, GapColour: color.NRGBA{255, 255, 255, 255}}
	if g.pick(2) == 0 {
		j.PartnerScale = g.uniform(0.6, 1.4)
	}
	if g.pick(2) == 0 {
		j.Gap = g.uniform(0.01, 0.08)
		j.GapColour = g.colour()
	}
	return j
}

func (g *gen) screenshot() Screenshot {
	text, blocky := g.caption()
	headers := [...]color.NRGBA{{24, 119, 242, 255}, {7, 193, 96, 255}, {230, 22, 45, 255}, {255, 255, 255, 255}, {33, 33, 33, 255}}
	return Screenshot{
		Width:   []int{360, 720, 1080}[g.pick(3)],
		Dark:    g.pick(3) == 0,
		Header:  headers[g.pick(len(headers))],
		Text:    text,
		Blocky:  blocky,
		Padding: g.pick(2) == 0,
	}
}

func (g *gen) steps(fam string, i int) []Step {
	switch fam {
	case FamilyCaption:
		if i%3 == 2 { // bars at both ends
			top, bottom := g.captionStep(), g.captionStep()
			top.Bottom, bottom.Bottom = false, true
			return []Step{top, bottom}
		}
		return []Step{g.captionStep()}
	case FamilyOverlay:
		text, blocky := g.caption()
		return []Step{Overlay{Y: []float64{0.1, 0.9, 0.5}[g.pick(3)], Size: g.uniform(0.08, 0.16), Text: text, Blocky: blocky}}
	case FamilyBorder:
		return []Step{g.border()}
	case FamilyJPEG:
		return []Step{JPEG{Quality: 20 + g.pick(76)}}
	case FamilyResize:
		return []Step{Resize{Scale: g.uniform(0.25, 2)}}
	case FamilyMirror:
		return []Step{Mirror{}}
	case FamilyRotate:
		return []Step{Rotate{Degrees: []int{90, 180, 270}[i%3]}}
	case FamilyCropSmall:
		return []Step{g.crop(0.05, 0.10)}
	case FamilyCropLarge:
		return []Step{g.crop(0.10, 0.25)}
	case FamilySideBySide, FamilyStacked:
		steps := []Step{g.juxtapose(fam == FamilyStacked)}
		if g.pick(3) == 0 { // "What's the difference?" above the pair
			c := g.captionStep()
			c.Bottom = false
			steps = append(steps, c)
		}
		return steps
	case FamilyGrey:
		switch g.pick(3) {
		case 0:
			return []Step{Grey{}}
		case 1:
			return []Step{Contrast{Percent: g.uniform(-40, 60)}}
		}
		return []Step{Grey{}, Contrast{Percent: g.uniform(-30, 50)}}
	case FamilySticker:
		return []Step{Sticker{Corner: g.pick(4), Size: g.uniform(0.1, 0.25), Colour: color.NRGBA{255, 204, 0, 255}}}
	case FamilyScreenshot:
		return []Step{g.screenshot(), JPEG{Quality: 70 + g.pick(26)}}
	case FamilyCombo:
		switch i % 6 {
		case 0: // caption + border + JPEG
			return []Step{g.captionStep(), g.border(), JPEG{Quality: 30 + g.pick(60)}}
		case 1: // screenshot + crop of the screenshot
			return []Step{g.screenshot(), Crop{Top: g.uniform(0.02, 0.1), Bottom: g.uniform(0, 0.1)}, JPEG{Quality: 80}}
		case 2: // mirror + caption
			return []Step{Mirror{}, g.captionStep()}
		case 3: // caption at both ends, resized small, recompressed
			top, bottom := g.captionStep(), g.captionStep()
			top.Bottom, bottom.Bottom = false, true
			return []Step{top, bottom, Resize{Scale: g.uniform(0.3, 0.7)}, JPEG{Quality: 40 + g.pick(50)}}
		case 4: // sticker + caption + greyscale
			return []Step{Sticker{Corner: g.pick(4), Size: g.uniform(0.1, 0.2), Colour: color.NRGBA{255, 102, 0, 255}}, g.captionStep(), Grey{}}
		}
		// small crop + caption + JPEG
		return []Step{g.crop(0.03, 0.08), g.captionStep(), JPEG{Quality: 50 + g.pick(40)}}
	}
	return nil
}
