package jpegscale

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestIDCTReducedMeans checks the reduced inverse DCT against its
// definition: for a block with only low frequencies, the mean of each
// group of pixels of the full inverse DCT.
func TestIDCTReducedMeans(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var qt block
	for i := range qt {
		qt[i] = int32(1 + r.IntN(20))
	}
	for _, n := range []int{2, 4} {
		for range 200 {
			var b block
			for v := range n {
				for u := range n {
					b[v*8+u] = int32(r.IntN(81) - 40)
				}
			}
			// Full inverse DCT in float64, by definition.
			var full [8][8]float64
			for y := range 8 {
				for x := range 8 {
					var s float64
					for v := range 8 {
						for u := range 8 {
							f := float64(b[v*8+u] * qt[zigOf[v*8+u]])
							s += cu(u) * cu(v) / 4 * f * math.Cos(float64((2*x+1)*u)*math.Pi/16) * math.Cos(float64((2*y+1)*v)*math.Pi/16)
						}
					}
					full[y][x] = s
				}
			}
			got := b
			idctReduced(&got, &qt, n)
			k := 8 / n
			for y := range n {
				for x := range n {
					var mean float64
					for dy := range k {
						for dx := range k {
							mean += full[y*k+dy][x*k+dx]
						}
					}
					mean /= float64(k * k)
					if d := float64(got[y*n+x]) - mean; math.Abs(d) > 1 {
						t.Fatalf("n=%d: out(%d, %d) = %d, want %.2f", n, y, x, got[y*n+x], mean)
					}
				}
			}
		}
	}
}

func cu(u int) float64 {
	if u == 0 {
		return 1 / math.Sqrt2
	}
	return 1
}
