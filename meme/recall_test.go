package meme_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"reflect"
	"strings"
	"testing"

	"github.com/disintegration/imaging"

	"github.com/medialabel/medialabel"
	"github.com/medialabel/medialabel/fingerprint"
	"github.com/medialabel/medialabel/matcher"
	"github.com/medialabel/medialabel/matcher/matchertest"
	"github.com/medialabel/medialabel/meme"
	"github.com/medialabel/medialabel/memeedit"
	"github.com/medialabel/medialabel/regions"
)

// TestEditedCopies banks two photos and looks up edited copies of them and
// of two photos not in the bank: every copy of a banked photo is found,
// and no copy of another photo matches anything.
func TestEditedCopies(t *testing.T) {
	ctx := context.Background()
	h, err := meme.New(meme.Options{Dihedral: true, Regions: true})
	if err != nil {
		t.Fatal(err)
	}
	m, err := matcher.New(ctx, new(matchertest.Store), matcher.Options{})
	if err != nil {
		t.Fatal(err)
	}
	banked := []string{"chelsea.png", "astronaut.png"}
	others := []string{"coffee.png", "rocket.jpg"}
	// The photos at 320 pixels a side at most keep the test quick.
	photos := make(map[string]image.Image)
	for _, name := range append(banked, others...) {
		photos[name] = imaging.Fit(decode(t, readPhoto(t, name)), 320, 320, imaging.Lanczos)
	}
	var entries []medialabel.Entry
	for _, name := range banked {
		var buf bytes.Buffer
		if err := png.Encode(&buf, photos[name]); err != nil {
			t.Fatal(err)
		}
		e, _, err := h.Entry(ctx, buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		e.Label = "test." + name
		entries = append(entries, e)
	}
	if _, err := m.AddEntries(ctx, "memes", entries); err != nil {
		t.Fatal(err)
	}
	partner := imaging.Fit(decode(t, readPhoto(t, "coins.png")), 320, 320, imaging.Lanczos)
	white := color.NRGBA{255, 255, 255, 255}
	edits := []memeedit.Edit{
		{Name: "mirror", Steps: []memeedit.Step{memeedit.Mirror{}}},
		{Name: "caption", Steps: []memeedit.Step{memeedit.Caption{Height: 0.25, Background: white, Text: "WHEN THE BUILD IS GREEN"}}},
		{Name: "caption-mirror", Steps: []memeedit.Step{memeedit.Mirror{}, memeedit.Caption{Bottom: true, Height: 0.2, Background: white, Text: "NOBODY:"}}},
		{Name: "juxtapose-side", Steps: []memeedit.Step{memeedit.Juxtapose{PartnerScale: 1, Gap: 0.02, GapColour: white}}},
		{Name: "juxtapose-stack", Steps: []memeedit.Step{memeedit.Juxtapose{Stacked: true, PartnerFirst: true, PartnerScale: 0.9, GapColour: white}}},
		{Name: "crop-top15", Steps: []memeedit.Step{memeedit.Crop{Top: 0.15}}},
		{Name: "crop-left15", Steps: []memeedit.Step{memeedit.Crop{Left: 0.15}}},
		{Name: "crop-all8", Steps: []memeedit.Step{memeedit.Crop{Top: 0.08, Right: 0.08, Bottom: 0.08, Left: 0.08}}},
		{Name: "border", Steps: []memeedit.Step{memeedit.Border{Top: 0.1, Right: 0.1, Bottom: 0.1, Left: 0.1, Colour: color.NRGBA{0, 0, 0, 255}}}},
		{Name: "letterbox", Steps: []memeedit.Step{memeedit.Border{Top: 0.2, Bottom: 0.2, Colour: color.NRGBA{0, 0, 0, 255}}}},
	}
	for _, photo := range append(banked, others...) {
		img := photos[photo]
		wantLabel := ""
		for _, b := range banked {
			if b == photo {
				wantLabel = "test." + photo
			}
		}
		for _, ed := range edits {
			t.Run(photo+"/"+ed.Name, func(t *testing.T) {
				edited, err := ed.Apply(img, partner)
				if err != nil {
					t.Fatal(err)
				}
				var buf bytes.Buffer
				if err := jpeg.Encode(&buf, edited, &jpeg.Options{Quality: 85}); err != nil {
					t.Fatal(err)
				}
				q, err := h.Query(ctx, buf.Bytes())
				if err != nil {
					t.Fatal(err)
				}
				ms, err := m.Match(ctx, q.Query)
				if err != nil {
					t.Fatal(err)
				}
				if wantLabel == "" {
					if len(ms) != 0 {
						t.Errorf("copy of a photo not in the bank matched %+v", ms)
					}
					return
				}
				found := false
				for _, mt := range ms {
					if mt.Label != wantLabel {
						t.Errorf("matched the wrong entry: %+v", mt)
					}
					found = true
				}
				if !found {
					t.Errorf("no match for a copy of a banked photo")
				}
			})
		}
	}
}

// TestQueryRegions checks what a query carries besides the whole picture:
// the real mirror's PDQ (as FlipY) and pHash, found regions with both, and the
// query's crops with PDQ alone.
func TestQueryRegions(t *testing.T) {
	ctx := context.Background()
	img := decode(t, readPhoto(t, "astronaut.png"))
	edited, err := memeedit.Caption{Height: 0.25, Background: color.NRGBA{255, 255, 255, 255}, Text: "TOP TEXT"}.Apply(img, nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, edited, nil); err != nil {
		t.Fatal(err)
	}
	h, err := meme.New(meme.Options{Dihedral: true, Regions: true})
	if err != nil {
		t.Fatal(err)
	}
	q, err := h.Query(ctx, buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	signals := func(hs []medialabel.Hash) string {
		var s []string
		for _, x := range hs {
			s = append(s, string(x.Signal))
		}
		return strings.Join(s, ",")
	}
	var found, crops int
	for i, r := range q.Query.Regions {
		switch {
		case i == 0:
			if r.Name != meme.MirrorRegion {
				t.Fatalf("first region %q, want the mirror", r.Name)
			}
			// The mirrored picture's PDQ hash is the query's FlipY, its
			// pHash the mirror region's.
			fh, err := fingerprint.New(fingerprint.Options{Signals: []medialabel.Signal{medialabel.PDQ, medialabel.PHash}})
			if err != nil {
				t.Fatal(err)
			}
			dec, _, err := image.Decode(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			want, err := fh.HashImage(ctx, imaging.FlipH(dec))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(q.Query.Dihedral[medialabel.FlipY], want.Hashes[0]) {
				t.Errorf("flipy %v, want the mirrored picture's pdq %v", q.Query.Dihedral[medialabel.FlipY], want.Hashes[0])
			}
			if !reflect.DeepEqual(r.Hashes, want.Hashes[1:]) {
				t.Errorf("mirror hashes %v, want the mirrored picture's phash %v", r.Hashes, want.Hashes[1:])
			}
		case strings.HasPrefix(r.Name, meme.MirrorPrefix):
			// With rotations, a region's mirror is its FlipY hash.
			t.Errorf("mirror region %s in a query with rotations", r.Name)
		case strings.HasPrefix(r.Name, meme.CropPrefix):
			crops++
			if got := signals(r.Hashes); got != "pdq" {
				t.Errorf("crop %s has %s, want pdq alone", r.Name, got)
			}
			if len(r.Dihedral) != len(medialabel.AllTransforms())-1 {
				t.Errorf("crop %s has %d rotations", r.Name, len(r.Dihedral))
			}
		default:
			found++
			if got := signals(r.Hashes); got != "pdq,phash" {
				t.Errorf("region %s has %s, want pdq,phash", r.Name, got)
			}
		}
	}
	if found == 0 {
		t.Error("no region found under a caption bar")
	}
	if want := 5 * len(meme.QueryCuts()); crops != want {
		t.Errorf("%d crops, want %d (centre and four sides at each cut)", crops, want)
	}
	// A crop's FlipY is the PDQ hash of the mirrored crop.
	crop, ok := findRegion(q.Query.Regions, meme.CropPrefix+"centre84")
	if !ok {
		t.Fatalf("no %scentre84 region", meme.CropPrefix)
	}
	dec, _, err := image.Decode(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	dec = meme.RegionImage(dec)
	var rect image.Rectangle
	for _, r := range regions.Crops(dec.Bounds(), 0.16) {
		if r.Name == "centre84" {
			rect = r.Rect
		}
	}
	fh, err := fingerprint.New(fingerprint.Options{Signals: []medialabel.Signal{medialabel.PDQ}})
	if err != nil {
		t.Fatal(err)
	}
	want, err := fh.HashImage(ctx, imaging.FlipH(imaging.Crop(dec, rect)))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(crop.Dihedral[medialabel.FlipY], want.Hashes[0]) {
		t.Errorf("crop flipy %v, want the mirrored crop's pdq %v", crop.Dihedral[medialabel.FlipY], want.Hashes[0])
	}
}

func findRegion(rs []matcher.Region, name string) (matcher.Region, bool) {
	for _, r := range rs {
		if r.Name == name {
			return r, true
		}
	}
	return matcher.Region{}, false
}
