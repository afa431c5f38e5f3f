// Copyright 2026 The medialabel Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package jpegscale

import "math"

// Reduced inverse DCT. The block at n/8 of its size is computed from the
// n x n lowest frequencies of the 8x8 block, as the mean of each
// (8/n)x(8/n) group of pixels of the full inverse DCT with the higher
// frequencies left out. Averaging the 8-point basis function
// cos((2x+1) k π/16) over the K = 8/n pixels of group i gives
// cos((2i+1) k π/2n) g(k), with g(k) the mean of cos(2 j k π/16) over the
// K offsets j = -(K-1)/2 ... (K-1)/2 around the group's centre. So
//
//	out(y, x) = Σ_v Σ_u M(y, v) M(x, u) F(v, u),
//	M(i, k) = C(k)/2 cos((2i+1) k π / 2n) g(k),  C(0) = 1/√2, C(k>0) = 1.
//
// A flat block keeps its level, as in the 8-point transform.
//
// It is computed in fixed point with 13-bit constants, in integers, so the
// result is the same on every platform.

const reducedBits = 13

// reducedMatrix returns M for n = 4 and n = 2 (index 4 and 2), scaled by
// 2^reducedBits and rounded.
func reducedMatrix(n int) (m [4][4]int64) {
	for i := range n {
		for k := range n {
			c := 0.5
			if k == 0 {
				c = 0.5 / math.Sqrt2
			}
			K := 8 / n
			var g float64
			for j := range K {
				off := float64(j) - float64(K-1)/2
				g += math.Cos(2 * off * float64(k) * math.Pi / 16)
			}
			g /= float64(K)
			v := c * g * math.Cos(float64((2*i+1)*k)*math.Pi/float64(2*n))
			m[i][k] = int64(math.Round(v * (1 << reducedBits)))
		}
	}
	return m
}

// The matrices, computed once and never changed.
var (
	reduced4 = reducedMatrix(4)
	reduced2 = reducedMatrix(2)
)

// zigOf maps natural order to zig-zag order, the inverse of unzig.
var zigOf = func() (z [blockSize]int) {
	for zig, nat := range unzig {
		z[nat] = zig
	}
	return z
}()

// idctReduced dequantizes the n x n lowest frequencies of b (in natural
// order, quantization table qt in zig-zag order) and writes the n x n
// inverse DCT, level-unshifted as idct's output is, to b[0:n*n], row by
// row. n is 4 or 2.
func idctReduced(b *block, qt *block, n int) {
	if n == 2 {
		idct2(b, qt)
		return
	}
	idct4(b, qt)
}

const roundHalf = 1 << (2*reducedBits - 1)

// zig4 holds the zig-zag index of each of the 4x4 lowest frequencies, in
// natural (row-major) order.
var zig4 = func() (z [16]int) {
	for v := range 4 {
		for u := range 4 {
			z[v*4+u] = zigOf[v*8+u]
		}
	}
	return z
}()

func idct4(b *block, qt *block) {
	var f [16]int64
	for k, zig := range zig4 {
		f[k] = int64(b[k/4*8+k%4]) * int64(qt[zig&(blockSize-1)])
	}
	if b[1]|b[2]|b[3]|b[8]|b[9]|b[10]|b[11]|b[16]|b[17]|b[18]|b[19]|b[24]|b[25]|b[26]|b[27] == 0 {
		// Only the DC coefficient: a flat block.
		c := reduced4[0][0]
		v := int32((c*c*f[0] + roundHalf) >> (2 * reducedBits))
		for i := range 16 {
			b[i] = v
		}
		return
	}
	// Rows, then columns, each an even-odd butterfly: M(3-i, k) is
	// (-1)^k M(i, k).
	var t [16]int64
	for v := range 4 {
		r := (*[4]int64)(f[v*4 : v*4+4])
		o := (*[4]int64)(t[v*4 : v*4+4])
		butterfly4(r, o)
	}
	var col, out [4]int64
	for x := range 4 {
		col = [4]int64{t[x], t[4+x], t[8+x], t[12+x]}
		butterfly4(&col, &out)
		for y := range 4 {
			b[y*4+x] = int32((out[y] + roundHalf) >> (2 * reducedBits))
		}
	}
}

// butterfly4 is the 4-point transform out(i) = Σ_k M(i, k) in(k).
func butterfly4(in, out *[4]int64) {
	m := &reduced4
	dc := m[0][0] * in[0]
	e2 := m[0][2] * in[2]
	e0, e1 := dc+e2, dc-e2
	o0 := m[0][1]*in[1] + m[0][3]*in[3]
	o1 := m[1][1]*in[1] + m[1][3]*in[3]
	out[0], out[3] = e0+o0, e0-o0
	out[1], out[2] = e1+o1, e1-o1
}

func idct2(b *block, qt *block) {
	// M = [[c, a], [c, -a]].
	c, a := reduced2[0][0], reduced2[0][1]
	f00 := int64(b[0]) * int64(qt[0])
	f01 := int64(b[1]) * int64(qt[1])
	f10 := int64(b[8]) * int64(qt[2])
	f11 := int64(b[9]) * int64(qt[4])
	// Rows, then columns.
	t00, t01 := c*f00+a*f01, c*f00-a*f01
	t10, t11 := c*f10+a*f11, c*f10-a*f11
	b[0] = int32((c*t00 + a*t10 + roundHalf) >> (2 * reducedBits))
	b[1] = int32((c*t01 + a*t11 + roundHalf) >> (2 * reducedBits))
	b[2] = int32((c*t00 - a*t10 + roundHalf) >> (2 * reducedBits))
	b[3] = int32((c*t01 - a*t11 + roundHalf) >> (2 * reducedBits))
}
