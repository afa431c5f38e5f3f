// Package memeeval measures how well the product finds known memes after
// the edits memes go through (package memeedit), and what each part of
// finding the picture inside a meme (packages regions and meme) adds.
//
// Originals are split into a bank set and a distractor set that is never
// in the bank. Every original is edited by every edit of a generated set;
// an edited bank picture should match its own entry and no other, an
// edited distractor should match nothing. Bank entries and queries are
// made as the product makes them (meme.Hasher.Entry and Query, from a
// PNG file of the picture) and looked up by matcher.Match at its default
// thresholds: that is the headline. From the same hashes, the evaluation
// also computes every query's distance to every entry per signal (pdq,
// phash and their combination) and per step (whole picture only, PDQ's
// rotations and mirrors, regions of the query, crops and regions of the
// bank picture, crops of the query), telling the steps apart by the
// names package meme gives the regions, so that each step is measured
// against the one before in the same run; at the last step and the
// default thresholds the distances agree with matcher.Match pair by pair.
package memeeval

import (
	"fmt"
	"image"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"github.com/disintegration/imaging"
	"github.com/medialabel/medialabel/imagefile"
	"github.com/medialabel/medialabel/pdq"
)

// An Original is one picture: the file it is loaded from and the other
// files that hold the same picture (edited copies in the PDQ reference
// data), which must match it and nothing else.
type Original struct {
	Name  string // the picture's name, e.g. "photos/astronaut" or "pdq/bridge"
	Path  string
	Same  []string // other files of the same picture
	Image image.Image
}

// pictureOf names the picture a file of the PDQ reference data holds:
// the bridge photo appears edited in several folders (misc-images/modes
// holds it in several pixel formats), and the exif-rotn files are one
// picture.
func pictureOf(rel string) string {
	rel = filepath.ToSlash(rel)
	base := strings.TrimSuffix(filepath.Base(rel), filepath.Ext(rel))
	switch {
	case strings.HasPrefix(rel, "bridge-mods/"), strings.HasPrefix(base, "bridge-"),
		strings.HasPrefix(rel, "misc-images/modes/"):
		// misc-images/modes holds the bridge photo in several pixel
		// formats.
		return "pdq/bridge"
	case strings.Contains(rel, "/exif-rotn/"):
		return "pdq/exif-rotn"
	}
	return "pdq/" + base
}

// representative is the file chosen as a picture's original.
func representative(picture string, files []string) string {
	prefer := map[string]string{"pdq/bridge": "aaa-orig.jpg", "pdq/exif-rotn": "exif-rotn-1.jpg"}
	for _, f := range files {
		if filepath.Base(f) == prefer[picture] {
			return f
		}
	}
	return files[0]
}

// LoadOriginals reads the photos under photosDir and the PDQ reference
// images under pdqDir (either may be empty), one Original a picture,
// sorted by name. Pictures are shrunk to at most maxSide pixels on the
// longer side (0 keeps them whole): memes are seldom larger, and the
// edits then take a bounded time. Files that cannot be decoded are
// skipped and returned by name.
func LoadOriginals(photosDir, pdqDir string, maxSide int) ([]Original, []string, error) {
	groups, err := listPictures(photosDir, pdqDir)
	if err != nil {
		return nil, nil, err
	}
	var skipped []string
	var dec imagefile.Decoder
	var out []Original
	for name, files := range groups {
		rep := representative(name, files)
		img, err := dec.DecodeFile(rep)
		if err != nil {
			skipped = append(skipped, rep)
			continue
		}
		o := Original{Name: name, Path: rep, Image: shrink(img.Image, maxSide)}
		for _, f := range files {
			if f != rep {
				o.Same = append(o.Same, f)
			}
		}
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b Original) int { return strings.Compare(a.Name, b.Name) })
	slices.Sort(skipped)
	return out, skipped, nil
}

// shrink returns img as NRGBA at its origin, no larger than maxSide.
func shrink(img image.Image, maxSide int) *image.NRGBA {
	b := img.Bounds()
	if maxSide > 0 && max(b.Dx(), b.Dy()) > maxSide {
		if b.Dx() >= b.Dy() {
			return imaging.Resize(img, maxSide, 0, imaging.Lanczos)
		}
		return imaging.Resize(img, 0, maxSide, imaging.Lanczos)
	}
	return imaging.Clone(img)
}

// listPictures maps each picture's name to its files.
func listPictures(photosDir, pdqDir string) (map[string][]string, error) {
	groups := map[string][]string{}
	walk := func(root string, name func(rel string) string) error {
		if root == "" {
			return nil
		}
		return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			switch strings.ToLower(filepath.Ext(path)) {
			case ".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp":
			default:
				return nil
			}
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			n := name(rel)
			groups[n] = append(groups[n], path)
			return nil
		})
	}
	if err := walk(photosDir, func(rel string) string {
		return "photos/" + strings.TrimSuffix(filepath.Base(rel), filepath.Ext(rel))
	}); err != nil {
		return nil, fmt.Errorf("reading photos: %w", err)
	}
	if err := walk(pdqDir, pictureOf); err != nil {
		return nil, fmt.Errorf("reading PDQ reference images: %w", err)
	}
	for _, files := range groups {
		slices.Sort(files)
	}
	return groups, nil
}

// Pictures that are not banked: PDQ's authors hold hashes of quality
// under 50 unreliable (a flat grey sky, a black frame), and a picture
// under 64 pixels a side is no meme. Such pictures are distractors.
const (
	MinQuality = 50
	MinSide    = 64
)

// Split divides originals into a bank set and a distractor set: pictures
// of low PDQ quality or size are distractors, and of the others every
// other one in name order goes to the bank. It is deterministic.
func Split(originals []Original) (bank, distractors []Original) {
	h := pdq.NewHasher()
	k := 0
	for _, o := range originals {
		_, q := h.HashImage(o.Image)
		b := o.Image.Bounds()
		if q >= MinQuality && min(b.Dx(), b.Dy()) >= MinSide && k%2 == 0 {
			bank = append(bank, o)
		} else {
			distractors = append(distractors, o)
		}
		if q >= MinQuality && min(b.Dx(), b.Dy()) >= MinSide {
			k++
		}
	}
	return bank, distractors
}
