package index

import (
	"runtime"
	"slices"
	"sync"
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

// Index builds the posting tables and returns the index. The Builder must
// not be used afterwards.
func (b *Builder) Index() *Index {
	s := b.s
	b.s = nil
	s.tables = buildTables(s)
	x := &Index{}
	x.cur.Store(s)
	return x
}

// appendItem writes it at position n, allocating a page when n starts
// one. Writing past the lengths that published snapshots read is safe
// while they are in use.
func appendItem(pages []*page, w int, n uint32, it *Item) []*page {
	o := int(n & (pageSize - 1))
	if o == 0 {
		pages = append(pages, &page{
			words: make([]uint64, pageSize*w),
			refs:  make([]int64, pageSize),
			tags:  make([]uint16, pageSize),
		})
	}
	pg := pages[len(pages)-1]
	copy(pg.words[o*w:(o+1)*w], it.Vec[:w])
	pg.refs[o] = it.Ref
	pg.tags[o] = it.Tag
	return pages
}

// buildTables builds every posting table of s from its live vectors, by
// counting sort into one flat array per table; tables are built in
// parallel.
func buildTables(s *Snapshot) []*table {
	tables := make([]*table, s.ntab)
	var wg sync.WaitGroup
	next := make(chan int, s.ntab)
	for i := range s.ntab {
		next <- i
	}
	close(next)
	for range min(runtime.GOMAXPROCS(0), s.ntab) {
		wg.Go(func() {
			for i := range next {
				tables[i] = buildTable(s, i)
			}
		})
	}
	wg.Wait()
	return tables
}

func buildTable(s *Snapshot, i int) *table {
	var start [nBuckets + 1]uint32
	s.eachLive(func(p uint32, v *Vec) { start[int(sub(v, i))+1]++ })
	for b := 1; b <= nBuckets; b++ {
		start[b] += start[b-1]
	}
	flat := make([]uint32, start[nBuckets])
	fill := start
	s.eachLive(func(p uint32, v *Vec) {
		b := sub(v, i)
		flat[fill[b]] = p
		fill[b]++
	})
	t := new(table)
	for c := range t {
		lo, hi := c<<chunkBits, (c+1)<<chunkBits
		if start[lo] == start[hi] {
			continue
		}
		ch := new(chunk)
		for b := lo; b < hi; b++ {
			if start[b] < start[b+1] {
				ch[b-lo] = flat[start[b]:start[b+1]:start[b+1]]
			}
		}
		t[c] = ch
	}
	return t
}

// eachLive calls fn for every live stored vector, in position order.
func (s *Snapshot) eachLive(fn func(p uint32, v *Vec)) {
	var v Vec
	for pi, pg := range s.pages {
		base := uint32(pi) << pageBits
		cnt := min(int(s.n-base), pageSize)
		for j := range cnt {
			if pg.dead != nil && pg.dead[j>>6]&(1<<(j&63)) != 0 {
				continue
			}
			copy(v[:s.w], pg.words[j*s.w:(j+1)*s.w])
			fn(base+uint32(j), &v)
		}
	}
}

// Add stores items. Lookups running meanwhile see either none or all of
// them. A batch larger than a sixteenth of the index rebuilds the posting
// tables; a smaller one copies only the buckets it touches.
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
	if len(items) > old.live/16 {
		s.tables = buildTables(&s)
	} else {
		e := newEditor(&s)
		for p := first; p < s.n; p++ {
			v := s.vec(p)
			for i := range s.ntab {
				e.add(i, sub(&v, i), p)
			}
		}
	}
	x.cur.Store(&s)
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
			for _, p := range s.tables[0].bucket(sub(&it.Vec, 0)) {
				pg, o := s.pages[p>>pageBits], p&(pageSize-1)
				if !s.isDead(p) && pg.refs[o] == it.Ref && pg.tags[o] == it.Tag && s.vec(p) == it.Vec {
					dead = append(dead, p)
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
	set := make(map[int64]bool, len(refs))
	for _, r := range refs {
		set[r] = true
	}
	return x.remove(func(s *Snapshot) []uint32 {
		var dead []uint32
		for pi, pg := range s.pages {
			base := uint32(pi) << pageBits
			for j, ref := range pg.refs[:min(int(s.n-base), pageSize)] {
				if set[ref] && !s.isDead(base+uint32(j)) {
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
	// Drop the dead positions from every bucket they are in.
	e := newEditor(&s)
	for _, p := range dead {
		v := s.vec(p)
		for i := range s.ntab {
			e.removeDead(i, sub(&v, i))
		}
	}
	s.live -= len(dead)
	x.cur.Store(&s)
	return len(dead)
}

// editor changes the posting tables of a snapshot copy, copying each
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
	s.tables = append([]*table(nil), s.tables...)
	return &editor{s: s, tables: map[int]bool{}, chunks: map[int]bool{}, buckets: map[int]bool{}, filtered: map[int]bool{}}
}

// chunk returns chunk c of table i, owned by this edit.
func (e *editor) chunk(i int, c int) *chunk {
	if !e.tables[i] {
		t := *e.s.tables[i]
		e.s.tables[i] = &t
		e.tables[i] = true
	}
	t := e.s.tables[i]
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
	if len(e.s.tables[i].bucket(b)) == 0 || e.filtered[i*nBuckets+int(b)] {
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
