package server

import (
	"context"
	"errors"

	"github.com/medialabel/medialabel"
)

// ImageHasher computes what the service needs from an uploaded image. It
// enforces its own pixel limit while reading the image header, and reports
// failures with errors wrapping ErrImageTooLarge, ErrImageFormat or
// ErrImageCorrupt, so that they are answered with the right status.
type ImageHasher interface {
	// Fingerprint decodes data and returns its format, size and signals,
	// including the PDQ dihedral hashes used for matching, and the hashes
	// of the parts of the picture worth looking up on their own (a meme's
	// picture without its caption bar, one side of a juxtaposition), if
	// any.
	Fingerprint(ctx context.Context, data []byte) (medialabel.Fingerprint, []medialabel.RegionHash, error)
	// Entry decodes data once and returns a bank entry holding its hashes,
	// region hashes and thumbnail; the caller fills in the label and note.
	Entry(ctx context.Context, data []byte) (medialabel.Entry, error)
}

// Matcher looks fingerprints up in every bank.
type Matcher interface {
	// Match returns the bank entries near fp or near one of the regions,
	// closest first. A negative threshold selects each signal's default
	// distance.
	Match(ctx context.Context, fp medialabel.Fingerprint, regions []medialabel.RegionHash, threshold int) ([]medialabel.Match, error)
}

// BankReader reads banks and their entries.
type BankReader interface {
	// Banks lists the banks with their entry counts, by name.
	Banks(ctx context.Context) ([]medialabel.Bank, error)
	// Entry returns one entry with its hashes and thumbnail, or an error
	// wrapping medialabel.ErrNotFound.
	Entry(ctx context.Context, bank, id string) (medialabel.Entry, error)
	// ListEntries calls fn for each entry of f.Bank in creation order,
	// starting after the entry f.After when it is set; returning an error
	// from fn stops the walk. A bank that does not exist, or an f.After
	// that is not one of its entries, gives an error wrapping
	// medialabel.ErrNotFound.
	ListEntries(ctx context.Context, f medialabel.EntryFilter, fn func(medialabel.Entry) error) error
}

// BankWriter changes banks, keeping the match indexes in step with them.
type BankWriter interface {
	// AddEntries stores entries in bank and makes them matchable; it
	// returns them with their IDs and creation times.
	AddEntries(ctx context.Context, bank string, entries []medialabel.Entry) ([]medialabel.Entry, error)
	// DeleteEntry removes one entry, or returns an error wrapping
	// medialabel.ErrNotFound.
	DeleteEntry(ctx context.Context, bank, id string) error
}

// Classifier scores captions.
type Classifier interface {
	// Classify returns one score per text, in order.
	Classify(ctx context.Context, texts []string) ([]medialabel.CaptionScore, error)
}

// A Check is one readiness condition (store open, index built, model
// warm): /readyz answers 200 only when every check returns nil.
type Check struct {
	Name  string
	Check func(ctx context.Context) error
}

// Errors an ImageHasher wraps to say why an image was refused.
var (
	// ErrImageTooLarge: the image has more pixels than allowed.
	ErrImageTooLarge = errors.New("image too large")
	// ErrImageFormat: the data is not in a supported image format.
	ErrImageFormat = errors.New("unsupported image format")
	// ErrImageCorrupt: the data looks like a supported format but cannot
	// be decoded.
	ErrImageCorrupt = errors.New("image cannot be decoded")
)
