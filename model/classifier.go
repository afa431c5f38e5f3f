package model

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"sort"
	"strconv"

	"github.com/medialabel/medialabel"
	"github.com/medialabel/medialabel/classify"
)

// Metadata keys of the ONNX file (metadata_props).
const (
	MetaThresholdDehumanizing = "medialabel.threshold.dehumanizing"
	MetaThresholdOffensive    = "medialabel.threshold.offensive"
	MetaNgramMin              = "medialabel.features.ngram_min"
	MetaNgramMax              = "medialabel.features.ngram_max"
	MetaLexicon               = "medialabel.features.lexicon"
	MetaSigned                = "medialabel.features.signed"       // absent means false
	MetaConjunctions          = "medialabel.features.conjunctions" // absent means false
	MetaPredicates            = "medialabel.features.predicates"   // absent means false
	MetaTables                = "medialabel.features.tables"       // classify.TablesDigest at training; absent in older files
	MetaSelfCheck             = "medialabel.selfcheck"
	MetaTrainReport           = "medialabel.train.report"
)

// Thresholds turn scores into a label: a caption is dehumanizing when its
// dehumanizing score is at least Dehumanizing; otherwise offensive when its
// offensive score is at least Offensive; otherwise none.
type Thresholds struct {
	Dehumanizing float64 `json:"dehumanizing"`
	Offensive    float64 `json:"offensive"`
}

// Label returns the label of a pair of scores.
func (t Thresholds) Label(dehumanizing, offensive float64) string {
	switch {
	case dehumanizing >= t.Dehumanizing:
		return medialabel.LabelDehumanizing
	case offensive >= t.Offensive:
		return medialabel.LabelOffensive
	}
	return medialabel.LabelNone
}

// SelfCheckCase is a caption and the outputs the model must give for it.
type SelfCheckCase struct {
	Text         string  `json:"text"`
	Dehumanizing float64 `json:"dehumanizing"`
	Offensive    float64 `json:"offensive"`
}

// selfCheckTolerance is how far onnx-go may be from the stored outputs.
const selfCheckTolerance = 1e-4

// Options configure a Classifier.
type Options struct {
	// PoolSize is the number of onnx-go instances (default GOMAXPROCS).
	PoolSize int
	// MaxRunes caps the runes read from one caption (default
	// classify.DefaultMaxRunes); the rest is ignored.
	MaxRunes int
	// MaxEvidence is the number of evidence spans returned (default 3).
	MaxEvidence int
}

// A Classifier scores captions with the caption model. It keeps a pool of
// onnx-go instances, each used by one goroutine at a time, and is safe for
// concurrent use.
type Classifier struct {
	pipe       *classify.Pipeline
	net        *Net
	pool       chan *instance
	thresholds Thresholds
	meta       map[string]string
	maxEv      int
}

// OpenFile opens the model in the ONNX file at path.
func OpenFile(ctx context.Context, path string, opts Options) (*Classifier, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("open model: %w", err)
	}
	c, err := Open(ctx, b, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Open builds a classifier from the bytes of an ONNX file written by
// EncodeONNX with the metadata of Build: it decodes the weights, builds
// the pool's instances one at a time, runs each once and checks it against
// the self-check outputs stored in the file.
func Open(ctx context.Context, onnxBytes []byte, opts Options) (*Classifier, error) {
	f, err := DecodeONNX(onnxBytes)
	if err != nil {
		return nil, fmt.Errorf("open model: %w", err)
	}
	if f.Net.Outputs != numOutputs {
		return nil, fmt.Errorf("open model: %d outputs, want %d", f.Net.Outputs, numOutputs)
	}
	th, fs, checks, err := parseMetadata(f)
	if err != nil {
		return nil, fmt.Errorf("open model: %w", err)
	}
	pipe, err := newPipeline(fs, opts.MaxRunes)
	if err != nil {
		return nil, fmt.Errorf("open model: %w", err)
	}
	size := opts.PoolSize
	if size <= 0 {
		size = runtime.GOMAXPROCS(0)
	}
	c := &Classifier{pipe: pipe, net: f.Net, thresholds: th, meta: f.Metadata,
		pool: make(chan *instance, size), maxEv: opts.MaxEvidence}
	if c.maxEv <= 0 {
		c.maxEv = 3
	}
	inputs := make([]classify.Vector, len(checks))
	for i, sc := range checks {
		_, _, inputs[i] = pipe.Features(sc.Text)
		// The plain-Go weights must give the stored outputs too: they
		// compute the evidence.
		p := f.Net.Predict(inputs[i])
		if err := compare(sc, p); err != nil {
			return nil, fmt.Errorf("open model: self-check (plain Go): %w", err)
		}
	}
	for i := range size {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("open model: %w", err)
		}
		ins, err := newInstance(onnxBytes, f.Net.In, f.Net.Outputs)
		if err != nil {
			return nil, fmt.Errorf("open model: instance %d: %w", i, err)
		}
		for k, sc := range checks {
			p, err := ins.run(inputs[k])
			if err != nil {
				return nil, fmt.Errorf("open model: instance %d: %w", i, err)
			}
			if err := compare(sc, p); err != nil {
				return nil, fmt.Errorf("open model: instance %d: self-check: %w", i, err)
			}
		}
		c.pool <- ins
	}
	return c, nil
}

func compare(sc SelfCheckCase, p []float32) error {
	if math.Abs(float64(p[OutDehumanizing])-sc.Dehumanizing) > selfCheckTolerance ||
		math.Abs(float64(p[OutOffensive])-sc.Offensive) > selfCheckTolerance {
		return fmt.Errorf("caption %q: got dehumanizing %.6f offensive %.6f, want %.6f %.6f",
			sc.Text, p[OutDehumanizing], p[OutOffensive], sc.Dehumanizing, sc.Offensive)
	}
	return nil
}

// featureSet is what a model file says about its features.
type featureSet struct {
	cfg          classify.FeatureConfig
	lexicon      bool
	conjunctions bool // needs lexicon
	predicates   bool // needs conjunctions
}

func newPipeline(fs featureSet, maxRunes int) (*classify.Pipeline, error) {
	subs, err := classify.DefaultSubstitutions()
	if err != nil {
		return nil, err
	}
	nz, err := classify.NewNormalizer(subs, classify.WithMaxRunes(maxRunes))
	if err != nil {
		return nil, err
	}
	var lex *classify.Lexicon
	if fs.lexicon {
		if lex, err = classify.DefaultLexicon(); err != nil {
			return nil, err
		}
	}
	var opts []classify.FeaturizerOption
	if fs.conjunctions {
		targets, err := classify.DefaultTargets()
		if err != nil {
			return nil, err
		}
		opts = append(opts, classify.WithTargets(targets))
		if fs.predicates {
			opts = append(opts, classify.WithPredicates())
		}
	}
	fz, err := classify.NewFeaturizer(fs.cfg, lex, nz, opts...)
	if err != nil {
		return nil, err
	}
	return &classify.Pipeline{Normalizer: nz, Featurizer: fz}, nil
}

func parseMetadata(f *File) (Thresholds, featureSet, []SelfCheckCase, error) {
	var th Thresholds
	fs := featureSet{cfg: classify.FeatureConfig{Dim: f.Net.In}}
	cfg := &fs.cfg
	num := func(key string, dst *float64) error {
		v, err := strconv.ParseFloat(f.Metadata[key], 64)
		if err != nil || v < 0 || v > 1 {
			return fmt.Errorf("metadata %s = %q: want a number in [0,1]", key, f.Metadata[key])
		}
		*dst = v
		return nil
	}
	integer := func(key string, dst *int) error {
		v, err := strconv.Atoi(f.Metadata[key])
		if err != nil {
			return fmt.Errorf("metadata %s = %q: want an integer", key, f.Metadata[key])
		}
		*dst = v
		return nil
	}
	if err := errors.Join(num(MetaThresholdDehumanizing, &th.Dehumanizing), num(MetaThresholdOffensive, &th.Offensive),
		integer(MetaNgramMin, &cfg.MinN), integer(MetaNgramMax, &cfg.MaxN)); err != nil {
		return th, fs, nil, err
	}
	boolean := func(key string, dst *bool, optional bool) error {
		v, ok := f.Metadata[key]
		if !ok && optional {
			return nil
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("metadata %s = %q: want true or false", key, v)
		}
		*dst = b
		return nil
	}
	if err := errors.Join(boolean(MetaLexicon, &fs.lexicon, false), boolean(MetaSigned, &cfg.Signed, true),
		boolean(MetaConjunctions, &fs.conjunctions, true), boolean(MetaPredicates, &fs.predicates, true)); err != nil {
		return th, fs, nil, err
	}
	if fs.conjunctions && !fs.lexicon || fs.predicates && !fs.conjunctions {
		return th, fs, nil, fmt.Errorf("metadata %s, %s: conjunction features need the lexicon, predicates need conjunctions", MetaConjunctions, MetaPredicates)
	}
	if d, ok := f.Metadata[MetaTables]; ok && d != classify.TablesDigest() {
		return th, fs, nil, fmt.Errorf("metadata %s = %q: the model was trained with other normalization and lexicon tables than this binary's (%s)", MetaTables, d, classify.TablesDigest())
	}
	var checks []SelfCheckCase
	if err := json.Unmarshal([]byte(f.Metadata[MetaSelfCheck]), &checks); err != nil || len(checks) == 0 {
		return th, fs, nil, fmt.Errorf("metadata %s: want a non-empty JSON list of captions and outputs", MetaSelfCheck)
	}
	return th, fs, checks, nil
}

// Thresholds returns the thresholds stored with the model.
func (c *Classifier) Thresholds() Thresholds { return c.thresholds }

// Metadata returns a copy of the model's metadata.
func (c *Classifier) Metadata() map[string]string {
	m := make(map[string]string, len(c.meta))
	for k, v := range c.meta {
		m[k] = v
	}
	return m
}

// PoolSize returns the number of onnx-go instances.
func (c *Classifier) PoolSize() int { return cap(c.pool) }

// Classify scores each text. Scores come from onnx-go; the evidence from
// the same weights in plain Go. It waits for a free instance, or returns
// ctx's error.
func (c *Classifier) Classify(ctx context.Context, texts []string) ([]medialabel.CaptionScore, error) {
	out := make([]medialabel.CaptionScore, len(texts))
	if len(texts) == 0 {
		return out, nil
	}
	var ins *instance
	select {
	case ins = <-c.pool:
	case <-ctx.Done():
		return nil, fmt.Errorf("classify: %w", ctx.Err())
	}
	defer func() { c.pool <- ins }()
	for i, text := range texts {
		if i > 0 && ctx.Err() != nil {
			return nil, fmt.Errorf("classify: %w", ctx.Err())
		}
		tx, occ, x := c.pipe.Features(text)
		p, err := ins.run(x)
		if err != nil {
			return nil, fmt.Errorf("classify: %w", err)
		}
		d, o := float64(p[OutDehumanizing]), float64(p[OutOffensive])
		out[i] = medialabel.CaptionScore{
			Text: text, Dehumanizing: round6(d), Offensive: round6(o),
			Label:    c.thresholds.Label(d, o),
			Evidence: []medialabel.Evidence{},
		}
		if d >= c.thresholds.Dehumanizing/2 {
			out[i].Evidence = c.evidence(tx, occ, x)
		}
	}
	return out, nil
}

// evidence finds the spans of the original text that raised the
// dehumanizing logit most. The contribution of a feature is the drop of
// the logit when the feature is removed from the input (the other values
// unchanged); it is shared evenly among the feature's occurrences and
// among the runes each occurrence covers. Runs of runes whose
// contribution is positive and at least a quarter of the largest form the
// spans; a span's weight is the sum over its runes, in logit units.
func (c *Classifier) evidence(tx classify.Text, occ []classify.Occurrence, x classify.Vector) []medialabel.Evidence {
	if len(tx.Runes) == 0 || len(x.Index) == 0 {
		return []medialabel.Evidence{}
	}
	net := c.net
	H := net.Hidden
	hpre := make([]float32, H)
	net.hidden(x, hpre)
	full := outLogit(net, hpre, OutDehumanizing)
	// contrib[k] and count[k] belong to feature x.Index[k] (ascending).
	contrib := make([]float64, len(x.Index))
	tmp := make([]float32, H)
	for k, i := range x.Index {
		row := net.W1[int(i)*H : int(i)*H+H]
		for j := range tmp {
			tmp[j] = hpre[j] - x.Value[k]*row[j]
		}
		contrib[k] = float64(full - outLogit(net, tmp, OutDehumanizing))
	}
	pos := make([]int, len(occ))
	count := make([]int, len(x.Index))
	for n, o := range occ {
		k, ok := slices.BinarySearch(x.Index, o.Index)
		if !ok {
			pos[n] = -1
			continue
		}
		pos[n] = k
		count[k]++
	}
	score := make([]float64, len(tx.Runes))
	for n, o := range occ {
		k := pos[n]
		if k < 0 {
			continue
		}
		share := contrib[k] / float64(count[k]) / float64(o.End-o.Start)
		for r := o.Start; r < o.End; r++ {
			score[r] += share
		}
	}
	top := 0.0
	for _, s := range score {
		top = max(top, s)
	}
	if top <= 0 {
		return []medialabel.Evidence{}
	}
	var ev []medialabel.Evidence
	for i := 0; i < len(score); {
		if score[i] < top/4 || tx.Runes[i] == ' ' {
			i++
			continue
		}
		j, w := i, 0.0
		for j < len(score) && score[j] >= top/4 && tx.Runes[j] != ' ' {
			w += score[j]
			j++
		}
		sp := tx.OriginalSpan(i, j)
		ev = append(ev, medialabel.Evidence{Span: tx.Original[sp.Start:sp.End], Start: sp.Start, End: sp.End, Weight: math.Round(w*1000) / 1000})
		i = j
	}
	sort.SliceStable(ev, func(a, b int) bool { return ev[a].Weight > ev[b].Weight })
	if len(ev) > c.maxEv {
		ev = ev[:c.maxEv]
	}
	return ev
}

// round6 rounds a score to six decimals, about what float32 holds.
func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

// outLogit is output o's logit for hidden pre-activations hpre.
func outLogit(net *Net, hpre []float32, o int) float32 {
	z := net.B2[o]
	for j, a := range hpre {
		if a > 0 {
			z += a * net.W2[j*net.Outputs+o]
		}
	}
	return z
}
