package model

import (
	"fmt"
	"math"
	"sort"
)

// Confusion is a binary confusion matrix.
type Confusion struct {
	TP, FP, TN, FN int
}

// Add counts one prediction against its gold label.
func (c *Confusion) Add(predicted, gold bool) {
	switch {
	case predicted && gold:
		c.TP++
	case predicted && !gold:
		c.FP++
	case !predicted && gold:
		c.FN++
	default:
		c.TN++
	}
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Precision of the positive class.
func (c Confusion) Precision() float64 { return ratio(c.TP, c.TP+c.FP) }

// Recall of the positive class.
func (c Confusion) Recall() float64 { return ratio(c.TP, c.TP+c.FN) }

// F1 of the positive class.
func (c Confusion) F1() float64 { return ratio(2*c.TP, 2*c.TP+c.FP+c.FN) }

// NegativeF1 is the F1 of the negative class.
func (c Confusion) NegativeF1() float64 { return ratio(2*c.TN, 2*c.TN+c.FN+c.FP) }

// MacroF1 is the mean of the F1 of both classes.
func (c Confusion) MacroF1() float64 { return (c.F1() + c.NegativeF1()) / 2 }

// Accuracy is the share of correct predictions.
func (c Confusion) Accuracy() float64 { return ratio(c.TP+c.TN, c.TP+c.TN+c.FP+c.FN) }

// String formats the matrix and its scores on a few lines.
func (c Confusion) String() string {
	return fmt.Sprintf("precision %.4f recall %.4f F1 %.4f macro-F1 %.4f accuracy %.4f\n"+
		"confusion (rows gold, columns predicted):\n           pred 0  pred 1\n  gold 0  %7d %7d\n  gold 1  %7d %7d\n",
		c.Precision(), c.Recall(), c.F1(), c.MacroF1(), c.Accuracy(), c.TN, c.FP, c.FN, c.TP)
}

// ConfusionAt labels scores >= threshold positive and counts them against
// gold.
func ConfusionAt(scores []float64, gold []bool, threshold float64) Confusion {
	var c Confusion
	for i, s := range scores {
		c.Add(s >= threshold, gold[i])
	}
	return c
}

// BestThreshold returns the threshold among the scores that maximizes
// metric, and the metric's value there. Ties go to the threshold nearest
// 0.5.
func BestThreshold(scores []float64, gold []bool, metric func(Confusion) float64) (float64, float64) {
	best, bestV := 0.5, metric(ConfusionAt(scores, gold, 0.5))
	// Sweep: with scores sorted, move one example at a time from
	// predicted positive to predicted negative.
	type pair struct {
		s float64
		g bool
	}
	ps := make([]pair, len(scores))
	var c Confusion
	for i, s := range scores {
		ps[i] = pair{s, gold[i]}
		c.Add(true, gold[i])
	}
	sort.Slice(ps, func(a, b int) bool { return ps[a].s < ps[b].s })
	for i := 0; i < len(ps); {
		th := ps[i].s
		if v := metric(c); v > bestV || (v == bestV && abs(th-0.5) < abs(best-0.5)) {
			best, bestV = th, v
		}
		for i < len(ps) && ps[i].s == th {
			if ps[i].g {
				c.TP--
				c.FN++
			} else {
				c.FP--
				c.TN++
			}
			i++
		}
	}
	return best, bestV
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// WilsonUpper is the upper end of the one-sided Wilson score interval at
// confidence conf (0 < conf < 1) for a proportion of k in n: the largest
// true rate that k in n does not rule out at that confidence. It is 0
// when n is 0.
func WilsonUpper(k, n int, conf float64) float64 {
	if n == 0 {
		return 0
	}
	z := math.Sqrt2 * math.Erfinv(2*conf-1)
	p, fn := float64(k)/float64(n), float64(n)
	z2 := z * z
	centre := p + z2/(2*fn)
	half := z * math.Sqrt(p*(1-p)/fn+z2/(4*fn*fn))
	return min(1, (centre+half)/(1+z2/fn))
}
