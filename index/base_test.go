package index

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func TestLayoutSub(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, nbits := range []int{64, 128, 256} {
		// Substrings of 16 to 24 bits, as baseLayout makes.
		for m := (nbits + 23) / 24; m <= min(maxSub, nbits/16); m++ {
			lay := makeLayout(nbits, m)
			if last := lay.off[m-1] + lay.width[m-1]; last != nbits {
				t.Fatalf("%d bits in %d: substrings end at bit %d", nbits, m, last)
			}
			for range 20 {
				v := randomVec(rng, nbits)
				for i := range m {
					var want uint32
					for b := lay.off[i]; b < lay.off[i]+lay.width[i]; b++ {
						want = want<<1 | uint32(v[b/64]>>(63-b%64)&1)
					}
					if got := lay.sub(&v, i); got != want {
						t.Fatalf("%d bits in %d, substring %d of %x: %x, want %x", nbits, m, i, v, got, want)
					}
				}
			}
		}
	}
}

func TestBall(t *testing.T) {
	for _, tt := range []struct {
		w, r int
		want float64
	}{{16, 0, 1}, {16, 1, 17}, {16, 2, 137}, {22, 2, 254}, {3, 5, 8}} {
		if got := ball(tt.w, tt.r); got != tt.want {
			t.Errorf("ball(%d, %d) = %v, want %v", tt.w, tt.r, got, tt.want)
		}
	}
}

// TestWideSubstrings builds bases with the wide substrings that large
// indexes get (17 to 22 bits) over a small bank and checks the probing
// against brute force, in the sparse tables that such bases get and in
// the dense ones of fuller bases.
func TestWideSubstrings(t *testing.T) {
	for _, nbits := range []int{64, 256} {
		for _, w := range []int{17, 20, 24} {
			t.Run(fmt.Sprintf("%d-bit/%d", nbits, w), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(w), uint64(nbits)))
				items := plantedBank(rng, nbits, 1000, 40)
				b, err := NewBuilder(Options{Bits: nbits})
				if err != nil {
					t.Fatal(err)
				}
				for _, it := range items {
					b.Add(it)
				}
				s := b.s
				lay := makeLayout(nbits, (nbits+w-1)/w)
				if !sparse(&lay, len(items)) {
					t.Fatal("a bank of 1000 is not sparse in 17-bit substrings")
				}
				queries := queriesNear(rng, items, nbits, 8, 40)
				// Sparse tables, as the layout gets, and dense ones, as
				// a base too full for sparse tables has.
				for _, sp := range []bool{true, false} {
					s.base = buildBaseLayout(s, lay, sp)
					if (s.base.occ != nil) != sp {
						t.Fatalf("buildBaseLayout(sparse %v) built occupancy bitmaps %v", sp, s.base.occ != nil)
					}
					for _, q := range queries {
						for th := 0; th <= 40; th++ {
							if th/s.base.lay.m > 3 {
								break // slow at wide radii
							}
							want := bruteForce(items, nbits, []Vec{q}, th)
							check(t, fmt.Sprintf("mih, sparse %v", sp), th, s.mih([]Vec{q}, th), want)
						}
					}
				}
			})
		}
	}
}
