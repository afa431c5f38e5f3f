package hashdb

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/medialabel/medialabel"
)

// scanLines returns the hashes a scan yields, one line each.
func scanLines(t *testing.T, db *DB, parts int) []string {
	t.Helper()
	got := make([][]string, max(parts, 1))
	var mu sync.Mutex
	err := db.ScanHashesParts(context.Background(), parts, func(part int, r medialabel.HashRecord) error {
		mu.Lock()
		defer mu.Unlock()
		got[part] = append(got[part], fmt.Sprintf("%d %s %s", r.Key, r.Region, r.Hash))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return slices.Concat(got...)
}

// TestScanHashesParts checks that the parts together are the whole scan,
// in key order when put one after the other, for any number of parts
// (more than there are entries too), regions included.
func TestScanHashesParts(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	if lines := scanLines(t, db, 3); len(lines) != 0 {
		t.Fatalf("empty store: %v", lines)
	}
	if _, err := db.AddEntries(ctx, "hk2019", sampleEntries(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Import(ctx, "bulk", pdqEntries(500, "x"), nil); err != nil {
		t.Fatal(err)
	}
	var want []string
	err := db.ScanHashes(ctx, func(r medialabel.HashRecord) error {
		want = append(want, fmt.Sprintf("%d %s %s", r.Key, r.Region, r.Hash))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != 506 {
		t.Fatalf("ScanHashes: %d hashes, want 506", len(want))
	}
	for _, parts := range []int{1, 2, 3, 4} {
		if got := scanLines(t, db, parts); !slices.Equal(got, want) {
			t.Errorf("%d parts: %d hashes, want %d; first lines %v, want %v", parts, len(got), len(want), got[:min(3, len(got))], want[:3])
		}
	}
	stop := errors.New("stop")
	var calls atomic.Int64
	if err := db.ScanHashesParts(ctx, 2, func(int, medialabel.HashRecord) error { calls.Add(1); return stop }); err != stop || calls.Load() > 2 {
		t.Errorf("ScanHashesParts = %v after %d calls, want stop after at most 2", err, calls.Load())
	}
	// The connections went back to the pool: the store still works.
	if got := scanLines(t, db, 2); len(got) != len(want) {
		t.Errorf("after a stopped scan: %d hashes, want %d", len(got), len(want))
	}
}

// TestScanHashesPartsDuringWrite checks that a scan in parts does not wait
// for a writer of another process: it reads everything in one part.
func TestScanHashesPartsDuringWrite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "test.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Import(ctx, "b", pdqEntries(300, "x"), nil); err != nil {
		t.Fatal(err)
	}
	other, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := other.w.BeginTx(ctx, nil) // BEGIN IMMEDIATE: holds the write lock
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	start := time.Now()
	var n, elsewhere atomic.Int64
	err = db.ScanHashesParts(ctx, 2, func(part int, _ medialabel.HashRecord) error {
		n.Add(1)
		if part != 0 {
			elsewhere.Add(1)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n.Load() != 300 || elsewhere.Load() != 0 {
		t.Errorf("%d hashes, %d of them outside part 0; want 300, all in part 0", n.Load(), elsewhere.Load())
	}
	if d := time.Since(start); d > busyTimeout*time.Millisecond/2 {
		t.Errorf("scan took %v: waited for the writer", d)
	}
	// The writer's busy timeout is back: a write waits for the other
	// writer instead of failing at once.
	entry := []medialabel.Entry{{Label: "y", Hashes: []medialabel.Hash{mustHash(t, pdqA)}}}
	done := make(chan error, 1)
	go func() {
		_, err := db.AddEntries(ctx, "b", entry)
		done <- err
	}()
	time.Sleep(200 * time.Millisecond)
	tx.Rollback()
	if err := <-done; err != nil {
		t.Errorf("write after the scan, waiting for the other writer: %v", err)
	}
}

// TestScanHashesPartsOneSnapshot scans in parts while another goroutine
// deletes an old entry, then adds a new one, over and over. The old
// entries are in the first part and the new ones in the last, so parts
// that read different states could show a new entry added after an old
// one that they still show: every scan must show exactly k deleted and k
// or k-1 added for some k.
func TestScanHashesPartsOneSnapshot(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	const olds = 100
	if _, err := db.Import(ctx, "old", pdqEntries(olds, "old"), nil); err != nil {
		t.Fatal(err)
	}
	var ids []string
	if err := db.ListEntries(ctx, medialabel.EntryFilter{Bank: "old"}, func(e medialabel.Entry) error { ids = append(ids, e.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	newEntry := []medialabel.Entry{{Label: "new", Hashes: []medialabel.Hash{mustHash(t, pdqB)}}}
	var done atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		defer done.Store(true)
		for _, id := range ids {
			if err := db.DeleteEntry(ctx, "old", id); err != nil {
				t.Error(err)
				return
			}
			if _, err := db.AddEntries(ctx, "new", newEntry); err != nil {
				t.Error(err)
				return
			}
		}
	})
	scans := 0
	for !done.Load() || scans == 0 {
		var old, added atomic.Int64
		err := db.ScanHashesParts(ctx, 3, func(_ int, r medialabel.HashRecord) error {
			if strings.Contains(r.Hash.String(), strings.Repeat("0a", 32)) {
				added.Add(1)
			} else {
				old.Add(1)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if deleted := olds - old.Load(); added.Load() != deleted && added.Load() != deleted-1 {
			t.Fatalf("scan %d: %d old entries deleted and %d new ones added: not a state the store was in", scans, deleted, added.Load())
		}
		scans++
	}
	wg.Wait()
	t.Logf("%d scans during the writes", scans)
}
