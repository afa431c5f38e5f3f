package fingerprint_test

import (
	"context"
	"encoding/csv"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/medialabel/medialabel"
	"github.com/medialabel/medialabel/fingerprint"
	"github.com/medialabel/medialabel/jpegturbo"
	"github.com/medialabel/medialabel/pdq"
)

const (
	refDir    = "../testdata/pdq-reference"
	photosDir = "../testdata/photos"
)

// sampled reports whether the i-th file of a data-driven test is checked.
// Every file is, except under the race detector, where decoding large
// pictures is about ten times slower and adds nothing the detector could
// find (each test hashes on one goroutine): there one file in every n is
// checked, and the test says so. `go test ./fingerprint` (without -race)
// checks them all.
func sampled(t *testing.T, i, n int) bool {
	if !raceEnabled {
		return true
	}
	if i == 0 {
		t.Logf("race detector on: checking 1 large file in %d; run without -race to check them all", n)
	}
	return i%n == 0
}

// readCSV returns the rows of a CSV file as maps from column name to value.
func readCSV(t testing.TB, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var rows []map[string]string
	for _, r := range recs[1:] {
		m := make(map[string]string, len(r))
		for i, name := range recs[0] {
			m[name] = r[i]
		}
		rows = append(rows, m)
	}
	return rows
}

// pdqOf hashes path with PDQ only.
func pdqOf(t *testing.T, h *fingerprint.Hasher, path string) (pdq.Hash, medialabel.Fingerprint) {
	t.Helper()
	fp, err := h.HashFile(context.Background(), path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	v, ok := fp.Hash(medialabel.PDQ)
	if !ok {
		t.Fatalf("%s: no pdq hash", path)
	}
	var got pdq.Hash
	copy(got[:], v.Value)
	return got, fp
}

// TestReferenceVectors checks every source file of the PDQ reference
// vectors against the C++ reference's full-resolution hash, exactly, PNG
// and JPEG alike: the default JPEG decoder gives libjpeg-turbo's samples
// bit for bit (the pure-Go one, or libjpeg-turbo itself with -tags turbo),
// and the reference hashed libjpeg-turbo's pixels. (The bound is
// JPEG within 2 bits and quality >= 80 within 10; image/jpeg missed it by
// up to 22 bits on the low-quality labelme files.)
func TestReferenceVectors(t *testing.T) {
	h, err := fingerprint.New(fingerprint.Options{Signals: []medialabel.Signal{medialabel.PDQ}})
	if err != nil {
		t.Fatal(err)
	}
	logDecoder(t)
	for i, row := range readCSV(t, filepath.Join(refDir, "expected/core-vectors.csv")) {
		file := row["source_file"]
		if row["pre_resized_to_512"] == "1" && !sampled(t, i, 4) {
			continue
		}
		t.Run(file, func(t *testing.T) {
			want, err := pdq.ParseHash(row["noresize_hash"])
			if err != nil {
				t.Fatal(err)
			}
			wantQ, _ := strconv.Atoi(row["noresize_quality"])
			got, fp := pdqOf(t, h, filepath.Join(refDir, "pdq-data", file))
			d := pdq.Distance(got, want)
			t.Logf("distance %d, quality %d (reference %d)", d, fp.PDQQuality, wantQ)
			if fp.Format != "jpeg" && fp.Format != "png" {
				t.Fatalf("unexpected format %q", fp.Format)
			}
			if d != 0 {
				t.Errorf("%s: distance %d to the reference, want 0\n got  %s\n want %s", file, d, got, want)
			}
			if fp.PDQQuality != wantQ {
				t.Errorf("%s: quality %d, reference %d", file, fp.PDQQuality, wantQ)
			}
		})
	}
}

// logDecoder says which JPEG decoder the acceptance tests check.
func logDecoder(t *testing.T) {
	if jpegturbo.Available {
		t.Log("JPEG decoder: libjpeg-turbo (build tag turbo)")
	} else {
		t.Log("JPEG decoder: pure Go (internal/jpegscale); go test -tags turbo checks libjpeg-turbo")
	}
}

// TestPhotos checks the photographs against the reference's
// full-resolution hashes, exactly, PNG and JPEG alike (see
// TestReferenceVectors).
func TestPhotos(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes 37 large photographs; skipped with -short")
	}
	h, err := fingerprint.New(fingerprint.Options{Signals: []medialabel.Signal{medialabel.PDQ}})
	if err != nil {
		t.Fatal(err)
	}
	logDecoder(t)
	for i, row := range readCSV(t, filepath.Join(photosDir, "pdq-expected.csv")) {
		file := row["file"]
		if !sampled(t, i, 6) {
			continue
		}
		t.Run(file, func(t *testing.T) {
			want, err := pdq.ParseHash(row["fullres_hash"])
			if err != nil {
				t.Fatal(err)
			}
			got, fp := pdqOf(t, h, filepath.Join(photosDir, file))
			d := pdq.Distance(got, want)
			t.Logf("distance %d, quality %d (reference %s)", d, fp.PDQQuality, row["fullres_quality"])
			if d != 0 {
				t.Errorf("%s: distance %d to the reference, want 0", file, d)
			}
		})
	}
}

// TestFast checks the fast mode's documented bounds on every JPEG of the
// test photos and reference files: PDQ and pHash of the reduced-scale
// decode within FastPDQBound and FastPHashBound bits of the
// full-resolution ones, the same size reported, and the same PDQ when
// the picture is too small to reduce.
func TestFast(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes the large test JPEGs twice; skipped with -short")
	}
	signals := []medialabel.Signal{medialabel.PDQ, medialabel.PHash}
	full, err := fingerprint.New(fingerprint.Options{Signals: signals})
	if err != nil {
		t.Fatal(err)
	}
	fast, err := fingerprint.New(fingerprint.Options{Signals: signals, Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, dir := range []string{photosDir, filepath.Join(refDir, "pdq-data")} {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".jpg") {
				files = append(files, p)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(files) < 60 {
		t.Fatalf("%d test JPEGs, want the 63", len(files))
	}
	reduced := 0
	maxd := map[medialabel.Signal]int{}
	for i, f := range files {
		if !sampled(t, i, 8) {
			continue
		}
		ctx := context.Background()
		a, err := full.HashFile(ctx, f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		b, err := fast.HashFile(ctx, f)
		if err != nil {
			t.Fatalf("%s fast: %v", f, err)
		}
		if a.Width != b.Width || a.Height != b.Height {
			t.Errorf("%s: fast size %dx%d, full %dx%d", f, b.Width, b.Height, a.Width, a.Height)
		}
		small := a.Width/2 < fingerprint.FastMinSide || a.Height/2 < fingerprint.FastMinSide
		if !small {
			reduced++
		}
		for _, c := range []struct {
			sig   medialabel.Signal
			bound int
		}{{medialabel.PDQ, fingerprint.FastPDQBound}, {medialabel.PHash, fingerprint.FastPHashBound}} {
			x, _ := a.Hash(c.sig)
			y, _ := b.Hash(c.sig)
			d, err := medialabel.Distance(x, y)
			if err != nil {
				t.Fatal(err)
			}
			if small && c.sig == medialabel.PDQ {
				c.bound = 0
			}
			maxd[c.sig] = max(maxd[c.sig], d)
			if d > c.bound {
				t.Errorf("%s (%dx%d): fast %s at distance %d from full resolution, documented bound %d", f, a.Width, a.Height, c.sig, d, c.bound)
			}
		}
	}
	t.Logf("%d JPEGs reduced; largest distances: PDQ %d, pHash %d", reduced, maxd[medialabel.PDQ], maxd[medialabel.PHash])
	if reduced == 0 {
		t.Error("no JPEG was reduced")
	}
}
