package model

import (
	"errors"
	"fmt"
	"github.com/medialabel/medialabel/classify"
	"math"
)

// Output indices of the network, in the order of its output vector.
const (
	OutDehumanizing = 0
	OutOffensive    = 1
	numOutputs      = 2
)

// Net holds the weights of the caption network: a sparse bag of hashed
// features (dimension In) into one hidden layer of Hidden rectified units
// and Outputs independent sigmoid outputs. Matrices are stored [in, out],
// row-major, as in the ONNX file.
type Net struct {
	In, Hidden, Outputs int
	W1                  []float32 // [In, Hidden]
	B1                  []float32 // [Hidden]
	W2                  []float32 // [Hidden, Outputs]
	B2                  []float32 // [Outputs]
}

// NewNet returns a zero network of the given shape.
func NewNet(in, hidden, outputs int) *Net {
	return &Net{
		In: in, Hidden: hidden, Outputs: outputs,
		W1: make([]float32, in*hidden),
		B1: make([]float32, hidden),
		W2: make([]float32, hidden*outputs),
		B2: make([]float32, outputs),
	}
}

// validate reports whether the slices match the declared shape.
func (n *Net) validate() error {
	switch {
	case n.In <= 0 || n.Hidden <= 0 || n.Outputs <= 0:
		return fmt.Errorf("bad shape %dx%dx%d", n.In, n.Hidden, n.Outputs)
	case len(n.W1) != n.In*n.Hidden:
		return fmt.Errorf("W1 has %d values, want %d", len(n.W1), n.In*n.Hidden)
	case len(n.B1) != n.Hidden:
		return fmt.Errorf("B1 has %d values, want %d", len(n.B1), n.Hidden)
	case len(n.W2) != n.Hidden*n.Outputs:
		return fmt.Errorf("W2 has %d values, want %d", len(n.W2), n.Hidden*n.Outputs)
	case len(n.B2) != n.Outputs:
		return fmt.Errorf("B2 has %d values, want %d", len(n.B2), n.Outputs)
	}
	for _, s := range [][]float32{n.W1, n.B1, n.W2, n.B2} {
		for _, v := range s {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return errors.New("weights hold NaN or Inf")
			}
		}
	}
	return nil
}

// hidden computes the hidden pre-activations of x into h (len Hidden).
func (n *Net) hidden(x classify.Vector, h []float32) {
	copy(h, n.B1)
	H := n.Hidden
	for k, i := range x.Index {
		v := x.Value[k]
		row := n.W1[int(i)*H : int(i)*H+H]
		for j := range row {
			h[j] += v * row[j]
		}
	}
}

// Logits computes the output logits of x in plain Go. scratch, if it has
// room for Hidden values, avoids an allocation.
func (n *Net) Logits(x classify.Vector, scratch []float32) []float32 {
	if cap(scratch) < n.Hidden {
		scratch = make([]float32, n.Hidden)
	}
	h := scratch[:n.Hidden]
	n.hidden(x, h)
	out := make([]float32, n.Outputs)
	copy(out, n.B2)
	for j, a := range h {
		if a <= 0 {
			continue
		}
		row := n.W2[j*n.Outputs : j*n.Outputs+n.Outputs]
		for o := range out {
			out[o] += a * row[o]
		}
	}
	return out
}

// Predict returns the sigmoid outputs of x computed in plain Go.
func (n *Net) Predict(x classify.Vector) []float32 {
	out := n.Logits(x, nil)
	for i, z := range out {
		out[i] = sigmoid(z)
	}
	return out
}

func sigmoid(z float32) float32 {
	return float32(1 / (1 + math.Exp(-float64(z))))
}
