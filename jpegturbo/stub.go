//go:build !turbo || !cgo

package jpegturbo

import (
	"image"
	"io"
)

// Available reports whether the package was built with libjpeg-turbo.
const Available = false

// Decode returns ErrUnavailable: the package was built without
// libjpeg-turbo.
func Decode(r io.Reader, denom int) (image.Image, error) {
	return nil, ErrUnavailable
}

// DecodeBytes returns ErrUnavailable: the package was built without
// libjpeg-turbo.
func DecodeBytes(data []byte, denom int) (image.Image, error) {
	return nil, ErrUnavailable
}
