package model

import (
	"errors"
	"fmt"
	"github.com/medialabel/medialabel/classify"

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
	t := tensor.New(tensor.WithShape(1, ins.in), tensor.WithBacking(ins.dense))
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
