package model

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/medialabel/medialabel/classify"
)

// LabeledText is a caption with its labels (Negative, Positive or
// Unknown) and the name of the set it comes from, for reports.
type LabeledText struct {
	Text         string
	Dehumanizing int8
	Offensive    int8
	Source       string
}

// BuildConfig is a whole training run: features, network and training.
type BuildConfig struct {
	Features classify.FeatureConfig
	Lexicon  bool // add lexicon features
	// Conjunctions adds the conjunction features of classify.WithTargets
	// (needs Lexicon).
	Conjunctions bool
	// Predicates adds the copula conjunctions of classify.WithPredicates
	// (needs Conjunctions).
	Predicates bool
	Train      TrainConfig
	// MaxHardNegativeRate caps, when choosing the dehumanizing threshold
	// on dev, the share of dev captions labelled not dehumanizing that may
	// be flagged (0 means no cap).
	MaxHardNegativeRate float64
	// NegativeRateConfidence, when above 0, applies the cap to the upper
	// bound of the share of negatives flagged at this one-sided confidence
	// (WilsonUpper), not to the share on dev itself: dev holds a few
	// hundred negatives, so a threshold that flags just under the cap
	// there flags more than the cap on other data about half the time.
	// Where dev has too few negatives for the bound to reach the cap
	// (about 50 at 5% and 0.95), the cap applies to the share on dev.
	NegativeRateConfidence float64
	// Ensemble is how many networks (seeds Seed, Seed+1, ...) are trained
	// and merged into one: their hidden layers side by side and their
	// output logits averaged (0 means 1).
	Ensemble int
	// OffensiveThreshold, when above 0, is the stored offensive threshold
	// instead of the one chosen on dev: for a run that trains on the dev
	// rows the offensive output is judged by, whose dev scores are optimistic.
	OffensiveThreshold float64
}

// DefaultBuildConfig returns the configuration of the shipped model.
func DefaultBuildConfig() BuildConfig {
	return BuildConfig{
		Features:               classify.DefaultFeatureConfig(),
		Lexicon:                true,
		Conjunctions:           true,
		Predicates:             true,
		Train:                  DefaultTrainConfig(),
		MaxHardNegativeRate:    0.05,
		NegativeRateConfidence: 0.95,
		Ensemble:               4,
	}
}

// SelfCheckCaptions returns the captions whose outputs are stored in the
// model and checked when it is opened.
func SelfCheckCaptions() []string {
	return []string{
		"啲甲由又出嚟搞事",
		"一群蟑螂躲在口罩后面",
		"今天天气很好，我们去公园散步吧",
		"这种人真是垃圾，滚出去",
		"黃屍廢青又喺度搞破壞",
		"厨房里发现了一只蟑螂",
	}
}

// Built is the result of Build: the network, its ONNX file and what was
// measured on dev.
type Built struct {
	Net        *Net
	ONNX       []byte
	Thresholds Thresholds
	SelfCheck  []SelfCheckCase
	Report     string // dev metrics, one line each
}

// Build featurizes the texts, trains the network with early stopping on
// dev, chooses the thresholds on dev and encodes the model with its
// metadata. Progress lines go to logw.
func Build(ctx context.Context, cfg BuildConfig, train, dev []LabeledText, logw io.Writer) (*Built, error) {
	if t := cfg.OffensiveThreshold; t < 0 || t > 1 || math.IsNaN(t) {
		return nil, fmt.Errorf("build: offensive threshold %v outside [0,1]", t)
	}
	// Each kind of conjunction needs the one before it.
	cfg.Conjunctions = cfg.Conjunctions && cfg.Lexicon
	cfg.Predicates = cfg.Predicates && cfg.Conjunctions
	pipe, err := newPipeline(featureSet{cfg: cfg.Features, lexicon: cfg.Lexicon, conjunctions: cfg.Conjunctions, predicates: cfg.Predicates}, 0)
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	cfg.Train.In = cfg.Features.Dim
	trainEx := featurize(pipe, train)
	devEx := featurize(pipe, dev)
	onEpoch := func(epoch int, net *Net) ([numOutputs]float64, error) {
		ev := evaluate(net, devEx, dev, cfg.MaxHardNegativeRate, cfg.NegativeRateConfidence)
		fmt.Fprintf(logw, "epoch %d: dev dehumanizing F1 %.4f (threshold %.3f), offensive macro-F1 %.4f (threshold %.3f)\n",
			epoch, ev.dehumF1, ev.th.Dehumanizing, ev.offMacroF1, ev.th.Offensive)
		return [numOutputs]float64{OutDehumanizing: ev.dehumF1, OutOffensive: ev.offMacroF1}, nil
	}
	var members []*Net
	for k := range max(1, cfg.Ensemble) {
		tc := cfg.Train
		tc.Seed += uint64(k)
		fmt.Fprintf(logw, "network %d of %d (seed %d)\n", k+1, max(1, cfg.Ensemble), tc.Seed)
		net, err := Train(ctx, tc, trainEx, onEpoch)
		if err != nil {
			return nil, fmt.Errorf("build: %w", err)
		}
		members = append(members, net)
	}
	net := merge(members)
	ev := evaluate(net, devEx, dev, cfg.MaxHardNegativeRate, cfg.NegativeRateConfidence)
	// The thresholds are stored with six decimals; use them as stored.
	th := Thresholds{Dehumanizing: round6(ev.th.Dehumanizing), Offensive: round6(ev.th.Offensive)}
	if cfg.OffensiveThreshold > 0 {
		th.Offensive = round6(cfg.OffensiveThreshold)
		ev.report += fmt.Sprintf("; offensive threshold fixed at %.3f", th.Offensive)
	}
	b := &Built{Net: net, Thresholds: th, Report: ev.report}
	for _, s := range SelfCheckCaptions() {
		_, _, x := pipe.Features(s)
		p := net.Predict(x)
		b.SelfCheck = append(b.SelfCheck, SelfCheckCase{Text: s, Dehumanizing: float64(p[OutDehumanizing]), Offensive: float64(p[OutOffensive])})
	}
	checks, err := json.Marshal(b.SelfCheck)
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	meta := map[string]string{
		MetaThresholdDehumanizing: strconv.FormatFloat(b.Thresholds.Dehumanizing, 'f', 6, 64),
		MetaThresholdOffensive:    strconv.FormatFloat(b.Thresholds.Offensive, 'f', 6, 64),
		MetaNgramMin:              strconv.Itoa(cfg.Features.MinN),
		MetaNgramMax:              strconv.Itoa(cfg.Features.MaxN),
		MetaLexicon:               strconv.FormatBool(cfg.Lexicon),
		MetaSigned:                strconv.FormatBool(cfg.Features.Signed),
		MetaConjunctions:          strconv.FormatBool(cfg.Conjunctions),
		MetaPredicates:            strconv.FormatBool(cfg.Predicates),
		MetaTables:                classify.TablesDigest(),
		MetaSelfCheck:             string(checks),
		MetaTrainReport:           b.Report,
	}
	if b.ONNX, err = EncodeONNX(net, meta); err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	return b, nil
}

// merge puts networks of the same input size side by side: the hidden
// units of all, and output logits that are the mean of theirs.
func merge(nets []*Net) *Net {
	if len(nets) == 1 {
		return nets[0]
	}
	in, outs := nets[0].In, nets[0].Outputs
	hidden := 0
	for _, n := range nets {
		hidden += n.Hidden
	}
	m := NewNet(in, hidden, outs)
	k := float32(len(nets))
	off := 0
	for _, n := range nets {
		for i := range in {
			copy(m.W1[i*hidden+off:i*hidden+off+n.Hidden], n.W1[i*n.Hidden:(i+1)*n.Hidden])
		}
		copy(m.B1[off:], n.B1)
		for j := range n.Hidden {
			for o := range outs {
				m.W2[(off+j)*outs+o] = n.W2[j*outs+o] / k
			}
		}
		for o := range outs {
			m.B2[o] += n.B2[o] / k
		}
		off += n.Hidden
	}
	return m
}

func featurize(pipe *classify.Pipeline, rows []LabeledText) []Example {
	ex := make([]Example, len(rows))
	for i, r := range rows {
		_, _, x := pipe.Features(r.Text)
		ex[i] = Example{X: x, Y: [numOutputs]int8{OutDehumanizing: r.Dehumanizing, OutOffensive: r.Offensive}}
	}
	return ex
}

type devEval struct {
	th                  Thresholds
	dehumF1, offMacroF1 float64
	report              string
}

// evaluate chooses thresholds on dev: for dehumanizing, the best F1 among
// thresholds that flag at most maxNegRate of the negatives (of their upper
// bound at confidence conf, when conf > 0); for offensive, the best
// macro-F1.
func evaluate(net *Net, ex []Example, rows []LabeledText, maxNegRate, conf float64) devEval {
	var dScores, oScores []float64
	var dGold, oGold []bool
	for i, e := range ex {
		p := net.Predict(e.X)
		if rows[i].Dehumanizing != Unknown {
			dScores = append(dScores, float64(p[OutDehumanizing]))
			dGold = append(dGold, rows[i].Dehumanizing == Positive)
		}
		if rows[i].Offensive != Unknown {
			oScores = append(oScores, float64(p[OutOffensive]))
			oGold = append(oGold, rows[i].Offensive == Positive)
		}
	}
	var ev devEval
	ev.th.Offensive, ev.offMacroF1 = BestThreshold(oScores, oGold, Confusion.MacroF1)
	// Too few negatives for the bound to reach the cap even with none
	// flagged: cap the share on dev instead.
	negs := 0
	for _, g := range dGold {
		if !g {
			negs++
		}
	}
	boundOff := conf > 0 && maxNegRate > 0 && WilsonUpper(0, negs, conf) > maxNegRate
	if boundOff {
		conf = 0
	}
	ev.th.Dehumanizing, ev.dehumF1 = BestThreshold(dScores, dGold, func(c Confusion) float64 {
		rate := ratio(c.FP, c.FP+c.TN)
		if conf > 0 {
			rate = WilsonUpper(c.FP, c.FP+c.TN, conf)
		}
		if maxNegRate > 0 && rate > maxNegRate {
			return 0
		}
		return c.F1()
	})
	var sb strings.Builder
	fmt.Fprintf(&sb, "dev dehumanizing (n=%d) at %.3f: %s", len(dScores), ev.th.Dehumanizing,
		oneLine(ConfusionAt(dScores, dGold, ev.th.Dehumanizing)))
	fmt.Fprintf(&sb, "; dev offensive (n=%d) at %.3f: %s", len(oScores), ev.th.Offensive,
		oneLine(ConfusionAt(oScores, oGold, ev.th.Offensive)))
	fmt.Fprintf(&sb, "; at 0.5: %s", oneLine(ConfusionAt(oScores, oGold, 0.5)))
	if boundOff {
		fmt.Fprintf(&sb, "; %d dev negatives are too few for a bound of %.3f: the cap applies to the share on dev", negs, maxNegRate)
	}
	ev.report = sb.String()
	return ev
}

func oneLine(c Confusion) string {
	return fmt.Sprintf("P %.4f R %.4f F1 %.4f macro-F1 %.4f (TP %d FP %d TN %d FN %d)",
		c.Precision(), c.Recall(), c.F1(), c.MacroF1(), c.TP, c.FP, c.TN, c.FN)
}
