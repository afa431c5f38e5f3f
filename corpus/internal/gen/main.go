// Command gen builds the dehumanization corpus splits from the hand-written batch files.
//
// It reads corpus/dehumanization/batches/*.txt and the normalization tables in
// classify/tables, derives the script and obfuscation fields, assigns every
// hand-written caption to a split (held-out batches whole, the rest by a hash of
// the text), adds Traditional-script and obfuscated variants of some captions
// inside their own split, and writes train.jsonl, dev.jsonl and heldout.jsonl.
// The output depends only on the inputs: running it twice gives the same bytes.
//
// Usage, from the repository root:
//
//	go run ./corpus/internal/gen [-root .]
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode"

	"github.com/longbridgeapp/opencc"
)

// splitNames lists the splits in output order.
func splitNames() []string { return []string{"train", "dev", "heldout"} }

// Example is one line of the corpus.
type Example struct {
	Text         string `json:"text"`
	Dehumanizing int    `json:"dehumanizing"`
	Offensive    int    `json:"offensive"`
	Kind         string `json:"kind"`
	Target       string `json:"target"`
	Metaphor     string `json:"metaphor"`
	Script       string `json:"script"`
	Obfuscation  string `json:"obfuscation"`
	Batch        string `json:"batch"`
	Aug          string `json:"aug,omitempty"`
}

func main() {
	root := flag.String("root", ".", "repository root")
	flag.Parse()
	log.SetFlags(0)
	out, err := Build(*root)
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range splitNames() {
		p := filepath.Join(*root, "corpus", "dehumanization", s+".jsonl")
		if err := writeFileAtomic(p, out[s]); err != nil {
			log.Fatal(err)
		}
	}
}

// Build reads the batches and tables under root and returns the encoded
// contents of each split file, keyed by split name.
func Build(root string) (map[string][]byte, error) {
	g, err := newGenerator(root)
	if err != nil {
		return nil, err
	}
	files, err := filepath.Glob(filepath.Join(root, "corpus", "dehumanization", "batches", "*.txt"))
	if err != nil {
		return nil, fmt.Errorf("listing batches: %w", err)
	}
	sort.Strings(files)
	splits := map[string][]Example{}
	seen := map[string]string{}
	for _, f := range files {
		exs, err := g.readBatch(f)
		if err != nil {
			return nil, err
		}
		for _, ex := range exs {
			if where, dup := seen[ex.Text]; dup {
				return nil, fmt.Errorf("%s: duplicate text %q (first in %s)", f, ex.Text, where)
			}
			seen[ex.Text] = ex.Batch
			split := g.split(ex)
			splits[split] = append(splits[split], ex)
		}
	}
	out := map[string][]byte{}
	for _, s := range splitNames() {
		var all []Example
		for _, ex := range splits[s] {
			all = append(all, ex)
			for _, v := range g.variants(ex) {
				if _, dup := seen[v.Text]; dup {
					continue
				}
				seen[v.Text] = v.Batch
				all = append(all, v)
			}
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		for _, ex := range all {
			if err := enc.Encode(ex); err != nil {
				return nil, fmt.Errorf("encoding %q: %w", ex.Text, err)
			}
		}
		out[s] = buf.Bytes()
	}
	return out, nil
}

// A sub is one row of substitutions.tsv.
type sub struct{ from, to, kind string }

type generator struct {
	t2s, s2t, s2hk *opencc.OpenCC
	subs           []sub               // longest key first
	lexicon        []string            // longest first
	byTarget       map[string][]sub    // canonical form -> obfuscated spellings
	kindOf         map[string]string   // substitution key -> kind
	lexSet         map[string]struct{} // lexicon terms
}

func newGenerator(root string) (*generator, error) {
	g := &generator{byTarget: map[string][]sub{}, kindOf: map[string]string{}, lexSet: map[string]struct{}{}}
	var err error
	for _, c := range []struct {
		name string
		dst  **opencc.OpenCC
	}{{"t2s", &g.t2s}, {"s2t", &g.s2t}, {"s2hk", &g.s2hk}} {
		if *c.dst, err = opencc.New(c.name); err != nil {
			return nil, fmt.Errorf("opencc %s: %w", c.name, err)
		}
	}
	rows, err := readTSV(filepath.Join(root, "classify", "tables", "substitutions.tsv"), 4)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		s := sub{from: r[0], to: r[1], kind: r[2]}
		g.subs = append(g.subs, s)
		g.kindOf[s.from] = s.kind
		if s.kind != "cantonese" {
			g.byTarget[s.to] = append(g.byTarget[s.to], s)
		}
	}
	sort.SliceStable(g.subs, func(i, j int) bool { return len(g.subs[i].from) > len(g.subs[j].from) })
	rows, err = readTSV(filepath.Join(root, "classify", "tables", "lexicon.tsv"), 4)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		g.lexicon = append(g.lexicon, r[0])
		g.lexSet[r[0]] = struct{}{}
	}
	sort.SliceStable(g.lexicon, func(i, j int) bool { return len(g.lexicon[i]) > len(g.lexicon[j]) })
	return g, nil
}

// readTSV returns the data rows of a table with a header, skipping comments.
func readTSV(path string, cols int) ([][]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading table: %w", err)
	}
	var rows [][]string
	header := true
	for i, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != cols {
			return nil, fmt.Errorf("%s:%d: %d columns, want %d", path, i+1, len(f), cols)
		}
		if header {
			header = false
			continue
		}
		rows = append(rows, f)
	}
	return rows, nil
}

func validKind(s string) bool {
	switch s {
	case "dehumanizing", "literal", "idiom", "news", "counter", "hostile", "neutral":
		return true
	}
	return false
}

func validMetaphor(s string) bool {
	switch s {
	case "vermin", "animal", "disease", "filth", "subhuman", "elimination", "none":
		return true
	}
	return false
}

// readBatch parses one batch file. Lines are captions; "@ kind target metaphor"
// sets the labels of the captions that follow; "%split heldout" marks the whole
// batch as held out; "# " (hash and space) starts a comment line, so that
// captions may begin with a hashtag.
func (g *generator) readBatch(path string) ([]Example, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening batch: %w", err)
	}
	defer f.Close()
	batch := strings.TrimSuffix(filepath.Base(path), ".txt")
	heldout := false
	var kind, target, metaphor string
	var exs []Example
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line == "#" || strings.HasPrefix(line, "# "):
			continue
		case line == "%split heldout":
			heldout = true
			continue
		case strings.HasPrefix(line, "@ "):
			f := strings.Fields(line[2:])
			if len(f) != 3 || !validKind(f[0]) || !validMetaphor(f[2]) {
				return nil, fmt.Errorf("%s:%d: bad header %q", path, n, line)
			}
			if (f[0] == "dehumanizing") != (f[2] != "none") {
				return nil, fmt.Errorf("%s:%d: metaphor must be set exactly for dehumanizing captions", path, n)
			}
			kind, target, metaphor = f[0], f[1], f[2]
			continue
		}
		if kind == "" {
			return nil, fmt.Errorf("%s:%d: caption before any header", path, n)
		}
		ex := Example{Text: line, Kind: kind, Target: target, Metaphor: metaphor, Batch: batch}
		if kind == "dehumanizing" {
			ex.Dehumanizing = 1
		}
		if kind == "dehumanizing" || kind == "hostile" {
			ex.Offensive = 1
		}
		ex.Script = g.script(line)
		ex.Obfuscation = g.obfuscation(line)
		if heldout {
			ex.Batch = "heldout/" + batch
		}
		exs = append(exs, ex)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return exs, nil
}

func (g *generator) split(ex Example) string {
	if strings.HasPrefix(ex.Batch, "heldout/") {
		return "heldout"
	}
	if hash(ex.Text, "split")%100 < 12 {
		return "dev"
	}
	return "train"
}

func hash(s, salt string) uint32 {
	h := fnv.New32a()
	io.WriteString(h, salt)
	io.WriteString(h, s)
	return h.Sum32()
}

// cantoneseMarks lists characters and words that mark written Cantonese.
func cantoneseMarks() []string {
	return []string{"佢", "啲", "嘅", "咗", "冇", "唔", "嘢", "喺", "冚", "嚟", "睇", "搵", "揾", "攞", "嗰", "乜", "咩", "畀", "噉", "嘞", "囉", "㗎", "哋", "諗", "谂", "嘥", "曱甴", "咁", "啱", "靚", "嬲", "揸", "躝", "瞓", "劏", "冧", "咪搞", "係咪", "食屎", "仆街", "屌你"}
}

func (g *generator) script(s string) string {
	for _, m := range cantoneseMarks() {
		if strings.Contains(s, m) {
			return "cantonese"
		}
	}
	if simp, err := g.t2s.Convert(s); err == nil && simp != s {
		return "traditional"
	}
	return "simplified"
}

// normalize folds width and case and converts to Simplified, the form the
// substitution keys are written in.
func (g *generator) normalize(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		case r == 0x3000:
			r = ' '
		}
		b.WriteRune(unicode.ToLower(r))
	}
	out, err := g.t2s.Convert(b.String())
	if err != nil {
		return b.String()
	}
	return out
}

func isSep(r rune) bool {
	return strings.ContainsRune(" .·*_|-~/", r)
}

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

// joinSpaced removes separators that stand between two Han characters.
func joinSpaced(s string) string {
	rs := []rune(s)
	var out []rune
	for i := 0; i < len(rs); i++ {
		if isSep(rs[i]) && len(out) > 0 && isHan(out[len(out)-1]) {
			j := i
			for j < len(rs) && isSep(rs[j]) {
				j++
			}
			if j < len(rs) && isHan(rs[j]) {
				i = j - 1
				continue
			}
		}
		out = append(out, rs[i])
	}
	return string(out)
}

// obfuscation names the kinds of obfuscation present in a caption.
func (g *generator) obfuscation(s string) string {
	n := g.normalize(s)
	found := map[string]bool{}
	for _, r := range s {
		if r >= 0xFF21 && r <= 0xFF5A {
			found["pinyin"] = true
		}
	}
	for _, sb := range g.subs {
		if !strings.Contains(n, sb.from) {
			continue
		}
		switch sb.kind {
		case "emoji", "pinyin":
			found[sb.kind] = true
		case "homophone", "variant", "leet":
			found["homophone"] = true
		}
	}
	if j := joinSpaced(n); j != n {
		for _, t := range g.lexicon {
			if len([]rune(t)) > 1 && strings.Count(j, t) > strings.Count(n, t) {
				found["spaced"] = true
				break
			}
		}
		for _, sb := range g.subs {
			if len([]rune(sb.from)) > 1 && isHan([]rune(sb.from)[0]) && strings.Count(j, sb.from) > strings.Count(n, sb.from) {
				found["spaced"] = true
				break
			}
		}
	}
	switch len(found) {
	case 0:
		return "none"
	case 1:
		for k := range found {
			return k
		}
	}
	return "mixed"
}

// variants returns the augmented versions of a hand-written caption: a
// Traditional-script rendering of some Simplified captions and an obfuscated
// spelling of some captions that contain a term with known obfuscations.
func (g *generator) variants(ex Example) []Example {
	var out []Example
	tradRate := uint32(30)
	if ex.Dehumanizing == 0 {
		tradRate = 40
	}
	if ex.Script == "simplified" && hash(ex.Text, "trad")%100 < tradRate {
		conv, name := g.s2t, "s2t"
		if hash(ex.Text, "hk")%2 == 0 {
			conv, name = g.s2hk, "s2hk"
		}
		if t, err := conv.Convert(ex.Text); err == nil && t != ex.Text {
			v := ex
			v.Text, v.Aug, v.Script = t, name, g.script(t)
			v.Obfuscation = g.obfuscation(t)
			out = append(out, v)
		}
	}
	rate := uint32(40)
	if ex.Dehumanizing == 0 {
		rate = 55
	}
	if ex.Obfuscation == "none" && hash(ex.Text, "obf")%100 < rate {
		if t, ok := g.obfuscate(ex.Text, ex); ok {
			v := ex
			v.Text, v.Aug = t, "obfuscate"
			v.Script = g.script(t)
			v.Obfuscation = g.obfuscation(t)
			if v.Obfuscation != "none" {
				out = append(out, v)
			}
		}
	}
	return out
}

// augmentTerms lists the words that the generator rewrites into obfuscated
// spellings. Generic words that the substitution table only normalizes (虫,
// 鸡, 牛) are left out: rewriting them inside compounds reads unnaturally.
func augmentTerms() []string {
	return []string{"支那猪", "白皮猪", "黑猩猩", "寄生虫", "蟑螂", "曱甴", "蝗虫", "黄尸", "废青",
		"支那", "黑鬼", "倭狗", "母狗", "老鼠", "病毒", "垃圾", "猴子", "猩猩", "丧尸", "猪", "狗", "蛆"}
}

// obfuscate rewrites the first augmentable term of s. Dehumanizing captions,
// and news and counter-speech that quote a slur, get any known spelling of the
// term (homophone, look-alike, romanization, emoji, spaced); other captions get
// only the term's usual emoji, the one obfuscation that is common in ordinary
// talk (🪳 in the kitchen, 🐶 for a pet).
func (g *generator) obfuscate(s string, ex Example) (string, bool) {
	best, at := "", -1
	for _, term := range augmentTerms() {
		if i := strings.Index(s, term); i >= 0 && (at < 0 || i < at || (i == at && len(term) > len(best))) {
			best, at = term, i
		}
	}
	full := ex.Dehumanizing == 1 || ex.Kind == "news" || ex.Kind == "counter"
	var options []string
	emoji := false
	for _, sb := range g.byTarget[best] {
		switch {
		case sb.kind == "emoji":
			if !emoji {
				options = append(options, sb.from)
				emoji = true
			}
		case !full:
		case sb.kind == "variant" && !isHan([]rune(sb.from)[0]):
		default:
			options = append(options, sb.from)
		}
	}
	if at < 0 && ex.Dehumanizing == 1 {
		for _, term := range g.lexicon {
			if len([]rune(term)) > 1 {
				if i := strings.Index(s, term); i >= 0 {
					best, at = term, i
					break
				}
			}
		}
	}
	if at < 0 {
		return "", false
	}
	if rs := []rune(best); full && len(rs) > 1 {
		seps := []string{" ", " ", "·", "*", "_", "  "}
		sep := seps[hash(s, "sep")%uint32(len(seps))]
		options = append(options, strings.Join(strings.Split(best, ""), sep))
	}
	if len(options) == 0 {
		return "", false
	}
	pick := options[hash(s, "pick")%uint32(len(options))]
	if pick != strings.ToUpper(pick) && hash(s, "wide")%5 == 0 && isASCII(pick) {
		pick = toFullWidth(pick)
	}
	return s[:at] + pick + s[at+len(best):], true
}

func isASCII(s string) bool {
	for _, r := range s {
		if r > unicode.MaxASCII {
			return false
		}
	}
	return true
}

func toFullWidth(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r > ' ' && r < 0x7F {
			r += 0xFEE0
		}
		b.WriteRune(r)
	}
	return b.String()
}

// writeFileAtomic writes data to a temporary file in the same directory, syncs
// it and renames it over path.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".gen-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
