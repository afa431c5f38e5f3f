package model

import (
	"context"
	_ "embed"
)

// embeddedONNX is the shipped model, trained by `medialabel train --seed 1`.
//
//go:embed medialabel-caption.onnx
var embeddedONNX string

// Embedded returns a copy of the bytes of the shipped model.
func Embedded() []byte { return []byte(embeddedONNX) }

// OpenDefault opens the shipped model.
func OpenDefault(ctx context.Context, opts Options) (*Classifier, error) {
	return Open(ctx, Embedded(), opts)
}
