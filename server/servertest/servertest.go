// Package servertest provides in-memory fakes of the interfaces package
// server depends on, for tests of the server and of programs that embed
// it. They behave like the real packages in the ways the server relies
// on (errors, ordering, limits) but are small and fast.
package servertest

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // registered for Hasher
	"image/jpeg"
	_ "image/png" // registered for Hasher
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/medialabel/medialabel"
	"github.com/medialabel/medialabel/server"
)

// Hasher is a fake server.ImageHasher. It decodes JPEG, PNG and GIF with
// the standard library and computes a 256-bit average hash on a 16×16
// grid in place of PDQ, so that re-encoded copies of a picture stay
// within a small distance of each other, plus the MD5 of the bytes.
type Hasher struct {
	// MaxPixels bounds width × height, checked from the header before
	// decoding (default 50 million).
	MaxPixels int
}

// Fingerprint implements server.ImageHasher. The hash of the picture's
// centre (the middle half of each side) is its one region, "centre".
func (h Hasher) Fingerprint(ctx context.Context, data []byte) (medialabel.Fingerprint, []medialabel.RegionHash, error) {
	fp, img, err := h.decode(data)
	if err != nil {
		return fp, nil, err
	}
	b := img.Bounds()
	centre := image.Rect(b.Min.X+b.Dx()/4, b.Min.Y+b.Dy()/4, b.Max.X-b.Dx()/4, b.Max.Y-b.Dy()/4)
	if centre.Empty() {
		return fp, nil, nil
	}
	sub := subImage(img, centre)
	return fp, []medialabel.RegionHash{{Region: "centre", Hash: medialabel.Hash{Signal: medialabel.PDQ, Value: averageHash(sub)}}}, nil
}

// subImage returns the part r of img.
func subImage(img image.Image, r image.Rectangle) image.Image {
	if s, ok := img.(interface {
		SubImage(image.Rectangle) image.Image
	}); ok {
		return s.SubImage(r)
	}
	dst := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	for y := 0; y < r.Dy(); y++ {
		for x := 0; x < r.Dx(); x++ {
			dst.Set(x, y, img.At(r.Min.X+x, r.Min.Y+y))
		}
	}
	return dst
}

// Entry implements server.ImageHasher.
func (h Hasher) Entry(ctx context.Context, data []byte) (medialabel.Entry, error) {
	fp, img, err := h.decode(data)
	if err != nil {
		return medialabel.Entry{}, err
	}
	var thumb bytes.Buffer
	if err := jpeg.Encode(&thumb, shrink(img, 128), &jpeg.Options{Quality: 80}); err != nil {
		return medialabel.Entry{}, fmt.Errorf("thumbnail: %w", err)
	}
	return medialabel.Entry{Hashes: fp.Hashes, Thumbnail: thumb.Bytes()}, nil
}

func (h Hasher) decode(data []byte) (medialabel.Fingerprint, image.Image, error) {
	max := h.MaxPixels
	if max <= 0 {
		max = 50_000_000
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if errors.Is(err, image.ErrFormat) {
		return medialabel.Fingerprint{}, nil, fmt.Errorf("%w: not JPEG, PNG or GIF", server.ErrImageFormat)
	}
	if err != nil {
		return medialabel.Fingerprint{}, nil, fmt.Errorf("%w: %v", server.ErrImageCorrupt, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > int64(max) {
		return medialabel.Fingerprint{}, nil, fmt.Errorf("%w: %dx%d is over %d pixels", server.ErrImageTooLarge, cfg.Width, cfg.Height, max)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return medialabel.Fingerprint{}, nil, fmt.Errorf("%w: %v", server.ErrImageCorrupt, err)
	}
	sum := md5.Sum(data)
	fp := medialabel.Fingerprint{
		Format: format, Width: cfg.Width, Height: cfg.Height, PDQQuality: 100,
		Hashes: []medialabel.Hash{
			{Signal: medialabel.PDQ, Value: averageHash(img)},
			{Signal: medialabel.MD5, Value: sum[:]},
		},
	}
	return fp, img, nil
}

// averageHash sets bit i when cell i of a 16×16 grid is brighter than the
// mean of all cells.
func averageHash(img image.Image) []byte {
	b := img.Bounds()
	var cells [256]float64
	var counts [256]int
	step := max(1, min(b.Dx(), b.Dy())/256)
	for y := b.Min.Y; y < b.Max.Y; y += step {
		cy := (y - b.Min.Y) * 16 / b.Dy()
		for x := b.Min.X; x < b.Max.X; x += step {
			cx := (x - b.Min.X) * 16 / b.Dx()
			r, g, bl, _ := img.At(x, y).RGBA()
			cells[cy*16+cx] += 0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bl)
			counts[cy*16+cx]++
		}
	}
	mean := 0.0
	for i := range cells {
		if counts[i] > 0 {
			cells[i] /= float64(counts[i])
		}
		mean += cells[i] / 256
	}
	out := make([]byte, 32)
	for i, v := range cells {
		if v > mean {
			out[i/8] |= 0x80 >> (i % 8)
		}
	}
	return out
}

// shrink scales img down (nearest neighbour) so that its longer side is at
// most side pixels.
func shrink(img image.Image, side int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= side && h <= side {
		return img
	}
	nw, nh := side, h*side/w
	if h > w {
		nw, nh = w*side/h, side
	}
	nw, nh = max(nw, 1), max(nh, 1)
	dst := image.NewRGBA(image.Rect(0, 0, nw, nh))
	for y := 0; y < nh; y++ {
		for x := 0; x < nw; x++ {
			dst.Set(x, y, img.At(b.Min.X+x*w/nw, b.Min.Y+y*h/nh))
		}
	}
	return dst
}

// Banks is an in-memory bank store and matcher: a fake of
// server.BankReader, server.BankWriter and server.Matcher in one. The
// zero value is empty and ready to use.
type Banks struct {
	mu      sync.Mutex
	banks   map[string][]medialabel.Entry
	nextKey int64
	// Now stamps new entries (default time.Now).
	Now func() time.Time
}

// Default thresholds of the fake matcher, by signal.
func defaultThreshold(s medialabel.Signal) int {
	switch s {
	case medialabel.PDQ:
		return 31
	case medialabel.PHash, medialabel.DHash, medialabel.AHash:
		return 10
	}
	return 0
}

// Banks implements server.BankReader.
func (b *Banks) Banks(ctx context.Context) ([]medialabel.Bank, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := []medialabel.Bank{}
	for name, es := range b.banks {
		out = append(out, medialabel.Bank{Name: name, Entries: len(es)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Entry implements server.BankReader.
func (b *Banks) Entry(ctx context.Context, bank, id string) (medialabel.Entry, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.banks[bank] {
		if e.ID == id {
			return e, nil
		}
	}
	return medialabel.Entry{}, fmt.Errorf("entry %s in bank %s: %w", id, bank, medialabel.ErrNotFound)
}

// ListEntries implements server.BankReader.
func (b *Banks) ListEntries(ctx context.Context, f medialabel.EntryFilter, fn func(medialabel.Entry) error) error {
	b.mu.Lock()
	stored, ok := b.banks[f.Bank]
	es := append([]medialabel.Entry(nil), stored...)
	b.mu.Unlock()
	if !ok {
		return fmt.Errorf("bank %q: %w", f.Bank, medialabel.ErrNotFound)
	}
	if f.After != "" {
		i := slices.IndexFunc(es, func(e medialabel.Entry) bool { return e.ID == f.After })
		if i < 0 {
			return fmt.Errorf("entry %q in bank %q: %w", f.After, f.Bank, medialabel.ErrNotFound)
		}
		es = es[i+1:]
	}
	for _, e := range es {
		e.Thumbnail = nil
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

// AddEntries implements server.BankWriter.
func (b *Banks) AddEntries(ctx context.Context, bank string, entries []medialabel.Entry) ([]medialabel.Entry, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.banks == nil {
		b.banks = map[string][]medialabel.Entry{}
	}
	now := time.Now
	if b.Now != nil {
		now = b.Now
	}
	out := make([]medialabel.Entry, len(entries))
	for i, e := range entries {
		b.nextKey++
		e.Key = b.nextKey
		e.ID = "e" + strconv.FormatInt(b.nextKey, 10)
		e.Bank = bank
		e.Created = now().UTC()
		out[i] = e
	}
	b.banks[bank] = append(b.banks[bank], out...)
	return out, nil
}

// DeleteEntry implements server.BankWriter.
func (b *Banks) DeleteEntry(ctx context.Context, bank, id string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	es := b.banks[bank]
	for i, e := range es {
		if e.ID == id {
			b.banks[bank] = append(es[:i:i], es[i+1:]...)
			if len(b.banks[bank]) == 0 {
				delete(b.banks, bank)
			}
			return nil
		}
	}
	return fmt.Errorf("entry %s in bank %s: %w", id, bank, medialabel.ErrNotFound)
}

// Match implements server.Matcher by comparing with every entry; a match
// through a region names it.
func (b *Banks) Match(ctx context.Context, fp medialabel.Fingerprint, regions []medialabel.RegionHash, threshold int) ([]medialabel.Match, error) {
	type query struct {
		h      medialabel.Hash
		region string
	}
	qs := make([]query, 0, len(fp.Hashes)+len(regions))
	for _, h := range fp.Hashes {
		qs = append(qs, query{h: h})
	}
	for _, r := range regions {
		qs = append(qs, query{h: r.Hash, region: r.Region})
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	out := []medialabel.Match{}
	for _, es := range b.banks {
		for _, e := range es {
			best := -1
			var bm medialabel.Match
			for _, q := range qs {
				for _, h := range e.Hashes {
					d, err := medialabel.Distance(q.h, h)
					if err != nil {
						continue // another signal
					}
					t := threshold
					if t < 0 {
						t = defaultThreshold(q.h.Signal)
					}
					if d <= t && (best < 0 || d < best) {
						best = d
						bm = medialabel.Match{Bank: e.Bank, Entry: e.ID, Label: e.Label, Signal: q.h.Signal, Distance: d, Region: q.region}
					}
				}
			}
			if best >= 0 {
				out = append(out, bm)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Distance != out[j].Distance {
			return out[i].Distance < out[j].Distance
		}
		return out[i].Entry < out[j].Entry
	})
	return out, nil
}

// Classifier is a fake server.Classifier that scores captions by keyword:
// a dehumanizing word (蟑螂, 曱甴, 蝗蟲, 蝗虫, 畜生) gives "dehumanizing" with
// the words as evidence, an insult (垃圾, 白痴, 仆街) gives "offensive".
type Classifier struct{}

var (
	dehumanizingWords = []string{"蟑螂", "曱甴", "蝗蟲", "蝗虫", "畜生"}
	offensiveWords    = []string{"垃圾", "白痴", "仆街"}
)

// Classify implements server.Classifier.
func (Classifier) Classify(ctx context.Context, texts []string) ([]medialabel.CaptionScore, error) {
	out := make([]medialabel.CaptionScore, len(texts))
	for i, t := range texts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		cs := medialabel.CaptionScore{Text: t, Dehumanizing: 0.02, Offensive: 0.05, Label: medialabel.LabelNone, Evidence: []medialabel.Evidence{}}
		for _, w := range dehumanizingWords {
			for off := 0; ; {
				j := strings.Index(t[off:], w)
				if j < 0 {
					break
				}
				start := off + j
				cs.Evidence = append(cs.Evidence, medialabel.Evidence{Span: w, Start: start, End: start + len(w), Weight: 2.31})
				off = start + len(w)
			}
		}
		switch {
		case len(cs.Evidence) > 0:
			sort.Slice(cs.Evidence, func(a, b int) bool { return cs.Evidence[a].Start < cs.Evidence[b].Start })
			cs.Dehumanizing, cs.Offensive, cs.Label = 0.97, 0.99, medialabel.LabelDehumanizing
		case containsAny(t, offensiveWords):
			cs.Dehumanizing, cs.Offensive, cs.Label = 0.10, 0.91, medialabel.LabelOffensive
		}
		out[i] = cs
	}
	return out, nil
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}
