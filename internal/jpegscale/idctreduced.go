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

func idct4(b *block, qt *block) {
	m := &reduced4
	var f [4][4]int64
	for v := range 4 {
		for u := range 4 {
			nat := v*8 + u
			f[v][u] = int64(b[nat]) * int64(qt[zigOf[nat]])
		}
	}
	// Rows: t(v, x) = Σ_u M(x, u) F(v, u).
	var t [4][4]int64
	for v := range 4 {
		fv := &f[v]
		for x := range 4 {
			mx := &m[x]
			t[v][x] = mx[0]*fv[0] + mx[1]*fv[1] + mx[2]*fv[2] + mx[3]*fv[3]
		}
	}
	// Columns: out(y, x) = Σ_v M(y, v) t(v, x), descaled with rounding.
	for y := range 4 {
		my := &m[y]
		for x := range 4 {
			s := my[0]*t[0][x] + my[1]*t[1][x] + my[2]*t[2][x] + my[3]*t[3][x]
			b[y*4+x] = int32((s + roundHalf) >> (2 * reducedBits))
		}
	}
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
