package index

import (
	"bufio"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

// pdqReference holds Meta's PDQ reference data (BSD), shared by the
// repository's tests.
const pdqReference = "../testdata/pdq-reference"

func TestVecOf(t *testing.T) {
	tests := []struct {
		hex     string
		want    Vec
		wantErr bool
	}{
		{hex: "0102030405060708", want: Vec{0x0102030405060708}},
		{hex: "ffffffffffffffff0000000000000001", want: Vec{^uint64(0), 1}},
		{hex: "f162eb9daab170c0567fe3632d9a5548c5612982dd5e374a7424ebbc8a835c95",
			want: Vec{0xf162eb9daab170c0, 0x567fe3632d9a5548, 0xc5612982dd5e374a, 0x7424ebbc8a835c95}},
		{hex: "", wantErr: true},
		{hex: "01020304", wantErr: true},
		{hex: "010203040506070809", wantErr: true},
	}
	for _, tt := range tests {
		b, _ := hex.DecodeString(tt.hex)
		got, err := VecOf(b)
		if (err != nil) != tt.wantErr {
			t.Errorf("VecOf(%s): error %v, want error %v", tt.hex, err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if got != tt.want {
			t.Errorf("VecOf(%s) = %x, want %x", tt.hex, got, tt.want)
		}
		if back := hex.EncodeToString(got.Bytes(len(b) * 8)); back != tt.hex {
			t.Errorf("Bytes round trip: %s, want %s", back, tt.hex)
		}
	}
}

func TestNewRejectsBadWidth(t *testing.T) {
	for _, bits := range []int{0, 32, 100, 512} {
		if _, err := New(Options{Bits: bits}); err == nil {
			t.Errorf("New(%d bits): no error", bits)
		}
	}
}

func readHashes(t testing.TB, name string) []Vec {
	t.Helper()
	f, err := os.Open(filepath.Join(pdqReference, "pdq-data", "reg-test-input", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var vs []Vec
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		b, err := hex.DecodeString(sc.Text())
		if err != nil {
			t.Fatalf("%s line %d: %v", name, len(vs)+1, err)
		}
		v, err := VecOf(b)
		if err != nil {
			t.Fatalf("%s line %d: %v", name, len(vs)+1, err)
		}
		vs = append(vs, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return vs
}

type pair struct{ needle, hay, dist int }

// TestPDQReferencePairs checks the index against the brute-force pairs of
// the PDQ reference regression data (needles against haystack, every pair
// within distance 63), at every threshold up to 63, indexed and
// exhaustive, for an index built in bulk and one built by Add.
func TestPDQReferencePairs(t *testing.T) {
	hay := readHashes(t, "haystack.txt")
	needles := readHashes(t, "needles.txt")
	f, err := os.Open(filepath.Join(pdqReference, "expected", "needles-vs-haystack-pairs-d63.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var pairs []pair
	for _, row := range rows[1:] {
		var p pair
		for i, dst := range []*int{&p.needle, &p.hay, &p.dist} {
			if *dst, err = strconv.Atoi(row[i]); err != nil {
				t.Fatal(err)
			}
		}
		pairs = append(pairs, p)
	}

	b, err := NewBuilder(Options{Bits: 256})
	if err != nil {
		t.Fatal(err)
	}
	added, err := New(Options{Bits: 256})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range hay {
		b.Add(Item{Ref: int64(i + 1), Vec: v})
		added.Add(Item{Ref: int64(i + 1), Vec: v})
	}
	built := b.Index()

	type search struct {
		name string
		fn   func(q Vec, t int) []Result
	}
	searches := []search{
		{"built/Search", func(q Vec, t int) []Result { return built.Search([]Vec{q}, t) }},
		{"built/Scan", func(q Vec, t int) []Result { return built.Scan([]Vec{q}, t) }},
		{"added/Search", func(q Vec, t int) []Result { return added.Search([]Vec{q}, t) }},
		{"built/mih", func(q Vec, t int) []Result {
			return built.Snapshot().mih([]Vec{q}, t)
		}},
	}
	// Probing at radius 3 is slow and the scan is chosen there anyway; it
	// is checked once.
	heavy := func(name string, t int) bool { return name == "built/mih" && t > 47 && t != 63 }
	for threshold := 0; threshold <= 63; threshold++ {
		var want []pair
		for _, p := range pairs {
			if p.dist <= threshold {
				want = append(want, p)
			}
		}
		if threshold == 31 && len(want) != 250 {
			t.Fatalf("reference data: %d pairs within 31, want 250", len(want))
		}
		for _, sr := range searches {
			if heavy(sr.name, threshold) {
				continue
			}
			var got []pair
			for n, q := range needles {
				for _, r := range sr.fn(q, threshold) {
					got = append(got, pair{n + 1, int(r.Ref), r.Distance})
				}
			}
			slices.SortFunc(got, func(x, y pair) int {
				if x.needle != y.needle {
					return x.needle - y.needle
				}
				return x.hay - y.hay
			})
			if !slices.Equal(got, want) {
				t.Errorf("%s threshold %d: %d pairs, want %d; first difference %s",
					sr.name, threshold, len(got), len(want), firstDiff(got, want))
			}
		}
	}
}

func firstDiff(got, want []pair) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Sprintf("got %v want %v", got[i], want[i])
		}
	}
	if len(got) > len(want) {
		return fmt.Sprintf("extra %v", got[len(want)])
	}
	if len(want) > len(got) {
		return fmt.Sprintf("missing %v", want[len(got)])
	}
	return "none"
}

func randomVec(rng *rand.Rand, nbits int) Vec {
	var v Vec
	for i := range nbits / 64 {
		v[i] = rng.Uint64()
	}
	return v
}

// flip returns v with k distinct random bits of its first nbits flipped.
func flip(rng *rand.Rand, v Vec, nbits, k int) Vec {
	for _, b := range rng.Perm(nbits)[:k] {
		v[b/64] ^= 1 << (b % 64)
	}
	return v
}

// plantedBank returns n items: random vectors, and near copies of some
// of them at every distance up to maxFlip, with a few regions (tags).
func plantedBank(rng *rand.Rand, nbits, n, maxFlip int) []Item {
	items := make([]Item, 0, n)
	for len(items) < n {
		if len(items) > 0 && rng.IntN(3) == 0 {
			base := items[rng.IntN(len(items))]
			items = append(items, Item{Ref: int64(len(items)), Tag: uint16(rng.IntN(3)),
				Vec: flip(rng, base.Vec, nbits, rng.IntN(maxFlip+1))})
			continue
		}
		items = append(items, Item{Ref: int64(len(items)), Vec: randomVec(rng, nbits)})
	}
	return items
}

// queriesNear returns queries at every distance up to maxFlip from random
// stored items, plus a few random ones.
func queriesNear(rng *rand.Rand, items []Item, nbits, count, maxFlip int) []Vec {
	qs := make([]Vec, 0, count)
	for len(qs) < count {
		if rng.IntN(8) == 0 {
			qs = append(qs, randomVec(rng, nbits))
			continue
		}
		qs = append(qs, flip(rng, items[rng.IntN(len(items))].Vec, nbits, rng.IntN(maxFlip+1)))
	}
	return qs
}

// bruteForce is the definition: every live item within maxDist of any
// query, with its nearest query.
func bruteForce(items []Item, nbits int, queries []Vec, maxDist int) []Result {
	var out []Result
	for _, it := range items {
		best, bq := maxDist+1, 0
		for qi, q := range queries {
			d := 0
			for w := range nbits / 64 {
				d += popcount(it.Vec[w] ^ q[w])
			}
			if d < best {
				best, bq = d, qi
			}
		}
		if best <= maxDist {
			out = append(out, Result{Ref: it.Ref, Tag: it.Tag, Distance: best, Query: bq})
		}
	}
	slices.SortFunc(out, compareResults)
	return out
}

func popcount(x uint64) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}

// TestIndexEqualsScan checks, on random banks with planted near copies,
// that the index (the planned search and the probing forced at every
// threshold) answers exactly as the scan and as brute force, at every
// threshold from 0 to 64 and some beyond, with one query and with eight.
func TestIndexEqualsScan(t *testing.T) {
	for _, nbits := range []int{64, 128, 256} {
		for _, exactOnly := range []bool{false, true} {
			if exactOnly && nbits == 64 {
				continue // exact-only tables serve md5 and sha256
			}
			t.Run(fmt.Sprintf("%d-bit/exactOnly=%v", nbits, exactOnly), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(nbits), 1))
				items := plantedBank(rng, nbits, 1500, min(nbits/2, 70))
				b, err := NewBuilder(Options{Bits: nbits, ExactOnly: exactOnly})
				if err != nil {
					t.Fatal(err)
				}
				for _, it := range items {
					b.Add(it)
				}
				x := b.Index()
				s := x.Snapshot()
				thresholds := []int{}
				// Every threshold up to 64, then sparser: beyond about 40
				// bits nearly every 64-bit vector matches.
				for th := 0; th <= min(64, nbits); th++ {
					if th <= 40 || th%4 == 0 {
						thresholds = append(thresholds, th)
					}
				}
				thresholds = append(thresholds, nbits/2+1, nbits)
				queries := queriesNear(rng, items, nbits, 12, min(nbits, 70))
				for qi, q := range queries {
					single := []Vec{q}
					multi := queries[qi:min(qi+8, len(queries))]
					for _, th := range thresholds {
						for _, qs := range [][]Vec{single, multi} {
							want := bruteForce(items, nbits, qs, th)
							check(t, "Scan", th, s.Scan(qs, th), want)
							check(t, "Search", th, s.Search(qs, th), want)
							// Probing at large radii is slow; a few queries suffice.
							if th/(nbits/16) <= 3 || qi == 0 && th == nbits/2+1 {
								check(t, "mih", th, s.mih(qs, th), want)
							}
						}
					}
				}
			})
		}
	}
}

func check(t *testing.T, what string, th int, got, want []Result) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s at threshold %d: %d results, want %d\ngot  %v\nwant %v", what, th, len(got), len(want), head(got), head(want))
	}
}

func head(rs []Result) []Result { return rs[:min(len(rs), 6)] }

// TestAddRemove applies random batches of adds and removes and checks
// after each that search, scan and brute force agree.
func TestAddRemove(t *testing.T) {
	for _, nbits := range []int{64, 256} {
		t.Run(fmt.Sprint(nbits), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, uint64(nbits)))
			x, err := New(Options{Bits: nbits})
			if err != nil {
				t.Fatal(err)
			}
			// Rebuild and compact early, so that every path is taken.
			x.Snapshot().minDelta = 200
			pool := plantedBank(rng, nbits, 4000, 40)
			var live []Item
			next := 0
			for round := range 25 {
				if rng.IntN(3) > 0 || len(live) == 0 {
					n := 1 + rng.IntN(400)
					if round == 0 {
						n = 2000 // a batch large enough to rebuild the tables
					}
					n = min(n, len(pool)-next)
					batch := pool[next : next+n]
					next += n
					x.Add(batch...)
					live = append(live, batch...)
				} else {
					rng.Shuffle(len(live), func(i, j int) { live[i], live[j] = live[j], live[i] })
					n := 1 + rng.IntN(min(len(live), 300))
					gone := live[:n]
					if got := x.Remove(gone...); got != n {
						t.Fatalf("round %d: Remove removed %d, want %d", round, got, n)
					}
					if got := x.Remove(gone[0]); got != 0 {
						t.Fatalf("round %d: removing again removed %d", round, got)
					}
					live = slices.Clone(live[n:])
				}
				if x.Len() != len(live) {
					t.Fatalf("round %d: Len %d, want %d", round, x.Len(), len(live))
				}
				s := x.Snapshot()
				for _, q := range queriesNear(rng, pool[:next], nbits, 4, 40) {
					for _, th := range []int{0, 3, 10, 15, 16, 31, 32, 40} {
						want := bruteForce(live, nbits, []Vec{q}, th)
						check(t, "Scan", th, s.Scan([]Vec{q}, th), want)
						check(t, "Search", th, s.Search([]Vec{q}, th), want)
						if th/(nbits/16) <= 3 {
							check(t, "mih", th, s.mih([]Vec{q}, th), want)
						}
					}
				}
			}
		})
	}
}

// TestNearestVariant checks that with several query variants each stored
// vector is reported once, through its nearest variant.
func TestNearestVariant(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	x, err := New(Options{Bits: 256})
	if err != nil {
		t.Fatal(err)
	}
	base := randomVec(rng, 256)
	variants := []Vec{randomVec(rng, 256), flip(rng, base, 256, 9), flip(rng, base, 256, 2), base}
	x.Add(Item{Ref: 1, Vec: base}, Item{Ref: 2, Vec: flip(rng, variants[1], 256, 1)})
	got := x.Search(variants, 31)
	want := []Result{{Ref: 1, Distance: 0, Query: 3}, {Ref: 2, Distance: 1, Query: 1}}
	if !slices.Equal(got, want) {
		t.Fatalf("Search = %v, want %v", got, want)
	}
	if got := x.Scan(variants, 31); !slices.Equal(got, want) {
		t.Fatalf("Scan = %v, want %v", got, want)
	}
}

func TestEmptyAndEdgeCases(t *testing.T) {
	x, err := New(Options{Bits: 256})
	if err != nil {
		t.Fatal(err)
	}
	q := []Vec{{1, 2, 3, 4}}
	if r := x.Search(q, 256); r != nil {
		t.Errorf("empty index: %v", r)
	}
	x.Add(Item{Ref: 1, Vec: Vec{1, 2, 3, 4}})
	if r := x.Search(q, -1); r != nil {
		t.Errorf("negative threshold: %v", r)
	}
	if r := x.Search(nil, 10); r != nil {
		t.Errorf("no queries: %v", r)
	}
	if r := x.Search(q, 1000); len(r) != 1 {
		t.Errorf("threshold beyond width: %v", r)
	}
	if n := x.Remove(Item{Ref: 2, Vec: Vec{1, 2, 3, 4}}); n != 0 {
		t.Errorf("Remove of another ref removed %d", n)
	}
	if n := x.Remove(Item{Ref: 1, Vec: Vec{1, 2, 3, 4}}); n != 1 || x.Len() != 0 {
		t.Errorf("Remove: %d removed, Len %d", n, x.Len())
	}
	if r := x.Search(q, 256); len(r) != 0 {
		t.Errorf("after Remove: %v", r)
	}
}

func TestRemoveRefs(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	x, err := New(Options{Bits: 256})
	if err != nil {
		t.Fatal(err)
	}
	var items []Item
	for ref := range int64(200) {
		// Two vectors per ref, as an entry with a region has.
		v := randomVec(rng, 256)
		items = append(items, Item{Ref: ref, Vec: v}, Item{Ref: ref, Tag: 1, Vec: flip(rng, v, 256, 5)})
	}
	x.Add(items...)
	if n := x.RemoveRefs(3, 7, 1000); n != 4 {
		t.Fatalf("RemoveRefs removed %d, want 4", n)
	}
	if n := x.RemoveRefs(3); n != 0 {
		t.Fatalf("RemoveRefs again removed %d", n)
	}
	var live []Item
	for _, it := range items {
		if it.Ref != 3 && it.Ref != 7 {
			live = append(live, it)
		}
	}
	for _, it := range items[:20] {
		for _, th := range []int{0, 10, 31} {
			want := bruteForce(live, 256, []Vec{it.Vec}, th)
			check(t, "Search", th, x.Search([]Vec{it.Vec}, th), want)
			check(t, "mih", th, x.Snapshot().mih([]Vec{it.Vec}, th), want)
		}
	}
}

// TestBuilderAppend fills builders with consecutive runs of a bank, with
// runs ending inside and on page boundaries, joins them and checks that
// the index holds the bank in order and answers as brute force.
func TestBuilderAppend(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 13))
	items := plantedBank(rng, 64, 3*pageSize/2, 20)
	cuts := []int{0, 0, 1, pageSize - 5, pageSize, pageSize + 2, len(items)}
	var joined *Builder
	for i := range len(cuts) - 1 {
		b, err := NewBuilder(Options{Bits: 64})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items[cuts[i]:cuts[i+1]] {
			b.Add(it)
		}
		if joined == nil {
			joined = b
			continue
		}
		if err := joined.Append(b); err != nil {
			t.Fatal(err)
		}
		if b.Len() != 0 {
			t.Fatalf("appended builder still holds %d vectors", b.Len())
		}
	}
	if joined.Len() != len(items) {
		t.Fatalf("Len %d, want %d", joined.Len(), len(items))
	}
	other, _ := NewBuilder(Options{Bits: 256})
	if err := joined.Append(other); err == nil {
		t.Error("appending a 256-bit builder to a 64-bit one: no error")
	}
	s := joined.Index().Snapshot()
	for p, it := range items {
		pg, o := s.pages[p>>pageBits], p&(pageSize-1)
		if s.vec(uint32(p)) != it.Vec || pg.refs[o] != it.Ref || pg.tags[o] != it.Tag {
			t.Fatalf("position %d: %x ref %d tag %d, want %+v", p, s.vec(uint32(p)), pg.refs[o], pg.tags[o], it)
		}
	}
	for _, q := range queriesNear(rng, items, 64, 6, 12) {
		for _, th := range []int{0, 5, 12} {
			check(t, "Search", th, s.Search([]Vec{q}, th), bruteForce(items, 64, []Vec{q}, th))
		}
	}
}
