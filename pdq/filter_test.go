package pdq

import (
	"math/rand/v2"
	"testing"
)

// refBox1D is the reference box1DFloat, transcribed as it is, with strides.
func refBox1D(in, out []float32, n, stride, w int) {
	half := (w + 2) / 2
	p1, p2, p3, p4 := half-1, w-half+1, n-w, half-1
	li, ri, oi := 0, 0, 0
	var sum float32
	cur := 0
	for range p1 {
		sum += in[ri]
		cur++
		ri += stride
	}
	for range p2 {
		sum += in[ri]
		cur++
		out[oi] = sum / float32(cur)
		ri += stride
		oi += stride
	}
	for range p3 {
		sum += in[ri]
		sum -= in[li]
		out[oi] = sum / float32(cur)
		li += stride
		ri += stride
		oi += stride
	}
	for range p4 {
		sum -= in[li]
		cur--
		out[oi] = sum / float32(cur)
		li += stride
		oi += stride
	}
}

// refDownsample is the reference's jaroszFilterFloat (two rounds of rows
// then columns over whole buffers) followed by decimateFloat.
func refDownsample(luma []float32, width, height int) [64 * 64]float32 {
	b1 := append([]float32(nil), luma...)
	b2 := make([]float32, len(luma))
	wr, wc := jaroszWindow(width, 64), jaroszWindow(height, 64)
	for range 2 {
		for i := range height {
			refBox1D(b1[i*width:], b2[i*width:], width, 1, wr)
		}
		for j := range width {
			refBox1D(b2[j:], b1[j:], height, width, wc)
		}
	}
	var out [64 * 64]float32
	for i := range 64 {
		ini := int(((float64(i) + 0.5) * float64(height)) / 64)
		for j := range 64 {
			inj := int(((float64(j) + 0.5) * float64(width)) / 64)
			out[i*64+j] = b1[ini*width+inj]
		}
	}
	return out
}

// TestStreamedFilterMatchesReference checks the streamed, pruned filter
// against a plain transcription of the reference on many sizes, including
// ones that are not multiples of the row group, tiny ones and ones whose
// windows are large.
func TestStreamedFilterMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	sizes := [][2]int{{5, 5}, {6, 7}, {63, 64}, {65, 63}, {127, 129}, {128, 128}, {130, 257}, {300, 5}, {5, 300}, {513, 511}, {1000, 70}}
	for range 10 {
		sizes = append(sizes, [2]int{5 + r.IntN(400), 5 + r.IntN(400)})
	}
	var h Hasher
	for _, sz := range sizes {
		w, ht := sz[0], sz[1]
		luma := make([]float32, w*ht)
		for i := range luma {
			luma[i] = float32(r.IntN(256)) + float32(r.IntN(1000))/1000
		}
		want := refDownsample(luma, w, ht)
		h.HashLumaDihedral(luma, w, ht) // always filters, even at 64x64
		for i := range want {
			if h.b64[i] != want[i] {
				t.Errorf("%dx%d: buffer[%d][%d] = %.9g, want %.9g", w, ht, i/64, i%64, h.b64[i], want[i])
				break
			}
		}
	}
}
