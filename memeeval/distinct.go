package memeeval

import (
	"fmt"
	"math/bits"
	"slices"

	"github.com/medialabel/medialabel"
	"github.com/medialabel/medialabel/imagefile"
	"github.com/medialabel/medialabel/pdq"
)

// Distinct is how close the files of different pictures come, for one
// signal.
type Distinct struct {
	Signal  medialabel.Signal
	Pairs   int // pairs of files of different pictures
	Nearest int // their least distance
	Within  int // pairs at or under the threshold
}

// CheckDistinct hashes every file of the photos and the PDQ reference
// images (files of one picture, as LoadOriginals groups them, are not
// compared with each other) at full size and measures, per signal, how
// close files of different pictures come; PDQ compares each file's
// hash with all eight rotations and mirrors of the other's. Files that
// cannot be decoded are returned by name.
func CheckDistinct(photosDir, pdqDir string, th Thresholds) ([]Distinct, []string, error) {
	groups, err := listPictures(photosDir, pdqDir)
	if err != nil {
		return nil, nil, err
	}
	names := make([]string, 0, len(groups))
	for n := range groups {
		names = append(names, n)
	}
	slices.Sort(names)
	type file struct {
		picture string
		s       sigs
	}
	var files []file
	var skipped []string
	var dec imagefile.Decoder
	h := newHasher()
	for _, n := range names {
		for _, path := range groups[n] {
			img, err := dec.DecodeFile(path)
			if err != nil {
				skipped = append(skipped, path)
				continue
			}
			s, err := h.sigs(img.Image)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", path, err)
			}
			files = append(files, file{n, s})
		}
	}
	out := make([]Distinct, nSignals)
	for c := range out {
		out[c] = Distinct{Signal: signals[c], Nearest: 1 << 30}
	}
	for i := range files {
		for j := range i {
			if files[i].picture == files[j].picture {
				continue
			}
			a, b := &files[i].s, &files[j].s
			for c := range nSignals {
				var d int
				if c == 0 {
					d = 256
					for _, v := range a.pdq {
						d = min(d, pdq.Distance(v, b.pdq[0]))
					}
				} else {
					d = bits.OnesCount64(a.h64[c-1] ^ b.h64[c-1])
				}
				out[c].Pairs++
				out[c].Nearest = min(out[c].Nearest, d)
				if d <= th[c] {
					out[c].Within++
				}
			}
		}
	}
	return out, skipped, nil
}
