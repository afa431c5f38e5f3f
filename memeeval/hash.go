package memeeval

import (
	"encoding/binary"
	"math/bits"
	"strings"

	"github.com/medialabel/medialabel"
	"github.com/medialabel/medialabel/matcher"
	"github.com/medialabel/medialabel/meme"
	"github.com/medialabel/medialabel/regions"
)

// A hash is one hash of a query or an entry, with the step from which it
// takes part.
type hash struct {
	sig  medialabel.Signal
	step Step
	w    [4]uint64 // the value, big-endian words, zero-padded
}

// features are the hashes of a query or an entry.
type features struct {
	hashes []hash
	found  int // regions regions.Find gave a query
}

func newHash(h medialabel.Hash, step Step) hash {
	x := hash{sig: h.Signal, step: step}
	for i := 0; i < 4 && 8*i < len(h.Value); i++ {
		var b [8]byte
		copy(b[:], h.Value[8*i:])
		x.w[i] = binary.BigEndian.Uint64(b[:])
	}
	return x
}

// queryFeatures are the hashes of a query as package meme made it, each
// with the step it belongs to by its region's name.
func queryFeatures(q matcher.Query) features {
	var f features
	add := func(hs []medialabel.Hash, dih map[medialabel.Transform]medialabel.Hash, step Step) {
		for _, h := range hs {
			f.hashes = append(f.hashes, newHash(h, step))
		}
		for _, h := range dih {
			f.hashes = append(f.hashes, newHash(h, max(step, Dihedral)))
		}
	}
	add(q.Hashes, q.Dihedral, Plain)
	for _, r := range q.Regions {
		step := QueryRegions
		switch {
		case r.Name == meme.MirrorRegion:
			step = Dihedral
		case strings.HasPrefix(r.Name, meme.CropPrefix):
			step = QueryCrops
		case strings.HasPrefix(r.Name, meme.MirrorPrefix):
			// The mirror of a found region or a crop: the step of what
			// it mirrors.
			if strings.HasPrefix(strings.TrimPrefix(r.Name, meme.MirrorPrefix), meme.CropPrefix) {
				step = QueryCrops
			}
		default:
			f.found++
		}
		add(r.Hashes, r.Dihedral, step)
	}
	return f
}

// entryFeatures are the hashes of a bank entry, each with the step it
// belongs to by its region's name: crops of the picture (regions.Crops)
// or regions regions.Find found in it.
func entryFeatures(e medialabel.Entry) features {
	var f features
	for _, h := range e.Hashes {
		f.hashes = append(f.hashes, newHash(h, Plain))
	}
	for _, r := range e.Regions {
		step := BankCrops
		if regions.Found(r.Region) {
			step = BankRegions
		}
		f.hashes = append(f.hashes, newHash(r.Hash, step))
	}
	return f
}

// distance is the Hamming distance of two hashes of one signal; MD5 and
// SHA-256 sums are 0 apart when equal and far apart otherwise.
func distance(a, b *hash) int {
	switch a.sig {
	case medialabel.PDQ:
		return bits.OnesCount64(a.w[0]^b.w[0]) + bits.OnesCount64(a.w[1]^b.w[1]) +
			bits.OnesCount64(a.w[2]^b.w[2]) + bits.OnesCount64(a.w[3]^b.w[3])
	case medialabel.PHash, medialabel.DHash, medialabel.AHash:
		return bits.OnesCount64(a.w[0] ^ b.w[0])
	}
	if a.w == b.w {
		return 0
	}
	return 1 << 14
}

// match returns the least distance of every score at every step between
// query q and entry e.
func match(q, e *features) [nSteps][nScores]uint16 {
	var d [nSteps][nScores]uint16
	for s := range nSteps {
		for c := range nScores {
			d[s][c] = 1 << 14
		}
	}
	for qi := range q.hashes {
		qh := &q.hashes[qi]
		for ei := range e.hashes {
			eh := &e.hashes[ei]
			if qh.sig != eh.sig {
				continue
			}
			var v [nScores]int
			for c := range v {
				v[c] = 1 << 14
			}
			dist := distance(qh, eh)
			switch qh.sig {
			case medialabel.PDQ:
				v[scorePDQ], v[combined] = dist, dist
			case medialabel.PHash:
				v[scorePHash], v[combined] = dist, scalePHash(dist)
			case medialabel.MD5, medialabel.SHA256:
				v[combined] = dist
			default:
				continue
			}
			for s := max(qh.step, eh.step); s < nSteps; s++ {
				for c := range nScores {
					d[s][c] = min(d[s][c], uint16(v[c]))
				}
			}
		}
	}
	return d
}
