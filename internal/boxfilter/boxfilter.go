// Package boxfilter shrinks pictures by whole factors, each output pixel
// the rounded mean of a k×k block of input pixels (a box filter), as the
// region finder and the region hashes both shrink large pictures.
package boxfilter

// Means writes the block means of src into dst. Both hold pixels of four
// 8-bit channels, rows stride bytes apart (dstStride, srcStride). dst
// gets w×h pixels; pixel (x, y) is the mean of src's pixels (x*k+i,
// y*k+j) for i, j in [0, k), per channel, rounded to nearest. src must
// hold at least w*k × h*k pixels.
func Means(dst []uint8, dstStride int, src []uint8, srcStride, w, h, k int) {
	if w <= 0 || h <= 0 || k <= 0 {
		return
	}
	sums := make([]uint32, 4*w)
	n := uint32(k * k)
	for y := range h {
		clear(sums)
		for dy := range k {
			row := src[(y*k+dy)*srcStride:]
			for x := range w {
				p := row[4*x*k : 4*(x+1)*k]
				s := sums[4*x : 4*x+4 : 4*x+4]
				for i := 0; i < len(p); i += 4 {
					s[0] += uint32(p[i])
					s[1] += uint32(p[i+1])
					s[2] += uint32(p[i+2])
					s[3] += uint32(p[i+3])
				}
			}
		}
		out := dst[y*dstStride : y*dstStride+4*w]
		for i, s := range sums {
			out[i] = uint8((s + n/2) / n)
		}
	}
}
