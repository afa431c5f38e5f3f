// Package index finds stored bit strings (perceptual hashes) within a
// Hamming distance of a query, exactly and fast.
//
// An Index holds fixed-width vectors of 64, 128 or 256 bits, each with the
// caller's reference (an entry key) and a small tag (a region code). Search
// uses multi-index hashing (Norouzi, Punjani and Fleet, "Fast Search in
// Hamming Space with Multi-Index Hashing", CVPR 2012): every vector is cut
// into 16-bit substrings, one posting table per substring position; a query
// within distance t of a stored vector, with t = m*r + a for m substrings
// and 0 <= a < m, agrees with it to within r bits on one of the first a+1
// substrings or to within r-1 bits on one of the others (else the distance
// would be at least (a+1)(r+1) + (m-a-1)r = t+1), so probing the tables at
// those radii finds every match. When that would cost more than comparing
// with every vector, the index scans them all instead. Either way the answer is exactly the one
// an exhaustive comparison gives (Scan).
//
// Lookups never take a lock. The index state is an immutable snapshot
// published through an atomic pointer; writers (serialised among
// themselves) copy only the posting buckets, chunk headers and storage
// pages they touch and publish a new snapshot. Vectors are stored packed
// in pages that later snapshots only ever write past the end of, so a reader holding an
// older snapshot keeps a consistent view while writes go on.
package index

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"
)

const (
	subBits   = 16           // bits per substring
	nBuckets  = 1 << subBits // buckets per table
	chunkBits = 8            // buckets per chunk: 1<<chunkBits
	pageBits  = 16           // vectors per storage page: 1<<pageBits
	pageSize  = 1 << pageBits
)

// Vec is a vector of up to 256 bits, as big-endian 64-bit words: Vec[0]
// holds the first 8 bytes of the value. Vectors shorter than 256 bits use
// the leading words and leave the others zero.
type Vec [4]uint64

// VecOf converts a hash value of 8, 16 or 32 bytes (big-endian, as the hex
// form reads) to a Vec.
func VecOf(value []byte) (Vec, error) {
	var v Vec
	switch len(value) {
	case 8, 16, 32:
	default:
		return v, fmt.Errorf("index: a %d-byte value: want 8, 16 or 32 bytes", len(value))
	}
	for i := 0; i < len(value)/8; i++ {
		v[i] = binary.BigEndian.Uint64(value[8*i:])
	}
	return v, nil
}

// Bytes returns the first nbits/8 bytes of v, big-endian.
func (v Vec) Bytes(nbits int) []byte {
	b := make([]byte, nbits/8)
	for i := 0; i < len(b)/8; i++ {
		binary.BigEndian.PutUint64(b[8*i:], v[i])
	}
	return b
}

// Item is one stored vector.
type Item struct {
	Ref int64  // the caller's reference, e.g. an entry's key
	Tag uint16 // the caller's small code, e.g. which region of the entry
	Vec Vec
}

// Result is one stored vector found near a query.
type Result struct {
	Ref      int64
	Tag      uint16
	Distance int
	// Query is the position, in the queries given to Search or Scan, of
	// the query variant nearest to the vector (the first such on ties).
	Query int
}

// Options configure an Index.
type Options struct {
	// Bits is the vector width: 64, 128 or 256.
	Bits int
	// ExactOnly builds a posting table for the first substring only. Such
	// an index answers distance 0 (equality) through the table and any
	// other distance by scanning: for cryptographic hashes, at a sixteenth
	// of the memory.
	ExactOnly bool
}

// Index is an exact Hamming-distance index. It is safe for concurrent use:
// any number of lookups may run during Add and Remove.
type Index struct {
	mu  sync.Mutex // serialises writers; lookups never take it
	cur atomic.Pointer[Snapshot]
}

// New returns an empty index.
func New(opts Options) (*Index, error) {
	s, err := emptySnapshot(opts)
	if err != nil {
		return nil, err
	}
	x := &Index{}
	x.cur.Store(s)
	return x, nil
}

func emptySnapshot(opts Options) (*Snapshot, error) {
	switch opts.Bits {
	case 64, 128, 256:
	default:
		return nil, fmt.Errorf("index: %d bits: want 64, 128 or 256", opts.Bits)
	}
	s := &Snapshot{w: opts.Bits / 64, m: opts.Bits / subBits}
	s.ntab = s.m
	if opts.ExactOnly {
		s.ntab = 1
	}
	s.tables = make([]*table, s.ntab)
	for i := range s.tables {
		s.tables[i] = new(table)
	}
	return s, nil
}

// Snapshot returns the current state. It never changes: later writes to
// the index publish new snapshots.
func (x *Index) Snapshot() *Snapshot { return x.cur.Load() }

// Len is the number of vectors stored.
func (x *Index) Len() int { return x.cur.Load().Len() }

// Search returns the stored vectors within distance maxDist of any of the
// queries (for example the eight dihedral variants of one PDQ hash), each
// once with its nearest query, ordered by distance, then Ref, then Tag.
func (x *Index) Search(queries []Vec, maxDist int) []Result {
	return x.cur.Load().Search(queries, maxDist)
}

// Scan answers like Search by comparing the queries with every stored
// vector. It exists to verify the index and for the --exhaustive option.
func (x *Index) Scan(queries []Vec, maxDist int) []Result {
	return x.cur.Load().Scan(queries, maxDist)
}

// A Snapshot is an immutable state of an Index.
type Snapshot struct {
	w      int // 64-bit words per vector
	m      int // substrings per vector
	ntab   int // substrings that have a posting table (m, or 1 if ExactOnly)
	n      uint32
	live   int
	pages  []*page
	tables []*table
}

// page stores up to pageSize vectors. Its words, refs and tags arrays are
// allocated at full size, shared by every snapshot and written only at
// positions past the count (Snapshot.n) of every published snapshot; dead
// is copied whenever it changes.
type page struct {
	words []uint64 // w words per vector
	refs  []int64
	tags  []uint16
	dead  []uint64 // bitmap of removed vectors; nil when none
}

// table maps a substring value to the positions of the vectors having it,
// in ascending order. Chunks are nil until a bucket in them is filled.
type table [nBuckets >> chunkBits]*chunk

type chunk [1 << chunkBits][]uint32

func (t *table) bucket(b uint16) []uint32 {
	c := t[b>>chunkBits]
	if c == nil {
		return nil
	}
	return c[b&(1<<chunkBits-1)]
}

// Len is the number of vectors stored.
func (s *Snapshot) Len() int { return s.live }

// Bits is the vector width.
func (s *Snapshot) Bits() int { return 64 * s.w }

// sub returns substring i of v.
func sub(v *Vec, i int) uint16 {
	return uint16(v[i>>2] >> (48 - 16*(i&3)))
}

func (s *Snapshot) isDead(p uint32) bool {
	d := s.pages[p>>pageBits].dead
	q := p & (pageSize - 1)
	return d != nil && d[q>>6]&(1<<(q&63)) != 0
}

func (s *Snapshot) vec(p uint32) Vec {
	pg := s.pages[p>>pageBits]
	o := int(p&(pageSize-1)) * s.w
	var v Vec
	copy(v[:s.w], pg.words[o:o+s.w])
	return v
}

// distance between stored vector p and v.
func (s *Snapshot) distance(p uint32, v *Vec) int {
	pg := s.pages[p>>pageBits]
	o := int(p&(pageSize-1)) * s.w
	ws := pg.words[o : o+s.w]
	d := 0
	for i, x := range ws {
		d += bits.OnesCount64(x ^ v[i])
	}
	return d
}

// hit is a match of one query variant with one stored position.
type hit struct {
	pos  uint32
	dist int
	q    int
}

// Search is Index.Search on this snapshot.
func (s *Snapshot) Search(queries []Vec, maxDist int) []Result {
	if maxDist < 0 || len(queries) == 0 || s.live == 0 {
		return nil
	}
	if !s.useTables(maxDist) {
		return s.Scan(queries, maxDist)
	}
	return s.mih(queries, maxDist)
}

// mih answers a search through the posting tables.
func (s *Snapshot) mih(queries []Vec, maxDist int) []Result {
	var radii [16]int
	s.radii(maxDist, &radii)
	var hits []hit
	for qi := range queries {
		hits = s.probe(hits, &queries[qi], qi, maxDist, &radii)
	}
	return s.results(hits, len(queries) > 1)
}

// radii sets the probe radius of each substring for a search within
// maxDist: r on substrings 0..a and r-1 (-1: not probed) on the others,
// where maxDist = m*r + a. It reports false if that needs a table the
// snapshot does not have.
func (s *Snapshot) radii(maxDist int, radii *[16]int) bool {
	r, a := maxDist/s.m, maxDist%s.m
	for i := range s.m {
		radii[i] = r
		if i > a {
			radii[i] = r - 1
		}
		if radii[i] >= 0 && i >= s.ntab {
			return false
		}
	}
	return true
}

// useTables decides how to answer a search within maxDist: through the
// posting tables or by scanning. The cost model counts a scanned vector
// as 1, a probed bucket as 8 and a candidate drawn from a bucket as 3 (a
// random access instead of a streamed one); BenchmarkPlan measures the
// two ways around the switch-over.
func (s *Snapshot) useTables(maxDist int) bool {
	var radii [16]int
	if maxDist >= 64*s.w || !s.radii(maxDist, &radii) {
		return false
	}
	probes := 0.0
	for _, r := range radii[:s.m] {
		if r >= 0 {
			probes += float64(ballSize[r])
		}
	}
	candidates := probes * float64(s.live) / nBuckets
	return 8*probes+3*candidates < float64(s.live)
}

// probe appends to hits the stored vectors within maxDist of q found by
// probing each substring i of q at radius radii[i]. A vector is reported
// only from the first substring that finds it, so each appears once.
func (s *Snapshot) probe(hits []hit, q *Vec, qi, maxDist int, radii *[16]int) []hit {
	for i := range s.m {
		r := radii[i]
		if r < 0 {
			continue
		}
		sq := sub(q, i)
		t := s.tables[i]
		for _, mask := range masks[:ballSize[r]] {
			for _, p := range t.bucket(sq ^ mask) {
				d := s.distance(p, q)
				if d > maxDist || s.isDead(p) || s.foundBefore(p, q, i, radii) {
					continue
				}
				hits = append(hits, hit{p, d, qi})
			}
		}
	}
	return hits
}

// foundBefore reports whether probing a substring before i finds stored
// vector p too.
func (s *Snapshot) foundBefore(p uint32, q *Vec, i int, radii *[16]int) bool {
	v := s.vec(p)
	for j := range i {
		if bits.OnesCount16(sub(&v, j)^sub(q, j)) <= radii[j] {
			return true
		}
	}
	return false
}

// Scan is Index.Scan on this snapshot.
func (s *Snapshot) Scan(queries []Vec, maxDist int) []Result {
	if maxDist < 0 || len(queries) == 0 || s.live == 0 {
		return nil
	}
	var hits []hit
	for pi, pg := range s.pages {
		base := uint32(pi) << pageBits
		cnt := min(int(s.n-base), pageSize)
		if s.w == 4 && len(queries) == 1 {
			hits = scan4(hits, pg.words[:4*cnt], &queries[0], maxDist, base)
		} else {
			hits = scanN(hits, pg.words[:s.w*cnt], s.w, queries, maxDist, base)
		}
	}
	live := hits[:0]
	for _, h := range hits {
		if !s.isDead(h.pos) {
			live = append(live, h)
		}
	}
	return s.results(live, false)
}

// scan4 is the scan loop for one 256-bit query: four XORs and popcounts
// per stored vector over contiguous memory.
func scan4(hits []hit, words []uint64, q *Vec, maxDist int, base uint32) []hit {
	q0, q1, q2, q3 := q[0], q[1], q[2], q[3]
	for j := 0; j+4 <= len(words); j += 4 {
		w := words[j : j+4 : j+4]
		d := bits.OnesCount64(w[0]^q0) + bits.OnesCount64(w[1]^q1) +
			bits.OnesCount64(w[2]^q2) + bits.OnesCount64(w[3]^q3)
		if d <= maxDist {
			hits = append(hits, hit{base + uint32(j/4), d, 0})
		}
	}
	return hits
}

// scanN is the scan loop for any width and any number of queries; each
// stored vector is reported once, with its nearest query.
func scanN(hits []hit, words []uint64, w int, queries []Vec, maxDist int, base uint32) []hit {
	for j := 0; j+w <= len(words); j += w {
		vw := words[j : j+w : j+w]
		best, bq := maxDist+1, 0
		for qi := range queries {
			q := &queries[qi]
			d := 0
			for k, x := range vw {
				d += bits.OnesCount64(x ^ q[k])
			}
			if d < best {
				best, bq = d, qi
			}
		}
		if best <= maxDist {
			hits = append(hits, hit{base + uint32(j/w), best, bq})
		}
	}
	return hits
}

// results turns hits into sorted Results, keeping per position the
// nearest query (the first on ties) when merge is set.
func (s *Snapshot) results(hits []hit, merge bool) []Result {
	if merge {
		slices.SortFunc(hits, func(x, y hit) int {
			return cmp.Or(cmp.Compare(x.pos, y.pos), cmp.Compare(x.dist, y.dist), cmp.Compare(x.q, y.q))
		})
		hits = slices.CompactFunc(hits, func(x, y hit) bool { return x.pos == y.pos })
	}
	out := make([]Result, len(hits))
	for i, h := range hits {
		pg := s.pages[h.pos>>pageBits]
		o := h.pos & (pageSize - 1)
		out[i] = Result{Ref: pg.refs[o], Tag: pg.tags[o], Distance: h.dist, Query: h.q}
	}
	slices.SortFunc(out, compareResults)
	return out
}

func compareResults(x, y Result) int {
	return cmp.Or(cmp.Compare(x.Distance, y.Distance), cmp.Compare(x.Ref, y.Ref),
		cmp.Compare(x.Tag, y.Tag), cmp.Compare(x.Query, y.Query))
}

// masks lists every 16-bit value by increasing popcount; ballSize[r] is
// how many have popcount r or less, so masks[:ballSize[r]] flips at most r
// bits of a substring.
var masks, ballSize = makeMasks()

func makeMasks() ([]uint16, [subBits + 1]int) {
	var ms []uint16
	var sizes [subBits + 1]int
	for w := 0; w <= subBits; w++ {
		for v := 0; v < nBuckets; v++ {
			if bits.OnesCount16(uint16(v)) == w {
				ms = append(ms, uint16(v))
			}
		}
		sizes[w] = len(ms)
	}
	return ms, sizes
}

// MemoryBytes is the memory the snapshot's vectors and posting tables
// take, counted from their allocations (vector pages at full size, posting
// buckets at capacity, chunk and table headers).
func (s *Snapshot) MemoryBytes() int64 {
	var n int64
	for _, pg := range s.pages {
		n += int64(cap(pg.words))*8 + int64(cap(pg.refs))*8 + int64(cap(pg.tags))*2 + int64(cap(pg.dead))*8
	}
	for _, t := range s.tables {
		n += int64(len(t)) * 8
		for _, c := range t {
			if c == nil {
				continue
			}
			n += int64(len(c)) * 24
			for _, b := range c {
				n += int64(cap(b)) * 4
			}
		}
	}
	return n
}
