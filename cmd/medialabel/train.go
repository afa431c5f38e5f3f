package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/medialabel/medialabel/classify/dataset"
	"github.com/medialabel/medialabel/model"
	"github.com/spf13/cobra"
)

func newTrainCmd(g *globals) *cobra.Command {
	cfg := model.DefaultBuildConfig()
	var (
		out, coldDir, dehumDir, coldDehum string
		repeat, offRepeat                 int
		coldDevInTrain                    bool
	)
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Train the caption model and write it as ONNX",
		Long: `Train the caption classifier on COLD (train split; dev for early stopping
and the offensive threshold) and the dehumanization corpus (train split; dev
for early stopping and the dehumanizing threshold). The same data and seed
give a byte-identical model file. Next to the model it writes
NAME.selfcheck.json, the outputs stored in the model for a few fixed captions.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			mode := coldDehum
			if mode != "none" && mode != "safe" && mode != "all" {
				return usageError(fmt.Errorf("--cold-dehumanizing %q: want none, safe or all", mode))
			}
			train, dev, err := loadTrainingData(coldDir, dehumDir, mode, repeat, offRepeat, coldDevInTrain)
			if err != nil {
				return usageError(err)
			}
			cfg.Train.In = cfg.Features.Dim
			if coldDevInTrain && coldDir != "" && cfg.OffensiveThreshold == 0 {
				// COLD dev scores are optimistic once it is trained on.
				cfg.OffensiveThreshold = 0.5
			}
			start := time.Now()
			fmt.Fprintf(g.stderr, "training on %d captions, %d for dev (seed %d, %d buckets, %d hidden)\n",
				len(train), len(dev), cfg.Train.Seed, cfg.Features.Dim, cfg.Train.Hidden)
			b, err := model.Build(cmd.Context(), cfg, train, dev, g.stderr)
			if err != nil {
				return &exitError{code: exitPartial, err: err}
			}
			if err := writeFileAtomic(out, b.ONNX); err != nil {
				return &exitError{code: exitPartial, err: err}
			}
			checks, err := json.MarshalIndent(b.SelfCheck, "", "  ")
			if err != nil {
				return &exitError{code: exitPartial, err: err}
			}
			side := strings.TrimSuffix(out, filepath.Ext(out)) + ".selfcheck.json"
			if err := writeFileAtomic(side, append(checks, '\n')); err != nil {
				return &exitError{code: exitPartial, err: err}
			}
			fmt.Fprintf(g.stderr, "%s\n", strings.ReplaceAll(b.Report, "; ", "\n"))
			fmt.Fprintf(g.stdout, "wrote %s (%d bytes) and %s in %s; thresholds dehumanizing %.3f offensive %.3f\n",
				out, len(b.ONNX), side, time.Since(start).Round(time.Second), b.Thresholds.Dehumanizing, b.Thresholds.Offensive)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&out, "out", "model/medialabel-caption.onnx", "where to write the ONNX model")
	f.Uint64Var(&cfg.Train.Seed, "seed", cfg.Train.Seed, "random seed")
	f.StringVar(&coldDir, "cold", "corpus/cold", "COLD folder (train.csv, dev.csv); empty to leave COLD out")
	f.StringVar(&dehumDir, "dehumanization", "corpus/dehumanization", "dehumanization corpus folder (train.jsonl, dev.jsonl); empty to leave it out")
	f.StringVar(&coldDehum, "cold-dehumanizing", "safe", "how COLD rows count for the dehumanizing output: none (unknown), safe (label 0 rows are negatives), all (every row is a negative)")
	f.BoolVar(&coldDevInTrain, "cold-dev-in-train", true, "also train on COLD's dev split, as the shipped model was (its dev scores are then optimistic); false to hold it out")
	f.Float64Var(&cfg.OffensiveThreshold, "offensive-threshold", 0, "offensive threshold to store (0: chosen on dev, or 0.5 with --cold-dev-in-train)")
	f.Float64Var(&cfg.MaxHardNegativeRate, "max-negative-rate", cfg.MaxHardNegativeRate, "the dehumanizing threshold flags at most this share of the dev captions labelled not dehumanizing (0 = no cap)")
	f.Float64Var(&cfg.NegativeRateConfidence, "negative-rate-confidence", cfg.NegativeRateConfidence, "apply --max-negative-rate to the upper bound of the flagged share at this one-sided confidence (Wilson score), not to the share on dev (0 = the share on dev)")
	f.IntVar(&repeat, "dehumanization-repeat", 4, "how many times each caption of the dehumanization train split is seen per epoch")
	f.IntVar(&offRepeat, "dehumanization-offensive-repeat", 1, "how many of those times a caption's offensive label counts too (the others train the dehumanizing output only; 0 = every time)")
	f.IntVar(&cfg.Features.Dim, "dim", cfg.Features.Dim, "hash buckets (a power of two)")
	f.IntVar(&cfg.Features.MaxN, "ngram-max", cfg.Features.MaxN, "longest character n-gram")
	f.BoolVar(&cfg.Lexicon, "lexicon", cfg.Lexicon, "add lexicon features")
	f.BoolVar(&cfg.Features.Signed, "signed", cfg.Features.Signed, "signed hashing: each n-gram counts +1 or -1 in its bucket")
	f.BoolVar(&cfg.Predicates, "predicates", cfg.Predicates, "add copula conjunctions: a lexicon hit said of a person word in the same clause (is×, isnot×; needs --conjunctions)")
	f.BoolVar(&cfg.Conjunctions, "conjunctions", cfg.Conjunctions, "add conjunction features: lexicon class × whether the caption names people (needs --lexicon)")
	f.IntVar(&cfg.Ensemble, "ensemble", cfg.Ensemble, "networks trained with consecutive seeds and merged into one (hidden units add up)")
	f.IntVar(&cfg.Train.Hidden, "hidden", cfg.Train.Hidden, "hidden units")
	f.IntVar(&cfg.Train.DehumanizingUnits, "dehumanizing-units", cfg.Train.DehumanizingUnits, "hidden units reserved for the dehumanizing output (0 = all units shared)")
	f.BoolVar(&cfg.Train.SplitStopping, "split-stopping", cfg.Train.SplitStopping, "keep the dehumanizing and the offensive units each from its own best epoch on dev (needs --dehumanizing-units)")
	f.IntVar(&cfg.Train.Epochs, "epochs", cfg.Train.Epochs, "epochs (the best on dev is kept)")
	f.Float64Var(&cfg.Train.LearningRate, "lr", cfg.Train.LearningRate, "Adam learning rate")
	f.Float64Var(&cfg.Train.Dropout, "dropout", cfg.Train.Dropout, "hidden dropout")
	f.Float64Var(&cfg.Train.InputDropout, "input-dropout", cfg.Train.InputDropout, "input feature dropout")
	f.Float64Var(&cfg.Train.InitScale, "init-scale", cfg.Train.InitScale, "standard deviation of the initial first-layer weights (0 = 0.3)")
	f.Float64Var(&cfg.Train.L2, "l2", cfg.Train.L2, "L2 weight decay")
	f.Float64Var(&cfg.Train.PosWeight[model.OutOffensive], "offensive-pos-weight", cfg.Train.PosWeight[model.OutOffensive], "loss weight of offensive positives (0 = 1)")
	f.Float64Var(&cfg.Train.PosWeight[model.OutDehumanizing], "dehumanizing-pos-weight", cfg.Train.PosWeight[model.OutDehumanizing], "loss weight of dehumanizing positives (0 = 1)")
	return cmd
}

// loadTrainingData reads COLD's train and dev CSV files and the
// dehumanization corpus's train and dev JSONL files. COLD's test split is
// never read.
//
// With coldDevInTrain, COLD's dev rows are trained on as well (after the
// schedule was chosen without them); they stay in dev, so the offensive
// threshold and early stopping read them too and favour the later epochs.
//
// Each caption of the dehumanization train split is repeated repeat times;
// with offRepeat above 0, only the first offRepeat copies keep its
// offensive label, which weighs the corpus less against COLD for the
// offensive output.
func loadTrainingData(coldDir, dehumDir, coldDehum string, repeat, offRepeat int, coldDevInTrain bool) (train, dev []model.LabeledText, err error) {
	if coldDir == "" && dehumDir == "" {
		return nil, nil, errors.New("no training data: give --cold or --dehumanization")
	}
	if coldDir != "" {
		for _, split := range []string{"train", "dev"} {
			rows, err := readRows(filepath.Join(coldDir, split+".csv"), "TEXT", "", "label")
			if err != nil {
				return nil, nil, err
			}
			for _, r := range rows {
				lt := model.LabeledText{Text: r.Text, Offensive: int8(r.Labels[0]), Dehumanizing: model.Unknown, Source: "cold/" + split}
				if split == "dev" {
					dev = append(dev, lt)
				}
				if split == "train" || coldDevInTrain {
					if coldDehum == "all" || coldDehum == "safe" && r.Labels[0] == 0 {
						lt.Dehumanizing = model.Negative
					}
					train = append(train, lt)
				}
			}
		}
	}
	if dehumDir != "" {
		for _, split := range []string{"train", "dev"} {
			rows, err := readRows(filepath.Join(dehumDir, split+".jsonl"), "text", "", "dehumanizing", "offensive")
			if err != nil {
				return nil, nil, err
			}
			for _, r := range rows {
				lt := model.LabeledText{Text: r.Text, Dehumanizing: int8(r.Labels[0]), Offensive: int8(r.Labels[1]), Source: "dehumanization/" + split}
				if split != "train" {
					dev = append(dev, lt)
					continue
				}
				for k := range max(1, repeat) {
					c := lt
					if offRepeat > 0 && k >= offRepeat {
						c.Offensive = model.Unknown
					}
					train = append(train, c)
				}
			}
		}
	}
	return train, dev, nil
}

// readRows reads a labelled file, its format taken from its extension;
// groupCol, if not empty, is kept in Row.Group.
func readRows(path, textCol, groupCol string, labelCols ...string) ([]dataset.Row, error) {
	format, err := dataset.FormatOf(path)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := dataset.ReadGrouped(f, format, textCol, groupCol, labelCols...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rows, nil
}

// writeFileAtomic writes b to a temporary file in path's folder, syncs it
// and renames it over path.
func writeFileAtomic(path string, b []byte) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(b); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, derr := os.Open(filepath.Dir(path)); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
