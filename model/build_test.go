package model

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/medialabel/medialabel/classify"
)

// smallCorpus is a tiny labelled set for training tests.
func smallCorpus() []LabeledText {
	var rows []LabeledText
	pos := []string{"一群蟑螂躲在口罩后面", "曱甴又出嚟搞事", "这些蝗虫滚回去", "黄尸废青", "那些人就是寄生虫"}
	neg := []string{"厨房里有一只蟑螂", "今天天气很好", "我们去公园散步", "蝗虫灾害影响收成", "医生研究寄生虫"}
	off := []string{"你这个垃圾", "滚出去傻逼", "脑残一个"}
	for i := range 4 {
		for _, s := range pos {
			rows = append(rows, LabeledText{Text: fmt.Sprint(s, i), Dehumanizing: Positive, Offensive: Positive})
		}
		for _, s := range neg {
			rows = append(rows, LabeledText{Text: fmt.Sprint(s, i), Dehumanizing: Negative, Offensive: Negative})
		}
		for _, s := range off {
			rows = append(rows, LabeledText{Text: fmt.Sprint(s, i), Dehumanizing: Unknown, Offensive: Positive})
		}
	}
	return rows
}

func smallConfig() BuildConfig {
	cfg := DefaultBuildConfig()
	cfg.Features = classify.FeatureConfig{Dim: 1 << 12, MinN: 1, MaxN: 3, Signed: true}
	cfg.Train.Hidden, cfg.Train.DehumanizingUnits, cfg.Train.Epochs = 8, 4, 3
	return cfg
}

func TestBuildDeterministic(t *testing.T) {
	rows := smallCorpus()
	var outs [][]byte
	for range 2 {
		b, err := Build(context.Background(), smallConfig(), rows, rows, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, b.ONNX)
	}
	if !bytes.Equal(outs[0], outs[1]) {
		t.Fatal("two runs with the same data and seed wrote different ONNX files")
	}
	cfg := smallConfig()
	cfg.Train.Seed = 2
	b, err := Build(context.Background(), cfg, rows, rows, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(outs[0], b.ONNX) {
		t.Error("a different seed wrote the same file")
	}
}

func TestBuildOpenRoundTrip(t *testing.T) {
	rows := smallCorpus()
	b, err := Build(context.Background(), smallConfig(), rows, rows, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Open(context.Background(), b.ONNX, Options{PoolSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	if c.Thresholds() != b.Thresholds {
		t.Errorf("thresholds %+v, want %+v", c.Thresholds(), b.Thresholds)
	}
	// The small corpus has too few dev negatives for the bound on the
	// share flagged; the report says the cap fell back to the dev share.
	if !strings.Contains(b.Report, "too few for a bound") {
		t.Errorf("report %q does not say the negatives were too few for the bound", b.Report)
	}
	cfg := smallConfig()
	cfg.OffensiveThreshold = 0.5
	fixed, err := Build(context.Background(), cfg, rows, rows, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if fixed.Thresholds.Offensive != 0.5 || fixed.Thresholds.Dehumanizing != b.Thresholds.Dehumanizing {
		t.Errorf("with the offensive threshold fixed at 0.5: thresholds %+v, want 0.5 and dehumanizing %v", fixed.Thresholds, b.Thresholds.Dehumanizing)
	}
	cfg.OffensiveThreshold = 1.5
	if _, err := Build(context.Background(), cfg, rows, rows, io.Discard); err == nil {
		t.Error("offensive threshold 1.5 accepted")
	}
	res, err := c.Classify(context.Background(), []string{"一群蟑螂躲在口罩后面0", "今天天气很好0"})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Dehumanizing <= res[1].Dehumanizing {
		t.Errorf("trained network does not separate its own training data: %v <= %v", res[0].Dehumanizing, res[1].Dehumanizing)
	}
}

// buildSmallFile trains on smallCorpus and decodes the file written.
func buildSmallFile(t *testing.T) *File {
	t.Helper()
	rows := smallCorpus()
	b, err := Build(context.Background(), smallConfig(), rows, rows, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	f, err := DecodeONNX(b.ONNX)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestOpenDetectsCorruption changes one weight in the file: the stored
// self-check outputs no longer match and Open refuses the model.
func TestOpenDetectsCorruption(t *testing.T) {
	f := buildSmallFile(t)
	_, _, x := mustPipeline(t).Features(SelfCheckCaptions()[0])
	f.Net.W1[int(x.Index[0])*f.Net.Hidden] += 5
	f.Net.B2[OutDehumanizing] += 1
	bad, err := EncodeONNX(f.Net, f.Metadata)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), bad, Options{PoolSize: 1}); err == nil {
		t.Fatal("Open accepted a model whose weights changed")
	}
}

// TestOpenChecksTables changes the tables digest stored in a model: Open
// refuses a model trained with other tables, and accepts one without the
// digest (written before it was stored).
func TestOpenChecksTables(t *testing.T) {
	f := buildSmallFile(t)
	if got := f.Metadata[MetaTables]; got != classify.TablesDigest() {
		t.Fatalf("stored digest %q, want %q", got, classify.TablesDigest())
	}
	for _, tt := range []struct {
		name, digest string
		ok           bool
	}{
		{"other tables", "0123456789abcdef", false},
		{"no digest", "", true},
	} {
		f.Metadata[MetaTables] = tt.digest
		if tt.digest == "" {
			delete(f.Metadata, MetaTables)
		}
		buf, err := EncodeONNX(f.Net, f.Metadata)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Open(context.Background(), buf, Options{PoolSize: 1}); (err == nil) != tt.ok {
			t.Errorf("%s: Open error %v, want ok = %v", tt.name, err, tt.ok)
		}
	}
}

func mustPipeline(t *testing.T) *classify.Pipeline {
	t.Helper()
	p, err := newPipeline(featureSet{cfg: smallConfig().Features, lexicon: true, conjunctions: true, predicates: true}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMergeAveragesLogits(t *testing.T) {
	a, b := randomNet(64, 4, 1), randomNet(64, 6, 2)
	m := merge([]*Net{a, b})
	x := classify.Vector{Index: []int32{1, 7, 30}, Value: []float32{0.5, 0.7, 0.2}}
	la, lb, lm := a.Logits(x, nil), b.Logits(x, nil), m.Logits(x, nil)
	for o := range lm {
		if want := (la[o] + lb[o]) / 2; math.Abs(float64(lm[o]-want)) > 1e-5 {
			t.Errorf("output %d: merged logit %v, want %v", o, lm[o], want)
		}
	}
}

func TestBestThreshold(t *testing.T) {
	scores := []float64{0.1, 0.2, 0.35, 0.4, 0.8, 0.9}
	gold := []bool{false, false, true, false, true, true}
	th, f1 := BestThreshold(scores, gold, Confusion.F1)
	if th != 0.35 || math.Abs(f1-6.0/7) > 1e-9 {
		t.Errorf("BestThreshold = %v, %v; want 0.35, %v", th, f1, 6.0/7)
	}
	c := ConfusionAt(scores, gold, 0.5)
	if c != (Confusion{TP: 2, FP: 0, TN: 3, FN: 1}) {
		t.Errorf("ConfusionAt = %+v", c)
	}
}

func FuzzDecodeONNX(f *testing.F) {
	net := randomNet(16, 4, 3)
	good, err := EncodeONNX(net, map[string]string{"a": "b"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte{})
	f.Add([]byte{0x3a, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := DecodeONNX(b)
		if err != nil {
			return
		}
		if err := file.Net.validate(); err != nil {
			t.Fatalf("DecodeONNX returned an invalid net: %v", err)
		}
	})
}

// TestSplitStopping checks that with SplitStopping the dehumanizing units
// come from the epoch with the best dehumanizing score and the offensive
// units from the epoch with the best offensive score.
func TestSplitStopping(t *testing.T) {
	rows := smallCorpus()
	pipe := mustPipeline(t)
	ex := featurize(pipe, rows)
	cfg := smallConfig().Train
	cfg.In, cfg.Epochs, cfg.SplitStopping = smallConfig().Features.Dim, 3, true
	// Scores per epoch: dehumanizing best at 1, offensive best at 3.
	scores := map[int][numOutputs]float64{1: {0.9, 0.1}, 2: {0.5, 0.5}, 3: {0.1, 0.9}}
	snap := map[int]*Net{}
	net, err := Train(context.Background(), cfg, ex, func(epoch int, n *Net) ([numOutputs]float64, error) {
		snap[epoch] = n.clone()
		return scores[epoch], nil
	})
	if err != nil {
		t.Fatal(err)
	}
	d, H := cfg.DehumanizingUnits, cfg.Hidden
	for i := range net.In {
		for j := range H {
			from := snap[3]
			if j < d {
				from = snap[1]
			}
			if net.W1[i*H+j] != from.W1[i*H+j] {
				t.Fatalf("W1[%d,%d] is not from the epoch of its part", i, j)
			}
		}
	}
	if net.B2[OutDehumanizing] != snap[1].B2[OutDehumanizing] || net.B2[OutOffensive] != snap[3].B2[OutOffensive] {
		t.Errorf("output biases %v, want %v and %v", net.B2, snap[1].B2[OutDehumanizing], snap[3].B2[OutOffensive])
	}
	if slices.Equal(snap[1].W1, snap[3].W1) {
		t.Fatal("epochs 1 and 3 have the same weights: the test shows nothing")
	}
	// Without SplitStopping the whole network of the best sum (epoch 1 or
	// 3: equal sums, the first kept) is returned.
	cfg.SplitStopping = false
	whole, err := Train(context.Background(), cfg, ex, func(epoch int, n *Net) ([numOutputs]float64, error) { return scores[epoch], nil })
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(whole.W1, snap[1].W1) {
		t.Error("without split stopping the result is not epoch 1's network")
	}
}

// TestWilsonUpper checks the bound against published Wilson score
// intervals (two-sided 95%, whose upper end is the one-sided 97.5% bound)
// and that it tightens as the sample grows at the same share.
func TestWilsonUpper(t *testing.T) {
	for _, tt := range []struct {
		k, n int
		conf float64
		want float64
	}{
		{10, 100, 0.975, 0.1744},
		{0, 10, 0.975, 0.2775},
		{1, 10, 0.975, 0.4042},
		{0, 0, 0.95, 0},
	} {
		if got := WilsonUpper(tt.k, tt.n, tt.conf); math.Abs(got-tt.want) > 5e-4 {
			t.Errorf("WilsonUpper(%d, %d, %v) = %.4f, want %.4f", tt.k, tt.n, tt.conf, got, tt.want)
		}
	}
	prev := 1.0
	for _, n := range []int{20, 200, 2000, 20000} {
		u := WilsonUpper(n/20, n, 0.95)
		if u <= 0.05 || u >= prev {
			t.Errorf("WilsonUpper(%d, %d, 0.95) = %.4f: want above 0.05 and below %.4f", n/20, n, u, prev)
		}
		prev = u
	}
}
