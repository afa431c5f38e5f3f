package classify

import (
	"cmp"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"
	"unicode"
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
	Lexicon    bool // a lexicon hit (or a conjunction of one) rather than an n-gram
	Neg        bool // an n-gram counted -1 in its bucket (signed hashing)
}

// FeatureConfig sets the shape of the features.
type FeatureConfig struct {
	Dim        int // number of hash buckets, a power of two
	MinN, MaxN int // character n-gram lengths
	// Signed counts each n-gram +1 or -1 in its bucket, the sign taken
	// from a hash bit the bucket does not use, so that colliding n-grams
	// tend to cancel rather than add up.
	Signed bool
}

// DefaultFeatureConfig returns the configuration the shipped model uses.
func DefaultFeatureConfig() FeatureConfig {
	return FeatureConfig{Dim: 1 << 16, MinN: 1, MaxN: 3, Signed: true}
}

// A Featurizer hashes normalized text into sparse vectors. It is built
// once and safe for concurrent use.
type Featurizer struct {
	cfg        FeatureConfig
	predicates bool    // add is× and isnot× conjunctions
	lex        matcher // lexicon terms, to = metaphor class
	targets    matcher // person and group words, to = their kind
}

// A FeaturizerOption changes how NewFeaturizer builds a featurizer.
type FeaturizerOption func(*featurizerOptions)

type featurizerOptions struct {
	targets    *Targets
	predicates bool
}

// WithPredicates adds, to the conjunction features of WithTargets, one
// for a lexicon hit tied to a person word before it in the same clause by
// a copula or comparison ("is×vermin": 示威者就是蟑螂, 佢哋好似曱甴) or by
// its denial ("isnot×vermin": 他们不是蟑螂).
func WithPredicates() FeaturizerOption {
	return func(o *featurizerOptions) { o.predicates = true }
}

// WithTargets adds conjunction features (see Featurizer.Occurrences):
// each lexicon hit is paired with whether the text also names people,
// using the person and group words of t. It needs a lexicon.
func WithTargets(t *Targets) FeaturizerOption {
	return func(o *featurizerOptions) { o.targets = t }
}

// NewFeaturizer builds a featurizer; lex (nil for none) adds one feature
// per lexicon hit (term) and one per metaphor class, in the same hash
// space. nz normalizes the lexicon terms so they match normalized text.
func NewFeaturizer(cfg FeatureConfig, lex *Lexicon, nz *Normalizer, opts ...FeaturizerOption) (*Featurizer, error) {
	var o featurizerOptions
	for _, opt := range opts {
		opt(&o)
	}
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
	if o.targets != nil {
		if lex == nil {
			return nil, fmt.Errorf("featurizer: conjunction features need a lexicon")
		}
		seen := map[string]bool{}
		for _, t := range o.targets.Terms {
			k := nz.Normalize(t.Term).String()
			if k == "" || seen[k] {
				continue
			}
			seen[k] = true
			f.targets.add([]rune(k), []rune(t.Kind))
		}
		f.targets.sort()
		f.predicates = o.predicates
	}
	return f, nil
}

// Conjunctions reports whether the featurizer adds conjunction features.
func (f *Featurizer) Conjunctions() bool { return f.targets.byFirst != nil }

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
	seedConj     = 0x2545f491
	signBit      = 1 << 31 // above every bucket bit (Dim <= 2^24)
)

// Kinds of target words (the kind column of targets.tsv).
const (
	TargetPerson = "person" // a word for people: a group, a person noun, a pronoun, a classifier
	TargetThing  = "thing"  // a pronoun for things and animals (它们), dehumanizing when said of people
)

// Occurrences lists every feature occurrence of t in text order: all
// n-grams of the configured lengths (n-grams that are a single space are
// skipped), then the lexicon hits (each hit gives two occurrences, its
// term and its metaphor class, over the same runes). With targets
// (WithTargets), each lexicon hit gives a third occurrence over its runes,
// its class joined with whether the text names people elsewhere
// ("person×vermin" or "none×vermin": the guideline's rule that a
// metaphor needs a person to dehumanize), and a thing pronoun (它们) in a
// text that names people gives "person×thing" over the pronoun.
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
			h := hashRunes(seedNgram, rs[i:i+n])
			occ = append(occ, Occurrence{Index: int32(h & mask), Start: i, End: i + n, Neg: f.cfg.Signed && h&signBit != 0})
		}
	}
	if f.lex.byFirst == nil {
		return occ
	}
	items := make([]item, len(rs))
	for i, r := range rs {
		items[i].r = r
	}
	hits := func(m *matcher) []span { return m.hits(items) }
	lexHits := hits(&f.lex)
	for _, h := range lexHits {
		occ = append(occ,
			Occurrence{Index: int32(hashRunes(seedLexTerm, rs[h.start:h.end]) & mask), Start: h.start, End: h.end, Lexicon: true},
			Occurrence{Index: int32(hashRunes(seedLexClass, h.to) & mask), Start: h.start, End: h.end, Lexicon: true})
	}
	if f.targets.byFirst == nil {
		return occ
	}
	var persons []span
	var things []span
	for _, h := range hits(&f.targets) {
		if string(h.to) == TargetThing {
			things = append(things, h)
		} else {
			persons = append(persons, h)
		}
	}
	// names people outside [start, end)
	namesPeople := func(start, end int) bool {
		for _, p := range persons {
			if p.end <= start || p.start >= end {
				return true
			}
		}
		return false
	}
	for _, h := range lexHits {
		key := append([]rune("none×"), h.to...)
		if namesPeople(h.start, h.end) {
			key = append([]rune("person×"), h.to...)
		}
		occ = append(occ, Occurrence{Index: int32(hashRunes(seedConj, key) & mask), Start: h.start, End: h.end, Lexicon: true})
		if pred := predicated(rs, persons, h.start); f.predicates && pred != "" {
			key = append([]rune(pred+"×"), h.to...)
			occ = append(occ, Occurrence{Index: int32(hashRunes(seedConj, key) & mask), Start: h.start, End: h.end, Lexicon: true})
		}
	}
	for _, h := range things {
		if namesPeople(h.start, h.end) {
			occ = append(occ, Occurrence{Index: int32(hashRunes(seedConj, []rune("person×thing")) & mask), Start: h.start, End: h.end, Lexicon: true})
		}
	}
	return occ
}

// span is a table hit over runes [start, end) with its value.
type span struct {
	start, end int
	to         []rune
}

// hits returns the matches of m in in, scanning left to right and taking
// the longest match at each position.
func (m *matcher) hits(in []item) []span {
	var out []span
	for i := 0; i < len(in); {
		e, n := m.longest(in, i)
		if n == 0 {
			i++
			continue
		}
		out = append(out, span{i, i + n, e.to})
		i += n
	}
	return out
}

// predicationWindow bounds how far, in runes, a person word may stand
// before the copula or comparison that links it to a lexicon hit.
const predicationWindow = 10

// copulas link a subject to what it is said to be or be like, in
// normalized form; negCopulas deny it.
func copulas() []string {
	return []string{"是", "系", "就是", "都是", "像", "好似", "似", "如同", "犹如", "变成", "当成", "叫做", "叫"}
}

func negCopulas() []string {
	return []string{"不是", "唔系", "并非", "不算", "别叫", "不要叫", "唔好叫"}
}

// predicated reports how a lexicon hit at rune start is tied to a person
// word of persons in the same clause before it: "is" when a copula or
// comparison stands between them (黑人就是猩猩, 佢哋好似曱甴), "isnot" when it
// is denied (他们不是蟑螂), "" when neither.
func predicated(rs []rune, persons []span, start int) string {
	for _, p := range persons {
		if p.end > start || start-p.end > predicationWindow {
			continue
		}
		between := rs[p.end:start]
		if slices.ContainsFunc(between, func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSpace(r) }) {
			continue
		}
		b := string(between)
		for _, c := range negCopulas() {
			if strings.Contains(b, c) {
				return "isnot"
			}
		}
		for _, c := range copulas() {
			if strings.Contains(b, c) {
				return "is"
			}
		}
	}
	return ""
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
		idx      int32
		lex, neg bool
	}
	es := make([]entry, len(occ))
	for i, o := range occ {
		es[i] = entry{o.Index, o.Lexicon, o.Neg}
	}
	slices.SortFunc(es, func(a, b entry) int { return cmp.Compare(a.idx, b.idx) })
	// At most one entry per occurrence: allocate once.
	v := Vector{Index: make([]int32, 0, len(es)), Value: make([]float32, 0, len(es))}
	lexValue := make([]float32, 0, len(es))
	var ss float64
	for i := 0; i < len(es); {
		j := i
		var n, lex float32
		for j < len(es) && es[j].idx == es[i].idx {
			switch {
			case es[j].lex:
				lex += LexiconValue
			case es[j].neg:
				n--
			default:
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
