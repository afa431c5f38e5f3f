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

// colBox is the reference box1DFloat applied down every column at once, fed
// one row at a time. It keeps the last w+1 input rows, and room for the
// next group of rows, in a ring.
type colBox struct {
	width, n, w    int
	p1, p2, p3, p4 int
	ring           []float32 // ringRows(w) rows of width
	sums           []float32
	pushed         int // input rows pushed so far
	drained        int // phase-4 outputs produced so far
}

func (c *colBox) reset(width, n, w int) {
	c.width, c.n, c.w = width, n, w
	c.p1, c.p2, c.p3, c.p4 = boxPhases(n, w)
	c.ring = grow(c.ring, ringRows(w)*width)
	c.sums = grow(c.sums, width)
	clear(c.sums)
	c.pushed, c.drained = 0, 0
}

// group is the number of rows the row filters work on at once.
const group = 4

// ringRows is the number of rows a colBox with window w keeps.
func ringRows(w int) int { return w + group }

// ringRow returns input row i in the ring.
func (c *colBox) ringRow(i int) []float32 {
	r := i % ringRows(c.w)
	return c.ring[r*c.width : (r+1)*c.width]
}

// slot returns the buffer input row pushed+k (k < group) is to be written
// into.
func (c *colBox) slot(k int) []float32 {
	return c.ringRow(c.pushed + k)
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
	in := c.ringRow(ri)
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
		sub := c.ringRow(ri - c.w)
		sub = sub[:len(in)]
		if out == nil {
			for j, v := range in {
				s := sums[j] + v
				sums[j] = s - sub[j]
			}
			return ri - c.p1
		}
		out = out[:len(in)]
		fw := float32(c.w)
		for j, v := range in {
			s := sums[j] + v
			s -= sub[j]
			sums[j] = s
			out[j] = s / fw
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
	sub := c.ringRow(c.p3 + c.drained)
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

// boxRow4 is the reference box1DFloat along four rows at once, in to out:
// the same operations on each row, interleaved, so that the four running
// sums proceed in parallel.
func boxRow4(in, out *[group][]float32, w int) {
	n := len(in[0])
	p1, p2, p3, p4 := boxPhases(n, w)
	i0, i1, i2, i3 := in[0][:n], in[1][:n], in[2][:n], in[3][:n]
	o0, o1, o2, o3 := out[0][:n], out[1][:n], out[2][:n], out[3][:n]
	var s0, s1, s2, s3 float32
	ri, oi := 0, 0
	for range p1 {
		s0 += i0[ri]
		s1 += i1[ri]
		s2 += i2[ri]
		s3 += i3[ri]
		ri++
	}
	cnt := p1
	for range p2 {
		s0 += i0[ri]
		s1 += i1[ri]
		s2 += i2[ri]
		s3 += i3[ri]
		cnt++
		f := float32(cnt)
		o0[oi], o1[oi], o2[oi], o3[oi] = s0/f, s1/f, s2/f, s3/f
		ri++
		oi++
	}
	fc := float32(cnt)
	for li := range p3 {
		s0 += i0[ri]
		s0 -= i0[li]
		s1 += i1[ri]
		s1 -= i1[li]
		s2 += i2[ri]
		s2 -= i2[li]
		s3 += i3[ri]
		s3 -= i3[li]
		o0[oi], o1[oi], o2[oi], o3[oi] = s0/fc, s1/fc, s2/fc, s3/fc
		ri++
		oi++
	}
	li := max(p3, 0)
	for range p4 {
		s0 -= i0[li]
		s1 -= i1[li]
		s2 -= i2[li]
		s3 -= i3[li]
		cnt--
		f := float32(cnt)
		o0[oi], o1[oi], o2[oi], o3[oi] = s0/f, s1/f, s2/f, s3/f
		li++
		oi++
	}
}

// boxRowSampled4 runs the same sums as boxRow4 but writes only the outputs
// at the given ascending positions: out[r][k] is what boxRow4 would have
// put at out[r][cols[k]].
func boxRowSampled4(in *[group][]float32, cols []int, out *[group][]float32, w int) {
	n := len(in[0])
	p1, p2, p3, p4 := boxPhases(n, w)
	i0, i1, i2, i3 := in[0][:n], in[1][:n], in[2][:n], in[3][:n]
	o0, o1, o2, o3 := out[0][:len(cols)], out[1][:len(cols)], out[2][:len(cols)], out[3][:len(cols)]
	var s0, s1, s2, s3 float32
	ri, li, oi, k := 0, 0, 0, 0
	emit := func(cnt int) {
		f := float32(cnt)
		for k < len(cols) && cols[k] == oi {
			o0[k], o1[k], o2[k], o3[k] = s0/f, s1/f, s2/f, s3/f
			k++
		}
	}
	for range p1 {
		s0 += i0[ri]
		s1 += i1[ri]
		s2 += i2[ri]
		s3 += i3[ri]
		ri++
	}
	cnt := p1
	for range p2 {
		s0 += i0[ri]
		s1 += i1[ri]
		s2 += i2[ri]
		s3 += i3[ri]
		cnt++
		emit(cnt)
		ri++
		oi++
	}
	// Phase 3, the bulk: run the sums up to the next sampled column, then
	// emit it.
	end3 := oi + p3
	for oi < end3 {
		stop := end3
		if k < len(cols) && cols[k] < end3 {
			stop = cols[k] + 1
		}
		for ; oi < stop; oi++ {
			s0 += i0[ri]
			s0 -= i0[li]
			s1 += i1[ri]
			s1 -= i1[li]
			s2 += i2[ri]
			s2 -= i2[li]
			s3 += i3[ri]
			s3 -= i3[li]
			ri++
			li++
		}
		oi--
		emit(cnt)
		oi++
	}
	for range p4 {
		s0 -= i0[li]
		s1 -= i1[li]
		s2 -= i2[li]
		s3 -= i3[li]
		cnt--
		emit(cnt)
		li++
		oi++
	}
}
