package hashlist

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/medialabel/medialabel"
)

// A Writer writes records in one format. Call Flush when done.
type Writer struct {
	bw     *bufio.Writer
	format Format
	buf    []byte
}

// NewWriter returns a Writer of format f to w.
func NewWriter(w io.Writer, f Format) (*Writer, error) {
	if _, err := ParseFormat(string(f)); err != nil {
		return nil, err
	}
	return &Writer{bw: bufio.NewWriterSize(w, 64<<10), format: f}, nil
}

// Write writes rec. In TE it writes one line per whole-picture hash;
// region and dihedral hashes, and everything but the hashes, have no place
// in TE and are left out (so is a record with an Error). In JSONL it
// writes one object a line with the fields in this order: id, path,
// label, note, source, created, format, width, height, the signals (pdq,
// pdq_quality, phash, dhash, ahash, md5, sha256), pdq_dihedral and
// regions; empty fields are left out. A record with an Error is written
// as {"path":..,"error":..}, the interface's record of a failed file.
func (w *Writer) Write(rec Record) error {
	b := w.buf[:0]
	var err error
	if w.format == TE {
		for _, h := range rec.Hashes {
			if h.Signal.Bits() == 0 {
				return fmt.Errorf("write hash list: unknown signal %q", h.Signal)
			}
			b = append(b, h.Signal...)
			b = append(b, ' ')
			b = appendHex(b, h.Value)
			b = append(b, '\n')
		}
	} else {
		b, err = appendJSON(b, rec)
		if err != nil {
			return fmt.Errorf("write hash list: %w", err)
		}
		b = append(b, '\n')
	}
	w.buf = b
	if _, err := w.bw.Write(b); err != nil {
		return fmt.Errorf("write hash list: %w", err)
	}
	return nil
}

// Flush writes out what is buffered.
func (w *Writer) Flush() error {
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("write hash list: %w", err)
	}
	return nil
}

const hexDigits = "0123456789abcdef"

func appendHex(b, v []byte) []byte {
	for _, c := range v {
		b = append(b, hexDigits[c>>4], hexDigits[c&15])
	}
	return b
}

// appendJSON appends rec as one JSON object. Hashes of a signal given
// twice cannot both be written in one object: that is an error.
func appendJSON(b []byte, rec Record) ([]byte, error) {
	b = append(b, '{')
	first := true
	key := func(k string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = append(b, k...)
		b = append(b, '"', ':')
	}
	str := func(k, v string) {
		if v == "" {
			return
		}
		key(k)
		q, _ := json.Marshal(v) // a string always marshals
		b = append(b, q...)
	}
	str("id", rec.ID)
	str("path", rec.Path)
	if rec.Error != "" {
		key("error")
		q, _ := json.Marshal(rec.Error)
		return append(append(b, q...), '}'), nil
	}
	str("label", rec.Label)
	str("note", rec.Note)
	str("source", rec.Source)
	if !rec.Created.IsZero() {
		str("created", rec.Created.UTC().Format(time.RFC3339Nano))
	}
	str("format", rec.Format)
	if rec.Width > 0 || rec.Height > 0 {
		key("width")
		b = strconv.AppendInt(b, int64(rec.Width), 10)
		key("height")
		b = strconv.AppendInt(b, int64(rec.Height), 10)
	}
	seen := map[medialabel.Signal]bool{}
	for _, h := range rec.Hashes {
		if seen[h.Signal] {
			return nil, fmt.Errorf("two %s hashes in one record: jsonl has room for one", h.Signal)
		}
		if h.Signal.Bits() == 0 {
			return nil, fmt.Errorf("unknown signal %q", h.Signal)
		}
		seen[h.Signal] = true
	}
	for _, s := range medialabel.AllSignals() {
		for _, h := range rec.Hashes {
			if h.Signal != s {
				continue
			}
			key(string(s))
			b = append(b, '"')
			b = appendHex(b, h.Value)
			b = append(b, '"')
			if s == medialabel.PDQ && rec.PDQQuality >= 0 {
				key("pdq_quality")
				b = strconv.AppendInt(b, int64(rec.PDQQuality), 10)
			}
		}
	}
	if len(rec.Dihedral) > 0 {
		key("pdq_dihedral")
		b = append(b, '{')
		n := 0
		for _, t := range medialabel.AllTransforms()[1:] {
			h, ok := rec.Dihedral[t]
			if !ok {
				continue
			}
			if n++; n > 1 {
				b = append(b, ',')
			}
			b = append(b, '"')
			b = append(b, t...)
			b = append(b, '"', ':', '"')
			b = appendHex(b, h.Value)
			b = append(b, '"')
		}
		b = append(b, '}')
	}
	if len(rec.Regions) > 0 {
		key("regions")
		b = append(b, '[')
		for i, r := range rec.Regions {
			if i > 0 {
				b = append(b, ',')
			}
			q, _ := json.Marshal(r.Region)
			b = append(b, `{"region":`...)
			b = append(b, q...)
			b = append(b, `,"hash":"`...)
			b = append(b, r.Hash.Signal...)
			b = append(b, ':')
			b = appendHex(b, r.Hash.Value)
			b = append(b, '"', '}')
		}
		b = append(b, ']')
	}
	return append(b, '}'), nil
}

// FingerprintRecord is the record of the file at path with fingerprint
// fp, as `medialabel hash` writes it.
func FingerprintRecord(path string, fp medialabel.Fingerprint) Record {
	return Record{
		Path: path, Format: fp.Format, Width: fp.Width, Height: fp.Height,
		Hashes: fp.Hashes, PDQQuality: fp.PDQQuality, Dihedral: fp.Dihedral,
	}
}
