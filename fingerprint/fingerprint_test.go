package fingerprint_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/medialabel/medialabel"
	"github.com/medialabel/medialabel/fingerprint"
	"github.com/medialabel/medialabel/hashlist"
	"github.com/medialabel/medialabel/imagefile"
	"github.com/medialabel/medialabel/imagefile/imagetest"
	"github.com/medialabel/medialabel/pdq"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

var allSignals = []medialabel.Signal{medialabel.PDQ, medialabel.PHash, medialabel.DHash, medialabel.AHash, medialabel.MD5, medialabel.SHA256}

func newHasher(t testing.TB, opts fingerprint.Options) *fingerprint.Hasher {
	t.Helper()
	h, err := fingerprint.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name string
		opts fingerprint.Options
		want string
	}{
		{"unknown", fingerprint.Options{Signals: []medialabel.Signal{"crc32"}}, "unknown signal"},
		{"twice", fingerprint.Options{Signals: []medialabel.Signal{medialabel.PDQ, medialabel.PDQ}}, "twice"},
		{"dihedral without pdq", fingerprint.Options{Signals: []medialabel.Signal{medialabel.PHash}, Dihedral: true}, "pdq"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := fingerprint.New(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestSignalsInRequestedOrder(t *testing.T) {
	data := imagetest.PNG(imagetest.Picture(80, 60, 1))
	orders := [][]medialabel.Signal{
		nil, // default
		{medialabel.SHA256, medialabel.AHash, medialabel.PDQ},
		{medialabel.MD5},
		allSignals,
	}
	for _, order := range orders {
		h := newHasher(t, fingerprint.Options{Signals: order})
		fp, err := h.HashBytes(context.Background(), data)
		if err != nil {
			t.Fatal(err)
		}
		want := order
		if want == nil {
			want = fingerprint.DefaultSignals()
		}
		var got []medialabel.Signal
		for _, hash := range fp.Hashes {
			got = append(got, hash.Signal)
			if len(hash.Value)*8 != hash.Signal.Bits() {
				t.Errorf("%s: %d bytes", hash.Signal, len(hash.Value))
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("signals %v, want %v", got, want)
		}
		if fp.Format != "png" || fp.Width != 80 || fp.Height != 60 {
			t.Errorf("format %q %dx%d, want png 80x60", fp.Format, fp.Width, fp.Height)
		}
	}
}

func TestByteHashes(t *testing.T) {
	data := imagetest.JPEG(imagetest.Picture(64, 64, 2))
	h := newHasher(t, fingerprint.Options{Signals: allSignals})
	wantMD5, wantSHA := md5.Sum(data), sha256.Sum256(data)
	path := filepath.Join(t.TempDir(), "pic.jpg")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var fps []medialabel.Fingerprint
	for i := 0; i < 2; i++ { // twice, so that reused buffers and sums are reset
		a, err := h.HashFile(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		b, err := h.HashReader(ctx, bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		c, err := h.HashBytes(ctx, data)
		if err != nil {
			t.Fatal(err)
		}
		fps = append(fps, a, b, c)
	}
	for i, fp := range fps {
		if !reflect.DeepEqual(fp, fps[0]) {
			t.Errorf("fingerprint %d differs: %+v, want %+v", i, fp, fps[0])
		}
	}
	if h, _ := fps[0].Hash(medialabel.MD5); !bytes.Equal(h.Value, wantMD5[:]) {
		t.Errorf("md5 %x, want %x", h.Value, wantMD5)
	}
	if h, _ := fps[0].Hash(medialabel.SHA256); !bytes.Equal(h.Value, wantSHA[:]) {
		t.Errorf("sha256 %x, want %x", h.Value, wantSHA)
	}
}

func TestHashImageMatchesFile(t *testing.T) {
	pic := imagetest.Picture(120, 90, 3)
	h := newHasher(t, fingerprint.Options{Signals: allSignals, Dihedral: true})
	ctx := context.Background()
	fromFile, err := h.HashBytes(ctx, imagetest.PNG(pic))
	if err != nil {
		t.Fatal(err)
	}
	fromImage, err := h.HashImage(ctx, pic)
	if err != nil {
		t.Fatal(err)
	}
	if fromImage.Format != "" || fromImage.Width != 120 || fromImage.Height != 90 {
		t.Errorf("HashImage: format %q %dx%d", fromImage.Format, fromImage.Width, fromImage.Height)
	}
	if _, ok := fromImage.Hash(medialabel.MD5); ok {
		t.Error("HashImage gave an md5 without bytes")
	}
	for _, s := range []medialabel.Signal{medialabel.PDQ, medialabel.PHash, medialabel.DHash, medialabel.AHash} {
		a, _ := fromFile.Hash(s)
		b, ok := fromImage.Hash(s)
		if !ok || a.Hex() != b.Hex() {
			t.Errorf("%s: from image %s, from file %s", s, b.Hex(), a.Hex())
		}
	}
	if !reflect.DeepEqual(fromFile.Dihedral, fromImage.Dihedral) || fromFile.PDQQuality != fromImage.PDQQuality {
		t.Error("dihedral hashes or quality differ between HashImage and HashBytes")
	}
}

// TestDihedral checks the seven variants against the reference CLI's
// --pdqdih-across output for the same file (both on the same decode, so
// only the decoder's few bits may differ), and that the original is the
// plain PDQ hash.
func TestDihedral(t *testing.T) {
	h := newHasher(t, fingerprint.Options{Signals: []medialabel.Signal{medialabel.PDQ}, Dihedral: true})
	plain := newHasher(t, fingerprint.Options{Signals: []medialabel.Signal{medialabel.PDQ}})
	rows := readCSV(t, filepath.Join(refDir, "expected/core-vectors.csv"))
	checked := 0
	for _, row := range rows {
		// The reference's dihedral hashes are of the pixels it saved:
		// compare the JPEG that was not resized (within the decoder's few
		// bits) and the saved pixels of a PNG that was (exactly).
		var path string
		limit := 0
		switch row["source_file"] {
		case "bridge-mods/square-256x256.jpg":
			path = filepath.Join(refDir, "pdq-data", row["source_file"])
			limit = 2
		case "misc-images/modes/P.png":
			path = filepath.Join(refDir, "expected/core-pixels", row["pixels_file"])
		default:
			continue
		}
		checked++
		fp, err := h.HashFile(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := plain.HashFile(context.Background(), path)
		if a, b := fp.Hashes[0].Hex(), p.Hashes[0].Hex(); a != b {
			t.Errorf("%s: pdq with dihedral %s, without %s", path, a, b)
		}
		if len(fp.Dihedral) != 7 {
			t.Fatalf("%d dihedral hashes, want 7", len(fp.Dihedral))
		}
		for _, tr := range medialabel.AllTransforms()[1:] {
			want, err := pdq.ParseHash(row[string(tr)])
			if err != nil {
				t.Fatal(err)
			}
			var got pdq.Hash
			copy(got[:], fp.Dihedral[tr].Value)
			if d := pdq.Distance(got, want); d > limit {
				t.Errorf("%s %s: distance %d to the reference, want <= %d", row["source_file"], tr, d, limit)
			}
		}
	}
	if checked != 2 {
		t.Errorf("checked %d files, want 2", checked)
	}
}

func TestErrors(t *testing.T) {
	h := newHasher(t, fingerprint.Options{Signals: allSignals})
	for _, f := range imagetest.Hostile() {
		_, err := h.HashBytes(context.Background(), f.Data)
		if err == nil {
			t.Errorf("%s: no error", f.Name)
			continue
		}
		if !errors.Is(err, imagefile.ErrCorrupt) && !errors.Is(err, imagefile.ErrUnsupported) && !errors.Is(err, imagefile.ErrTooLarge) {
			t.Errorf("%s: error %v has no kind", f.Name, err)
		}
	}
	// Byte signals alone still check the header.
	md := newHasher(t, fingerprint.Options{Signals: []medialabel.Signal{medialabel.MD5}})
	if _, err := md.HashBytes(context.Background(), []byte("plain text")); !errors.Is(err, imagefile.ErrUnsupported) {
		t.Errorf("md5 of text: err %v, want unsupported", err)
	}
	small := newHasher(t, fingerprint.Options{Decoder: imagefile.Decoder{MaxBytes: 10}})
	if _, err := small.HashReader(context.Background(), bytes.NewReader(imagetest.PNG(imagetest.Picture(8, 8, 1)))); !errors.Is(err, imagefile.ErrTooLarge) {
		t.Errorf("over MaxBytes: err %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.HashBytes(ctx, imagetest.PNG(imagetest.Picture(8, 8, 1))); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err %v", err)
	}
}

// goldenFiles are the images of the golden file: small reference images and
// photographs (small, to keep the test quick under the race detector), and
// generated files of every format and variant besides.
var goldenFiles = []string{
	"pdq-reference/pdq-data/bridge-mods/square-128x128.jpg",
	"pdq-reference/pdq-data/bridge-mods/shrink-a-lot.jpg",
	"pdq-reference/pdq-data/misc-images/small.jpg",
	"pdq-reference/pdq-data/misc-images/wee.jpg",
	"pdq-reference/pdq-data/reg-test-input/labelme-subset/q0746.jpg",
	"pdq-reference/pdq-data/reg-test-input/labelme-subset/q1050.jpg",
	"pdq-reference/expected/core-pixels/misc-images__modes__P.pixels.png",
	"pdq-reference/expected/core-pixels/misc-images__modes__LA.pixels.png",
	"photos/debian-python3-skimage/chelsea.png",
	"photos/debian-python3-skimage/clock_motion.png",
	"photos/debian-python3-skimage/coins.png",
	"photos/debian-python3-skimage/text.png",
}

// TestGolden hashes a dozen reference images and the generated files of
// every format with every signal and the dihedral hashes, and compares
// with testdata/golden/signals.jsonl (rewritten with -update).
func TestGolden(t *testing.T) {
	h := newHasher(t, fingerprint.Options{Signals: allSignals, Dihedral: true})
	ctx := context.Background()
	var out bytes.Buffer
	w, err := hashlist.NewWriter(&out, hashlist.JSONL)
	if err != nil {
		t.Fatal(err)
	}
	add := func(name string, fp medialabel.Fingerprint, err error) {
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := w.Write(hashlist.FingerprintRecord(name, fp)); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range goldenFiles {
		fp, err := h.HashFile(ctx, filepath.Join("..", "testdata", name))
		add(name, fp, err)
	}
	for _, f := range imagetest.Valid() {
		fp, err := h.HashBytes(ctx, f.Data)
		add("generated/"+f.Name, fp, err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "golden", "signals.jsonl")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./fingerprint -update to create it)", err)
	}
	gotLines, wantLines := lines(out.Bytes()), lines(want)
	if len(gotLines) != len(wantLines) {
		t.Fatalf("%d records, golden has %d", len(gotLines), len(wantLines))
	}
	for i := range gotLines {
		if gotLines[i] != wantLines[i] {
			t.Errorf("record %d:\n got  %s\n want %s", i+1, gotLines[i], wantLines[i])
		}
	}
}

func lines(b []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

func BenchmarkFingerprintJPEG2560(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(photosDir, "debian-plasma-workspace-wallpapers/Kite-2560x1600.jpg"))
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		opts fingerprint.Options
	}{
		{"default", fingerprint.Options{}},
		{"pdq", fingerprint.Options{Signals: []medialabel.Signal{medialabel.PDQ}}},
		{"all+dihedral", fingerprint.Options{Signals: allSignals, Dihedral: true}},
		{"md5", fingerprint.Options{Signals: []medialabel.Signal{medialabel.MD5}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			h := newHasher(b, bc.opts)
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := h.HashReader(context.Background(), bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestHashDecodedSameAsHashBytes checks that fingerprinting from a decode
// made by the caller gives exactly what HashBytes gives, for every format.
func TestHashDecodedSameAsHashBytes(t *testing.T) {
	ctx := context.Background()
	all := []medialabel.Signal{medialabel.PDQ, medialabel.PHash, medialabel.DHash, medialabel.AHash, medialabel.MD5, medialabel.SHA256}
	for _, fast := range []bool{false, true} {
		h, err := fingerprint.New(fingerprint.Options{Signals: all, Dihedral: true, Fast: fast})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range imagetest.Valid() {
			want, err := h.HashBytes(ctx, f.Data)
			if err != nil {
				t.Fatalf("%s: HashBytes: %v", f.Name, err)
			}
			im, err := h.Decode(f.Data)
			if err != nil {
				t.Fatalf("%s: Decode: %v", f.Name, err)
			}
			got, err := h.HashDecoded(ctx, f.Data, im)
			if err != nil {
				t.Fatalf("%s: HashDecoded: %v", f.Name, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("fast=%v %s: HashDecoded = %+v, HashBytes = %+v", fast, f.Name, got, want)
			}
		}
	}
}
