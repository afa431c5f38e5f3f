package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/medialabel/medialabel"
	"github.com/medialabel/medialabel/fingerprint/batch"
	"github.com/medialabel/medialabel/hashdb"
	"github.com/medialabel/medialabel/hashlist"
	"github.com/medialabel/medialabel/imagefile"
	"github.com/medialabel/medialabel/matcher"
	"github.com/medialabel/medialabel/meme"
)

// matchFlags are the flags of `medialabel match`.
type matchFlags struct {
	hashes     string
	threshold  int
	phash      int
	dhash      int
	ahash      int
	exhaustive bool
	banks      []string
	dihedral   bool
	regions    bool
	signals    string
	workers    int
}

func newMatchCmd(g *globals) *cobra.Command {
	var f matchFlags
	cmd := &cobra.Command{
		Use:   "match [flags] PATH...",
		Short: "Look images (or bare hashes) up in every bank",
		Long: `Match hashes each image and looks it up in every bank of the store (--db).
PATH is a file, a folder (walked recursively) or - for a list of paths on
stdin, one a line. With --hashes, the lines of a hash list are looked up
instead of images: SIGNAL HEX lines (ThreatExchange style), or the jsonl
that 'medialabel hash' writes.

Output is one JSON object per input, in input order:
  {"path":"q.jpg","matches":[{"bank":..,"entry":..,"label":..,"signal":"pdq","distance":6}]}
For a SIGNAL HEX line, "hash":"SIGNAL:HEX" stands instead of "path" (a
jsonl line keeps its "path"). An input that fails gives
{"path":..,"error":".."} (for a hash list {"line":N,"error":".."}), the run
goes on and the exit status is 1.

Matches are ordered by distance, then bank and entry; an entry appears
once per signal, through its nearest hash. PDQ matching goes through the
seven rotations and mirrors of each image too (--dihedral, on by default):
"transform" then names the variant that matched. The store keeps hashes of
crops of each bank picture, and each query image is also looked up
through the parts of it that look like a meme's picture (caption cut,
borders trimmed, halves of a side-by-side; --regions, on by default):
"region" names the part, "entry:NAME" the crop of the bank picture.

Default thresholds: pdq 31, phash 8, dhash 3, ahash 4 (chosen so that no two
of 37 unrelated test photographs match); md5 and sha256 match exactly.`,
		Example: `  medialabel match upload.jpg
  medialabel match --bank hk2019 --threshold 20 uploads/
  medialabel hash --signals pdq photo.jpg | medialabel match --hashes -
  printf 'pdq %s\n' "$HEX" | medialabel match --hashes -`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.hashes == "" && len(args) == 0 {
				return usageError(errors.New("match: give image PATHs, or --hashes FILE"))
			}
			if f.hashes != "" && len(args) > 0 {
				return usageError(errors.New("match: give either image PATHs or --hashes, not both"))
			}
			return runMatch(cmd.Context(), g, cmd, f, args)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.hashes, "hashes", "", "look up the hashes of this hash list (SIGNAL HEX lines or hash jsonl; - for stdin) instead of images")
	fl.IntVar(&f.threshold, "threshold", matcher.DefaultThreshold(medialabel.PDQ), "largest PDQ distance that matches (0-256)")
	fl.IntVar(&f.phash, "phash-threshold", matcher.DefaultThreshold(medialabel.PHash), "largest phash distance that matches (0-64)")
	fl.IntVar(&f.dhash, "dhash-threshold", matcher.DefaultThreshold(medialabel.DHash), "largest dhash distance that matches (0-64)")
	fl.IntVar(&f.ahash, "ahash-threshold", matcher.DefaultThreshold(medialabel.AHash), "largest ahash distance that matches (0-64)")
	fl.BoolVar(&f.exhaustive, "exhaustive", false, "compare with every stored hash instead of using the index (same results, slower)")
	fl.StringSliceVar(&f.banks, "bank", nil, "look only in these banks (repeatable or comma-separated; default all)")
	fl.BoolVar(&f.dihedral, "dihedral", true, "match images through their PDQ rotations and mirrors too")
	fl.BoolVar(&f.regions, "regions", true, "match images through their caption-cut, trimmed and split parts too")
	fl.StringVar(&f.signals, "signals", "pdq,phash,md5", "signals to compute for each image")
	fl.IntVar(&f.workers, "workers", runtime.NumCPU(), "images hashed in parallel")
	return cmd
}

// matchRecord is one line of output.
type matchRecord struct {
	Path    string             `json:"path,omitempty"`
	Hash    string             `json:"hash,omitempty"`
	Line    int                `json:"line,omitempty"`
	Matches []medialabel.Match `json:"matches"`
	Error   string             `json:"error,omitempty"`
}

// MarshalJSON leaves out "matches" from error records.
func (r matchRecord) MarshalJSON() ([]byte, error) {
	type plain matchRecord
	if r.Error != "" {
		return json.Marshal(struct {
			Path  string `json:"path,omitempty"`
			Hash  string `json:"hash,omitempty"`
			Line  int    `json:"line,omitempty"`
			Error string `json:"error"`
		}{r.Path, r.Hash, r.Line, r.Error})
	}
	if r.Matches == nil {
		r.Matches = []medialabel.Match{}
	}
	return json.Marshal(plain(r))
}

func runMatch(ctx context.Context, g *globals, cmd *cobra.Command, f matchFlags, args []string) error {
	thresholds := map[medialabel.Signal]int{
		medialabel.PDQ: f.threshold, medialabel.PHash: f.phash, medialabel.DHash: f.dhash, medialabel.AHash: f.ahash,
	}
	for sig, t := range thresholds {
		if t < 0 || t > sig.Bits() {
			return usageError(fmt.Errorf("%s threshold %d: want 0 to %d", sig, t, sig.Bits()))
		}
	}
	if f.workers < 1 {
		return usageError(fmt.Errorf("--workers %d: want 1 or more", f.workers))
	}
	signals, err := parseSignals(f.signals)
	if err != nil {
		return usageError(err)
	}
	if f.dihedral && !slices.Contains(signals, medialabel.PDQ) {
		f.dihedral = false // nothing to rotate
	}
	if !strings.Contains(g.db, "://") {
		if _, err := os.Stat(g.db); err != nil {
			return usageError(fmt.Errorf("no bank store at %s (--db): %w; add entries with 'medialabel db add' first", g.db, err))
		}
	}
	store, err := hashdb.Open(ctx, g.db)
	if err != nil {
		return usageError(err)
	}
	defer store.Close()
	start := time.Now()
	m, err := matcher.New(ctx, store, matcher.Options{})
	if err != nil {
		return fmt.Errorf("match: %w", err)
	}
	g.logger.Debug("indexes loaded", "hashes", m.Len(), "took", time.Since(start).Round(time.Millisecond), "bytes", m.MemoryBytes())
	base := matcher.Query{Thresholds: thresholds, Banks: f.banks, Exhaustive: f.exhaustive}

	bw := bufio.NewWriter(g.stdout)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	failed := 0
	emit := func(rec matchRecord) error {
		if rec.Error != "" {
			failed++
		}
		if err := enc.Encode(rec); err != nil {
			return err
		}
		return bw.Flush()
	}
	if f.hashes != "" {
		err = matchHashList(ctx, g, m, base, f.hashes, emit)
	} else {
		err = matchImages(ctx, g, m, base, f, signals, args, emit)
	}
	if ferr := bw.Flush(); err == nil && ferr != nil {
		err = ferr
	}
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			return err
		}
		return &exitError{code: exitPartial, err: fmt.Errorf("match: %w", err)}
	}
	if failed > 0 {
		return &exitError{code: exitPartial}
	}
	return nil
}

// matchImages hashes the images named by args on f.workers goroutines and
// emits their matches in input order.
func matchImages(ctx context.Context, g *globals, m *matcher.Matcher, base matcher.Query, f matchFlags,
	signals []medialabel.Signal, args []string, emit func(matchRecord) error) error {
	withRegions := f.regions && slices.Contains(signals, medialabel.PDQ)
	workers := make([]*meme.Hasher, f.workers)
	bufs := make([][]byte, f.workers)
	for i := range workers {
		mh, err := meme.New(meme.Options{Signals: signals, Dihedral: f.dihedral, Regions: withRegions})
		if err != nil {
			return usageError(err)
		}
		workers[i] = mh
	}
	_, err := batch.Map(ctx, batch.Paths(args, g.stdin), batch.Options{Workers: f.workers},
		func(ctx context.Context, worker int, path string) ([]medialabel.Match, error) {
			data, err := readImageFile(imagefile.Decoder{}, path, bufs[worker])
			if err != nil {
				return nil, err
			}
			if cap(data) <= maxKeptBuffer {
				bufs[worker] = data
			}
			mq, err := workers[worker].Query(ctx, data)
			if err != nil {
				return nil, err
			}
			q := mq.Query
			q.Thresholds, q.Banks, q.Exhaustive = base.Thresholds, base.Banks, base.Exhaustive
			return m.Match(ctx, q)
		},
		func(path string, ms []medialabel.Match, err error) error {
			if err != nil {
				return emit(matchRecord{Path: path, Error: err.Error()})
			}
			return emit(matchRecord{Path: path, Matches: ms})
		})
	return err
}

// matchHashList looks up each record of the hash list at path ("-":
// stdin). Each line is parsed on its own, so that a bad line gives an
// error record and the rest are still looked up.
func matchHashList(ctx context.Context, g *globals, m *matcher.Matcher, base matcher.Query, path string,
	emit func(matchRecord) error) error {
	var r io.Reader = g.stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return usageError(fmt.Errorf("--hashes: %w", err))
		}
		defer f.Close()
		r = f
	}
	br := bufio.NewReaderSize(r, 64<<10)
	for n := 1; ; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		// readLine (classify.go) drops and flags a line over the limit.
		line, tooLong, err := readLine(br, hashlist.MaxLineBytes)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("--hashes: %w", err)
		}
		if tooLong {
			if err := emit(matchRecord{Line: n, Error: fmt.Sprintf("line longer than %d bytes", hashlist.MaxLineBytes)}); err != nil {
				return err
			}
			continue
		}
		rec, perr := hashlist.ParseLine([]byte(line))
		if errors.Is(perr, io.EOF) {
			continue // blank line or comment
		}
		if perr != nil {
			if err := emit(matchRecord{Line: n, Error: perr.Error()}); err != nil {
				return err
			}
			continue
		}
		out := matchRecord{Path: rec.Path}
		if rec.Path == "" {
			out.Hash = rec.Hashes[0].String()
		}
		q := base
		q.Hashes, q.Dihedral = rec.Hashes, rec.Dihedral
		ms, err := m.Match(ctx, q)
		if err != nil {
			out.Line, out.Error = n, err.Error()
		}
		out.Matches = ms
		if err := emit(out); err != nil {
			return err
		}
	}
}
