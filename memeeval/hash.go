package memeeval

import (
	"fmt"
	"image"
	"math/bits"
	"time"

	"github.com/corona10/goimagehash"
	"github.com/disintegration/imaging"
	"github.com/medialabel/medialabel"
	"github.com/medialabel/medialabel/pdq"
	"github.com/medialabel/medialabel/regions"
)

// The signals measured, in report order: index into sigs.h64 is the
// signal's index minus one.
var signals = [...]medialabel.Signal{medialabel.PDQ, medialabel.PHash, medialabel.DHash, medialabel.AHash}

const nSignals = len(signals)

// sigs holds every signal of one picture or region.
type sigs struct {
	pdq     pdq.Dihedral // [0] is the picture as it is
	quality int
	h64     [3]uint64 // phash, dhash, ahash
}

// features holds the signals of a whole picture (first, named "") and of
// its regions.
type features struct {
	names []string
	sigs  []sigs
	// from is the first step at which each feature is matched.
	from []Step
	// mirror holds, for a query, the signals of the left-right mirror of
	// the picture and of each region. PDQ's own mirror hash (of its
	// eight rotations and mirrors) is computed from the unmirrored
	// picture's samples and differs from the hash of the mirrored
	// picture by 10 to 18 bits at 256 to 1024 pixels a side.
	mirror []sigs
}

// hasher computes signals; it is not safe for concurrent use.
type hasher struct{ pdq *pdq.Hasher }

func newHasher() *hasher { return &hasher{pdq: pdq.NewHasher()} }

// features hashes img and each of rs, and says how long the whole
// picture and the regions took.
func (h *hasher) features(img *image.NRGBA, rs []regions.Region) (f features, whole, parts time.Duration, err error) {
	add := func(name string, im image.Image) error {
		s, err := h.sigs(im)
		if err != nil {
			return fmt.Errorf("hashing %s: %w", name, err)
		}
		f.names = append(f.names, name)
		f.sigs = append(f.sigs, s)
		return nil
	}
	t0 := time.Now()
	if err := add("", img); err != nil {
		return f, 0, 0, err
	}
	t1 := time.Now()
	for _, r := range rs {
		if err := add(r.Name, img.SubImage(r.Rect)); err != nil {
			return f, 0, 0, err
		}
	}
	return f, t1.Sub(t0), time.Since(t1), nil
}

// addMirrors hashes the left-right mirror of img and of each of rs (the
// regions f was made from) into f.mirror, and says how long it took.
func (h *hasher) addMirrors(f *features, img *image.NRGBA, rs []regions.Region) (time.Duration, error) {
	t0 := time.Now()
	for i := range f.sigs {
		var sub image.Image = img
		if i > 0 {
			sub = img.SubImage(rs[i-1].Rect)
		}
		s, err := h.sigs(imaging.FlipH(sub))
		if err != nil {
			return 0, fmt.Errorf("hashing the mirror of %q: %w", f.names[i], err)
		}
		f.mirror = append(f.mirror, s)
	}
	return time.Since(t0), nil
}

func (h *hasher) sigs(img image.Image) (sigs, error) {
	var s sigs
	s.pdq, s.quality = h.pdq.HashImageDihedral(img)
	ph, err := goimagehash.PerceptionHash(img)
	if err != nil {
		return s, fmt.Errorf("phash: %w", err)
	}
	dh, err := goimagehash.DifferenceHash(img)
	if err != nil {
		return s, fmt.Errorf("dhash: %w", err)
	}
	ah, err := goimagehash.AverageHash(img)
	if err != nil {
		return s, fmt.Errorf("ahash: %w", err)
	}
	s.h64 = [3]uint64{ph.GetHash(), dh.GetHash(), ah.GetHash()}
	return s, nil
}

// distance is the distance of signal i between a query's and an entry's
// signals; with dihedral, PDQ takes the nearest of the query's eight
// rotations and mirrors.
func distance(i int, q, e *sigs, dihedral bool) int {
	if i > 0 {
		return bits.OnesCount64(q.h64[i-1] ^ e.h64[i-1])
	}
	d := pdq.Distance(q.pdq[0], e.pdq[0])
	if dihedral {
		for _, v := range q.pdq[1:] {
			d = min(d, pdq.Distance(v, e.pdq[0]))
		}
	}
	return d
}
