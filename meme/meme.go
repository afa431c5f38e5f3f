// Package meme prepares pictures for matching against banks of known
// memes. A meme rarely travels as the original file: it gains a caption
// bar, a border or an app frame, is set beside another picture, or is
// cropped or mirrored. So a query is the fingerprint of the whole picture
// plus the hashes of its mirror, of the regions where the original may
// hide (package regions) and of its own crops, each with its mirror's PDQ,
// and a bank entry keeps, besides its signals, the PDQ and pHash hashes
// of crops and regions of its picture and a thumbnail for the
// moderators' page.
//
// Everything is computed from one decode of the file; the regions and
// crops from that picture shrunk to fit RegionSide.
package meme

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"maps"
	"slices"
	"sync"
	"sync/atomic"

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

// QueryCuts are the crop levels of a query's own crops (regions.Crops):
// a sticker or logo in a corner or along a side is cut away with them.
// 24% cuts away a sticker of up to a fifth of the shorter side in any
// corner, and is one of the bank's levels (regions.DefaultCuts), so the
// crop of a copy meets the same crop of its original.
func QueryCuts() []float64 { return []float64{0.16, 0.24} }

// MirrorRegion is the name of the query region holding the hashes of the
// picture's left-right mirror.
const MirrorRegion = "mirror"

// CropPrefix starts the names of a query's own crops ("crop-centre84").
const CropPrefix = "crop-"

// MirrorPrefix starts the names of the mirrors of a query's regions and
// crops ("mirror-caption-cut") when the query has no PDQ rotations to
// hold them.
const MirrorPrefix = "mirror-"

// Options say what a Hasher computes.
type Options struct {
	// Signals of the whole picture, in order; empty means
	// fingerprint.DefaultSignals.
	Signals []medialabel.Signal
	// Dihedral adds the PDQ rotations and mirrors of a query and of its
	// regions.
	Dihedral bool
	// Regions adds to a query the hashes of its mirror, of its regions
	// and of its crops, and to an entry the hashes of its crops and
	// regions. Region hashes are PDQ and, when pHash is among the
	// signals, pHash (never dHash or aHash: they match unrelated
	// regions); a query's crops have PDQ alone. It needs PDQ among the
	// signals.
	Regions bool
	// Decoder sets the size limits and the JPEG decoder.
	Decoder imagefile.Decoder
	// Fast decodes large JPEGs at reduced scale (fingerprint.Options.Fast).
	Fast bool
	// Workers is how many goroutines a Query spreads its work over once
	// the file is decoded: the whole picture's signals, its mirror and
	// the search for regions, then each region and crop. More than one
	// shortens a single query (a server's latency) for a little more work
	// in all; 0 or 1 does everything in the calling goroutine (bulk jobs,
	// which keep every core busy with a file each).
	Workers int
}

// A Hasher turns image files into queries and bank entries. It reuses
// working buffers and is not safe for concurrent use: use one per
// goroutine.
type Hasher struct {
	whole *fingerprint.Hasher
	// workers holds the region hashers of each goroutine of a query;
	// empty without regions.
	workers []*regionHashers
}

// regionHashers hash the regions of a picture, in one goroutine at a time.
type regionHashers struct {
	region      *fingerprint.Hasher // PDQ (+ pHash), for entry regions
	queryRegion *fingerprint.Hasher // as region, with PDQ rotations if asked for
	queryCrop   *fingerprint.Hasher // PDQ alone, with rotations if asked for
	mirror      *fingerprint.Hasher // PDQ alone, for the mirrors of a query, its regions and crops
	mirrorRest  *fingerprint.Hasher // pHash alone, for a query's shrunk mirror; nil without pHash
}

// New returns a Hasher for opts.
func New(opts Options) (*Hasher, error) {
	whole, err := fingerprint.New(fingerprint.Options{
		Signals: opts.Signals, Dihedral: opts.Dihedral, Decoder: opts.Decoder, Fast: opts.Fast})
	if err != nil {
		return nil, err
	}
	h := &Hasher{whole: whole}
	if !opts.Regions {
		return h, nil
	}
	ws := whole.Signals()
	if !slices.Contains(ws, medialabel.PDQ) {
		return nil, fmt.Errorf("region hashes need the pdq signal")
	}
	sigs := []medialabel.Signal{medialabel.PDQ}
	if slices.Contains(ws, medialabel.PHash) {
		sigs = append(sigs, medialabel.PHash)
	}
	pdqOnly := []medialabel.Signal{medialabel.PDQ}
	for range max(opts.Workers, 1) {
		rh := new(regionHashers)
		for _, x := range []struct {
			h    **fingerprint.Hasher
			opts fingerprint.Options
		}{
			{&rh.region, fingerprint.Options{Signals: sigs}},
			{&rh.queryRegion, fingerprint.Options{Signals: sigs, Dihedral: opts.Dihedral}},
			{&rh.queryCrop, fingerprint.Options{Signals: pdqOnly, Dihedral: opts.Dihedral}},
			{&rh.mirror, fingerprint.Options{Signals: pdqOnly}},
		} {
			if *x.h, err = fingerprint.New(x.opts); err != nil {
				return nil, err
			}
		}
		if len(sigs) > 1 {
			if rh.mirrorRest, err = fingerprint.New(fingerprint.Options{Signals: sigs[1:]}); err != nil {
				return nil, err
			}
		}
		h.workers = append(h.workers, rh)
	}
	return h, nil
}

// A Query is a picture as the matcher looks it up, with its fingerprint.
type Query struct {
	Fingerprint medialabel.Fingerprint
	Query       matcher.Query
}

// Query fingerprints the image file held in data and, when the Hasher
// has regions, hashes the picture's left-right mirror for real: PDQ's own
// mirror hash (Transform FlipY) is computed from the unmirrored picture
// and is 10 to 18 bits off the mirror's hash. With Dihedral, the mirror's
// PDQ hash replaces PDQ's FlipY hash in the query (the Fingerprint keeps
// PDQ's); its other hashes (pHash, of the mirror shrunk to fit
// RegionSide), and without Dihedral its PDQ hash, make the query region
// MirrorRegion. Query also adds as query regions the regions
// regions.Find finds, and the crops of regions.Crops at each of QueryCuts
// (named with CropPrefix, PDQ alone: their pHash matched unrelated
// pictures), each with the PDQ hash of its own mirror in the same way
// (as the region's FlipY, or without Dihedral as a region named with
// MirrorPrefix; the mirrors' pHash matched an unrelated picture too).
// Regions and crops are found in, and hashed from, the picture shrunk to
// fit RegionSide (RegionImage); those of PDQ quality under
// MinRegionQuality are left out. The caller adds thresholds and banks.
func (h *Hasher) Query(ctx context.Context, data []byte) (Query, error) {
	if len(h.workers) == 0 {
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
	img := im.Image
	// First the whole picture, its mirror and the search for regions,
	// side by side.
	var (
		fp, mfp          medialabel.Fingerprint
		flippedImg, work image.Image // the mirrored picture; the one regions come from
		found            []regions.Region
	)
	err = h.parallel(ctx, 3, func(rh *regionHashers, i int) error {
		var err error
		switch i {
		case 0:
			fp, err = h.whole.HashDecoded(ctx, data, im)
		case 1:
			// The mirror's PDQ hash stands for the whole picture's
			// FlipY: from the full picture, as the whole picture's.
			flippedImg = mirrored(img)
			if mfp, err = rh.mirror.HashImage(ctx, flippedImg); err != nil {
				err = fmt.Errorf("mirror: %w", err)
			}
		case 2:
			// Regions and crops are found in and hashed from the
			// picture shrunk to RegionSide.
			work = RegionImage(img)
			found = regions.Find(work)
		}
		return err
	})
	if err != nil {
		return Query{}, err
	}
	q := Query{Fingerprint: fp, Query: matcher.Query{Hashes: fp.Hashes, Dihedral: fp.Dihedral}}
	flipped := flippedImg // at the origin
	if work != img {
		flipped = mirrored(work) // a picture that fits is mirrored once
	}
	// Then each region and crop, with its mirror: the mirrored rectangle
	// of the flipped picture.
	type part struct {
		r    regions.Region
		crop bool
		out  []matcher.Region // the region and its mirror, if kept
	}
	b := work.Bounds()
	parts := make([]part, 0, len(found)+5*len(QueryCuts()))
	for _, r := range found {
		parts = append(parts, part{r: r})
	}
	for _, c := range QueryCuts() {
		for _, r := range regions.Crops(b, c) {
			r.Name = CropPrefix + r.Name
			parts = append(parts, part{r: r, crop: true})
		}
	}
	// With pHash, the last job hashes the shrunk picture's mirror for the
	// mirror's pHash: resizing the full picture for it took a sixth of a
	// query, and pHash hardly moves with the shrinking.
	jobs := len(parts)
	if h.workers[0].mirrorRest != nil {
		jobs++
	}
	var small medialabel.Fingerprint
	err = h.parallel(ctx, jobs, func(rh *regionHashers, i int) error {
		if i == len(parts) {
			var err error
			if small, err = rh.mirrorRest.HashImage(ctx, flipped); err != nil {
				return fmt.Errorf("mirror: %w", err)
			}
			return nil
		}
		p := &parts[i]
		hr := rh.queryRegion
		if p.crop {
			hr = rh.queryCrop
		}
		r := p.r
		rfp, err := hashRegion(ctx, hr, work, r)
		if err != nil {
			return err
		}
		if rfp.PDQQuality < MinRegionQuality {
			return nil
		}
		mr := regions.Region{Name: r.Name, Rect: image.Rect(b.Max.X-r.Rect.Max.X, r.Rect.Min.Y-b.Min.Y, b.Max.X-r.Rect.Min.X, r.Rect.Max.Y-b.Min.Y)}
		mfp, err := hashRegion(ctx, rh.mirror, flipped, mr)
		if err != nil {
			return fmt.Errorf("mirror: %w", err)
		}
		dih, mirror := withMirror(rfp.Dihedral, mfp, MirrorPrefix+r.Name)
		p.out = append(p.out, matcher.Region{Name: r.Name, Hashes: rfp.Hashes, Dihedral: dih})
		if len(mirror.Hashes) > 0 {
			p.out = append(p.out, mirror)
		}
		return nil
	})
	if err != nil {
		return Query{}, err
	}
	mfp.Hashes = append(mfp.Hashes, small.Hashes...)
	var mirror matcher.Region
	q.Query.Dihedral, mirror = withMirror(q.Query.Dihedral, mfp, MirrorRegion)
	if len(mirror.Hashes) > 0 {
		q.Query.Regions = append(q.Query.Regions, mirror)
	}
	for _, p := range parts {
		q.Query.Regions = append(q.Query.Regions, p.out...)
	}
	return q, nil
}

// parallel calls do(rh, i) for each i in [0, n), spread over the Hasher's
// workers, each goroutine with its own hashers, and returns the first
// error by i, or the context's error. A panic while hashing is returned
// as an error instead of ending the process.
func (h *Hasher) parallel(ctx context.Context, n int, do func(rh *regionHashers, i int) error) error {
	if n == 0 {
		return ctx.Err()
	}
	errs := make([]error, n)
	var next atomic.Int64
	work := func(rh *regionHashers) {
		for {
			i := int(next.Add(1) - 1)
			if i >= n || ctx.Err() != nil {
				return
			}
			func() {
				defer func() {
					if v := recover(); v != nil {
						errs[i] = fmt.Errorf("hashing: panic: %v", v)
					}
				}()
				errs[i] = do(rh, i)
			}()
		}
	}
	var wg sync.WaitGroup
	for _, rh := range h.workers[1:min(len(h.workers), n)] {
		wg.Go(func() { work(rh) })
	}
	work(h.workers[0])
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// withMirror puts the PDQ hash of mfp, the fingerprint of a mirrored
// picture, in place of the FlipY hash of dih, the PDQ rotations and
// mirrors of the picture, and returns the other hashes of mfp as a
// region named name. Without rotations (dih nil) the PDQ hash goes to
// the region too.
func withMirror(dih map[medialabel.Transform]medialabel.Hash, mfp medialabel.Fingerprint, name string) (map[medialabel.Transform]medialabel.Hash, matcher.Region) {
	r := matcher.Region{Name: name}
	for _, mh := range mfp.Hashes {
		if mh.Signal == medialabel.PDQ && dih != nil {
			// The mirror's own PDQ hash stands for PDQ's, so that a
			// match through it reports its Transform.
			dih = maps.Clone(dih)
			dih[medialabel.FlipY] = mh
			continue
		}
		r.Hashes = append(r.Hashes, mh)
	}
	return dih, r
}

// Entry fingerprints the image file held in data as a new bank entry: its
// signals, the region hashes (PDQ, and pHash when among the signals) of
// its crops and regions (regions.Bank of the picture shrunk to fit
// RegionSide, as a query's) of PDQ quality at least MinRegionQuality when
// the Hasher has regions, and a thumbnail. It also
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
	if len(h.workers) > 0 {
		work := RegionImage(im.Image)
		for _, r := range regions.Bank(work) {
			rfp, err := hashRegion(ctx, h.workers[0].region, work, r)
			if err != nil {
				return medialabel.Entry{}, 0, err
			}
			if rfp.PDQQuality < MinRegionQuality {
				continue
			}
			for _, rh := range rfp.Hashes {
				e.Regions = append(e.Regions, medialabel.RegionHash{Region: r.Name, Hash: rh})
			}
		}
	}
	if e.Thumbnail, err = Thumbnail(im.Image); err != nil {
		return medialabel.Entry{}, 0, err
	}
	return e, quality, nil
}

// hashRegion is the fingerprint by hr of region r of img.
func hashRegion(ctx context.Context, hr *fingerprint.Hasher, img image.Image, r regions.Region) (medialabel.Fingerprint, error) {
	var sub image.Image
	if si, ok := img.(interface {
		SubImage(image.Rectangle) image.Image
	}); ok {
		sub = si.SubImage(r.Rect) // no copy
	} else {
		sub = imaging.Crop(img, r.Rect)
	}
	fp, err := hr.HashImage(ctx, sub)
	if err != nil {
		return medialabel.Fingerprint{}, fmt.Errorf("region %s: %w", r.Name, err)
	}
	if _, ok := fp.Hash(medialabel.PDQ); !ok {
		return medialabel.Fingerprint{}, fmt.Errorf("region %s: no PDQ hash", r.Name)
	}
	return fp, nil
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
