package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medialabel/medialabel"
)

func runCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestClassifyArgs(t *testing.T) {
	code, out, errs := runCmd(t, "", "classify", "啲甲由又出嚟搞事", "今天天气很好")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), out)
	}
	var first, second medialabel.CaptionScore
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &second); err != nil {
		t.Fatal(err)
	}
	if first.Text != "啲甲由又出嚟搞事" || first.Label != medialabel.LabelDehumanizing || len(first.Evidence) == 0 {
		t.Errorf("first = %+v", first)
	}
	if second.Label != medialabel.LabelNone {
		t.Errorf("second = %+v", second)
	}
	if !strings.Contains(lines[1], `"evidence":[]`) {
		t.Errorf("no empty evidence list in %s", lines[1])
	}
}

func TestClassifyStdin(t *testing.T) {
	long := strings.Repeat("猪", maxCaptionLine/3+10)
	code, out, errs := runCmd(t, "黃屍廢青\n\n"+long+"\n今天天气很好", "classify", "--format", "text")
	if code != exitPartial {
		t.Fatalf("exit %d, want %d (one line too long): %s", code, exitPartial, errs)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3 (the long one skipped):\n%q", len(lines), out)
	}
	if !strings.HasPrefix(lines[0], "dehumanizing\t") || !strings.HasPrefix(lines[1], "none\t") || !strings.HasSuffix(strings.Split(lines[2], "\t")[3], "今天天气很好") {
		t.Errorf("unexpected output:\n%s", out)
	}
	if !strings.Contains(errs, "line 3") {
		t.Errorf("stderr does not name line 3: %q", errs)
	}
}

func TestClassifyUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"classify", "--format", "xml", "x"},
		{"classify", "--model", filepath.Join(t.TempDir(), "missing.onnx"), "x"},
	} {
		if code, _, _ := runCmd(t, "", args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.onnx")
	if err := os.WriteFile(bad, []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCmd(t, "", "classify", "--model", bad, "x"); code != exitUsage || !strings.Contains(errs, "bad.onnx") {
		t.Errorf("corrupt model: exit %d, stderr %q", code, errs)
	}
}
