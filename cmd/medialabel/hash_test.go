package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/medialabel/medialabel"
	"github.com/medialabel/medialabel/fingerprint"
	"github.com/medialabel/medialabel/hashlist"
	"github.com/medialabel/medialabel/imagefile/imagetest"
)

// runHashCmd runs the command line in-process and returns its exit status
// and output.
func runHashCmd(t testing.TB, stdin io.Reader, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, stdin, &out, &errb)
	return code, out.String(), errb.String()
}

// writeFiles writes the test files into dir.
func writeFiles(t testing.TB, dir string, files []imagetest.File) {
	t.Helper()
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestHashGolden runs the command over a folder of generated files of
// every format, with hostile ones among them, in each output format.
func TestHashGolden(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, dir, imagetest.Valid())
	writeFiles(t, sub, imagetest.Hostile())
	golden, err := filepath.Abs(filepath.Join("testdata", "hash"))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"default.jsonl", []string{"hash", "--progress", "never", "."}, 1},
		{"all.jsonl", []string{"hash", "--signals", "sha256,ahash,dhash,phash,md5,pdq", "--dihedral", "colour.jpg", "sub/truncated.png", "rgb.png"}, 1},
		{"all.csv", []string{"hash", "--format", "csv", "--signals", "md5,pdq,dhash", "--dihedral", "colour.jpg", "sub/truncated.png", "rgb.png"}, 1},
		{"pdq.te", []string{"hash", "--format", "te", "--signals", "pdq,sha256", "--workers", "1", "."}, 1},
		{"ok.jsonl", []string{"hash", "--workers", "3", "grey.png", "picture.gif", "grey.png"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runHashCmd(t, nil, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, errOut)
			}
			checkGolden(t, golden, tt.name, out)
			if strings.HasSuffix(tt.name, ".te") && !strings.Contains(errOut, "sub/huge.jpg: image too large") {
				t.Errorf("te mode: errors not on stderr:\n%s", errOut)
			}
		})
	}
}

func TestHashUsage(t *testing.T) {
	tests := [][]string{
		{"hash"},
		{"hash", "--signals", "pdq,crc32", "x.jpg"},
		{"hash", "--signals", "pdq,pdq", "x.jpg"},
		{"hash", "--signals", "", "x.jpg"},
		{"hash", "--signals", "phash", "--dihedral", "x.jpg"},
		{"hash", "--format", "xml", "x.jpg"},
		{"hash", "--workers", "0", "x.jpg"},
		{"hash", "--progress", "sometimes", "x.jpg"},
		{"hash", "--max-pixels", "0", "x.jpg"},
		{"hash", "--nope", "x.jpg"},
	}
	for _, args := range tests {
		code, out, errOut := runHashCmd(t, nil, args...)
		if code != exitUsage {
			t.Errorf("%q: exit %d, want %d", args, code, exitUsage)
		}
		if out != "" || !strings.HasPrefix(errOut, "medialabel: ") || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%q: stdout %q, stderr %q; want one error line on stderr", args, out, errOut)
		}
	}
}

// TestHashHostile is the acceptance test for bad inputs: each gives an
// error record quickly, the run goes on and exits 1.
func TestHashHostile(t *testing.T) {
	dir := t.TempDir()
	files := imagetest.Hostile()
	writeFiles(t, dir, files)
	for _, f := range files {
		t.Run(f.Name, func(t *testing.T) {
			path := filepath.Join(dir, f.Name)
			start := time.Now()
			code, out, _ := runHashCmd(t, nil, "hash", "--signals", "pdq,phash,dhash,ahash,md5,sha256", "--dihedral", path)
			if el := time.Since(start); el > time.Second {
				t.Errorf("took %v", el)
			}
			if code != exitPartial {
				t.Errorf("exit %d, want 1", code)
			}
			var rec struct{ Path, Error string }
			if err := json.Unmarshal([]byte(out), &rec); err != nil {
				t.Fatalf("output %q: %v", out, err)
			}
			if rec.Path != path || rec.Error == "" || strings.Contains(rec.Error, "panic") {
				t.Errorf("record %+v", rec)
			}
			t.Logf("%s: %s", f.Name, rec.Error)
		})
	}
	// All at once, mixed with a good file: the good one is still hashed.
	writeFiles(t, dir, imagetest.Valid()[:1])
	code, out, _ := runHashCmd(t, nil, "hash", dir)
	if code != exitPartial || strings.Count(out, "\n") != len(files)+1 || strings.Count(out, `"pdq":`) != 1 {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
}

// TestHashStdinStreams feeds paths through a pipe and reads each record
// before writing the next path: the command must hash as paths come, not
// after reading them all.
func TestHashStdinStreams(t *testing.T) {
	dir := t.TempDir()
	files := imagetest.Valid()
	writeFiles(t, dir, files)
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan int)
	go func() {
		code := run(context.Background(), []string{"hash", "--workers", "2", "--signals", "md5", "-"}, inR, outW, io.Discard)
		outW.Close()
		done <- code
	}()
	lines := bufio.NewScanner(outR)
	for _, f := range files {
		fmt.Fprintln(inW, filepath.Join(dir, f.Name))
		// The record must come while stdin is still open: paths are
		// hashed as they arrive, not after the list ends.
		got := make(chan string)
		go func() {
			if lines.Scan() {
				got <- lines.Text()
			}
			close(got)
		}()
		select {
		case line := <-got:
			if !strings.Contains(line, f.Name) || !strings.Contains(line, `"md5"`) {
				t.Errorf("record %s for %s", line, f.Name)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("no record for %s while stdin is still open", f.Name)
		}
	}
	inW.Close()
	if code := <-done; code != exitOK {
		t.Errorf("exit %d", code)
	}
}

// hashChildEnv names the variable that makes TestHashChild run the command
// as a child process.
const hashChildEnv = "MEDIALABEL_HASH_CHILD_ARGS"

// TestHashChild is not a test: it is the child process of
// TestHashPeakMemory, running the command with the arguments in its
// environment. Run normally, it returns at once.
func TestHashChild(t *testing.T) {
	args := os.Getenv(hashChildEnv)
	if args == "" {
		return
	}
	os.Exit(run(context.Background(), strings.Split(args, "\x1f"), os.Stdin, os.Stdout, os.Stderr))
}

// TestHashPeakMemory runs the command over the hostile files and a large
// photograph in a child process and checks its peak resident memory.
func TestHashPeakMemory(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, imagetest.Hostile())
	photo := filepath.Join("..", "..", "testdata", "photos", "debian-plasma-workspace-wallpapers", "Kite-2560x1600.jpg")
	args := []string{"hash", "--signals", "pdq,phash,dhash,ahash,md5,sha256", "--dihedral", "--workers", "2", dir, photo}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHashChild$")
	cmd.Env = append(os.Environ(), hashChildEnv+"="+strings.Join(args, "\x1f"))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != exitPartial {
		t.Fatalf("child: %v, want exit status 1; stderr:\n%s", err, errb.String())
	}
	if n := strings.Count(out.String(), `"error"`); n != len(imagetest.Hostile()) {
		t.Errorf("%d error records, want %d:\n%s", n, len(imagetest.Hostile()), out.String())
	}
	if !strings.Contains(out.String(), `"pdq_dihedral"`) {
		t.Errorf("the photograph was not hashed:\n%s", out.String())
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		t.Fatalf("no resource usage for the child on this platform")
	}
	peak := ru.Maxrss << 10 // kilobytes on Linux
	t.Logf("child peak RSS %d MB", peak>>20)
	if peak > 400<<20 {
		t.Errorf("child peak RSS %d MB, want under 400 MB", peak>>20)
	}
}

// BenchmarkHashCommand hashes a folder of 24 640x480 JPEGs with the
// default signals, on one worker and on two.
func BenchmarkHashCommand(b *testing.B) {
	dir := b.TempDir()
	for i := range 24 {
		data := imagetest.JPEG(imagetest.Picture(640, 480, uint64(i)))
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%02d.jpg", i)), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	for _, workers := range []string{"1", "2"} {
		b.Run("workers="+workers, func(b *testing.B) {
			for b.Loop() {
				args := []string{"hash", "--progress", "never", "--workers", workers, dir}
				if code := run(context.Background(), args, nil, io.Discard, io.Discard); code != 0 {
					b.Fatalf("exit %d", code)
				}
			}
		})
	}
}

// TestHashFast hashes a large photograph and a small generated JPEG with
// and without --fast: the photograph's hashes move, within the bounds the
// flag documents; the small picture, not reduced, has the same PDQ.
func TestHashFast(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small.jpg")
	if err := os.WriteFile(small, imagetest.JPEG(imagetest.Picture(640, 480, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	photo := filepath.Join("..", "..", "testdata", "photos", "debian-plasma-workspace-wallpapers", "Kite-2560x1600.jpg")
	// A record as db import reads it, with the picture's width.
	type record struct {
		hashlist.Record
		width int
	}
	hashes := func(extra ...string) []record {
		args := append([]string{"hash", "--progress", "never", "--signals", "pdq,phash", "--workers", "1"}, extra...)
		code, out, errOut := runHashCmd(t, nil, append(args, photo, small)...)
		if code != 0 {
			t.Fatalf("%v: exit %d:\n%s", extra, code, errOut)
		}
		var recs []record
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			r, err := hashlist.ParseLine([]byte(line))
			if err != nil {
				t.Fatalf("%q: %v", line, err)
			}
			var size struct{ Width int }
			if err := json.Unmarshal([]byte(line), &size); err != nil {
				t.Fatalf("%q: %v", line, err)
			}
			recs = append(recs, record{r, size.Width})
		}
		if len(recs) != 2 {
			t.Fatalf("%d records, want 2:\n%s", len(recs), out)
		}
		return recs
	}
	full, fast := hashes(), hashes("--fast")
	for i, bound := range []struct{ pdq, phash int }{
		{fingerprint.FastPDQBound, fingerprint.FastPHashBound}, // the photograph, decoded at 1/2
		{0, fingerprint.FastPHashBound},                        // 640x480: not reduced (pHash on a halved copy)
	} {
		for _, c := range []struct {
			sig   medialabel.Signal
			bound int
		}{{medialabel.PDQ, bound.pdq}, {medialabel.PHash, bound.phash}} {
			a, _ := hashOf(full[i].Hashes, c.sig)
			b, _ := hashOf(fast[i].Hashes, c.sig)
			d, err := medialabel.Distance(a, b)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %s distance %d", full[i].Path, c.sig, d)
			if d > c.bound {
				t.Errorf("%s: --fast %s at distance %d, the flag documents at most %d", full[i].Path, c.sig, d, c.bound)
			}
		}
		if full[i].width == 0 || full[i].width != fast[i].width {
			t.Errorf("%s: width %d with --fast, %d without", full[i].Path, fast[i].width, full[i].width)
		}
	}
	if a, b := full[0].Hashes[0], fast[0].Hashes[0]; a.String() == b.String() {
		t.Errorf("--fast left the photograph's PDQ unchanged (%s): was it decoded at reduced scale?", a)
	}
}

// hashOf returns the hash of signal s among hs.
func hashOf(hs []medialabel.Hash, s medialabel.Signal) (medialabel.Hash, bool) {
	return medialabel.Fingerprint{Hashes: hs}.Hash(s)
}
