package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/medialabel/medialabel"
	"github.com/medialabel/medialabel/hashdb"
	"github.com/medialabel/medialabel/hashlist"
	"github.com/medialabel/medialabel/imagefile"
	"github.com/medialabel/medialabel/meme"
)

func newDBCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Manage the hash banks: list banks, add, import, export, list and remove entries",
		Long: `Manage the hash banks in the store (--db).

A bank is a named collection of entries (known memes); an entry has an id,
one or more hashes, a label, an optional note and source, and the time it
was added. A bank comes into being with its first entry and stays, empty,
when its last entry is removed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageError(errors.New("db: a subcommand is needed: banks, add, import, export, list or rm"))
		},
	}
	cmd.AddCommand(newDBBanksCmd(g), newDBAddCmd(g), newDBImportCmd(g), newDBExportCmd(g), newDBListCmd(g), newDBRmCmd(g))
	return cmd
}

// openStore opens the bank store named by --db. A store that cannot be
// opened is a configuration error.
func openStore(ctx context.Context, g *globals) (*hashdb.DB, error) {
	db, err := hashdb.Open(ctx, g.db)
	if err != nil {
		return nil, usageError(err)
	}
	return db, nil
}

// checkBank reports a bad --bank as a usage error.
func checkBank(bank string) error {
	if bank == "" {
		return usageError(errors.New("--bank is required"))
	}
	if err := hashdb.ValidBankName(bank); err != nil {
		return usageError(fmt.Errorf("--bank: %w", err))
	}
	return nil
}

// notFound turns a missing bank or entry into an input failure (exit 1).
func notFound(err error) error {
	if errors.Is(err, medialabel.ErrNotFound) {
		return &exitError{code: exitPartial, err: err}
	}
	return err
}

func newDBBanksCmd(g *globals) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "banks",
		Short: "List the banks with their entry counts",
		Long: `List the banks, by name, with their entry counts: "NAME<tab>ENTRIES" lines,
or with --format jsonl one {"name":..,"entries":..} object a line.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "jsonl" {
				return usageError(fmt.Errorf("--format %q: want text or jsonl", format))
			}
			ctx := cmd.Context()
			db, err := openStore(ctx, g)
			if err != nil {
				return err
			}
			defer db.Close()
			banks, err := db.Banks(ctx)
			if err != nil {
				return err
			}
			w := bufio.NewWriter(g.stdout)
			for _, b := range banks {
				if format == "jsonl" {
					fmt.Fprintf(w, "{\"name\":%q,\"entries\":%d}\n", b.Name, b.Entries)
				} else {
					fmt.Fprintf(w, "%s\t%d\n", b.Name, b.Entries)
				}
			}
			return w.Flush()
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or jsonl")
	return cmd
}

func newDBAddCmd(g *globals) *cobra.Command {
	var (
		bank, label, note, source string
		hashes                    []string
		signals                   string
		noRegions                 bool
	)
	cmd := &cobra.Command{
		Use:   "add --bank B --label L [--note N] [--source S] [--hash SIGNAL:HEX]... [FILE...]",
		Short: "Hash images and add them to a bank; or add bare hashes",
		Long: `Add entries to a bank (created if needed) and print the new entry ids,
one a line.

Each FILE is hashed (--signals) and becomes one entry, with the PDQ hashes
of its centre and one-sided crops (so that a cropped copy still matches;
crops of PDQ quality under 50 are left out) and a small JPEG thumbnail. The --hash values together make one more
entry: repeat --hash to give several signals of the same picture.

All entries are added in one transaction. A file that cannot be hashed is
reported and left out; the others are still added (exit status 1).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if err := checkBank(bank); err != nil {
				return err
			}
			if label == "" {
				return usageError(errors.New("--label is required"))
			}
			if len(hashes) == 0 && len(args) == 0 {
				return usageError(errors.New("nothing to add: give image files or --hash SIGNAL:HEX"))
			}
			var bare []medialabel.Hash
			for _, s := range hashes {
				h, err := medialabel.ParseHash(s)
				if err != nil {
					return usageError(fmt.Errorf("--hash: %w", err))
				}
				bare = append(bare, h)
			}
			sigs, err := parseSignals(signals)
			if err != nil {
				return usageError(err)
			}
			base := medialabel.Entry{Label: label, Note: note, Source: source}
			var entries []medialabel.Entry
			failed := 0
			if len(args) > 0 {
				mh, err := meme.New(meme.Options{Signals: sigs, Regions: !noRegions && slices.Contains(sigs, medialabel.PDQ)})
				if err != nil {
					return usageError(fmt.Errorf("--signals: %w", err))
				}
				if entries, failed, err = fileEntries(ctx, g, mh, base, args); err != nil {
					return err
				}
			}
			if len(bare) > 0 {
				e := base
				e.Hashes = bare
				entries = append(entries, e)
			}
			if len(entries) > 0 {
				db, err := openStore(ctx, g)
				if err != nil {
					return err
				}
				defer db.Close()
				added, err := db.AddEntries(ctx, bank, entries)
				if err != nil {
					if errors.Is(err, hashdb.ErrInvalid) {
						return usageError(err)
					}
					return err
				}
				w := bufio.NewWriter(g.stdout)
				for _, e := range added {
					fmt.Fprintln(w, e.ID)
				}
				if err := w.Flush(); err != nil {
					return err
				}
			}
			if failed > 0 {
				return &exitError{code: exitPartial, err: fmt.Errorf("%d of %d files could not be hashed; the others were added", failed, len(args))}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&bank, "bank", "", "bank to add to (created if needed)")
	f.StringVar(&label, "label", "", "label of the new entries, e.g. hk2019.cockroach")
	f.StringVar(&note, "note", "", "note for moderators")
	f.StringVar(&source, "source", "", "where the picture was found (default: the file's path)")
	f.StringArrayVar(&hashes, "hash", nil, "a bare hash SIGNAL:HEX to add (repeatable: one entry with all of them)")
	f.StringVar(&signals, "signals", "pdq,phash,md5", "signals to compute for each FILE")
	f.BoolVar(&noRegions, "no-regions", false, "do not store the hashes of crops of each FILE")
	return cmd
}

// fileEntries hashes each file into an entry with base's label, note and
// source (the file's path when base has none). A file that cannot be
// hashed is reported on stderr and counted in failed; err is set only when
// ctx is done.
func fileEntries(ctx context.Context, g *globals, mh *meme.Hasher, base medialabel.Entry, paths []string) (entries []medialabel.Entry, failed int, err error) {
	for _, path := range paths {
		data, err := readImageFile(imagefile.Decoder{}, path, nil)
		var e medialabel.Entry
		var quality int
		if err == nil {
			e, quality, err = mh.Entry(ctx, data)
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, failed, ctx.Err()
			}
			failed++
			fmt.Fprintf(g.stderr, "medialabel: %s: %v\n", path, err)
			continue
		}
		if quality >= 0 && quality < meme.MinRegionQuality {
			g.logger.Warn("low PDQ quality: a featureless picture matches too easily", "file", path, "pdq_quality", quality)
		}
		e.Label, e.Note, e.Source = base.Label, base.Note, base.Source
		if e.Source == "" {
			e.Source = path
		}
		entries = append(entries, e)
	}
	return entries, failed, nil
}

func newDBImportCmd(g *globals) *cobra.Command {
	var bank, label string
	cmd := &cobra.Command{
		Use:   "import --bank B [--label L] FILE",
		Short: "Import a hash list into a bank, all or nothing",
		Long: `Import a hash list into a bank (created if needed): a ThreatExchange-style
list of "SIGNAL HEX" lines, or the jsonl that 'medialabel hash' and
'medialabel db export --format jsonl' write. FILE - reads stdin.

Each te line, and each jsonl object, becomes one entry. Its label is --label
if given, else the record's "label", else the bank's name; its source is
the record's "source", else its "path".

The import is one transaction: a bad line rejects the whole list, and the
error names the line.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if err := checkBank(bank); err != nil {
				return err
			}
			name := args[0]
			var in io.Reader = g.stdin
			if name != "-" {
				f, err := os.Open(name)
				if err != nil {
					return &exitError{code: exitPartial, err: err}
				}
				defer f.Close()
				in = f
			} else {
				name = "stdin"
			}
			db, err := openStore(ctx, g)
			if err != nil {
				return err
			}
			defer db.Close()
			start := time.Now()
			r := hashlist.NewReader(in)
			entries := func(yield func(medialabel.Entry, error) bool) {
				for rec, err := range r.All() {
					if err != nil {
						yield(medialabel.Entry{}, err)
						return
					}
					e := medialabel.Entry{Label: rec.Label, Note: rec.Note, Source: rec.Source, Hashes: rec.Hashes, Regions: rec.Regions}
					if label != "" {
						e.Label = label
					} else if e.Label == "" {
						e.Label = bank
					}
					if e.Source == "" {
						e.Source = rec.Path
					}
					if err := db.CheckEntry(e); err != nil {
						yield(medialabel.Entry{}, &hashlist.LineError{Line: rec.Line, Err: err})
						return
					}
					if !yield(e, nil) {
						return
					}
				}
			}
			n, err := db.Import(ctx, bank, entries, nil)
			if err != nil {
				var le *hashlist.LineError
				if errors.As(err, &le) {
					err = le
				}
				return &exitError{code: exitPartial, err: fmt.Errorf("import %s: %w; nothing imported", name, err)}
			}
			g.logger.Info("imported", "bank", bank, "entries", n, "format", string(r.Format()), "seconds", time.Since(start).Seconds())
			return nil
		},
	}
	cmd.Flags().StringVar(&bank, "bank", "", "bank to import into (created if needed)")
	cmd.Flags().StringVar(&label, "label", "", "label of every imported entry")
	return cmd
}

func newDBExportCmd(g *globals) *cobra.Command {
	var bank, format string
	cmd := &cobra.Command{
		Use:   "export --bank B [--format te|jsonl]",
		Short: "Write a bank's hashes as a hash list",
		Long: `Write a bank's entries to stdout as a hash list that 'db import' reads back:
te, one "SIGNAL HEX" line per whole-picture hash (labels, notes and region
hashes have no place in te), or jsonl, one object per entry with its label,
note, source, hashes and region hashes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := hashlist.ParseFormat(format)
			if err != nil {
				return usageError(fmt.Errorf("--format: %w", err))
			}
			return writeEntries(cmd.Context(), g, bank, f, false)
		},
	}
	cmd.Flags().StringVar(&bank, "bank", "", "bank to export")
	cmd.Flags().StringVar(&format, "format", "te", "te or jsonl")
	return cmd
}

func newDBListCmd(g *globals) *cobra.Command {
	var bank string
	cmd := &cobra.Command{
		Use:   "list --bank B",
		Short: "List a bank's entries as jsonl",
		Long: `List a bank's entries in the order they were added, one JSON object a line:
{"id":..,"label":..,"note":..,"source":..,"created":..,"pdq":"<hex>",...,
"regions":[{"region":..,"hash":"SIGNAL:HEX"}]}; empty fields are left out.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return writeEntries(cmd.Context(), g, bank, hashlist.JSONL, true)
		},
	}
	cmd.Flags().StringVar(&bank, "bank", "", "bank to list")
	return cmd
}

// writeEntries writes the entries of bank to stdout in format f; withID
// adds the id and creation time of each (db list).
func writeEntries(ctx context.Context, g *globals, bank string, f hashlist.Format, withID bool) error {
	if err := checkBank(bank); err != nil {
		return err
	}
	db, err := openStore(ctx, g)
	if err != nil {
		return err
	}
	defer db.Close()
	w, err := hashlist.NewWriter(g.stdout, f)
	if err != nil {
		return err
	}
	err = db.ListEntries(ctx, medialabel.EntryFilter{Bank: bank}, func(e medialabel.Entry) error {
		rec := hashlist.Record{Label: e.Label, Note: e.Note, Source: e.Source, Hashes: e.Hashes, Regions: e.Regions, PDQQuality: -1}
		if withID {
			rec.ID, rec.Created = e.ID, e.Created
		}
		return w.Write(rec)
	})
	if err != nil {
		w.Flush()
		return notFound(err)
	}
	return w.Flush()
}

func newDBRmCmd(g *globals) *cobra.Command {
	var bank string
	cmd := &cobra.Command{
		Use:   "rm --bank B ID...",
		Short: "Remove entries from a bank",
		Long: `Remove the entries with the given ids from a bank, with their hashes, and
print the ids removed. An id the bank does not have is reported and the
others are still removed (exit status 1).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if err := checkBank(bank); err != nil {
				return err
			}
			db, err := openStore(ctx, g)
			if err != nil {
				return err
			}
			defer db.Close()
			missing := 0
			for _, id := range args {
				err := db.DeleteEntry(ctx, bank, id)
				if errors.Is(err, medialabel.ErrNotFound) {
					missing++
					fmt.Fprintf(g.stderr, "medialabel: no entry %s in bank %s\n", id, bank)
					continue
				}
				if err != nil {
					return err
				}
				fmt.Fprintln(g.stdout, id)
			}
			if missing > 0 {
				return &exitError{code: exitPartial, err: fmt.Errorf("%d of %d entries not found", missing, len(args))}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&bank, "bank", "", "bank to remove from")
	return cmd
}
