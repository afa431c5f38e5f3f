package classify

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
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
