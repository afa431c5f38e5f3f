package medialabel

import (
	"context"
	"errors"
	"time"
)

// A Bank is a named collection of known content (the memes of one
// operation, say) that uploads are matched against.
type Bank struct {
	Name    string `json:"name"`
	Entries int    `json:"entries"`
}

// An Entry is one known item in a bank: one or more hashes of the same
// picture, with what a moderator needs to know about it.
type Entry struct {
	// Key is the store's compact numeric key of the entry, used by the
	// in-memory indexes; ID is its stable public identifier.
	Key     int64     `json:"-"`
	ID      string    `json:"id"`
	Bank    string    `json:"bank"`
	Label   string    `json:"label"`
	Note    string    `json:"note,omitempty"`
	Source  string    `json:"source,omitempty"`
	Created time.Time `json:"created"`
	Hashes  []Hash    `json:"-"`
	// Regions holds hashes of parts of the picture (centre and side
	// crops), so that a cropped copy still matches. Each is tagged with the
	// region's name.
	Regions []RegionHash `json:"-"`
	// Thumbnail is a small JPEG of the picture, when the entry was added
	// from an image.
	Thumbnail []byte `json:"-"`
}

// A RegionHash is the hash of one region of an entry's picture.
type RegionHash struct {
	Region string // e.g. "centre80", "left75"
	Hash   Hash
}

// Transform names the rotation or mirror of a query through which a PDQ
// match was found. The empty Transform is the picture as it is.
type Transform string

// The eight dihedral transforms of a picture, in the order of the PDQ
// reference (original first).
const (
	Original   Transform = ""
	Rotate90   Transform = "rotate90"
	Rotate180  Transform = "rotate180"
	Rotate270  Transform = "rotate270"
	FlipX      Transform = "flipx"
	FlipY      Transform = "flipy"
	FlipPlus1  Transform = "flipplus1"
	FlipMinus1 Transform = "flipminus1"
)

// AllTransforms lists the eight dihedral transforms, Original first.
func AllTransforms() []Transform {
	return []Transform{Original, Rotate90, Rotate180, Rotate270, FlipX, FlipY, FlipPlus1, FlipMinus1}
}

// A Match is a bank entry found near a query.
type Match struct {
	Bank      string    `json:"bank"`
	Entry     string    `json:"entry"`
	Label     string    `json:"label"`
	Signal    Signal    `json:"signal"`
	Distance  int       `json:"distance"`
	Transform Transform `json:"transform,omitempty"`
	// Region names the part of the query (for example "caption-cut" or
	// "split-left") or of the bank picture ("entry:centre80") through which
	// the match was found, when it was not the whole picture.
	Region string `json:"region,omitempty"`
}

// A HashRecord is one stored hash as the indexes load it.
type HashRecord struct {
	Key    int64  // the entry's Key
	Region string // "" for the whole picture, else the region's name
	Hash   Hash
}

// ErrNotFound is returned (wrapped) when a bank or entry does not exist.
var ErrNotFound = errors.New("not found")

// An EntryFilter selects the entries a listing walks.
type EntryFilter struct {
	// Bank is the bank to list; empty lists every bank.
	Bank string
	// After, when set, is the ID of an entry: the listing starts with the
	// entry added after it, so that a long listing is read page by page
	// without walking the pages before. An ID that is not among the
	// entries Bank selects gives an error wrapping ErrNotFound.
	After string
}

// BankStore keeps banks and their entries durably. Every write is atomic:
// it happens entirely or not at all.
type BankStore interface {
	// Banks lists the banks with their entry counts, by name.
	Banks(ctx context.Context) ([]Bank, error)
	// AddEntries adds entries to bank (creating the bank if needed) in one
	// transaction, fills in their IDs and creation times, and returns them.
	AddEntries(ctx context.Context, bank string, entries []Entry) ([]Entry, error)
	// Entry returns one entry with its hashes and thumbnail.
	Entry(ctx context.Context, bank, id string) (Entry, error)
	// ListEntries calls fn for each entry that f selects, with its hashes
	// and regions but without its thumbnail, in creation order. Returning
	// an error from fn stops the walk.
	ListEntries(ctx context.Context, f EntryFilter, fn func(Entry) error) error
	// EntryByKey returns one entry, by its numeric key, with its hashes
	// but without its thumbnail.
	EntryByKey(ctx context.Context, key int64) (Entry, error)
	// ScanHashes calls fn for every stored hash of every entry (whole
	// pictures and regions alike), in key order. It is the fast path the
	// indexes load from at start-up: fn must not keep rec.Hash.Value, which
	// may be reused between calls.
	ScanHashes(ctx context.Context, fn func(rec HashRecord) error) error
	// DeleteEntry removes one entry. It returns an error wrapping
	// ErrNotFound if there is no such entry.
	DeleteEntry(ctx context.Context, bank, id string) error
	// Close releases the store.
	Close() error
}
