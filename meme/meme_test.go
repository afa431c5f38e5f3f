package meme_test

import (
	"bytes"
	"context"
	"errors"
	"github.com/disintegration/imaging"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"maps"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"testing"

	"github.com/medialabel/medialabel"
	"github.com/medialabel/medialabel/fingerprint"
	"github.com/medialabel/medialabel/matcher"
	"github.com/medialabel/medialabel/matcher/matchertest"
	"github.com/medialabel/medialabel/meme"
)

func readPhoto(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "photos", "debian-python3-skimage", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func decode(t testing.TB, data []byte) image.Image {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// withCaptionBar returns img under a white caption bar a quarter of its
// height, with dark strokes standing for the text, as JPEG.
func withCaptionBar(t testing.TB, img image.Image) []byte {
	t.Helper()
	b := img.Bounds()
	bar := b.Dy() / 4
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()+bar))
	draw.Draw(out, out.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	for x := b.Dx() / 10; x < b.Dx()*9/10; x += b.Dx() / 12 {
		draw.Draw(out, image.Rect(x, bar/3, x+b.Dx()/20, bar*2/3), image.NewUniform(color.Black), image.Point{}, draw.Src)
	}
	draw.Draw(out, image.Rect(0, bar, b.Dx(), b.Dy()+bar), img, b.Min, draw.Src)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, out, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestQueryFingerprintIsTheFilesFingerprint(t *testing.T) {
	ctx := context.Background()
	data := readPhoto(t, "coffee.png")
	for _, withRegions := range []bool{false, true} {
		h, err := meme.New(meme.Options{Dihedral: true, Regions: withRegions})
		if err != nil {
			t.Fatal(err)
		}
		q, err := h.Query(ctx, data)
		if err != nil {
			t.Fatal(err)
		}
		fh, err := fingerprint.New(fingerprint.Options{Dihedral: true})
		if err != nil {
			t.Fatal(err)
		}
		want, err := fh.HashBytes(ctx, data)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(q.Fingerprint, want) {
			t.Errorf("regions=%v: Query fingerprint %+v, HashBytes %+v", withRegions, q.Fingerprint, want)
		}
		// With regions, the real mirror's PDQ hash stands for PDQ's FlipY
		// (TestQueryRegions); the other rotations are PDQ's.
		dih := maps.Clone(q.Query.Dihedral)
		wantDih := maps.Clone(want.Dihedral)
		if withRegions {
			delete(dih, medialabel.FlipY)
			delete(wantDih, medialabel.FlipY)
		}
		if !reflect.DeepEqual(q.Query.Hashes, want.Hashes) || !reflect.DeepEqual(dih, wantDih) {
			t.Errorf("regions=%v: query hashes differ from the fingerprint's", withRegions)
		}
		if !withRegions && len(q.Query.Regions) != 0 {
			t.Errorf("regions off: got %d query regions", len(q.Query.Regions))
		}
	}
}

func TestEntry(t *testing.T) {
	ctx := context.Background()
	h, err := meme.New(meme.Options{Regions: true})
	if err != nil {
		t.Fatal(err)
	}
	e, quality, err := h.Entry(ctx, readPhoto(t, "astronaut.png"))
	if err != nil {
		t.Fatal(err)
	}
	if quality < meme.MinRegionQuality {
		t.Errorf("quality %d", quality)
	}
	if len(e.Hashes) != 3 {
		t.Errorf("hashes %v, want pdq, phash, md5", e.Hashes)
	}
	if len(e.Regions) < 10 {
		t.Errorf("%d regions, want the crops at three levels at least", len(e.Regions))
	}
	// Each region has a PDQ and a pHash hash, in that order.
	if len(e.Regions)%2 != 0 {
		t.Fatalf("%d region hashes, want two per region", len(e.Regions))
	}
	for i := 0; i < len(e.Regions); i += 2 {
		p, ph := e.Regions[i], e.Regions[i+1]
		if p.Region == "" || p.Region != ph.Region || p.Hash.Signal != medialabel.PDQ || ph.Hash.Signal != medialabel.PHash {
			t.Errorf("region hashes %+v, %+v: want pdq and phash of one named region", p, ph)
		}
	}
	// Without pHash among the signals, regions have PDQ alone.
	hp, err := meme.New(meme.Options{Signals: []medialabel.Signal{medialabel.PDQ, medialabel.DHash}, Regions: true})
	if err != nil {
		t.Fatal(err)
	}
	ep, _, err := hp.Entry(ctx, readPhoto(t, "astronaut.png"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ep.Regions) != len(e.Regions)/2 {
		t.Errorf("pdq and dhash: %d region hashes, want %d", len(ep.Regions), len(e.Regions)/2)
	}
	for _, r := range ep.Regions {
		if r.Hash.Signal != medialabel.PDQ {
			t.Errorf("pdq and dhash: region %+v, want pdq alone", r)
		}
	}
	th, err := jpeg.DecodeConfig(bytes.NewReader(e.Thumbnail))
	if err != nil {
		t.Fatalf("thumbnail: %v", err)
	}
	if max(th.Width, th.Height) != meme.ThumbnailSide {
		t.Errorf("thumbnail %dx%d, want longer side %d", th.Width, th.Height, meme.ThumbnailSide)
	}
	// A flat picture keeps no regions: its crops would match any flat picture.
	flat := image.NewGray(image.Rect(0, 0, 300, 200))
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, flat, nil); err != nil {
		t.Fatal(err)
	}
	e, _, err = h.Entry(ctx, buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Regions) != 0 {
		t.Errorf("flat picture kept %d regions", len(e.Regions))
	}
}

func TestRegionsOffWithoutPDQ(t *testing.T) {
	if _, err := meme.New(meme.Options{Signals: []medialabel.Signal{medialabel.PHash}, Regions: true}); err == nil {
		t.Error("regions without pdq: no error")
	}
}

// TestCaptionedCopyMatchesThroughItsRegion banks a photo, then looks up
// the same photo under a caption bar: the whole picture is too far off,
// the region without the bar matches.
func TestCaptionedCopyMatchesThroughItsRegion(t *testing.T) {
	ctx := context.Background()
	h, err := meme.New(meme.Options{Dihedral: true, Regions: true})
	if err != nil {
		t.Fatal(err)
	}
	orig := readPhoto(t, "chelsea.png")
	e, _, err := h.Entry(ctx, orig)
	if err != nil {
		t.Fatal(err)
	}
	e.Label = "test.cat"
	m, err := matcher.New(ctx, new(matchertest.Store), matcher.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.AddEntries(ctx, "memes", []medialabel.Entry{e}); err != nil {
		t.Fatal(err)
	}
	captioned := withCaptionBar(t, decode(t, orig))
	for _, tc := range []struct {
		name    string
		regions bool
		want    bool
	}{
		{"whole picture only", false, false},
		{"with regions", true, true},
	} {
		hq, err := meme.New(meme.Options{Dihedral: true, Regions: tc.regions})
		if err != nil {
			t.Fatal(err)
		}
		q, err := hq.Query(ctx, captioned)
		if err != nil {
			t.Fatal(err)
		}
		ms, err := m.Match(ctx, q.Query)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, mt := range ms {
			if mt.Label == "test.cat" && mt.Signal == medialabel.PDQ {
				found = true
				if tc.regions && mt.Region == "" {
					t.Errorf("%s: match %+v does not name the region", tc.name, mt)
				}
			}
		}
		if found != tc.want {
			t.Errorf("%s: PDQ match found = %v, want %v (matches %+v)", tc.name, found, tc.want, ms)
		}
	}
}

// BenchmarkQuery looks up a captioned photo and a one-megapixel photo (as
// the load test uploads) with the whole picture only, and with the mirror,
// regions and crops, in one goroutine and spread over GOMAXPROCS
// goroutines (the server's setting).
func BenchmarkQuery(b *testing.B) {
	ctx := context.Background()
	inputs := []struct {
		name string
		data []byte
	}{
		{"captioned", withCaptionBar(b, decode(b, readPhoto(b, "astronaut.png")))},
		{"1MP", megapixelJPEG(b)},
	}
	for _, in := range inputs {
		for _, tc := range []struct {
			name string
			opts meme.Options
		}{
			{"whole", meme.Options{Dihedral: true}},
			{"regions", meme.Options{Dihedral: true, Regions: true}},
			{"regions-parallel", meme.Options{Dihedral: true, Regions: true, Workers: runtime.GOMAXPROCS(0)}},
		} {
			b.Run(in.name+"/"+tc.name, func(b *testing.B) {
				h, err := meme.New(tc.opts)
				if err != nil {
					b.Fatal(err)
				}
				for b.Loop() {
					if _, err := h.Query(ctx, in.data); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// megapixelJPEG is a photograph scaled to about a million pixels, as JPEG.
func megapixelJPEG(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "photos", "debian-mate-backgrounds", "Aqua.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	img := decode(t, data)
	b := img.Bounds()
	scale := math.Sqrt(1e6 / float64(b.Dx()*b.Dy()))
	img = imaging.Resize(img, int(float64(b.Dx())*scale), int(float64(b.Dy())*scale), imaging.Lanczos)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkEntry makes a bank entry with the default signals (regions
// hashed with PDQ and pHash) and with PDQ and MD5 alone (regions hashed
// with PDQ alone): the difference is the cost of the regions' pHash.
func BenchmarkEntry(b *testing.B) {
	ctx := context.Background()
	data := readPhoto(b, "astronaut.png")
	for _, bc := range []struct {
		name    string
		signals []medialabel.Signal
	}{
		{"default", nil},
		{"pdq-md5", []medialabel.Signal{medialabel.PDQ, medialabel.MD5}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			h, err := meme.New(meme.Options{Signals: bc.signals, Regions: true})
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, _, err := h.Entry(ctx, data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestQueryWorkers checks that a query spread over goroutines is the query
// made in one, region for region and in the same order, and that a Hasher
// with workers serves one query after another (its hashers are reused).
func TestQueryWorkers(t *testing.T) {
	ctx := context.Background()
	var tiny bytes.Buffer
	if err := jpeg.Encode(&tiny, image.NewGray(image.Rect(0, 0, 6, 4)), nil); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"coffee.png":           readPhoto(t, "coffee.png"),
		"astronaut, captioned": withCaptionBar(t, decode(t, readPhoto(t, "astronaut.png"))),
		"text.png":             readPhoto(t, "text.png"),
		"6x4, no regions":      tiny.Bytes(),
	}
	one, err := meme.New(meme.Options{Dihedral: true, Regions: true})
	if err != nil {
		t.Fatal(err)
	}
	many, err := meme.New(meme.Options{Dihedral: true, Regions: true, Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		want, err := one.Query(ctx, files[name])
		if err != nil {
			t.Fatal(err)
		}
		if n := len(want.Query.Regions); n < 10 && name != "6x4, no regions" {
			t.Errorf("%s: %d query regions: the test needs regions and crops", name, n)
		}
		for range 2 {
			got, err := many.Query(ctx, files[name])
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: with 4 workers\n%+v\nwant\n%+v", name, got, want)
			}
		}
	}
	// A cancelled query ends with the context's error.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := many.Query(cctx, files["coffee.png"]); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled query: err = %v, want context.Canceled", err)
	}
}
