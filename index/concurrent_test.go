package index

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
)

// TestConcurrentLookups searches while batches are added and removed and
// checks that every answer is that of some published state: the fixed
// bank, or the fixed bank with all of one batch, never a part of one.
func TestConcurrentLookups(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	const batchSize = 50
	fixed := plantedBank(rng, 256, 3000, 20)
	q := fixed[0].Vec
	x, err := New(Options{Bits: 256})
	if err != nil {
		t.Fatal(err)
	}
	x.Add(fixed...)
	base := x.Search([]Vec{q}, 31)
	baseRefs := make(map[int64]bool)
	for _, r := range base {
		baseRefs[r.Ref] = true
	}

	var done atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		defer done.Store(true)
		wrng := rand.New(rand.NewPCG(12, 12))
		for k := range 40 {
			batch := make([]Item, batchSize)
			for j := range batch {
				// Ref k*1000+j+1e6, all within 31 of q.
				batch[j] = Item{Ref: int64(1_000_000 + k*1000 + j), Vec: flip(wrng, q, 256, wrng.IntN(32))}
			}
			// Unrelated vectors too, so that the bucket copies are varied.
			for range 20 {
				x.Add(Item{Ref: int64(2_000_000 + k), Vec: randomVec(wrng, 256)})
			}
			x.Add(batch...)
			if n := x.Remove(batch...); n != batchSize {
				t.Errorf("batch %d: removed %d", k, n)
				return
			}
		}
	})
	var lookups atomic.Int64
	for range 2 {
		wg.Go(func() {
			for !done.Load() {
				for _, search := range []func([]Vec, int) []Result{x.Search, x.Scan} {
					got := search([]Vec{q}, 31)
					lookups.Add(1)
					extra := map[int64]int{}
					nbase := 0
					for _, r := range got {
						switch {
						case baseRefs[r.Ref]:
							nbase++
						case r.Ref >= 1_000_000 && r.Ref < 2_000_000:
							extra[(r.Ref-1_000_000)/1000]++
						default:
							t.Errorf("unexpected result %v", r)
							return
						}
					}
					if nbase != len(base) {
						t.Errorf("%d of the %d fixed matches", nbase, len(base))
						return
					}
					if len(extra) > 1 {
						t.Errorf("results from %d batches at once", len(extra))
						return
					}
					for k, n := range extra {
						if n != batchSize {
							t.Errorf("batch %d: %d of %d results", k, n, batchSize)
							return
						}
					}
				}
			}
		})
	}
	wg.Wait()
	if lookups.Load() == 0 {
		t.Fatal("no lookups ran")
	}
	t.Logf("%d lookups during writes", lookups.Load())
}
