package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// The committed split files must be exactly what the generator makes from
// the committed batches and tables.
func TestCommittedSplitsAreCurrent(t *testing.T) {
	root := filepath.Join("..", "..", "..")
	got, err := Build(root)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Build(root)
	if err != nil {
		t.Fatal(err)
	}
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
	g, err := newGenerator(filepath.Join("..", "..", ".."))
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
	root := filepath.Join("..", "..", "..")
	out, err := Build(root)
	if err != nil {
		t.Fatal(err)
	}
	counts, err := Counts(out)
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
