package index

import (
	"math"
	"math/bits"
	"runtime"
	"slices"
	"sync"
)

// maxSub is the most substrings a vector is cut into (256 bits in
// 16-bit substrings).
const maxSub = 16

// A layout cuts vectors into m substrings of nearly equal width: the first
// bits%m are one bit wider. Bit 0 is the most significant bit of Vec[0].
type layout struct {
	m          int
	off, width [maxSub]int
}

func makeLayout(nbits, m int) layout {
	l := layout{m: m}
	off := 0
	for i := range m {
		w := nbits / m
		if i < nbits%m {
			w++
		}
		l.off[i], l.width[i] = off, w
		off += w
	}
	return l
}

// baseLayout picks the substring width for a base of n vectors. Sparse
// tables get four bits more than log2(n) rounded up, up to 24 (a 256-bit
// vector in 11 substrings of 23 and 24 bits at a million): most probes
// then stop in the occupancy bitmap, which stays in the cache, and few
// buckets hold more than one vector. At a million PDQ hashes this took
// 0.75x the time a query of 12 substrings of 21 and 22 bits (two bits
// over log2(n)) and 0.5x that of 10 (too many probes at radius 3), in
// the same run. Where that many vectors would fill the buckets (from 2^23
// on), the tables are dense, with two bits over log2(n) up to 22, so that
// the bucket bounds stay small (2^22 of them take 16 MB a table).
func baseLayout(nbits, n int) (lay layout, sparseTables bool) {
	lg := int(math.Ceil(math.Log2(float64(max(n, 2)))))
	w := min(max(lg+4, 16), 24)
	lay = makeLayout(nbits, (nbits+w-1)/w)
	if sparse(&lay, n) {
		return lay, true
	}
	w = min(max(lg+2, 16), 22)
	lay = makeLayout(nbits, (nbits+w-1)/w)
	return lay, sparse(&lay, n)
}

// sub returns substring i of v.
func (l *layout) sub(v *Vec, i int) uint32 {
	off, w := l.off[i], l.width[i]
	word, sh := off>>6, uint(off&63)
	x := v[word] << sh
	if sh > 0 && word < 3 {
		x |= v[word+1] >> (64 - sh)
	}
	return uint32(x >> (64 - uint(w)))
}

// radii sets the probe radius of each substring for a search within
// maxDist: with maxDist = m*r + a (0 <= a < m), r on substrings 0..a and
// r-1 (-1: not probed) on the others. A vector within maxDist agrees with
// the query to within r bits on one of the first a+1 substrings or to
// within r-1 on one of the others, else its distance would be at least
// (a+1)(r+1) + (m-a-1)r = maxDist+1. radii reports false if a substring
// to probe has no table (only the first ntab have one).
func (l *layout) radii(maxDist, ntab int, radii *[maxSub]int) bool {
	r, a := maxDist/l.m, maxDist%l.m
	for i := range l.m {
		radii[i] = r
		if i > a {
			radii[i] = r - 1
		}
		if radii[i] > l.width[i] {
			radii[i] = l.width[i]
		}
		if radii[i] >= 0 && i >= ntab {
			return false
		}
	}
	return true
}

// cost estimates the work of probing the tables at radii over n vectors,
// in units of one vector scanned: a probed bucket counts 13 and a
// candidate drawn from one 6 (cache misses instead of a streamed read),
// as BenchmarkPlan measured on both sides of the switch-over (a million
// vectors, 13 substrings: threshold 47, about 13,000 buckets and as many
// candidates, probing 0.73 ms against scanning 2.8 ms; threshold 63,
// about 75,000 of each, 3.8 ms against 3.1 ms). With occupancy bitmaps
// (occ), a probe costs 1 for the bitmap and 13 only when the bucket is
// not empty. These constants still choose the cheaper way at every size
// and threshold of BenchmarkPlan with sparse tables, whose non-empty
// buckets cost less (one entry read instead of bounds and positions).
func (l *layout) cost(radii *[maxSub]int, n int, occ bool) float64 {
	c := 0.0
	for i := range l.m {
		if radii[i] < 0 {
			continue
		}
		probes := ball(l.width[i], radii[i])
		perBucket := float64(n) / math.Exp2(float64(l.width[i]))
		bucket := 13.0
		if occ {
			// A bucket is not empty with probability 1 - e^-perBucket.
			bucket = 1 + 13*-math.Expm1(-perBucket)
		}
		c += bucket*probes + 6*probes*perBucket
	}
	return c
}

// ball is the number of w-bit values within r bits of a given one.
func ball(w, r int) float64 {
	total, c := 0.0, 1.0
	for k := 0; k <= r && k <= w; k++ {
		total += c
		c = c * float64(w-k) / float64(k+1)
	}
	return total
}

// foundBefore reports whether probing one of the substrings before i
// at radii finds a vector at xor distance from the query.
func (l *layout) foundBefore(xor *Vec, i int, radii *[maxSub]int) bool {
	for j := range i {
		if bits.OnesCount32(l.sub(xor, j)) <= radii[j] {
			return true
		}
	}
	return false
}

// A base holds the posting tables of the vectors at positions below n. A
// base never changes once built; vectors removed later are skipped
// through the pages' dead bitmaps.
//
// A dense base (more vectors than buckets) keeps its tables in compressed
// sparse row form: for table i, the positions of the vectors whose
// substring i is b are post[i][start[i][b]:start[i][b+1]], in ascending
// order.
//
// A sparse base (fewer vectors than buckets, as baseLayout makes them:
// most buckets are empty and most of the others hold one vector) keeps,
// for table i, a bitmap occ[i] with bit b set when bucket b is not empty
// (2^24 bits take 2 MB; a million vectors' 11 bitmaps, 14 MB, stay in
// the last-level cache of a stream of lookups), the count of set bits
// before each 512-bit line of it in rank[i] (128 KB), and one entry
// per non-empty bucket, in bucket order, in ent[i]: the position of its
// vector when it has one, or multi plus the offset in more[i] of its
// count followed by its positions. A probe tests the bitmap, counts the
// set bits before the bucket (one line of the bitmap, in the cache) and
// then reads one entry: one read from memory where a dense table takes
// two (the bounds, then the positions).
type base struct {
	lay  layout
	ntab int
	n    uint32

	start [][]uint32 // dense
	post  [][]uint32

	occ  [][]uint64 // sparse
	rank [][]uint32
	ent  [][]uint32
	more [][]uint32

	flips [maxSub][]uint32 // flipMasks of each substring's width
}

// multi marks an entry of a sparse table that points into more.
const multi = 1 << 31

// sparse reports whether a base of n vectors in layout lay gets sparse
// tables: when its buckets hold fewer than one vector on average, and
// positions leave the top bit free for multi.
func sparse(lay *layout, n int) bool {
	return n < 1<<lay.width[lay.m-1] && n < multi
}

// buildBase builds the tables of the live vectors of s, one table per
// goroutine.
func buildBase(s *Snapshot) *base {
	lay, sp := baseLayout(64*s.w, s.live)
	return buildBaseLayout(s, lay, sp)
}

func buildBaseLayout(s *Snapshot, lay layout, sparse bool) *base {
	ntab := s.ntab(lay.m)
	b := &base{lay: lay, ntab: ntab, n: s.n}
	for i := range lay.m {
		b.flips[i] = flipMasks(lay.width[i])
	}
	if sparse {
		b.occ, b.rank = make([][]uint64, ntab), make([][]uint32, ntab)
		b.ent, b.more = make([][]uint32, ntab), make([][]uint32, ntab)
	} else {
		b.start, b.post = make([][]uint32, ntab), make([][]uint32, ntab)
	}
	var wg sync.WaitGroup
	next := make(chan int, ntab)
	for i := range ntab {
		next <- i
	}
	close(next)
	for range min(runtime.GOMAXPROCS(0), ntab) {
		wg.Go(func() {
			for i := range next {
				b.buildTable(s, i)
			}
		})
	}
	wg.Wait()
	return b
}

// buildTable fills table i: it sorts (substring, position) pairs by
// substring with a least-significant-digit radix sort in passes of 11
// bits, whose counters stay in cache (a counting sort straight into 2^22
// buckets misses the cache at every vector), keeping positions ascending
// within a bucket.
func (b *base) buildTable(s *Snapshot, i int) {
	const digit = 11
	w := b.lay.width[i]
	keys := make([]uint64, 0, s.live)
	// The substring straight from the packed words (the loop runs ten
	// million times per table at start-up).
	off, nw := b.lay.off[i], s.w
	word, sh, down := off>>6, uint(off&63), uint(64-w)
	spans := sh > 0 && word+1 < nw
	for pi, pg := range s.pages {
		first := uint32(pi) << pageBits
		cnt := min(int(s.n-first), pageSize)
		for j := range cnt {
			if pg.dead != nil && pg.dead[j>>6]&(1<<(j&63)) != 0 {
				continue
			}
			x := pg.words[j*nw+word] << sh
			if spans {
				x |= pg.words[j*nw+word+1] >> (64 - sh)
			}
			keys = append(keys, x>>down<<32|uint64(first+uint32(j)))
		}
	}
	tmp := make([]uint64, len(keys))
	for shift := 32; shift < 32+w; shift += digit {
		var count [1<<digit + 1]int
		for _, k := range keys {
			count[(k>>shift)&(1<<digit-1)+1]++
		}
		for d := 1; d <= 1<<digit; d++ {
			count[d] += count[d-1]
		}
		for _, k := range keys {
			d := (k >> shift) & (1<<digit - 1)
			tmp[count[d]] = k
			count[d]++
		}
		keys, tmp = tmp, keys
	}
	tmp = nil
	if b.occ != nil {
		b.fillSparse(i, w, keys)
		return
	}
	start := make([]uint32, 1<<w+1)
	post := make([]uint32, len(keys))
	adviseHuge(start)
	adviseHuge(post)
	for j, k := range keys {
		post[j] = uint32(k)
		start[k>>32+1]++
	}
	for k := 1; k < len(start); k++ {
		start[k] += start[k-1]
	}
	b.start[i], b.post[i] = start, post
}

// fillSparse fills sparse table i of w-bit substrings from keys (substring
// << 32 | position), sorted.
func (b *base) fillSparse(i, w int, keys []uint64) {
	occ := make([]uint64, (1<<w+511)/512*8)
	ent := make([]uint32, 0, len(keys))
	var more []uint32
	for j := 0; j < len(keys); {
		k := keys[j] >> 32
		e := j + 1
		for e < len(keys) && keys[e]>>32 == k {
			e++
		}
		occ[k>>6] |= 1 << (k & 63)
		if e-j == 1 {
			ent = append(ent, uint32(keys[j]))
		} else {
			ent = append(ent, multi|uint32(len(more)))
			more = append(more, uint32(e-j))
			for _, kk := range keys[j:e] {
				more = append(more, uint32(kk))
			}
		}
		j = e
	}
	rank := make([]uint32, len(occ)/8)
	var c uint32
	for l := range rank {
		rank[l] = c
		for _, x := range occ[8*l : 8*l+8] {
			c += uint32(bits.OnesCount64(x))
		}
	}
	adviseHuge(ent)
	b.occ[i], b.rank[i], b.ent[i], b.more[i] = occ, rank, slices.Clip(ent), more
}

// entry returns the index in ent of bucket v of sparse table i, which is
// not empty: the set bits of occ before bit v.
func (b *base) entry(i int, v uint32) uint32 {
	occ := b.occ[i]
	r := b.rank[i][v>>9]
	for _, x := range occ[v>>9<<3 : v>>6] {
		r += uint32(bits.OnesCount64(x))
	}
	return r + uint32(bits.OnesCount64(occ[v>>6]&(1<<(v&63)-1)))
}

// flipRadius is the radius up to which a base keeps its flip masks.
const flipRadius = 2

// flipMasks lists every mask of w bits with at most flipRadius bits set,
// by weight, each weight in increasing order.
func flipMasks(w int) []uint32 {
	ms := []uint32{0}
	for i := range w {
		ms = append(ms, 1<<i)
	}
	for i := range w {
		for j := range i {
			ms = append(ms, 1<<i|1<<j)
		}
	}
	return ms
}

// appendBall appends to keys every w-bit value within r bits of sq: from
// the base's masks up to flipRadius, and through Gosper's hack beyond.
func (b *base) appendBall(keys []uint32, i int, sq uint32, r int) []uint32 {
	w := b.lay.width[i]
	ms := b.flips[i]
	if r <= flipRadius {
		for _, x := range ms[:int(ball(w, r))] {
			keys = append(keys, sq^x)
		}
		return keys
	}
	for _, x := range ms {
		keys = append(keys, sq^x)
	}
	limit := uint32(1) << w
	for k := flipRadius + 1; k <= r; k++ {
		for x := uint32(1)<<k - 1; x < limit; {
			keys = append(keys, sq^x)
			c := x & -x
			y := x + c
			x = ((x^y)>>2)/c | y
		}
	}
	return keys
}

// probe appends to hits the vectors of the base within maxDist of q,
// found by probing each substring i at radii[i]; each once. For each
// substring it works in passes, each a tight loop of independent loads
// that the processor overlaps: the probed values (in a sparse base, those
// whose bucket is not empty), the bucket bounds (dense) or entries
// (sparse) of each, then the positions in those buckets, then the
// vectors at them (copied side by side into sc), and last the
// comparisons, which then read only cached memory.
func (b *base) probe(s *Snapshot, sc *scratch, hits []hit, q *Vec, qi, maxDist int, radii *[maxSub]int) []hit {
	keys, bounds, cands := sc.keys, sc.bounds, sc.cands
	for i := range b.lay.m {
		r := radii[i]
		if r < 0 {
			continue
		}
		keys = b.appendBall(keys[:0], i, b.lay.sub(q, i), r)
		cands = cands[:0]
		if b.occ != nil {
			occ, n := b.occ[i], 0
			for _, v := range keys {
				if occ[v>>6]&(1<<(v&63)) != 0 {
					keys[n] = v
					n++
				}
			}
			keys = keys[:n]
			// The entries' indexes from the cached bitmap first, then the
			// entries from memory in a tight loop, so that many reads
			// are in flight at once.
			for k, v := range keys {
				keys[k] = b.entry(i, v)
			}
			ent := b.ent[i]
			for k, x := range keys {
				keys[k] = ent[x]
			}
			more := b.more[i]
			for _, e := range keys {
				if e&multi == 0 {
					cands = append(cands, e)
					continue
				}
				o := e &^ multi
				cands = append(cands, more[o+1:o+1+more[o]]...)
			}
		} else {
			start, post := b.start[i], b.post[i]
			bounds = bounds[:0]
			for _, v := range keys {
				bounds = append(bounds, [2]uint32{start[v], start[v+1]})
			}
			// Buckets hold about one position: a loop, not a copy call
			// each.
			for _, bd := range bounds {
				for _, p := range post[bd[0]:bd[1]] {
					cands = append(cands, p)
				}
			}
		}
		hits = s.verify(sc, hits, cands, q, qi, maxDist, &b.lay, i, radii)
	}
	sc.keys, sc.bounds, sc.cands = keys, bounds, cands
	return hits
}

// memoryBytes is the memory of the tables.
func (b *base) memoryBytes() int64 {
	var n int64
	for i := range b.start {
		n += int64(cap(b.start[i]))*4 + int64(cap(b.post[i]))*4
	}
	for i := range b.occ {
		n += int64(cap(b.occ[i]))*8 + int64(cap(b.rank[i])+cap(b.ent[i])+cap(b.more[i]))*4
	}
	return n
}
