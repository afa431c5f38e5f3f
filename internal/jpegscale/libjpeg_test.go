package jpegscale

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "regenerate testdata/djpeg.sha256 with djpeg (libjpeg-turbo)")

// goldenPath lists, for every JPEG of the repository's test data, the
// SHA-256 of the samples djpeg (libjpeg-turbo 2.1.5, default settings)
// decodes from it: RGB or grey, row after row, no header.
const goldenPath = "testdata/djpeg.sha256"

// libjpegFiles returns the JPEGs compared with libjpeg: Go's test images
// (but the CMYK and truncated ones, which djpeg does not write as PPM or
// only with a warning) and every JPEG of the repository's testdata.
func libjpegFiles(t testing.TB) []string {
	t.Helper()
	var files []string
	for _, pat := range []string{"testdata/*.jpeg", "../../testdata/*/*/*.jpg", "../../testdata/*/*/*/*.jpg", "../../testdata/*/*/*/*/*.jpg"} {
		m, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	var out []string
	for _, f := range files {
		b := filepath.Base(f)
		if strings.Contains(b, "cmyk") || strings.Contains(b, "truncated") || strings.Contains(f, "CMYK") {
			continue
		}
		out = append(out, f)
	}
	sort.Strings(out)
	if len(out) < 50 {
		t.Fatalf("only %d JPEGs found", len(out))
	}
	if !raceEnabled {
		return out
	}
	// Under the race detector, which adds nothing here (decoding runs on
	// one goroutine) but is ten times slower: the small files, and one
	// photograph in eight. go test without -race checks them all.
	t.Log("race detector on: checking 1 photograph in 8; run without -race to check them all")
	var some []string
	for i, f := range out {
		if !strings.Contains(f, "photos") || i%8 == 0 {
			some = append(some, f)
		}
	}
	return some
}

// samples returns the pixels of img as djpeg writes them: RGB for colour,
// one byte a pixel for grey.
func samples(img image.Image) []byte {
	switch m := img.(type) {
	case *image.Gray:
		b := m.Bounds()
		out := make([]byte, 0, b.Dx()*b.Dy())
		for y := b.Min.Y; y < b.Max.Y; y++ {
			out = append(out, m.Pix[m.PixOffset(b.Min.X, y):m.PixOffset(b.Max.X, y)]...)
		}
		return out
	case *image.RGBA:
		b := m.Bounds()
		out := make([]byte, 0, 3*b.Dx()*b.Dy())
		for y := b.Min.Y; y < b.Max.Y; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, y):m.PixOffset(b.Max.X, y)]
			for x := 0; x < len(row); x += 4 {
				out = append(out, row[x], row[x+1], row[x+2])
			}
		}
		return out
	}
	return nil
}

// djpeg decodes path with libjpeg-turbo's djpeg and returns its samples.
func djpeg(path string) ([]byte, error) {
	out, err := exec.Command("djpeg", "-pnm", path).Output()
	if err != nil {
		return nil, fmt.Errorf("djpeg %s: %v", path, err)
	}
	// A binary PNM: magic, width, height, maxval, one whitespace byte.
	fields := 0
	i := 0
	for fields < 4 && i < len(out) {
		for i < len(out) && (out[i] == ' ' || out[i] == '\n' || out[i] == '\t' || out[i] == '\r') {
			i++
		}
		for i < len(out) && !(out[i] == ' ' || out[i] == '\n' || out[i] == '\t' || out[i] == '\r') {
			i++
		}
		fields++
	}
	return out[i+1:], nil
}

func readGolden(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(goldenPath)
	if err != nil {
		t.Fatalf("%v (regenerate with go test -run TestMatchesLibjpeg -update, which needs djpeg)", err)
	}
	defer f.Close()
	m := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if ok {
			m[name] = sum
		}
	}
	return m
}

// TestMatchesLibjpeg checks that at full scale the decoder gives the
// samples libjpeg-turbo gives, bit for bit, on every JPEG of the test data:
// baseline and progressive, 4:4:4, 4:2:2, 4:2:0, 4:4:0, 4:1:1, 4:1:0,
// grey, odd sizes, restart markers.
func TestMatchesLibjpeg(t *testing.T) {
	files := libjpegFiles(t)
	if *update {
		if raceEnabled {
			t.Fatal("-update checks every file: run it without -race")
		}
		var buf bytes.Buffer
		for _, f := range files {
			s, err := djpeg(f)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&buf, "%x  %s\n", sha256.Sum256(s), filepath.ToSlash(f))
		}
		if err := os.WriteFile(goldenPath, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	golden := readGolden(t)
	_, djpegErr := exec.LookPath("djpeg")
	for _, f := range files {
		want, ok := golden[filepath.ToSlash(f)]
		if !ok {
			t.Errorf("%s: not in %s; regenerate with -update", f, goldenPath)
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		img, err := Decode(bytes.NewReader(data), 1)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		got := samples(img)
		sum := sha256.Sum256(got)
		if hex.EncodeToString(sum[:]) == want {
			continue
		}
		msg := fmt.Sprintf("%s (%T): samples differ from libjpeg's", f, img)
		if djpegErr == nil {
			if ref, err := djpeg(f); err == nil && len(ref) == len(got) {
				maxd, n := 0, 0
				for i := range ref {
					d := int(ref[i]) - int(got[i])
					if d < 0 {
						d = -d
					}
					if d > 0 {
						n++
					}
					maxd = max(maxd, d)
				}
				msg += fmt.Sprintf(": %d of %d samples, by up to %d", n, len(ref), maxd)
			}
		}
		t.Error(msg)
	}
}
