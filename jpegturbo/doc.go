// Package jpegturbo decodes JPEG images with libjpeg-turbo, through cgo,
// optionally at 1/2, 1/4 or 1/8 of their size.
//
// It is built only with the build tag "turbo" (and cgo), and then needs
// libjpeg-turbo's TurboJPEG library and header (Debian: libturbojpeg0-dev):
//
//	go build -tags turbo ./...
//
// Without the tag, Available is false and Decode returns ErrUnavailable,
// so that callers compile either way and fall back to a pure-Go decoder.
//
// Colour images are decoded to RGB as libjpeg does by default (accurate
// integer inverse DCT, "fancy" chroma upsampling), the way the C++ PDQ
// reference and djpeg decode them, and returned as opaque *image.RGBA;
// greyscale images are returned as *image.Gray. CMYK and YCCK images, and
// any file libjpeg-turbo rejects or warns about (a truncated one, say),
// are handed to the pure-Go decoder of package jpegscale instead, so that
// they decode, or fail, as they do without libjpeg-turbo.
package jpegturbo

import "errors"

// MaxPixels is the largest image, in pixels at full size, that Decode
// accepts: the same as package imagefile's default limit.
const MaxPixels = 100_000_000

// ErrUnavailable is returned by Decode when the package was built without
// libjpeg-turbo (without the "turbo" build tag or without cgo).
var ErrUnavailable = errors.New("jpegturbo: built without libjpeg-turbo (build tag \"turbo\")")
