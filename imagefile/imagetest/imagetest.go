// Package imagetest makes small image files of every supported format, and
// hostile ones, for tests of code that decodes images.
package imagetest

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"math/rand/v2"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// Picture returns a w x h test picture with structure (gradients and a
// bright square), so that perceptual hashes are not degenerate. Seed varies
// the picture.
func Picture(w, h int, seed uint64) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	cx, cy := rng.IntN(w/2+1), rng.IntN(h/2+1)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.NRGBA{
				R: uint8(255 * x / max(w-1, 1)),
				G: uint8(255 * y / max(h-1, 1)),
				B: uint8((x*7 + y*3 + int(seed)*29) % 256),
				A: 255,
			}
			if x >= cx && x < cx+w/3 && y >= cy && y < cy+h/3 {
				c = color.NRGBA{R: 250, G: 250, B: 240, A: 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// encode runs an encoder into a buffer. The encoders only fail on writes,
// which a bytes.Buffer never refuses.
func encode(enc func(w io.Writer) error) []byte {
	var b bytes.Buffer
	if err := enc(&b); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// JPEG encodes img as a baseline JPEG.
func JPEG(img image.Image) []byte {
	return encode(func(w io.Writer) error { return jpeg.Encode(w, img, &jpeg.Options{Quality: 90}) })
}

// PNG encodes img as PNG (palette, grey, 16-bit or alpha, following
// img's type).
func PNG(img image.Image) []byte {
	return encode(func(w io.Writer) error { return png.Encode(w, img) })
}

// GIF encodes img as a one-frame GIF.
func GIF(img image.Image) []byte {
	return encode(func(w io.Writer) error { return gif.Encode(w, img, nil) })
}

// BMP encodes img as BMP.
func BMP(img image.Image) []byte {
	return encode(func(w io.Writer) error { return bmp.Encode(w, img) })
}

// TIFF encodes img as a deflate-compressed TIFF.
func TIFF(img image.Image) []byte {
	return encode(func(w io.Writer) error { return tiff.Encode(w, img, &tiff.Options{Compression: tiff.Deflate}) })
}

// Tiny WebP files (1x1 pixel), lossy, lossless and lossy with alpha: the
// widely used feature-detection images.
const (
	webpLossy    = "UklGRiIAAABXRUJQVlA4IBYAAAAwAQCdASoBAAEADsD+JaQAA3AAAAAA"
	webpLossless = "UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA=="
	webpAlpha    = "UklGRkoAAABXRUJQVlA4WAoAAAAQAAAAAAAAAAAAQUxQSAwAAAARBxAR/Q9ERP8DAABWUDggGAAAABQBAJ0BKgEAAQAAAP4AAA3AAP7mtQAAAA=="
)

// WebP returns a 1x1 WebP file: lossy, lossless ("lossless") or lossy with
// alpha ("alpha").
func WebP(kind string) []byte {
	s := webpLossy
	switch kind {
	case "lossless":
		s = webpLossless
	case "alpha":
		s = webpAlpha
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// A File is a named test file with the format it should be detected as.
type File struct {
	Name   string
	Format string // "" for hostile files that must fail
	Data   []byte
}

// Valid returns one small valid file of every supported format and
// variant: baseline colour and greyscale JPEG, palette, grey, 16-bit and
// alpha PNG, GIF, BMP, TIFF and three WebPs.
func Valid() []File {
	pic := Picture(48, 32, 1)
	gray := image.NewGray(pic.Bounds())
	rgba64 := image.NewRGBA64(pic.Bounds())
	pal := image.NewPaletted(pic.Bounds(), palette.Plan9)
	for y := 0; y < pic.Bounds().Dy(); y++ {
		for x := 0; x < pic.Bounds().Dx(); x++ {
			c := pic.At(x, y)
			gray.Set(x, y, c)
			rgba64.Set(x, y, c)
			pal.Set(x, y, c)
		}
	}
	alpha := Picture(40, 40, 2)
	for i := 3; i < len(alpha.Pix); i += 4 {
		alpha.Pix[i] = uint8(i / 4 % 256)
	}
	return []File{
		{"colour.jpg", "jpeg", JPEG(pic)},
		{"grey.jpg", "jpeg", JPEG(gray)},
		{"rgb.png", "png", PNG(pic)},
		{"grey.png", "png", PNG(gray)},
		{"16bit.png", "png", PNG(rgba64)},
		{"palette.png", "png", PNG(pal)},
		{"alpha.png", "png", PNG(alpha)},
		{"picture.gif", "gif", GIF(pic)},
		{"picture.bmp", "bmp", BMP(pic)},
		{"picture.tiff", "tiff", TIFF(pic)},
		{"lossy.webp", "webp", WebP("lossy")},
		{"lossless.webp", "webp", WebP("lossless")},
		{"alpha.webp", "webp", WebP("alpha")},
	}
}

// Hostile returns files that every decoder entry point must refuse with an
// error (never a panic, a hang or a large allocation): empty, random bytes,
// text named .jpg, truncated JPEG and PNG, a header-only GIF, PNG and JPEG
// headers claiming 60000x60000 pixels, and an SVG.
func Hostile() []File {
	pic := Picture(64, 48, 3)
	j, p := JPEG(pic), PNG(pic)
	rng := rand.New(rand.NewPCG(7, 7))
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	return []File{
		{"empty.jpg", "", nil},
		{"random.jpg", "", random},
		{"text.jpg", "", []byte("This is not a picture.\nJust some text.\n")},
		{"truncated.jpg", "", j[:len(j)/2]},
		{"truncated.png", "", p[:len(p)/2]},
		{"header-only.gif", "", GIF(pic)[:13]},
		{"huge.png", "", HugePNG(60000, 60000)},
		{"huge.jpg", "", HugeJPEG(60000, 60000)},
		{"drawing.svg", "", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>`)},
	}
}

// HugePNG returns a small PNG whose header claims w x h pixels (with a
// correct checksum, so that only the size is wrong).
func HugePNG(w, h uint32) []byte {
	b := PNG(Picture(8, 8, 4))
	// Signature (8), IHDR length (4), "IHDR" (4), then width and height.
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	crc := crc32.ChecksumIEEE(b[12:29])
	binary.BigEndian.PutUint32(b[29:], crc)
	return b
}

// HugeJPEG returns a small JPEG whose frame header claims w x h pixels
// (each at most 65535).
func HugeJPEG(w, h uint16) []byte {
	b := JPEG(Picture(16, 16, 5))
	for i := 2; i+9 < len(b); {
		if b[i] != 0xff {
			break
		}
		m := b[i+1]
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if m == 0xc0 || m == 0xc2 {
			binary.BigEndian.PutUint16(b[i+5:], h)
			binary.BigEndian.PutUint16(b[i+7:], w)
			return b
		}
		i += 2 + n
	}
	panic("imagetest: no frame header in encoded JPEG")
}
