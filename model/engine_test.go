package model

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/medialabel/medialabel/classify"
	"gorgonia.org/tensor"
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

// vectorInput is a random input as classify.VectorOf writes one: k
// distinct indices in ascending order.
func vectorInput(in, k int, r *rand.Rand) classify.Vector {
	occ := make([]classify.Occurrence, k)
	for i := range occ {
		occ[i] = classify.Occurrence{Index: int32(r.IntN(in)), Lexicon: r.IntN(4) == 0}
	}
	return classify.VectorOf(occ)
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
		x := vectorInput(sh.in, 80, rand.New(rand.NewPCG(2, 2)))
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
	for i := range 100 {
		// Even runs: inputs as captions give them (ascending, distinct),
		// computed by the sparse engine; odd runs: indices in any order
		// and repeated, computed by the standard engine.
		x := randomInput(in, 1+i/2, r)
		if i%2 == 0 {
			x = vectorInput(in, 1+i/2, r)
		}
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
		if slices.ContainsFunc(ins.dense, func(v float32) bool { return v != 0 }) {
			t.Fatalf("run %d left values in the input buffer", i)
		}
	}
}

// TestSparseEngineFallsBack checks that the sparse product is used only
// for the instance's own input row and gives the standard engine's
// result.
func TestSparseEngineFallsBack(t *testing.T) {
	const in, n = 64, 3
	r := rand.New(rand.NewPCG(5, 5))
	dense := make([]float32, in)
	x := vectorInput(in, 10, r)
	for k, i := range x.Index {
		dense[i] = x.Value[k]
	}
	w := make([]float32, in*n)
	for i := range w {
		w[i] = float32(r.NormFloat64())
	}
	e := &sparseEngine{dense: dense, nz: x.Index}
	product := func(rowData []float32) []float32 {
		a := tensor.New(tensor.WithShape(1, in), tensor.WithBacking(rowData), tensor.WithEngine(e))
		b := tensor.New(tensor.WithShape(in, n), tensor.WithBacking(w))
		c := tensor.New(tensor.WithShape(1, n), tensor.WithBacking(make([]float32, n)))
		if err := e.MatMul(a, b, c); err != nil {
			t.Fatal(err)
		}
		return c.Data().([]float32)
	}
	want := make([]float32, n)
	for i, v := range dense {
		for j := range want {
			want[j] += v * w[i*n+j]
		}
	}
	other := append([]float32(nil), dense...) // same values, not the engine's row
	for name, got := range map[string][]float32{"own row": product(dense), "another row": product(other)} {
		for j := range want {
			if d := got[j] - want[j]; d > 1e-5 || d < -1e-5 {
				t.Errorf("%s: column %d = %v, want %v", name, j, got[j], want[j])
			}
		}
	}
	// The engine reads only the columns it was told of: a value elsewhere
	// in its own row is ignored, in another row it counts.
	e.nz = x.Index[:1]
	if got, all := product(dense), product(other); got[0] == all[0] {
		t.Errorf("own row with one known column gave the full product %v", got)
	}
}
