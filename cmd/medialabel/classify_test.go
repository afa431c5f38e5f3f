package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 4 (one for each input line):\n%q", len(lines), out)
	}
	if !strings.HasPrefix(lines[0], "dehumanizing\t") || !strings.HasPrefix(lines[1], "none\t") ||
		lines[2] != fmt.Sprintf("error\t\t\tline 3: caption longer than %d bytes\t", maxCaptionLine) ||
		!strings.HasSuffix(strings.Split(lines[3], "\t")[3], "今天天气很好") {
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

// FuzzReadLine checks readLine, which splits stdin for classify and
// match --hashes, against strings.Split: every line comes back without its
// end of line, or flagged as too long, whatever the buffer boundaries.
func FuzzReadLine(f *testing.F) {
	for _, s := range []string{"", "a", "a\n", "abc\r\ndef", "\n\n", "0123456789abcdef\nx", "0123456\r\n01234567\r", "\r\r\n"} {
		f.Add(s, 8)
	}
	f.Fuzz(func(t *testing.T, data string, max int) {
		if max < 0 || max > 64 {
			return
		}
		want := strings.Split(data, "\n")
		if strings.HasSuffix(data, "\n") || data == "" {
			want = want[:len(want)-1]
		}
		br := bufio.NewReaderSize(strings.NewReader(data), 16)
		for i := 0; ; i++ {
			line, tooLong, err := readLine(br, max)
			if errors.Is(err, io.EOF) {
				if i != len(want) {
					t.Fatalf("%d lines, want %d (%q)", i, len(want), want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if i >= len(want) {
				t.Fatalf("line %d %q: more lines than %d", i+1, line, len(want))
			}
			w := want[i]
			if i < len(want)-1 || strings.HasSuffix(data, "\n") {
				w = strings.TrimSuffix(w, "\r")
			}
			if tooLong != (len(w) > max) || (!tooLong && line != w) {
				t.Fatalf("line %d: %q, too long %v; want %q (max %d)", i+1, line, tooLong, w, max)
			}
		}
	})
}
