// Copyright 2026 The medialabel Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.
//
// The inverse DCT, the chroma upsampling and the colour conversion in this
// file are ports of libjpeg-turbo's jidctint.c (jpeg_idct_islow),
// jdsample.c (h2v1_fancy_upsample, h1v2_fancy_upsample,
// h2v2_fancy_upsample, int_upsample) and jdcolor.c (build_ycc_rgb_table,
// ycc_rgb_convert):
//
//	This software is based in part on the work of the Independent JPEG
//	Group. Copyright (C) 1991-1998, Thomas G. Lane. Modifications
//	developed 2002-2018 by Guido Vollbeding. libjpeg-turbo Modifications:
//	Copyright (C) 2009-2022, D. R. Commander.
//
// used under the IJG licence and libjpeg-turbo's modified BSD licence
// (see the NOTICE file).

package jpegscale

import "image"

// Constants of jpeg_idct_islow for 8-bit samples.
const (
	islowConstBits = 13
	islowPass1Bits = 2

	fix0_298631336 = 2446
	fix0_390180644 = 3196
	fix0_541196100 = 4433
	fix0_765366865 = 6270
	fix0_899976223 = 7373
	fix1_175875602 = 9633
	fix1_501321110 = 12299
	fix1_847759065 = 15137
	fix1_961570560 = 16069
	fix2_053119869 = 16819
	fix2_562915447 = 20995
	fix3_072711026 = 25172
)

// clampSample level-shifts an inverse DCT output by +128 and clips it to
// [0, 255], as libjpeg-turbo's SIMD inverse DCTs do (they saturate; the C
// code's range-limit table agrees with them for every output a valid
// stream can produce).
func clampSample(x int32) uint8 {
	x += 128
	if uint32(x) > 255 {
		if x < 0 {
			return 0
		}
		return 255
	}
	return uint8(x)
}

// idctIslow dequantizes the block b (coefficients and quantization table
// q in natural order; the coefficients are taken as 16-bit, as libjpeg's
// JCOEFs), computes libjpeg's accurate integer inverse DCT
// (jpeg_idct_islow) and writes the 8x8 samples to dst,
// rows stride apart. The arithmetic, its order and its rounding are those
// of jidctint.c, so the samples are libjpeg's, bit for bit.
func idctIslow(b *block, q *block, dst []byte, stride int) {
	var ws [blockSize]int32
	// Pass 1: columns from the input, results to the work array, scaled
	// up by 2^islowPass1Bits.
	for c := range 8 {
		in1, in2, in3 := int32(int16(b[8+c])), int32(int16(b[16+c])), int32(int16(b[24+c]))
		in4, in5, in6, in7 := int32(int16(b[32+c])), int32(int16(b[40+c])), int32(int16(b[48+c])), int32(int16(b[56+c]))
		if in1|in2|in3|in4|in5|in6|in7 == 0 {
			dc := int32(int16(b[c])) * q[c] << islowPass1Bits
			for r := range 8 {
				ws[8*r+c] = dc
			}
			continue
		}
		tmp10, tmp11, tmp12, tmp13 := islowEven(int32(int16(b[c]))*q[c], in2*q[16+c], in4*q[32+c], in6*q[48+c])
		tmp0, tmp1, tmp2, tmp3 := islowOdd(in1*q[8+c], in3*q[24+c], in5*q[40+c], in7*q[56+c])

		const sh = islowConstBits - islowPass1Bits
		const rnd = 1 << (sh - 1)
		ws[c] = (tmp10 + tmp3 + rnd) >> sh
		ws[56+c] = (tmp10 - tmp3 + rnd) >> sh
		ws[8+c] = (tmp11 + tmp2 + rnd) >> sh
		ws[48+c] = (tmp11 - tmp2 + rnd) >> sh
		ws[16+c] = (tmp12 + tmp1 + rnd) >> sh
		ws[40+c] = (tmp12 - tmp1 + rnd) >> sh
		ws[24+c] = (tmp13 + tmp0 + rnd) >> sh
		ws[32+c] = (tmp13 - tmp0 + rnd) >> sh
	}

	// Pass 2: rows from the work array to the output, descaled by the
	// factor 8 of the two passes and by 2^islowPass1Bits.
	const sh = islowConstBits + islowPass1Bits + 3
	const rnd = 1 << (sh - 1)
	for r := range 8 {
		w := ws[8*r : 8*r+8 : 8*r+8]
		out := dst[r*stride : r*stride+8 : r*stride+8]
		if w[1]|w[2]|w[3]|w[4]|w[5]|w[6]|w[7] == 0 {
			v := clampSample((w[0] + 1<<(islowPass1Bits+2)) >> (islowPass1Bits + 3))
			for i := range out {
				out[i] = v
			}
			continue
		}
		tmp10, tmp11, tmp12, tmp13 := islowEven(w[0], w[2], w[4], w[6])
		tmp0, tmp1, tmp2, tmp3 := islowOdd(w[1], w[3], w[5], w[7])

		out[0] = clampSample((tmp10 + tmp3 + rnd) >> sh)
		out[7] = clampSample((tmp10 - tmp3 + rnd) >> sh)
		out[1] = clampSample((tmp11 + tmp2 + rnd) >> sh)
		out[6] = clampSample((tmp11 - tmp2 + rnd) >> sh)
		out[2] = clampSample((tmp12 + tmp1 + rnd) >> sh)
		out[5] = clampSample((tmp12 - tmp1 + rnd) >> sh)
		out[3] = clampSample((tmp13 + tmp0 + rnd) >> sh)
		out[4] = clampSample((tmp13 - tmp0 + rnd) >> sh)
	}
}

// islowEven is the even part of jpeg_idct_islow's 1-D inverse DCT, on
// the dequantized inputs 0, 2, 4 and 6, scaled up by 2^islowConstBits.
func islowEven(in0, in2, in4, in6 int32) (tmp10, tmp11, tmp12, tmp13 int32) {
	z1 := (in2 + in6) * fix0_541196100
	tmp2 := z1 + in6*-fix1_847759065
	tmp3 := z1 + in2*fix0_765366865
	tmp0 := (in0 + in4) << islowConstBits
	tmp1 := (in0 - in4) << islowConstBits
	return tmp0 + tmp3, tmp1 + tmp2, tmp1 - tmp2, tmp0 - tmp3
}

// islowOdd is the odd part of jpeg_idct_islow's 1-D inverse DCT, on the
// dequantized inputs 1, 3, 5 and 7 (tmp3, tmp2, tmp1 and tmp0 there).
func islowOdd(in1, in3, in5, in7 int32) (tmp0, tmp1, tmp2, tmp3 int32) {
	tmp3, tmp2, tmp1, tmp0 = in1, in3, in5, in7
	z4 := tmp1 + tmp3
	z3 := tmp0 + tmp2
	z2 := tmp1 + tmp2
	z1 := tmp0 + tmp3
	z5 := (z3 + z4) * fix1_175875602
	tmp3 *= fix1_501321110
	tmp2 *= fix3_072711026
	tmp1 *= fix2_053119869
	tmp0 *= fix0_298631336
	z4 = z4*-fix0_390180644 + z5
	z3 = z3*-fix1_961570560 + z5
	z1 *= -fix0_899976223
	z2 *= -fix2_562915447
	return tmp0 + z1 + z3, tmp1 + z2 + z4, tmp2 + z2 + z3, tmp3 + z1 + z4
}

// yccTables are jdcolor.c's YCbCr to RGB tables (build_ycc_rgb_table):
// 16-bit fixed point, rounded with ONE_HALF; and limit, its sample
// range-limit table: limit[(x+256)&1023] is x clipped to [0, 255] for x
// in [-256, 767].
type yccTables struct {
	crR, cbB, crG, cbG [256]int32
	limit              [1024]uint8
}

// ycc holds the tables, computed once and never changed.
var ycc = func() (t yccTables) {
	const scaleBits = 16
	const oneHalf = 1 << (scaleBits - 1)
	fix := func(x float64) int32 { return int32(x*(1<<scaleBits) + 0.5) }
	for i := range 256 {
		x := int32(i - 128)
		t.crR[i] = (fix(1.40200)*x + oneHalf) >> scaleBits
		t.cbB[i] = (fix(1.77200)*x + oneHalf) >> scaleBits
		t.crG[i] = -fix(0.71414) * x
		t.cbG[i] = -fix(0.34414)*x + oneHalf
	}
	for i := range t.limit {
		t.limit[i] = clamp255(int32(i - 256))
	}
	return t
}()

// yccRow converts one row of samples to RGBA, as jdcolor.c's
// ycc_rgb_convert; the slices are the same length, out four times it.
func yccRow(out, yr, cbr, crr []byte, t *yccTables) {
	cbr, crr = cbr[:len(yr)], crr[:len(yr)]
	out = out[:4*len(yr)]
	for x, y := range yr {
		Y := int32(y) + 256
		b, r := cbr[x], crr[x]
		o := out[4*x : 4*x+4 : 4*x+4]
		o[0] = t.limit[(Y+t.crR[r])&1023]
		o[1] = t.limit[(Y+(t.cbG[b]+t.crG[r])>>16)&1023]
		o[2] = t.limit[(Y+t.cbB[b])&1023]
		o[3] = 255
	}
}

// clamp255 clips x to [0, 255], as libjpeg's sample range-limit table.
func clamp255(x int32) uint8 {
	if uint32(x) > 255 {
		if x < 0 {
			return 0
		}
		return 255
	}
	return uint8(x)
}

// plane is one decoded component: w x h samples of pix, rows stride apart.
type plane struct {
	pix     []byte
	stride  int
	w, h    int
	hf, vf  int // upsampling factors to full size
	fancyOK bool
}

// row returns the samples of row y, clamped to the plane, as libjpeg's
// main buffer controller repeats the first and last rows for context.
func (p *plane) row(y int) []byte {
	y = max(0, min(y, p.h-1))
	return p.pix[y*p.stride : y*p.stride+p.w]
}

// upsampleRow writes output row y of the plane, upsampled to full size, to
// out (len(out) is the image width), as libjpeg-turbo's default (fancy)
// upsampling does.
func (p *plane) upsampleRow(out []byte, y int) {
	W := len(out)
	switch {
	case p.hf == 1 && p.vf == 1:
		copy(out, p.row(y))
	case p.fancyOK && p.hf == 2 && p.vf == 1:
		h2v1Fancy(out, p.row(y))
	case p.fancyOK && p.hf == 2 && p.vf == 2:
		cy := y / 2
		other := cy + 1
		if y%2 == 0 {
			other = cy - 1
		}
		h2v2Fancy(out, p.row(cy), p.row(other))
	case p.fancyOK && p.hf == 1 && p.vf == 2:
		cy := y / 2
		other, bias := cy+1, int32(2)
		if y%2 == 0 {
			other, bias = cy-1, 1
		}
		in0, in1 := p.row(cy), p.row(other)
		for x := range W {
			out[x] = uint8((int32(in0[x])*3 + int32(in1[x]) + bias) >> 2)
		}
	default:
		// int_upsample: each sample repeated hf times across, vf down.
		in := p.row(y / p.vf)
		for x := range W {
			out[x] = in[x/p.hf]
		}
	}
}

// h2v1Fancy is jdsample.c's h2v1_fancy_upsample for one row; len(in) > 2.
// Outputs past len(out) (the image width) are dropped.
func h2v1Fancy(out, in []byte) {
	n := len(in)
	W := len(out)
	put := func(i int, v int32) {
		if i < W {
			out[i] = uint8(v)
		}
	}
	v := int32(in[0])
	put(0, v)
	put(1, (v*3+int32(in[1])+2)>>2)
	for i := 1; i < n-1; i++ {
		v := int32(in[i]) * 3
		put(2*i, (v+int32(in[i-1])+1)>>2)
		put(2*i+1, (v+int32(in[i+1])+2)>>2)
	}
	v = int32(in[n-1])
	put(2*n-2, (v*3+int32(in[n-2])+1)>>2)
	put(2*n-1, v)
}

// h2v2Fancy is jdsample.c's h2v2_fancy_upsample for one output row: in0 is
// the nearest input row, in1 the next nearest.
func h2v2Fancy(out, in0, in1 []byte) {
	n := len(in0)
	W := len(out)
	put := func(i int, v int32) {
		if i < W {
			out[i] = uint8(v)
		}
	}
	this := int32(in0[0])*3 + int32(in1[0])
	next := int32(in0[1])*3 + int32(in1[1])
	put(0, (this*4+8)>>4)
	put(1, (this*3+next+7)>>4)
	last := this
	this = next
	for i := 2; i < n; i++ {
		next = int32(in0[i])*3 + int32(in1[i])
		put(2*i-2, (this*3+last+8)>>4)
		put(2*i-1, (this*3+next+7)>>4)
		last, this = this, next
	}
	put(2*n-2, (this*3+last+8)>>4)
	put(2*n-1, (this*4+7)>>4)
}

// toRGBA converts the full-scale decoded planes of a 3-component image to
// RGB as libjpeg-turbo does by default: chroma upsampled with its fancy
// (triangle) filters, then converted with jdcolor.c's fixed-point tables,
// or left as it is when the image is stored as RGB.
func (d *decoder) toRGBA(rgb bool) *image.RGBA {
	W, H := d.width, d.height
	hmax, vmax := d.comp[0].h, d.comp[0].v
	planes := [3]plane{
		{pix: d.img3.Y, stride: d.img3.YStride},
		{pix: d.img3.Cb, stride: d.img3.CStride},
		{pix: d.img3.Cr, stride: d.img3.CStride},
	}
	for i := range planes {
		p := &planes[i]
		c := d.comp[i]
		p.w = (W*c.h + hmax - 1) / hmax
		p.h = (H*c.v + vmax - 1) / vmax
		p.hf, p.vf = hmax/c.h, vmax/c.v
		// jdsample.c uses the fancy filters only when the component is
		// more than 2 samples wide (h1v2 has no such condition).
		p.fancyOK = p.w > 2 || (p.hf == 1 && p.vf == 2)
	}
	img := image.NewRGBA(image.Rect(0, 0, W, H))
	var cb, cr []byte
	if planes[1].hf != 1 || planes[1].vf != 1 {
		cb, cr = make([]byte, W), make([]byte, W)
	}
	t := &ycc
	for y := range H {
		yr := planes[0].row(y)
		cbr, crr := planes[1].row(y), planes[2].row(y)
		if cb != nil {
			planes[1].upsampleRow(cb, y)
			planes[2].upsampleRow(cr, y)
			cbr, crr = cb, cr
		}
		out := img.Pix[y*img.Stride : y*img.Stride+4*W]
		yr, cbr, crr = yr[:W], cbr[:W], crr[:W]
		if rgb {
			for x := range W {
				o := out[4*x : 4*x+4 : 4*x+4]
				o[0], o[1], o[2], o[3] = yr[x], cbr[x], crr[x], 255
			}
			continue
		}
		yccRow(out, yr, cbr, crr, t)
	}
	return img
}
