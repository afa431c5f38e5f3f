package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEvalLabelled(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.jsonl")
	data := `{"text":"啲甲由又出嚟搞事","dehumanizing":1,"kind":"dehumanizing"}
{"text":"黃屍廢青又喺度搞破壞","dehumanizing":1,"kind":"dehumanizing"}
{"text":"今天天气很好","dehumanizing":0,"kind":"neutral"}
{"text":"厨房里发现了一只蟑螂","dehumanizing":0,"kind":"literal"}
`
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCmd(t, "", "eval", "--data", path, "--group-col", "kind")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"4 captions", "precision", "macro-F1", "gold 0", "gold 1", "worst false positives", "flagged by group", "literal"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestEvalUnlabelledAndErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.csv")
	if err := os.WriteFile(path, []byte("tweet_text\n黃屍廢青\n今天天气很好\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCmd(t, "", "eval", "--data", path, "--text-col", "tweet_text", "--label-col", "none")
	if code != exitOK || !strings.Contains(out, "flagged 1 of 2") {
		t.Fatalf("exit %d, out %q, err %q", code, out, errs)
	}
	for _, args := range [][]string{
		{"eval"},
		{"eval", "--data", path, "--output", "rude"},
		{"eval", "--data", path, "--text-col", "nope"},
		{"eval", "--data", filepath.Join(t.TempDir(), "x.txt")},
	} {
		if code, _, _ := runCmd(t, "", args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
}
