package meme

import (
	"image"
	"image/draw"

	"github.com/disintegration/imaging"

	"github.com/medialabel/medialabel/internal/boxfilter"
)

// RegionSide bounds the longer side of the picture that regions and crops
// are found in and hashed from: a larger picture is first shrunk by an
// integer factor k, each block of k x k pixels averaged, to fit it. PDQ
// and pHash reduce a region to 64x64 pixels anyway, while the thirty-odd
// regions, crops and mirrors of a query took several times the whole
// picture's hashes at full resolution. Bank entries and queries are
// shrunk alike; the whole picture's own hashes never are.
const RegionSide = 512

// RegionImage returns the picture that a query's and a bank entry's
// regions and crops are found in and hashed from: img shrunk to fit
// RegionSide, as an *image.RGBA at the origin, or img itself when it
// fits.
func RegionImage(img image.Image) image.Image {
	b := img.Bounds()
	k := (max(b.Dx(), b.Dy()) + RegionSide - 1) / RegionSide
	if k <= 1 {
		return img
	}
	src, ok := img.(*image.RGBA)
	if !ok {
		src = image.NewRGBA(b)
		draw.Draw(src, b, img, b.Min, draw.Src)
	}
	w, h := b.Dx()/k, b.Dy()/k
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	boxfilter.Means(dst.Pix, dst.Stride, src.Pix, src.Stride, w, h, k)
	return dst
}

// mirrored returns img flipped left to right, at the origin. An RGBA
// picture (what the JPEG and PNG decoders return for colour pictures)
// stays RGBA, which the hashes read on their fast paths; anything else
// goes through imaging.FlipH.
func mirrored(img image.Image) image.Image {
	src, ok := img.(*image.RGBA)
	if !ok {
		return imaging.FlipH(img)
	}
	w, h := src.Rect.Dx(), src.Rect.Dy()
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		in := src.Pix[y*src.Stride : y*src.Stride+4*w]
		out := dst.Pix[y*dst.Stride : y*dst.Stride+4*w]
		for x := range w {
			copy(out[4*(w-1-x):4*(w-x)], in[4*x:4*x+4])
		}
	}
	return dst
}
