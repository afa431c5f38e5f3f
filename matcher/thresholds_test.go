package matcher

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"image/jpeg"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/disintegration/imaging"

	"github.com/medialabel/medialabel"
	"github.com/medialabel/medialabel/fingerprint"
)

var update = flag.Bool("update", false, "rehash ../testdata/photos into testdata/photo-hashes.txt")

const photoHashes = "testdata/photo-hashes.txt"

// photoHash is one photo's hash of one signal, and the hash of a near copy
// of the photo (halved in size and saved as JPEG at quality 70).
type photoHash struct {
	file       string
	hash, near medialabel.Hash
}

// TestDefaultThresholdsSeparatePhotos checks the default thresholds
// against 37 unrelated photographs: no two different photos may match,
// and the near copy of each photo should.
func TestDefaultThresholdsSeparatePhotos(t *testing.T) {
	if *update {
		writePhotoHashes(t)
	}
	hs := readPhotoHashes(t)
	bySignal := map[medialabel.Signal][]photoHash{}
	for _, h := range hs {
		bySignal[h.hash.Signal] = append(bySignal[h.hash.Signal], h)
	}
	for _, sig := range []medialabel.Signal{medialabel.PDQ, medialabel.PHash, medialabel.DHash, medialabel.AHash} {
		list := bySignal[sig]
		if len(list) < 30 {
			t.Fatalf("%s: %d photos in %s", sig, len(list), photoHashes)
		}
		nearest, pair := sig.Bits()+1, ""
		for i := range list {
			for j := range i {
				d, err := medialabel.Distance(list[i].hash, list[j].hash)
				if err != nil {
					t.Fatal(err)
				}
				if d < nearest {
					nearest, pair = d, list[i].file+" and "+list[j].file
				}
			}
		}
		worstNear, matched := 0, 0
		for _, h := range list {
			d, err := medialabel.Distance(h.hash, h.near)
			if err != nil {
				t.Fatal(err)
			}
			worstNear = max(worstNear, d)
			if d <= DefaultThreshold(sig) {
				matched++
			}
		}
		t.Logf("%s: default %d; nearest different photos %d apart (%s); near copies up to %d apart, %d of %d within the default",
			sig, DefaultThreshold(sig), nearest, pair, worstNear, matched, len(list))
		if nearest <= DefaultThreshold(sig) {
			t.Errorf("%s: default threshold %d matches different photos %s (distance %d)", sig, DefaultThreshold(sig), pair, nearest)
		}
		if matched < len(list)*9/10 {
			t.Errorf("%s: default threshold %d matches only %d of %d near copies", sig, DefaultThreshold(sig), matched, len(list))
		}
	}
}

func readPhotoHashes(t *testing.T) []photoHash {
	t.Helper()
	f, err := os.Open(photoHashes)
	if err != nil {
		t.Fatalf("%v (regenerate with go test -run TestDefaultThresholds -update)", err)
	}
	defer f.Close()
	var out []photoHash
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 4 {
			t.Fatalf("%s: bad line %q", photoHashes, sc.Text())
		}
		sig, err := medialabel.ParseSignal(fields[1])
		if err != nil {
			t.Fatal(err)
		}
		h, err := medialabel.ParseHex(sig, fields[2])
		if err != nil {
			t.Fatal(err)
		}
		near, err := medialabel.ParseHex(sig, fields[3])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, photoHash{file: fields[0], hash: h, near: near})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func writePhotoHashes(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	root := filepath.Join("..", "testdata", "photos")
	hasher, err := fingerprint.New(fingerprint.Options{Signals: []medialabel.Signal{medialabel.PDQ, medialabel.PHash, medialabel.DHash, medialabel.AHash}})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(path, ".jpg") || strings.HasSuffix(path, ".png")) {
			return err
		}
		fp, err := hasher.HashFile(ctx, path)
		if err != nil {
			return err
		}
		img, err := imaging.Open(path)
		if err != nil {
			return err
		}
		img = imaging.Resize(img, img.Bounds().Dx()/2, 0, imaging.Lanczos)
		var jpg bytes.Buffer
		if err := jpeg.Encode(&jpg, img, &jpeg.Options{Quality: 70}); err != nil {
			return err
		}
		nfp, err := hasher.HashBytes(ctx, jpg.Bytes())
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		for _, h := range fp.Hashes {
			n, _ := nfp.Hash(h.Signal)
			fmt.Fprintf(&out, "%s %s %s %s\n", filepath.ToSlash(rel), h.Signal, h.Hex(), n.Hex())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll("testdata", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(photoHashes, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
