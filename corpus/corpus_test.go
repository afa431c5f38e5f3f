package corpus

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/longbridgeapp/opencc"
)

// Required sizes of the dehumanization corpus, over all splits.
const (
	minDehumanizing = 1800
	minNegatives    = 1800
)

// example is one line of a split file. Unknown fields are rejected.
type example struct {
	Text         string `json:"text"`
	Dehumanizing *int   `json:"dehumanizing"`
	Offensive    *int   `json:"offensive"`
	Kind         string `json:"kind"`
	Target       string `json:"target"`
	Metaphor     string `json:"metaphor"`
	Script       string `json:"script"`
	Obfuscation  string `json:"obfuscation"`
	Batch        string `json:"batch"`
	Aug          string `json:"aug,omitempty"`
}

func oneOf(s string, xs ...string) bool { return slices.Contains(xs, s) }

func validTarget(s string) bool {
	return oneOf(s, "protesters", "police", "mainlanders", "hongkongers", "taiwanese",
		"uyghurs", "tibetans", "muslims", "black", "japanese", "koreans", "indians",
		"westerners", "jews", "africans", "southeast_asians", "women", "men", "lgbt",
		"migrants", "poor", "rural", "regional", "disabled", "elderly", "politicians",
		"ccp", "people", "none")
}

func splitNames() []string { return []string{"train", "dev", "heldout"} }

func readSplit(t *testing.T, split string) []example {
	t.Helper()
	path := filepath.Join("dehumanization", split+".jsonl")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []example
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		var ex example
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ex); err != nil {
			t.Fatalf("%s:%d: %v", path, n, err)
		}
		if err := checkExample(ex); err != nil {
			t.Errorf("%s:%d: %v", path, n, err)
		}
		out = append(out, ex)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func checkExample(ex example) error {
	switch {
	case ex.Dehumanizing == nil || ex.Offensive == nil:
		return fmt.Errorf("%q: missing label", ex.Text)
	case !utf8.ValidString(ex.Text) || strings.TrimSpace(ex.Text) != ex.Text:
		return fmt.Errorf("%q: text not trimmed UTF-8", ex.Text)
	case utf8.RuneCountInString(ex.Text) < 2 || utf8.RuneCountInString(ex.Text) > 120:
		return fmt.Errorf("%q: length %d out of [2,120]", ex.Text, utf8.RuneCountInString(ex.Text))
	case !oneOf(ex.Kind, "dehumanizing", "literal", "idiom", "news", "counter", "hostile", "neutral"):
		return fmt.Errorf("%q: kind %q", ex.Text, ex.Kind)
	case !validTarget(ex.Target):
		return fmt.Errorf("%q: target %q", ex.Text, ex.Target)
	case !oneOf(ex.Metaphor, "vermin", "animal", "disease", "filth", "subhuman", "elimination", "none"):
		return fmt.Errorf("%q: metaphor %q", ex.Text, ex.Metaphor)
	case !oneOf(ex.Script, "simplified", "traditional", "cantonese"):
		return fmt.Errorf("%q: script %q", ex.Text, ex.Script)
	case !oneOf(ex.Obfuscation, "none", "homophone", "spaced", "pinyin", "emoji", "mixed"):
		return fmt.Errorf("%q: obfuscation %q", ex.Text, ex.Obfuscation)
	case !oneOf(ex.Aug, "", "s2t", "s2hk", "obfuscate"):
		return fmt.Errorf("%q: aug %q", ex.Text, ex.Aug)
	case ex.Batch == "":
		return fmt.Errorf("%q: no batch", ex.Text)
	}
	dehum := ex.Kind == "dehumanizing"
	off := dehum || ex.Kind == "hostile"
	if (*ex.Dehumanizing == 1) != dehum || (*ex.Dehumanizing != 0 && *ex.Dehumanizing != 1) {
		return fmt.Errorf("%q: dehumanizing=%d for kind %s", ex.Text, *ex.Dehumanizing, ex.Kind)
	}
	if (*ex.Offensive == 1) != off || (*ex.Offensive != 0 && *ex.Offensive != 1) {
		return fmt.Errorf("%q: offensive=%d for kind %s", ex.Text, *ex.Offensive, ex.Kind)
	}
	if dehum == (ex.Metaphor == "none") {
		return fmt.Errorf("%q: metaphor %s for kind %s", ex.Text, ex.Metaphor, ex.Kind)
	}
	if dehum && ex.Target == "none" {
		return fmt.Errorf("%q: dehumanizing caption without target", ex.Text)
	}
	return nil
}

func readAll(t *testing.T) map[string][]example {
	t.Helper()
	all := map[string][]example{}
	for _, s := range splitNames() {
		all[s] = readSplit(t, s)
	}
	return all
}

func TestSizes(t *testing.T) {
	all := readAll(t)
	var total, dehum, neg, heldout int
	hand := map[bool]int{}
	aug := map[bool]int{}
	for _, s := range splitNames() {
		for _, ex := range all[s] {
			total++
			d := *ex.Dehumanizing == 1
			if d {
				dehum++
			} else {
				neg++
			}
			if ex.Aug == "" {
				hand[d]++
			} else {
				aug[d]++
			}
			if s == "heldout" {
				heldout++
			}
		}
	}
	if dehum < minDehumanizing {
		t.Errorf("%d dehumanizing captions, want at least %d", dehum, minDehumanizing)
	}
	if neg < minNegatives {
		t.Errorf("%d negative captions, want at least %d", neg, minNegatives)
	}
	for _, d := range []bool{true, false} {
		if hand[d] <= aug[d] {
			t.Errorf("dehumanizing=%v: %d hand-written, %d augmented; hand-written must be the majority", d, hand[d], aug[d])
		}
	}
	if share := float64(heldout) / float64(total); share < 0.15 || share > 0.30 {
		t.Errorf("held-out share %.2f, want 0.15 to 0.30", share)
	}
	for _, s := range splitNames() {
		kinds := map[string]int{}
		for _, ex := range all[s] {
			kinds[ex.Kind]++
		}
		for _, k := range []string{"dehumanizing", "literal", "idiom", "news", "counter", "hostile"} {
			if kinds[k] == 0 {
				t.Errorf("%s: no %s captions", s, k)
			}
		}
	}
}

// Held-out captions come from their own writing batches.
func TestHeldoutBatchesAreSeparate(t *testing.T) {
	all := readAll(t)
	in := map[string]string{}
	for _, s := range splitNames() {
		for _, ex := range all[s] {
			if s == "heldout" != strings.HasPrefix(ex.Batch, "heldout/") {
				t.Errorf("%s: %q from batch %s", s, ex.Text, ex.Batch)
			}
			if s != "dev" {
				if prev, ok := in[ex.Batch]; ok && prev != s {
					t.Errorf("batch %s in both %s and %s", ex.Batch, prev, s)
				}
				in[ex.Batch] = s
			}
		}
	}
}

// normalizer folds a caption to a key for near-duplicate detection: Simplified
// script, half-width, lower case, obfuscations replaced by the substitution
// table, letters and digits only.
type normalizer struct {
	t2s  *opencc.OpenCC
	subs *strings.Replacer
}

func newNormalizer(t testing.TB) normalizer {
	t.Helper()
	cc, err := opencc.New("t2s")
	if err != nil {
		t.Fatal(err)
	}
	rows := readTable(t, "substitutions.tsv", "from", "to", "kind", "note")
	// strings.Replacer tries keys in argument order at each position, so
	// longer keys go first.
	slices.SortStableFunc(rows, func(a, b []string) int { return len(b[0]) - len(a[0]) })
	var pairs []string
	for _, r := range rows {
		pairs = append(pairs, r[0], r[1])
	}
	return normalizer{cc, strings.NewReplacer(pairs...)}
}

func (n normalizer) key(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 0xFF01 && r <= 0xFF5E {
			r -= 0xFEE0
		}
		b.WriteRune(unicode.ToLower(r))
	}
	folded, err := n.t2s.Convert(b.String())
	if err != nil {
		folded = b.String()
	}
	b.Reset()
	for _, r := range n.subs.Replace(folded) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func bigrams(s string) map[string]bool {
	rs := []rune(s)
	m := map[string]bool{}
	for i := 0; i+1 < len(rs); i++ {
		m[string(rs[i:i+2])] = true
	}
	return m
}

func jaccard(a, b map[string]bool) float64 {
	inter := 0
	for k := range a {
		if b[k] {
			inter++
		}
	}
	union := len(a) + len(b) - inter
	if union == 0 {
		return 1
	}
	return float64(inter) / float64(union)
}

// nearDuplicate is the bigram-overlap threshold above which two captions in
// different splits count as the same caption.
const nearDuplicate = 0.7

func TestNoDuplicates(t *testing.T) {
	all := readAll(t)
	norm := newNormalizer(t)
	type item struct {
		split, text, key string
		grams            map[string]bool
	}
	var items []item
	exact := map[string]string{}
	keys := map[string]item{}
	index := map[string][]int{} // bigram -> items holding it
	for _, s := range splitNames() {
		for _, ex := range all[s] {
			if prev, ok := exact[ex.Text]; ok {
				t.Errorf("duplicate text %q in %s and %s", ex.Text, prev, s)
			}
			exact[ex.Text] = s
			it := item{split: s, text: ex.Text, key: norm.key(ex.Text)}
			it.grams = bigrams(it.key)
			if prev, ok := keys[it.key]; ok && prev.split != s {
				t.Errorf("same caption across splits: %q (%s) and %q (%s)", prev.text, prev.split, ex.Text, s)
			}
			keys[it.key] = it
			items = append(items, it)
		}
	}
	for i, it := range items {
		for g := range it.grams {
			index[g] = append(index[g], i)
		}
	}
	for i, it := range items {
		if len(it.grams) < 4 {
			continue
		}
		shared := map[int]int{}
		for g := range it.grams {
			for _, j := range index[g] {
				if j > i && items[j].split != it.split {
					shared[j]++
				}
			}
		}
		for j, n := range shared {
			// A Jaccard of at least nearDuplicate needs this many shared bigrams.
			if float64(n) < nearDuplicate*float64(len(it.grams)) && float64(n) < nearDuplicate*float64(len(items[j].grams)) {
				continue
			}
			if jac := jaccard(it.grams, items[j].grams); jac >= nearDuplicate {
				t.Errorf("near-duplicate across splits (%.2f): %q (%s) and %q (%s)", jac, it.text, it.split, items[j].text, items[j].split)
			}
		}
	}
}

func TestNoCOLDTestText(t *testing.T) {
	f, err := os.Open(filepath.Join("cold", "test.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	norm := newNormalizer(t)
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	col := slices.Index(header, "TEXT")
	if col < 0 {
		t.Fatalf("cold/test.csv header %q has no TEXT column", header)
	}
	cold := map[string]bool{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if k := norm.key(rec[col]); k != "" {
			cold[k] = true
		}
	}
	if len(cold) < 5000 {
		t.Fatalf("read %d COLD test texts, want about 5,300", len(cold))
	}
	for s, exs := range readAll(t) {
		for _, ex := range exs {
			if cold[norm.key(ex.Text)] {
				t.Errorf("%s: %q is a COLD test text", s, ex.Text)
			}
		}
	}
}

// readTable returns the rows of a tab-separated table in classify/tables,
// after checking its header, its column counts and that no first-column key
// repeats.
func readTable(t testing.TB, name string, header ...string) [][]string {
	t.Helper()
	path := filepath.Join("..", "classify", "tables", name)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !utf8.Valid(b) {
		t.Fatalf("%s: not UTF-8", path)
	}
	var rows [][]string
	seen := map[string]bool{}
	gotHeader := false
	for i, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if !gotHeader {
			if !slices.Equal(f, header) {
				t.Fatalf("%s: header %q, want %q", path, f, header)
			}
			gotHeader = true
			continue
		}
		if len(f) != len(header) {
			t.Errorf("%s:%d: %d columns, want %d", path, i+1, len(f), len(header))
			continue
		}
		for j, x := range f {
			if x == "" || strings.TrimSpace(x) != x {
				t.Errorf("%s:%d: column %s empty or padded", path, i+1, header[j])
			}
		}
		if seen[f[0]] {
			t.Errorf("%s:%d: duplicate %s %q", path, i+1, header[0], f[0])
		}
		seen[f[0]] = true
		rows = append(rows, f)
	}
	return rows
}

func TestSubstitutionsTable(t *testing.T) {
	rows := readTable(t, "substitutions.tsv", "from", "to", "kind", "note")
	norm := newNormalizer(t)
	for _, r := range rows {
		from, to, kind := r[0], r[1], r[2]
		if from == to {
			t.Errorf("%q maps to itself", from)
		}
		if !oneOf(kind, "homophone", "variant", "pinyin", "emoji", "cantonese", "leet") {
			t.Errorf("%q: kind %q", from, kind)
		}
		// Keys are matched after t2s, width and case folding, so they must
		// already be in that form or they can never match.
		if simp, err := norm.t2s.Convert(from); err != nil || simp != from || strings.ToLower(from) != from {
			t.Errorf("key %q is not in normalized form", from)
		}
		for _, r := range from {
			if r >= 0xFF01 && r <= 0xFF5E {
				t.Errorf("key %q has full-width characters", from)
			}
		}
	}
	if len(rows) < 50 {
		t.Errorf("%d substitutions, want at least 50", len(rows))
	}
}

func TestLexiconTable(t *testing.T) {
	rows := readTable(t, "lexicon.tsv", "term", "metaphor", "targets", "note")
	norm := newNormalizer(t)
	for _, r := range rows {
		term, metaphor, targets := r[0], r[1], r[2]
		if simp, err := norm.t2s.Convert(term); err != nil || simp != term {
			t.Errorf("term %q is not Simplified", term)
		}
		if !oneOf(metaphor, "vermin", "animal", "disease", "filth", "subhuman", "elimination") {
			t.Errorf("%q: metaphor %q", term, metaphor)
		}
		for _, tg := range strings.Split(targets, ",") {
			if !validTarget(tg) || tg == "none" {
				t.Errorf("%q: target %q", term, tg)
			}
		}
	}
	if len(rows) < 150 {
		t.Errorf("%d lexicon terms, want at least 150", len(rows))
	}
}
