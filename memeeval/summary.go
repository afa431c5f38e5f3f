package memeeval

import "slices"

// Thresholds holds a distance threshold for each score: a query matches
// an entry when their distance is at most the threshold.
type Thresholds [nScores]int

// DefaultThresholds are the thresholds the report is made at: the
// matcher's defaults, PDQ's usual 31 of 256 bits and 8 of 64 bits for
// pHash (matcher.DefaultThreshold); 31 for their combination, which is
// PDQ within 31 or pHash within 8.
func DefaultThresholds() Thresholds { return Thresholds{31, 8, 31} }

// A Tally counts matches of one score at one step and threshold, or of
// the product.
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
// queries whose family is in families (all when families is empty).
func (r *Result) Tally(step Step, score, th int, families ...string) Tally {
	return r.tally(func(q *Query, e int) bool { return int(q.Dist[e][step][score]) <= th }, families)
}

// Product counts the matches matcher.Match returned, over the queries
// whose family is in families (all when families is empty).
func (r *Result) Product(families ...string) Tally {
	return r.tally(func(q *Query, e int) bool { return q.Matched[e] }, families)
}

func (r *Result) tally(matched func(q *Query, e int) bool, families []string) Tally {
	var t Tally
	for i := range r.Queries {
		q := &r.Queries[i]
		if len(families) > 0 && !slices.Contains(families, q.Family) {
			continue
		}
		if q.Entry >= 0 {
			t.Queries++
			if matched(q, q.Entry) {
				t.Found++
			}
		}
		falseMatch := false
		for e := range q.Dist {
			if e == q.Entry {
				continue
			}
			t.Pairs++
			if matched(q, e) {
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

// Disagreements counts the (query, entry) pairs where matcher.Match and
// the combined score at the last step, at threshold th, disagree: none,
// when the evaluation's distances are the product's.
func (r *Result) Disagreements(th int) int {
	n := 0
	for _, q := range r.Queries {
		for e := range q.Dist {
			if q.Matched[e] != (int(q.Dist[e][nSteps-1][combined]) <= th) {
				n++
			}
		}
	}
	return n
}

// Nearest returns, over the queries of families, the least distance of
// score at step between a query and an entry it was not made from:
// thresholds below it give no false match.
func (r *Result) Nearest(step Step, score int, families ...string) int {
	best := 1 << 30
	for _, q := range r.Queries {
		if len(families) > 0 && !slices.Contains(families, q.Family) {
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
