package index

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// synthetic is a bank of random PDQ-sized vectors with planted near
// copies, and queries near the planted originals.
type synthetic struct {
	x       *Index
	build   time.Duration // building the tables, after the vectors were added
	heap    int64         // HeapInuse growth over the build, with the bank's items freed
	queries []Vec
}

// newSynthetic builds an index of n vectors: n - 32*originals random ones
// and, for each of originals random ones among them, 31 copies at
// distances 1..31. The queries are the originals with 0..15 bits flipped.
func newSynthetic(tb testing.TB, n, originals int) *synthetic {
	tb.Helper()
	rng := rand.New(rand.NewPCG(uint64(n), 42))
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	b, err := NewBuilder(Options{Bits: 256})
	if err != nil {
		tb.Fatal(err)
	}
	random := n - 32*originals
	picked := make([]Vec, 0, originals)
	for i := range random {
		v := randomVec(rng, 256)
		b.Add(Item{Ref: int64(i), Vec: v})
		if len(picked) < originals && rng.IntN(random) < originals {
			picked = append(picked, v)
		}
	}
	for len(picked) < originals {
		v := randomVec(rng, 256)
		b.Add(Item{Ref: int64(b.Len()), Vec: v})
		picked = append(picked, v)
	}
	for _, v := range picked {
		for d := 1; d <= 31; d++ {
			b.Add(Item{Ref: int64(b.Len()), Vec: flip(rng, v, 256, d)})
		}
	}
	filled := time.Since(start)
	x := b.Index()
	build := time.Since(start) - filled
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	qs := make([]Vec, len(picked))
	for i, v := range picked {
		qs[i] = flip(rng, v, 256, rng.IntN(16))
	}
	return &synthetic{x: x, build: build, heap: int64(after.HeapInuse) - int64(before.HeapInuse), queries: qs}
}

func benchSearch(b *testing.B, n int, exhaustive bool, threshold int) {
	b.ReportAllocs()
	syn := newSynthetic(b, n, 1000)
	s := syn.x.Snapshot()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		q := syn.queries[i%len(syn.queries) : i%len(syn.queries)+1]
		if exhaustive {
			s.Scan(q, threshold)
		} else {
			s.Search(q, threshold)
		}
		i++
	}
}

func BenchmarkSearch100k(b *testing.B) { benchSearch(b, 100_000, false, 31) }
func BenchmarkScan100k(b *testing.B)   { benchSearch(b, 100_000, true, 31) }
func BenchmarkSearch1M(b *testing.B)   { benchSearch(b, 1_000_000, false, 31) }
func BenchmarkScan1M(b *testing.B)     { benchSearch(b, 1_000_000, true, 31) }

// BenchmarkPlan measures the probing and the scan on both sides of the
// switch-over the cost model in plan picks, so that its constants can
// be checked: at each threshold the cheaper of the two should be the one
// plan chooses.
func BenchmarkPlan(b *testing.B) {
	for _, n := range []int{10_000, 1_000_000} {
		syn := newSynthetic(b, n, 100)
		s := syn.x.Snapshot()
		for _, th := range []int{15, 31, 47, 63} {
			for _, way := range []string{"mih", "scan"} {
				p := s.plan(th, false)
				b.Run(fmt.Sprintf("n=%d/t=%d/%s/chosen=%v", n, th, way, p.probeBase == (way == "mih")), func(b *testing.B) {
					i := 0
					for b.Loop() {
						q := syn.queries[i%len(syn.queries) : i%len(syn.queries)+1]
						if way == "mih" {
							s.mih(q, th)
						} else {
							s.Scan(q, th)
						}
						i++
					}
				})
			}
		}
	}
}

// BenchmarkSearchDihedral is a lookup with the eight dihedral variants of
// a query, as the matcher makes for images.
func BenchmarkSearchDihedral1M(b *testing.B) {
	syn := newSynthetic(b, 1_000_000, 1000)
	rng := rand.New(rand.NewPCG(1, 2))
	qs := make([]Vec, 8)
	for i := range qs {
		qs[i] = randomVec(rng, 256)
	}
	i := 0
	for b.Loop() {
		qs[0] = syn.queries[i%len(syn.queries)]
		syn.x.Search(qs, 31)
		i++
	}
}

// BenchmarkSearchDuringWrites measures lookups while another goroutine
// adds and removes batches of 100 vectors, against lookups with no
// writes in the same run.
func BenchmarkSearchDuringWrites(b *testing.B) {
	syn := newSynthetic(b, 1_000_000, 1000)
	for _, writes := range []bool{false, true} {
		b.Run(fmt.Sprintf("writes=%v", writes), func(b *testing.B) {
			var stop atomic.Bool
			done := make(chan int)
			if writes {
				go func() {
					rng := rand.New(rand.NewPCG(5, 5))
					n := 0
					for !stop.Load() {
						batch := make([]Item, 100)
						for j := range batch {
							batch[j] = Item{Ref: -1, Vec: randomVec(rng, 256)}
						}
						syn.x.Add(batch...)
						syn.x.Remove(batch...)
						n++
					}
					done <- n
				}()
			}
			i := 0
			for b.Loop() {
				syn.x.Search(syn.queries[i%len(syn.queries):i%len(syn.queries)+1], 31)
				i++
			}
			stop.Store(true)
			if writes {
				b.ReportMetric(float64(<-done), "write-batches")
			}
		})
	}
}

// TestScale is the large benchmark behind `make bench-index`: for each size
// in MEDIALABEL_INDEX_SCALE (comma-separated, e.g. 1000000,10000000) it
// builds an index of random PDQ vectors with planted near copies, checks
// that the index answers exactly as the scan for every query (all of them
// up to 1M vectors, the first 200 beyond), and reports per-query latency
// of both (p50, p99, measured in the same run), the speed-up, build time
// and memory. Latency is measured twice: with each way's queries back to
// back, and with each index query right after a scan, which has evicted
// the tables from the cache.
func TestScale(t *testing.T) {
	env := os.Getenv("MEDIALABEL_INDEX_SCALE")
	if env == "" {
		t.Skip("set MEDIALABEL_INDEX_SCALE=1000000,10000000 to run (make bench-index)")
	}
	for _, f := range strings.Split(env, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 100_000 {
			t.Fatalf("MEDIALABEL_INDEX_SCALE: %q is not a size of 100000 or more", f)
		}
		syn := newSynthetic(t, n, 1000)
		s := syn.x.Snapshot()
		t.Logf("n=%d: tables built in %v (on %d cores, from vectors in memory), index memory %.0f MB counted, HeapInuse +%.0f MB",
			n, syn.build.Round(time.Millisecond), runtime.GOMAXPROCS(0), float64(s.MemoryBytes())/1e6, float64(syn.heap)/1e6)
		verify := len(syn.queries)
		if n > 1_000_000 {
			verify = 200
		}
		// The answers, and each index query timed right after a scan,
		// which has evicted the index from the cache (cold).
		var tCold []time.Duration
		for i, q := range syn.queries[:verify] {
			qs := []Vec{q}
			want := s.Scan(qs, 31)
			start := time.Now()
			got := s.Search(qs, 31)
			tCold = append(tCold, time.Since(start))
			if !slices.Equal(got, want) {
				t.Fatalf("n=%d query %d: index gave %d results, scan %d", n, i, len(got), len(want))
			}
			if len(got) < 16 {
				t.Fatalf("n=%d query %d: %d results, want at least the 16 planted copies within 31", n, i, len(got))
			}
		}
		// Each way timed on its own, queries back to back, as a stream
		// of lookups meets them (warm).
		var tIndex, tScan []time.Duration
		for _, q := range syn.queries {
			start := time.Now()
			s.Search([]Vec{q}, 31)
			tIndex = append(tIndex, time.Since(start))
		}
		for _, q := range syn.queries[:verify] {
			start := time.Now()
			s.Scan([]Vec{q}, 31)
			tScan = append(tScan, time.Since(start))
		}
		pi, ps, pc := percentiles(tIndex), percentiles(tScan), percentiles(tCold)
		t.Logf("n=%d: %d queries at threshold 31, all answers identical to the scan (%d checked)", n, len(syn.queries), verify)
		t.Logf("n=%d: index p50 %v p99 %v; scan p50 %v p99 %v; speed-up at p50 %.0fx",
			n, pi[0], pi[1], ps[0], ps[1], float64(ps[0])/float64(pi[0]))
		t.Logf("n=%d: index right after a scan (cold cache) p50 %v p99 %v; speed-up at p50 %.0fx",
			n, pc[0], pc[1], float64(ps[0])/float64(pc[0]))
	}
}

func percentiles(ds []time.Duration) [2]time.Duration {
	ds = slices.Clone(ds)
	slices.Sort(ds)
	return [2]time.Duration{ds[len(ds)/2], ds[len(ds)*99/100]}
}

// BenchmarkAddRemove1M is one Add and one Remove of a single vector in an
// index of a million, and, as the baseline, one Search.
func BenchmarkAddRemove1M(b *testing.B) {
	syn := newSynthetic(b, 1_000_000, 1000)
	rng := rand.New(rand.NewPCG(8, 8))
	b.Run("search", func(b *testing.B) {
		i := 0
		for b.Loop() {
			syn.x.Search(syn.queries[i%len(syn.queries):i%len(syn.queries)+1], 31)
			i++
		}
	})
	b.Run("add+remove", func(b *testing.B) {
		for b.Loop() {
			it := Item{Ref: -1, Vec: randomVec(rng, 256)}
			syn.x.Add(it)
			syn.x.Remove(it)
		}
	})
	b.Run("add+removeRefs", func(b *testing.B) {
		for b.Loop() {
			syn.x.Add(Item{Ref: -2, Vec: randomVec(rng, 256)})
			syn.x.RemoveRefs(-2)
		}
	})
}
