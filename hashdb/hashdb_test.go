package hashdb

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/medialabel/medialabel"
)

func openTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func mustHash(t testing.TB, s string) medialabel.Hash {
	t.Helper()
	h, err := medialabel.ParseHash(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

var (
	pdqA  = "pdq:" + strings.Repeat("f8", 32)
	pdqB  = "pdq:" + strings.Repeat("0a", 32)
	phA   = "phash:" + strings.Repeat("9c", 8)
	md5A  = "md5:" + strings.Repeat("d4", 16)
	shaA  = "sha256:" + strings.Repeat("e3", 32)
	thumb = []byte("\xff\xd8\xff\xe0 not really a jpeg")
)

func sampleEntries(t *testing.T) []medialabel.Entry {
	return []medialabel.Entry{
		{
			Label: "hk2019.cockroach", Note: "first seen on a forum", Source: "https://example.org/a.jpg",
			Hashes:    []medialabel.Hash{mustHash(t, pdqA), mustHash(t, phA), mustHash(t, md5A)},
			Regions:   []medialabel.RegionHash{{Region: "centre80", Hash: mustHash(t, pdqB)}, {Region: "left75", Hash: mustHash(t, pdqA)}},
			Thumbnail: thumb,
		},
		{Label: "hk2019.rioters", Hashes: []medialabel.Hash{mustHash(t, shaA)}},
	}
}

// sameEntry compares what the store keeps of an entry.
func sameEntry(t *testing.T, got, want medialabel.Entry, withThumb bool) {
	t.Helper()
	if got.Key != want.Key || got.ID != want.ID || got.Bank != want.Bank || got.Label != want.Label ||
		got.Note != want.Note || got.Source != want.Source || !got.Created.Equal(want.Created) {
		t.Errorf("entry = %+v\nwant %+v", got, want)
	}
	if got.Created.Location() != time.UTC {
		t.Errorf("Created %v not in UTC", got.Created)
	}
	if fmt.Sprint(got.Hashes) != fmt.Sprint(want.Hashes) {
		t.Errorf("hashes = %v, want %v", got.Hashes, want.Hashes)
	}
	if fmt.Sprint(got.Regions) != fmt.Sprint(want.Regions) {
		t.Errorf("regions = %v, want %v", got.Regions, want.Regions)
	}
	if withThumb && !bytes.Equal(got.Thumbnail, want.Thumbnail) {
		t.Errorf("thumbnail = %q, want %q", got.Thumbnail, want.Thumbnail)
	}
	if !withThumb && got.Thumbnail != nil {
		t.Errorf("thumbnail returned where none was asked for")
	}
}

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	before := time.Now()
	added, err := db.AddEntries(ctx, "hk2019", sampleEntries(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(added) != 2 {
		t.Fatalf("added %d entries, want 2", len(added))
	}
	for i, e := range added {
		if len(e.ID) != 36 || e.Key <= 0 || e.Bank != "hk2019" || e.Created.Before(before.Add(-time.Second)) || e.Created.After(time.Now()) {
			t.Errorf("added[%d] = %+v: id, key, bank or created not filled in", i, e)
		}
	}
	if added[0].ID == added[1].ID || added[0].Key >= added[1].Key {
		t.Errorf("ids %s, %s and keys %d, %d: want distinct ids and increasing keys", added[0].ID, added[1].ID, added[0].Key, added[1].Key)
	}

	for _, want := range added {
		got, err := db.Entry(ctx, "hk2019", want.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameEntry(t, got, want, true)
		got, err = db.EntryByKey(ctx, want.Key)
		if err != nil {
			t.Fatal(err)
		}
		want.Thumbnail = nil
		sameEntry(t, got, want, false)
	}

	// A second bank, and entries listed per bank and overall.
	more, err := db.AddEntries(ctx, "tw2020", []medialabel.Entry{{Label: "tw", Hashes: []medialabel.Hash{mustHash(t, pdqB)}}})
	if err != nil {
		t.Fatal(err)
	}
	all := append(append([]medialabel.Entry{}, added...), more...)
	for _, tc := range []struct {
		bank string
		want []medialabel.Entry
	}{{"hk2019", added}, {"tw2020", more}, {"", all}} {
		var got []medialabel.Entry
		if err := db.ListEntries(ctx, medialabel.EntryFilter{Bank: tc.bank}, func(e medialabel.Entry) error { got = append(got, e); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(tc.want) {
			t.Fatalf("ListEntries(%q): %d entries, want %d", tc.bank, len(got), len(tc.want))
		}
		for i := range got {
			w := tc.want[i]
			w.Thumbnail = nil
			sameEntry(t, got[i], w, false)
		}
	}

	banks, err := db.Banks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(banks) != "[{hk2019 2} {tw2020 1}]" {
		t.Errorf("Banks = %v", banks)
	}

	// Scan: every hash, regions too, in key order.
	var scanned []string
	err = db.ScanHashes(ctx, func(r medialabel.HashRecord) error {
		scanned = append(scanned, fmt.Sprintf("%d %s %s", r.Key-added[0].Key, r.Region, r.Hash))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wantScan := []string{"0  " + pdqA, "0  " + phA, "0  " + md5A, "0 centre80 " + pdqB, "0 left75 " + pdqA, "1  " + shaA, "2  " + pdqB}
	if strings.Join(scanned, "\n") != strings.Join(wantScan, "\n") {
		t.Errorf("ScanHashes:\n%s\nwant\n%s", strings.Join(scanned, "\n"), strings.Join(wantScan, "\n"))
	}

	// Delete: the entry and its hashes go, the bank stays.
	if err := db.DeleteEntry(ctx, "hk2019", added[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Entry(ctx, "hk2019", added[0].ID); !errors.Is(err, medialabel.ErrNotFound) {
		t.Errorf("Entry after delete: err = %v, want ErrNotFound", err)
	}
	n := 0
	db.ScanHashes(ctx, func(medialabel.HashRecord) error { n++; return nil })
	if n != 2 {
		t.Errorf("%d hashes after delete, want 2", n)
	}
	if err := db.DeleteEntry(ctx, "tw2020", more[0].ID); err != nil {
		t.Fatal(err)
	}
	banks, _ = db.Banks(ctx)
	if fmt.Sprint(banks) != "[{hk2019 1} {tw2020 0}]" {
		t.Errorf("Banks after deleting tw2020's only entry = %v, want the bank kept with 0 entries", banks)
	}

	// Keys are never reused, even after the newest entry was deleted.
	again, err := db.AddEntries(ctx, "tw2020", []medialabel.Entry{{Label: "tw", Hashes: []medialabel.Hash{mustHash(t, pdqB)}}})
	if err != nil {
		t.Fatal(err)
	}
	if again[0].Key <= more[0].Key {
		t.Errorf("new key %d after deleting key %d: keys reused", again[0].Key, more[0].Key)
	}

	if err := db.DeleteBank(ctx, "hk2019"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.EntryByKey(ctx, added[1].Key); !errors.Is(err, medialabel.ErrNotFound) {
		t.Errorf("entry of a deleted bank: err = %v, want ErrNotFound", err)
	}
	if err := db.Check(ctx); err != nil {
		t.Error(err)
	}
}

func TestNotFound(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	added, err := db.AddEntries(ctx, "hk2019", sampleEntries(t))
	if err != nil {
		t.Fatal(err)
	}
	id := added[0].ID
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"Entry, unknown id", func() error { _, err := db.Entry(ctx, "hk2019", "0190b5e4-0000-7000-8000-000000000000"); return err }()},
		{"Entry, malformed id", func() error { _, err := db.Entry(ctx, "hk2019", "nope"); return err }()},
		{"Entry, other bank", func() error { _, err := db.Entry(ctx, "tw2020", id); return err }()},
		{"EntryByKey", func() error { _, err := db.EntryByKey(ctx, 999999); return err }()},
		{"DeleteEntry, unknown id", db.DeleteEntry(ctx, "hk2019", "0190b5e4-0000-7000-8000-000000000000")},
		{"DeleteEntry, other bank", db.DeleteEntry(ctx, "tw2020", id)},
		{"DeleteEntry, malformed id", db.DeleteEntry(ctx, "hk2019", "")},
		{"ListEntries, unknown bank", db.ListEntries(ctx, medialabel.EntryFilter{Bank: "tw2020"}, func(medialabel.Entry) error { return nil })},
		{"DeleteBank", db.DeleteBank(ctx, "tw2020")},
	} {
		if !errors.Is(tc.err, medialabel.ErrNotFound) {
			t.Errorf("%s: err = %v, want ErrNotFound", tc.name, tc.err)
		}
	}
	// The entry deleted from the wrong bank is still there.
	if _, err := db.Entry(ctx, "hk2019", id); err != nil {
		t.Errorf("entry gone after a delete from another bank: %v", err)
	}
}

func TestInvalid(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	good := medialabel.Entry{Label: "l", Hashes: []medialabel.Hash{mustHash(t, pdqA)}}
	for _, tc := range []struct {
		name  string
		bank  string
		entry medialabel.Entry
		want  string
	}{
		{"empty bank", "", good, "bank name: empty"},
		{"bad bank", "a/b", good, "bank name"},
		{"bank starting with a dot", ".x", good, "bank name"},
		{"long bank", strings.Repeat("b", 65), good, "longer than 64"},
		{"no label", "b", medialabel.Entry{Hashes: good.Hashes}, "label is empty"},
		{"no hashes", "b", medialabel.Entry{Label: "l"}, "no hashes"},
		{"short hash", "b", medialabel.Entry{Label: "l", Hashes: []medialabel.Hash{{Signal: medialabel.PDQ, Value: []byte{1, 2}}}}, "pdq hash of 2 bytes, want 32"},
		{"unknown signal", "b", medialabel.Entry{Label: "l", Hashes: []medialabel.Hash{{Signal: "tmk", Value: []byte{1}}}}, `unknown signal "tmk"`},
		{"unnamed region", "b", medialabel.Entry{Label: "l", Hashes: good.Hashes, Regions: []medialabel.RegionHash{{Hash: good.Hashes[0]}}}, "region name is empty"},
		{"bad utf-8", "b", medialabel.Entry{Label: "l\xff", Hashes: good.Hashes}, "not valid UTF-8"},
		{"huge note", "b", medialabel.Entry{Label: "l", Note: strings.Repeat("n", 5000), Hashes: good.Hashes}, "note longer than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The bad entry comes second: the good one before it must
			// not be stored either.
			_, err := db.AddEntries(ctx, tc.bank, []medialabel.Entry{good, tc.entry})
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrInvalid mentioning %q", err, tc.want)
			}
		})
	}
	banks, err := db.Banks(ctx)
	if err != nil || len(banks) != 0 {
		t.Errorf("Banks = %v, %v after failed adds: want none", banks, err)
	}
}

// TestImportRollsBack checks that an import that fails part-way, by an
// error from the sequence or a cancelled context, leaves nothing behind.
func TestImportRollsBack(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	if _, err := db.AddEntries(ctx, "keep", sampleEntries(t)); err != nil {
		t.Fatal(err)
	}
	bad := errors.New("line 5000: bad hash")
	n, err := db.Import(ctx, "keep", func(yield func(medialabel.Entry, error) bool) {
		for e := range pdqEntries(4999, "x") {
			if !yield(e, nil) {
				return
			}
		}
		yield(medialabel.Entry{}, bad)
	}, nil)
	if !errors.Is(err, bad) || n != 0 {
		t.Errorf("Import = %d, %v; want 0, %v", n, err, bad)
	}
	cctx, cancel := context.WithCancel(ctx)
	n, err = db.Import(cctx, "other", func(yield func(medialabel.Entry, error) bool) {
		i := 0
		for e := range pdqEntries(100000, "x") {
			if i++; i == 5000 {
				cancel()
			}
			if !yield(e, nil) {
				return
			}
		}
	}, nil)
	if !errors.Is(err, context.Canceled) || n != 0 {
		t.Errorf("cancelled Import = %d, %v; want 0, context.Canceled", n, err)
	}
	banks, _ := db.Banks(ctx)
	if fmt.Sprint(banks) != "[{keep 2}]" {
		t.Errorf("Banks = %v after failed imports, want [{keep 2}]", banks)
	}
	hashes := 0
	db.ScanHashes(ctx, func(medialabel.HashRecord) error { hashes++; return nil })
	if hashes != 6 {
		t.Errorf("%d hashes after failed imports, want 6", hashes)
	}
}

func TestCallbackErrorsStopWalks(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	if _, err := db.Import(ctx, "b", pdqEntries(1000, "x"), nil); err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	calls := 0
	if err := db.ScanHashes(ctx, func(medialabel.HashRecord) error { calls++; return stop }); err != stop || calls != 1 {
		t.Errorf("ScanHashes = %v after %d calls, want stop after 1", err, calls)
	}
	calls = 0
	if err := db.ListEntries(ctx, medialabel.EntryFilter{Bank: "b"}, func(medialabel.Entry) error { calls++; return stop }); err != stop || calls != 1 {
		t.Errorf("ListEntries = %v after %d calls, want stop after 1", err, calls)
	}
}

func TestConcurrent(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	const writers, perWriter = 4, 20
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	ids := make(chan string, writers*perWriter)
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				e := medialabel.Entry{Label: fmt.Sprintf("w%d.%d", w, i), Hashes: []medialabel.Hash{mustHash(t, pdqA)}}
				added, err := db.AddEntries(ctx, fmt.Sprintf("bank%d", w%2), []medialabel.Entry{e})
				if err != nil {
					errs <- err
					return
				}
				ids <- added[0].ID
			}
		})
	}
	for range 3 {
		wg.Go(func() {
			for range 20 {
				if _, err := db.Banks(ctx); err != nil {
					errs <- err
				}
				if err := db.ScanHashes(ctx, func(medialabel.HashRecord) error { return nil }); err != nil {
					errs <- err
				}
				if err := db.ListEntries(ctx, medialabel.EntryFilter{}, func(medialabel.Entry) error { return nil }); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	close(ids)
	for err := range errs {
		t.Error(err)
	}
	// Delete them all concurrently, from both banks.
	var all []string
	for id := range ids {
		all = append(all, id)
	}
	if len(all) != writers*perWriter {
		t.Fatalf("%d entries added, want %d", len(all), writers*perWriter)
	}
	errs = make(chan error, len(all))
	for _, id := range all {
		wg.Go(func() {
			e0 := db.DeleteEntry(ctx, "bank0", id)
			e1 := db.DeleteEntry(ctx, "bank1", id)
			if (e0 == nil) == (e1 == nil) {
				errs <- fmt.Errorf("delete %s: %v, %v: want exactly one success", id, e0, e1)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	banks, _ := db.Banks(ctx)
	if fmt.Sprint(banks) != "[{bank0 0} {bank1 0}]" {
		t.Errorf("Banks = %v", banks)
	}
}

// TestTwoProcessesShareAFile opens the same file twice, as a server and
// a CLI command would, and writes through both.
func TestTwoHandlesShareAFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "shared.db")
	a, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var wg sync.WaitGroup
	for _, db := range []*DB{a, b} {
		wg.Go(func() {
			for range 10 {
				if _, err := db.Import(ctx, "b", pdqEntries(200, "x"), nil); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	banks, _ := a.Banks(ctx)
	if fmt.Sprint(banks) != "[{b 4000}]" {
		t.Errorf("Banks = %v, want [{b 4000}]", banks)
	}
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	if _, err := Open(ctx, "postgres://u@localhost/medialabel"); err == nil || !strings.Contains(err.Error(), "PostgreSQL backend not available") {
		t.Errorf("postgres URL: err = %v", err)
	}
	// Odd characters in the path are part of the file name.
	dir := t.TempDir()
	path := filepath.Join(dir, "a?b#c%d.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if m, _ := filepath.Glob(filepath.Join(dir, "a?b#c%d.db")); len(m) != 1 {
		t.Errorf("store not created at %q: %v", path, m)
	}
	// Reopening an existing store works and keeps its contents.
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	// A SQLite file that is not a bank store is left alone.
	other := filepath.Join(dir, "other.db")
	raw, err := sql.Open("sqlite", other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec("CREATE TABLE t (x)"); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if _, err := Open(ctx, other); err == nil || !strings.Contains(err.Error(), "not a medialabel bank store") {
		t.Errorf("foreign SQLite file: err = %v", err)
	}
	// A directory, or a file in a missing directory, gives an error.
	if _, err := Open(ctx, filepath.Join(dir, "missing", "x.db")); err == nil {
		t.Errorf("store in a missing directory: no error")
	}
}

// TestListEntriesAfter pages through banks whose entries were added
// interleaved: a listing after an entry returns the entries added after it
// in the same selection, with their hashes and regions.
func TestListEntriesAfter(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	var a, b []medialabel.Entry
	for range 3 {
		ea, err := db.AddEntries(ctx, "a", sampleEntries(t))
		if err != nil {
			t.Fatal(err)
		}
		eb, err := db.AddEntries(ctx, "b", sampleEntries(t)[:1])
		if err != nil {
			t.Fatal(err)
		}
		a, b = append(a, ea...), append(b, eb...)
	}
	all := []medialabel.Entry{a[0], a[1], b[0], a[2], a[3], b[1], a[4], a[5], b[2]}
	list := func(f medialabel.EntryFilter) ([]medialabel.Entry, error) {
		var got []medialabel.Entry
		err := db.ListEntries(ctx, f, func(e medialabel.Entry) error { got = append(got, e); return nil })
		return got, err
	}
	for _, tc := range []struct {
		name   string
		filter medialabel.EntryFilter
		want   []medialabel.Entry
	}{
		{"bank a from the start", medialabel.EntryFilter{Bank: "a"}, a},
		{"bank a after its first", medialabel.EntryFilter{Bank: "a", After: a[0].ID}, a[1:]},
		{"bank a after an entry added before b's", medialabel.EntryFilter{Bank: "a", After: a[1].ID}, a[2:]},
		{"bank a after its last", medialabel.EntryFilter{Bank: "a", After: a[5].ID}, nil},
		{"bank b after its first", medialabel.EntryFilter{Bank: "b", After: b[0].ID}, b[1:]},
		{"every bank after b's first", medialabel.EntryFilter{After: b[0].ID}, all[3:]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := list(tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("%d entries, want %d", len(got), len(tc.want))
			}
			for i := range got {
				w := tc.want[i]
				w.Thumbnail = nil
				sameEntry(t, got[i], w, false)
			}
		})
	}
	for _, f := range []medialabel.EntryFilter{
		{Bank: "a", After: b[0].ID},                                // an entry of another bank
		{Bank: "a", After: "not-an-id"},                            // not an ID
		{Bank: "a", After: "00000000-0000-4000-8000-000000000000"}, // no such entry
		{Bank: "c", After: a[0].ID},                                // no such bank
	} {
		if _, err := list(f); !errors.Is(err, medialabel.ErrNotFound) {
			t.Errorf("ListEntries(%+v): err = %v, want ErrNotFound", f, err)
		}
	}
}
