package regions

import "image"

// Seam thresholds. A seam is a straight line across the whole of r where
// one picture meets another: either a gap (a run of flat lines) or a
// column (row) where, in at least seamFrac of the rows (columns), the
// step in brightness across the line is much stronger than the
// brightness changes just beside it. Seams are looked for only in the
// middle part of r, seamMargin from each side.
const (
	seamFrac   = 0.45
	seamMargin = 0.15
	// seamStep is the least step, in 0-255 brightness, that counts.
	seamStep = 12
)

// split looks for a seam across r (vertical: one that splits r into a
// left and a right part) and returns the two parts.
func (p *plane) split(r image.Rectangle, vertical bool) (a, b image.Rectangle, ok bool) {
	length, across := r.Dx(), r.Dy()
	if !vertical {
		length, across = r.Dy(), r.Dx()
	}
	if length < 32 || across < 16 {
		return a, b, false
	}
	lo, hi := r.Min.X, r.Max.X
	if !vertical {
		lo, hi = r.Min.Y, r.Max.Y
	}
	margin := int(float64(length) * seamMargin)
	from, to := lo+margin, hi-margin

	cut := func(s, e int) (image.Rectangle, image.Rectangle) {
		if vertical {
			return image.Rect(r.Min.X, r.Min.Y, s, r.Max.Y), image.Rect(e, r.Min.Y, r.Max.X, r.Max.Y)
		}
		return image.Rect(r.Min.X, r.Min.Y, r.Max.X, s), image.Rect(r.Min.X, e, r.Max.X, r.Max.Y)
	}

	// A gap: the longest run of flat lines across r that is bounded by
	// edges (flat lines inside a picture, as the dark trunks of a
	// forest, fade into their neighbours).
	buf := make([]uint8, 0, 3*across)
	side := left
	if !vertical {
		side = top
	}
	edgeAt := func(v int) bool { // between lines v-1 and v
		return v > lo && v < hi && edge(p.line(r, side, v-1-lo, nil), p.line(r, side, v-lo, buf))
	}
	bestS, bestE, runS := 0, 0, -1
	for v := from; v <= to; v++ {
		isFlat := false
		if v < to {
			isFlat = measure(p.line(r, side, v-lo, buf)).flat()
		}
		switch {
		case isFlat && runS < 0:
			runS = v
		case !isFlat && runS >= 0:
			if v-runS > bestE-bestS && edgeAt(runS) && edgeAt(v) {
				bestS, bestE = runS, v
			}
			runS = -1
		}
	}
	if bestE > bestS {
		a, b = cut(bestS, bestE)
		return a, b, true
	}

	// A hard edge: the line where most steps across are local maxima.
	at := func(u, v int) int { // u along the seam's normal, v along it
		if vertical {
			return int(p.luma[v*p.w+u])
		}
		return int(p.luma[u*p.w+v])
	}
	vlo, vhi := r.Min.Y, r.Max.Y
	if !vertical {
		vlo, vhi = r.Min.X, r.Max.X
	}
	best, bestU := 0, -1
	for u := max(from, lo+4); u < min(to, hi-3); u++ {
		count := 0
		for v := vlo; v < vhi; v++ {
			step := abs(at(u+1, v) - at(u-2, v))
			beside := max(abs(at(u-2, v)-at(u-4, v)), abs(at(u+3, v)-at(u+1, v)))
			if step >= seamStep && step > 2*beside {
				count++
			}
		}
		if count > best {
			best, bestU = count, u
		}
	}
	if bestU < 0 || float64(best) < seamFrac*float64(vhi-vlo) {
		// No step stands out in enough places: look for the line whose
		// colour change stands out from those around it.
		if u, ok := p.colourSeam(r, vertical, from, to); ok {
			a, b = cut(u, u)
			return a, b, true
		}
		return a, b, false
	}
	// Of the lines next to the best, the seam lies where the step from the
	// line before is largest.
	seam, strongest := bestU, -1
	for u := bestU - 1; u <= bestU+2; u++ {
		sum := 0
		for v := vlo; v < vhi; v++ {
			sum += abs(at(u, v) - at(u-1, v))
		}
		if sum > strongest {
			seam, strongest = u, sum
		}
	}
	a, b = cut(seam, seam)
	return a, b, true
}

// Thresholds of colourSeam: the mean colour change across the seam must
// be at least ratioStep and ratioFactor times the mean change between
// the lines around it (up to ratioReach lines away on each side, the
// nearest ratioSkip left out, where shrinking may have blurred the seam).
const (
	ratioStep   = 10
	ratioFactor = 3.0
	ratioReach  = 8
	ratioSkip   = 1
)

// colourSeam looks for a seam between two pictures that touch without a
// gap, where neither a gap nor a step in brightness shows it (two dark
// pictures, a green beside a grey of the same brightness): the line u
// between from and to where the mean colour change from the line before
// (the largest change in any channel, averaged along the line) is
// largest relative to the changes between the lines around it. Within a
// picture, neighbouring lines are alike; across a seam, they are two
// unrelated pictures.
func (p *plane) colourSeam(r image.Rectangle, vertical bool, from, to int) (int, bool) {
	lo, hi := r.Min.X, r.Max.X
	if !vertical {
		lo, hi = r.Min.Y, r.Max.Y
	}
	side := left
	if !vertical {
		side = top
	}
	// change[u-lo] is the mean change between lines u-1 and u.
	change := make([]float64, hi-lo)
	prev := append([]uint8(nil), p.line(r, side, 0, nil)...)
	buf := make([]uint8, 0, len(prev))
	for u := lo + 1; u < hi; u++ {
		l := p.line(r, side, u-lo, buf)
		sum := 0
		for i := 0; i+2 < len(l); i += 3 {
			sum += max(abs(int(l[i])-int(prev[i])), abs(int(l[i+1])-int(prev[i+1])), abs(int(l[i+2])-int(prev[i+2])))
		}
		change[u-lo] = float64(sum) / float64(max(1, len(l)/3))
		prev = append(prev[:0], l...)
	}
	bestU, bestRatio := -1, 0.0
	for u := max(from, lo+ratioReach+1); u < min(to, hi-ratioReach); u++ {
		c := change[u-lo]
		if c < ratioStep {
			continue
		}
		around, n := 0.0, 0
		for k := ratioSkip + 1; k <= ratioReach; k++ {
			around += change[u-k-lo] + change[u+k-lo]
			n += 2
		}
		around /= float64(n)
		if ratio := c / max(around, 1); ratio > bestRatio {
			bestU, bestRatio = u, ratio
		}
	}
	return bestU, bestU >= 0 && bestRatio >= ratioFactor
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
