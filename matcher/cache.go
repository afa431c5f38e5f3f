package matcher

import "sync"

// entryMeta is what a Match reports about an entry.
type entryMeta struct {
	Bank, ID, Label string
}

// entryCache keeps the metadata of recently matched entries. It is split
// into shards, each with its own lock held only to read or write a map,
// and each shard forgets everything when it fills up: matches cluster on
// few entries, so a crude policy keeps the hot ones at little cost.
type entryCache struct {
	shards [16]cacheShard
	max    int // per shard
}

type cacheShard struct {
	mu sync.Mutex
	m  map[int64]entryMeta
}

func newEntryCache(size int) *entryCache {
	c := &entryCache{max: max(1, size/16)}
	for i := range c.shards {
		c.shards[i].m = make(map[int64]entryMeta)
	}
	return c
}

func (c *entryCache) shard(key int64) *cacheShard { return &c.shards[uint64(key)%16] }

func (c *entryCache) get(key int64) (entryMeta, bool) {
	s := c.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[key]
	return e, ok
}

func (c *entryCache) put(key int64, e entryMeta) {
	s := c.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.m) >= c.max {
		clear(s.m)
	}
	s.m[key] = e
}

func (c *entryCache) remove(key int64) {
	s := c.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
}
