package memeeval

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"image"
	"image/png"
	"runtime"
	"time"

	"github.com/medialabel/medialabel"
	"github.com/medialabel/medialabel/matcher"
	"github.com/medialabel/medialabel/matcher/matchertest"
	"github.com/medialabel/medialabel/meme"
	"github.com/medialabel/medialabel/memeedit"
	"golang.org/x/sync/errgroup"
)

// A Step is one stage of improvement. Each includes the ones before it.
type Step int

// The steps, in the order they are switched on. Each is a part of what
// package meme puts into a query or a bank entry, told apart by the
// region names it gives them.
const (
	Plain        Step = iota // the whole query against the whole bank picture
	Dihedral                 // and PDQ's rotations and mirrors of the query, and its mirror
	QueryRegions             // and regions of the query (regions.Find) with their mirrors
	BankCrops                // and crops of the bank picture (regions.Crops)
	BankRegions              // and regions.Find of the bank picture too
	QueryCrops               // and crops of the query (regions.Crops and corner cuts), against a sticker or a logo
	nSteps
)

var stepNames = [nSteps]string{"plain", "dihedral+mirror", "query regions", "bank crops", "bank regions", "query crops"}

// String names the step.
func (s Step) String() string { return stepNames[s] }

// Scores: the two perceptual signals of the product's default set, then
// their combination, whose distance between a query and an entry is the
// smaller of the least PDQ distance and the least pHash distance scaled
// by 31/8 (scalePHash), or 0 when their MD5 sums are equal. At 31 the
// combination is what matcher.Match does at its default thresholds (PDQ
// within 31, pHash within 8, MD5 equal).
const (
	scorePDQ   = 0
	scorePHash = 1
	combined   = 2
	nScores    = 3
)

// scoreNames names the scores in report order.
var scoreNames = [nScores]string{"pdq", "phash", "pdq|phash"}

// A Config sets up an evaluation.
type Config struct {
	Seed      uint64 // seeds memeedit.Generate
	PerFamily int    // edits of each family
	// Families limits the edits to these families; nil means all.
	Families []string
	// Edits, when set, replaces the generated edits (Seed, PerFamily and
	// Families are then unused).
	Edits   []memeedit.Edit
	Workers int // 0 means runtime.NumCPU()
}

// A Query is one edited picture with its distance to every bank entry.
type Query struct {
	Original string // the picture it was made from
	Edit     string // the edit, with its parameters
	Family   string
	// Entry is the index of the query's picture in the bank, or -1 for a
	// distractor.
	Entry int
	// Dist[e][step][score] is the least distance between the query and
	// bank entry e at that step, from the hashes package meme made.
	Dist [][nSteps][nScores]uint16
	// Matched[e] says whether matcher.Match, at its default thresholds,
	// returned bank entry e for the query.
	Matched []bool
	// Regions is how many regions regions.Find gave (the query regions
	// other than the mirror and the crops).
	Regions int
	// False describes the matches matcher.Match returned with entries
	// the query was not made from.
	False []string
}

// A Result is the outcome of Run.
type Result struct {
	Config  Config
	Bank    []string // entry names, in index order
	Queries []Query
	// Costs, summed over all queries or entries: the product's query
	// (meme.Hasher.Query with regions) and the same without regions;
	// the product's bank entry (meme.Hasher.Entry) with and without.
	QueryTime, WholeQueryTime time.Duration
	EntryTime, WholeEntryTime time.Duration
	// EntryHashes and EntryBytes count the hashes (and their bytes) the
	// bank stores, over all entries; WholeBytes counts those of the
	// whole pictures alone.
	EntryHashes, EntryBytes, WholeBytes int
}

// Hashers as the product sets them up: `medialabel match` and the server
// make queries with rotations, mirrors and regions; `medialabel db add`
// makes entries with regions.
func newQueryHasher(regions bool) (*meme.Hasher, error) {
	return meme.New(meme.Options{Dihedral: true, Regions: regions})
}

func newEntryHasher(regions bool) (*meme.Hasher, error) {
	return meme.New(meme.Options{Regions: regions})
}

// bankName is the bank the evaluation's entries go to.
const bankName = "memes"

// Run edits every original of bank and distractors with every edit of
// the configured set and matches the results against the bank, through
// the product's own path: each picture is encoded as a PNG file, bank
// pictures become entries by meme.Hasher.Entry in a matcher.Matcher,
// and edited pictures become queries by meme.Hasher.Query, looked up by
// matcher.Match at its default thresholds. The distances per step are
// computed from the same hashes.
func Run(ctx context.Context, cfg Config, bank, distractors []Original) (*Result, error) {
	if len(bank) == 0 || len(distractors) == 0 {
		return nil, fmt.Errorf("evaluation needs bank and distractor pictures (have %d and %d)", len(bank), len(distractors))
	}
	workers := cfg.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	res := &Result{Config: cfg}

	m, entries, err := res.buildBank(ctx, bank)
	if err != nil {
		return nil, err
	}
	byLabel := make(map[string]int, len(bank))
	for i, o := range bank {
		byLabel[o.Name] = i
	}

	edits := cfg.Edits
	if edits == nil {
		edits = selectEdits(memeedit.Generate(cfg.Seed, cfg.PerFamily), cfg.Families)
	}
	type job struct {
		orig    Original
		entry   int
		partner image.Image
		edit    memeedit.Edit
	}
	var jobs []job
	all := append(append([]Original(nil), bank...), distractors...)
	for i, o := range all {
		entry := -1
		if i < len(bank) {
			entry = i
		}
		for k, e := range edits {
			// Partners are distractors, never the picture itself.
			p := distractors[(i+k)%len(distractors)]
			if p.Name == o.Name {
				p = distractors[(i+k+1)%len(distractors)]
			}
			jobs = append(jobs, job{o, entry, p.Image, e})
		}
	}

	res.Queries = make([]Query, len(jobs))
	type cost struct{ query, whole time.Duration }
	costs := make([]cost, len(jobs))
	g, gctx := errgroup.WithContext(ctx)
	next := make(chan int)
	g.Go(func() error {
		defer close(next)
		for i := range jobs {
			select {
			case next <- i:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	for range workers {
		g.Go(func() error {
			h, err := newQueryHasher(true)
			if err != nil {
				return err
			}
			hw, err := newQueryHasher(false)
			if err != nil {
				return err
			}
			for i := range next {
				j := jobs[i]
				edited, err := j.edit.Apply(j.orig.Image, j.partner)
				if err != nil {
					return fmt.Errorf("%s: %w", j.orig.Name, err)
				}
				data, err := encodePNG(edited)
				if err != nil {
					return fmt.Errorf("%s %s: %w", j.orig.Name, j.edit.Name, err)
				}
				t0 := time.Now()
				mq, err := h.Query(gctx, data)
				if err != nil {
					return fmt.Errorf("%s %s: %w", j.orig.Name, j.edit.Name, err)
				}
				t1 := time.Now()
				if _, err := hw.Query(gctx, data); err != nil {
					return fmt.Errorf("%s %s: %w", j.orig.Name, j.edit.Name, err)
				}
				costs[i] = cost{t1.Sub(t0), time.Since(t1)}
				ms, err := m.Match(gctx, mq.Query)
				if err != nil {
					return fmt.Errorf("%s %s: %w", j.orig.Name, j.edit.Name, err)
				}
				q := Query{Original: j.orig.Name, Edit: j.edit.String(), Family: j.edit.Family, Entry: j.entry}
				q.Matched = make([]bool, len(entries))
				for _, mt := range ms {
					e, ok := byLabel[mt.Label]
					if !ok {
						return fmt.Errorf("%s %s: match with unknown entry %q", j.orig.Name, j.edit.Name, mt.Label)
					}
					q.Matched[e] = true
					if e != j.entry {
						q.False = append(q.False, fmt.Sprintf("%s: %s %d through %s", mt.Label, mt.Signal, mt.Distance, cmp.Or(mt.Region, "the whole picture")))
					}
				}
				f := queryFeatures(mq.Query)
				q.Regions = f.found
				q.Dist = make([][nSteps][nScores]uint16, len(entries))
				for e := range entries {
					q.Dist[e] = match(&f, &entries[e])
				}
				res.Queries[i] = q
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for _, c := range costs {
		res.QueryTime += c.query
		res.WholeQueryTime += c.whole
	}
	return res, nil
}

// buildBank makes an entry of each bank picture, as `medialabel db add`
// does, adds them to a matcher over an in-memory store, and returns the
// matcher and the entries' features, in bank order.
func (res *Result) buildBank(ctx context.Context, bank []Original) (*matcher.Matcher, []features, error) {
	h, err := newEntryHasher(true)
	if err != nil {
		return nil, nil, err
	}
	hw, err := newEntryHasher(false)
	if err != nil {
		return nil, nil, err
	}
	entries := make([]features, len(bank))
	var es []medialabel.Entry
	for i, o := range bank {
		res.Bank = append(res.Bank, o.Name)
		data, err := encodePNG(o.Image)
		if err != nil {
			return nil, nil, fmt.Errorf("bank picture %s: %w", o.Name, err)
		}
		t0 := time.Now()
		e, _, err := h.Entry(ctx, data)
		if err != nil {
			return nil, nil, fmt.Errorf("bank picture %s: %w", o.Name, err)
		}
		t1 := time.Now()
		if _, _, err := hw.Entry(ctx, data); err != nil {
			return nil, nil, fmt.Errorf("bank picture %s: %w", o.Name, err)
		}
		res.EntryTime += t1.Sub(t0)
		res.WholeEntryTime += time.Since(t1)
		e.Label = o.Name
		es = append(es, e)
		entries[i] = entryFeatures(e)
		for _, x := range e.Hashes {
			res.WholeBytes += len(x.Value)
			res.EntryBytes += len(x.Value)
			res.EntryHashes++
		}
		for _, r := range e.Regions {
			res.EntryBytes += len(r.Hash.Value)
			res.EntryHashes++
		}
	}
	m, err := matcher.New(ctx, new(matchertest.Store), matcher.Options{})
	if err != nil {
		return nil, nil, err
	}
	if _, err := m.AddEntries(ctx, bankName, es); err != nil {
		return nil, nil, fmt.Errorf("adding the bank: %w", err)
	}
	return m, entries, nil
}

// encodePNG is img as a PNG file: lossless, so that a query holds the
// edit and nothing more.
func encodePNG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("encoding PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// scalePHash maps a pHash distance onto PDQ's scale: 8 (pHash's default
// threshold) becomes 31 (PDQ's), 9 becomes 34.
func scalePHash(d int) int { return d * 31 / 8 }

func selectEdits(edits []memeedit.Edit, families []string) []memeedit.Edit {
	if families == nil {
		return edits
	}
	var out []memeedit.Edit
	for _, e := range edits {
		for _, f := range families {
			if e.Family == f {
				out = append(out, e)
				break
			}
		}
	}
	return out
}
