// Package matcher finds the bank entries near a picture's hashes. It keeps
// one in-memory index per signal over every hash in a BankStore, loaded at
// start and kept in step with the store through AddEntries and
// DeleteEntry; the HTTP server and the CLI share it.
//
// The indexes hold only hashes and entry keys. A match's bank, public id
// and label are read from the store (EntryByKey) when it is reported,
// through a small cache, so that memory per stored hash stays small.
package matcher

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/medialabel/medialabel"
	"github.com/medialabel/medialabel/index"
)

// DefaultThreshold is the largest Hamming distance at which a hash of sig
// matches by default. PDQ's 31 is Meta's recommended threshold. The
// 64-bit ones were measured on the 37 unrelated photographs of
// testdata/photos and a near copy of each (halved, saved as JPEG at
// quality 70; TestDefaultThresholdsSeparatePhotos): the nearest two
// different photos are 18 (phash), 4 (dhash) and 8 (ahash) bits apart,
// and the near copies at most 2, 6 and 7 bits from their original. No two
// different photos match at these defaults; the near copies match at
// 37, 33 and 36 of 37. dhash is the weakest separator (a dark, flat
// wallpaper is 4 bits from a desert): rely on PDQ and phash. MD5 and
// SHA-256 match only exactly.
func DefaultThreshold(sig medialabel.Signal) int {
	switch sig {
	case medialabel.PDQ:
		return 31
	case medialabel.PHash:
		return 8
	case medialabel.DHash:
		return 3
	case medialabel.AHash:
		return 4
	}
	return 0
}

// A Query is what to look up: the hashes of a picture, and optionally of
// its PDQ rotations and mirrors and of regions of it.
type Query struct {
	// Hashes are the picture's hashes, any signals.
	Hashes []medialabel.Hash
	// Dihedral holds PDQ hashes of the picture's rotations and mirrors;
	// a match through one reports its Transform. The nearest wins.
	Dihedral map[medialabel.Transform]medialabel.Hash
	// Regions are parts of the picture (a cut-out meme, one side of a
	// split) looked up as well; a match through one reports its name.
	Regions []Region
	// Thresholds overrides DefaultThreshold (or the Matcher's defaults)
	// per perceptual signal. MD5 and SHA-256 always match exactly.
	Thresholds map[medialabel.Signal]int
	// Banks restricts the lookup to these banks; empty means every bank.
	Banks []string
	// Exhaustive compares with every stored hash instead of using the
	// index: the same answer, slower; for verification.
	Exhaustive bool
}

// A Region is a named part of a query picture with its hashes.
type Region struct {
	Name     string
	Hashes   []medialabel.Hash
	Dihedral map[medialabel.Transform]medialabel.Hash
}

// Options configure a Matcher.
type Options struct {
	// Thresholds overrides DefaultThreshold per signal.
	Thresholds map[medialabel.Signal]int
	// CacheSize is how many entries' metadata (bank, id, label) to keep
	// in memory; 0 means 4096.
	CacheSize int
}

// A Matcher answers queries against the banks of a store. It is safe for
// concurrent use; lookups take no lock on the indexes while entries are
// added or deleted.
type Matcher struct {
	store      medialabel.BankStore
	thresholds map[medialabel.Signal]int // read-only after New
	indexes    map[medialabel.Signal]*index.Index
	cache      *entryCache

	mu sync.Mutex // serialises writes, so that store and indexes stay in step
	// regionNames maps region tags (index.Item.Tag) to region names; tag
	// 0 is the whole picture. Writers publish extended copies.
	regionNames atomic.Pointer[[]string]
	regionTags  map[string]uint16 // guarded by mu
}

// indexOptions returns the index settings for sig; ok is false for an
// unknown signal.
func indexOptions(sig medialabel.Signal) (opts index.Options, ok bool) {
	switch sig {
	case medialabel.PDQ:
		return index.Options{Bits: 256}, true
	case medialabel.PHash, medialabel.DHash, medialabel.AHash:
		return index.Options{Bits: 64}, true
	case medialabel.MD5, medialabel.SHA256:
		return index.Options{Bits: sig.Bits(), ExactOnly: true}, true
	}
	return index.Options{}, false
}

// New loads every hash of store into memory and returns a Matcher over it.
// A store that reads its hashes in parts (hashdb's ScanHashesParts) is
// read on every core (at most four).
func New(ctx context.Context, store medialabel.BankStore, opts Options) (*Matcher, error) {
	m := &Matcher{
		store:      store,
		thresholds: make(map[medialabel.Signal]int),
		indexes:    make(map[medialabel.Signal]*index.Index),
		cache:      newEntryCache(cmp.Or(opts.CacheSize, 4096)),
		regionTags: map[string]uint16{"": 0},
	}
	for _, sig := range medialabel.AllSignals() {
		m.thresholds[sig] = DefaultThreshold(sig)
	}
	for sig, t := range opts.Thresholds {
		if err := checkThreshold(sig, t); err != nil {
			return nil, err
		}
		if sig.Perceptual() {
			m.thresholds[sig] = t
		}
	}
	names, err := m.load(ctx, store)
	if err != nil {
		return nil, fmt.Errorf("loading hashes: %w", err)
	}
	m.regionNames.Store(&names)
	return m, nil
}

// partScanner is a store that reads its hashes in several parts at once
// (hashdb.DB.ScanHashesParts): fn is called concurrently, part by part in
// key order, every key of a part below those of the next.
type partScanner interface {
	ScanHashesParts(ctx context.Context, parts int, fn func(part int, rec medialabel.HashRecord) error) error
}

// maxLoadParts bounds the store connections a parallel load takes.
const maxLoadParts = 4

// load reads every hash of store into m.indexes and returns the region
// names by tag. A store that can read in parts is read on every core,
// each part into builders of its own, joined in key order at the end.
func (m *Matcher) load(ctx context.Context, store medialabel.BankStore) ([]string, error) {
	parts := 1
	ps, ok := store.(partScanner)
	if ok {
		parts = min(runtime.GOMAXPROCS(0), maxLoadParts)
	}
	regions := &regionTable{names: []string{""}, tags: m.regionTags}
	loaders := make([]*loader, parts)
	for i := range loaders {
		l, err := newLoader(regions)
		if err != nil {
			return nil, err
		}
		loaders[i] = l
	}
	var err error
	if parts > 1 {
		err = ps.ScanHashesParts(ctx, parts, func(part int, rec medialabel.HashRecord) error { return loaders[part].add(rec) })
	} else {
		err = store.ScanHashes(ctx, loaders[0].add)
	}
	if err != nil {
		return nil, err
	}
	for _, sig := range medialabel.AllSignals() {
		b := loaders[0].builders[sig]
		for _, l := range loaders[1:] {
			if err := b.Append(l.builders[sig]); err != nil {
				return nil, err
			}
		}
		m.indexes[sig] = b.Index()
	}
	return regions.names, nil
}

// A loader fills one index builder per signal from the records of a scan
// (of one part of it).
type loader struct {
	builders map[medialabel.Signal]*index.Builder
	regions  *regionTable
	// The builder of the last record's signal: records of one signal
	// come in long runs.
	sig medialabel.Signal
	b   *index.Builder
}

func newLoader(regions *regionTable) (*loader, error) {
	l := &loader{builders: make(map[medialabel.Signal]*index.Builder), regions: regions}
	for _, sig := range medialabel.AllSignals() {
		o, _ := indexOptions(sig)
		b, err := index.NewBuilder(o)
		if err != nil {
			return nil, err
		}
		l.builders[sig] = b
	}
	return l, nil
}

func (l *loader) add(rec medialabel.HashRecord) error {
	if rec.Hash.Signal != l.sig || l.b == nil {
		b := l.builders[rec.Hash.Signal]
		if b == nil {
			return fmt.Errorf("entry key %d: unknown signal %q", rec.Key, rec.Hash.Signal)
		}
		l.sig, l.b = rec.Hash.Signal, b
	}
	v, err := vecOf(rec.Hash)
	if err != nil {
		return fmt.Errorf("entry key %d: %w", rec.Key, err)
	}
	var tag uint16
	if rec.Region != "" {
		if tag, err = l.regions.tag(rec.Region); err != nil {
			return fmt.Errorf("entry key %d: %w", rec.Key, err)
		}
	}
	l.b.Add(index.Item{Ref: rec.Key, Tag: tag, Vec: v})
	return nil
}

// regionTable hands out region tags during a load, to any number of
// loaders at once.
type regionTable struct {
	mu    sync.Mutex
	names []string          // by tag
	tags  map[string]uint16 // by name
}

func (r *regionTable) tag(name string) (uint16, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	tag, ok := r.tags[name]
	if !ok {
		if len(r.names) > 1<<16-1 {
			return 0, fmt.Errorf("more than %d region names", 1<<16-1)
		}
		tag = uint16(len(r.names))
		r.names = append(r.names, name)
		r.tags[name] = tag
	}
	return tag, nil
}

func checkThreshold(sig medialabel.Signal, t int) error {
	if sig.Bits() == 0 {
		return fmt.Errorf("threshold for unknown signal %q", sig)
	}
	if t < 0 || t > sig.Bits() {
		return fmt.Errorf("%s threshold %d: want 0 to %d", sig, t, sig.Bits())
	}
	return nil
}

// vecOf checks that h is a well-formed value of its signal and converts it.
func vecOf(h medialabel.Hash) (index.Vec, error) {
	if _, ok := indexOptions(h.Signal); !ok {
		return index.Vec{}, fmt.Errorf("unknown signal %q", h.Signal)
	}
	if len(h.Value)*8 != h.Signal.Bits() {
		return index.Vec{}, fmt.Errorf("%s hash of %d bytes: want %d", h.Signal, len(h.Value), h.Signal.Bits()/8)
	}
	return index.VecOf(h.Value)
}

// Threshold is the distance at which signal matches unless a query says
// otherwise.
func (m *Matcher) Threshold(sig medialabel.Signal) int { return m.thresholds[sig] }

// Len is the number of hashes indexed per signal.
func (m *Matcher) Len() map[medialabel.Signal]int {
	out := make(map[medialabel.Signal]int, len(m.indexes))
	for sig, x := range m.indexes {
		out[sig] = x.Len()
	}
	return out
}

// MemoryBytes is the memory the indexes take.
func (m *Matcher) MemoryBytes() int64 {
	var n int64
	for _, x := range m.indexes {
		n += x.Snapshot().MemoryBytes()
	}
	return n
}

// candidate is one index hit on its way to becoming a Match.
type candidate struct {
	key       int64
	signal    medialabel.Signal
	distance  int
	transform medialabel.Transform
	region    string
	// rank orders equally near candidates of one entry: the whole
	// picture before regions, the original before its variants.
	rank int
}

type entrySignal struct {
	key    int64
	signal medialabel.Signal
}

// Match returns the bank entries near q: at most one Match per entry and
// signal (the nearest, and on ties the whole picture before a region and
// the original before a rotation or mirror), ordered by distance, then
// bank, entry id and signal.
func (m *Matcher) Match(ctx context.Context, q Query) ([]medialabel.Match, error) {
	thresholds := make(map[medialabel.Signal]int, len(m.thresholds))
	for sig, t := range m.thresholds {
		thresholds[sig] = t
	}
	for sig, t := range q.Thresholds {
		if err := checkThreshold(sig, t); err != nil {
			return nil, err
		}
		if sig.Perceptual() {
			thresholds[sig] = t
		}
	}
	names := *m.regionNames.Load()
	parts := append([]Region{{Hashes: q.Hashes, Dihedral: q.Dihedral}}, q.Regions...)
	best := make(map[entrySignal]candidate)
	for pi, part := range parts {
		if pi > 0 && part.Name == "" {
			return nil, errors.New("query region without a name")
		}
		for _, h := range part.Hashes {
			vecs, transforms, err := variants(h, part.Dihedral)
			if err != nil {
				return nil, err
			}
			x := m.indexes[h.Signal]
			t := thresholds[h.Signal]
			var rs []index.Result
			if q.Exhaustive {
				rs = x.Scan(vecs, t)
			} else {
				rs = x.Search(vecs, t)
			}
			for _, r := range rs {
				c := candidate{key: r.Ref, signal: h.Signal, distance: r.Distance, transform: transforms[r.Query]}
				c.region = regionName(part.Name, names[r.Tag])
				c.rank = 2*r.Query + min(pi, 1)
				if r.Tag != 0 {
					c.rank += 2 * len(medialabel.AllTransforms())
				}
				k := entrySignal{c.key, c.signal}
				if old, ok := best[k]; !ok || c.distance < old.distance || c.distance == old.distance && c.rank < old.rank {
					best[k] = c
				}
			}
		}
	}
	return m.describe(ctx, best, q.Banks)
}

// regionName is what a Match reports as its Region: the query region, the
// entry's region as "entry:NAME", or both joined by "+".
func regionName(query, entry string) string {
	switch {
	case entry == "":
		return query
	case query == "":
		return "entry:" + entry
	}
	return query + "+entry:" + entry
}

// variants returns the vectors to look h up with: h itself and, for PDQ,
// its dihedral variants in the order of medialabel.AllTransforms(), with the
// transform of each.
func variants(h medialabel.Hash, dihedral map[medialabel.Transform]medialabel.Hash) ([]index.Vec, []medialabel.Transform, error) {
	v, err := vecOf(h)
	if err != nil {
		return nil, nil, err
	}
	vecs := []index.Vec{v}
	transforms := []medialabel.Transform{medialabel.Original}
	if h.Signal != medialabel.PDQ {
		return vecs, transforms, nil
	}
	for _, tr := range medialabel.AllTransforms()[1:] {
		d, ok := dihedral[tr]
		if !ok {
			continue
		}
		if d.Signal != medialabel.PDQ {
			return nil, nil, fmt.Errorf("%s variant: a %s hash, want pdq", tr, d.Signal)
		}
		dv, err := vecOf(d)
		if err != nil {
			return nil, nil, fmt.Errorf("%s variant: %w", tr, err)
		}
		vecs = append(vecs, dv)
		transforms = append(transforms, tr)
	}
	for tr := range dihedral {
		if !slices.Contains(medialabel.AllTransforms()[1:], tr) {
			return nil, nil, fmt.Errorf("unknown transform %q", tr)
		}
	}
	return vecs, transforms, nil
}

// describe fetches the metadata of the candidates' entries, keeps those
// in banks (all when banks is empty) and sorts them.
func (m *Matcher) describe(ctx context.Context, best map[entrySignal]candidate, banks []string) ([]medialabel.Match, error) {
	out := make([]medialabel.Match, 0, len(best))
	for _, c := range best {
		e, ok, err := m.entry(ctx, c.key)
		if err != nil {
			return nil, err
		}
		if !ok || len(banks) > 0 && !slices.Contains(banks, e.Bank) {
			continue
		}
		out = append(out, medialabel.Match{Bank: e.Bank, Entry: e.ID, Label: e.Label, Signal: c.signal,
			Distance: c.distance, Transform: c.transform, Region: c.region})
	}
	slices.SortFunc(out, func(a, b medialabel.Match) int {
		return cmp.Or(cmp.Compare(a.Distance, b.Distance), cmp.Compare(a.Bank, b.Bank),
			cmp.Compare(a.Entry, b.Entry), cmp.Compare(signalOrder(a.Signal), signalOrder(b.Signal)))
	})
	return out, nil
}

func signalOrder(s medialabel.Signal) int { return slices.Index(medialabel.AllSignals(), s) }

// entry returns the metadata of the entry with key, from the cache or the
// store. ok is false if the entry no longer exists (deleted after the
// index lookup).
func (m *Matcher) entry(ctx context.Context, key int64) (meta entryMeta, ok bool, err error) {
	if e, ok := m.cache.get(key); ok {
		return e, true, nil
	}
	e, err := m.store.EntryByKey(ctx, key)
	if errors.Is(err, medialabel.ErrNotFound) {
		return entryMeta{}, false, nil
	}
	if err != nil {
		return entryMeta{}, false, fmt.Errorf("reading entry %d: %w", key, err)
	}
	meta = entryMeta{Bank: e.Bank, ID: e.ID, Label: e.Label}
	m.cache.put(key, meta)
	return meta, true, nil
}

// AddEntries adds entries to bank in the store, then to the indexes, and
// returns them as stored (with ids). If the store fails, the indexes are
// left as they were.
func (m *Matcher) AddEntries(ctx context.Context, bank string, entries []medialabel.Entry) ([]medialabel.Entry, error) {
	for i, e := range entries {
		for _, h := range e.Hashes {
			if _, err := vecOf(h); err != nil {
				return nil, fmt.Errorf("entry %d: %w", i+1, err)
			}
		}
		for _, r := range e.Regions {
			if r.Region == "" {
				return nil, fmt.Errorf("entry %d: region without a name", i+1)
			}
			if _, err := vecOf(r.Hash); err != nil {
				return nil, fmt.Errorf("entry %d region %s: %w", i+1, r.Region, err)
			}
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	stored, err := m.store.AddEntries(ctx, bank, entries)
	if err != nil {
		return nil, err
	}
	items := make(map[medialabel.Signal][]index.Item)
	names := *m.regionNames.Load()
	for i := range stored {
		e := &stored[i]
		if e.Key == 0 {
			// A store that does not report keys: read the entry back.
			full, err := m.store.Entry(ctx, bank, e.ID)
			if err != nil {
				return nil, fmt.Errorf("reading back entry %s: %w", e.ID, err)
			}
			e.Key = full.Key
		}
		for _, h := range e.Hashes {
			v, _ := vecOf(h) // checked above
			items[h.Signal] = append(items[h.Signal], index.Item{Ref: e.Key, Vec: v})
		}
		for _, r := range e.Regions {
			tag, ok := m.regionTags[r.Region]
			if !ok {
				if len(names) > 1<<16-1 {
					return nil, fmt.Errorf("entry %s: more than %d region names", e.ID, 1<<16-1)
				}
				tag = uint16(len(names))
				names = append(slices.Clip(names), r.Region)
				m.regionTags[r.Region] = tag
			}
			v, _ := vecOf(r.Hash)
			items[r.Hash.Signal] = append(items[r.Hash.Signal], index.Item{Ref: e.Key, Tag: tag, Vec: v})
		}
	}
	m.regionNames.Store(&names)
	for sig, its := range items {
		m.indexes[sig].Add(its...)
	}
	return stored, nil
}

// DeleteEntry deletes an entry from the store, then from the indexes. If
// the store fails, the indexes are left as they were.
func (m *Matcher) DeleteEntry(ctx context.Context, bank, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, err := m.store.Entry(ctx, bank, id)
	if err != nil {
		return err
	}
	if err := m.store.DeleteEntry(ctx, bank, id); err != nil {
		return err
	}
	for _, x := range m.indexes {
		x.RemoveRefs(e.Key)
	}
	m.cache.remove(e.Key)
	return nil
}
