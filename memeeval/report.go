package memeeval

import (
	"fmt"
	"image/color"
	"io"
	"strings"
	"time"

	"github.com/medialabel/medialabel/meme"
	"github.com/medialabel/medialabel/memeedit"
	"github.com/medialabel/medialabel/regions"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// WriteMarkdown writes the evaluation's tables at thresholds th.
func (r *Result) WriteMarkdown(w io.Writer, th Thresholds, distinct *Distinct) error {
	var b strings.Builder
	nq, nBank := len(r.Queries), 0
	for _, q := range r.Queries {
		if q.Entry >= 0 {
			nBank++
		}
	}
	cuts := make([]string, 0, len(regions.DefaultCuts()))
	for _, c := range regions.DefaultCuts() {
		cuts = append(cuts, fmt.Sprintf("%.0f%%", 100*c))
	}
	qcuts := make([]string, 0, len(meme.QueryCuts()))
	for _, c := range meme.QueryCuts() {
		qcuts = append(qcuts, fmt.Sprintf("%.0f%%", 100*c))
	}
	fmt.Fprintf(&b, "Edits: seed %d, %d of each of %d families; %d bank pictures, %d queries (%d of bank pictures, %d of distractors); bank crops cut %s of a side, query crops %s.\n\n",
		r.Config.Seed, r.Config.PerFamily, len(r.families()), len(r.Bank), nq, nBank, nq-nBank, strings.Join(cuts, ", "), strings.Join(qcuts, ", "))

	easy, hard := r.split()
	b.WriteString("### What the product does\n\n")
	b.WriteString("Each picture is a PNG file; bank pictures become entries as `medialabel db add` makes them (meme.Hasher.Entry, with regions), edited pictures are looked up as `medialabel match` and `/v1/label` do (meme.Hasher.Query with rotations, mirrors and regions, then matcher.Match at its default thresholds: PDQ within 31, pHash within 8, MD5 equal). Recall is over edited bank pictures; \"easy\" is every family but juxtapositions and crops over 10% (target 98%), \"hard\" is those (target 90%). False pairs count (query, entry) pairs that matched though the query was not made from the entry's picture.\n\n")
	p := r.Product()
	b.WriteString("| recall | easy | hard | false pairs | queries with a false match |\n|---|---|---|---|---|\n")
	fmt.Fprintf(&b, "| %s | %s | %s | %d / %d | %d |\n\n", pct(p.Recall()), pct(r.Product(easy...).Recall()), pct(r.Product(hard...).Recall()), p.FalsePairs, p.Pairs, p.FalseQueries)
	fmt.Fprintf(&b, "The tables below are computed from the same hashes, step by step; at the last step the pdq|phash score at %d agrees with matcher.Match on every (query, entry) pair (%d pairs differ).\n\n", th[combined], r.Disagreements(th[combined]))

	fmt.Fprintf(&b, "Thresholds: pdq %d, phash %d, pdq|phash %d (the smaller of the PDQ distance and the pHash distance times 31/8: at 31, PDQ within 31 or pHash within 8).\n\n", th[scorePDQ], th[scorePHash], th[combined])
	b.WriteString("### Recall and false matches, step by step\n\n")
	b.WriteString("Each step includes those above it. \"Nearest\" is the least distance of a (query, entry) pair of different pictures (a threshold below it gives no false match).\n\n")
	b.WriteString("| step | signal | recall | easy | hard | false pairs | queries with a false match | nearest false |\n|---|---|---|---|---|---|---|---|\n")
	for s := range nSteps {
		for c := range nScores {
			t := r.Tally(s, c, th[c])
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %d / %d | %d | %d |\n", s, scoreNames[c], pct(t.Recall()),
				pct(r.Tally(s, c, th[c], easy...).Recall()), pct(r.Tally(s, c, th[c], hard...).Recall()),
				t.FalsePairs, t.Pairs, t.FalseQueries, r.Nearest(s, c))
		}
	}

	b.WriteString("\n### pdq|phash recall per family and step\n\n| family | " + strings.Join(stepNames[:], " | ") + " |\n|---|" + strings.Repeat("---|", int(nSteps)) + "\n")
	for _, f := range r.families() {
		fmt.Fprintf(&b, "| %s |", f)
		for s := range nSteps {
			fmt.Fprintf(&b, " %s |", pct(r.Tally(s, combined, th[combined], f).Recall()))
		}
		b.WriteString("\n")
	}

	last := nSteps - 1
	b.WriteString("\n### Recall per family and signal, all steps on\n\n| family | " + strings.Join(scoreNames[:], " | ") + " | product |\n|---|" + strings.Repeat("---|", nScores+1) + "\n")
	for _, f := range r.families() {
		fmt.Fprintf(&b, "| %s |", f)
		for c := range nScores {
			fmt.Fprintf(&b, " %s |", pct(r.Tally(last, c, th[c], f).Recall()))
		}
		fmt.Fprintf(&b, " %s |\n", pct(r.Product(f).Recall()))
	}

	for _, c := range []int{scorePDQ, combined} {
		fmt.Fprintf(&b, "\n### %s threshold, all steps on\n\n| threshold | recall | easy | hard | false pairs |\n|---|---|---|---|---|\n", scoreNames[c])
		for _, t := range []int{31, 40, 48, 56, 63, 70} {
			all := r.Tally(last, c, t)
			fmt.Fprintf(&b, "| %d | %s | %s | %s | %d |\n", t, pct(all.Recall()), pct(r.Tally(last, c, t, easy...).Recall()), pct(r.Tally(last, c, t, hard...).Recall()), all.FalsePairs)
		}
	}

	b.WriteString("\n### Copies the product missed\n\n| picture | edit | pdq|phash distance |\n|---|---|---|\n")
	shown := 0
	for _, q := range r.Queries {
		if q.Entry < 0 || q.Matched[q.Entry] {
			continue
		}
		if shown++; shown > 80 {
			b.WriteString("| ... | | |\n")
			break
		}
		fmt.Fprintf(&b, "| %s | %s | %d |\n", q.Original, q.Edit, q.Dist[q.Entry][last][combined])
	}

	b.WriteString("\n### False matches of the product\n\n")
	nf := 0
	for _, q := range r.Queries {
		for _, f := range q.False {
			if nf++; nf == 1 {
				b.WriteString("| query picture | edit | entry, signal, distance, region |\n|---|---|---|\n")
			}
			fmt.Fprintf(&b, "| %s | %s | %s |\n", q.Original, q.Edit, f)
		}
	}
	if nf == 0 {
		b.WriteString("None.\n")
	}

	b.WriteString("\n### Cost of regions\n\n")
	per := func(d time.Duration, n int) string {
		if n == 0 {
			return "-"
		}
		return (d / time.Duration(n)).Round(10 * time.Microsecond).String()
	}
	ratio := func(a, b time.Duration) string {
		if b == 0 {
			return "-"
		}
		return fmt.Sprintf("%.1fx", float64(a)/float64(b))
	}
	regionsFound := 0
	for _, q := range r.Queries {
		regionsFound += q.Regions
	}
	nb := max(1, len(r.Bank))
	fmt.Fprintf(&b, "| | whole picture only | with regions | ratio |\n|---|---|---|---|\n")
	fmt.Fprintf(&b, "| query: meme.Hasher.Query, mean time | %s | %s | %s |\n", per(r.WholeQueryTime, nq), per(r.QueryTime, nq), ratio(r.QueryTime, r.WholeQueryTime))
	fmt.Fprintf(&b, "| bank: meme.Hasher.Entry, mean time (with a thumbnail) | %s | %s | %s |\n", per(r.WholeEntryTime, nb), per(r.EntryTime, nb), ratio(r.EntryTime, r.WholeEntryTime))
	fmt.Fprintf(&b, "| bank: stored hash bytes per entry | %d | %d | %.1fx |\n", r.WholeBytes/nb, r.EntryBytes/nb, float64(r.EntryBytes)/float64(max(1, r.WholeBytes)))
	fmt.Fprintf(&b, "\nRegions found per query (regions.Find), mean: %.2f. Hashes stored per entry, mean: %.1f (PDQ 32 bytes, pHash 8, MD5 16).\n",
		float64(regionsFound)/float64(max(1, nq)), float64(r.EntryHashes)/float64(nb))
	b.WriteString("\nTimes are wall-clock on a shared machine, summed over worker goroutines, both measured in the same run on the same files; the query time excludes matcher.Match.\n")

	if distinct != nil {
		b.WriteString("\n### Different pictures never match\n\n")
		fmt.Fprintf(&b, "Every file of the photos and the PDQ reference images (%d files) banked as `db add` does and looked up as `match` does, against every file of another picture: %d pairs, %d matched at the default thresholds; the least pdq|phash distance of such a pair is %d.\n",
			distinct.Files, distinct.Pairs, distinct.Matches, distinct.Nearest)
		for _, e := range distinct.Examples {
			fmt.Fprintf(&b, "\n- %s", e)
		}
		if len(distinct.Examples) > 0 {
			b.WriteString("\n")
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

// SignalSeries is one series per score with every step on.
func SignalSeries() []Series {
	out := make([]Series, 0, nScores)
	for c := range nScores {
		m := 32
		if c != scorePHash {
			m = 128
		}
		out = append(out, Series{Name: scoreNames[c], Step: nSteps - 1, Score: c, Max: m})
	}
	return out
}

// StepSeries is one series per step for the combined score.
func StepSeries() []Series {
	out := make([]Series, 0, nSteps)
	for s := range nSteps {
		out = append(out, Series{Name: "pdq|phash, " + s.String(), Step: s, Score: combined, Max: 128})
	}
	return out
}
