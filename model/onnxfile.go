package model

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sort"

	"google.golang.org/protobuf/encoding/protowire"
)

// The ONNX file is written and read by hand for the small subset of
// onnx.proto the caption network needs: ModelProto, GraphProto, NodeProto,
// AttributeProto, TensorProto (raw_data), ValueInfoProto and TypeProto.
// Field numbers are those of onnx/onnx.proto.

// ONNX graph names: the input, the output and the initializers.
const (
	InputName  = "features"
	OutputName = "scores"

	irVersion    = 7
	opsetVersion = 13
	onnxFloat    = 1 // TensorProto.DataType FLOAT
)

// Field numbers of onnx.proto.
const (
	modelIRVersion     = 1
	modelProducerName  = 2
	modelProducerVer   = 3
	modelDocString     = 6
	modelGraph         = 7
	modelOpsetImport   = 8
	modelMetadataProps = 14

	opsetDomain   = 1
	opsetVersionF = 2

	entryKey   = 1
	entryValue = 2

	graphNode        = 1
	graphName        = 2
	graphInitializer = 5
	graphInput       = 11
	graphOutput      = 12

	nodeInput     = 1
	nodeOutput    = 2
	nodeName      = 3
	nodeOpType    = 4
	nodeAttribute = 5

	attrName = 1
	attrI    = 3
	attrType = 20
	attrInt  = 2 // AttributeProto.AttributeType INT

	tensorDims     = 1
	tensorDataType = 2
	tensorName     = 8
	tensorRawData  = 9

	valueName = 1
	valueType = 2

	typeTensor     = 1
	tensorElemType = 1
	tensorShape    = 2
	shapeDim       = 1
	dimValue       = 1
)

// File is a decoded caption model: the network and its metadata.
type File struct {
	Net      *Net
	Metadata map[string]string
}

// EncodeONNX writes net as an ONNX model (IR 7, opset 13):
//
//	scores = Sigmoid(Relu(features·W1 + B1)·W2 + B2)
//
// with features a dense [1, In] float32 input. metadata goes into
// metadata_props, sorted by key so that the bytes are deterministic.
func EncodeONNX(net *Net, metadata map[string]string) ([]byte, error) {
	if err := net.validate(); err != nil {
		return nil, fmt.Errorf("encode onnx: %w", err)
	}
	var g []byte
	g = appendString(g, graphName, "medialabel_caption")
	nodes := []struct {
		op, name string
		in       []string
		out      string
	}{
		{"MatMul", "matmul1", []string{InputName, "W1"}, "h_mm"},
		{"Add", "add1", []string{"h_mm", "B1"}, "h_pre"},
		{"Relu", "relu1", []string{"h_pre"}, "h"},
		{"MatMul", "matmul2", []string{"h", "W2"}, "o_mm"},
		{"Add", "add2", []string{"o_mm", "B2"}, "logits"},
		{"Sigmoid", "sigmoid", []string{"logits"}, OutputName},
	}
	for _, n := range nodes {
		var b []byte
		for _, in := range n.in {
			b = appendString(b, nodeInput, in)
		}
		b = appendString(b, nodeOutput, n.out)
		b = appendString(b, nodeName, n.name)
		b = appendString(b, nodeOpType, n.op)
		g = appendBytes(g, graphNode, b)
	}
	inits := []struct {
		name string
		dims []int
		data []float32
	}{
		{"W1", []int{net.In, net.Hidden}, net.W1},
		{"B1", []int{net.Hidden}, net.B1},
		{"W2", []int{net.Hidden, net.Outputs}, net.W2},
		{"B2", []int{net.Outputs}, net.B2},
	}
	for _, t := range inits {
		g = appendBytes(g, graphInitializer, encodeTensor(t.name, t.dims, t.data))
	}
	g = appendBytes(g, graphInput, encodeValueInfo(InputName, []int{1, net.In}))
	g = appendBytes(g, graphOutput, encodeValueInfo(OutputName, []int{1, net.Outputs}))

	var m []byte
	m = protowire.AppendTag(m, modelIRVersion, protowire.VarintType)
	m = protowire.AppendVarint(m, irVersion)
	m = appendString(m, modelProducerName, "medialabel")
	m = appendString(m, modelProducerVer, "1")
	m = appendString(m, modelDocString, "medialabel caption classifier: hashed character n-grams, one hidden layer, sigmoid outputs [dehumanizing, offensive]")
	m = appendBytes(m, modelGraph, g)
	var op []byte
	op = appendString(op, opsetDomain, "")
	op = protowire.AppendTag(op, opsetVersionF, protowire.VarintType)
	op = protowire.AppendVarint(op, opsetVersion)
	m = appendBytes(m, modelOpsetImport, op)
	keys := make([]string, 0, len(metadata))
	for k := range metadata {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var e []byte
		e = appendString(e, entryKey, k)
		e = appendString(e, entryValue, metadata[k])
		m = appendBytes(m, modelMetadataProps, e)
	}
	return m, nil
}

func appendString(b []byte, num protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendBytes(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func encodeTensor(name string, dims []int, data []float32) []byte {
	var b []byte
	var packed []byte
	for _, d := range dims {
		packed = protowire.AppendVarint(packed, uint64(d))
	}
	b = appendBytes(b, tensorDims, packed)
	b = protowire.AppendTag(b, tensorDataType, protowire.VarintType)
	b = protowire.AppendVarint(b, onnxFloat)
	b = appendString(b, tensorName, name)
	raw := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	return appendBytes(b, tensorRawData, raw)
}

func encodeValueInfo(name string, dims []int) []byte {
	var shape []byte
	for _, d := range dims {
		var dim []byte
		dim = protowire.AppendTag(dim, dimValue, protowire.VarintType)
		dim = protowire.AppendVarint(dim, uint64(d))
		shape = appendBytes(shape, shapeDim, dim)
	}
	var tt []byte
	tt = protowire.AppendTag(tt, tensorElemType, protowire.VarintType)
	tt = protowire.AppendVarint(tt, onnxFloat)
	tt = appendBytes(tt, tensorShape, shape)
	var typ []byte
	typ = appendBytes(typ, typeTensor, tt)
	var b []byte
	b = appendString(b, valueName, name)
	return appendBytes(b, valueType, typ)
}

// maxTensorValues bounds what DecodeONNX accepts for one tensor (64 Mi
// values, 256 MiB), so that a hostile file cannot ask for unbounded memory.
const maxTensorValues = 64 << 20

// DecodeONNX reads the network weights and metadata back from an ONNX file
// written by EncodeONNX. It checks the initializer shapes but not the
// graph's nodes; onnx-go reads those.
func DecodeONNX(b []byte) (*File, error) {
	f := &File{Metadata: map[string]string{}}
	tensors := map[string]decodedTensor{}
	err := walk(b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		switch {
		case num == modelGraph && typ == protowire.BytesType:
			return walk(v, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
				if num != graphInitializer || typ != protowire.BytesType {
					return nil
				}
				t, err := decodeTensor(v)
				if err != nil {
					return err
				}
				tensors[t.name] = t
				return nil
			})
		case num == modelMetadataProps && typ == protowire.BytesType:
			var k, val string
			err := walk(v, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
				if typ == protowire.BytesType {
					switch num {
					case entryKey:
						k = string(v)
					case entryValue:
						val = string(v)
					}
				}
				return nil
			})
			f.Metadata[k] = val
			return err
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("decode onnx: %w", err)
	}
	w1, ok1 := tensors["W1"]
	w2, ok2 := tensors["W2"]
	b1, ok3 := tensors["B1"]
	b2, ok4 := tensors["B2"]
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return nil, errors.New("decode onnx: missing initializer W1, B1, W2 or B2")
	}
	if len(w1.dims) != 2 || len(w2.dims) != 2 {
		return nil, errors.New("decode onnx: W1 and W2 must be matrices")
	}
	net := &Net{In: w1.dims[0], Hidden: w1.dims[1], Outputs: w2.dims[1],
		W1: w1.data, B1: b1.data, W2: w2.data, B2: b2.data}
	if w2.dims[0] != net.Hidden {
		return nil, fmt.Errorf("decode onnx: W2 has %d rows, want %d", w2.dims[0], net.Hidden)
	}
	if err := net.validate(); err != nil {
		return nil, fmt.Errorf("decode onnx: %w", err)
	}
	f.Net = net
	return f, nil
}

type decodedTensor struct {
	name string
	dims []int
	data []float32
}

func decodeTensor(b []byte) (decodedTensor, error) {
	var t decodedTensor
	var raw []byte
	dtype := uint64(0)
	err := walk(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch num {
		case tensorDims:
			if typ == protowire.VarintType {
				t.dims = append(t.dims, int(min(x, math.MaxInt32)))
				return nil
			}
			if typ != protowire.BytesType {
				return errors.New("bad dims field")
			}
			for len(v) > 0 {
				d, n := protowire.ConsumeVarint(v)
				if n < 0 {
					return protowire.ParseError(n)
				}
				t.dims = append(t.dims, int(min(d, math.MaxInt32)))
				v = v[n:]
			}
		case tensorDataType:
			dtype = x
		case tensorName:
			t.name = string(v)
		case tensorRawData:
			raw = v
		}
		return nil
	})
	if err != nil {
		return t, err
	}
	if dtype != onnxFloat {
		return t, fmt.Errorf("tensor %q: data type %d, want float", t.name, dtype)
	}
	n := 1
	for _, d := range t.dims {
		if d <= 0 || n > maxTensorValues/d {
			return t, fmt.Errorf("tensor %q: bad dims %v", t.name, t.dims)
		}
		n *= d
	}
	if len(raw) != 4*n {
		return t, fmt.Errorf("tensor %q: %d raw bytes, want %d", t.name, len(raw), 4*n)
	}
	t.data = make([]float32, n)
	for i := range t.data {
		t.data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return t, nil
}

// walk calls fn for every field of the message b: v holds the bytes of a
// length-delimited field, x the value of a varint or fixed field.
func walk(b []byte, fn func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		var v []byte
		var x uint64
		switch typ {
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var y uint32
			y, n = protowire.ConsumeFixed32(b)
			x = uint64(y)
		case protowire.Fixed64Type:
			x, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if err := fn(num, typ, v, x); err != nil {
			return err
		}
	}
	return nil
}
