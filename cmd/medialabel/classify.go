package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/medialabel/medialabel"
	"github.com/medialabel/medialabel/model"
	"github.com/spf13/cobra"
)

// maxCaptionLine is the longest stdin line classify accepts; a longer line
// is reported as failed and skipped.
const maxCaptionLine = 1 << 20

func newClassifyCmd(g *globals) *cobra.Command {
	var format, modelPath string
	cmd := &cobra.Command{
		Use:   "classify [flags] [TEXT...]",
		Short: "Score captions for dehumanizing and offensive language",
		Long: `Score captions with the caption model. With no TEXT, read stdin, one caption
a line. Output is one JSON object per caption, in input order (--format jsonl),
or one tab-separated line: label, dehumanizing, offensive, text, evidence
(--format text).

label is "dehumanizing" when the dehumanizing score reaches the model's
dehumanizing threshold, else "offensive" when the offensive score reaches its
threshold, else "none"; the thresholds are stored in the model (see
model/README.md). Simplified, Traditional and Cantonese text are accepted.
Invalid UTF-8 bytes are read as U+FFFD; only the first 2000 characters of a
caption are scored; a stdin line over 1 MiB is reported as failed: an error
record in its place (label error, the reason as its text, with --format text).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "jsonl" && format != "text" {
				return usageError(fmt.Errorf("--format %q: want jsonl or text", format))
			}
			c, err := openClassifier(cmd.Context(), modelPath, 1)
			if err != nil {
				return usageError(err)
			}
			w := bufio.NewWriter(g.stdout)
			defer w.Flush()
			emit := func(s medialabel.CaptionScore) error {
				if err := writeScore(w, format, s); err != nil {
					return err
				}
				return w.Flush()
			}
			if len(args) > 0 {
				res, err := c.Classify(cmd.Context(), args)
				if err != nil {
					return &exitError{code: exitPartial, err: err}
				}
				for _, s := range res {
					if err := emit(s); err != nil {
						return &exitError{code: exitPartial, err: err}
					}
				}
				return nil
			}
			return classifyLines(cmd.Context(), c, g.stdin, w, format, emit, g)
		},
	}
	f := cmd.Flags()
	f.StringVar(&format, "format", "jsonl", "output format: jsonl or text")
	f.StringVar(&modelPath, "model", "", "ONNX model file (default: the model built into the binary)")
	return cmd
}

// openClassifier opens the model at path, or the embedded one.
func openClassifier(ctx context.Context, path string, pool int) (*model.Classifier, error) {
	opts := model.Options{PoolSize: pool}
	if path == "" {
		return model.OpenDefault(ctx, opts)
	}
	return model.OpenFile(ctx, path, opts)
}

// classifyLines scores stdin line by line, writing each result as it
// comes. A line that is too long gets an error record and the run goes on
// (exit status 1).
func classifyLines(ctx context.Context, c *model.Classifier, r io.Reader, w *bufio.Writer, format string,
	emit func(medialabel.CaptionScore) error, g *globals) error {
	br := bufio.NewReaderSize(r, 64<<10)
	failed := 0
	for n := 1; ; n++ {
		line, tooLong, err := readLine(br, maxCaptionLine)
		if err == io.EOF {
			break
		}
		if err != nil {
			return &exitError{code: exitPartial, err: fmt.Errorf("stdin: %w", err)}
		}
		if tooLong {
			failed++
			msg := fmt.Sprintf("line %d: caption longer than %d bytes", n, maxCaptionLine)
			// A line of output for each line of input, so that the
			// two stay side by side.
			if format == "jsonl" {
				b, _ := json.Marshal(map[string]string{"error": msg})
				fmt.Fprintf(w, "%s\n", b)
			} else {
				fmt.Fprintf(w, "error\t\t\t%s\t\n", msg)
			}
			w.Flush()
			fmt.Fprintf(g.stderr, "medialabel: %s\n", msg)
			continue
		}
		res, err := c.Classify(ctx, []string{line})
		if err != nil {
			return &exitError{code: exitPartial, err: err}
		}
		if err := emit(res[0]); err != nil {
			return &exitError{code: exitPartial, err: err}
		}
	}
	if failed > 0 {
		return &exitError{code: exitPartial}
	}
	return nil
}

// readLine reads one line without its end of line. A line longer than max
// bytes is read to its end and dropped, and tooLong is set.
func readLine(br *bufio.Reader, max int) (line string, tooLong bool, err error) {
	var sb strings.Builder
	for {
		chunk, isPrefix, err := br.ReadLine()
		if err != nil {
			if err == io.EOF && (sb.Len() > 0 || tooLong) {
				break
			}
			return "", false, err
		}
		if !tooLong {
			if sb.Len()+len(chunk) > max {
				tooLong = true
				sb.Reset()
			} else {
				sb.Write(chunk)
			}
		}
		if !isPrefix {
			break
		}
	}
	return sb.String(), tooLong, nil
}

// writeScore writes one result in the given format.
func writeScore(w io.Writer, format string, s medialabel.CaptionScore) error {
	if format == "jsonl" {
		b, err := json.Marshal(s)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	var ev []string
	for _, e := range s.Evidence {
		ev = append(ev, fmt.Sprintf("%s(%.2f)", e.Span, e.Weight))
	}
	text := strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(s.Text)
	_, err := fmt.Fprintf(w, "%s\t%.4f\t%.4f\t%s\t%s\n", s.Label, s.Dehumanizing, s.Offensive, text, strings.Join(ev, " "))
	return err
}
