package pdq

// The Jarosz filter of the reference is two rounds of a box filter along
// rows followed by one along columns, over the whole image, after which
// 64x64 samples are kept. Here the four passes are streamed row by row
// and only what the kept samples depend on is computed: the first row and
// column passes in full, the second row pass divides only at the sampled
// columns, and the second column pass runs over the sampled columns and
// divides only at the sampled rows. Each output value still sees exactly
// the float32 operations, in the same order, as in the reference, so the
// result is bit-identical.

// jaroszWindow is the reference's computeJaroszFilterWindowSize: half the
// size of one output cell, rounded up.
func jaroszWindow(oldDim, newDim int) int {
	return (oldDim + 2*newDim - 1) / (2 * newDim)
}

// boxPhases returns the number of steps in the reference box1DFloat's four
// phases for a vector of length n and a window of w.
func boxPhases(n, w int) (p1, p2, p3, p4 int) {
	half := (w + 2) / 2
	return half - 1, w - half + 1, n - w, half - 1
}

// boxRow is the reference box1DFloat along one row, in to out.
func boxRow(in, out []float32, w int) {
	n := len(in)
	p1, p2, p3, p4 := boxPhases(n, w)
	out = out[:n]
	var sum float32
	ri, li, oi := 0, 0, 0
	for range p1 {
		sum += in[ri]
		ri++
	}
	cnt := p1
	for range p2 {
		sum += in[ri]
		cnt++
		out[oi] = sum / float32(cnt)
		ri++
		oi++
	}
	fc := float32(cnt)
	if p3 > 0 {
		add := in[ri : ri+p3]
		sub := in[li : li+p3]
		dst := out[oi : oi+p3]
		for i := range dst {
			sum += add[i]
			sum -= sub[i]
			dst[i] = sum / fc
		}
		li += p3
		oi += p3
	}
	for range p4 {
		sum -= in[li]
		cnt--
		out[oi] = sum / float32(cnt)
		li++
		oi++
	}
}

// boxRowSampled runs the same sums as boxRow but writes only the outputs
// at the given ascending positions: out[k] is what boxRow would have put
// at cols[k].
func boxRowSampled(in []float32, cols []int, out []float32, w int) {
	n := len(in)
	p1, p2, p3, p4 := boxPhases(n, w)
	var sum float32
	ri, li, oi, k := 0, 0, 0, 0
	emit := func(cnt int) {
		for k < len(cols) && cols[k] == oi {
			out[k] = sum / float32(cnt)
			k++
		}
	}
	for range p1 {
		sum += in[ri]
		ri++
	}
	cnt := p1
	for range p2 {
		sum += in[ri]
		cnt++
		emit(cnt)
		ri++
		oi++
	}
	// Phase 3, the bulk: run the sums from one sampled column to the next
	// without checking each position.
	end3 := oi + p3
	for oi < end3 {
		next := end3
		if k < len(cols) && cols[k] < next {
			next = cols[k]
		}
		for ; oi < next; oi++ {
			sum += in[ri]
			sum -= in[li]
			ri++
			li++
		}
		if oi == end3 {
			break
		}
		sum += in[ri]
		sum -= in[li]
		emit(cnt)
		ri++
		li++
		oi++
	}
	for range p4 {
		sum -= in[li]
		cnt--
		emit(cnt)
		li++
		oi++
	}
}

// colBox is the reference box1DFloat applied down every column at once, fed
// one row at a time. It keeps the last w+1 input rows in a ring.
type colBox struct {
	width, n, w    int
	p1, p2, p3, p4 int
	ring           []float32 // (w+1) rows of width
	sums           []float32
	pushed         int // input rows pushed so far
	drained        int // phase-4 outputs produced so far
}

func (c *colBox) reset(width, n, w int) {
	c.width, c.n, c.w = width, n, w
	c.p1, c.p2, c.p3, c.p4 = boxPhases(n, w)
	c.ring = grow(c.ring, (w+1)*width)
	c.sums = grow(c.sums, width)
	clear(c.sums)
	c.pushed, c.drained = 0, 0
}

// slot returns the buffer the next input row is to be written into.
func (c *colBox) slot() []float32 {
	r := c.pushed % (c.w + 1)
	return c.ring[r*c.width : (r+1)*c.width]
}

// nextOut returns the index of the output row the next push will produce,
// or -1 if it produces none.
func (c *colBox) nextOut() int {
	if c.pushed < c.p1 {
		return -1
	}
	return c.pushed - c.p1
}

// push takes in the row written into slot. If that completes an output
// row, push writes it to out (unless out is nil), and returns its index;
// otherwise it returns -1.
func (c *colBox) push(out []float32) int {
	ri := c.pushed
	in := c.slot()
	sums := c.sums[:len(in)]
	c.pushed++
	switch {
	case ri < c.p1:
		for j, v := range in {
			sums[j] += v
		}
		return -1
	case ri < c.p1+c.p2:
		for j, v := range in {
			sums[j] += v
		}
		if out != nil {
			divRow(out, sums, float32(ri+1))
		}
		return ri - c.p1
	default:
		li := ri - c.w
		r := li % (c.w + 1)
		sub := c.ring[r*c.width : (r+1)*c.width]
		sub = sub[:len(in)]
		for j, v := range in {
			s := sums[j] + v
			sums[j] = s - sub[j]
		}
		if out != nil {
			divRow(out, sums, float32(c.w))
		}
		return ri - c.p1
	}
}

// nextDrain returns the index of the output row the next drain will
// produce, or -1 when all rows are out. Call it only after all n rows
// were pushed.
func (c *colBox) nextDrain() int {
	if c.drained >= c.p4 {
		return -1
	}
	return c.p2 + c.p3 + c.drained
}

// drain produces the next of the final output rows (phase 4), once all
// input rows were pushed, into out (unless nil), and returns its index,
// or -1 when there are no more.
func (c *colBox) drain(out []float32) int {
	if c.drained >= c.p4 {
		return -1
	}
	li := c.p3 + c.drained
	r := li % (c.w + 1)
	sub := c.ring[r*c.width : (r+1)*c.width]
	sums := c.sums[:len(sub)]
	for j, v := range sub {
		sums[j] -= v
	}
	cnt := c.w - 1 - c.drained
	o := c.p2 + c.p3 + c.drained
	c.drained++
	if out != nil {
		divRow(out, sums, float32(cnt))
	}
	return o
}

func divRow(out, sums []float32, d float32) {
	out = out[:len(sums)]
	for j, s := range sums {
		out[j] = s / d
	}
}

// grow returns s resized to n, reusing its storage when it is big enough.
func grow(s []float32, n int) []float32 {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]float32, n)
}
