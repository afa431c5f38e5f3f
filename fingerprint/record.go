package fingerprint

import (
	"encoding/json"
	"strconv"

	"github.com/medialabel/medialabel"
)

// A Record is one line of the jsonl that `medialabel hash` writes: a file's
// path with its fingerprint, or with the reason it failed. Its JSON form is
// the interface's:
//
//	{"path":"a.jpg","format":"jpeg","width":1024,"height":683,"pdq":"..","pdq_quality":93,
//	 "phash":"..","dhash":"..","ahash":"..","md5":"..","sha256":"..","pdq_dihedral":{"rotate90":"..",...}}
//
// with the fields in that order, only the signals the fingerprint holds,
// and "path" left out when empty (as in the HTTP API's "image" object). A
// failed file is {"path":"x.jpg","error":"<reason>"}.
type Record struct {
	Path        string
	Fingerprint medialabel.Fingerprint
	// Error is the reason the file failed; when set, Fingerprint is unused.
	Error string
}

// MarshalJSON writes the record in the interface's field order.
func (r Record) MarshalJSON() ([]byte, error) {
	return r.AppendJSON(nil), nil
}

// AppendJSON appends the record's JSON form (one line, no newline) to b.
func (r Record) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	sep := false
	field := func(name string) {
		if sep {
			b = append(b, ',')
		}
		sep = true
		b = append(b, '"')
		b = append(b, name...) // field names are plain ASCII
		b = append(b, '"', ':')
	}
	str := func(name, v string) {
		field(name)
		b = appendString(b, v)
	}
	if r.Path != "" {
		str("path", r.Path)
	}
	if r.Error != "" {
		str("error", r.Error)
		return append(b, '}')
	}
	fp := r.Fingerprint
	if fp.Format != "" {
		str("format", fp.Format)
	}
	field("width")
	b = strconv.AppendInt(b, int64(fp.Width), 10)
	field("height")
	b = strconv.AppendInt(b, int64(fp.Height), 10)
	for _, s := range medialabel.AllSignals() {
		h, ok := fp.Hash(s)
		if !ok {
			continue
		}
		str(string(s), h.Hex())
		if s == medialabel.PDQ {
			field("pdq_quality")
			b = strconv.AppendInt(b, int64(fp.PDQQuality), 10)
		}
	}
	if len(fp.Dihedral) > 0 {
		field("pdq_dihedral")
		b = append(b, '{')
		n := 0
		for _, t := range medialabel.AllTransforms() {
			h, ok := fp.Dihedral[t]
			if !ok || t == medialabel.Original {
				continue
			}
			if n > 0 {
				b = append(b, ',')
			}
			n++
			b = appendString(b, string(t))
			b = append(b, ':')
			b = appendString(b, h.Hex())
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

// appendString appends s as a JSON string, escaped as encoding/json
// escapes it (HTML characters included).
func appendString(b []byte, s string) []byte {
	q, err := json.Marshal(s)
	if err != nil {
		// json.Marshal of a string cannot fail; invalid UTF-8 is replaced.
		return strconv.AppendQuote(b, s)
	}
	return append(b, q...)
}
