package pdq

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

const refDir = "../testdata/pdq-reference/expected"

// vector is one row of core-vectors.csv: what the C++ core computed from
// one pixels PNG.
type vector struct {
	file     string
	width    int
	height   int
	channels int
	quality  int
	dihedral [8]string // hash, rotate90 .. flipminus1
}

func readVectors(t testing.TB) []vector {
	t.Helper()
	f, err := os.Open(filepath.Join(refDir, "core-vectors.csv"))
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
	atoi := func(rec []string, name string) int {
		var n int
		if _, err := fmt.Sscan(rec[col[name]], &n); err != nil {
			t.Fatalf("%s %q: %v", name, rec[col[name]], err)
		}
		return n
	}
	var vs []vector
	for _, rec := range recs[1:] {
		v := vector{
			file:     rec[col["pixels_file"]],
			width:    atoi(rec, "width"),
			height:   atoi(rec, "height"),
			channels: atoi(rec, "channels"),
			quality:  atoi(rec, "quality"),
		}
		for i, name := range []string{"hash", "rotate90", "rotate180", "rotate270", "flipx", "flipy", "flipplus1", "flipminus1"} {
			v.dihedral[i] = rec[col[name]]
		}
		vs = append(vs, v)
	}
	if len(vs) != 43 {
		t.Fatalf("core-vectors.csv has %d rows, want 43", len(vs))
	}
	return vs
}

// decoded caches the reference PNGs, which several tests read.
var decoded sync.Map // name -> image.Image

func decodePNG(t testing.TB, name string) image.Image {
	t.Helper()
	if img, ok := decoded.Load(name); ok {
		return img.(image.Image)
	}
	f, err := os.Open(filepath.Join(refDir, "core-pixels", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(bufio.NewReader(f))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	decoded.Store(name, img)
	return img
}

// TestCoreVectors checks every reference image against the C++ core: hash,
// quality and the eight dihedral hashes, through each entry point.
func TestCoreVectors(t *testing.T) {
	var h Hasher
	for _, v := range readVectors(t) {
		t.Run(v.file, func(t *testing.T) {
			img := decodePNG(t, v.file)
			if b := img.Bounds(); b.Dx() != v.width || b.Dy() != v.height {
				t.Fatalf("size %v, want %dx%d", b.Size(), v.width, v.height)
			}
			if _, grey := img.(*image.Gray); grey != (v.channels == 1) {
				t.Fatalf("decoded as %T, but the reference had %d channels", img, v.channels)
			}
			check := func(how string, got Hash, q int) {
				t.Helper()
				if got.String() != v.dihedral[0] || q != v.quality {
					t.Errorf("%s: %v q%d, want %s q%d (distance %d)", how, got, q, v.dihedral[0], v.quality, distHex(t, got, v.dihedral[0]))
				}
			}
			hash, q := h.HashImage(img)
			check("HashImage", hash, q)
			luma := Luma(img, nil)
			hash, q = h.HashLuma(luma, v.width, v.height)
			check("HashLuma", hash, q)

			for _, d := range []struct {
				how string
				f   func() (Dihedral, int)
			}{
				{"HashImageDihedral", func() (Dihedral, int) { return h.HashImageDihedral(img) }},
			} {
				dih, q := d.f()
				if q != v.quality {
					t.Errorf("%s: quality %d, want %d", d.how, q, v.quality)
				}
				for i := range dih {
					if dih[i].String() != v.dihedral[i] {
						t.Errorf("%s[%d]: %v, want %s", d.how, i, dih[i], v.dihedral[i])
					}
				}
			}
		})
	}
}

func distHex(t testing.TB, h Hash, s string) int {
	want, err := ParseHash(s)
	if err != nil {
		t.Fatal(err)
	}
	return Distance(h, want)
}

// intermediate is one line of core-intermediates.jsonl.
type intermediate struct {
	Name      string          `json:"name"`
	Rows      int             `json:"rows"`
	Cols      int             `json:"cols"`
	Quality   int             `json:"quality"`
	Hash      string          `json:"hash"`
	LumaRow   []float64       `json:"luma_first_row_first16"`
	Buffer64  [64][64]float64 `json:"buffer64x64"`
	DCT16     [16][16]float64 `json:"dct16x16"`
	DCTMedian float64         `json:"dct_median"`
}

// TestIntermediates checks each stage against the reference's float32
// values, bit for bit: luma, the 64x64 downsample, the DCT and its median.
func TestIntermediates(t *testing.T) {
	f, err := os.Open(filepath.Join(refDir, "core-intermediates.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReader(f))
	var h Hasher
	n := 0
	for dec.More() {
		var ref intermediate
		if err := dec.Decode(&ref); err != nil {
			t.Fatal(err)
		}
		n++
		if testing.Short() && n > 6 {
			break
		}
		t.Run(ref.Name, func(t *testing.T) {
			img := decodePNG(t, ref.Name)
			luma := Luma(img, nil)
			for j, want := range ref.LumaRow {
				if j < ref.Cols && luma[j] != float32(want) {
					t.Errorf("luma[0][%d] = %.9g, want %.9g", j, luma[j], want)
				}
			}
			hash, q := h.HashLuma(luma, ref.Cols, ref.Rows)
			bad := 0
			for i := range 64 {
				for j := range 64 {
					if got, want := h.b64[i*64+j], float32(ref.Buffer64[i][j]); got != want && bad < 5 {
						bad++
						t.Errorf("buffer64x64[%d][%d] = %.9g, want %.9g", i, j, got, want)
					}
				}
			}
			for i := range 16 {
				for j := range 16 {
					if got, want := h.b16[i*16+j], float32(ref.DCT16[i][j]); got != want && bad < 10 {
						bad++
						t.Errorf("dct16x16[%d][%d] = %.9g, want %.9g", i, j, got, want)
					}
				}
			}
			if h.sorted[127] != float32(ref.DCTMedian) {
				t.Errorf("median %.9g, want %.9g", h.sorted[127], ref.DCTMedian)
			}
			if hash.String() != ref.Hash || q != ref.Quality {
				t.Errorf("hash %v q%d, want %s q%d", hash, q, ref.Hash, ref.Quality)
			}
		})
	}
	if n != 43 && !testing.Short() {
		t.Errorf("read %d intermediates, want 43", n)
	}
}

// TestLumaCoefficients checks that the coefficients are the C++ float
// constants initialised from double literals.
func TestLumaCoefficients(t *testing.T) {
	for _, c := range []struct {
		got  float32
		lit  string
		want float64
	}{{lumaR, "0.299", 0.299}, {lumaG, "0.587", 0.587}, {lumaB, "0.114", 0.114}} {
		d := c.want // a float64 variable, rounded once to double
		if c.got != float32(d) {
			t.Errorf("coefficient %s = %.9g, want %.9g", c.lit, c.got, float32(d))
		}
	}
	if math.Float32bits(lumaTab[0][255]) != math.Float32bits(float32(lumaR*float32(255))) {
		t.Error("luma table does not hold rounded products")
	}
}
