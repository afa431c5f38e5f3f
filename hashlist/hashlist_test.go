package hashlist

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/medialabel/medialabel"
)

var (
	pdqHex = strings.Repeat("f8", 32)
	phHex  = strings.Repeat("9c", 8)
	md5Hex = strings.Repeat("d4", 16)
)

// readAll reads every record, or returns the first error.
func readAll(s string) ([]Record, Format, error) {
	r := NewReader(strings.NewReader(s))
	var recs []Record
	for rec, err := range r.All() {
		if err != nil {
			return recs, r.Format(), err
		}
		recs = append(recs, rec)
	}
	return recs, r.Format(), nil
}

// brief renders records for comparison.
func brief(recs []Record) string {
	var b strings.Builder
	for _, r := range recs {
		fmt.Fprintf(&b, "%d %q %q %v q=%d", r.Line, r.Path, r.Label, r.Hashes, r.PDQQuality)
		if len(r.Regions) > 0 {
			fmt.Fprintf(&b, " regions=%v", r.Regions)
		}
		if len(r.Dihedral) > 0 {
			fmt.Fprintf(&b, " dihedral=%d", len(r.Dihedral))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func TestRead(t *testing.T) {
	for _, tc := range []struct {
		name   string
		in     string
		format Format
		want   string
	}{
		{"te", "pdq " + pdqHex + "\nphash\t" + phHex + "\n", TE,
			"1 \"\" \"\" [pdq:" + pdqHex + "] q=-1\n2 \"\" \"\" [phash:" + phHex + "] q=-1\n"},
		{"te with comments, blank lines, CRLF, BOM, no final newline",
			"\xef\xbb\xbf# bank hk2019\r\n\r\n  PDQ   " + strings.ToUpper(pdqHex) + "  \r\n#x\nHASH_MD5 " + md5Hex, TE,
			"3 \"\" \"\" [pdq:" + pdqHex + "] q=-1\n5 \"\" \"\" [md5:" + md5Hex + "] q=-1\n"},
		{"te, SIGNAL:HEX", "pdq:" + pdqHex + "\n", TE, "1 \"\" \"\" [pdq:" + pdqHex + "] q=-1\n"},
		{"jsonl from hash",
			`{"path":"a.jpg","format":"jpeg","width":10,"height":20,"pdq":"` + pdqHex + `","pdq_quality":93,"phash":"` + phHex + `","md5":"` + md5Hex + `"}` + "\n" +
				"\n" + `{"path":"b.png","pdq":"` + pdqHex + `","pdq_quality":0,"pdq_dihedral":{"rotate90":"` + pdqHex + `","flipx":"` + pdqHex + `"}}`,
			JSONL,
			"1 \"a.jpg\" \"\" [pdq:" + pdqHex + " phash:" + phHex + " md5:" + md5Hex + "] q=93\n" +
				"3 \"b.png\" \"\" [pdq:" + pdqHex + "] q=0 dihedral=2\n"},
		{"jsonl from export", `{"id":"x","label":"hk2019.cockroach","note":"n","source":"s","created":"2026-01-02T03:04:05.5Z","md5":"` + md5Hex + `","regions":[{"region":"centre85","hash":"pdq:` + pdqHex + `"}]}`, JSONL,
			"1 \"\" \"hk2019.cockroach\" [md5:" + md5Hex + "] q=-1 regions=[{centre85 pdq:" + pdqHex + "}]\n"},
		{"empty", "", "", ""},
		{"only comments", "# nothing\n\n", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, f, err := readAll(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if f != tc.format {
				t.Errorf("format %q, want %q", f, tc.format)
			}
			if got := brief(recs); got != tc.want {
				t.Errorf("records:\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
	recs, _, _ := readAll(`{"id":"x","label":"l","created":"2026-01-02T03:04:05.5+01:00","md5":"` + md5Hex + `","note":"n","source":"s"}`)
	want := time.Date(2026, 1, 2, 2, 4, 5, 5e8, time.UTC)
	if len(recs) != 1 || recs[0].ID != "x" || recs[0].Note != "n" || recs[0].Source != "s" || !recs[0].Created.Equal(want) || recs[0].Created.Location() != time.UTC {
		t.Errorf("export record read as %+v", recs)
	}
}

func TestReadErrors(t *testing.T) {
	long := strings.Repeat("a", MaxLineBytes+1)
	for _, tc := range []struct {
		name string
		in   string
		want string
	}{
		{"short pdq", "pdq " + pdqHex + "\n\npdq abc\n", `line 3: pdq hash "abc": want 64 hex characters, got 3`},
		{"not hex", "pdq " + strings.Repeat("zz", 32), `line 1: pdq hash "` + strings.Repeat("zz", 32) + `": not hexadecimal`},
		{"unknown signal", "tmk " + pdqHex, `line 1: unknown signal "tmk"`},
		{"one field", "pdq", "line 1: want SIGNAL HEX"},
		{"three fields", "pdq " + pdqHex + " extra", "line 1: want SIGNAL HEX, got more than two fields"},
		{"json in te", "pdq " + pdqHex + "\n{\"pdq\":\"" + pdqHex + "\"}", "line 2: want SIGNAL HEX (the list is te"},
		{"te in jsonl", `{"pdq":"` + pdqHex + "\"}\npdq " + pdqHex, "line 2: want a JSON object (the list is jsonl)"},
		{"error record", `{"path":"x.jpg","error":"not an image"}`, "line 1: x.jpg: a failed file, not hashes: not an image"},
		{"bad json", `{"pdq":`, "line 1: bad JSON"},
		{"no hashes", `{"path":"a.jpg","format":"jpeg"}`, "line 1: no hashes"},
		{"wrong type", `{"pdq":5}`, "line 1: bad JSON"},
		{"bad quality", `{"pdq":"` + pdqHex + `","pdq_quality":101}`, "line 1: pdq_quality 101: want 0 to 100"},
		{"quality alone", `{"md5":"` + md5Hex + `","pdq_quality":50}`, "line 1: pdq_quality without pdq"},
		{"bad dihedral", `{"pdq":"` + pdqHex + `","pdq_dihedral":{"spin":"` + pdqHex + `"}}`, `line 1: pdq_dihedral: unknown transform "spin"`},
		{"bad region", `{"pdq":"` + pdqHex + `","regions":[{"region":"c","hash":"pdq:ab"}]}`, "line 1: region c: pdq hash \"ab\""},
		{"bad created", `{"created":"yesterday","pdq":"` + pdqHex + `"}`, `line 1: created "yesterday"`},
		{"long line", "pdq " + pdqHex + "\n" + long + "\n", "line 2: line longer than 65536 bytes"},
		{"long last line", long, "line 1: line longer than 65536 bytes"},
		{"very long line", "# " + strings.Repeat("x", 10*MaxLineBytes), "line 1: line longer than 65536 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := readAll(tc.in)
			var le *LineError
			if err == nil || !errors.As(err, &le) || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("err = %v, want a *LineError starting %q", err, tc.want)
			}
		})
	}
}

func TestMaxLineAccepted(t *testing.T) {
	// A comment line of exactly MaxLineBytes is fine.
	in := "#" + strings.Repeat("x", MaxLineBytes-1) + "\npdq " + pdqHex + "\n"
	recs, _, err := readAll(in)
	if err != nil || len(recs) != 1 || recs[0].Line != 2 {
		t.Fatalf("records %v, err %v", brief(recs), err)
	}
}

func TestErrorIsSticky(t *testing.T) {
	r := NewReader(strings.NewReader("pdq x\npdq " + pdqHex + "\n"))
	_, err1 := r.Read()
	_, err2 := r.Read()
	if err1 == nil || err2 != err1 {
		t.Errorf("Read errors %v then %v: want the same error twice", err1, err2)
	}
}

func TestWriteRoundTrip(t *testing.T) {
	h := func(s string) medialabel.Hash {
		v, err := medialabel.ParseHash(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	recs := []Record{
		{ID: "0190b5e4-0000-7000-8000-000000000001", Label: "hk2019.cockroach", Note: "say \"hi\" <b>", Source: "https://example.org/a?b=1&c=2",
			Created: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC),
			Hashes:  []medialabel.Hash{h("md5:" + md5Hex), h("pdq:" + pdqHex)}, PDQQuality: 80,
			Regions: []medialabel.RegionHash{{Region: "centre85", Hash: h("pdq:" + pdqHex)}}},
		{Path: "dir/b.jpg", Hashes: []medialabel.Hash{h("phash:" + phHex)}, PDQQuality: -1,
			Dihedral: map[medialabel.Transform]medialabel.Hash{medialabel.FlipX: h("pdq:" + pdqHex), medialabel.Rotate90: h("pdq:" + pdqHex)}},
	}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, JSONL)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	wantJSON := `{"id":"0190b5e4-0000-7000-8000-000000000001","label":"hk2019.cockroach","note":"say \"hi\" \u003cb\u003e","source":"https://example.org/a?b=1\u0026c=2","created":"2026-01-02T03:04:05.000000006Z","pdq":"` + pdqHex + `","pdq_quality":80,"md5":"` + md5Hex + `","regions":[{"region":"centre85","hash":"pdq:` + pdqHex + `"}]}
{"path":"dir/b.jpg","phash":"` + phHex + `","pdq_dihedral":{"rotate90":"` + pdqHex + `","flipx":"` + pdqHex + `"}}
`
	if buf.String() != wantJSON {
		t.Errorf("jsonl:\n%s\nwant\n%s", buf.String(), wantJSON)
	}
	back, f, err := readAll(buf.String())
	if err != nil || f != JSONL {
		t.Fatal(f, err)
	}
	// Read back, the hashes come in the writer's signal order.
	recs[0].Hashes = []medialabel.Hash{recs[0].Hashes[1], recs[0].Hashes[0]}
	for i := range recs {
		recs[i].Line = i + 1
	}
	if brief(back) != brief(recs) || back[0].Note != recs[0].Note || back[0].Source != recs[0].Source || !back[0].Created.Equal(recs[0].Created) || back[0].ID != recs[0].ID {
		t.Errorf("read back:\n%s\nwant\n%s", brief(back), brief(recs))
	}

	buf.Reset()
	w, _ = NewWriter(&buf, TE)
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	wantTE := "pdq " + pdqHex + "\nmd5 " + md5Hex + "\nphash " + phHex + "\n"
	if buf.String() != wantTE {
		t.Errorf("te:\n%s\nwant\n%s", buf.String(), wantTE)
	}

	if _, err := NewWriter(io.Discard, "csv"); err == nil {
		t.Error("NewWriter accepted format csv")
	}
	w, _ = NewWriter(io.Discard, JSONL)
	if err := w.Write(Record{Hashes: []medialabel.Hash{h("md5:" + md5Hex), h("md5:" + md5Hex)}}); err == nil {
		t.Error("jsonl record with two md5 hashes: no error")
	}
}

func FuzzRead(f *testing.F) {
	for _, s := range []string{
		"pdq " + pdqHex + "\n",
		"# c\n\nphash:" + phHex + "\r\nmd5\t" + md5Hex,
		`{"path":"a.jpg","pdq":"` + pdqHex + `","pdq_quality":93,"phash":"` + phHex + `","pdq_dihedral":{"flipx":"` + pdqHex + `"}}`,
		`{"label":"l","md5":"` + md5Hex + `","regions":[{"region":"c","hash":"pdq:` + pdqHex + `"}],"created":"2026-01-02T03:04:05Z"}`,
		`{"path":"x","error":"bad"}`,
		"{\n",
		"\xef\xbb\xbfpdq " + pdqHex,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data))
		n := 0
		for {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				var le *LineError
				if !errors.As(err, &le) || le.Line < 1 {
					t.Fatalf("error %v is not a *LineError with a line", err)
				}
				break
			}
			if n++; n > len(data) {
				t.Fatal("more records than bytes")
			}
			if len(rec.Hashes) == 0 || rec.Line < 1 {
				t.Fatalf("record %+v: no hashes or no line", rec)
			}
			for _, h := range rec.Hashes {
				if len(h.Value)*8 != h.Signal.Bits() {
					t.Fatalf("hash %v of the wrong length", h)
				}
			}
			// What was read writes, and reads back the same.
			var buf bytes.Buffer
			w, _ := NewWriter(&buf, r.Format())
			if err := w.Write(rec); err != nil {
				if r.Format() == JSONL {
					t.Fatalf("write %+v: %v", rec, err)
				}
				continue
			}
			w.Flush()
			back, _, err := readAll(buf.String())
			if err != nil || len(back) != 1 || fmt.Sprint(back[0].Hashes) != fmt.Sprint(rec.Hashes) {
				t.Fatalf("round trip of %q: %v, %v", buf.String(), brief(back), err)
			}
		}
	})
}

func TestParseLine(t *testing.T) {
	for _, tc := range []struct {
		line, want, err string
	}{
		{"pdq " + pdqHex, "pdq:" + pdqHex, ""},
		{"\xef\xbb\xbf phash:" + phHex + "\r", "phash:" + phHex, ""},
		{`{"path":"a.jpg","md5":"` + md5Hex + `"}`, "md5:" + md5Hex, ""},
		{"", "", "EOF"},
		{"  # a comment", "", "EOF"},
		{"pdq 00", "", "want 64 hex characters"},
		{`{"pdq":"zz"}`, "", "pdq"},
		{"tmk " + pdqHex, "", `unknown signal "tmk"`},
		{"pdq " + strings.Repeat("0", MaxLineBytes), "", "line longer than"},
	} {
		rec, err := ParseLine([]byte(tc.line))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseLine(%.40q): %v, want an error with %q", tc.line, err, tc.err)
			}
			continue
		}
		if err != nil || len(rec.Hashes) != 1 || rec.Hashes[0].String() != tc.want {
			t.Errorf("ParseLine(%.40q) = %+v, %v; want %s", tc.line, rec, err, tc.want)
		}
	}
}

// FuzzParseLine checks that ParseLine reads a line as a Reader reads a
// list of that one line.
func FuzzParseLine(f *testing.F) {
	for _, s := range []string{
		"pdq " + pdqHex, "md5\t" + md5Hex, "# c", "", "{", `{"path":"x","error":"bad"}`,
		`{"label":"l","md5":"` + md5Hex + `","regions":[{"region":"c","hash":"pdq:` + pdqHex + `"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		if bytes.ContainsAny(line, "\n") {
			return
		}
		got, err := ParseLine(line)
		want, werr := NewReader(bytes.NewReader(line)).Read()
		var le *LineError
		if errors.As(werr, &le) {
			werr = le.Err
		}
		if (err == nil) != (werr == nil) || (err != nil && err.Error() != werr.Error()) {
			t.Fatalf("ParseLine: %v; Reader: %v", err, werr)
		}
		want.Line = 0
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("ParseLine: %+v; Reader: %+v", got, want)
		}
	})
}
