// Package hashlist reads and writes lists of hashes: the
// ThreatExchange/python-threatexchange text form, one "SIGNAL HEX" pair a
// line, and the jsonl that `medialabel hash` writes and `medialabel db
// export` writes, one JSON object a line.
//
// A Reader tells the two apart by the first line that is not blank and
// not a comment, streams the records with their line numbers, and gives
// errors that name the line. Lines are bounded (MaxLineBytes), so a
// hostile file costs no more memory than that.
package hashlist

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
	"time"

	"github.com/medialabel/medialabel"
)

// Format names a hash-list format.
type Format string

// The formats.
const (
	// TE is the ThreatExchange text form: "SIGNAL HEX" a line ("pdq
	// f8f8..."); "SIGNAL:HEX" is accepted too. Blank lines and lines
	// starting with '#' are skipped.
	TE Format = "te"
	// JSONL is one JSON object a line, as `medialabel hash` writes it:
	// {"path":..,"pdq":"<hex>","pdq_quality":93,"phash":"<hex>",...}, with
	// optional "label", "note", "source" and "regions" fields as `medialabel
	// db export` writes them.
	JSONL Format = "jsonl"
)

// ParseFormat returns the format named s ("te" or "jsonl").
func ParseFormat(s string) (Format, error) {
	switch Format(s) {
	case TE, JSONL:
		return Format(s), nil
	}
	return "", fmt.Errorf("unknown hash-list format %q (want te or jsonl)", s)
}

// MaxLineBytes is the longest line a Reader accepts. A jsonl record of
// `medialabel hash` with every signal and the dihedral hashes is under 1 KiB.
const MaxLineBytes = 64 << 10

// A Record is one item of a hash list: the hashes of one picture and what
// is known about it.
type Record struct {
	// Line is the line the record was read from (1-based); 0 for records
	// not read from a list.
	Line int
	// Path is the file the hashes were computed from (jsonl).
	Path string
	// Error is why the file at Path could not be hashed: a Writer
	// writes only the path and the error (the `hash` command's record of
	// a failed file); a reader refuses such a line, since it has no
	// hashes.
	Error string
	// Format, Width and Height describe the picture the hashes were
	// computed from (jsonl written by `medialabel hash`); "" and 0 when
	// not given.
	Format        string
	Width, Height int
	// ID, Label, Note, Source and Created describe a bank entry (jsonl
	// written by `medialabel db export` or `db list`).
	ID      string
	Label   string
	Note    string
	Source  string
	Created time.Time
	// Hashes holds the whole-picture hashes, at least one. In TE there is
	// exactly one.
	Hashes []medialabel.Hash
	// Regions holds hashes of parts of the picture (jsonl only).
	Regions []medialabel.RegionHash
	// PDQQuality is PDQ's quality score, or -1 if the list does not give
	// it; a Writer leaves a negative quality out.
	PDQQuality int
	// Dihedral holds the PDQ hashes of the rotations and mirrors, when the
	// list gives them.
	Dihedral map[medialabel.Transform]medialabel.Hash
}

// A LineError is an error in one line of a list.
type LineError struct {
	Line int   // 1-based
	Err  error // what is wrong with the line
}

// Error returns the line number and what is wrong with the line.
func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// Unwrap returns the error found in the line.
func (e *LineError) Unwrap() error { return e.Err }

// A Reader reads records from a hash list.
type Reader struct {
	br     *bufio.Reader
	format Format
	line   int
	long   []byte // a line that did not fit in br's buffer
	err    error  // sticky
}

// NewReader returns a Reader reading from r. The format is detected from
// the first line that is neither blank nor a comment: JSONL if it starts
// with '{', TE otherwise.
func NewReader(r io.Reader) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, 64<<10)}
}

// Format returns the detected format; it is empty until the first record
// has been read.
func (r *Reader) Format() Format { return r.format }

// Read returns the next record, or io.EOF after the last. Any other error
// is a *LineError, except errors from the underlying reader, and it is
// returned again by every later call.
func (r *Reader) Read() (Record, error) {
	if r.err != nil {
		return Record{}, r.err
	}
	rec, err := r.read()
	if err != nil {
		r.err = err
	}
	return rec, err
}

// All returns the remaining records as a sequence for range loops; it
// stops after the first error, which it yields.
func (r *Reader) All() iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		for {
			rec, err := r.Read()
			if err == io.EOF {
				return
			}
			if !yield(rec, err) || err != nil {
				return
			}
		}
	}
}

func (r *Reader) read() (Record, error) {
	for {
		line, err := r.nextLine()
		if err != nil {
			return Record{}, err
		}
		if r.line == 1 {
			line = bytes.TrimPrefix(line, []byte(bom))
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		if r.format == "" {
			r.format = formatOf(line)
		}
		rec, err := parse(line, r.format)
		if err != nil {
			return Record{}, &LineError{Line: r.line, Err: err}
		}
		rec.Line = r.line
		return rec, nil
	}
}

// nextLine returns the next line without its newline, valid until the
// next call.
func (r *Reader) nextLine() ([]byte, error) {
	r.long = r.long[:0]
	for {
		b, err := r.br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			if len(r.long)+len(b) > MaxLineBytes {
				return nil, &LineError{Line: r.line + 1, Err: fmt.Errorf("line longer than %d bytes", MaxLineBytes)}
			}
			r.long = append(r.long, b...)
			continue
		}
		if err == io.EOF && len(b) == 0 && len(r.long) == 0 {
			return nil, io.EOF
		}
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("read hash list: %w", err)
		}
		r.line++
		if len(r.long) > 0 {
			b = append(r.long, b...)
			r.long = b
		}
		if len(b) > MaxLineBytes+1 || (len(b) == MaxLineBytes+1 && b[len(b)-1] != '\n') {
			return nil, &LineError{Line: r.line, Err: fmt.Errorf("line longer than %d bytes", MaxLineBytes)}
		}
		return bytes.TrimSuffix(b, []byte("\n")), nil
	}
}

// bom is a UTF-8 byte order mark.
const bom = "\xef\xbb\xbf"

// ParseLine parses one line of a hash list on its own, in the format its
// first character tells, as NewReader tells a list's: a JSON object
// (jsonl), or SIGNAL HEX (te). It returns io.EOF for a blank line or a
// comment. It serves callers that take each line separately, so that a bad
// line does not stop the rest; a Reader holds a whole list to one format.
func ParseLine(line []byte) (Record, error) {
	if len(line) > MaxLineBytes {
		return Record{}, fmt.Errorf("line longer than %d bytes", MaxLineBytes)
	}
	line = bytes.TrimSpace(bytes.TrimPrefix(line, []byte(bom)))
	if len(line) == 0 || line[0] == '#' {
		return Record{}, io.EOF
	}
	return parse(line, formatOf(line))
}

// formatOf tells the format of a list from its first line that is neither
// blank nor a comment.
func formatOf(line []byte) Format {
	if line[0] == '{' {
		return JSONL
	}
	return TE
}

// parse parses a line that is neither blank nor a comment, in format f.
func parse(line []byte, f Format) (Record, error) {
	if f == JSONL {
		return parseJSON(line)
	}
	return parseTE(line)
}

// parseTE parses "SIGNAL HEX" or "SIGNAL:HEX".
func parseTE(line []byte) (Record, error) {
	s := string(line)
	if line[0] == '{' {
		return Record{}, fmt.Errorf("want SIGNAL HEX (the list is te, as its first line was), got a JSON object %q", clip(s))
	}
	sig, hx, ok := cutSpace(s)
	if !ok {
		sig, hx, ok = strings.Cut(s, ":")
	}
	if !ok {
		return Record{}, fmt.Errorf("want SIGNAL HEX, e.g. \"pdq %s\", got %q", strings.Repeat("0", 64), clip(s))
	}
	if strings.ContainsAny(hx, " \t") {
		return Record{}, fmt.Errorf("want SIGNAL HEX, got more than two fields in %q", clip(s))
	}
	signal, err := medialabel.ParseSignal(sig)
	if err != nil {
		return Record{}, err
	}
	h, err := medialabel.ParseHex(signal, hx)
	if err != nil {
		return Record{}, err
	}
	return Record{Hashes: []medialabel.Hash{h}, PDQQuality: -1}, nil
}

// cutSpace splits s at its first run of spaces and tabs.
func cutSpace(s string) (before, after string, ok bool) {
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, "", false
	}
	return s[:i], strings.TrimLeft(s[i:], " \t"), true
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// jsonRecord is a jsonl line. Fields it does not name (bank...) are
// ignored.
type jsonRecord struct {
	Path        string            `json:"path"`
	Error       *string           `json:"error"`
	Format      string            `json:"format"`
	Width       int               `json:"width"`
	Height      int               `json:"height"`
	ID          string            `json:"id"`
	Label       string            `json:"label"`
	Note        string            `json:"note"`
	Source      string            `json:"source"`
	Created     string            `json:"created"`
	PDQ         *string           `json:"pdq"`
	PDQQuality  *int              `json:"pdq_quality"`
	PHash       *string           `json:"phash"`
	DHash       *string           `json:"dhash"`
	AHash       *string           `json:"ahash"`
	MD5         *string           `json:"md5"`
	SHA256      *string           `json:"sha256"`
	PDQDihedral map[string]string `json:"pdq_dihedral"`
	Regions     []jsonRegion      `json:"regions"`
}

// jsonRegion is a region hash: {"region":"centre85","hash":"pdq:<hex>"}.
type jsonRegion struct {
	Region string `json:"region"`
	Hash   string `json:"hash"`
}

func parseJSON(line []byte) (Record, error) {
	if line[0] != '{' {
		return Record{}, fmt.Errorf("want a JSON object (the list is jsonl), got %q", clip(string(line)))
	}
	var j jsonRecord
	if err := json.Unmarshal(line, &j); err != nil {
		return Record{}, fmt.Errorf("bad JSON: %w", err)
	}
	if j.Error != nil {
		if j.Path != "" {
			return Record{}, fmt.Errorf("%s: a failed file, not hashes: %s", j.Path, *j.Error)
		}
		return Record{}, fmt.Errorf("a failed file, not hashes: %s", *j.Error)
	}
	if j.Width < 0 || j.Height < 0 {
		return Record{}, fmt.Errorf("size %dx%d: want positive sides", j.Width, j.Height)
	}
	rec := Record{Path: j.Path, Format: j.Format, Width: j.Width, Height: j.Height,
		ID: j.ID, Label: j.Label, Note: j.Note, Source: j.Source, PDQQuality: -1}
	if j.Created != "" {
		t, err := time.Parse(time.RFC3339Nano, j.Created)
		if err != nil {
			return Record{}, fmt.Errorf("created %q: want an RFC 3339 time", clip(j.Created))
		}
		rec.Created = t.UTC()
	}
	for _, f := range []struct {
		s  medialabel.Signal
		hx *string
	}{
		{medialabel.PDQ, j.PDQ}, {medialabel.PHash, j.PHash}, {medialabel.DHash, j.DHash},
		{medialabel.AHash, j.AHash}, {medialabel.MD5, j.MD5}, {medialabel.SHA256, j.SHA256},
	} {
		if f.hx == nil {
			continue
		}
		h, err := medialabel.ParseHex(f.s, *f.hx)
		if err != nil {
			return Record{}, err
		}
		rec.Hashes = append(rec.Hashes, h)
	}
	if len(rec.Hashes) == 0 {
		return Record{}, errors.New("no hashes (want at least one of pdq, phash, dhash, ahash, md5, sha256)")
	}
	if j.PDQQuality != nil {
		if j.PDQ == nil {
			return Record{}, errors.New("pdq_quality without pdq")
		}
		if q := *j.PDQQuality; q < 0 || q > 100 {
			return Record{}, fmt.Errorf("pdq_quality %d: want 0 to 100", q)
		}
		rec.PDQQuality = *j.PDQQuality
	}
	if len(j.PDQDihedral) > 0 {
		rec.Dihedral = make(map[medialabel.Transform]medialabel.Hash, len(j.PDQDihedral))
		for k, hx := range j.PDQDihedral {
			t, ok := parseTransform(k)
			if !ok {
				return Record{}, fmt.Errorf("pdq_dihedral: unknown transform %q", clip(k))
			}
			h, err := medialabel.ParseHex(medialabel.PDQ, hx)
			if err != nil {
				return Record{}, fmt.Errorf("pdq_dihedral %s: %w", k, err)
			}
			rec.Dihedral[t] = h
		}
	}
	for _, r := range j.Regions {
		if r.Region == "" {
			return Record{}, errors.New("region without a name")
		}
		h, err := medialabel.ParseHash(r.Hash)
		if err != nil {
			return Record{}, fmt.Errorf("region %s: %w", clip(r.Region), err)
		}
		rec.Regions = append(rec.Regions, medialabel.RegionHash{Region: r.Region, Hash: h})
	}
	return rec, nil
}

func parseTransform(s string) (medialabel.Transform, bool) {
	for _, t := range medialabel.AllTransforms()[1:] {
		if string(t) == s {
			return t, true
		}
	}
	return "", false
}
