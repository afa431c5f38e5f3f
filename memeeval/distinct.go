package memeeval

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"

	"github.com/medialabel/medialabel"
	"github.com/medialabel/medialabel/matcher"
	"github.com/medialabel/medialabel/matcher/matchertest"
)

// Distinct is how close the files of different pictures come, through
// the product's path.
type Distinct struct {
	Files int // files banked and looked up
	Pairs int // pairs of files of different pictures, both ways
	// Matches counts (query file, entry file) pairs of different
	// pictures that matcher.Match returned at its default thresholds.
	Matches int
	// Nearest is the least distance of the combined score over those
	// pairs (31 or less is a match).
	Nearest int
	// Examples names a few of the matching pairs.
	Examples []string
}

// CheckDistinct banks every file of the photos and the PDQ reference
// images as `medialabel db add` does (meme.Hasher.Entry, regions and all)
// and looks each file up as `medialabel match` does (meme.Hasher.Query,
// matcher.Match at its default thresholds). A file must match no file of
// another picture (files of one picture, as LoadOriginals groups them,
// are not counted). Files that cannot be decoded are returned by name.
func CheckDistinct(ctx context.Context, photosDir, pdqDir string) (Distinct, []string, error) {
	groups, err := listPictures(photosDir, pdqDir)
	if err != nil {
		return Distinct{}, nil, err
	}
	names := make([]string, 0, len(groups))
	for n := range groups {
		names = append(names, n)
	}
	slices.Sort(names)
	eh, err := newEntryHasher(true)
	if err != nil {
		return Distinct{}, nil, err
	}
	qh, err := newQueryHasher(true)
	if err != nil {
		return Distinct{}, nil, err
	}
	type file struct {
		picture, path string
		data          []byte
		f             features
	}
	var files []file
	var entries []medialabel.Entry
	var skipped []string
	for _, n := range names {
		for _, path := range groups[n] {
			data, err := os.ReadFile(path)
			if err != nil {
				return Distinct{}, nil, fmt.Errorf("reading %s: %w", path, err)
			}
			e, _, err := eh.Entry(ctx, data)
			if err != nil {
				skipped = append(skipped, path)
				continue
			}
			e.Label = strconv.Itoa(len(files))
			entries = append(entries, e)
			files = append(files, file{picture: n, path: path, data: data, f: entryFeatures(e)})
		}
	}
	m, err := matcher.New(ctx, new(matchertest.Store), matcher.Options{})
	if err != nil {
		return Distinct{}, nil, err
	}
	if _, err := m.AddEntries(ctx, bankName, entries); err != nil {
		return Distinct{}, nil, fmt.Errorf("adding the files: %w", err)
	}
	d := Distinct{Files: len(files), Nearest: 1 << 30}
	for _, a := range files {
		q, err := qh.Query(ctx, a.data)
		if err != nil {
			return Distinct{}, nil, fmt.Errorf("%s: %w", a.path, err)
		}
		ms, err := m.Match(ctx, q.Query)
		if err != nil {
			return Distinct{}, nil, fmt.Errorf("%s: %w", a.path, err)
		}
		qf := queryFeatures(q.Query)
		for _, b := range files {
			if b.picture == a.picture {
				continue
			}
			d.Pairs++
			d.Nearest = min(d.Nearest, int(match(&qf, &b.f)[nSteps-1][combined]))
		}
		seen := map[int]bool{}
		for _, mt := range ms {
			i, err := strconv.Atoi(mt.Label)
			if err != nil || i < 0 || i >= len(files) {
				return Distinct{}, nil, fmt.Errorf("match with unknown entry %q", mt.Label)
			}
			if b := files[i]; b.picture != a.picture && !seen[i] {
				seen[i] = true
				d.Matches++
				if len(d.Examples) < 5 {
					d.Examples = append(d.Examples, fmt.Sprintf("%s matched %s (%s %d, %s)", a.path, b.path, mt.Signal, mt.Distance, mt.Region))
				}
			}
		}
	}
	return d, skipped, nil
}
