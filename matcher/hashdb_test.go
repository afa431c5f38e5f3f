package matcher

import (
	"context"
	"math/rand/v2"
	"path/filepath"
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
