package regions

import "image"

// Sides of a rectangle, for peeling.
const (
	top = iota
	bottom
	left
	right
)

// Thresholds of the line tests. A line is flat when pureFrac of its
// pixels are within pureTol (in every channel) of its median colour and
// smoothFrac of its neighbouring pixels differ by at most smoothStep in
// brightness: a border or the background of a bar, with room for JPEG
// noise, and unlike a sky or a dark, noisy part of a photograph. Within
// a bar, a line of text has textFrac of its pixels within textTol of the
// bar's colour; a line of a differently coloured box on the bar (a reply
// field), or of a bar inside a border, has boxFrac of one colour (within
// textTol) and boxSmooth of it smooth.
const (
	pureTol    = 32
	pureFrac   = 0.96
	smoothStep = 8
	smoothFrac = 0.80
	textFrac   = 0.40
	textTol    = 12
	// Of a line of text, at most textMidFrac of the pixels lie between
	// textTol and textFar of the bar's colour (edges of letters, JPEG
	// ringing).
	textFar     = 48
	textMidFrac = 0.25
	boxFrac     = 0.75
	boxSmooth   = 0.75
	// An edge is where edgeFrac of a line differs from the line before
	// by edgeStep in some channel.
	edgeStep = 16
	// Between dark pixels, edgeStepDark is enough.
	edgeStepDark = 8
	darkLevel    = 96
	edgeFrac     = 0.5
	// keepFrac is the least part of each side a peel may leave.
	keepFrac = 0.30
)

// How peel treats the sides of a rectangle.
const (
	// borders removes flat borders, but not the flat margin of a
	// caption bar above its text.
	borders = iota
	// flat removes every run of flat lines of one colour from a side,
	// even where a picture of that colour (a black background) follows.
	flat
	// bars removes flat borders and bands of graphic lines (caption
	// bars, status and header bars, the frame of a post).
	bars
)

// peel removes bands from the sides of r as mode says and returns what
// is left. It never leaves less than keepFrac of r's width or height.
func (p *plane) peel(r image.Rectangle, mode int) image.Rectangle {
	minW := max(8, int(float64(r.Dx())*keepFrac))
	minH := max(8, int(float64(r.Dy())*keepFrac))
	for range 4 {
		changed := false
		for _, side := range []int{top, bottom, left, right} {
			room := r.Dx() - minW
			if side == top || side == bottom {
				room = r.Dy() - minH
			}
			n := p.band(r, side, mode, room)
			if n == 0 {
				continue
			}
			changed = true
			switch side {
			case top:
				r.Min.Y += n
			case bottom:
				r.Max.Y -= n
			case left:
				r.Min.X += n
			case right:
				r.Max.X -= n
			}
		}
		if !changed {
			break
		}
	}
	return r
}

// band returns how many lines from side of r make a border (flat lines
// of one colour) or, in mode bars, a graphic band that starts with a flat
// line. It returns 0 when the band would be longer than room.
func (p *plane) band(r image.Rectangle, side, mode int, room int) int {
	text := mode == bars
	length := r.Dy()
	if side == left || side == right {
		length = r.Dx()
	}
	buf := make([]uint8, 0, 3*max(r.Dx(), r.Dy()))
	l0 := p.line(r, side, 0, buf)
	first := measure(l0)
	// A border starts with a flat line; a band may also start with a
	// line through a bar with text or a box on it, where a crop cut the
	// bar.
	if !first.flat() && (!text || !barLine(l0, first)) {
		return 0
	}
	c0 := first.median
	n := 1
	if text {
		// Within a band, flat lines set the background colour and lines
		// of text on it are mostly that colour. A few lines that are
		// neither (the heavy strokes of bold capitals) may come between
		// them. The band ends at the last straight edge across the whole
		// line (where the picture starts) before the walk stops or runs
		// out of room: a gradual change, as into a sky, is no end.
		allow := max(3, length/30)
		last, end := 0, 0
		prev := append([]uint8(nil), p.line(r, side, 0, buf)...)
		for i := 1; i < length && i <= room+1 && i-last <= allow+1; i++ {
			l := p.line(r, side, i, buf)
			if i <= room && i-1 <= last && edge(prev, l) {
				end = i
			}
			prev = append(prev[:0], l...)
			st := measure(l)
			switch {
			case st.flat(), barLine(l, st):
				// The background of what follows: a bar, a box on it,
				// the next bar. (A gradual drift, as of a sky, is followed
				// too; the edge rule keeps the band from ending in it.)
				c0, last = st.median, i
			case textLine(l, c0):
				last = i
			}
		}
		return end
	} else {
		for ; n < length; n++ {
			st := measure(p.line(r, side, n, buf))
			if !st.flat() || !near(st.median, c0) {
				break
			}
		}
	}
	if n > room {
		return 0
	}
	if mode == borders && n < length {
		// Flat lines that end at text are the margin of a caption bar,
		// not a border: cutting there would cut through the bar.
		if nearFracTol(p.line(r, side, n, buf), c0, textTol) >= textFrac {
			return 0
		}
	}
	return n
}

// line returns the pixels of the i-th line of r from side, as RGB
// triples, in buf.
func (p *plane) line(r image.Rectangle, side, i int, buf []uint8) []uint8 {
	buf = buf[:0]
	switch side {
	case top, bottom:
		y := r.Min.Y + i
		if side == bottom {
			y = r.Max.Y - 1 - i
		}
		buf = append(buf, p.rgb[3*(y*p.w+r.Min.X):3*(y*p.w+r.Max.X)]...)
	default:
		x := r.Min.X + i
		if side == right {
			x = r.Max.X - 1 - i
		}
		for y := r.Min.Y; y < r.Max.Y; y++ {
			o := 3 * (y*p.w + x)
			buf = append(buf, p.rgb[o:o+3]...)
		}
	}
	return buf
}

// edge reports whether two neighbouring lines differ along most of
// their length: the straight edge of a picture against a bar or border.
// Where both pixels are dark (every channel under darkLevel), a smaller
// step (edgeStepDark) counts: a dark photograph on a dark app card
// differs from it by little, as the eye sees dark shades.
func edge(a, b []uint8) bool {
	n, diff := len(a)/3, 0
	for i := 0; i+2 < len(a) && i+2 < len(b); i += 3 {
		step := edgeStep
		if max(a[i], a[i+1], a[i+2], b[i], b[i+1], b[i+2]) < darkLevel {
			step = edgeStepDark
		}
		if abs(int(a[i])-int(b[i])) >= step || abs(int(a[i+1])-int(b[i+1])) >= step || abs(int(a[i+2])-int(b[i+2])) >= step {
			diff++
		}
	}
	return n > 0 && float64(diff) >= edgeFrac*float64(n)
}

// textLine reports whether l is a line of text on a bar of colour c: at
// least textFrac of its pixels within textTol of c, and at most
// textMidFrac neither near c nor far from it (more than textFar in some
// channel), as letters are drawn in a colour that stands out from the
// bar. A line of a dark photograph on a dark card has many pixels a
// little off the card's colour.
func textLine(l []uint8, c [3]uint8) bool {
	n := len(l) / 3
	if n == 0 {
		return false
	}
	near, mid := 0, 0
	for i := 0; i < len(l); i += 3 {
		d := max(abs(int(l[i])-int(c[0])), abs(int(l[i+1])-int(c[1])), abs(int(l[i+2])-int(c[2])))
		switch {
		case d <= textTol:
			near++
		case d <= textFar:
			mid++
		}
	}
	return float64(near) >= textFrac*float64(n) && float64(mid) <= textMidFrac*float64(n)
}

// barLine reports whether l, with statistics st, is mostly one colour
// and smooth: a line through a bar with a box or a few letters on it.
func barLine(l []uint8, st lineStats) bool {
	return st.smooth >= boxSmooth && nearFracTol(l, st.median, textTol) >= boxFrac
}

// lineStats describes one line of pixels.
type lineStats struct {
	median [3]uint8 // per channel
	pure   float64  // share of pixels near the median colour
	smooth float64  // share of neighbours that differ little in brightness
}

func (s lineStats) flat() bool { return s.pure >= pureFrac && s.smooth >= smoothFrac }

// measure computes the statistics of a line of RGB triples.
func measure(l []uint8) lineStats {
	n := len(l) / 3
	if n == 0 {
		return lineStats{}
	}
	var hist [3][256]int
	smooth, prev := 0, -1
	for i := 0; i < len(l); i += 3 {
		hist[0][l[i]]++
		hist[1][l[i+1]]++
		hist[2][l[i+2]]++
		y := (299*int(l[i]) + 587*int(l[i+1]) + 114*int(l[i+2])) / 1000
		if prev >= 0 && abs(y-prev) <= smoothStep {
			smooth++
		}
		prev = y
	}
	var s lineStats
	for ch := range 3 {
		seen := 0
		for v := range 256 {
			seen += hist[ch][v]
			if 2*seen >= n {
				s.median[ch] = uint8(v)
				break
			}
		}
	}
	s.pure = nearFrac(l, s.median)
	s.smooth = 1
	if n > 1 {
		s.smooth = float64(smooth) / float64(n-1)
	}
	return s
}

// nearFrac is the share of the line's pixels near colour c.
func nearFrac(l []uint8, c [3]uint8) float64 { return nearFracTol(l, c, pureTol) }

// nearFracTol is the share of the line's pixels within tol of colour c
// in every channel.
func nearFracTol(l []uint8, c [3]uint8, tol int) float64 {
	n := len(l) / 3
	if n == 0 {
		return 0
	}
	in := 0
	for i := 0; i < len(l); i += 3 {
		if abs(int(l[i])-int(c[0])) <= tol && abs(int(l[i+1])-int(c[1])) <= tol && abs(int(l[i+2])-int(c[2])) <= tol {
			in++
		}
	}
	return float64(in) / float64(n)
}

func near(a, b [3]uint8) bool {
	for ch := range 3 {
		d := int(a[ch]) - int(b[ch])
		if d < -pureTol || d > pureTol {
			return false
		}
	}
	return true
}
