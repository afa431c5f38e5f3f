package hashlist

import (
	"bytes"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/medialabel/medialabel"
)

// TestWriteFingerprint checks the records `medialabel hash` writes: the
// interface's field order, encoding/json's escaping, the record of a
// failed file, and that what hash writes, db import reads back.
func TestWriteFingerprint(t *testing.T) {
	fp := medialabel.Fingerprint{
		Format: "jpeg", Width: 3, Height: 2, PDQQuality: 93,
		Hashes: []medialabel.Hash{
			{Signal: medialabel.MD5, Value: bytes.Repeat([]byte{0xab}, 16)},
			{Signal: medialabel.PDQ, Value: bytes.Repeat([]byte{0x01}, 32)},
			{Signal: medialabel.PHash, Value: bytes.Repeat([]byte{0xff}, 8)},
		},
		Dihedral: map[medialabel.Transform]medialabel.Hash{
			medialabel.FlipX:    {Signal: medialabel.PDQ, Value: bytes.Repeat([]byte{0x02}, 32)},
			medialabel.Rotate90: {Signal: medialabel.PDQ, Value: bytes.Repeat([]byte{0x03}, 32)},
		},
	}
	for _, tc := range []struct {
		name string
		rec  Record
		want string
	}{
		{
			"fingerprint", FingerprintRecord("dir/a<b>.jpg", fp),
			`{"path":"dir/a\u003cb\u003e.jpg","format":"jpeg","width":3,"height":2,` +
				`"pdq":"` + strings.Repeat("01", 32) + `","pdq_quality":93,"phash":"ffffffffffffffff",` +
				`"md5":"` + strings.Repeat("ab", 16) + `",` +
				`"pdq_dihedral":{"rotate90":"` + strings.Repeat("03", 32) + `","flipx":"` + strings.Repeat("02", 32) + `"}}`,
		},
		{
			"failed file", Record{Path: "x.jpg", Error: "truncated JPEG"},
			`{"path":"x.jpg","error":"truncated JPEG"}`,
		},
		{
			"failed file, hashes ignored", Record{Path: "y.jpg", Error: `bad "y"`, Hashes: fp.Hashes, Label: "l"},
			`{"path":"y.jpg","error":"bad \"y\""}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := NewWriter(&buf, JSONL)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(tc.rec); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			got := strings.TrimSuffix(buf.String(), "\n")
			if got != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
			back, err := ParseLine([]byte(got))
			if tc.rec.Error != "" {
				if err == nil || !strings.Contains(err.Error(), "failed file") {
					t.Errorf("ParseLine of a failed file's record: err = %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// The writer orders the hashes by signal.
			want := tc.rec
			want.Hashes = slices.Clone(want.Hashes)
			slices.SortFunc(want.Hashes, func(a, b medialabel.Hash) int {
				return slices.Index(medialabel.AllSignals(), a.Signal) - slices.Index(medialabel.AllSignals(), b.Signal)
			})
			back.Line = 0
			if len(back.Regions) == 0 {
				back.Regions = nil
			}
			if !reflect.DeepEqual(back, want) {
				t.Errorf("read back %+v\nwant      %+v", back, want)
			}
		})
	}
	for _, bad := range []string{`{"pdq":"zz"}`, `{"phash":"0123"}`, `{"pdq_dihedral":{"spin":"00"}}`,
		`{"width":"wide","md5":"` + strings.Repeat("ab", 16) + `"}`, `{"width":-1,"md5":"` + strings.Repeat("ab", 16) + `"}`, `[1]`} {
		if _, err := ParseLine([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
