// Package imagefile decodes image files safely: it is the one place where
// medialabel turns untrusted bytes into pixels.
//
// The format is recognised from the bytes (magic numbers), never from a
// file name. JPEG (baseline, progressive, greyscale, CMYK), PNG (palette,
// 16-bit, alpha), GIF (first frame), WebP, BMP and TIFF are decoded;
// anything else is refused with an error wrapping ErrUnsupported. JPEGs
// are decoded to the samples libjpeg-turbo gives with its default settings,
// bit for bit (see DefaultJPEGDecoder), so that PDQ hashes equal the
// reference's.
//
// Before any pixel is decoded, the header is read and the image is refused
// (ErrTooLarge) if it has more pixels than the Decoder's limit; input is read
// only up to the byte limit. Together these bound the memory of one decode:
// the input bytes, plus the decoded picture at most 8 bytes a pixel (16-bit
// RGBA PNG and TIFF; 1 to 4 bytes for everything else), plus, for
// progressive JPEG only, the decoder's coefficient store of about 2 bytes
// per sample (6 bytes a pixel for colour). Decoding time is bounded too: a
// JPEG with more scans than a real encoder writes (over 100, or over 40 at
// 100 megapixels) is refused before decoding, since the decoder's work grows
// with scans times pixels.
//
// Two choices follow the PDQ reference and ThreatExchange, so that hashes
// agree with theirs: EXIF orientation is not applied (a picture is hashed as
// it is stored), and alpha is ignored (the stored colour channels are hashed
// as they are, whatever their opacity).
package imagefile

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/medialabel/medialabel/internal/jpegscale"
	"github.com/medialabel/medialabel/jpegturbo"
	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"
)

// The formats the package decodes, as Image.Format and
// medialabel.Fingerprint.Format name them.
const (
	JPEG = "jpeg"
	PNG  = "png"
	GIF  = "gif"
	WebP = "webp"
	BMP  = "bmp"
	TIFF = "tiff"
)

// Default limits of a zero Decoder.
const (
	// DefaultMaxPixels is the largest picture decoded, in pixels (100
	// megapixels).
	DefaultMaxPixels = 100_000_000
	// DefaultMaxBytes is the largest input read, in bytes (64 MiB).
	DefaultMaxBytes = 64 << 20
)

// Errors, matched with errors.Is. Every error the package returns for bad
// input wraps exactly one of ErrTooLarge, ErrUnsupported or ErrCorrupt (an
// error wrapping ErrTruncated wraps ErrCorrupt too), so that a server can
// map them to 413, 415 and 422.
var (
	// ErrTooLarge: the input has more bytes or pixels than the limits.
	ErrTooLarge = errors.New("image too large")
	// ErrUnsupported: the input is not in a format the package decodes.
	ErrUnsupported = errors.New("unsupported image format")
	// ErrCorrupt: the input looks like a supported format but cannot be
	// decoded.
	ErrCorrupt = errors.New("corrupt image")
	// ErrTruncated: the input ends early. Such errors also match ErrCorrupt.
	ErrTruncated = errors.New("truncated image")
)

// An Error describes why an input could not be decoded. Its message is meant
// for users ("truncated JPEG", "corrupt PNG: invalid checksum", "image too
// large: 60000x60000 pixels, limit 100000000").
type Error struct {
	// Kind is ErrTooLarge, ErrUnsupported, ErrCorrupt or ErrTruncated.
	Kind error
	// Format is the detected format, if any.
	Format string
	// Detail says more, when there is more to say.
	Detail string
}

// Error returns the message: the kind (or "truncated JPEG", "corrupt
// PNG"...) and the detail.
func (e *Error) Error() string {
	var msg string
	f := displayName(e.Format)
	switch e.Kind {
	case ErrTruncated:
		msg = "truncated " + f
	case ErrCorrupt:
		msg = "corrupt " + f
	default:
		msg = e.Kind.Error()
	}
	if f == "" {
		msg = strings.TrimSpace(msg)
	}
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// Unwrap returns the error's kind, and ErrCorrupt for truncated input.
func (e *Error) Unwrap() []error {
	if e.Kind == ErrTruncated {
		return []error{ErrTruncated, ErrCorrupt}
	}
	return []error{e.Kind}
}

func displayName(format string) string {
	switch format {
	case WebP:
		return "WebP"
	case "":
		return "image"
	}
	return strings.ToUpper(format)
}

// An Image is a decoded picture.
type Image struct {
	// Format is the detected format: JPEG, PNG, GIF, WebP, BMP or TIFF.
	Format string
	// Width and Height are the picture's size as its header states it.
	// Image may be smaller when a JPEG was decoded at reduced scale.
	Width, Height int
	// Image holds the pixels. Its bounds need not start at (0, 0).
	Image image.Image
}

// A Config is what an image's header says, read without decoding pixels.
type Config struct {
	Format        string
	Width, Height int
}

// A JPEGDecodeFunc decodes a JPEG stream. When denom is 2, 4 or 8 it may
// decode at 1/denom of the size in each dimension; 1 means full size.
type JPEGDecodeFunc func(r io.Reader, denom int) (image.Image, error)

// A Decoder decodes images within limits. The zero Decoder uses the default
// limits and DefaultJPEGDecoder. A Decoder is not changed
// by decoding and may be used from several goroutines at once.
type Decoder struct {
	// MaxPixels is the largest Width*Height decoded; 0 means
	// DefaultMaxPixels.
	MaxPixels int64
	// MaxBytes is the most input read; 0 means DefaultMaxBytes.
	MaxBytes int64
	// DecodeJPEG replaces the JPEG decoder; nil means
	// DefaultJPEGDecoder().
	DecodeJPEG JPEGDecodeFunc
	// JPEGMinSide, when positive, lets JPEGs be decoded at reduced scale:
	// the JPEG decoder is given the largest denominator of 2, 4 and 8 that
	// keeps both sides at least JPEGMinSide pixels. Hashes then differ
	// slightly from full-resolution ones; 0 (the default) always decodes
	// full size.
	JPEGMinSide int
}

// DefaultJPEGDecoder returns the JPEG decoder a Decoder uses unless told
// otherwise. At full size both give libjpeg-turbo's default samples (accurate
// integer inverse DCT, fancy chroma upsampling), bit for bit, as the PDQ
// reference decodes them: libjpeg-turbo itself (package jpegturbo) when the
// program is built with the "turbo" tag, and otherwise the pure-Go decoder
// of package internal/jpegscale, a fork of image/jpeg that ports
// libjpeg-turbo's arithmetic. Both decode at reduced scale too.
func DefaultJPEGDecoder() JPEGDecodeFunc {
	if jpegturbo.Available {
		return jpegturbo.Decode
	}
	return jpegscale.Decode
}

func (d *Decoder) maxPixels() int64 {
	if d.MaxPixels > 0 {
		return d.MaxPixels
	}
	return DefaultMaxPixels
}

// Limit returns the byte limit in effect.
func (d *Decoder) Limit() int64 {
	if d.MaxBytes > 0 {
		return d.MaxBytes
	}
	return DefaultMaxBytes
}

// ReadAll reads r to its end, appending to buf, and returns the extended
// buffer. It stops with an error wrapping ErrTooLarge as soon as more than
// the byte limit has been read, so it never holds more than the limit plus
// one read's worth.
func (d *Decoder) ReadAll(r io.Reader, buf []byte) ([]byte, error) {
	limit := d.Limit()
	start := len(buf)
	lr := &io.LimitedReader{R: r, N: limit + 1}
	b := bytes.NewBuffer(buf)
	if _, err := b.ReadFrom(lr); err != nil {
		return b.Bytes(), fmt.Errorf("reading image: %w", err)
	}
	if n := int64(b.Len() - start); n > limit {
		return b.Bytes(), &Error{Kind: ErrTooLarge, Detail: fmt.Sprintf("more than %d bytes", limit)}
	}
	return b.Bytes(), nil
}

// Decode reads r (within the byte limit) and decodes the picture.
func (d *Decoder) Decode(r io.Reader) (*Image, error) {
	data, err := d.ReadAll(r, nil)
	if err != nil {
		return nil, err
	}
	return d.DecodeBytes(data)
}

// DecodeFile reads and decodes the file at path. A file larger than the
// byte limit is refused before it is read.
func (d *Decoder) DecodeFile(path string) (*Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > d.Limit() {
		return nil, &Error{Kind: ErrTooLarge, Detail: fmt.Sprintf("%d bytes, limit %d", st.Size(), d.Limit())}
	}
	return d.Decode(f)
}

// DecodeConfig reads the header of the image in data: its format and size.
// It returns an error if the format is unsupported, the header is bad, or the
// image is over the limits.
func (d *Decoder) DecodeConfig(data []byte) (Config, error) {
	if int64(len(data)) > d.Limit() {
		return Config{}, &Error{Kind: ErrTooLarge, Detail: fmt.Sprintf("%d bytes, limit %d", len(data), d.Limit())}
	}
	format, err := Detect(data)
	if err != nil {
		return Config{}, err
	}
	var cfg image.Config
	err = protect(func() error {
		var err error
		cfg, err = decodeConfig(format, data)
		return err
	})
	if err != nil {
		return Config{}, classify(format, err)
	}
	c := Config{Format: format, Width: cfg.Width, Height: cfg.Height}
	if c.Width <= 0 || c.Height <= 0 {
		return Config{}, &Error{Kind: ErrCorrupt, Format: format, Detail: fmt.Sprintf("bad size %dx%d", c.Width, c.Height)}
	}
	if max := d.maxPixels(); int64(c.Width)*int64(c.Height) > max {
		return Config{}, &Error{Kind: ErrTooLarge, Format: format, Detail: fmt.Sprintf("%dx%d pixels, limit %d", c.Width, c.Height, max)}
	}
	return c, nil
}

// DecodeBytes decodes the image in data, after checking its header against
// the limits.
func (d *Decoder) DecodeBytes(data []byte) (*Image, error) {
	cfg, err := d.DecodeConfig(data)
	if err != nil {
		return nil, err
	}
	if cfg.Format == JPEG {
		if err := checkJPEGScans(data, int64(cfg.Width)*int64(cfg.Height)); err != nil {
			return nil, err
		}
	}
	var img image.Image
	err = protect(func() error {
		var err error
		img, err = d.decode(cfg, data)
		return err
	})
	if err != nil {
		err = classify(cfg.Format, err)
		if e, ok := err.(*Error); ok && e.Kind == ErrCorrupt && truncated(cfg.Format, data) {
			e.Kind = ErrTruncated
			e.Detail = ""
		}
		return nil, err
	}
	b := img.Bounds()
	if b.Empty() {
		return nil, &Error{Kind: ErrCorrupt, Format: cfg.Format, Detail: "no pixels"}
	}
	return &Image{Format: cfg.Format, Width: cfg.Width, Height: cfg.Height, Image: img}, nil
}

func decodeConfig(format string, data []byte) (image.Config, error) {
	r := bytes.NewReader(data)
	switch format {
	case JPEG:
		return jpeg.DecodeConfig(r)
	case PNG:
		return png.DecodeConfig(r)
	case GIF:
		return gif.DecodeConfig(r)
	case WebP:
		return webp.DecodeConfig(r)
	case BMP:
		return bmp.DecodeConfig(r)
	case TIFF:
		return tiff.DecodeConfig(r)
	}
	return image.Config{}, &Error{Kind: ErrUnsupported, Format: format}
}

func (d *Decoder) decode(cfg Config, data []byte) (image.Image, error) {
	r := bytes.NewReader(data)
	switch cfg.Format {
	case JPEG:
		decode := d.DecodeJPEG
		if decode == nil {
			decode = DefaultJPEGDecoder()
		}
		return decode(r, d.jpegDenom(cfg.Width, cfg.Height))
	case PNG:
		return png.Decode(r)
	case GIF:
		return gif.Decode(r)
	case WebP:
		return webp.Decode(r)
	case BMP:
		return bmp.Decode(r)
	case TIFF:
		return tiff.Decode(r)
	}
	return nil, &Error{Kind: ErrUnsupported, Format: cfg.Format}
}

// truncated reports whether data lacks the end marker of its format. It is
// asked only after decoding failed, to tell a cut-off file from a damaged
// one.
func truncated(format string, data []byte) bool {
	tail := data[max(0, len(data)-64):]
	switch format {
	case JPEG:
		return !bytes.Contains(bytes.TrimRight(tail, "\x00\r\n\t "), []byte{0xff, 0xd9})
	case PNG:
		return !bytes.Contains(tail, []byte("IEND"))
	case GIF:
		return !bytes.HasSuffix(bytes.TrimRight(tail, "\x00"), []byte{0x3b})
	}
	return false
}

// jpegDenom is the reduced-scale denominator for a w x h JPEG.
func (d *Decoder) jpegDenom(w, h int) int {
	denom := 1
	if d.JPEGMinSide <= 0 {
		return denom
	}
	for _, n := range []int{2, 4, 8} {
		if w/n >= d.JPEGMinSide && h/n >= d.JPEGMinSide {
			denom = n
		}
	}
	return denom
}

// protect runs fn, turning a panic into an error. The decoders are given
// only inputs whose header has been checked, so this is a safety net, not
// the way errors are found.
func protect(fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("decoder panic: %v (%s)", p, firstFrames(debug.Stack()))
		}
	}()
	return fn()
}

// firstFrames keeps a short, single-line trace for the error message.
func firstFrames(stack []byte) string {
	lines := strings.Split(string(stack), "\n")
	var out []string
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "/") || strings.Contains(l, ".go:") {
			continue
		}
		if strings.Contains(l, "golang.org/x/image") || strings.Contains(l, "image/") || strings.Contains(l, "jpegscale") {
			out = append(out, l)
			if len(out) == 2 {
				break
			}
		}
	}
	return strings.Join(out, " < ")
}

// classify turns a decoder's error into an *Error with a kind.
func classify(format string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return &Error{Kind: ErrTruncated, Format: format}
	}
	msg := err.Error()
	var ufe jpeg.UnsupportedError
	if errors.As(err, &ufe) {
		return &Error{Kind: ErrUnsupported, Format: format, Detail: displayName(format) + " feature " + string(ufe)}
	}
	var sfe jpegscale.UnsupportedError
	if errors.As(err, &sfe) {
		return &Error{Kind: ErrUnsupported, Format: format, Detail: displayName(format) + " feature " + string(sfe)}
	}
	for _, p := range []string{"png: ", "gif: ", "tiff: ", "bmp: ", "webp: ", "vp8: ", "vp8l: ", "riff: ", "jpeg: ", "invalid JPEG format: ", "invalid format: ", "unsupported JPEG feature: ", "unsupported feature: "} {
		msg = strings.TrimPrefix(msg, p)
	}
	if strings.Contains(msg, "unexpected EOF") {
		return &Error{Kind: ErrTruncated, Format: format}
	}
	if strings.Contains(err.Error(), "unsupported") {
		return &Error{Kind: ErrUnsupported, Format: format, Detail: displayName(format) + " variant: " + msg}
	}
	return &Error{Kind: ErrCorrupt, Format: format, Detail: msg}
}
