// Package index finds stored bit strings (perceptual hashes) within a
// Hamming distance of a query, exactly and fast.
//
// An Index holds fixed-width vectors of 64, 128 or 256 bits, each with the
// caller's reference (an entry key) and a small tag (a region code). Search
// uses multi-index hashing (Norouzi, Punjani and Fleet, "Fast Search in
// Hamming Space with Multi-Index Hashing", CVPR 2012): every vector is cut
// into m substrings, with one posting table per substring position. A
// query within distance t of a stored vector, with t = m*r + a and
// 0 <= a < m, agrees with it to within r bits on one of the first a+1
// substrings or to within r-1 bits on one of the others (else the distance
// would be at least (a+1)(r+1) + (m-a-1)r = t+1), so probing the tables at
// those radii finds every match. Where that would cost more than comparing
// with every vector, the index scans instead. Either way the answer is
// exactly the one an exhaustive comparison gives (Scan).
//
// The vectors are in two parts. The base is built in bulk (at load, and
// again when the rest grows): its substrings are a few bits wider than
// log2(n) (16 to 24 bits), so that most buckets are empty, and its tables
// are an occupancy bitmap, which stays in the cache, over one 32-bit entry
// per non-empty bucket (dense bases of 2^23 vectors and more: flat sorted
// arrays of positions with their bounds). The delta holds the vectors
// added since, in 16-bit tables whose buckets writes copy one by one.
//
// Lookups never take a lock. The index state is an immutable snapshot
// published through an atomic pointer; writers (serialised among
// themselves) copy only the delta buckets, chunk headers and page headers
// they touch, and publish a new snapshot. Vectors are stored packed in
// pages that later snapshots only ever write past the end of, and removed
// ones are marked in copied bitmaps, so a reader holding an older snapshot
// keeps a consistent view while writes go on.
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
	// other distance by scanning: for cryptographic hashes, with a
	// twelfth to a sixteenth of the posting memory.
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
	s := &Snapshot{w: opts.Bits / 64, exactOnly: opts.ExactOnly, dlay: makeLayout(opts.Bits, opts.Bits/subBits), minDelta: defaultMinDelta,
		scratch: &sync.Pool{New: func() any { return new(scratch) }}}
	s.delta = emptyTables(s.ntab(s.dlay.m))
	return s, nil
}

func emptyTables(n int) []*table {
	ts := make([]*table, n)
	for i := range ts {
		ts[i] = new(table)
	}
	return ts
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

// A Snapshot is an immutable state of an Index. Its vectors are in two
// parts: the base, below base.n, with compact posting tables built in
// bulk (substrings of about log2(n) bits), and the delta above, the
// vectors added since, with 16-bit posting tables that writes copy bucket
// by bucket. Removed vectors stay in the pages, marked dead, until the
// next compaction.
type Snapshot struct {
	w         int // 64-bit words per vector
	exactOnly bool
	n         uint32 // positions used
	live      int
	dead      int // dead positions below n
	pages     []*page
	base      *base // nil until built
	dlay      layout
	delta     []*table
	minDelta  int // see defaultMinDelta
	// scratch pools the lookups' working buffers (*scratch); every
	// snapshot of an index shares it.
	scratch *sync.Pool
}

// ntab is the number of posting tables for a layout of m substrings.
func (s *Snapshot) ntab(m int) int {
	if s.exactOnly {
		return 1
	}
	return m
}

// baseN is the first position of the delta.
func (s *Snapshot) baseN() uint32 {
	if s.base == nil {
		return 0
	}
	return s.base.n
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

// sub returns 16-bit substring i of v (the delta's layout).
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

// scratch holds the working buffers of one lookup, reused through
// Snapshot.scratch so that a lookup in steady state allocates only its
// results.
type scratch struct {
	keys   []uint32
	bounds [][2]uint32
	cands  []uint32
	vecs   []Vec
	hits   []hit
}

// gather copies the stored vectors at positions ps into dst, side by side:
// a loop of independent loads, which the processor overlaps.
func (s *Snapshot) gather(dst []Vec, ps []uint32) {
	pages := s.pages
	if s.w == 4 {
		for k, p := range ps {
			ws := pages[p>>pageBits].words
			o := int(p&(pageSize-1)) * 4
			v := ws[o : o+4 : o+4]
			dst[k] = Vec{v[0], v[1], v[2], v[3]}
		}
		return
	}
	for k, p := range ps {
		dst[k] = s.vec(p)
	}
}

// verify appends to hits the candidates (positions found through
// substring i of lay, probed at radii) within maxDist of q, leaving out
// the dead ones and those that a substring before i finds.
func (s *Snapshot) verify(sc *scratch, hits []hit, cands []uint32, q *Vec, qi, maxDist int, lay *layout, i int, radii *[maxSub]int) []hit {
	vecs := slices.Grow(sc.vecs[:0], len(cands))[:len(cands)]
	sc.vecs = vecs
	s.gather(vecs, cands)
	// The stored vectors are zero past the width; so is qq.
	var qq Vec
	copy(qq[:s.w], q[:s.w])
	for k, p := range cands {
		v := &vecs[k]
		xor := Vec{v[0] ^ qq[0], v[1] ^ qq[1], v[2] ^ qq[2], v[3] ^ qq[3]}
		d := bits.OnesCount64(xor[0]) + bits.OnesCount64(xor[1]) + bits.OnesCount64(xor[2]) + bits.OnesCount64(xor[3])
		if d > maxDist || s.isDead(p) || lay.foundBefore(&xor, i, radii) {
			continue
		}
		hits = append(hits, hit{p, d, qi})
	}
	return hits
}

// hit is a match of one query variant with one stored position.
type hit struct {
	pos  uint32
	dist int
	q    int
}

// A plan says how to search each part of a snapshot within a distance:
// through its tables at the given radii, or (probe false) by scanning it.
type plan struct {
	probeBase, probeDelta bool
	baseRadii, deltaRadii [maxSub]int
}

// plan chooses, for the base and for the delta, the cheaper of probing the
// tables and scanning, or, with force, probes wherever the tables allow.
func (s *Snapshot) plan(maxDist int, force bool) plan {
	var p plan
	if maxDist >= 64*s.w {
		return p
	}
	if b := s.base; b != nil && b.lay.radii(maxDist, b.ntab, &p.baseRadii) {
		p.probeBase = force || b.lay.cost(&p.baseRadii, int(b.n), b.occ != nil) < float64(b.n)
	}
	if nd := int(s.n - s.baseN()); nd > 0 && s.dlay.radii(maxDist, len(s.delta), &p.deltaRadii) {
		p.probeDelta = force || s.dlay.cost(&p.deltaRadii, nd, false) < float64(nd)
	}
	return p
}

// Search is Index.Search on this snapshot.
func (s *Snapshot) Search(queries []Vec, maxDist int) []Result {
	return s.search(queries, maxDist, s.plan(maxDist, false))
}

// mih searches through the tables wherever they allow (for tests).
func (s *Snapshot) mih(queries []Vec, maxDist int) []Result {
	return s.search(queries, maxDist, s.plan(maxDist, true))
}

func (s *Snapshot) search(queries []Vec, maxDist int, p plan) []Result {
	if maxDist < 0 || len(queries) == 0 || s.live == 0 {
		return nil
	}
	sc := s.scratch.Get().(*scratch)
	defer s.scratch.Put(sc)
	hits := sc.hits[:0]
	bn := s.baseN()
	if p.probeBase {
		for qi := range queries {
			hits = s.base.probe(s, sc, hits, &queries[qi], qi, maxDist, &p.baseRadii)
		}
	} else {
		hits = s.scanRange(hits, queries, maxDist, 0, bn)
	}
	if p.probeDelta {
		for qi := range queries {
			hits = s.probeDelta(sc, hits, &queries[qi], qi, maxDist, &p.deltaRadii)
		}
	} else {
		hits = s.scanRange(hits, queries, maxDist, bn, s.n)
	}
	sc.hits = hits
	return s.results(hits, len(queries) > 1)
}

// probeDelta appends to hits the delta's vectors within maxDist of q
// found by probing each 16-bit substring i of q at radius radii[i]. A
// vector is reported only from the first substring that finds it.
func (s *Snapshot) probeDelta(sc *scratch, hits []hit, q *Vec, qi, maxDist int, radii *[maxSub]int) []hit {
	cands := sc.cands
	for i := range s.dlay.m {
		r := radii[i]
		if r < 0 {
			continue
		}
		// Gather the candidates first, then verify them (see base.probe).
		sq := sub(q, i)
		t := s.delta[i]
		cands = cands[:0]
		for _, mask := range masks[:ballSize[r]] {
			cands = append(cands, t.bucket(sq^mask)...)
		}
		hits = s.verify(sc, hits, cands, q, qi, maxDist, &s.dlay, i, radii)
	}
	sc.cands = cands
	return hits
}

// Scan is Index.Scan on this snapshot.
func (s *Snapshot) Scan(queries []Vec, maxDist int) []Result {
	if maxDist < 0 || len(queries) == 0 || s.live == 0 {
		return nil
	}
	sc := s.scratch.Get().(*scratch)
	defer s.scratch.Put(sc)
	sc.hits = s.scanRange(sc.hits[:0], queries, maxDist, 0, s.n)
	return s.results(sc.hits, false)
}

// scanRange appends to hits the live vectors at positions lo to hi-1
// within maxDist of a query, each once with its nearest query.
func (s *Snapshot) scanRange(hits []hit, queries []Vec, maxDist int, lo, hi uint32) []hit {
	first := len(hits)
	for p := lo; p < hi; {
		pg := s.pages[p>>pageBits]
		j := int(p & (pageSize - 1))
		end := min(pageSize, j+int(hi-p))
		words := pg.words[j*s.w : end*s.w]
		if s.w == 4 && len(queries) == 1 {
			hits = scan4(hits, words, &queries[0], maxDist, p)
		} else {
			hits = scanN(hits, words, s.w, queries, maxDist, p)
		}
		p += uint32(end - j)
	}
	live := hits[:first]
	for _, h := range hits[first:] {
		if !s.isDead(h.pos) {
			live = append(live, h)
		}
	}
	return live
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
// arrays and buckets at capacity, chunk and table headers).
func (s *Snapshot) MemoryBytes() int64 {
	var n int64
	for _, pg := range s.pages {
		n += int64(cap(pg.words))*8 + int64(cap(pg.refs))*8 + int64(cap(pg.tags))*2 + int64(cap(pg.dead))*8
	}
	if s.base != nil {
		n += s.base.memoryBytes()
	}
	for _, t := range s.delta {
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

// find returns the live positions holding exactly v.
func (s *Snapshot) find(v Vec) []uint32 {
	var hits []hit
	var radii [maxSub]int
	sc := new(scratch)
	if b := s.base; b != nil {
		b.lay.radii(0, b.ntab, &radii)
		hits = b.probe(s, sc, hits, &v, 0, 0, &radii)
	}
	s.dlay.radii(0, len(s.delta), &radii)
	hits = s.probeDelta(sc, hits, &v, 0, 0, &radii)
	ps := make([]uint32, len(hits))
	for i, h := range hits {
		ps[i] = h.pos
	}
	return ps
}
