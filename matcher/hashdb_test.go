package matcher

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/medialabel/medialabel"
	"github.com/medialabel/medialabel/hashdb"
)

// TestWithHashDB runs the matcher on the SQLite store: entries added
// through it match, survive a restart (loaded back by ScanHashes, regions
// included) and go away when deleted.
func TestWithHashDB(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "banks.db")
	rng := rand.New(rand.NewPCG(6, 6))
	pdq, phash, crop := randomHash(rng, medialabel.PDQ), randomHash(rng, medialabel.PHash), randomHash(rng, medialabel.PDQ)
	other := randomHash(rng, medialabel.PDQ)

	db, err := hashdb.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	m := newMatcher(t, db)
	added, err := m.AddEntries(ctx, "hk2019", []medialabel.Entry{
		{Label: "hk2019.cockroach", Hashes: []medialabel.Hash{pdq, phash}, Regions: []medialabel.RegionHash{{Region: "centre80", Hash: crop}}},
		{Label: "hk2019.other", Hashes: []medialabel.Hash{other}},
	})
	if err != nil {
		t.Fatal(err)
	}
	q := Query{Hashes: []medialabel.Hash{flipped(rng, pdq, 3), phash, flipped(rng, crop, 1), other}}
	want := []medialabel.Match{
		{Bank: "hk2019", Entry: added[1].ID, Label: "hk2019.other", Signal: "pdq", Distance: 0},
		{Bank: "hk2019", Entry: added[0].ID, Label: "hk2019.cockroach", Signal: "phash", Distance: 0},
		{Bank: "hk2019", Entry: added[0].ID, Label: "hk2019.cockroach", Signal: "pdq", Distance: 1, Region: "entry:centre80"},
	}
	// Entry ids are random: put want in the documented order.
	slices.SortFunc(want, func(a, b medialabel.Match) int {
		if a.Distance != b.Distance {
			return a.Distance - b.Distance
		}
		return strings.Compare(a.Entry, b.Entry)
	})
	got, err := m.Match(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("before restart:\ngot  %+v\nwant %+v", got, want)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = hashdb.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m = newMatcher(t, db)
	if got, err = m.Match(ctx, q); err != nil || !slices.Equal(got, want) {
		t.Fatalf("after restart: %+v, %v\nwant %+v", got, err, want)
	}
	if err := m.DeleteEntry(ctx, "hk2019", added[0].ID); err != nil {
		t.Fatal(err)
	}
	want = slices.DeleteFunc(want, func(m medialabel.Match) bool { return m.Entry == added[0].ID })
	if got, err = m.Match(ctx, q); err != nil || !slices.Equal(got, want) {
		t.Fatalf("after delete: %+v, %v\nwant %+v", got, err, want)
	}
}

// oneScan hides ScanHashesParts, so that New reads the store in one part.
type oneScan struct{ medialabel.BankStore }

// TestParallelLoad loads a store with several signals and regions in
// parts (on four cores) and in one, and checks that both matchers hold
// the same hashes and answer alike, regions included.
func TestParallelLoad(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(8, 8))
	db, err := hashdb.Open(ctx, filepath.Join(t.TempDir(), "banks.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var entries []medialabel.Entry
	var queries []Query
	for i := range 400 {
		e := medialabel.Entry{Label: fmt.Sprint("label", i%7), Hashes: []medialabel.Hash{randomHash(rng, medialabel.PDQ)}}
		if i%3 == 0 {
			e.Hashes = append(e.Hashes, randomHash(rng, medialabel.PHash), randomHash(rng, medialabel.MD5))
		}
		if i%5 == 0 {
			e.Regions = []medialabel.RegionHash{{Region: fmt.Sprint("region", i%4), Hash: randomHash(rng, medialabel.PDQ)}}
			queries = append(queries, Query{Hashes: []medialabel.Hash{flipped(rng, e.Regions[0].Hash, 4)}})
		}
		entries = append(entries, e)
		q := Query{}
		for _, h := range e.Hashes {
			q.Hashes = append(q.Hashes, flipped(rng, h, min(3, h.Signal.Bits()/64)))
		}
		queries = append(queries, q)
	}
	if _, err := db.AddEntries(ctx, "bank", entries); err != nil {
		t.Fatal(err)
	}
	parts, one := newMatcher(t, db), newMatcher(t, oneScan{db})
	if got, want := parts.Len(), one.Len(); fmt.Sprint(got) != fmt.Sprint(want) || want[medialabel.PDQ] != 480 {
		t.Fatalf("Len: %v in parts, %v in one (want 480 PDQ hashes)", got, want)
	}
	matched := 0
	for i, q := range queries {
		got, err := parts.Match(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		want, err := one.Match(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("query %d: loaded in parts %+v, in one %+v", i, got, want)
		}
		matched += len(got)
	}
	if matched < len(queries) {
		t.Fatalf("%d matches for %d queries near stored hashes", matched, len(queries))
	}
}
