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
// pixels are within pureTol (in every channel) of its median colour: a
// border or the background of a bar, with room for JPEG noise. A line is
// graphic when its three most common colours (at 4 bits a channel) cover
// graphicFrac of it: flat background with text or icons on it, as in a
// caption bar or an app's frame, and unlike a line through a photograph.
const (
	pureTol     = 32
	pureFrac    = 0.96
	graphicFrac = 0.80
	bgFrac      = 0.40
	// keepFrac is the least part of each side a peel may leave.
	keepFrac = 0.30
)

// peel removes bands from the sides of r and returns what is left: flat
// borders only, or with text also bands of graphic lines (caption bars,
// status and header bars, the frame of a post). It never leaves less
// than keepFrac of r's width or height.
func (p *plane) peel(r image.Rectangle, text bool) image.Rectangle {
	minW := max(8, int(float64(r.Dx())*keepFrac))
	minH := max(8, int(float64(r.Dy())*keepFrac))
	for range 4 {
		changed := false
		for _, side := range []int{top, bottom, left, right} {
			room := r.Dx() - minW
			if side == top || side == bottom {
				room = r.Dy() - minH
			}
			n := p.band(r, side, text, room)
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
// of one colour) or, with text, a graphic band that starts with a flat
// line. It returns 0 when the band would be longer than room.
func (p *plane) band(r image.Rectangle, side int, text bool, room int) int {
	length := r.Dy()
	if side == left || side == right {
		length = r.Dx()
	}
	buf := make([]uint8, 0, 3*max(r.Dx(), r.Dy()))
	first := p.line(r, side, 0, buf)
	c0, ok := flat(first)
	if !ok {
		return 0
	}
	n := 1
	if text {
		// Within a band, flat lines set the background colour and lines
		// of text on it are mostly that colour or graphic. A few lines
		// that are neither (the heavy strokes of bold capitals) may
		// come between them.
		allow := max(2, length/50)
		last := 0
		for i := 1; i < length && i-last <= allow; i++ {
			l := p.line(r, side, i, buf)
			if c, ok := flat(l); ok {
				c0, last = c, i
			} else if textLine(l, c0) {
				last = i
			}
		}
		n = last + 1
	} else {
		for ; n < length; n++ {
			c, ok := flat(p.line(r, side, n, buf))
			if !ok || !near(c, c0) {
				break
			}
		}
	}
	if n > room {
		return 0
	}
	if !text && n < length {
		// Flat lines that end at text are the margin of a caption bar,
		// not a border: cutting there would cut through the bar.
		if l := p.line(r, side, n, buf); textLine(l, c0) {
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

// flat reports whether the line is nearly one colour, and which.
func flat(l []uint8) ([3]uint8, bool) {
	n := len(l) / 3
	if n == 0 {
		return [3]uint8{}, false
	}
	var hist [3][256]int
	for i := 0; i < len(l); i += 3 {
		hist[0][l[i]]++
		hist[1][l[i+1]]++
		hist[2][l[i+2]]++
	}
	var med [3]uint8
	for ch := range 3 {
		seen := 0
		for v := range 256 {
			seen += hist[ch][v]
			if 2*seen >= n {
				med[ch] = uint8(v)
				break
			}
		}
	}
	in := 0
	for i := 0; i < len(l); i += 3 {
		if near([3]uint8{l[i], l[i+1], l[i+2]}, med) {
			in++
		}
	}
	return med, float64(in) >= pureFrac*float64(n)
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

// textLine reports whether l looks like a line through text or icons on
// a background of colour bg: bgFrac of it is that colour, or it is
// graphic.
func textLine(l []uint8, bg [3]uint8) bool {
	in := 0
	for i := 0; i < len(l); i += 3 {
		if near([3]uint8{l[i], l[i+1], l[i+2]}, bg) {
			in++
		}
	}
	return float64(in) >= bgFrac*float64(len(l)/3) || graphic(l)
}

// graphic reports whether the line's three commonest colours, at 4 bits
// a channel, cover graphicFrac of it.
func graphic(l []uint8) bool {
	n := len(l) / 3
	if n == 0 {
		return false
	}
	var counts [4096]uint16
	for i := 0; i < len(l); i += 3 {
		counts[int(l[i]>>4)<<8|int(l[i+1]>>4)<<4|int(l[i+2]>>4)]++
	}
	var top3 [3]int
	for _, c := range counts {
		v := int(c)
		switch {
		case v > top3[0]:
			top3[0], top3[1], top3[2] = v, top3[0], top3[1]
		case v > top3[1]:
			top3[1], top3[2] = v, top3[1]
		case v > top3[2]:
			top3[2] = v
		}
	}
	return float64(top3[0]+top3[1]+top3[2]) >= graphicFrac*float64(n)
}
