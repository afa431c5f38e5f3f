package memeeval

// Thresholds holds a distance threshold for each score: a query matches
// an entry when their distance is at most the threshold.
type Thresholds [nScores]int

// DefaultThresholds are the thresholds the report is made at: PDQ's
// usual 31 of 256 bits; 8 of 64 bits for the 64-bit hashes (about the
// same share of the bits); 31 for the PDQ or pHash combination, which
// is PDQ within 31 or pHash within 8.
func DefaultThresholds() Thresholds { return Thresholds{31, 8, 8, 8, 31} }

// A Tally counts matches of one score at one step and threshold.
type Tally struct {
	Found, Queries int // bank queries that matched their own entry
	// FalsePairs counts (query, entry) pairs that matched though the
	// query was not made from the entry's picture, out of Pairs.
	FalsePairs, Pairs int
	// FalseQueries counts queries with at least one false match.
	FalseQueries int
}

// Recall is Found/Queries, or 1 when there are no queries.
func (t Tally) Recall() float64 {
	if t.Queries == 0 {
		return 1
	}
	return float64(t.Found) / float64(t.Queries)
}

// FalseRate is FalsePairs/Pairs.
func (t Tally) FalseRate() float64 {
	if t.Pairs == 0 {
		return 0
	}
	return float64(t.FalsePairs) / float64(t.Pairs)
}

// Tally counts matches at step with score at threshold th, over the
// queries whose family is in families (all when families is nil).
func (r *Result) Tally(step Step, score, th int, families ...string) Tally {
	var t Tally
	for _, q := range r.Queries {
		if families != nil && !contains(families, q.Family) {
			continue
		}
		if q.Entry >= 0 {
			t.Queries++
			if int(q.Dist[q.Entry][step][score]) <= th {
				t.Found++
			}
		}
		falseMatch := false
		for e := range q.Dist {
			if e == q.Entry {
				continue
			}
			t.Pairs++
			if int(q.Dist[e][step][score]) <= th {
				t.FalsePairs++
				falseMatch = true
			}
		}
		if falseMatch {
			t.FalseQueries++
		}
	}
	return t
}

// Nearest returns, over the queries of families, the least distance of
// score at step between a query and an entry it was not made from:
// thresholds below it give no false match.
func (r *Result) Nearest(step Step, score int, families ...string) int {
	best := 1 << 30
	for _, q := range r.Queries {
		if families != nil && !contains(families, q.Family) {
			continue
		}
		for e := range q.Dist {
			if e != q.Entry {
				best = min(best, int(q.Dist[e][step][score]))
			}
		}
	}
	return best
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
