package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/medialabel/medialabel"
	"github.com/medialabel/medialabel/fingerprint"
	"github.com/medialabel/medialabel/fingerprint/batch"
	"github.com/medialabel/medialabel/hashlist"
	"github.com/medialabel/medialabel/imagefile"
)

// hashFlags are the flags of `medialabel hash`.
type hashFlags struct {
	signals   string
	dihedral  bool
	format    string
	workers   int
	progress  string
	maxPixels int64
	maxBytes  int64
	fast      bool
}

func newHashCmd(g *globals) *cobra.Command {
	var f hashFlags
	cmd := &cobra.Command{
		Use:   "hash [flags] PATH...",
		Short: "Hash image files: PDQ, phash, dhash, ahash, MD5, SHA-256",
		Long: `Hash computes the requested signals of each image file, all from one read
and one decode. A folder is walked recursively (in lexical order, hidden
files skipped); - reads paths from stdin, one a line. The format is
recognised from the bytes: JPEG, PNG, GIF (first frame), WebP, BMP, TIFF.
EXIF orientation is not applied and alpha is ignored, as in the PDQ
reference and ThreatExchange. JPEGs are decoded as libjpeg-turbo decodes
them, so PDQ hashes equal the reference's; --fast decodes large JPEGs at
reduced scale instead, for a few bits of difference.

Output is in input order, one record per file. A file that fails gives an
error record and the run goes on; the exit status is then 1.`,
		Example: `  medialabel hash photo.jpg
  medialabel hash --signals pdq,md5 --format csv memes/
  find . -name '*.png' | medialabel hash --format te -`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runHash(cmd.Context(), g, f, args)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.signals, "signals", "pdq,phash,md5", "comma-separated signals: pdq, phash, dhash, ahash, md5, sha256")
	fl.BoolVar(&f.dihedral, "dihedral", false, "add the PDQ hashes of the 7 rotations and mirrors (needs pdq)")
	fl.StringVar(&f.format, "format", "jsonl", "output format: jsonl, csv or te (SIGNAL HEX lines)")
	fl.IntVar(&f.workers, "workers", runtime.NumCPU(), "files hashed in parallel")
	fl.StringVar(&f.progress, "progress", "auto", "progress bar on stderr: auto (when stderr is a terminal), always or never")
	fl.Int64Var(&f.maxPixels, "max-pixels", imagefile.DefaultMaxPixels, "refuse images with more pixels than this (width x height)")
	fl.Int64Var(&f.maxBytes, "max-bytes", imagefile.DefaultMaxBytes, "refuse files larger than this many bytes")
	fl.BoolVar(&f.fast, "fast", false, fmt.Sprintf("decode large JPEGs at 1/2, 1/4 or 1/8 scale (the largest reduction keeping both sides >= %d px), several times faster; "+
		"PDQ then stays within %d bits and pHash within %d bits of the full-resolution hashes on the test photos", fingerprint.FastMinSide, fingerprint.FastPDQBound, fingerprint.FastPHashBound))
	return cmd
}

// parseSignals parses a comma-separated list of signal names.
func parseSignals(s string) ([]medialabel.Signal, error) {
	var out []medialabel.Signal
	seen := make(map[medialabel.Signal]bool)
	for _, name := range strings.Split(s, ",") {
		if strings.TrimSpace(name) == "" {
			continue
		}
		sig, err := medialabel.ParseSignal(name)
		if err != nil {
			return nil, fmt.Errorf("--signals: %w", err)
		}
		if seen[sig] {
			return nil, fmt.Errorf("--signals: %s given twice", sig)
		}
		seen[sig] = true
		out = append(out, sig)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--signals: no signal given")
	}
	return out, nil
}

func runHash(ctx context.Context, g *globals, f hashFlags, args []string) error {
	signals, err := parseSignals(f.signals)
	if err != nil {
		return usageError(err)
	}
	if f.workers < 1 {
		return usageError(fmt.Errorf("--workers %d: want 1 or more", f.workers))
	}
	if f.maxPixels < 1 || f.maxBytes < 1 {
		return usageError(fmt.Errorf("--max-pixels and --max-bytes must be positive"))
	}
	var showBar bool
	switch f.progress {
	case "auto":
		showBar = g.stderrIsTTY
	case "always":
		showBar = true
	case "never":
	default:
		return usageError(fmt.Errorf("--progress %q: want auto, always or never", f.progress))
	}
	opts := fingerprint.Options{
		Signals:  signals,
		Dihedral: f.dihedral,
		Decoder:  imagefile.Decoder{MaxPixels: f.maxPixels, MaxBytes: f.maxBytes},
		Fast:     f.fast,
	}
	hashers := make([]*fingerprint.Hasher, f.workers)
	for i := range hashers {
		if hashers[i], err = fingerprint.New(opts); err != nil {
			return usageError(err)
		}
	}
	bw := bufio.NewWriter(g.stdout)
	out, err := newHashWriter(f.format, bw, g.stderr, signals, f.dihedral)
	if err != nil {
		return usageError(err)
	}

	var bar *progressbar.ProgressBar
	if showBar {
		bar = progressbar.NewOptions64(-1,
			progressbar.OptionSetWriter(g.stderr),
			progressbar.OptionSetDescription("hashing"),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("files"),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	failed := 0
	_, err = batch.Map(ctx, batch.Paths(args, g.stdin), batch.Options{Workers: f.workers},
		func(ctx context.Context, worker int, path string) (medialabel.Fingerprint, error) {
			return hashers[worker].HashFile(ctx, path)
		},
		func(path string, fp medialabel.Fingerprint, err error) error {
			if err != nil {
				failed++
			}
			if bar != nil {
				_ = bar.Add(1)
			}
			if werr := out.write(path, fp, err); werr != nil {
				return werr
			}
			// Flush each record, so that a reader of a long run sees
			// results as they come.
			return bw.Flush()
		})
	if bar != nil {
		_ = bar.Finish()
	}
	if ferr := bw.Flush(); err == nil && ferr != nil {
		err = ferr
	}
	if err != nil {
		return &exitError{code: exitPartial, err: fmt.Errorf("hash: %w", err)}
	}
	if failed > 0 {
		g.logger.Debug("hash finished with failures", "failed", failed)
		return &exitError{code: exitPartial}
	}
	return nil
}

// A hashWriter writes one record per file in one output format.
type hashWriter interface {
	write(path string, fp medialabel.Fingerprint, err error) error
}

func newHashWriter(format string, w io.Writer, stderr io.Writer, signals []medialabel.Signal, dihedral bool) (hashWriter, error) {
	switch format {
	case "jsonl":
		hw, err := hashlist.NewWriter(w, hashlist.JSONL)
		if err != nil {
			return nil, err
		}
		return &jsonlWriter{w: hw}, nil
	case "csv":
		return newCSVWriter(w, signals, dihedral)
	case "te":
		return &teWriter{w: w, stderr: stderr}, nil
	}
	return nil, fmt.Errorf("--format %q: want jsonl, csv or te", format)
}

// jsonlWriter writes the interface's JSON lines, as db import reads them.
type jsonlWriter struct {
	w *hashlist.Writer
}

func (j *jsonlWriter) write(path string, fp medialabel.Fingerprint, err error) error {
	rec := hashlist.FingerprintRecord(path, fp)
	if err != nil {
		rec = hashlist.Record{Path: path, Error: err.Error()}
	}
	if werr := j.w.Write(rec); werr != nil {
		return werr
	}
	return j.w.Flush()
}

// csvWriter writes a header, then one row per file: path, format, width,
// height, the signals in the order asked (pdq followed by pdq_quality), the
// dihedral hashes when asked (pdq_rotate90 ... pdq_flipminus1), and error.
type csvWriter struct {
	w        *csv.Writer
	signals  []medialabel.Signal
	dihedral bool
	row      []string
}

func newCSVWriter(w io.Writer, signals []medialabel.Signal, dihedral bool) (*csvWriter, error) {
	c := &csvWriter{w: csv.NewWriter(w), signals: signals, dihedral: dihedral}
	header := []string{"path", "format", "width", "height"}
	for _, s := range signals {
		header = append(header, string(s))
		if s == medialabel.PDQ {
			header = append(header, "pdq_quality")
		}
	}
	if dihedral {
		for _, t := range medialabel.AllTransforms()[1:] {
			header = append(header, "pdq_"+string(t))
		}
	}
	header = append(header, "error")
	c.w.Write(header)
	c.w.Flush()
	return c, c.w.Error()
}

func (c *csvWriter) write(path string, fp medialabel.Fingerprint, err error) error {
	row := append(c.row[:0], path)
	if err != nil {
		row = append(row, "", "", "")
	} else {
		row = append(row, fp.Format, strconv.Itoa(fp.Width), strconv.Itoa(fp.Height))
	}
	for _, s := range c.signals {
		h, _ := fp.Hash(s)
		row = append(row, h.Hex())
		if s == medialabel.PDQ {
			q := ""
			if err == nil {
				q = strconv.Itoa(fp.PDQQuality)
			}
			row = append(row, q)
		}
	}
	if c.dihedral {
		for _, t := range medialabel.AllTransforms()[1:] {
			row = append(row, fp.Dihedral[t].Hex())
		}
	}
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	row = append(row, msg)
	c.row = row
	c.w.Write(row)
	c.w.Flush()
	return c.w.Error()
}

// teWriter writes ThreatExchange-style "SIGNAL HEX" lines, one per hash
// signal; errors go to stderr. Dihedral hashes are not written: a hash
// list has no way to tell them from the pictures' own hashes.
type teWriter struct {
	w      io.Writer
	stderr io.Writer
}

func (t *teWriter) write(path string, fp medialabel.Fingerprint, err error) error {
	if err != nil {
		fmt.Fprintf(t.stderr, "medialabel: %s: %v\n", path, err)
		return nil
	}
	for _, h := range fp.Hashes {
		if _, werr := fmt.Fprintf(t.w, "%s %s\n", h.Signal, h.Hex()); werr != nil {
			return werr
		}
	}
	return nil
}
