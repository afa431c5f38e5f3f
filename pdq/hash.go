// Package pdq computes Meta's PDQ perceptual image hash, bit for bit as
// the C++ reference in facebook/ThreatExchange (pdq/cpp) computes it from
// the same pixels.
//
// PDQ turns an image into float32 luma, blurs it with a two-pass Jarosz
// (tent) filter whose window follows the image size, keeps a 64x64 grid of
// samples, takes the 16x16 lowest frequencies of its DCT (without the DC
// row and column) and sets one bit per coefficient that is above their
// median. A quality score of 0-100 measures how much gradient the 64x64
// image holds; ThreatExchange suggests discarding hashes with quality
// below 50. Two hashes within a Hamming distance of 31 or less are
// conventionally taken as a match.
//
// The hash is computed on the pixels as given, at full resolution, as
// ThreatExchange's Python and Java implementations (and so HMA) do. The
// C++ command-line hasher first shrinks any image with a side over 512 to
// 512x512 by nearest neighbour; that changes a few bits (0-10 on the
// reference images). Every float operation follows the C++ order, and
// products are rounded to float32 before they are added, so the result
// does not depend on whether the platform fuses multiply-adds.
//
// The hash depends on the decoder that made the pixels. Fed libjpeg-turbo's
// decode of a JPEG (package jpegturbo), it equals the C++ reference's
// full-resolution hash bit for bit; fed image/jpeg's, which upsamples
// chroma without interpolation, it differs by 0-4 bits on the repository's
// photos. Fed a JPEG decoded at reduced scale (packages jpegscale and
// jpegturbo), it moves further: on the 63 JPEGs of the repository's test
// data, decoding at the largest of 1/2, 1/4 and 1/8 that keeps both sides
// at least 512 pixels moved the hash by at most 12 bits (median 4); at
// least 256 pixels, by at most 16 (median 4); unrelated photos are 90 or
// more apart. Run "go run ./pdq/internal/speedcheck -distances DIR" for the
// table.
package pdq

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/bits"
)

// Hash is a 256-bit PDQ hash. The bytes are in the order the hex form
// reads: the hash is a big-endian 256-bit integer whose bit k (k = 16*i+j)
// is set when DCT coefficient (i, j) is above the median. In the
// reference's terms, byte 0 is the high byte of word w[15] and byte 31 the
// low byte of w[0], and bit k is bit k&15 of w[k>>4].
type Hash [32]byte

// Bit reports whether bit k (0-255, coefficient row k/16, column k%16) of
// the hash is set.
func (h Hash) Bit(k int) bool {
	return h[31-k/8]&(1<<(k%8)) != 0
}

func (h *Hash) setBit(k int) {
	h[31-k/8] |= 1 << (k % 8)
}

// String returns the hash as 64 lowercase hex digits, the ThreatExchange
// HASH_PDQ text form.
func (h Hash) String() string {
	return hex.EncodeToString(h[:])
}

// ParseHash parses 64 hex digits (either case) into a hash.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 2*len(h) {
		return Hash{}, fmt.Errorf("pdq hash %q: want 64 hex digits, got %d characters", truncate(s, 80), len(s))
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return Hash{}, fmt.Errorf("pdq hash %q: %w", truncate(s, 80), err)
	}
	return h, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// Words returns the hash as four 64-bit words, in the order the hex form
// reads: Words()[0] is the first 16 hex digits, taken as a big-endian
// number, and Words()[3] the last 16. Bit k of the hash (coefficient
// k/16, k%16) is therefore bit k%64 of Words()[3-k/64]. FromWords is the
// inverse.
func (h Hash) Words() [4]uint64 {
	return [4]uint64{
		binary.BigEndian.Uint64(h[0:8]),
		binary.BigEndian.Uint64(h[8:16]),
		binary.BigEndian.Uint64(h[16:24]),
		binary.BigEndian.Uint64(h[24:32]),
	}
}

// FromWords returns the hash whose Words are w.
func FromWords(w [4]uint64) Hash {
	var h Hash
	for i, x := range w {
		binary.BigEndian.PutUint64(h[8*i:], x)
	}
	return h
}

// Distance returns the Hamming distance between two hashes: the number of
// bits in which they differ, 0-256.
func Distance(a, b Hash) int {
	wa, wb := a.Words(), b.Words()
	return bits.OnesCount64(wa[0]^wb[0]) + bits.OnesCount64(wa[1]^wb[1]) +
		bits.OnesCount64(wa[2]^wb[2]) + bits.OnesCount64(wa[3]^wb[3])
}

// Dihedral holds the hashes of the eight rotations and mirror images of a
// picture, in the reference's order: original, rotate90, rotate180,
// rotate270, flipx, flipy, flipplus1, flipminus1 (the order of
// medialabel.AllTransforms()). Element i is the hash the picture would have
// after that transform, derived from the one DCT by sign changes and
// transposition, as the reference does.
type Dihedral [8]Hash

// Indices into a Dihedral.
const (
	Original = iota
	Rotate90
	Rotate180
	Rotate270
	FlipX
	FlipY
	FlipPlus1
	FlipMinus1
)
