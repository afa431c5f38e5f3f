//go:build turbo && cgo

package jpegturbo

import (
	"bytes"
	"encoding/csv"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medialabel/medialabel/internal/jpegscale"
	"github.com/medialabel/medialabel/pdq"
)

const refDir = "../testdata/pdq-reference"

// TestMatchesPDQReference checks that PDQ on libjpeg-turbo's full-size
// decode equals, bit for bit, the C++ reference's hash of the same file at
// full resolution (the reference decoded it with libjpeg-turbo too).
func TestMatchesPDQReference(t *testing.T) {
	f, err := os.Open(filepath.Join(refDir, "expected", "core-vectors.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, name := range recs[0] {
		col[name] = i
	}
	var h pdq.Hasher
	n := 0
	for _, rec := range recs[1:] {
		src := rec[col["source_file"]]
		if !strings.HasSuffix(src, ".jpg") || strings.Contains(src, "CMYK") {
			continue
		}
		if testing.Short() && n >= 4 {
			break
		}
		n++
		data, err := os.ReadFile(filepath.Join(refDir, "pdq-data", src))
		if err != nil {
			t.Fatal(err)
		}
		img, err := DecodeBytes(data, 1)
		if err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		hash, q := h.HashImage(img)
		if want := rec[col["noresize_hash"]]; hash.String() != want || want == "" {
			t.Errorf("%s: %v q%d, want %s q%s", src, hash, q, want, rec[col["noresize_quality"]])
		}
	}
	if n < 4 {
		t.Errorf("only %d JPEG vectors", n)
	}
}

func photo(t testing.TB) []byte {
	data, err := os.ReadFile(filepath.Join(refDir, "pdq-data", "bridge-mods", "square-256x256.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestScaled(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(refDir, "pdq-data", "bridge-mods", "shrink-a-lot.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	full, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	fb := full.Bounds()
	for _, denom := range []int{1, 2, 4, 8} {
		img, err := Decode(bytes.NewReader(data), denom)
		if err != nil {
			t.Fatalf("1/%d: %v", denom, err)
		}
		want := image.Rect(0, 0, (fb.Dx()+denom-1)/denom, (fb.Dy()+denom-1)/denom)
		if img.Bounds() != want {
			t.Errorf("1/%d: bounds %v, want %v", denom, img.Bounds(), want)
		}
		m, ok := img.(*image.RGBA)
		if !ok {
			t.Fatalf("1/%d: %T, want *image.RGBA", denom, img)
		}
		for i := 3; i < len(m.Pix); i += 4 {
			if m.Pix[i] != 0xff {
				t.Fatalf("1/%d: alpha %d at %d, want opaque", denom, m.Pix[i], i)
			}
		}
	}
}

func TestGrey(t *testing.T) {
	var buf bytes.Buffer
	g := image.NewGray(image.Rect(0, 0, 40, 24))
	for i := range g.Pix {
		g.Pix[i] = byte(i)
	}
	if err := jpeg.Encode(&buf, g, nil); err != nil {
		t.Fatal(err)
	}
	img, err := DecodeBytes(buf.Bytes(), 8)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := img.(*image.Gray); !ok || img.Bounds() != image.Rect(0, 0, 5, 3) {
		t.Errorf("%T %v, want *image.Gray 5x3", img, img.Bounds())
	}
}

func TestBadInput(t *testing.T) {
	data := photo(t)
	for _, c := range []struct {
		name  string
		data  []byte
		denom int
	}{
		{"empty", nil, 1},
		{"not a JPEG", []byte("GIF89a not a jpeg at all"), 1},
		{"header only", data[:200], 1},
		{"truncated", data[:len(data)/2], 2},
		{"bad denominator", data, 3},
		{"over the pixel limit", hugeHeader(data), 8},
	} {
		if img, err := DecodeBytes(c.data, c.denom); err == nil {
			t.Errorf("%s: decoded %v, want an error", c.name, img.Bounds())
		}
	}
}

// TestFallBack checks that what libjpeg-turbo does not decode goes to
// jpegscale, with its result or its error.
func TestFallBack(t *testing.T) {
	cmyk, err := os.ReadFile(filepath.Join(refDir, "pdq-data", "misc-images", "modes", "CMYK.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := DecodeBytes(cmyk, 8)
	want, wantErr := jpegscale.Decode(bytes.NewReader(cmyk), 8)
	if err != nil || wantErr != nil {
		t.Fatalf("CMYK: %v (jpegscale: %v)", err, wantErr)
	}
	if _, ok := img.(*image.CMYK); !ok || img.Bounds() != want.Bounds() {
		t.Errorf("CMYK: %T %v, want *image.CMYK %v", img, img.Bounds(), want.Bounds())
	}
	data := photo(t)
	_, err = DecodeBytes(data[:len(data)/2], 1)
	_, wantErr = jpegscale.Decode(bytes.NewReader(data[:len(data)/2]), 1)
	if err == nil || wantErr == nil || err.Error() != wantErr.Error() {
		t.Errorf("truncated: error %v, want jpegscale's %v", err, wantErr)
	}
}

func FuzzDecodeBytes(f *testing.F) {
	f.Add(photo(f), uint8(0))
	f.Add(photo(f)[:300], uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, s uint8) {
		DecodeBytes(data, 1<<(s%4)) // must not crash
	})
}

// hugeHeader returns data with its frame header saying 60000x60000.
func hugeHeader(data []byte) []byte {
	b := bytes.Clone(data)
	for i := 0; i+9 < len(b); i++ {
		if b[i] == 0xff && (b[i+1] == 0xc0 || b[i+1] == 0xc2) {
			b[i+5], b[i+6], b[i+7], b[i+8] = 0xea, 0x60, 0xea, 0x60
			return b
		}
	}
	panic("no SOF marker")
}

// TestSameAsJpegscale checks that libjpeg-turbo and the pure-Go decoder
// give the same samples at full size, byte for byte, on every JPEG of the
// repository's test data (but the CMYK one, which both hand to jpegscale).
func TestSameAsJpegscale(t *testing.T) {
	var files []string
	for _, pat := range []string{"../testdata/photos/*/*.jpg", refDir + "/pdq-data/*/*.jpg", refDir + "/pdq-data/*/*/*.jpg"} {
		m, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 60 {
		t.Fatalf("%d test JPEGs, want the 63", len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeBytes(data, 1)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		want, err := jpegscale.Decode(bytes.NewReader(data), 1)
		if err != nil {
			t.Fatalf("%s: jpegscale: %v", f, err)
		}
		var same bool
		switch g := got.(type) {
		case *image.RGBA:
			w, ok := want.(*image.RGBA)
			same = ok && g.Rect == w.Rect && bytes.Equal(g.Pix, w.Pix)
		case *image.Gray:
			w, ok := want.(*image.Gray)
			same = ok && g.Rect == w.Rect && bytes.Equal(g.Pix, w.Pix)
		case *image.CMYK:
			continue
		}
		if !same {
			t.Errorf("%s: libjpeg-turbo's %T differs from jpegscale's %T", f, got, want)
		}
	}
}
