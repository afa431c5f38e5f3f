package imagefile_test

import (
	"bytes"
	"errors"
	"image"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/medialabel/medialabel/imagefile"
	"github.com/medialabel/medialabel/imagefile/imagetest"
)

const pdqData = "../testdata/pdq-reference/pdq-data"

func TestDecodeGenerated(t *testing.T) {
	var d imagefile.Decoder
	for _, f := range imagetest.Valid() {
		t.Run(f.Name, func(t *testing.T) {
			img, err := d.DecodeBytes(f.Data)
			if err != nil {
				t.Fatalf("DecodeBytes: %v", err)
			}
			if img.Format != f.Format {
				t.Errorf("format %q, want %q", img.Format, f.Format)
			}
			b := img.Image.Bounds()
			if b.Dx() != img.Width || b.Dy() != img.Height {
				t.Errorf("bounds %v, header %dx%d", b, img.Width, img.Height)
			}
		})
	}
}

func TestDecodeReferenceFiles(t *testing.T) {
	tests := []struct {
		file   string
		format string
		w, h   int
		model  string // expected pixel type, "" for any
	}{
		{"misc-images/small.jpg", "jpeg", 0, 0, ""},                 // progressive
		{"misc-images/modes/CMYK.jpg", "jpeg", 0, 0, "*image.CMYK"}, // Adobe CMYK
		{"misc-images/modes/L.png", "png", 0, 0, "*image.Gray"},
		{"misc-images/modes/P.png", "png", 0, 0, "*image.Paletted"},
		{"misc-images/modes/1.png", "png", 0, 0, ""},
		{"misc-images/modes/LA.png", "png", 0, 0, ""},
		{"misc-images/modes/F.webp", "webp", 0, 0, ""},
		{"misc-images/modes/PA.webp", "webp", 0, 0, ""},
		{"bridge-mods/aaa-orig.jpg", "jpeg", 1600, 1004, "*image.RGBA"}, // libjpeg's RGB
	}
	var d imagefile.Decoder
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			img, err := d.DecodeFile(filepath.Join(pdqData, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if img.Format != tt.format {
				t.Errorf("format %q, want %q", img.Format, tt.format)
			}
			if tt.w != 0 && (img.Width != tt.w || img.Height != tt.h) {
				t.Errorf("size %dx%d, want %dx%d", img.Width, img.Height, tt.w, tt.h)
			}
			if got := typeName(img.Image); tt.model != "" && got != tt.model {
				t.Errorf("pixels %s, want %s", got, tt.model)
			}
		})
	}
}

func typeName(img image.Image) string {
	switch img.(type) {
	case *image.CMYK:
		return "*image.CMYK"
	case *image.Gray:
		return "*image.Gray"
	case *image.Paletted:
		return "*image.Paletted"
	case *image.YCbCr:
		return "*image.YCbCr"
	case *image.RGBA:
		return "*image.RGBA"
	}
	return "other"
}

func TestDecodeHostile(t *testing.T) {
	want := map[string]struct {
		kind error
		msg  string
	}{
		"empty.jpg":       {imagefile.ErrCorrupt, "empty file"},
		"random.jpg":      {imagefile.ErrUnsupported, "unsupported image format"},
		"text.jpg":        {imagefile.ErrUnsupported, "unsupported image format: text"},
		"truncated.jpg":   {imagefile.ErrTruncated, "truncated JPEG"},
		"truncated.png":   {imagefile.ErrTruncated, "truncated PNG"},
		"header-only.gif": {imagefile.ErrTruncated, "truncated GIF"},
		"huge.png":        {imagefile.ErrTooLarge, "60000x60000"},
		"huge.jpg":        {imagefile.ErrTooLarge, "60000x60000"},
		"drawing.svg":     {imagefile.ErrUnsupported, "SVG"},
	}
	var d imagefile.Decoder
	for _, f := range imagetest.Hostile() {
		t.Run(f.Name, func(t *testing.T) {
			w, ok := want[f.Name]
			if !ok {
				t.Fatalf("no expectation for %s", f.Name)
			}
			start := time.Now()
			_, err := d.DecodeBytes(f.Data)
			if el := time.Since(start); el > time.Second {
				t.Errorf("took %v", el)
			}
			if err == nil {
				t.Fatal("decoded without error")
			}
			if !errors.Is(err, w.kind) {
				t.Errorf("error %q is not %v", err, w.kind)
			}
			if !strings.Contains(err.Error(), w.msg) {
				t.Errorf("error %q does not mention %q", err, w.msg)
			}
			// Exactly one of the three kinds the server maps.
			n := 0
			for _, k := range []error{imagefile.ErrTooLarge, imagefile.ErrUnsupported, imagefile.ErrCorrupt} {
				if errors.Is(err, k) {
					n++
				}
			}
			if n != 1 {
				t.Errorf("error %q matches %d kinds, want 1", err, n)
			}
		})
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name string
		data string
		want string // format, or the detail of the error
	}{
		{"jpeg", "\xff\xd8\xff\xe0", "jpeg"},
		{"png", "\x89PNG\r\n\x1a\n", "png"},
		{"gif87", "GIF87a", "gif"},
		{"gif89", "GIF89a", "gif"},
		{"webp", "RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"},
		{"wav", "RIFF\x00\x00\x00\x00WAVEfmt ", "RIFF (not WebP)"},
		{"bmp", "BM\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", "bmp"},
		{"tiff le", "II*\x00", "tiff"},
		{"tiff be", "MM\x00*", "tiff"},
		{"heic", "\x00\x00\x00\x18ftypheic", "HEIF/HEIC"},
		{"avif", "\x00\x00\x00\x18ftypavif", "AVIF"},
		{"pdf", "%PDF-1.7", "PDF"},
		{"svg", "<svg xmlns='http://www.w3.org/2000/svg'/>", "SVG"},
		{"html", "<!doctype html><p>", "XML or HTML"},
		{"text", "hello", "text"},
		{"binary", "\x00\x01\x02\x03", "not JPEG, PNG, GIF, WebP, BMP or TIFF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := imagefile.Detect([]byte(tt.data))
			got := f
			if err != nil {
				if !errors.Is(err, imagefile.ErrUnsupported) {
					t.Fatalf("error %v is not ErrUnsupported", err)
				}
				got = strings.TrimPrefix(err.Error(), "unsupported image format: ")
			}
			if got != tt.want {
				t.Errorf("Detect = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPixelLimit(t *testing.T) {
	data := imagetest.PNG(imagetest.Picture(100, 50, 1))
	for _, tt := range []struct {
		max  int64
		fail bool
	}{{5000, false}, {4999, true}, {0, false}} {
		d := imagefile.Decoder{MaxPixels: tt.max}
		_, err := d.DecodeBytes(data)
		if fail := errors.Is(err, imagefile.ErrTooLarge); fail != tt.fail {
			t.Errorf("MaxPixels %d: err %v, want too large %v", tt.max, err, tt.fail)
		}
	}
}

// endless is a reader that never ends, counting what it gives.
type endless struct{ n int64 }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 0xff
	}
	e.n += int64(len(p))
	return len(p), nil
}

func TestByteLimitStopsReading(t *testing.T) {
	const limit = 1 << 20
	d := imagefile.Decoder{MaxBytes: limit}
	src := &endless{}
	_, err := d.Decode(src)
	if !errors.Is(err, imagefile.ErrTooLarge) {
		t.Fatalf("err %v, want ErrTooLarge", err)
	}
	if src.n > limit+64<<10 {
		t.Errorf("read %d bytes with a limit of %d", src.n, limit)
	}
	// Exactly at the limit is fine.
	data := imagetest.PNG(imagetest.Picture(20, 20, 1))
	d.MaxBytes = int64(len(data))
	if _, err := d.Decode(bytes.NewReader(data)); err != nil {
		t.Errorf("file of exactly MaxBytes: %v", err)
	}
	d.MaxBytes--
	if _, err := d.Decode(bytes.NewReader(data)); !errors.Is(err, imagefile.ErrTooLarge) {
		t.Errorf("file one byte over MaxBytes: %v", err)
	}
}

func TestDecodeFileLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.png")
	data := imagetest.PNG(imagetest.Picture(64, 64, 1))
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	d := imagefile.Decoder{MaxBytes: 100}
	if _, err := d.DecodeFile(path); !errors.Is(err, imagefile.ErrTooLarge) {
		t.Errorf("err %v, want ErrTooLarge", err)
	}
	if _, err := d.DecodeFile(filepath.Join(t.TempDir(), "missing.png")); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err %v, want not exist", err)
	}
}

func TestJPEGSeam(t *testing.T) {
	data := imagetest.JPEG(imagetest.Picture(400, 300, 1))
	tests := []struct {
		minSide int
		denom   int
	}{{0, 1}, {512, 1}, {150, 2}, {75, 4}, {10, 8}}
	for _, tt := range tests {
		var got int
		d := imagefile.Decoder{
			JPEGMinSide: tt.minSide,
			DecodeJPEG: func(r io.Reader, denom int) (image.Image, error) {
				got = denom
				return image.NewGray(image.Rect(0, 0, 400/denom, 300/denom)), nil
			},
		}
		img, err := d.DecodeBytes(data)
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.denom {
			t.Errorf("JPEGMinSide %d: denom %d, want %d", tt.minSide, got, tt.denom)
		}
		if img.Width != 400 || img.Height != 300 {
			t.Errorf("header size %dx%d, want 400x300", img.Width, img.Height)
		}
	}
}

func TestPanicBecomesError(t *testing.T) {
	d := imagefile.Decoder{DecodeJPEG: func(io.Reader, int) (image.Image, error) {
		var m map[string]int
		m["boom"]++ // a nil map write panics
		return nil, nil
	}}
	_, err := d.DecodeBytes(imagetest.JPEG(imagetest.Picture(8, 8, 1)))
	if !errors.Is(err, imagefile.ErrCorrupt) || !strings.Contains(err.Error(), "panic") {
		t.Errorf("err %v, want a corrupt-image error naming the panic", err)
	}
}

func FuzzDecode(f *testing.F) {
	for _, file := range imagetest.Valid() {
		f.Add(file.Data)
	}
	for _, file := range imagetest.Hostile() {
		f.Add(file.Data)
	}
	for _, name := range []string{"misc-images/small.jpg", "misc-images/wee.jpg"} {
		data, err := os.ReadFile(filepath.Join(pdqData, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	d := imagefile.Decoder{MaxPixels: 1 << 20, MaxBytes: 1 << 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := d.DecodeBytes(data)
		if err != nil {
			n := 0
			for _, k := range []error{imagefile.ErrTooLarge, imagefile.ErrUnsupported, imagefile.ErrCorrupt} {
				if errors.Is(err, k) {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("error %q matches %d kinds", err, n)
			}
			if strings.Contains(err.Error(), "panic") {
				t.Fatalf("decoder panicked: %v", err)
			}
			return
		}
		if img.Image.Bounds().Empty() || int64(img.Width)*int64(img.Height) > 1<<20 {
			t.Fatalf("decoded %dx%d, bounds %v", img.Width, img.Height, img.Image.Bounds())
		}
	})
}

// scanBomb returns a progressive JPEG of w x h pixels with n scans that
// each code nothing but one EOB run.
func scanBomb(w, h uint16, n int) []byte {
	b := []byte{0xff, 0xd8}
	seg := func(m byte, body ...byte) {
		l := len(body) + 2
		b = append(b, 0xff, m, byte(l>>8), byte(l))
		b = append(b, body...)
	}
	q := make([]byte, 65)
	for i := 1; i < 65; i++ {
		q[i] = 1
	}
	seg(0xdb, q...)
	seg(0xc2, 8, byte(h>>8), byte(h), byte(w>>8), byte(w), 1, 1, 0x11, 0)
	// An AC Huffman table with one code, for EOB-run symbol 0xe0.
	ht := append([]byte{0x10, 1}, make([]byte, 15)...)
	ht = append(ht, 0xe0)
	seg(0xc4, ht...)
	// Each scan is a run of EOB-runs of 32767 blocks: code "0" for the
	// symbol, then 14 one bits, until every block is covered.
	blocks := (int(w) + 7) / 8 * ((int(h) + 7) / 8)
	var scan []byte
	var acc, nbits uint
	put := func(v, n uint) {
		acc = acc<<n | v
		nbits += n
		for nbits >= 8 {
			c := byte(acc >> (nbits - 8))
			scan = append(scan, c)
			if c == 0xff {
				scan = append(scan, 0x00)
			}
			nbits -= 8
		}
	}
	for covered := 0; covered < blocks; covered += 32767 {
		put(0, 1)
		put(1<<14-1, 14)
	}
	if nbits > 0 {
		put(1<<(8-nbits)-1, 8-nbits)
	}
	for range n {
		seg(0xda, 1, 1, 0x00, 1, 63, 0x00)
		b = append(b, scan...)
	}
	return append(b, 0xff, 0xd9)
}

func TestJPEGScanLimit(t *testing.T) {
	var d imagefile.Decoder
	for _, tt := range []struct {
		w, h  uint16
		scans int
		ok    bool
	}{
		{8000, 8000, 5000, false},
		{8000, 8000, 63, false}, // scans x pixels over the budget
		{64, 64, 101, false},
		{64, 64, 100, true},
		{1024, 1024, 20, true},
	} {
		start := time.Now()
		_, err := d.DecodeBytes(scanBomb(tt.w, tt.h, tt.scans))
		if tt.ok && err != nil {
			t.Errorf("%dx%d, %d scans: %v", tt.w, tt.h, tt.scans, err)
		}
		if !tt.ok && (!errors.Is(err, imagefile.ErrCorrupt) || !strings.Contains(err.Error(), "scans")) {
			t.Errorf("%dx%d, %d scans: err %v, want a corrupt JPEG with too many scans", tt.w, tt.h, tt.scans, err)
		}
		if el := time.Since(start); !tt.ok && el > time.Second {
			t.Errorf("%dx%d, %d scans: refused after %v", tt.w, tt.h, tt.scans, el)
		}
	}
}
