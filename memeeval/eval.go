package memeeval

import (
	"context"
	"fmt"
	"image"
	"runtime"
	"time"

	"github.com/medialabel/medialabel/memeedit"
	"github.com/medialabel/medialabel/regions"
	"golang.org/x/sync/errgroup"
)

// A Step is one stage of improvement. Each includes the ones before it.
type Step int

// The steps, in the order they are switched on.
const (
	Plain        Step = iota // the whole query against the whole bank picture
	Dihedral                 // and PDQ's rotations and mirrors of the query, and its mirror
	QueryRegions             // and regions of the query (regions.Find)
	BankCrops                // and crops of the bank picture (regions.Crops)
	BankRegions              // and regions.Find of the bank picture too
	QueryCrops               // and crops of the query (regions.Crops), against a sticker in a corner
	nSteps
)

var stepNames = [nSteps]string{"plain", "dihedral+mirror", "query regions", "bank crops", "bank regions", "query crops"}

// String names the step.
func (s Step) String() string { return stepNames[s] }

// Scores: the four signals, then the combination of PDQ and pHash, whose
// distance between two regions is the smaller of the PDQ distance and the
// pHash distance scaled by 31/8 (scalePHash), so that at PDQ's threshold
// of 31 either PDQ within 31 or pHash within 8 finds the match; crops of
// the query count by PDQ alone.
const (
	combined = nSignals // index of the combined score
	nScores  = nSignals + 1
)

// ScoreNames names the scores in report order.
var scoreNames = [nScores]string{"pdq", "phash", "dhash", "ahash", "pdq|phash"}

// A Config sets up an evaluation.
type Config struct {
	Seed      uint64 // seeds memeedit.Generate
	PerFamily int    // edits of each family
	// Families limits the edits to these families; nil means all.
	Families []string
	// Edits, when set, replaces the generated edits (Seed, PerFamily and
	// Families are then unused).
	Edits []memeedit.Edit
	// Cuts are the shares of a side the bank crops cut off, one set of
	// regions.Crops for each.
	Cuts []float64
	// QueryCut is the share of a side the query crops cut off.
	QueryCut float64
	Workers  int // 0 means runtime.NumCPU()
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
	// bank entry e at that step.
	Dist [][nSteps][nScores]uint16
	// Regions is how many regions regions.Find gave.
	Regions int
}

// A Result is the outcome of Run.
type Result struct {
	Config  Config
	Bank    []string // entry names, in index order
	Queries []Query
	// Costs, summed over all queries or entries.
	FindTime, QueryHashTime, RegionHashTime time.Duration
	// MirrorHashTime is spent hashing the mirrors of queries and regions.
	MirrorHashTime             time.Duration
	BankHashTime, CropHashTime time.Duration
	BankRegions                int // crops stored, over all entries
}

// Run edits every original of bank and distractors with every edit of
// the configured set and matches the results against the bank.
func Run(ctx context.Context, cfg Config, bank, distractors []Original) (*Result, error) {
	if len(bank) == 0 || len(distractors) == 0 {
		return nil, fmt.Errorf("evaluation needs bank and distractor pictures (have %d and %d)", len(bank), len(distractors))
	}
	workers := cfg.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	res := &Result{Config: cfg}

	// The bank: each picture and its crops.
	entries := make([]features, len(bank))
	h := newHasher()
	for i, o := range bank {
		res.Bank = append(res.Bank, o.Name)
		img := shrink(o.Image, 0)
		var crops []regions.Region
		for _, c := range cfg.Cuts {
			crops = append(crops, regions.Crops(img.Bounds(), c)...)
		}
		found := regions.Find(img)
		f, whole, parts, err := h.features(img, append(crops, found...))
		if err != nil {
			return nil, fmt.Errorf("bank picture %s: %w", o.Name, err)
		}
		res.BankHashTime += whole
		res.CropHashTime += parts
		res.BankRegions += len(crops) + len(found)
		kinds := make([]Step, len(f.sigs))
		for k := range kinds {
			switch {
			case k == 0:
				kinds[k] = Plain
			case k <= len(crops):
				kinds[k] = BankCrops
			default:
				kinds[k] = BankRegions
			}
		}
		f.from = kinds
		entries[i] = f
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
	type cost struct{ find, whole, regions, mirror time.Duration }
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
			h := newHasher()
			for i := range next {
				j := jobs[i]
				edited, err := j.edit.Apply(j.orig.Image, j.partner)
				if err != nil {
					return fmt.Errorf("%s: %w", j.orig.Name, err)
				}
				img := shrink(edited, 0)
				t0 := time.Now()
				rs := regions.Find(img)
				t1 := time.Now()
				nFound := len(rs)
				rs = append(rs, regions.Crops(img.Bounds(), cfg.QueryCut)...)
				f, whole, parts, err := h.features(img, rs)
				if err != nil {
					return fmt.Errorf("%s %s: %w", j.orig.Name, j.edit.Name, err)
				}
				mirror, err := h.addMirrors(&f, img, rs)
				if err != nil {
					return fmt.Errorf("%s %s: %w", j.orig.Name, j.edit.Name, err)
				}
				costs[i] = cost{t1.Sub(t0), whole, parts, mirror}
				f.from = make([]Step, len(f.sigs))
				for k := range f.from {
					switch {
					case k == 0:
						f.from[k] = Plain
					case k <= nFound:
						f.from[k] = QueryRegions
					default:
						f.from[k] = QueryCrops
					}
				}
				q := Query{Original: j.orig.Name, Edit: j.edit.String(), Family: j.edit.Family, Entry: j.entry, Regions: nFound}
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
		res.FindTime += c.find
		res.QueryHashTime += c.whole
		res.RegionHashTime += c.regions
		res.MirrorHashTime += c.mirror
	}
	return res, nil
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

// match returns the least distance of every score at every step between
// query q and entry e. The first features of each are the whole picture;
// regions of PDQ quality under MinQuality are left out.
func match(q, e *features) [nSteps][nScores]uint16 {
	var d [nSteps][nScores]uint16
	for s := range nSteps {
		for c := range nScores {
			d[s][c] = 1 << 15
		}
	}
	for qi := range q.sigs {
		if qi > 0 && q.sigs[qi].quality < MinQuality {
			continue // a flat region (a sky, a bar) would match any other
		}
		for ei := range e.sigs {
			if ei > 0 && e.sigs[ei].quality < MinQuality {
				continue
			}
			// The least step at which this pair of hashes is compared.
			from := max(e.from[ei], q.from[qi])
			qs, es := &q.sigs[qi], &e.sigs[ei]
			var plain, dih [nScores]int
			for c := range nSignals {
				plain[c] = distance(c, qs, es, false)
				dih[c] = plain[c]
				if q.mirror != nil {
					dih[c] = min(dih[c], distance(c, &q.mirror[qi], es, false))
				}
			}
			dih[0] = min(dih[0], distance(0, qs, es, true))
			plain[combined] = min(plain[0], scalePHash(plain[1]))
			dih[combined] = min(dih[0], scalePHash(dih[1]))
			if from == QueryCrops {
				// Crops of the query are matched by PDQ alone: their
				// pHash came within 8 bits of other pictures.
				dih[combined] = dih[0]
			}
			for s := from; s < nSteps; s++ {
				v := dih
				if s == Plain {
					v = plain
				}
				for c := range nScores {
					d[s][c] = min(d[s][c], uint16(v[c]))
				}
			}
		}
	}
	return d
}
