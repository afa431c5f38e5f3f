package matcher

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/medialabel/medialabel"
	"github.com/medialabel/medialabel/matcher/matchertest"
)

func randomHash(rng *rand.Rand, sig medialabel.Signal) medialabel.Hash {
	v := make([]byte, sig.Bits()/8)
	for i := range v {
		v[i] = byte(rng.Uint32())
	}
	return medialabel.Hash{Signal: sig, Value: v}
}

// flipped returns h with k distinct bits flipped.
func flipped(rng *rand.Rand, h medialabel.Hash, k int) medialabel.Hash {
	v := slices.Clone(h.Value)
	for _, b := range rng.Perm(len(v) * 8)[:k] {
		v[b/8] ^= 1 << (b % 8)
	}
	return medialabel.Hash{Signal: h.Signal, Value: v}
}

func newMatcher(t *testing.T, store medialabel.BankStore) *Matcher {
	t.Helper()
	m, err := New(context.Background(), store, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMatch(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 1))
	store := &matchertest.Store{}
	pdqA, pdqB := randomHash(rng, medialabel.PDQ), randomHash(rng, medialabel.PDQ)
	phashA := randomHash(rng, medialabel.PHash)
	md5A := randomHash(rng, medialabel.MD5)
	crop := randomHash(rng, medialabel.PDQ)
	// Two entries loaded at start, one added later.
	if _, err := store.AddEntries(ctx, "hk2019", []medialabel.Entry{
		{Label: "hk2019.cockroach", Hashes: []medialabel.Hash{pdqA, phashA, md5A},
			Regions: []medialabel.RegionHash{{Region: "centre80", Hash: crop}}},
		{Label: "hk2019.other", Hashes: []medialabel.Hash{pdqB}},
	}); err != nil {
		t.Fatal(err)
	}
	m := newMatcher(t, store)
	pdqC := randomHash(rng, medialabel.PDQ)
	added, err := m.AddEntries(ctx, "tw", []medialabel.Entry{{Label: "tw.x", Hashes: []medialabel.Hash{pdqC}}})
	if err != nil {
		t.Fatal(err)
	}
	rotated := flipped(rng, pdqC, 3)

	tests := []struct {
		name string
		q    Query
		want []medialabel.Match
	}{
		{name: "exact pdq, phash and md5 of one entry",
			q: Query{Hashes: []medialabel.Hash{pdqA, flipped(rng, phashA, 4), md5A}},
			want: []medialabel.Match{
				{Bank: "hk2019", Entry: "e1", Label: "hk2019.cockroach", Signal: "pdq", Distance: 0},
				{Bank: "hk2019", Entry: "e1", Label: "hk2019.cockroach", Signal: "md5", Distance: 0},
				{Bank: "hk2019", Entry: "e1", Label: "hk2019.cockroach", Signal: "phash", Distance: 4},
			}},
		{name: "near pdq within the default",
			q:    Query{Hashes: []medialabel.Hash{flipped(rng, pdqB, 31)}},
			want: []medialabel.Match{{Bank: "hk2019", Entry: "e2", Label: "hk2019.other", Signal: "pdq", Distance: 31}}},
		{name: "beyond the default",
			q: Query{Hashes: []medialabel.Hash{flipped(rng, pdqB, 32), flipped(rng, phashA, 11), flipped(rng, md5A, 1)}}},
		{name: "threshold override",
			q:    Query{Hashes: []medialabel.Hash{flipped(rng, pdqB, 40)}, Thresholds: map[medialabel.Signal]int{"pdq": 40}},
			want: []medialabel.Match{{Bank: "hk2019", Entry: "e2", Label: "hk2019.other", Signal: "pdq", Distance: 40}}},
		{name: "added entry through a rotation",
			q: Query{Hashes: []medialabel.Hash{randomHash(rng, medialabel.PDQ)},
				Dihedral: map[medialabel.Transform]medialabel.Hash{medialabel.Rotate90: rotated, medialabel.FlipX: pdqC}},
			want: []medialabel.Match{{Bank: "tw", Entry: added[0].ID, Label: "tw.x", Signal: "pdq", Distance: 0, Transform: "flipx"}}},
		{name: "bank filter",
			q:    Query{Hashes: []medialabel.Hash{pdqA, pdqC}, Banks: []string{"tw"}},
			want: []medialabel.Match{{Bank: "tw", Entry: added[0].ID, Label: "tw.x", Signal: "pdq", Distance: 0}}},
		{name: "entry region",
			q:    Query{Hashes: []medialabel.Hash{flipped(rng, crop, 2)}},
			want: []medialabel.Match{{Bank: "hk2019", Entry: "e1", Label: "hk2019.cockroach", Signal: "pdq", Distance: 2, Region: "entry:centre80"}}},
		{name: "whole picture wins over a region at equal distance, nearest wins",
			q: Query{Hashes: []medialabel.Hash{flipped(rng, pdqA, 5)},
				Regions: []Region{{Name: "split-left", Hashes: []medialabel.Hash{pdqA}},
					{Name: "caption-cut", Hashes: []medialabel.Hash{flipped(rng, crop, 1)}}}},
			want: []medialabel.Match{{Bank: "hk2019", Entry: "e1", Label: "hk2019.cockroach", Signal: "pdq", Distance: 0, Region: "split-left"}}},
		{name: "query region meets entry region",
			q:    Query{Regions: []Region{{Name: "caption-cut", Hashes: []medialabel.Hash{flipped(rng, crop, 1)}}}},
			want: []medialabel.Match{{Bank: "hk2019", Entry: "e1", Label: "hk2019.cockroach", Signal: "pdq", Distance: 1, Region: "caption-cut+entry:centre80"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, exhaustive := range []bool{false, true} {
				q := tt.q
				q.Exhaustive = exhaustive
				got, err := m.Match(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("exhaustive=%v:\ngot  %+v\nwant %+v", exhaustive, got, tt.want)
				}
			}
		})
	}
}

func TestMatchRejectsBadQueries(t *testing.T) {
	m := newMatcher(t, &matchertest.Store{})
	pdq := medialabel.Hash{Signal: medialabel.PDQ, Value: make([]byte, 32)}
	tests := []struct {
		name string
		q    Query
	}{
		{"short value", Query{Hashes: []medialabel.Hash{{Signal: medialabel.PDQ, Value: make([]byte, 8)}}}},
		{"unknown signal", Query{Hashes: []medialabel.Hash{{Signal: "xhash", Value: make([]byte, 8)}}}},
		{"threshold too large", Query{Hashes: []medialabel.Hash{pdq}, Thresholds: map[medialabel.Signal]int{"phash": 65}}},
		{"negative threshold", Query{Hashes: []medialabel.Hash{pdq}, Thresholds: map[medialabel.Signal]int{"pdq": -1}}},
		{"variant of another signal", Query{Hashes: []medialabel.Hash{pdq},
			Dihedral: map[medialabel.Transform]medialabel.Hash{medialabel.FlipX: {Signal: medialabel.PHash, Value: make([]byte, 8)}}}},
		{"unknown transform", Query{Hashes: []medialabel.Hash{pdq}, Dihedral: map[medialabel.Transform]medialabel.Hash{"skew": pdq}}},
		{"unnamed region", Query{Regions: []Region{{Hashes: []medialabel.Hash{pdq}}}}},
	}
	for _, tt := range tests {
		if _, err := m.Match(context.Background(), tt.q); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}

// TestWritesKeepStoreAndIndexInStep checks that deletions and additions
// reach the indexes, and that a failing store leaves them untouched.
func TestWritesKeepStoreAndIndexInStep(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(2, 2))
	store := &matchertest.Store{}
	m := newMatcher(t, store)
	h := randomHash(rng, medialabel.PDQ)
	region := randomHash(rng, medialabel.PDQ)
	q := Query{Hashes: []medialabel.Hash{h, region}}
	added, err := m.AddEntries(ctx, "b", []medialabel.Entry{{Label: "l", Hashes: []medialabel.Hash{h},
		Regions: []medialabel.RegionHash{{Region: "left75", Hash: region}}}})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := m.Match(ctx, q); len(got) != 1 {
		t.Fatalf("after add: %v", got)
	}

	store.Fail = errors.New("disk full")
	if _, err := m.AddEntries(ctx, "b", []medialabel.Entry{{Label: "l2", Hashes: []medialabel.Hash{flipped(rng, h, 1)}}}); err == nil {
		t.Fatal("AddEntries with a failing store: no error")
	}
	if err := m.DeleteEntry(ctx, "b", added[0].ID); err == nil {
		t.Fatal("DeleteEntry with a failing store: no error")
	}
	if got, _ := m.Match(ctx, q); len(got) != 1 || got[0].Distance != 0 {
		t.Fatalf("after failed writes: %v, want the one entry", got)
	}
	if n := m.Len()[medialabel.PDQ]; n != 2 {
		t.Fatalf("after failed writes: %d pdq hashes indexed, want 2", n)
	}

	store.Fail = nil
	if err := m.DeleteEntry(ctx, "b", added[0].ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := m.Match(ctx, q); len(got) != 0 {
		t.Fatalf("after delete: %v", got)
	}
	if n := m.Len()[medialabel.PDQ]; n != 0 {
		t.Fatalf("after delete: %d pdq hashes indexed", n)
	}
	if err := m.DeleteEntry(ctx, "b", added[0].ID); !errors.Is(err, medialabel.ErrNotFound) {
		t.Fatalf("deleting again: %v, want ErrNotFound", err)
	}
	if _, err := m.AddEntries(ctx, "b", []medialabel.Entry{{Label: "bad", Hashes: []medialabel.Hash{{Signal: "pdq", Value: []byte{1}}}}}); err == nil {
		t.Fatal("AddEntries with a malformed hash: no error")
	}
	if banks, _ := store.Banks(ctx); len(banks) != 0 {
		t.Fatalf("a rejected entry reached the store: %v", banks)
	}
}

// TestIndexEqualsExhaustive fills a store with random entries of every
// signal (with planted near copies) and checks that indexed and
// exhaustive matching agree at several thresholds.
func TestIndexEqualsExhaustive(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 3))
	store := &matchertest.Store{}
	sigs := []medialabel.Signal{medialabel.PDQ, medialabel.PHash, medialabel.DHash, medialabel.AHash, medialabel.MD5, medialabel.SHA256}
	var base []medialabel.Hash
	var entries []medialabel.Entry
	for i := range 600 {
		var hs []medialabel.Hash
		for _, sig := range sigs {
			h := randomHash(rng, sig)
			if i > 0 && rng.IntN(3) == 0 {
				prev := base[rng.IntN(len(base))]
				if prev.Signal == sig {
					h = flipped(rng, prev, rng.IntN(sig.Bits()/8))
				}
			}
			hs = append(hs, h)
			base = append(base, h)
		}
		entries = append(entries, medialabel.Entry{Label: fmt.Sprint(i), Hashes: hs})
	}
	if _, err := store.AddEntries(ctx, "b", entries); err != nil {
		t.Fatal(err)
	}
	m := newMatcher(t, store)
	for range 30 {
		var hs []medialabel.Hash
		for _, sig := range sigs {
			h := base[rng.IntN(len(base))]
			for h.Signal != sig {
				h = base[rng.IntN(len(base))]
			}
			hs = append(hs, flipped(rng, h, rng.IntN(sig.Bits()/6)))
		}
		for _, th := range []int{0, 5, 12, 20, 31, 45} {
			q := Query{Hashes: hs, Thresholds: map[medialabel.Signal]int{"pdq": th, "phash": min(th, 64), "dhash": th / 2, "ahash": th / 3}}
			got, err := m.Match(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			q.Exhaustive = true
			want, err := m.Match(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("threshold %d: indexed %v, exhaustive %v", th, got, want)
			}
		}
	}
}

// TestConcurrentMatchAndWrites runs lookups during adds and deletes
// (under -race, this checks the locking).
func TestConcurrentMatchAndWrites(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(4, 4))
	store := &matchertest.Store{}
	fixed := randomHash(rng, medialabel.PDQ)
	if _, err := store.AddEntries(ctx, "fixed", []medialabel.Entry{{Label: "f", Hashes: []medialabel.Hash{fixed}}}); err != nil {
		t.Fatal(err)
	}
	m := newMatcher(t, store)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		defer close(stop)
		for i := range 50 {
			e, err := m.AddEntries(ctx, "moving", []medialabel.Entry{{Label: "m",
				Hashes:  []medialabel.Hash{flipped(rng, fixed, 1+i%20)},
				Regions: []medialabel.RegionHash{{Region: fmt.Sprint("r", i%3), Hash: flipped(rng, fixed, 2)}}}})
			if err != nil {
				t.Error(err)
				return
			}
			if err := m.DeleteEntry(ctx, "moving", e[0].ID); err != nil {
				t.Error(err)
				return
			}
		}
	})
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			got, err := m.Match(ctx, Query{Hashes: []medialabel.Hash{fixed}})
			if err != nil {
				t.Error(err)
				return
			}
			if len(got) == 0 || got[0].Bank != "fixed" || len(got) > 2 {
				t.Errorf("matches %v: want the fixed entry and at most one moving one", got)
				return
			}
		}
	})
	wg.Wait()
}
