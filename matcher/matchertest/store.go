// Package matchertest provides an in-memory medialabel.BankStore for
// tests of code that matches against banks.
package matchertest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/medialabel/medialabel"
)

// Store is an in-memory BankStore. Its zero value is empty and ready to
// use; it is safe for concurrent use. Fail, when set, makes every write
// fail with that error (to test that callers leave their state alone).
type Store struct {
	mu      sync.Mutex
	entries []medialabel.Entry // by key order
	nextKey int64
	Fail    error
}

var _ medialabel.BankStore = (*Store)(nil)

// Banks implements medialabel.BankStore.
func (s *Store) Banks(ctx context.Context) ([]medialabel.Bank, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	counts := map[string]int{}
	for _, e := range s.entries {
		counts[e.Bank]++
	}
	var out []medialabel.Bank
	for name, n := range counts {
		out = append(out, medialabel.Bank{Name: name, Entries: n})
	}
	slices.SortFunc(out, func(a, b medialabel.Bank) int { return cmpString(a.Name, b.Name) })
	return out, nil
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// AddEntries implements medialabel.BankStore.
func (s *Store) AddEntries(ctx context.Context, bank string, entries []medialabel.Entry) ([]medialabel.Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Fail != nil {
		return nil, s.Fail
	}
	if bank == "" {
		return nil, errors.New("empty bank name")
	}
	out := make([]medialabel.Entry, len(entries))
	for i, e := range entries {
		s.nextKey++
		e.Key = s.nextKey
		e.ID = fmt.Sprintf("e%d", e.Key)
		e.Bank = bank
		e.Created = time.Unix(1700000000+e.Key, 0).UTC()
		e.Hashes = cloneHashes(e.Hashes)
		e.Regions = slices.Clone(e.Regions)
		out[i] = e
	}
	s.entries = append(s.entries, out...)
	return slices.Clone(out), nil
}

func cloneHashes(hs []medialabel.Hash) []medialabel.Hash {
	out := make([]medialabel.Hash, len(hs))
	for i, h := range hs {
		out[i] = medialabel.Hash{Signal: h.Signal, Value: slices.Clone(h.Value)}
	}
	return out
}

func (s *Store) find(match func(e *medialabel.Entry) bool) (medialabel.Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.entries {
		if match(&s.entries[i]) {
			return s.entries[i], nil
		}
	}
	return medialabel.Entry{}, medialabel.ErrNotFound
}

// Entry implements medialabel.BankStore.
func (s *Store) Entry(ctx context.Context, bank, id string) (medialabel.Entry, error) {
	e, err := s.find(func(e *medialabel.Entry) bool { return e.Bank == bank && e.ID == id })
	if err != nil {
		return e, fmt.Errorf("entry %s/%s: %w", bank, id, err)
	}
	return e, nil
}

// EntryByKey implements medialabel.BankStore.
func (s *Store) EntryByKey(ctx context.Context, key int64) (medialabel.Entry, error) {
	e, err := s.find(func(e *medialabel.Entry) bool { return e.Key == key })
	if err != nil {
		return e, fmt.Errorf("entry key %d: %w", key, err)
	}
	return e, nil
}

// ListEntries implements medialabel.BankStore.
func (s *Store) ListEntries(ctx context.Context, f medialabel.EntryFilter, fn func(medialabel.Entry) error) error {
	s.mu.Lock()
	var entries []medialabel.Entry
	for _, e := range s.entries {
		if f.Bank == "" || e.Bank == f.Bank {
			entries = append(entries, e)
		}
	}
	s.mu.Unlock()
	if f.After != "" {
		i := slices.IndexFunc(entries, func(e medialabel.Entry) bool { return e.ID == f.After })
		if i < 0 {
			return fmt.Errorf("entry %q in bank %q: %w", f.After, f.Bank, medialabel.ErrNotFound)
		}
		entries = entries[i+1:]
	}
	for _, e := range entries {
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

// ScanHashes implements medialabel.BankStore. Like a real store, it
// reuses the value buffer between calls.
func (s *Store) ScanHashes(ctx context.Context, fn func(rec medialabel.HashRecord) error) error {
	s.mu.Lock()
	entries := slices.Clone(s.entries)
	s.mu.Unlock()
	buf := make([]byte, 64)
	call := func(key int64, region string, h medialabel.Hash) error {
		v := buf[:len(h.Value)]
		copy(v, h.Value)
		return fn(medialabel.HashRecord{Key: key, Region: region, Hash: medialabel.Hash{Signal: h.Signal, Value: v}})
	}
	for _, e := range entries {
		for _, h := range e.Hashes {
			if err := call(e.Key, "", h); err != nil {
				return err
			}
		}
		for _, r := range e.Regions {
			if err := call(e.Key, r.Region, r.Hash); err != nil {
				return err
			}
		}
	}
	return nil
}

// DeleteEntry implements medialabel.BankStore.
func (s *Store) DeleteEntry(ctx context.Context, bank, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Fail != nil {
		return s.Fail
	}
	for i, e := range s.entries {
		if e.Bank == bank && e.ID == id {
			s.entries = slices.Delete(s.entries, i, i+1)
			return nil
		}
	}
	return fmt.Errorf("entry %s/%s: %w", bank, id, medialabel.ErrNotFound)
}

// Close implements medialabel.BankStore.
func (s *Store) Close() error { return nil }
