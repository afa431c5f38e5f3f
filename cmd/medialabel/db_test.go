package main

import (
	"bytes"
	"context"
	"fmt"
	"image/jpeg"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/medialabel/medialabel/hashdb"
	"github.com/medialabel/medialabel/regions"
)

// Test images in the repository: a photo (BSD, scikit-image) and a
// featureless picture from the PDQ reference data (BSD), whose crops are
// of too low a quality to be stored.
const (
	dbImageA = "../../testdata/photos/debian-python3-skimage/rocket.jpg"
	dbImageB = "../../testdata/pdq-reference/pdq-data/misc-images/small.jpg"
)

var (
	dbPDQ = strings.Repeat("f8", 32)
	dbMD5 = strings.Repeat("d4", 16)
)

// dbRun runs medialabel with --db path and returns its exit status,
// stdout and stderr.
func dbRun(t *testing.T, path, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"--db", path}, args...), strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// dbMustRun is dbRun that fails the test on a non-zero exit status.
func dbMustRun(t *testing.T, path, stdin string, args ...string) string {
	t.Helper()
	code, out, errs := dbRun(t, path, stdin, args...)
	if code != 0 {
		t.Fatalf("medialabel %s: exit %d\n%s", strings.Join(args, " "), code, errs)
	}
	return out
}

var (
	uuidRE    = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	createdRE = regexp.MustCompile(`"created":"[^"]+"`)
)

// normalise replaces ids (numbered by first appearance) and times, which
// change from run to run.
func normalise(s string) string {
	ids := map[string]string{}
	s = uuidRE.ReplaceAllStringFunc(s, func(id string) string {
		if _, ok := ids[id]; !ok {
			ids[id] = fmt.Sprintf("ID%d", len(ids)+1)
		}
		return ids[id]
	})
	return createdRE.ReplaceAllString(s, `"created":"TIME"`)
}

func TestDBAddListExportRm(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ml.db")
	out := dbMustRun(t, path, "", "db", "add", "--bank", "hk2019", "--label", "hk2019.cockroach", "--note", "seen on a forum",
		"--hash", "pdq:"+dbPDQ, "--hash", "md5:"+dbMD5)
	bare := strings.TrimSpace(out)
	if !uuidRE.MatchString(bare) || strings.Contains(bare, "\n") {
		t.Fatalf("db add --hash printed %q, want one id", out)
	}
	// Two images and one file that is not an image: the images are
	// added, the failure is reported, the exit status is 1.
	code, out, errs := dbRun(t, path, "", "db", "add", "--bank", "hk2019", "--label", "hk2019.photo", dbImageA, "../../testdata/README.md", dbImageB)
	if code != exitPartial || !strings.Contains(errs, "testdata/README.md") || len(strings.Fields(out)) != 2 {
		t.Fatalf("db add with a bad file: exit %d, stdout %q, stderr %q; want 1, two ids, the bad file named", code, out, errs)
	}
	imageIDs := strings.Fields(out)

	checkGolden(t, dbGolden, "banks.txt", dbMustRun(t, path, "", "db", "banks"))
	checkGolden(t, dbGolden, "banks.jsonl", dbMustRun(t, path, "", "db", "banks", "--format", "jsonl"))
	list := dbMustRun(t, path, "", "db", "list", "--bank", "hk2019")
	checkGolden(t, dbGolden, "list.jsonl", normalise(list))
	checkGolden(t, dbGolden, "export.te", dbMustRun(t, path, "", "db", "export", "--bank", "hk2019", "--format", "te"))
	export := dbMustRun(t, path, "", "db", "export", "--bank", "hk2019", "--format", "jsonl")
	checkGolden(t, dbGolden, "export.jsonl", export)

	// The entries from images carry crop hashes (centre and four sides at
	// each crop level, then any regions found) and a thumbnail of at
	// most 256 pixels a side.
	db, err := hashdb.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e, err := db.Entry(context.Background(), "hk2019", imageIDs[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Regions) < 5*len(regions.DefaultCuts()) || e.Source != dbImageA {
		t.Errorf("entry from %s: regions %v, source %q", dbImageA, e.Regions, e.Source)
	}
	if e2, err := db.Entry(context.Background(), "hk2019", imageIDs[1]); err != nil || len(e2.Regions) != 0 {
		t.Errorf("entry from %s: regions %v, %v; want none, all being of low quality", dbImageB, e2.Regions, err)
	}
	img, err := jpeg.Decode(bytes.NewReader(e.Thumbnail))
	if err != nil {
		t.Fatalf("thumbnail: %v", err)
	}
	if b := img.Bounds(); max(b.Dx(), b.Dy()) != 256 {
		t.Errorf("thumbnail %v, want a longest side of 256", b)
	}

	// An export imports back into another bank as the same entries.
	dbMustRun(t, path, export, "db", "import", "--bank", "copy", "-")
	copied := dbMustRun(t, path, "", "db", "list", "--bank", "copy")
	strip := regexp.MustCompile(`"id":"[^"]+",|"created":"[^"]+",`)
	if strip.ReplaceAllString(copied, "") != strip.ReplaceAllString(list, "") {
		t.Errorf("import of the export:\n%s\nwant\n%s", copied, list)
	}

	// rm: one missing id is reported, the others are removed.
	code, out, errs = dbRun(t, path, "", "db", "rm", "--bank", "hk2019", bare, "0190b5e4-0000-7000-8000-000000000000", imageIDs[0])
	if code != exitPartial || out != bare+"\n"+imageIDs[0]+"\n" || !strings.Contains(errs, "no entry 0190b5e4-0000-7000-8000-000000000000 in bank hk2019") {
		t.Errorf("db rm: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if got := dbMustRun(t, path, "", "db", "banks"); got != "copy\t3\nhk2019\t1\n" {
		t.Errorf("banks after rm:\n%s", got)
	}
	// Removing the last entry keeps the bank.
	dbMustRun(t, path, "", "db", "rm", "--bank", "hk2019", imageIDs[1])
	if got := dbMustRun(t, path, "", "db", "banks"); got != "copy\t3\nhk2019\t0\n" {
		t.Errorf("banks after removing the last entry:\n%s", got)
	}
}

func TestDBImport(t *testing.T) {
	te := "# hk2019 list\npdq " + dbPDQ + "\n\nmd5 " + dbMD5 + "\n"
	jsonl := `{"path":"a.jpg","format":"jpeg","width":10,"height":10,"pdq":"` + dbPDQ + `","pdq_quality":93,"phash":"` + dbPDQ[:16] + `","md5":"` + dbMD5 + `"}` + "\n" +
		`{"path":"b.jpg","pdq":"` + dbPDQ + `","pdq_quality":40,"pdq_dihedral":{"flipx":"` + dbPDQ + `"}}` + "\n"
	dir := t.TempDir()
	file := filepath.Join(dir, "list.te")
	if err := os.WriteFile(file, []byte(te), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "ml.db")
	dbMustRun(t, path, "", "db", "import", "--bank", "te", file)
	dbMustRun(t, path, "", "db", "import", "--bank", "te", "--label", "te.labelled", file)
	dbMustRun(t, path, jsonl, "db", "import", "--bank", "json", "-")
	checkGolden(t, dbGolden, "import-te.jsonl", normalise(dbMustRun(t, path, "", "db", "list", "--bank", "te")))
	checkGolden(t, dbGolden, "import-json.jsonl", normalise(dbMustRun(t, path, "", "db", "list", "--bank", "json")))
	before := dbMustRun(t, path, "", "db", "banks")

	// Each bad list is rejected whole, with its line, and changes nothing.
	for _, tc := range []struct {
		name, in, want string
	}{
		{"short hash", te + "pdq abc\n", "line 5: pdq hash \"abc\": want 64 hex characters, got 3"},
		{"error record", jsonl + `{"path":"c.jpg","error":"not an image"}` + "\n", "line 3: c.jpg: a failed file, not hashes: not an image"},
		{"bad label", `{"label":"` + strings.Repeat("x", 300) + `","pdq":"` + dbPDQ + `"}`, "line 1: invalid entry: label longer than 256 bytes"},
		{"long line", te + strings.Repeat("#", 70000) + "\n", "line 5: line longer than 65536 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := dbRun(t, path, tc.in, "db", "import", "--bank", "te", "-")
			want := "medialabel: import stdin: " + tc.want
			if code != exitPartial || !strings.HasPrefix(errs, want) || !strings.Contains(errs, "nothing imported") {
				t.Errorf("exit %d, stderr %q; want 1 and %q", code, errs, want)
			}
		})
	}
	if after := dbMustRun(t, path, "", "db", "banks"); after != before {
		t.Errorf("banks after failed imports:\n%s\nwant\n%s", after, before)
	}
	code, _, errs := dbRun(t, path, "", "db", "import", "--bank", "te", filepath.Join(dir, "missing.te"))
	if code != exitPartial || !strings.Contains(errs, "missing.te") {
		t.Errorf("missing file: exit %d, stderr %q", code, errs)
	}
}

func TestDBUsage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ml.db")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no subcommand", []string{"db"}, exitUsage, "a subcommand is needed"},
		{"add without bank", []string{"db", "add", "--label", "l", "--hash", "pdq:" + dbPDQ}, exitUsage, "--bank is required"},
		{"add without label", []string{"db", "add", "--bank", "b", "--hash", "pdq:" + dbPDQ}, exitUsage, "--label is required"},
		{"add nothing", []string{"db", "add", "--bank", "b", "--label", "l"}, exitUsage, "nothing to add"},
		{"bad bank", []string{"db", "add", "--bank", "a/b", "--label", "l", "--hash", "pdq:" + dbPDQ}, exitUsage, "--bank: invalid bank name \"a/b\""},
		{"bad hash", []string{"db", "add", "--bank", "b", "--label", "l", "--hash", "pdq:abc"}, exitUsage, "--hash: pdq hash \"abc\": want 64 hex characters"},
		{"bad signal", []string{"db", "add", "--bank", "b", "--label", "l", "--signals", "pdq,tmk", "x.jpg"}, exitUsage, "--signals: unknown signal \"tmk\""},
		{"signal twice", []string{"db", "add", "--bank", "b", "--label", "l", "--signals", "pdq,md5,pdq", "x.jpg"}, exitUsage, "--signals: pdq given twice"},
		{"bad export format", []string{"db", "export", "--bank", "b", "--format", "csv"}, exitUsage, "--format: unknown hash-list format \"csv\""},
		{"bad banks format", []string{"db", "banks", "--format", "csv"}, exitUsage, "--format \"csv\""},
		{"import without file", []string{"db", "import", "--bank", "b"}, exitUsage, "accepts 1 arg"},
		{"rm without ids", []string{"db", "rm", "--bank", "b"}, exitUsage, "requires at least 1 arg"},
		{"list missing bank", []string{"db", "list", "--bank", "nope"}, exitPartial, "bank \"nope\": not found"},
		{"export missing bank", []string{"db", "export", "--bank", "nope"}, exitPartial, "bank \"nope\": not found"},
		{"rm missing entry", []string{"db", "rm", "--bank", "nope", "x"}, exitPartial, "no entry x in bank nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := dbRun(t, path, "", tc.args...)
			if code != tc.code || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errs, tc.code, tc.want)
			}
		})
	}
	code, _, errs := dbRun(t, "postgres://localhost/ml", "", "db", "banks")
	if code != exitUsage || !strings.Contains(errs, "PostgreSQL backend not available") {
		t.Errorf("postgres store: exit %d, stderr %q", code, errs)
	}
	// Nothing above created a bank.
	if got := dbMustRun(t, path, "", "db", "banks"); got != "" {
		t.Errorf("banks after failed commands: %q", got)
	}
}

// BenchmarkDBImport measures `db import` of a te list end to end, from
// parsing to commit (ns/op is per line).
func BenchmarkDBImport(b *testing.B) {
	var list bytes.Buffer
	for i := range b.N {
		fmt.Fprintf(&list, "pdq %064x\n", uint64(i)*0x9e3779b97f4a7c15)
	}
	path := filepath.Join(b.TempDir(), "ml.db")
	b.ResetTimer()
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"--db", path, "--log-level", "warn", "db", "import", "--bank", "bench", "-"}, &list, &out, &errb); code != 0 {
		b.Fatalf("exit %d: %s", code, errb.String())
	}
}
