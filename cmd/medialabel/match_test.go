package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/color"
	"image/draw"
	"path/filepath"
	"strings"
	"testing"

	"github.com/disintegration/imaging"

	"github.com/medialabel/medialabel"
	"github.com/medialabel/medialabel/fingerprint"
	"github.com/medialabel/medialabel/hashdb"
)

const coffee = "../../testdata/photos/debian-python3-skimage/coffee.png"

// matchOutput decodes the JSON lines of match's output.
func matchOutput(t *testing.T, stdout string) []matchRecord {
	t.Helper()
	var out []matchRecord
	dec := json.NewDecoder(strings.NewReader(stdout))
	for dec.More() {
		var r matchRecord
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("output %q: %v", stdout, err)
		}
		out = append(out, r)
	}
	return out
}

// newMatchBank makes a store holding coffee.png in bank "sk" and returns
// its path.
func newMatchBank(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "t.db")
	addImage(t, db, "sk", "sk.coffee", coffee)
	return db
}

// addImage adds the image at path to bank in the store db, with its pdq,
// phash and md5 hashes.
func addImage(t *testing.T, db, bank, label, path string) {
	t.Helper()
	ctx := context.Background()
	h, err := fingerprint.New(fingerprint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fp, err := h.HashFile(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	store, err := hashdb.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := store.AddEntries(ctx, bank, []medialabel.Entry{{Label: label, Hashes: fp.Hashes}}); err != nil {
		t.Fatal(err)
	}
}

func TestMatchImages(t *testing.T) {
	db := newMatchBank(t)
	dir := t.TempDir()
	img, err := imaging.Open(coffee)
	if err != nil {
		t.Fatal(err)
	}
	// The PDQ reference's mirrored and rotated bridge photos, against the
	// original in the bank. A flip is its own inverse: the mirror matches
	// through its own flip; the picture rotated by 90 degrees matches
	// through its rotation by 270.
	dih := "../../testdata/pdq-reference/pdq-data/reg-test-input/dih/"
	addImage(t, db, "bridge", "bridge", dih+"bridge-1-original.jpg")
	flipped, rotated := dih+"bridge-6-flipy.jpg", dih+"bridge-2-rotate-90.jpg"
	// The picture with a white caption bar as tall as itself below it: the
	// whole image no longer matches, its caption-cut region does.
	b := img.Bounds()
	captioned := image.NewRGBA(image.Rect(0, 0, b.Dx(), 2*b.Dy()))
	draw.Draw(captioned, captioned.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(captioned, b, img, b.Min, draw.Src)
	captionedPath := filepath.Join(dir, "captioned.png")
	if err := imaging.Save(captioned, captionedPath); err != nil {
		t.Fatal(err)
	}
	other := "../../testdata/photos/debian-python3-skimage/astronaut.png"
	missing := filepath.Join(dir, "missing.png")

	var results [][]matchRecord
	for _, extra := range [][]string{nil, {"--exhaustive"}} {
		args := append([]string{"--db", db, "match"}, extra...)
		args = append(args, coffee, flipped, captionedPath, other, missing, rotated)
		code, stdout, stderr := runHashCmd(t, nil, args...)
		if code != 1 {
			t.Fatalf("match %v: exit %d, want 1 (one missing file): %s", extra, code, stderr)
		}
		results = append(results, matchOutput(t, stdout))
	}
	recs := results[0]
	if len(recs) != 6 {
		t.Fatalf("%d records, want 6", len(recs))
	}
	if got, _ := json.Marshal(results[1]); !bytes.Equal(got, must(json.Marshal(recs))) {
		t.Errorf("--exhaustive differs:\n%s\n%s", got, must(json.Marshal(recs)))
	}
	for i, want := range []string{coffee, flipped, captionedPath, other, missing, rotated} {
		if recs[i].Path != want {
			t.Errorf("record %d is %s, want %s (input order)", i, recs[i].Path, want)
		}
	}
	// The original: pdq, phash and md5 at distance 0, nothing transformed.
	if len(recs[0].Matches) != 3 {
		t.Fatalf("original: %+v, want pdq, phash and md5 matches", recs[0].Matches)
	}
	for _, m := range recs[0].Matches {
		if m.Bank != "sk" || m.Label != "sk.coffee" || m.Distance != 0 || m.Transform != "" || m.Region != "" {
			t.Errorf("original: match %+v", m)
		}
	}
	for _, c := range []struct {
		rec       matchRecord
		transform string
	}{{recs[1], "flipy"}, {recs[5], "rotate270"}} {
		ms := c.rec.Matches
		if len(ms) == 0 || ms[0].Bank != "bridge" || ms[0].Signal != "pdq" || string(ms[0].Transform) != c.transform || ms[0].Distance > 10 {
			t.Errorf("%s: %+v, want a pdq match through %s", c.rec.Path, ms, c.transform)
		}
	}
	// The captioned copy: through a region of the query.
	var viaRegion bool
	for _, m := range recs[2].Matches {
		viaRegion = viaRegion || m.Signal == "pdq" && m.Region != "" && !strings.HasPrefix(m.Region, "entry:")
	}
	if !viaRegion {
		t.Errorf("captioned copy: %+v, want a pdq match through a region of the query", recs[2].Matches)
	}
	if recs[3].Matches == nil || len(recs[3].Matches) != 0 || recs[3].Error != "" {
		t.Errorf("unrelated photo: %+v, want no matches", recs[3])
	}
	if recs[4].Error == "" {
		t.Errorf("missing file: %+v, want an error", recs[4])
	}
	// Without regions and rotations the captioned copy and the mirror do
	// not match by PDQ.
	code, stdout, _ := runHashCmd(t, nil, "--db", db, "match", "--regions=false", "--dihedral=false", flipped, captionedPath)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, r := range matchOutput(t, stdout) {
		for _, m := range r.Matches {
			if m.Signal == "pdq" {
				t.Errorf("%s without variants or regions: %+v", r.Path, m)
			}
		}
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func TestMatchHashes(t *testing.T) {
	db := newMatchBank(t)
	code, te, stderr := runHashCmd(t, nil, "hash", "--signals", "pdq,md5", "--format", "te", coffee)
	if code != 0 {
		t.Fatalf("hash: exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(te), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "pdq ") {
		t.Fatalf("hash output %q", te)
	}
	pdqHex := strings.Fields(lines[0])[1]
	// The PDQ hash with its first 8 bits flipped: distance 8.
	v, err := hex.DecodeString(pdqHex)
	if err != nil {
		t.Fatal(err)
	}
	v[0] ^= 0xff
	near := hex.EncodeToString(v)
	in := strings.Join([]string{
		lines[0],
		"# a comment",
		"",
		"pdq 1234",
		"pdq " + near,
		lines[1],
		"phash 0123456789abcdef",
	}, "\n")
	code, stdout, stderr := runHashCmd(t, strings.NewReader(in), "--db", db, "match", "--hashes", "-")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (a bad line): %s", code, stderr)
	}
	recs := matchOutput(t, stdout)
	if len(recs) != 5 {
		t.Fatalf("%d records, want 5: %s", len(recs), stdout)
	}
	if recs[0].Hash != "pdq:"+pdqHex || len(recs[0].Matches) != 1 || recs[0].Matches[0].Distance != 0 {
		t.Errorf("exact pdq: %+v", recs[0])
	}
	if recs[1].Line != 4 || recs[1].Error == "" {
		t.Errorf("bad line: %+v, want an error for line 4", recs[1])
	}
	if len(recs[2].Matches) != 1 || recs[2].Matches[0].Distance != 8 {
		t.Errorf("near pdq: %+v", recs[2])
	}
	if len(recs[3].Matches) != 1 || recs[3].Matches[0].Signal != "md5" {
		t.Errorf("md5: %+v", recs[3])
	}
	if len(recs[4].Matches) != 0 || recs[4].Error != "" {
		t.Errorf("unrelated phash: %+v", recs[4])
	}
	// --threshold 7 drops the near hash; --bank restricts.
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"--threshold", "7"}, 0},
		{[]string{"--threshold", "8"}, 1},
		{[]string{"--bank", "other"}, 0},
		{[]string{"--bank", "sk,other"}, 1},
	} {
		args := append([]string{"--db", db, "match", "--hashes", "-"}, tc.args...)
		code, stdout, stderr := runHashCmd(t, strings.NewReader("pdq "+near+"\n"), args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", tc.args, code, stderr)
		}
		if recs := matchOutput(t, stdout); len(recs) != 1 || len(recs[0].Matches) != tc.want {
			t.Errorf("%v: %s, want %d matches", tc.args, stdout, tc.want)
		}
	}
}

func TestMatchUsage(t *testing.T) {
	db := newMatchBank(t)
	for _, args := range [][]string{
		{"match"},
		{"match", "--threshold", "300", coffee},
		{"match", "--phash-threshold", "-1", coffee},
		{"match", "--hashes", "-", coffee},
		{"match", "--hashes", filepath.Join(t.TempDir(), "none.txt")},
		{"match", "--signals", "xhash", coffee},
	} {
		code, _, stderr := runHashCmd(t, strings.NewReader(""), append([]string{"--db", db}, args...)...)
		if code != 2 || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a message", args, code, stderr)
		}
	}
	code, _, stderr := runHashCmd(t, nil, "--db", filepath.Join(t.TempDir(), "absent.db"), "match", coffee)
	if code != 2 || !strings.Contains(stderr, "no bank store") {
		t.Errorf("absent store: exit %d, %q", code, stderr)
	}
}
