package model

import (
	"errors"
	"fmt"
	"github.com/medialabel/medialabel/classify"
	"slices"

	"github.com/owulveryck/onnx-go"
	"github.com/owulveryck/onnx-go/backend/x/gorgonnx"
	"gorgonia.org/tensor"
)

// instance is one onnx-go model with its gorgonia backend. It is not safe
// for concurrent use: the pool hands each instance to one goroutine at a
// time.
type instance struct {
	graph   *gorgonnx.Graph
	model   *onnx.Model
	input   onnx.DataCarrier
	in, out int
	dense   []float32 // the input tensor's backing array
	engine  *sparseEngine
}

// sparseEngine is the gorgonia tensor engine of an instance's input
// tensor. gorgonia's MatMul runs on the engine of its left operand, so
// the first layer (input times W1) comes here; every other operation is
// the standard engine's. The input is one row whose non-zero columns are
// known (nz), so the product only reads those rows of W1, instead of
// scanning every column of the row for non-zero values as the standard
// engine does. Any other operand falls back to the standard engine.
type sparseEngine struct {
	tensor.StdEng
	dense []float32 // the input row this engine knows the non-zero columns of
	nz    []int32   // ascending columns of dense that may be non-zero
}

// MatMul computes c = a·b; see sparseEngine.
func (e *sparseEngine) MatMul(a, b, c tensor.Tensor) error {
	ad, aok := a.(*tensor.Dense)
	bd, bok := b.(*tensor.Dense)
	cd, cok := c.(*tensor.Dense)
	if !aok || !bok || !cok || !e.rowOf(ad) || !plain(bd) || !plain(cd) ||
		len(bd.Shape()) != 2 || bd.Shape()[0] != len(e.dense) || len(cd.Shape()) != 2 || cd.Shape()[0] != 1 || cd.Shape()[1] != bd.Shape()[1] {
		return e.StdEng.MatMul(a, b, c)
	}
	w, okW := bd.Data().([]float32)
	out, okC := cd.Data().([]float32)
	if !okW || !okC {
		return e.StdEng.MatMul(a, b, c)
	}
	n := len(out)
	clear(out)
	for _, i := range e.nz {
		v := e.dense[i]
		if v == 0 {
			continue
		}
		row := w[int(i)*n : int(i)*n+n]
		for j := range out {
			out[j] += v * row[j]
		}
	}
	return nil
}

// rowOf reports whether t is the one-row input whose values e knows.
func (e *sparseEngine) rowOf(t *tensor.Dense) bool {
	d, ok := t.Data().([]float32)
	return ok && plain(t) && len(t.Shape()) == 2 && t.Shape()[0] == 1 &&
		len(d) == len(e.dense) && len(d) > 0 && &d[0] == &e.dense[0]
}

// hasRepeats reports whether sorted s holds a value twice.
func hasRepeats(s []int32) bool {
	for i := 1; i < len(s); i++ {
		if s[i] == s[i-1] {
			return true
		}
	}
	return false
}

// plain reports whether t is a row-major float32 matrix read as stored
// (not a transposed or strided view).
func plain(t *tensor.Dense) bool {
	return t.Dtype() == tensor.Float32 && t.DataOrder().IsRowMajor() && !t.RequiresIterator() && !t.IsView()
}

// newInstance decodes an ONNX model for onnx-go and runs it once on a zero
// input so that the expression graph and the tape machine are built.
func newInstance(b []byte, in, out int) (*instance, error) {
	g := gorgonnx.NewGraph()
	m := onnx.NewModel(g)
	if err := m.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("onnx-go: %w", err)
	}
	n, ok := m.GetNodeByName(InputName)
	if !ok {
		return nil, fmt.Errorf("onnx-go: model has no input %q", InputName)
	}
	dc, ok := n.(onnx.DataCarrier)
	if !ok {
		return nil, errors.New("onnx-go: input node carries no data")
	}
	ins := &instance{graph: g, model: m, input: dc, in: in, out: out, dense: make([]float32, in)}
	ins.engine = &sparseEngine{dense: ins.dense}
	if _, err := ins.run(classify.Vector{}); err != nil {
		return nil, err
	}
	return ins, nil
}

// run computes the outputs of x. The dense input is built in the
// instance's own buffer and cleared again afterwards.
func (ins *instance) run(x classify.Vector) ([]float32, error) {
	for k, i := range x.Index {
		if int(i) < 0 || int(i) >= ins.in {
			return nil, fmt.Errorf("feature index %d out of range", i)
		}
		ins.dense[i] += x.Value[k]
	}
	defer func() {
		for _, i := range x.Index {
			ins.dense[i] = 0
		}
	}()
	opts := []tensor.ConsOpt{tensor.WithShape(1, ins.in), tensor.WithBacking(ins.dense)}
	// The sparse product needs each non-zero column once: indices in
	// ascending order, as classify.VectorOf writes them.
	if slices.IsSorted(x.Index) && !hasRepeats(x.Index) {
		ins.engine.nz = x.Index
		defer func() { ins.engine.nz = nil }()
		opts = append(opts, tensor.WithEngine(ins.engine))
	}
	t := tensor.New(opts...)
	if err := ins.input.SetTensor(t); err != nil {
		return nil, fmt.Errorf("onnx-go: set input: %w", err)
	}
	if err := ins.graph.Run(); err != nil {
		return nil, fmt.Errorf("onnx-go: run: %w", err)
	}
	outs, err := ins.model.GetOutputTensors()
	if err != nil {
		return nil, fmt.Errorf("onnx-go: outputs: %w", err)
	}
	if len(outs) != 1 || outs[0] == nil {
		return nil, errors.New("onnx-go: want one output tensor")
	}
	data, ok := outs[0].Data().([]float32)
	if !ok || len(data) != ins.out {
		return nil, fmt.Errorf("onnx-go: output is %T of %d values, want %d float32", outs[0].Data(), len(data), ins.out)
	}
	res := make([]float32, len(data))
	copy(res, data)
	return res, nil
}
