// Package fingerprint computes every requested signal of an image from one
// read of its bytes and one decode of its pixels: PDQ (with its quality
// and, optionally, its seven rotations and mirrors), the 64-bit goimagehash
// hashes phash, dhash and ahash, and the MD5 and SHA-256 of the bytes.
//
// Images are decoded by package imagefile, with its limits and its choices:
// no EXIF orientation, alpha ignored. PDQ is computed on the full-resolution
// pixels, as ThreatExchange and HMA compute it; JPEGs are decoded with
// libjpeg-turbo's samples, bit for bit, as the PDQ reference decodes them,
// so hashes equal the reference's. Options.Fast trades a few bits of that
// agreement for a several times cheaper decode of large JPEGs.
package fingerprint

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"image"
	"io"
	"os"

	"github.com/corona10/goimagehash"

	"github.com/medialabel/medialabel"
	"github.com/medialabel/medialabel/imagefile"
	"github.com/medialabel/medialabel/pdq"
)

// DefaultSignals returns the signals computed when none are asked for:
// pdq, phash and md5.
func DefaultSignals() []medialabel.Signal {
	return []medialabel.Signal{medialabel.PDQ, medialabel.PHash, medialabel.MD5}
}

// Options say what a Hasher computes and within which limits.
type Options struct {
	// Signals lists the signals to compute, in the order the
	// fingerprint's Hashes will hold them. Empty means DefaultSignals.
	Signals []medialabel.Signal
	// Dihedral adds the PDQ hashes of the seven rotations and mirrors of
	// the picture (Fingerprint.Dihedral). It needs PDQ among the signals.
	Dihedral bool
	// Decoder sets the size limits and the JPEG decoder (see
	// imagefile.Decoder; the zero value has the defaults).
	Decoder imagefile.Decoder
	// Fast decodes large JPEGs at reduced scale: at the largest of 1/2,
	// 1/4 and 1/8 of their size that keeps both sides at least
	// FastMinSide pixels (unless Decoder.JPEGMinSide says otherwise),
	// which costs a fraction of a full decode. PDQ is computed on the
	// reduced picture; pHash, dHash and aHash on a copy of it halved by
	// averaging when both its sides stay at least 256 pixels (their
	// resize to a few dozen pixels then reads a quarter of the pixels).
	// The hashes differ a little from full-resolution ones: PDQ by at
	// most FastPDQBound bits and pHash by at most FastPHashBound bits on
	// the repository's 63 test JPEGs. PDQ of other formats, and of JPEGs
	// too small to reduce, is as without Fast.
	Fast bool
}

// The fast mode's rule and its measured bounds (see Options.Fast).
const (
	// FastMinSide is the shortest side a JPEG is reduced to in fast mode.
	FastMinSide = 512
	// FastPDQBound is the largest PDQ distance between the fast and
	// the full-resolution hash measured on the test JPEGs.
	FastPDQBound = 12
	// FastPHashBound is the largest pHash distance between the fast and
	// the full-resolution hash measured on the test JPEGs.
	FastPHashBound = 2
)

// A Hasher computes fingerprints. It owns working buffers (the PDQ
// hasher's, the read buffer) that it reuses from one image to the next, so
// it is not safe for concurrent use: use one Hasher per goroutine.
type Hasher struct {
	opts    Options
	pdq     *pdq.Hasher
	buf     []byte
	pixels  bool // some signal needs decoded pixels
	md5     hash.Hash
	sha256  hash.Hash
	hashers []io.Writer
}

// maxKeptBuffer is the largest read buffer a Hasher keeps between images.
const maxKeptBuffer = 16 << 20

// New returns a Hasher for opts. It returns an error if a signal is unknown
// or repeated, or if Dihedral is asked for without PDQ.
func New(opts Options) (*Hasher, error) {
	if len(opts.Signals) == 0 {
		opts.Signals = DefaultSignals()
	}
	opts.Signals = append([]medialabel.Signal(nil), opts.Signals...)
	if opts.Fast && opts.Decoder.JPEGMinSide == 0 {
		opts.Decoder.JPEGMinSide = FastMinSide
	}
	h := &Hasher{opts: opts}
	seen := make(map[medialabel.Signal]bool)
	for _, s := range opts.Signals {
		if seen[s] {
			return nil, fmt.Errorf("signal %q asked for twice", s)
		}
		seen[s] = true
		switch s {
		case medialabel.PDQ:
			h.pdq = pdq.NewHasher()
			h.pixels = true
		case medialabel.PHash, medialabel.DHash, medialabel.AHash:
			h.pixels = true
		case medialabel.MD5:
			h.md5 = md5.New()
			h.hashers = append(h.hashers, h.md5)
		case medialabel.SHA256:
			h.sha256 = sha256.New()
			h.hashers = append(h.hashers, h.sha256)
		default:
			return nil, fmt.Errorf("unknown signal %q (known: pdq, phash, dhash, ahash, md5, sha256)", s)
		}
	}
	if opts.Dihedral && h.pdq == nil {
		return nil, fmt.Errorf("dihedral hashes need the pdq signal")
	}
	return h, nil
}

// Signals returns the signals the Hasher computes, in order.
func (h *Hasher) Signals() []medialabel.Signal {
	return append([]medialabel.Signal(nil), h.opts.Signals...)
}

// HashFile fingerprints the image file at path. A file over the byte limit
// is refused before it is read.
func (h *Hasher) HashFile(ctx context.Context, path string) (medialabel.Fingerprint, error) {
	if err := ctx.Err(); err != nil {
		return medialabel.Fingerprint{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return medialabel.Fingerprint{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return medialabel.Fingerprint{}, err
	}
	if st.IsDir() {
		return medialabel.Fingerprint{}, fmt.Errorf("%s is a directory", path)
	}
	if st.Mode().IsRegular() {
		limit := h.opts.Decoder.Limit()
		if st.Size() > limit {
			return medialabel.Fingerprint{}, &imagefile.Error{Kind: imagefile.ErrTooLarge, Detail: fmt.Sprintf("%d bytes, limit %d", st.Size(), limit)}
		}
		// Room for the whole file and the read that finds its end, so
		// that reading does not grow (and copy) the buffer.
		if need := int(st.Size()) + bytes.MinRead; cap(h.buf) < need {
			h.buf = make([]byte, 0, need)
		}
	}
	return h.HashReader(ctx, f)
}

// HashReader fingerprints the image read from r. The bytes are hashed
// (md5, sha256) as they are read, and read once, up to the byte limit.
func (h *Hasher) HashReader(ctx context.Context, r io.Reader) (medialabel.Fingerprint, error) {
	if err := ctx.Err(); err != nil {
		return medialabel.Fingerprint{}, err
	}
	for _, w := range h.hashers {
		w.(hash.Hash).Reset()
	}
	if len(h.hashers) > 0 {
		r = io.TeeReader(r, io.MultiWriter(h.hashers...))
	}
	data, err := h.opts.Decoder.ReadAll(r, h.buf[:0])
	if cap(data) <= maxKeptBuffer {
		h.buf = data[:0]
	} else {
		h.buf = nil
	}
	if err != nil {
		return medialabel.Fingerprint{}, err
	}
	return h.hashBytes(ctx, data)
}

// HashBytes fingerprints the image file held in data.
func (h *Hasher) HashBytes(ctx context.Context, data []byte) (medialabel.Fingerprint, error) {
	if err := ctx.Err(); err != nil {
		return medialabel.Fingerprint{}, err
	}
	if int64(len(data)) > h.opts.Decoder.Limit() {
		return medialabel.Fingerprint{}, &imagefile.Error{Kind: imagefile.ErrTooLarge, Detail: fmt.Sprintf("%d bytes, limit %d", len(data), h.opts.Decoder.Limit())}
	}
	for _, w := range h.hashers {
		w.(hash.Hash).Reset()
		w.Write(data)
	}
	return h.hashBytes(ctx, data)
}

// hashBytes decodes data and computes the signals; the byte hashers have
// already seen data.
func (h *Hasher) hashBytes(ctx context.Context, data []byte) (medialabel.Fingerprint, error) {
	if !h.pixels {
		// Only byte signals: the header is enough to check the file is an
		// image and to give its format and size.
		cfg, err := h.opts.Decoder.DecodeConfig(data)
		if err != nil {
			return medialabel.Fingerprint{}, err
		}
		fp := medialabel.Fingerprint{Format: cfg.Format, Width: cfg.Width, Height: cfg.Height}
		if err := h.compute(ctx, &fp, nil); err != nil {
			return medialabel.Fingerprint{}, err
		}
		return fp, nil
	}
	im, err := h.opts.Decoder.DecodeBytes(data)
	if err != nil {
		return medialabel.Fingerprint{}, err
	}
	return h.hashDecoded(ctx, im)
}

// Decode decodes the image file held in data as the Hasher does (with its
// limits, its JPEG decoder and, in fast mode, its reduced scale), for
// HashDecoded.
func (h *Hasher) Decode(data []byte) (*imagefile.Image, error) {
	return h.opts.Decoder.DecodeBytes(data)
}

// HashDecoded fingerprints the image file held in data, which Decode has
// already turned into im, so that one decode serves both the fingerprint
// and other uses of the pixels (regions, thumbnails).
func (h *Hasher) HashDecoded(ctx context.Context, data []byte, im *imagefile.Image) (medialabel.Fingerprint, error) {
	if err := ctx.Err(); err != nil {
		return medialabel.Fingerprint{}, err
	}
	for _, w := range h.hashers {
		w.(hash.Hash).Reset()
		w.Write(data)
	}
	return h.hashDecoded(ctx, im)
}

// hashDecoded computes the signals of im; the byte hashers have already
// seen its file's bytes.
func (h *Hasher) hashDecoded(ctx context.Context, im *imagefile.Image) (medialabel.Fingerprint, error) {
	fp := medialabel.Fingerprint{Format: im.Format, Width: im.Width, Height: im.Height}
	if err := h.compute(ctx, &fp, im.Image); err != nil {
		return medialabel.Fingerprint{}, err
	}
	return fp, nil
}

// HashImage fingerprints a decoded picture, such as a region cut out of a
// larger one. There are no file bytes, so md5 and sha256 are left out of
// the result even if asked for; Format is empty and Width and Height are
// the picture's bounds.
func (h *Hasher) HashImage(ctx context.Context, img image.Image) (medialabel.Fingerprint, error) {
	if err := ctx.Err(); err != nil {
		return medialabel.Fingerprint{}, err
	}
	b := img.Bounds()
	if b.Empty() {
		return medialabel.Fingerprint{}, fmt.Errorf("empty picture %v", b)
	}
	fp := medialabel.Fingerprint{Width: b.Dx(), Height: b.Dy()}
	if err := h.compute(ctx, &fp, img); err != nil {
		return medialabel.Fingerprint{}, err
	}
	return fp, nil
}

// compute fills fp.Hashes in the requested order. img is nil when only
// byte signals were asked for; the byte hashers hold the bytes' sums
// unless img came without bytes (HashImage), when they are skipped.
func (h *Hasher) compute(ctx context.Context, fp *medialabel.Fingerprint, img image.Image) error {
	haveBytes := fp.Format != ""
	fp.Hashes = make([]medialabel.Hash, 0, len(h.opts.Signals))
	small := img // for pHash, dHash and aHash
	if h.opts.Fast && img != nil {
		if b := img.Bounds(); b.Dx()/2 >= fastHashMinSide && b.Dy()/2 >= fastHashMinSide {
			small = halve(img)
		}
	}
	for _, s := range h.opts.Signals {
		if err := ctx.Err(); err != nil {
			return err
		}
		var v []byte
		switch s {
		case medialabel.PDQ:
			v = h.computePDQ(fp, img)
		case medialabel.PHash, medialabel.DHash, medialabel.AHash:
			x, err := imageHash(s, small)
			if err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
			v = binary.BigEndian.AppendUint64(nil, x)
		case medialabel.MD5:
			if !haveBytes {
				continue
			}
			v = h.md5.Sum(nil)
		case medialabel.SHA256:
			if !haveBytes {
				continue
			}
			v = h.sha256.Sum(nil)
		}
		fp.Hashes = append(fp.Hashes, medialabel.Hash{Signal: s, Value: v})
	}
	return nil
}

func (h *Hasher) computePDQ(fp *medialabel.Fingerprint, img image.Image) []byte {
	if !h.opts.Dihedral {
		hash, q := h.pdq.HashImage(img)
		fp.PDQQuality = q
		return hash[:]
	}
	dih, q := h.pdq.HashImageDihedral(img)
	fp.PDQQuality = q
	fp.Dihedral = make(map[medialabel.Transform]medialabel.Hash, len(medialabel.AllTransforms())-1)
	for i, t := range medialabel.AllTransforms() {
		if t == medialabel.Original {
			continue
		}
		fp.Dihedral[t] = medialabel.Hash{Signal: medialabel.PDQ, Value: append([]byte(nil), dih[i][:]...)}
	}
	return append([]byte(nil), dih[pdq.Original][:]...)
}

// imageHash computes one of goimagehash's 64-bit hashes.
func imageHash(s medialabel.Signal, img image.Image) (uint64, error) {
	var (
		ih  *goimagehash.ImageHash
		err error
	)
	switch s {
	case medialabel.PHash:
		ih, err = goimagehash.PerceptionHash(img)
	case medialabel.DHash:
		ih, err = goimagehash.DifferenceHash(img)
	case medialabel.AHash:
		ih, err = goimagehash.AverageHash(img)
	}
	if err != nil {
		return 0, err
	}
	return ih.GetHash(), nil
}

// fastHashMinSide is the shortest side the fast mode halves a picture to
// before goimagehash's hashes (see halve).
const fastHashMinSide = 256
