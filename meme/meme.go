// Package meme prepares pictures for matching against banks of known
// memes. A meme rarely travels as the original file: it gains a caption
// bar, a border or an app frame, is set beside another picture, or is
// cropped. So a query is the fingerprint of the whole picture plus the PDQ
// hashes of the regions where the original may hide (package regions),
// and a bank entry keeps, besides its signals, the PDQ hashes of crops of
// its picture and a thumbnail for the moderators' page.
//
// Everything is computed from one decode of the file.
package meme

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"

	"github.com/disintegration/imaging"

	"github.com/medialabel/medialabel"
	"github.com/medialabel/medialabel/fingerprint"
	"github.com/medialabel/medialabel/imagefile"
	"github.com/medialabel/medialabel/matcher"
	"github.com/medialabel/medialabel/regions"
)

// ThumbnailSide is the longer side of an entry's JPEG thumbnail.
const ThumbnailSide = 256

// MinRegionQuality is the PDQ quality below which a crop of a bank picture
// is not stored: a nearly flat crop (sky, a plain background) would match
// any other flat picture.
const MinRegionQuality = 50

// Options say what a Hasher computes.
type Options struct {
	// Signals of the whole picture, in order; empty means
	// fingerprint.DefaultSignals.
	Signals []medialabel.Signal
	// Dihedral adds the PDQ rotations and mirrors of a query.
	Dihedral bool
	// Regions adds the PDQ hashes of a query's regions and of an entry's
	// crops. It needs PDQ among the signals.
	Regions bool
	// Decoder sets the size limits and the JPEG decoder.
	Decoder imagefile.Decoder
	// Fast decodes large JPEGs at reduced scale (fingerprint.Options.Fast).
	Fast bool
}

// A Hasher turns image files into queries and bank entries. It reuses
// working buffers and is not safe for concurrent use: use one per
// goroutine.
type Hasher struct {
	whole  *fingerprint.Hasher
	region *fingerprint.Hasher // nil: no regions
}

// New returns a Hasher for opts.
func New(opts Options) (*Hasher, error) {
	whole, err := fingerprint.New(fingerprint.Options{
		Signals: opts.Signals, Dihedral: opts.Dihedral, Decoder: opts.Decoder, Fast: opts.Fast})
	if err != nil {
		return nil, err
	}
	h := &Hasher{whole: whole}
	if opts.Regions {
		hasPDQ := false
		for _, s := range whole.Signals() {
			hasPDQ = hasPDQ || s == medialabel.PDQ
		}
		if !hasPDQ {
			return nil, fmt.Errorf("region hashes need the pdq signal")
		}
		if h.region, err = fingerprint.New(fingerprint.Options{Signals: []medialabel.Signal{medialabel.PDQ}}); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// A Query is a picture as the matcher looks it up, with its fingerprint.
type Query struct {
	Fingerprint medialabel.Fingerprint
	Query       matcher.Query
}

// Query fingerprints the image file held in data and finds its candidate
// regions. The result's Query carries hashes, rotations and regions; the
// caller adds thresholds and banks.
func (h *Hasher) Query(ctx context.Context, data []byte) (Query, error) {
	if h.region == nil {
		fp, err := h.whole.HashBytes(ctx, data)
		if err != nil {
			return Query{}, err
		}
		return Query{Fingerprint: fp, Query: matcher.Query{Hashes: fp.Hashes, Dihedral: fp.Dihedral}}, nil
	}
	im, err := h.whole.Decode(data)
	if err != nil {
		return Query{}, err
	}
	fp, err := h.whole.HashDecoded(ctx, data, im)
	if err != nil {
		return Query{}, err
	}
	q := Query{Fingerprint: fp, Query: matcher.Query{Hashes: fp.Hashes, Dihedral: fp.Dihedral}}
	for _, r := range FindRegions(im.Image) {
		rh, _, err := h.regionPDQ(ctx, im.Image, r)
		if err != nil {
			return Query{}, err
		}
		q.Query.Regions = append(q.Query.Regions, matcher.Region{Name: r.Name, Hashes: []medialabel.Hash{rh}})
	}
	return q, nil
}

// Entry fingerprints the image file held in data as a new bank entry: its
// signals, the PDQ hashes of its crops and regions of quality at least
// MinRegionQuality (when the Hasher has regions), and a thumbnail. It also
// returns the picture's PDQ quality (-1 without PDQ). The caller fills in
// the label, note and source.
func (h *Hasher) Entry(ctx context.Context, data []byte) (medialabel.Entry, int, error) {
	im, err := h.whole.Decode(data)
	if err != nil {
		return medialabel.Entry{}, 0, err
	}
	fp, err := h.whole.HashDecoded(ctx, data, im)
	if err != nil {
		return medialabel.Entry{}, 0, err
	}
	quality := -1
	if _, ok := fp.Hash(medialabel.PDQ); ok {
		quality = fp.PDQQuality
	}
	e := medialabel.Entry{Hashes: fp.Hashes}
	if h.region != nil {
		for _, r := range regions.Bank(im.Image) {
			rh, q, err := h.regionPDQ(ctx, im.Image, r)
			if err != nil {
				return medialabel.Entry{}, 0, err
			}
			if q >= MinRegionQuality {
				e.Regions = append(e.Regions, medialabel.RegionHash{Region: r.Name, Hash: rh})
			}
		}
	}
	if e.Thumbnail, err = Thumbnail(im.Image); err != nil {
		return medialabel.Entry{}, 0, err
	}
	return e, quality, nil
}

// regionPDQ is the PDQ hash and quality of region r of img.
func (h *Hasher) regionPDQ(ctx context.Context, img image.Image, r regions.Region) (medialabel.Hash, int, error) {
	fp, err := h.region.HashImage(ctx, imaging.Crop(img, r.Rect))
	if err != nil {
		return medialabel.Hash{}, 0, fmt.Errorf("region %s: %w", r.Name, err)
	}
	ph, ok := fp.Hash(medialabel.PDQ)
	if !ok {
		return medialabel.Hash{}, 0, fmt.Errorf("region %s: no PDQ hash", r.Name)
	}
	return ph, fp.PDQQuality, nil
}

// FindRegions is regions.Find on a copy of img shrunk with a box filter to
// regions.MaxSide, with the rectangles mapped back to img. Find analyses
// such a copy anyway; making it here with imaging's box filter is several
// times faster than Find's own shrinking of a large picture.
func FindRegions(img image.Image) []regions.Region {
	b := img.Bounds()
	if b.Dx() <= regions.MaxSide && b.Dy() <= regions.MaxSide {
		return regions.Find(img)
	}
	small := imaging.Fit(img, regions.MaxSide, regions.MaxSide, imaging.Box)
	sb := small.Bounds()
	rs := regions.Find(small)
	for i, r := range rs {
		rs[i].Rect = image.Rect(
			b.Min.X+r.Rect.Min.X*b.Dx()/sb.Dx(), b.Min.Y+r.Rect.Min.Y*b.Dy()/sb.Dy(),
			b.Min.X+r.Rect.Max.X*b.Dx()/sb.Dx(), b.Min.Y+r.Rect.Max.Y*b.Dy()/sb.Dy()).Intersect(b)
	}
	return rs
}

// Thumbnail is img scaled to fit ThumbnailSide (never enlarged), as JPEG.
func Thumbnail(img image.Image) ([]byte, error) {
	t := imaging.Fit(img, ThumbnailSide, ThumbnailSide, imaging.Lanczos)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, t, &jpeg.Options{Quality: 80}); err != nil {
		return nil, fmt.Errorf("thumbnail: %w", err)
	}
	return buf.Bytes(), nil
}
