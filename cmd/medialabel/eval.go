package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/medialabel/medialabel"
	"github.com/medialabel/medialabel/classify/dataset"
	"github.com/medialabel/medialabel/model"
	"github.com/spf13/cobra"
)

// evalBatch is how many captions eval hands to Classify at once.
const evalBatch = 256

func newEvalCmd(g *globals) *cobra.Command {
	var (
		data, textCol, labelCol, output, groupCol, modelPath string
		threshold                                            float64
		worst                                                int
	)
	cmd := &cobra.Command{
		Use:   "eval --data FILE [flags]",
		Short: "Measure the caption model on a labelled file",
		Long: `Score every caption of a labelled CSV, TSV, JSONL or JSON-array file (format
from the extension) and print precision, recall, F1, macro-F1, the confusion
matrix and the worst errors for one output. --label-col none scores an
unlabelled file and prints the share flagged with samples. --group-col also
prints, per value of that column, how many captions were flagged.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if output != medialabel.LabelDehumanizing && output != medialabel.LabelOffensive {
				return usageError(fmt.Errorf("--output %q: want dehumanizing or offensive", output))
			}
			if data == "" {
				return usageError(errors.New("--data is required"))
			}
			if labelCol == "" {
				labelCol = output
			}
			cols := []string{}
			labelled := labelCol != "none"
			if labelled {
				cols = append(cols, labelCol)
			}
			rows, err := readRows(data, textCol, groupCol, cols...)
			if err != nil {
				return usageError(err)
			}
			c, err := openClassifier(cmd.Context(), modelPath, 0)
			if err != nil {
				return usageError(err)
			}
			if !cmd.Flags().Changed("threshold") {
				th := c.Thresholds()
				threshold = th.Offensive
				if output == medialabel.LabelDehumanizing {
					threshold = th.Dehumanizing
				}
			}
			texts := make([]string, len(rows))
			for i, r := range rows {
				texts[i] = r.Text
			}
			start := time.Now()
			scores, err := classifyAll(cmd, c, texts)
			if err != nil {
				return &exitError{code: exitPartial, err: err}
			}
			elapsed := time.Since(start)
			score := func(s medialabel.CaptionScore) float64 {
				if output == medialabel.LabelDehumanizing {
					return s.Dehumanizing
				}
				return s.Offensive
			}
			w := bufio.NewWriter(g.stdout)
			defer w.Flush()
			fmt.Fprintf(w, "%s: %d captions, output %s, threshold %.3f (%.0f µs a caption)\n",
				data, len(rows), output, threshold, float64(elapsed.Microseconds())/math.Max(1, float64(len(rows))))
			if !labelled {
				printFlagged(w, scores, score, threshold, worst)
			} else {
				printLabelled(w, rows, scores, score, threshold, worst)
			}
			if groupCol != "" {
				printGroups(w, rows, scores, score, threshold)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&data, "data", "", "labelled file: .csv, .tsv, .jsonl or .json (an array of objects)")
	f.StringVar(&textCol, "text-col", "text", "column or key of the caption")
	f.StringVar(&labelCol, "label-col", "", "column or key of the 0/1 label (default: the --output name; none for unlabelled data)")
	f.StringVar(&output, "output", medialabel.LabelDehumanizing, "output to evaluate: dehumanizing or offensive")
	f.Float64Var(&threshold, "threshold", 0.5, "score at or above which a caption counts as flagged (default: the model's threshold)")
	f.StringVar(&groupCol, "group-col", "", "column or key to break the flagged share down by (e.g. kind)")
	f.IntVar(&worst, "worst", 10, "how many of the worst errors to print per kind")
	f.StringVar(&modelPath, "model", "", "ONNX model file (default: the model built into the binary)")
	return cmd
}

// classifyAll scores texts in batches, using every instance of the pool.
func classifyAll(cmd *cobra.Command, c *model.Classifier, texts []string) ([]medialabel.CaptionScore, error) {
	out := make([]medialabel.CaptionScore, len(texts))
	type job struct{ lo, hi int }
	jobs := make(chan job)
	errs := make(chan error, c.PoolSize())
	for range c.PoolSize() {
		go func() {
			var first error
			for j := range jobs {
				if first != nil {
					continue
				}
				res, err := c.Classify(cmd.Context(), texts[j.lo:j.hi])
				if err != nil {
					first = err
					continue
				}
				copy(out[j.lo:j.hi], res)
			}
			errs <- first
		}()
	}
	for lo := 0; lo < len(texts); lo += evalBatch {
		jobs <- job{lo, min(lo+evalBatch, len(texts))}
	}
	close(jobs)
	var err error
	for range c.PoolSize() {
		err = errors.Join(err, <-errs)
	}
	return out, err
}

func printLabelled(w io.Writer, rows []dataset.Row, scores []medialabel.CaptionScore, score func(medialabel.CaptionScore) float64, threshold float64, worst int) {
	var conf model.Confusion
	skipped := 0
	type miss struct {
		i int
		s float64
	}
	var fps, fns []miss
	for i, r := range rows {
		if r.Labels[0] == dataset.Missing {
			skipped++
			continue
		}
		s := score(scores[i])
		pred, gold := s >= threshold, r.Labels[0] == 1
		conf.Add(pred, gold)
		switch {
		case pred && !gold:
			fps = append(fps, miss{i, s})
		case !pred && gold:
			fns = append(fns, miss{i, s})
		}
	}
	if skipped > 0 {
		fmt.Fprintf(w, "%d rows without a label skipped\n", skipped)
	}
	fmt.Fprint(w, conf.String())
	sort.SliceStable(fps, func(a, b int) bool { return fps[a].s > fps[b].s })
	sort.SliceStable(fns, func(a, b int) bool { return fns[a].s < fns[b].s })
	for _, part := range []struct {
		name string
		ms   []miss
	}{{"false positives (highest scores)", fps}, {"false negatives (lowest scores)", fns}} {
		fmt.Fprintf(w, "worst %s:\n", part.name)
		for _, m := range part.ms[:min(worst, len(part.ms))] {
			fmt.Fprintf(w, "  %.4f  line %d  %s\n", m.s, rows[m.i].Line, oneLineText(rows[m.i].Text))
		}
	}
}

func printFlagged(w io.Writer, scores []medialabel.CaptionScore, score func(medialabel.CaptionScore) float64, threshold float64, n int) {
	var flagged, other []int
	for i, s := range scores {
		if score(s) >= threshold {
			flagged = append(flagged, i)
		} else {
			other = append(other, i)
		}
	}
	fmt.Fprintf(w, "flagged %d of %d (%.2f%%)\n", len(flagged), len(scores), 100*float64(len(flagged))/math.Max(1, float64(len(scores))))
	for _, part := range []struct {
		name string
		idx  []int
	}{{"flagged", flagged}, {"not flagged", other}} {
		fmt.Fprintf(w, "first %d %s:\n", min(n, len(part.idx)), part.name)
		for _, i := range part.idx[:min(n, len(part.idx))] {
			var ev []string
			for _, e := range scores[i].Evidence {
				ev = append(ev, e.Span)
			}
			fmt.Fprintf(w, "  %.4f  [%s]  %s\n", score(scores[i]), strings.Join(ev, " "), oneLineText(scores[i].Text))
		}
	}
}

func printGroups(w io.Writer, rows []dataset.Row, scores []medialabel.CaptionScore, score func(medialabel.CaptionScore) float64, threshold float64) {
	type count struct{ n, flagged int }
	by := map[string]*count{}
	var names []string
	for i, r := range rows {
		gname := r.Group
		c, ok := by[gname]
		if !ok {
			c = &count{}
			by[gname] = c
			names = append(names, gname)
		}
		c.n++
		if score(scores[i]) >= threshold {
			c.flagged++
		}
	}
	sort.Strings(names)
	fmt.Fprintln(w, "flagged by group:")
	for _, n := range names {
		c := by[n]
		fmt.Fprintf(w, "  %-16s %5d of %5d (%.1f%%)\n", n, c.flagged, c.n, 100*float64(c.flagged)/float64(c.n))
	}
}

func oneLineText(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 120 {
		s = string(r[:120]) + "…"
	}
	return s
}
