package matcher

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/medialabel/medialabel"
	"github.com/medialabel/medialabel/hashdb"
)

// TestStartup measures start-up from a real store: opening it, loading
// every hash into the indexes and answering a first query. It runs only
// with MEDIALABEL_MATCHER_STARTUP=N (make bench-index): it fills a SQLite
// store with N entries of one random PDQ hash each (in
// MEDIALABEL_MATCHER_STARTUP_DB if set, kept and reused, else in a
// temporary folder), then times the start-up.
func TestStartup(t *testing.T) {
	env := os.Getenv("MEDIALABEL_MATCHER_STARTUP")
	if env == "" {
		t.Skip("set MEDIALABEL_MATCHER_STARTUP=10000000 to run (make bench-index)")
	}
	n, err := strconv.Atoi(env)
	if err != nil || n < 1 {
		t.Fatalf("MEDIALABEL_MATCHER_STARTUP=%q: want a number of entries", env)
	}
	ctx := context.Background()
	path := os.Getenv("MEDIALABEL_MATCHER_STARTUP_DB")
	if path == "" {
		path = filepath.Join(t.TempDir(), "startup.db")
	}
	first := make([]byte, 32)
	if _, err := os.Stat(path); err != nil {
		db, err := hashdb.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		got, err := db.Import(ctx, "bench", randomPDQEntries(n, first), nil)
		if err != nil || got != n {
			t.Fatalf("import: %d, %v", got, err)
		}
		t.Logf("filled the store with %d entries in %v", n, time.Since(start).Round(time.Millisecond))
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	} else {
		randomPDQEntries(1, first)(func(medialabel.Entry, error) bool { return false })
	}

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	cpu0 := cpuTime(t)
	start := time.Now()
	db, err := hashdb.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	opened := time.Since(start)
	m, err := New(ctx, db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	loaded := time.Since(start)
	ms, err := m.Match(ctx, Query{Hashes: []medialabel.Hash{{Signal: medialabel.PDQ, Value: first}}})
	if err != nil {
		t.Fatal(err)
	}
	answered := time.Since(start)
	cpu := cpuTime(t) - cpu0
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if len(ms) == 0 || ms[0].Distance != 0 {
		t.Fatalf("first entry not found: %v", ms)
	}
	t.Logf("%d PDQ hashes: store opened in %v, indexes loaded at %v, first answer at %v (CPU time %v on %d cores: the wall time is longer on a busy machine); indexes %.0f MB counted, HeapInuse +%.0f MB",
		m.Len()[medialabel.PDQ], opened.Round(time.Millisecond), loaded.Round(time.Millisecond), answered.Round(time.Millisecond),
		cpu.Round(time.Millisecond), runtime.GOMAXPROCS(0),
		float64(m.MemoryBytes())/1e6, float64(int64(after.HeapInuse)-int64(before.HeapInuse))/1e6)
}

// randomPDQEntries yields n entries of one random PDQ hash each; the
// first hash is also copied into first.
func randomPDQEntries(n int, first []byte) func(yield func(medialabel.Entry, error) bool) {
	return func(yield func(medialabel.Entry, error) bool) {
		rng := rand.New(rand.NewPCG(1, 2))
		v := make([]byte, 32)
		hs := []medialabel.Hash{{Signal: medialabel.PDQ, Value: v}}
		for i := range n {
			for j := range v {
				v[j] = byte(rng.Uint32())
			}
			if i == 0 {
				copy(first, v)
			}
			if !yield(medialabel.Entry{Label: "bench", Hashes: hs}, nil) {
				return
			}
		}
	}
}
