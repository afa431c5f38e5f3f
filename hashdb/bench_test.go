package hashdb

import (
	"context"
	"encoding/binary"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/medialabel/medialabel"
)

// pdqEntries yields n entries of one PDQ hash each, all distinct, reusing
// one value buffer as a parser would.
func pdqEntries(n int, label string) func(yield func(medialabel.Entry, error) bool) {
	return func(yield func(medialabel.Entry, error) bool) {
		v := make([]byte, 32)
		hs := []medialabel.Hash{{Signal: medialabel.PDQ, Value: v}}
		for i := range n {
			binary.BigEndian.PutUint64(v, uint64(i)*0x9e3779b97f4a7c15)
			binary.BigEndian.PutUint64(v[24:], uint64(i))
			if !yield(medialabel.Entry{Label: label, Hashes: hs}, nil) {
				return
			}
		}
	}
}

// BenchmarkImport measures adding b.N single-hash PDQ entries in one
// transaction (ns/op is per entry), in multi-row INSERTs and, as the
// baseline, one row a statement.
func BenchmarkImport(b *testing.B) {
	for _, bc := range []struct {
		name  string
		batch int
	}{{"row-a-statement", 1}, {"batched", defaultBatch}} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			db, err := Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			db.batch = bc.batch
			b.ResetTimer()
			cpu := cpuTime()
			n, err := db.Import(ctx, "bench", pdqEntries(b.N, "bench"), nil)
			if err != nil || n != b.N {
				b.Fatalf("Import = %d, %v", n, err)
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkScanHashes measures the start-up scan over a store of 200000
// PDQ hashes (ns/op is per hash), against the same scan through
// database/sql as a baseline, and ScanHashesParts on every core.
func BenchmarkScanHashes(b *testing.B) {
	ctx := context.Background()
	const size = 200000
	db, err := Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Import(ctx, "bench", pdqEntries(size, "bench"), nil); err != nil {
		b.Fatal(err)
	}
	// ScanHashesParts on every core, with fn serialised as ScanHashes
	// calls it.
	parts := func(ctx context.Context, fn func(medialabel.HashRecord) error) error {
		var mu sync.Mutex
		return db.ScanHashesParts(ctx, runtime.GOMAXPROCS(0), func(_ int, rec medialabel.HashRecord) error {
			mu.Lock()
			defer mu.Unlock()
			return fn(rec)
		})
	}
	for _, bc := range []struct {
		name string
		scan func(context.Context, func(medialabel.HashRecord) error) error
	}{
		{"database-sql", db.scanHashesSQL},
		{"direct", db.ScanHashes},
		{"parts", parts},
		{"database-sql", db.scanHashesSQL},
		{"direct", db.ScanHashes},
		{"parts", parts},
	} {
		b.Run(bc.name, func(b *testing.B) {
			cpu := cpuTime()
			rows := 0
			for rows < b.N {
				var sum byte
				err := bc.scan(ctx, func(rec medialabel.HashRecord) error {
					sum ^= rec.Hash.Value[0]
					rows++
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
				_ = sum
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(cpuTime()-cpu)/float64(rows), "cpu-ns/row")
		})
	}
}
