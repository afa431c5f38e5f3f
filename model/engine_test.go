package model

import (
	"fmt"
	"github.com/medialabel/medialabel/classify"
	"math/rand/v2"
	"testing"
)

func randomNet(in, hidden int, seed uint64) *Net {
	r := rand.New(rand.NewPCG(seed, 1))
	n := NewNet(in, hidden, numOutputs)
	for _, s := range [][]float32{n.W1, n.B1, n.W2, n.B2} {
		for i := range s {
			s[i] = float32(r.NormFloat64() * 0.3)
		}
	}
	return n
}

func randomInput(in, k int, r *rand.Rand) classify.Vector {
	var x classify.Vector
	for range k {
		x.Index = append(x.Index, int32(r.IntN(in)))
		x.Value = append(x.Value, float32(r.Float64()))
	}
	return x
}

// BenchmarkInstance compares one onnx-go run with the plain-Go sparse
// forward pass of the same weights, for several shapes. onnx-go's cost
// grows with D: the input is dense.
func BenchmarkInstance(b *testing.B) {
	for _, sh := range []struct{ in, h int }{{1 << 14, 32}, {1 << 15, 32}, {1 << 16, 32}, {1 << 15, 64}} {
		net := randomNet(sh.in, sh.h, 1)
		buf, err := EncodeONNX(net, nil)
		if err != nil {
			b.Fatal(err)
		}
		ins, err := newInstance(buf, sh.in, numOutputs)
		if err != nil {
			b.Fatal(err)
		}
		x := randomInput(sh.in, 80, rand.New(rand.NewPCG(2, 2)))
		name := fmt.Sprintf("D=%d,H=%d", sh.in, sh.h)
		b.Run("onnx-go/"+name, func(b *testing.B) {
			for b.Loop() {
				if _, err := ins.run(x); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("plain/"+name, func(b *testing.B) {
			for b.Loop() {
				net.Predict(x)
			}
		})
	}
}

func TestInstanceMatchesPlainGo(t *testing.T) {
	const in, hidden = 1 << 12, 16
	net := randomNet(in, hidden, 7)
	buf, err := EncodeONNX(net, map[string]string{"k": "v"})
	if err != nil {
		t.Fatal(err)
	}
	ins, err := newInstance(buf, in, numOutputs)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 3))
	for i := range 50 {
		x := randomInput(in, 1+i, r)
		got, err := ins.run(x)
		if err != nil {
			t.Fatal(err)
		}
		want := net.Predict(x)
		for o := range want {
			if d := got[o] - want[o]; d > 1e-5 || d < -1e-5 {
				t.Fatalf("run %d output %d: onnx-go %v, plain Go %v", i, o, got[o], want[o])
			}
		}
	}
}
