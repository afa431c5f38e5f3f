package loadtest

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"os"

	"github.com/disintegration/imaging"
)

// PhotoJPEG reads the photo at path and returns it scaled to about
// megapixels million pixels, as a JPEG of quality 85.
func PhotoJPEG(path string, megapixels float64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	b := img.Bounds()
	scale := megapixels * 1e6 / float64(b.Dx()*b.Dy())
	w := int(float64(b.Dx()) * sqrt(scale))
	img = imaging.Resize(img, w, 0, imaging.Lanczos)
	var out bytes.Buffer
	if err := jpeg.Encode(&out, img, &jpeg.Options{Quality: 85}); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func sqrt(x float64) float64 {
	z := x
	for range 30 {
		z = (z + x/z) / 2
	}
	return z
}

// NoiseJPEG returns a JPEG of random noise just under limit bytes: the
// worst case for a decoder at a given file size.
func NoiseJPEG(limit int, seed uint64) ([]byte, error) {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	side := 1024
	for range 4 {
		img := image.NewRGBA(image.Rect(0, 0, side, side))
		for i := range img.Pix {
			img.Pix[i] = byte(rng.Uint32())
		}
		var out bytes.Buffer
		if err := jpeg.Encode(&out, img, &jpeg.Options{Quality: 100}); err != nil {
			return nil, err
		}
		if out.Len() <= limit && out.Len() > limit*9/10 {
			return out.Bytes(), nil
		}
		perPixel := float64(out.Len()) / float64(side*side)
		side = int(sqrt(float64(limit) * 0.95 / perPixel))
	}
	return nil, fmt.Errorf("no noise JPEG under %d bytes", limit)
}
