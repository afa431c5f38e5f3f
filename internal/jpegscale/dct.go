// Copyright 2025 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package jpegscale

// A block is an 8x8 block of DCT coefficients, in natural (row-major)
// order once decoded. The reduced inverse DCTs leave their output in it
// (idctreduced.go); the full-size inverse DCT writes straight to the
// image (idctIslow, libjpeg.go).
type block [blockSize]int32

const blockSize = 8 * 8
