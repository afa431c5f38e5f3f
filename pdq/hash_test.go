package pdq

import (
	"math/bits"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestBitLayout pins the bit order: coefficient k is bit k&15 of the
// reference's word w[k>>4], and w[15] is printed first.
func TestBitLayout(t *testing.T) {
	for _, c := range []struct {
		k    int
		want string
	}{
		{0, strings.Repeat("0", 63) + "1"},
		{3, strings.Repeat("0", 63) + "8"},
		{15, strings.Repeat("0", 60) + "8000"},
		{16, strings.Repeat("0", 59) + "10000"},
		{64, strings.Repeat("0", 47) + "1" + strings.Repeat("0", 16)},
		{255, "8" + strings.Repeat("0", 63)},
	} {
		var h Hash
		h.setBit(c.k)
		if h.String() != c.want {
			t.Errorf("bit %d: %v, want %s", c.k, h, c.want)
		}
		for k := range 256 {
			if h.Bit(k) != (k == c.k) {
				t.Errorf("bit %d set: Bit(%d) = %v", c.k, k, h.Bit(k))
			}
		}
		w := h.Words()
		if w[3-c.k/64] != 1<<(c.k%64) {
			t.Errorf("bit %d: Words() = %x", c.k, w)
		}
	}
}

func TestParseHash(t *testing.T) {
	const golden = "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22"
	for _, c := range []struct {
		in      string
		want    string // "" for an error
		errPart string
	}{
		{golden, golden, ""},
		{strings.ToUpper(golden), golden, ""},
		{strings.Repeat("0", 64), strings.Repeat("0", 64), ""},
		{"", "", "want 64 hex digits"},
		{golden[:63], "", "want 64 hex digits"},
		{golden + "0", "", "want 64 hex digits"},
		{"g" + golden[1:], "", "invalid byte"},
		{" " + golden[1:], "", "invalid byte"},
		{"pdq:" + golden[4:], "", "invalid byte"},
	} {
		h, err := ParseHash(c.in)
		switch {
		case c.want == "" && err == nil:
			t.Errorf("ParseHash(%q) = %v, want an error", c.in, h)
		case c.want == "" && !strings.Contains(err.Error(), c.errPart):
			t.Errorf("ParseHash(%q): error %q, want it to mention %q", c.in, err, c.errPart)
		case c.want != "" && err != nil:
			t.Errorf("ParseHash(%q): %v", c.in, err)
		case c.want != "" && h.String() != c.want:
			t.Errorf("ParseHash(%q) = %v, want %s", c.in, h, c.want)
		}
	}
	h, _ := ParseHash(golden)
	if w := h.Words(); w != [4]uint64{0xd8f8f0cee0f4a84f, 0x0637022a078f67f0, 0xb36e2ed596621e1d, 0x33e6339c4e9c9b22} {
		t.Errorf("Words() = %x", w)
	}
	if FromWords(h.Words()) != h {
		t.Error("FromWords(h.Words()) != h")
	}
}

func naiveDistance(a, b Hash) int {
	n := 0
	for k := range 256 {
		if a.Bit(k) != b.Bit(k) {
			n++
		}
	}
	return n
}

func TestDistance(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	random := func() Hash {
		var h Hash
		for i := range h {
			h[i] = byte(r.Uint32())
		}
		return h
	}
	var zero, ones Hash
	for i := range ones {
		ones[i] = 0xff
	}
	if d := Distance(zero, ones); d != 256 {
		t.Errorf("Distance(zero, ones) = %d, want 256", d)
	}
	for range 1000 {
		a, b := random(), random()
		if got, want := Distance(a, b), naiveDistance(a, b); got != want {
			t.Fatalf("Distance(%v, %v) = %d, want %d", a, b, got, want)
		}
		if Distance(a, a) != 0 || Distance(a, b) != Distance(b, a) {
			t.Fatalf("Distance is not a metric on %v, %v", a, b)
		}
	}
	// Golden: two published reference hashes (the bridge photo at full
	// resolution and through the 512x512 shrink) are 6 bits apart.
	a, _ := ParseHash("f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22")
	b, _ := ParseHash("d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22")
	if d := Distance(a, b); d != 6 {
		t.Errorf("golden distance %d, want 6", d)
	}
}

func FuzzParseHash(f *testing.F) {
	f.Add("d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22")
	f.Add(strings.Repeat("F", 64))
	f.Add("")
	f.Add("xyz")
	f.Add(strings.Repeat("0", 63) + "\xff")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHash(s)
		if err != nil {
			return
		}
		if !strings.EqualFold(h.String(), s) {
			t.Fatalf("ParseHash(%q).String() = %s", s, h)
		}
		h2, err := ParseHash(h.String())
		if err != nil || h2 != h {
			t.Fatalf("round trip of %q: %v, %v", s, h2, err)
		}
		n := 0
		for _, w := range h.Words() {
			n += bits.OnesCount64(w)
		}
		if n != Distance(h, Hash{}) {
			t.Fatalf("popcount %d, distance to zero %d", n, Distance(h, Hash{}))
		}
	})
}
