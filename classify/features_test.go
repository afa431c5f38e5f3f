package classify

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestFeatureHashGolden pins the hash of every n-gram: a change here
// silently breaks every trained model, so it must be deliberate (run with
// -update and retrain).
func TestFeatureHashGolden(t *testing.T) {
	nz := pipeline(t).Normalizer
	lex, err := ParseLexicon(strings.NewReader("term\tmetaphor\n蟑螂\tvermin\n"))
	if err != nil {
		t.Fatal(err)
	}
	fz, err := NewFeaturizer(FeatureConfig{Dim: 1 << 15, MinN: 1, MaxN: 3}, lex, nz)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, s := range []string{"蟑螂", "啲甲由又出嚟搞事", "Hello 世界", "黃屍"} {
		tx := nz.Normalize(s)
		fmt.Fprintf(&b, "text %q normalized %q\n", s, tx.String())
		for _, o := range fz.Occurrences(tx) {
			fmt.Fprintf(&b, "  %q [%d,%d) lexicon=%v -> %d\n", string(tx.Runes[o.Start:o.End]), o.Start, o.End, o.Lexicon, o.Index)
		}
		v := fz.Vector(tx)
		for k := range v.Index {
			fmt.Fprintf(&b, "  v[%d] = %.6f\n", v.Index[k], v.Value[k])
		}
	}
	golden := filepath.Join("testdata", "features.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if b.String() != string(want) {
		t.Errorf("features differ from %s (run with -update if the change is intended):\n%s", golden, b.String())
	}
}

func TestVectorOf(t *testing.T) {
	v := VectorOf([]Occurrence{{Index: 5}, {Index: 2}, {Index: 5}})
	if len(v.Index) != 2 || v.Index[0] != 2 || v.Index[1] != 5 {
		t.Fatalf("indices %v, want [2 5]", v.Index)
	}
	// counts 1 and 2, scaled to unit length: 1/sqrt5, 2/sqrt5.
	if d := v.Value[0] - 0.4472136; d > 1e-6 || d < -1e-6 {
		t.Errorf("value[0] = %v", v.Value[0])
	}
	if d := v.Value[1] - 0.8944272; d > 1e-6 || d < -1e-6 {
		t.Errorf("value[1] = %v", v.Value[1])
	}
	if e := VectorOf(nil); len(e.Index) != 0 {
		t.Errorf("empty: %v", e)
	}
}

func TestNewFeaturizerRejectsBadConfig(t *testing.T) {
	for _, cfg := range []FeatureConfig{{Dim: 1000, MinN: 1, MaxN: 3}, {Dim: 1024, MinN: 0, MaxN: 3}, {Dim: 1024, MinN: 3, MaxN: 2}, {Dim: 0}} {
		if _, err := NewFeaturizer(cfg, nil, nil); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}

func TestLexiconOccurrences(t *testing.T) {
	p := pipeline(t)
	tx, occ, _ := p.Features("佢哋全部都係曱甴")
	var lex []string
	for _, o := range occ {
		if o.Lexicon {
			lex = append(lex, string(tx.Runes[o.Start:o.End]))
		}
	}
	if len(lex) != 2 || lex[0] != "蟑螂" {
		t.Errorf("lexicon occurrences %q, want the term and class of 蟑螂", lex)
	}
}

func BenchmarkNormalize(b *testing.B) {
	p := pipeline(b)
	s := "啲甲由又出嚟搞事，黃屍廢青真係好似曱甴咁，應該全部清走佢哋"
	for b.Loop() {
		p.Normalizer.Normalize(s)
	}
}

func BenchmarkFeatures(b *testing.B) {
	p := pipeline(b)
	s := "啲甲由又出嚟搞事，黃屍廢青真係好似曱甴咁，應該全部清走佢哋"
	for b.Loop() {
		p.Features(s)
	}
}

func TestParseTargets(t *testing.T) {
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"person and thing", "term\tkind\tnote\n他们\tperson\tx\n它们\tthing\ty\n", true},
		{"unknown kind", "term\tkind\n他们\tgroup\n", false},
		{"empty term", "term\tkind\n\tperson\n", false},
		{"wrong header", "word\tkind\n他们\tperson\n", false},
	}
	for _, tt := range tests {
		_, err := ParseTargets(strings.NewReader(tt.in))
		if (err == nil) != tt.ok {
			t.Errorf("%s: err = %v, want ok = %v", tt.name, err, tt.ok)
		}
	}
	if _, err := DefaultTargets(); err != nil {
		t.Fatalf("embedded targets: %v", err)
	}
}

// conjunctions returns the conjunction occurrences of s (lexicon
// occurrences beyond the term and class pair of each hit) as their runes.
func conjunctions(t *testing.T, s string) (person, none []string) {
	t.Helper()
	p := pipeline(t)
	lex, err := DefaultLexicon()
	if err != nil {
		t.Fatal(err)
	}
	targets, err := DefaultTargets()
	if err != nil {
		t.Fatal(err)
	}
	cfg := FeatureConfig{Dim: 1 << 15, MinN: 1, MaxN: 1}
	fz, err := NewFeaturizer(cfg, lex, p.Normalizer, WithTargets(targets))
	if err != nil {
		t.Fatal(err)
	}
	tx := p.Normalizer.Normalize(s)
	mask := uint32(cfg.Dim - 1)
	for _, o := range fz.Occurrences(tx) {
		if !o.Lexicon {
			continue
		}
		span := string(tx.Runes[o.Start:o.End])
		for _, class := range []string{"vermin", "animal", "disease", "filth", "subhuman", "elimination", "thing"} {
			switch o.Index {
			case int32(hashRunes(seedConj, []rune("person×"+class)) & mask):
				person = append(person, span)
			case int32(hashRunes(seedConj, []rune("none×"+class)) & mask):
				none = append(none, span)
			}
		}
	}
	return person, none
}

func TestConjunctionFeatures(t *testing.T) {
	tests := []struct {
		in           string
		person, none []string
	}{
		{"厨房里发现了一只蟑螂", nil, []string{"蟑螂"}},
		{"那些示威者就是蟑螂", []string{"蟑螂"}, nil},
		{"嗰班曱甴又出嚟", []string{"蟑螂"}, nil},
		{"那些黑人，它们不配", []string{"它们"}, nil},
		{"这个东西它们都不要", nil, nil},
	}
	for _, tt := range tests {
		person, none := conjunctions(t, tt.in)
		if !slices.Equal(person, tt.person) || !slices.Equal(none, tt.none) {
			t.Errorf("%s: person× %q none× %q, want %q %q", tt.in, person, none, tt.person, tt.none)
		}
	}
}

func TestSignedHashing(t *testing.T) {
	p := pipeline(t)
	fz, err := NewFeaturizer(FeatureConfig{Dim: 1 << 15, MinN: 1, MaxN: 3, Signed: true}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	tx := p.Normalizer.Normalize("今天天气很好，我们去公园散步吧")
	occ := fz.Occurrences(tx)
	neg := 0
	for _, o := range occ {
		h := hashRunes(seedNgram, tx.Runes[o.Start:o.End])
		if o.Neg != (h&signBit != 0) || o.Index != int32(h&(1<<15-1)) {
			t.Fatalf("occurrence %+v: sign or bucket not from hash %#x", o, h)
		}
		if o.Neg {
			neg++
		}
	}
	if neg == 0 || neg == len(occ) {
		t.Errorf("%d of %d occurrences negative, want a mix", neg, len(occ))
	}
	v := VectorOf(occ)
	var ss float64
	for _, x := range v.Value {
		ss += float64(x) * float64(x)
	}
	if math.Abs(ss-1) > 1e-5 {
		t.Errorf("squared length %v, want 1", ss)
	}
}

func TestPredicated(t *testing.T) {
	p := pipeline(t)
	targets, err := DefaultTargets()
	if err != nil {
		t.Fatal(err)
	}
	var m matcher
	for _, tt := range targets.Terms {
		if tt.Kind == TargetPerson {
			m.add([]rune(p.Normalizer.Normalize(tt.Term).String()), []rune(tt.Kind))
		}
	}
	m.sort()
	tests := []struct {
		in, hit, want string
	}{
		{"那些示威者就是蟑螂", "蟑螂", "is"},
		{"佢哋好似曱甴咁", "蟑螂", "is"},
		{"他们不是蟑螂，请尊重", "蟑螂", "isnot"},
		{"示威者，蟑螂", "蟑螂", ""},            // another clause
		{"厨房里的蟑螂是害虫", "蟑螂", ""},         // no person before the hit
		{"示威者在街上走来走去然后看到了蟑螂", "蟑螂", ""}, // too far
	}
	for _, tt := range tests {
		tx := p.Normalizer.Normalize(tt.in)
		rs := tx.Runes
		items := make([]item, len(rs))
		for i, r := range rs {
			items[i].r = r
		}
		persons := m.hits(items)
		start := strings.Index(tx.String(), tt.hit)
		if start < 0 {
			t.Fatalf("%s: %s not in %s", tt.in, tt.hit, tx.String())
		}
		start = len([]rune(tx.String()[:start]))
		if got := predicated(rs, persons, start); got != tt.want {
			t.Errorf("%s: predicated = %q, want %q", tt.in, got, tt.want)
		}
	}
}
