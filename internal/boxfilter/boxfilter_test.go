package boxfilter

import (
	"math/rand/v2"
	"testing"
)

// TestMeans compares Means with the mean of each block computed one
// pixel at a time, for several factors and strides wider than the rows.
func TestMeans(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tt := range []struct{ w, h, k, pad int }{
		{1, 1, 1, 0}, {3, 2, 1, 4}, {5, 4, 2, 0}, {7, 3, 3, 8}, {4, 4, 5, 12},
	} {
		sw, sh := tt.w*tt.k+1, tt.h*tt.k+2 // a ragged edge Means must ignore
		srcStride := 4*sw + tt.pad
		src := make([]uint8, srcStride*sh)
		for i := range src {
			src[i] = uint8(rng.IntN(256))
		}
		dstStride := 4*tt.w + tt.pad
		dst := make([]uint8, dstStride*tt.h)
		Means(dst, dstStride, src, srcStride, tt.w, tt.h, tt.k)
		for y := range tt.h {
			for x := range tt.w {
				for c := range 4 {
					sum := 0
					for j := range tt.k {
						for i := range tt.k {
							sum += int(src[(y*tt.k+j)*srcStride+4*(x*tt.k+i)+c])
						}
					}
					n := tt.k * tt.k
					want := uint8((sum + n/2) / n)
					if got := dst[y*dstStride+4*x+c]; got != want {
						t.Fatalf("%+v: pixel (%d, %d) channel %d = %d, want %d", tt, x, y, c, got, want)
					}
				}
			}
		}
	}
}

func BenchmarkMeans(b *testing.B) {
	const w, h, k = 512, 384, 4
	src := make([]uint8, 4*w*k*h*k)
	dst := make([]uint8, 4*w*h)
	for b.Loop() {
		Means(dst, 4*w, src, 4*w*k, w, h, k)
	}
}
