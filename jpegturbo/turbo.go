//go:build turbo && cgo

package jpegturbo

/*
#cgo LDFLAGS: -lturbojpeg
#include <stdlib.h>
#include <turbojpeg.h>
*/
import "C"

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"io"
	"unsafe"

	"github.com/medialabel/medialabel/internal/jpegscale"
)

// Available reports whether the package was built with libjpeg-turbo.
const Available = true

// maxSide is the largest width or height a JPEG can state.
const maxSide = 65535

// Decode reads a JPEG from r and decodes it at 1/denom of its size in each
// dimension, rounded up (denom is 1, 2, 4 or 8). libjpeg-turbo scales in
// its inverse DCT, so a reduced decode costs much less than a full one.
// Images of more than MaxPixels pixels (at full size) are refused before
// anything is allocated for them. CMYK and YCCK JPEGs, and files
// libjpeg-turbo fails or warns on, are decoded by jpegscale.Decode.
func Decode(r io.Reader, denom int) (image.Image, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("jpegturbo: reading: %w", err)
	}
	return DecodeBytes(data, denom)
}

// DecodeBytes is Decode on a JPEG held in memory.
func DecodeBytes(data []byte, denom int) (image.Image, error) {
	switch denom {
	case 1, 2, 4, 8:
	default:
		return nil, fmt.Errorf("jpegturbo: scale denominator %d, want 1, 2, 4 or 8", denom)
	}
	img, err := decode(data, denom)
	if err == errFallBack {
		return jpegscale.Decode(bytes.NewReader(data), denom)
	}
	return img, err
}

// errFallBack means the input is left to jpegscale.
var errFallBack = errors.New("jpegturbo: not decoded here")

// decode decodes data with libjpeg-turbo. It returns errFallBack for a
// colour space it does not convert and for any file libjpeg-turbo fails or
// warns on; it returns other errors only for sizes over the limits.
func decode(data []byte, denom int) (image.Image, error) {
	if len(data) == 0 {
		return nil, errFallBack
	}
	h := C.tjInitDecompress()
	if h == nil {
		return nil, errFallBack
	}
	defer C.tjDestroy(h)

	src := (*C.uchar)(unsafe.Pointer(&data[0]))
	size := C.ulong(len(data))
	var w, ht, subsamp, colorspace C.int
	if C.tjDecompressHeader3(h, src, size, &w, &ht, &subsamp, &colorspace) != 0 {
		return nil, errFallBack
	}
	if w <= 0 || ht <= 0 || w > maxSide || ht > maxSide {
		return nil, errFallBack
	}
	if int64(w)*int64(ht) > MaxPixels {
		return nil, fmt.Errorf("jpegturbo: %dx%d is over the limit of %d pixels", w, ht, MaxPixels)
	}
	sw, sh := (int(w)+denom-1)/denom, (int(ht)+denom-1)/denom

	var (
		img   image.Image
		pix   []byte
		pitch int
		pf    C.int
	)
	switch colorspace {
	case C.TJCS_GRAY:
		m := image.NewGray(image.Rect(0, 0, sw, sh))
		img, pix, pitch, pf = m, m.Pix, m.Stride, C.TJPF_GRAY
	case C.TJCS_RGB, C.TJCS_YCbCr:
		m := image.NewRGBA(image.Rect(0, 0, sw, sh))
		img, pix, pitch, pf = m, m.Pix, m.Stride, C.TJPF_RGBA
	default:
		return nil, errFallBack
	}
	// TJFLAG_LIMITSCANS refuses progressive JPEGs with an absurd number of
	// scans, which would take unbounded time.
	flags := C.int(C.TJFLAG_ACCURATEDCT | C.TJFLAG_LIMITSCANS)
	if C.tjDecompress2(h, src, size, (*C.uchar)(unsafe.Pointer(&pix[0])), C.int(sw), C.int(pitch), C.int(sh), pf, flags) != 0 {
		return nil, errFallBack
	}
	return img, nil
}
