package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func repoRoot() string { return filepath.Join("..", "..", "..") }

func build(t *testing.T) map[string][]byte {
	t.Helper()
	out, err := Build(repoRoot())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The committed split files must be exactly what the generator makes from
// the committed batches and tables.
func TestCommittedSplitsAreCurrent(t *testing.T) {
	root := repoRoot()
	got, again := build(t), build(t)
	for _, s := range splitNames() {
		if !bytes.Equal(got[s], again[s]) {
			t.Errorf("%s: two builds differ", s)
		}
		want, err := os.ReadFile(filepath.Join(root, "corpus", "dehumanization", s+".jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got[s], want) {
			t.Errorf("%s.jsonl is stale: run go run ./corpus/internal/gen", s)
		}
	}
}

func TestJoinSpaced(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"蟑 螂", "蟑螂"},
		{"蟑·螂又来了", "蟑螂又来了"},
		{"黄 . 尸", "黄尸"},
		{"hello world", "hello world"},
		{"蟑螂 abc", "蟑螂 abc"},
		{"", ""},
	} {
		if got := joinSpaced(c.in); got != c.want {
			t.Errorf("joinSpaced(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestDerivedFields(t *testing.T) {
	g, err := newGenerator(repoRoot())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ text, script, obf string }{
		{"啲曱甴又出嚟", "cantonese", "none"},
		{"黃屍又出來了", "traditional", "none"},
		{"这些蟑螂", "simplified", "none"},
		{"这些蟑 螂", "simplified", "spaced"},
		{"这些🪳", "simplified", "emoji"},
		{"这些zhanglang", "simplified", "pinyin"},
		{"这些ＺＨＡＮＧＬＡＮＧ", "simplified", "pinyin"},
		{"这些蟑郎", "simplified", "homophone"},
		{"蟑郎和🪳", "simplified", "mixed"},
		{"猪、狗和猫", "simplified", "none"},
		{"Z L 又出嚟", "cantonese", "pinyin"},
		{"zhang lang兵", "simplified", "pinyin"},
		{"蟑螂 (zhāng láng) 又来了", "simplified", "pinyin"},
		{"zlatan 进球了", "simplified", "none"},
		{"今 天 天 气 真 好", "simplified", "none"},
	} {
		if got := g.script(c.text); got != c.script {
			t.Errorf("script(%q) = %s, want %s", c.text, got, c.script)
		}
		if got := g.obfuscation(c.text); got != c.obf {
			t.Errorf("obfuscation(%q) = %s, want %s", c.text, got, c.obf)
		}
	}
}

// The counts in the corpus README must match the committed splits.
func TestREADMECountsAreCurrent(t *testing.T) {
	root := repoRoot()
	counts, err := Report(root, build(t))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(root, "corpus", "dehumanization", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := ReplaceCounts(doc, counts)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(doc, want) {
		t.Error("README counts are stale: run go run ./corpus/internal/gen")
	}
}

func TestReplaceCountsNeedsMarkers(t *testing.T) {
	if _, err := ReplaceCounts([]byte("no markers here"), "x"); err == nil {
		t.Error("ReplaceCounts accepted a document without markers")
	}
	doc := []byte("a\n" + countsBegin + "\nold\n" + countsEnd + "\nb\n")
	got, err := ReplaceCounts(doc, "new\n")
	if err != nil {
		t.Fatal(err)
	}
	if want := "a\n" + countsBegin + "\nnew\n" + countsEnd + "\nb\n"; string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestParseBatchErrors(t *testing.T) {
	g, err := newGenerator(repoRoot())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, in string }{
		{"caption before header", "蟑螂来了\n"},
		{"unknown kind", "@ rude protesters none\n蟑螂来了\n"},
		{"unknown target", "@ hostile aliens none\n滚出去\n"},
		{"metaphor on negative", "@ literal none vermin\n厨房有蟑螂\n"},
		{"no metaphor on dehumanizing", "@ dehumanizing protesters none\n蟑螂来了\n"},
		{"dehumanizing without target", "@ dehumanizing none vermin\n蟑螂来了\n"},
		{"late split", "@ literal none none\n厨房有蟑螂\n%split heldout\n"},
		{"too short", "@ literal none none\n虫\n"},
		{"too long", "@ literal none none\n" + strings.Repeat("长", 121) + "\n"},
		{"bad UTF-8", "@ literal none none\n\xff\xfe蟑螂\n"},
	} {
		if _, err := g.parseBatch("x.txt", strings.NewReader(c.in)); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
	exs, err := g.parseBatch("h99.txt", strings.NewReader("# c\n%split heldout\n@ hostile police none\n#黑警 滥权\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(exs) != 1 || exs[0].Text != "#黑警 滥权" || exs[0].Batch != "heldout/h99" || exs[0].Offensive != 1 || exs[0].Dehumanizing != 0 {
		t.Errorf("got %+v", exs)
	}
}

func FuzzParseBatch(f *testing.F) {
	g, err := newGenerator(repoRoot())
	if err != nil {
		f.Fatal(err)
	}
	f.Add("@ dehumanizing protesters vermin\n啲曱甴又出嚟\n")
	f.Add("%split heldout\n@ literal none none\n厨房有🪳\n# note\n")
	f.Add("@ hostile people none\n你 个 蠢货\n@ neutral none none\nＺＨＡＮＧ\n")
	f.Add("@ a b c d\n")
	f.Fuzz(func(t *testing.T, in string) {
		exs, err := g.parseBatch("f.txt", strings.NewReader(in))
		if err != nil {
			return
		}
		for _, ex := range exs {
			if (ex.Dehumanizing == 1) != (ex.Kind == "dehumanizing") || (ex.Metaphor == "none") == (ex.Kind == "dehumanizing") {
				t.Fatalf("inconsistent labels: %+v", ex)
			}
			if !utf8.ValidString(ex.Text) || ex.Text != strings.TrimSpace(ex.Text) {
				t.Fatalf("bad text %q", ex.Text)
			}
			switch ex.Obfuscation {
			case "none", "homophone", "spaced", "pinyin", "emoji", "mixed":
			default:
				t.Fatalf("obfuscation %q", ex.Obfuscation)
			}
		}
	})
}

func FuzzJoinSpaced(f *testing.F) {
	for _, s := range []string{"蟑 螂", "黄·尸", "a b", "蟑 ", " 螂", "蟑 - 螂 * 又", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return // captions are checked to be UTF-8 before they get here
		}
		j := joinSpaced(s)
		if len(j) > len(s) {
			t.Fatalf("joinSpaced(%q) = %q grew", s, j)
		}
		if joinSpaced(j) != j {
			t.Fatalf("joinSpaced not idempotent on %q: %q then %q", s, j, joinSpaced(j))
		}
	})
}
