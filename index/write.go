package index

import (
	"errors"
	"slices"
)

// A Builder fills a new index in bulk (at start-up, from the store) and
// builds its posting tables once, at the end: far faster than as many
// calls to Add. A Builder is not safe for concurrent use.
type Builder struct {
	s *Snapshot
}

// NewBuilder returns a Builder for an index with opts.
func NewBuilder(opts Options) (*Builder, error) {
	s, err := emptySnapshot(opts)
	if err != nil {
		return nil, err
	}
	return &Builder{s: s}, nil
}

// Add stores it in the index being built.
func (b *Builder) Add(it Item) {
	b.s.pages = appendItem(b.s.pages, b.s.w, b.s.n, &it)
	b.s.n++
	b.s.live++
}

// Len is the number of vectors added so far.
func (b *Builder) Len() int { return b.s.live }

// Append moves the vectors of o after those of b, in the order they were
// added, and leaves o empty: Builders filled at the same time (one per
// part of a store read in parallel) join into one. Both must have the
// same Options.
func (b *Builder) Append(o *Builder) error {
	dst, src := b.s, o.s
	if dst.w != src.w || dst.exactOnly != src.exactOnly {
		return errors.New("index: appending a builder with other options")
	}
	w := dst.w
	for p := uint32(0); p < src.n; {
		if dst.n&(pageSize-1) == 0 {
			dst.pages = append(dst.pages, newPage(w))
		}
		sp, so := src.pages[p>>pageBits], int(p&(pageSize-1))
		dp, do := dst.pages[len(dst.pages)-1], int(dst.n&(pageSize-1))
		k := min(pageSize-so, pageSize-do, int(src.n-p))
		copy(dp.words[do*w:(do+k)*w], sp.words[so*w:(so+k)*w])
		copy(dp.refs[do:do+k], sp.refs[so:so+k])
		copy(dp.tags[do:do+k], sp.tags[so:so+k])
		if so+k == pageSize {
			src.pages[p>>pageBits] = nil // copied: free it now
		}
		p += uint32(k)
		dst.n += uint32(k)
		dst.live += k
	}
	src.pages, src.n, src.live = nil, 0, 0
	return nil
}

// Index builds the posting tables and returns the index. The Builder must
// not be used afterwards.
func (b *Builder) Index() *Index {
	s := b.s
	b.s = nil
	s.base = buildBase(s)
	x := &Index{}
	x.cur.Store(s)
	return x
}

func newPage(w int) *page {
	pg := &page{
		words: make([]uint64, pageSize*w),
		refs:  make([]int64, pageSize),
		tags:  make([]uint16, pageSize),
	}
	adviseHuge(pg.words)
	return pg
}

// appendItem writes it at position n, allocating a page when n starts
// one. Writing past the lengths that published snapshots read is safe
// while they are in use.
func appendItem(pages []*page, w int, n uint32, it *Item) []*page {
	o := int(n & (pageSize - 1))
	if o == 0 {
		pages = append(pages, newPage(w))
	}
	pg := pages[len(pages)-1]
	copy(pg.words[o*w:(o+1)*w], it.Vec[:w])
	pg.refs[o] = it.Ref
	pg.tags[o] = it.Tag
	return pages
}

// Add stores items. Lookups running meanwhile see either none or all of
// them. The items join the delta, whose 16-bit posting tables are copied
// only where they change; when the delta outgrows a thirty-second of the
// index (or the batch a sixteenth), the whole index is rebuilt into a new
// base instead, which takes seconds for ten million vectors (lookups go
// on meanwhile, on the previous snapshot).
func (x *Index) Add(items ...Item) {
	if len(items) == 0 {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	old := x.cur.Load()
	s := *old
	s.pages = append(make([]*page, 0, len(old.pages)+1), old.pages...)
	first := s.n
	for i := range items {
		s.pages = appendItem(s.pages, s.w, s.n, &items[i])
		s.n++
	}
	s.live += len(items)
	if len(items) > old.live/16 || int(s.n-s.baseN()) > max(s.minDelta, s.live/32) {
		s.rebuild()
	} else {
		e := newEditor(&s)
		for p := first; p < s.n; p++ {
			v := s.vec(p)
			for i := range s.delta {
				e.add(i, sub(&v, i), p)
			}
		}
	}
	x.cur.Store(&s)
}

// defaultMinDelta is the delta size, and the number of dead vectors,
// below which writes never rebuild the index.
const defaultMinDelta = 1 << 14

// rebuild makes every vector part of a new base and empties the delta,
// first dropping the dead vectors if they are a quarter of the index.
func (s *Snapshot) rebuild() {
	if s.dead > 0 && s.dead >= s.live/4 {
		c, _ := emptySnapshot(Options{Bits: 64 * s.w, ExactOnly: s.exactOnly})
		c.minDelta = s.minDelta
		for pi, pg := range s.pages {
			basePos := uint32(pi) << pageBits
			for j := range min(int(s.n-basePos), pageSize) {
				p := basePos + uint32(j)
				if s.isDead(p) {
					continue
				}
				it := Item{Ref: pg.refs[j], Tag: pg.tags[j], Vec: s.vec(p)}
				c.pages = appendItem(c.pages, c.w, c.n, &it)
				c.n++
			}
		}
		s.pages, s.n, s.dead = c.pages, c.n, 0
	}
	s.base = buildBase(s)
	s.delta = emptyTables(len(s.delta))
}

// Remove deletes the stored vectors equal to an item (same Ref, Tag and
// Vec) and returns how many it deleted. Lookups running meanwhile see
// either none or all of the deletions.
func (x *Index) Remove(items ...Item) int {
	if len(items) == 0 {
		return 0
	}
	return x.remove(func(s *Snapshot) []uint32 {
		var dead []uint32
		for _, it := range items {
			for _, h := range s.find(it.Vec) {
				pg, o := s.pages[h>>pageBits], h&(pageSize-1)
				if pg.refs[o] == it.Ref && pg.tags[o] == it.Tag {
					dead = append(dead, h)
				}
			}
		}
		return dead
	})
}

// RemoveRefs deletes every stored vector whose Ref is one of refs and
// returns how many it deleted. It reads the Ref of every stored vector
// (tens of milliseconds for ten million), so it suits deletions of whole
// entries whose vectors the caller does not know.
func (x *Index) RemoveRefs(refs ...int64) int {
	if len(refs) == 0 {
		return 0
	}
	wanted := func(ref int64) bool { return slices.Contains(refs, ref) }
	if len(refs) > 8 {
		set := make(map[int64]bool, len(refs))
		for _, r := range refs {
			set[r] = true
		}
		wanted = func(ref int64) bool { return set[ref] }
	}
	return x.remove(func(s *Snapshot) []uint32 {
		var dead []uint32
		for pi, pg := range s.pages {
			base := uint32(pi) << pageBits
			for j, ref := range pg.refs[:min(int(s.n-base), pageSize)] {
				if (ref == refs[0] || len(refs) > 1 && wanted(ref)) && !s.isDead(base+uint32(j)) {
					dead = append(dead, base+uint32(j))
				}
			}
		}
		return dead
	})
}

// remove deletes the live positions that find returns in the current
// snapshot and publishes the result.
func (x *Index) remove(find func(*Snapshot) []uint32) int {
	x.mu.Lock()
	defer x.mu.Unlock()
	old := x.cur.Load()
	dead := find(old)
	slices.Sort(dead)
	dead = slices.Compact(dead)
	if len(dead) == 0 {
		return 0
	}
	s := *old
	s.pages = append([]*page(nil), old.pages...)
	copied := make(map[int]bool)
	for _, p := range dead {
		pi, o := int(p>>pageBits), p&(pageSize-1)
		if !copied[pi] {
			np := *s.pages[pi]
			np.dead = make([]uint64, pageSize/64)
			copy(np.dead, old.pages[pi].dead)
			s.pages[pi] = &np
			copied[pi] = true
		}
		s.pages[pi].dead[o>>6] |= 1 << (o & 63)
	}
	s.live -= len(dead)
	s.dead += len(dead)
	if s.dead >= max(s.minDelta, s.live/4) {
		s.rebuild()
	} else {
		// Drop the dead positions from the delta buckets they are in; the
		// base skips them through the dead bitmaps.
		e := newEditor(&s)
		for _, p := range dead {
			if p < s.baseN() {
				continue
			}
			v := s.vec(p)
			for i := range s.delta {
				e.removeDead(i, sub(&v, i))
			}
		}
	}
	x.cur.Store(&s)
	return len(dead)
}

// editor changes the delta's posting tables of a snapshot copy, copying each
// table, chunk and bucket the first time it is touched so that older
// snapshots stay intact.
type editor struct {
	s       *Snapshot
	tables  map[int]bool
	chunks  map[int]bool
	buckets map[int]bool
	// filtered holds the buckets already rid of dead positions.
	filtered map[int]bool
}

func newEditor(s *Snapshot) *editor {
	s.delta = append([]*table(nil), s.delta...)
	return &editor{s: s, tables: map[int]bool{}, chunks: map[int]bool{}, buckets: map[int]bool{}, filtered: map[int]bool{}}
}

// chunk returns chunk c of table i, owned by this edit.
func (e *editor) chunk(i int, c int) *chunk {
	if !e.tables[i] {
		t := *e.s.delta[i]
		e.s.delta[i] = &t
		e.tables[i] = true
	}
	t := e.s.delta[i]
	k := i*len(t) + c
	if !e.chunks[k] {
		var ch chunk
		if t[c] != nil {
			ch = *t[c]
		}
		t[c] = &ch
		e.chunks[k] = true
	}
	return t[c]
}

func (e *editor) add(i int, b uint16, p uint32) {
	ch := e.chunk(i, int(b>>chunkBits))
	j := b & (1<<chunkBits - 1)
	k := i*nBuckets + int(b)
	if !e.buckets[k] {
		old := ch[j]
		ch[j] = append(make([]uint32, 0, len(old)+1+len(old)/8), old...)
		e.buckets[k] = true
	}
	ch[j] = append(ch[j], p)
}

func (e *editor) removeDead(i int, b uint16) {
	if len(e.s.delta[i].bucket(b)) == 0 || e.filtered[i*nBuckets+int(b)] {
		return
	}
	e.filtered[i*nBuckets+int(b)] = true
	ch := e.chunk(i, int(b>>chunkBits))
	j := b & (1<<chunkBits - 1)
	kept := make([]uint32, 0, len(ch[j]))
	for _, p := range ch[j] {
		if !e.s.isDead(p) {
			kept = append(kept, p)
		}
	}
	if len(kept) == 0 {
		kept = nil
	}
	ch[j] = kept
	e.buckets[i*nBuckets+int(b)] = true
}
