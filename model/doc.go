// Package model is the caption classifier: a small network over hashed
// character n-grams (see package classify), trained in plain Go, written
// as an ONNX file and run with onnx-go.
//
// The network is
//
//	scores = Sigmoid(Relu(features·W1 + B1)·W2 + B2)
//
// with two independent outputs, dehumanizing and offensive. Open builds a
// Classifier: it decodes the file, builds a pool of onnx-go instances one
// at a time (one instance must never be used by two goroutines at once),
// runs each on the self-check captions stored in the file and compares
// the outputs, and then serves Classify from the pool. Evidence spans are
// computed from the same weights in plain Go.
//
// The thresholds that turn scores into labels are chosen on dev splits at
// training time and stored in the file's metadata (see Thresholds).
package model
