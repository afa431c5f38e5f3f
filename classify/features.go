package classify

import (
	"cmp"
	"fmt"
	"math"
	"math/bits"
	"slices"
)

// Vector is a sparse feature vector: Index[k] has value Value[k]. Indices
// are distinct and ascending.
type Vector struct {
	Index []int32
	Value []float32
}

// Occurrence is one feature seen in a normalized text: the n-gram or
// lexicon term over runes [Start, End) of Text.Runes hashed to Index.
type Occurrence struct {
	Index      int32
	Start, End int
	Lexicon    bool // a lexicon hit rather than an n-gram
}

// FeatureConfig sets the shape of the features.
type FeatureConfig struct {
	Dim        int // number of hash buckets, a power of two
	MinN, MaxN int // character n-gram lengths
}

// DefaultFeatureConfig returns the configuration the shipped model uses.
func DefaultFeatureConfig() FeatureConfig { return FeatureConfig{Dim: 1 << 16, MinN: 1, MaxN: 3} }

// A Featurizer hashes normalized text into sparse vectors. It is built
// once and safe for concurrent use.
type Featurizer struct {
	cfg FeatureConfig
	lex matcher // lexicon terms, to = metaphor class
}

// NewFeaturizer builds a featurizer; lex (nil for none) adds one feature
// per lexicon hit (term) and one per metaphor class, in the same hash
// space. nz normalizes the lexicon terms so they match normalized text.
func NewFeaturizer(cfg FeatureConfig, lex *Lexicon, nz *Normalizer) (*Featurizer, error) {
	if cfg.Dim <= 0 || bits.OnesCount(uint(cfg.Dim)) != 1 || cfg.Dim > 1<<24 {
		return nil, fmt.Errorf("featurizer: dim %d is not a power of two up to 2^24", cfg.Dim)
	}
	if cfg.MinN < 1 || cfg.MaxN < cfg.MinN || cfg.MaxN > 8 {
		return nil, fmt.Errorf("featurizer: n-gram lengths %d..%d, want 1 <= min <= max <= 8", cfg.MinN, cfg.MaxN)
	}
	f := &Featurizer{cfg: cfg}
	if lex != nil {
		if nz == nil {
			return nil, fmt.Errorf("featurizer: a lexicon needs a normalizer")
		}
		seen := map[string]bool{}
		for _, t := range lex.Terms {
			k := nz.Normalize(t.Term).String()
			if k == "" || seen[k] {
				continue
			}
			seen[k] = true
			f.lex.add([]rune(k), []rune(t.Metaphor))
		}
		f.lex.sort()
	}
	return f, nil
}

// Config returns the featurizer's configuration.
func (f *Featurizer) Config() FeatureConfig { return f.cfg }

// FNV-1a, 32 bits, over the runes as little-endian 32-bit words.
const (
	fnvOffset = 2166136261
	fnvPrime  = 16777619
)

func hashRunes(seed uint32, rs []rune) uint32 {
	h := uint32(fnvOffset) ^ seed
	for _, r := range rs {
		u := uint32(r)
		for range 4 {
			h ^= u & 0xff
			h *= fnvPrime
			u >>= 8
		}
	}
	// Final avalanche (murmur3 fmix32) so that the low bits used as the
	// bucket depend on every input bit.
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

// Seeds that keep the kinds of features apart in the hash space.
const (
	seedNgram    = 0
	seedLexTerm  = 0x9e3779b9
	seedLexClass = 0x7f4a7c15
)

// Occurrences lists every feature occurrence of t in text order: all
// n-grams of the configured lengths (n-grams that are a single space are
// skipped), then the lexicon hits (each hit gives two occurrences, its
// term and its metaphor class, over the same runes).
func (f *Featurizer) Occurrences(t Text) []Occurrence {
	rs := t.Runes
	mask := uint32(f.cfg.Dim - 1)
	var occ []Occurrence
	if n := len(rs); n > 0 {
		occ = make([]Occurrence, 0, n*(f.cfg.MaxN-f.cfg.MinN+1))
	}
	for i := range rs {
		for n := f.cfg.MinN; n <= f.cfg.MaxN && i+n <= len(rs); n++ {
			if n == 1 && rs[i] == ' ' {
				continue
			}
			occ = append(occ, Occurrence{Index: int32(hashRunes(seedNgram, rs[i:i+n]) & mask), Start: i, End: i + n})
		}
	}
	if f.lex.byFirst != nil {
		items := make([]item, len(rs))
		for i, r := range rs {
			items[i].r = r
		}
		for i := 0; i < len(items); {
			e, n := f.lex.longest(items, i)
			if n == 0 {
				i++
				continue
			}
			occ = append(occ,
				Occurrence{Index: int32(hashRunes(seedLexTerm, e.key) & mask), Start: i, End: i + n, Lexicon: true},
				Occurrence{Index: int32(hashRunes(seedLexClass, e.to) & mask), Start: i, End: i + n, Lexicon: true})
			i += n
		}
	}
	return occ
}

// Vector sums the n-gram occurrences of t per bucket and scales the counts
// to unit Euclidean length, so that long and short captions weigh alike;
// each lexicon hit then adds LexiconValue to its buckets, unscaled, so that
// a dehumanizing term weighs as much in a long text as in a short one.
func (f *Featurizer) Vector(t Text) Vector {
	return VectorOf(f.Occurrences(t))
}

// LexiconValue is what one lexicon occurrence adds to its bucket.
const LexiconValue = 0.5

// VectorOf builds the vector of a list of occurrences, as Vector does.
func VectorOf(occ []Occurrence) Vector {
	if len(occ) == 0 {
		return Vector{}
	}
	type entry struct {
		idx int32
		lex bool
	}
	es := make([]entry, len(occ))
	for i, o := range occ {
		es[i] = entry{o.Index, o.Lexicon}
	}
	slices.SortFunc(es, func(a, b entry) int { return cmp.Compare(a.idx, b.idx) })
	var v Vector
	var lexValue []float32
	var ss float64
	for i := 0; i < len(es); {
		j := i
		var n, lex float32
		for j < len(es) && es[j].idx == es[i].idx {
			if es[j].lex {
				lex += LexiconValue
			} else {
				n++
			}
			j++
		}
		v.Index = append(v.Index, es[i].idx)
		v.Value = append(v.Value, n)
		lexValue = append(lexValue, lex)
		ss += float64(n) * float64(n)
		i = j
	}
	inv := float32(0)
	if ss > 0 {
		inv = float32(1 / math.Sqrt(ss))
	}
	for i := range v.Value {
		v.Value[i] = v.Value[i]*inv + lexValue[i]
	}
	return v
}
