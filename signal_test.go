package medialabel_test

import (
	"strings"
	"testing"

	"github.com/medialabel/medialabel"
)

func TestParseSignal(t *testing.T) {
	tests := []struct {
		in   string
		want medialabel.Signal
		err  bool
	}{
		{"pdq", medialabel.PDQ, false},
		{" PDQ ", medialabel.PDQ, false},
		{"HASH_PDQ", medialabel.PDQ, false},
		{"pdq_hash", medialabel.PDQ, false},
		{"phash", medialabel.PHash, false},
		{"dhash", medialabel.DHash, false},
		{"ahash", medialabel.AHash, false},
		{"MD5", medialabel.MD5, false},
		{"hash_md5", medialabel.MD5, false},
		{"sha256", medialabel.SHA256, false},
		{"", "", true},
		{"sha1", "", true},
		{"pdqx", "", true},
		{"hash_", "", true},
	}
	for _, tt := range tests {
		got, err := medialabel.ParseSignal(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseSignal(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestSignalBits(t *testing.T) {
	want := map[medialabel.Signal]struct {
		bits       int
		perceptual bool
	}{
		medialabel.PDQ: {256, true}, medialabel.PHash: {64, true}, medialabel.DHash: {64, true},
		medialabel.AHash: {64, true}, medialabel.MD5: {128, false}, medialabel.SHA256: {256, false},
	}
	if len(medialabel.AllSignals()) != len(want) {
		t.Fatalf("%d signals, want %d", len(medialabel.AllSignals()), len(want))
	}
	for _, s := range medialabel.AllSignals() {
		w := want[s]
		if s.Bits() != w.bits || s.Perceptual() != w.perceptual {
			t.Errorf("%s: Bits %d Perceptual %v, want %d %v", s, s.Bits(), s.Perceptual(), w.bits, w.perceptual)
		}
	}
	if medialabel.Signal("crc").Bits() != 0 {
		t.Error("unknown signal has bits")
	}
}

func TestParseHash(t *testing.T) {
	pdq := strings.Repeat("f8", 32)
	tests := []struct {
		in      string
		want    string // String() of the result, "" for an error
		errPart string
	}{
		{"pdq:" + pdq, "pdq:" + pdq, ""},
		{"  PDQ:" + strings.ToUpper(pdq) + "\n", "pdq:" + pdq, ""},
		{"HASH_PDQ:" + pdq, "pdq:" + pdq, ""},
		{"phash:0123456789abcdef", "phash:0123456789abcdef", ""},
		{"md5:" + strings.Repeat("0", 32), "md5:" + strings.Repeat("0", 32), ""},
		{"sha256:" + strings.Repeat("a", 64), "sha256:" + strings.Repeat("a", 64), ""},
		{pdq, "", "want SIGNAL:HEX"},
		{"pdq:" + pdq[:62], "", "want 64 hex characters, got 62"},
		{"phash:" + pdq, "", "want 16 hex characters"},
		{"pdq:" + strings.Repeat("zz", 32), "", "not hexadecimal"},
		{"crc32:00000000", "", "unknown signal"},
		{"pdq:", "", "got 0"},
		{":", "", "unknown signal"},
	}
	for _, tt := range tests {
		h, err := medialabel.ParseHash(tt.in)
		if tt.want == "" {
			if err == nil || !strings.Contains(err.Error(), tt.errPart) {
				t.Errorf("ParseHash(%q): err %v, want one containing %q", tt.in, err, tt.errPart)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseHash(%q): %v", tt.in, err)
			continue
		}
		if h.String() != tt.want {
			t.Errorf("ParseHash(%q) = %s, want %s", tt.in, h, tt.want)
		}
	}
	// A long bad input is shortened in the message, whichever part is bad.
	for _, in := range []string{
		strings.Repeat("x", 1000),
		strings.Repeat("x", 1000) + ":" + strings.Repeat("0", 64),
		"pdq:" + strings.Repeat("0", 1000),
	} {
		_, err := medialabel.ParseHash(in)
		if err == nil || len(err.Error()) > 300 {
			t.Errorf("long input %.20q…: error %d bytes long: %v", in, len(err.Error()), err)
		}
	}
}

func TestDistance(t *testing.T) {
	mk := func(s string) medialabel.Hash {
		h, err := medialabel.ParseHash(s)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	zero := mk("pdq:" + strings.Repeat("0", 64))
	tests := []struct {
		a, b medialabel.Hash
		want int
		err  bool
	}{
		{zero, zero, 0, false},
		{zero, mk("pdq:" + strings.Repeat("f", 64)), 256, false},
		{zero, mk("pdq:8" + strings.Repeat("0", 62) + "1"), 2, false},
		{mk("phash:00000000000000ff"), mk("phash:0f000000000000f0"), 8, false},
		{zero, mk("sha256:" + strings.Repeat("0", 64)), 0, true},
		{mk("phash:0000000000000000"), mk("dhash:0000000000000000"), 0, true},
		{zero, medialabel.Hash{Signal: medialabel.PDQ, Value: []byte{0}}, 0, true},
	}
	for _, tt := range tests {
		got, err := medialabel.Distance(tt.a, tt.b)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("Distance(%s, %s) = %d, %v; want %d, error %v", tt.a, tt.b, got, err, tt.want, tt.err)
		}
		if back, _ := medialabel.Distance(tt.b, tt.a); !tt.err && back != got {
			t.Errorf("Distance is not symmetric: %d and %d", got, back)
		}
	}
}

func FuzzParseHash(f *testing.F) {
	for _, s := range []string{
		"pdq:" + strings.Repeat("f8", 32), "phash:0123456789abcdef", "md5:" + strings.Repeat("0", 32),
		"HASH_PDQ:" + strings.Repeat("A", 64), "sha256:", "x", ":", "pdq:\xff\xfe", " dhash : 0123456789ABCDEF ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := medialabel.ParseHash(s)
		if err != nil {
			if !h.IsZero() {
				t.Fatalf("error %v with a value %v", err, h)
			}
			return
		}
		if len(h.Value)*8 != h.Signal.Bits() {
			t.Fatalf("%q: %d bytes for %s", s, len(h.Value), h.Signal)
		}
		// The canonical form parses back to the same value.
		back, err := medialabel.ParseHash(h.String())
		if err != nil || back.String() != h.String() {
			t.Fatalf("%q: %s does not round-trip: %v", s, h, err)
		}
		if d, err := medialabel.Distance(h, back); err != nil || d != 0 {
			t.Fatalf("distance to itself %d, %v", d, err)
		}
	})
}
