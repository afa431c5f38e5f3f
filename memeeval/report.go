package memeeval

import (
	"fmt"
	"image/color"
	"io"
	"strings"
	"time"

	"github.com/medialabel/medialabel/memeedit"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// hashBytes is the size of one stored region's hashes: PDQ (32 bytes)
// and the three 64-bit hashes.
const hashBytes = 32 + 3*8

// WriteMarkdown writes the evaluation's tables at thresholds th.
func (r *Result) WriteMarkdown(w io.Writer, th Thresholds, distinct []Distinct) error {
	var b strings.Builder
	nq, nBank := 0, 0
	for _, q := range r.Queries {
		if q.Entry >= 0 {
			nBank++
		}
		nq++
	}
	cuts := make([]string, len(r.Config.Cuts))
	for i, c := range r.Config.Cuts {
		cuts[i] = fmt.Sprintf("%.0f%%", 100*c)
	}
	fmt.Fprintf(&b, "Edits: seed %d, %d of each of %d families; %d bank pictures, %d queries (%d of bank pictures, %d of distractors); bank crops cut %s of a side, query crops %.0f%%.\n\n",
		r.Config.Seed, r.Config.PerFamily, len(r.families()), len(r.Bank), nq, nBank, nq-nBank, strings.Join(cuts, " and "), 100*r.Config.QueryCut)
	fmt.Fprintf(&b, "Thresholds: pdq %d, phash %d, dhash %d, ahash %d, pdq|phash %d (the smaller of the PDQ distance and the pHash distance times 31/8: at 31, PDQ within 31 or pHash within 8).\n\n",
		th[0], th[1], th[2], th[3], th[combined])

	b.WriteString("### Recall and false matches, step by step\n\n")
	b.WriteString("Each step includes those above it. Recall is over edited bank pictures; \"easy\" is every family but juxtapositions and crops over 10%, \"hard\" is those. False pairs count (query, entry) pairs that matched though the query was not made from the entry's picture; \"nearest\" is the least distance of such a pair (a threshold below it gives no false match).\n\n")
	b.WriteString("| step | signal | recall | easy | hard | false pairs | queries with a false match | nearest false |\n|---|---|---|---|---|---|---|---|\n")
	easy, hard := r.split()
	for s := range nSteps {
		for c := range nScores {
			t := r.Tally(s, c, th[c])
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %d / %d | %d | %d |\n", s, scoreNames[c], pct(t.Recall()),
				pct(r.Tally(s, c, th[c], easy...).Recall()), pct(r.Tally(s, c, th[c], hard...).Recall()),
				t.FalsePairs, t.Pairs, t.FalseQueries, r.Nearest(s, c))
		}
	}

	b.WriteString("\n### PDQ recall per family and step\n\n| family | " + strings.Join(stepNames[:], " | ") + " |\n|---|" + strings.Repeat("---|", int(nSteps)) + "\n")
	for _, f := range r.families() {
		fmt.Fprintf(&b, "| %s |", f)
		for s := range nSteps {
			fmt.Fprintf(&b, " %s |", pct(r.Tally(s, 0, th[0], f).Recall()))
		}
		b.WriteString("\n")
	}

	last := nSteps - 1
	b.WriteString("\n### Recall per family and signal, all steps on\n\n| family | " + strings.Join(scoreNames[:], " | ") + " |\n|---|" + strings.Repeat("---|", nScores) + "\n")
	for _, f := range r.families() {
		fmt.Fprintf(&b, "| %s |", f)
		for c := range nScores {
			fmt.Fprintf(&b, " %s |", pct(r.Tally(last, c, th[c], f).Recall()))
		}
		b.WriteString("\n")
	}

	for _, c := range []int{0, combined} {
		fmt.Fprintf(&b, "\n### %s threshold, all steps on\n\n| threshold | recall | easy | hard | false pairs |\n|---|---|---|---|---|\n", scoreNames[c])
		for _, t := range []int{31, 40, 48, 56, 63, 70} {
			all := r.Tally(last, c, t)
			fmt.Fprintf(&b, "| %d | %s | %s | %s | %d |\n", t, pct(all.Recall()), pct(r.Tally(last, c, t, easy...).Recall()), pct(r.Tally(last, c, t, hard...).Recall()), all.FalsePairs)
		}
	}

	fmt.Fprintf(&b, "\n### Copies missed by %s, all steps on\n\n| picture | edit | distance |\n|---|---|---|\n", scoreNames[combined])
	shown := 0
	for _, q := range r.Queries {
		if q.Entry < 0 || int(q.Dist[q.Entry][last][combined]) <= th[combined] {
			continue
		}
		if shown++; shown > 60 {
			b.WriteString("| ... | | |\n")
			break
		}
		fmt.Fprintf(&b, "| %s | %s | %d |\n", q.Original, q.Edit, q.Dist[q.Entry][last][combined])
	}

	b.WriteString("\n### Cost of regions\n\n")
	per := func(d time.Duration, n int) string {
		if n == 0 {
			return "-"
		}
		return (d / time.Duration(n)).Round(10 * time.Microsecond).String()
	}
	regionsFound := 0
	for _, q := range r.Queries {
		regionsFound += q.Regions
	}
	fmt.Fprintf(&b, "| | per query or entry |\n|---|---|\n")
	fmt.Fprintf(&b, "| query: finding regions (regions.Find) | %s |\n", per(r.FindTime, nq))
	fmt.Fprintf(&b, "| query: hashing the whole picture (all four signals, PDQ with its 8 rotations and mirrors) | %s |\n", per(r.QueryHashTime, nq))
	fmt.Fprintf(&b, "| query: hashing its regions and crops | %s |\n", per(r.RegionHashTime, nq))
	fmt.Fprintf(&b, "| query: hashing the mirrors of the picture and its regions | %s |\n", per(r.MirrorHashTime, nq))
	fmt.Fprintf(&b, "| query: regions found, mean (crops of the query come on top: 5) | %.2f |\n", float64(regionsFound)/float64(max(1, nq)))
	fmt.Fprintf(&b, "| bank: hashing the whole picture | %s |\n", per(r.BankHashTime, len(r.Bank)))
	fmt.Fprintf(&b, "| bank: hashing its crops and regions | %s |\n", per(r.CropHashTime, len(r.Bank)))
	fmt.Fprintf(&b, "| bank: stored regions, mean | %.2f |\n", float64(r.BankRegions)/float64(max(1, len(r.Bank))))
	fmt.Fprintf(&b, "| bank: index size, whole picture only | %d bytes |\n", hashBytes)
	fmt.Fprintf(&b, "| bank: index size with regions, mean | %.0f bytes |\n", float64(hashBytes)*(1+float64(r.BankRegions)/float64(max(1, len(r.Bank)))))
	b.WriteString("\nTimes are wall-clock on a shared machine, summed over worker goroutines; they are for comparing the parts with each other.\n")

	if distinct != nil {
		b.WriteString("\n### Different pictures never match\n\nEvery file of the photos and the PDQ reference images against every file of another picture (whole pictures, PDQ through all 8 rotations and mirrors):\n\n| signal | pairs | least distance | pairs at or under the threshold |\n|---|---|---|---|\n")
		for _, d := range distinct {
			fmt.Fprintf(&b, "| %s | %d | %d | %d |\n", d.Signal, d.Pairs, d.Nearest, d.Within)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func pct(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) }

// families lists the families present in the result, in report order.
func (r *Result) families() []string {
	seen := map[string]bool{}
	for _, q := range r.Queries {
		seen[q.Family] = true
	}
	var out []string
	for _, f := range memeedit.Families() {
		if seen[f] {
			out = append(out, f)
		}
	}
	return out
}

// split divides the families present into those held to the higher
// recall target and the hard ones.
func (r *Result) split() (easy, hard []string) {
	for _, f := range r.families() {
		if memeedit.Hard(f) {
			hard = append(hard, f)
		} else {
			easy = append(easy, f)
		}
	}
	return easy, hard
}

// Plot draws recall against the false-match rate as the threshold
// grows, one line per series, and saves it as a PNG at path.
func (r *Result) Plot(path, title string, series []Series) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "false matches, % of pairs (log; none is drawn as half a pair)"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Y.Label.Text = "recall (%)"
	p.Y.Min, p.Y.Max = 0, 100
	p.Add(plotter.NewGrid())
	palette := []color.Color{
		color.RGBA{31, 119, 180, 255}, color.RGBA{255, 127, 14, 255}, color.RGBA{44, 160, 44, 255},
		color.RGBA{214, 39, 40, 255}, color.RGBA{148, 103, 189, 255}, color.RGBA{140, 86, 75, 255},
	}
	for i, s := range series {
		var pts plotter.XYs
		for t := 0; t <= s.Max; t++ {
			tl := r.Tally(s.Step, s.Score, t)
			rate := tl.FalseRate()
			if tl.FalsePairs == 0 {
				rate = 0.5 / float64(max(1, tl.Pairs))
			}
			pts = append(pts, plotter.XY{X: 100 * rate, Y: 100 * tl.Recall()})
		}
		line, err := plotter.NewLine(pts)
		if err != nil {
			return fmt.Errorf("plotting %s: %w", s.Name, err)
		}
		line.Color = palette[i%len(palette)]
		line.Width = vg.Points(1.5)
		p.Add(line)
		p.Legend.Add(s.Name, line)
	}
	p.Legend.Top = false
	p.Legend.Left = false
	if err := p.Save(10*vg.Inch, 5*vg.Inch, path); err != nil {
		return fmt.Errorf("saving plot: %w", err)
	}
	return nil
}

// A Series is one line of a plot: a score at a step, with thresholds
// from 0 to Max.
type Series struct {
	Name  string
	Step  Step
	Score int
	Max   int
}

// SignalSeries is one series per signal with every step on.
func SignalSeries() []Series {
	out := make([]Series, 0, nScores)
	for c := range nScores {
		m := 32
		if c == 0 || c == combined {
			m = 128
		}
		out = append(out, Series{Name: scoreNames[c], Step: nSteps - 1, Score: c, Max: m})
	}
	return out
}

// StepSeries is one series per step for PDQ.
func StepSeries() []Series {
	out := make([]Series, 0, nSteps)
	for s := range nSteps {
		out = append(out, Series{Name: "pdq, " + s.String(), Step: s, Score: 0, Max: 128})
	}
	return out
}
