package model

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/medialabel/medialabel/classify"
)

// Label values of an Example.
const (
	Negative    int8 = 0
	Positive    int8 = 1
	Unknown     int8 = -1 // no loss for this output
	maxHiddenSz      = 1024
)

// Example is one training caption: its feature vector and, per output,
// Negative, Positive or Unknown.
type Example struct {
	X classify.Vector
	Y [numOutputs]int8
}

// TrainConfig sets the training run. The same data, configuration and
// seed give the same weights, bit for bit: training runs in one goroutine
// and draws all randomness from a generator seeded with Seed.
type TrainConfig struct {
	Seed         uint64
	In, Hidden   int
	Epochs       int
	LearningRate float64 // Adam step size
	L2           float64 // weight decay on the rows of W1 that an example touches
	Dropout      float64 // probability of dropping a hidden unit while training
	InputDropout float64 // probability of dropping an input feature while training
	InitScale    float64 // standard deviation of the initial W1 (0 means 0.3)
	// DehumanizingUnits, when above 0, splits the hidden layer: the first
	// DehumanizingUnits units feed only the dehumanizing output and the
	// others only the offensive output (W2 is block-diagonal), so that
	// the large offensive corpus does not shape the dehumanizing features.
	DehumanizingUnits int
	PosWeight         [numOutputs]float64 // loss weight of positive examples, per output (0 means 1)
	OutWeight         [numOutputs]float64 // loss weight of each output (0 means 1)
	// SplitStopping, with DehumanizingUnits above 0, keeps each part of a
	// split hidden layer from its own best epoch: the dehumanizing units
	// (and bias) from the epoch with the best dehumanizing score, the
	// others from the epoch with the best offensive score. Without it the
	// whole network of the epoch with the best sum of scores is kept.
	SplitStopping bool
}

// DefaultTrainConfig returns the training configuration of the shipped model.
func DefaultTrainConfig() TrainConfig {
	return TrainConfig{
		Seed: 1, In: classify.DefaultFeatureConfig().Dim, Hidden: 8, Epochs: 5,
		LearningRate: 0.002, L2: 1e-6, Dropout: 0.5, InputDropout: 0.3, InitScale: 0.1,
		DehumanizingUnits: 4, SplitStopping: true,
	}
}

// EpochFunc is called after every epoch with the current weights; it
// returns a score per output to maximize (for early stopping), or an error
// to stop.
type EpochFunc func(epoch int, net *Net) ([numOutputs]float64, error)

// Train fits a network to train and returns the weights of the epoch with
// the best sum of scores from onEpoch (the last epoch when onEpoch is nil),
// or with cfg.SplitStopping each part from its own best epoch.
func Train(ctx context.Context, cfg TrainConfig, train []Example, onEpoch EpochFunc) (*Net, error) {
	if cfg.In <= 0 || cfg.Hidden <= 0 || cfg.Hidden > maxHiddenSz || cfg.Epochs <= 0 || cfg.DehumanizingUnits < 0 || cfg.DehumanizingUnits >= cfg.Hidden {
		return nil, fmt.Errorf("train: bad config %+v", cfg)
	}
	if len(train) == 0 {
		return nil, fmt.Errorf("train: no examples")
	}
	for i, ex := range train {
		for _, idx := range ex.X.Index {
			if idx < 0 || int(idx) >= cfg.In {
				return nil, fmt.Errorf("train: example %d: feature %d out of range [0,%d)", i, idx, cfg.In)
			}
		}
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x6d656469616c6162))
	t := newTrainer(cfg, rng)
	order := make([]int, len(train))
	for i := range order {
		order[i] = i
	}
	split := cfg.SplitStopping && cfg.DehumanizingUnits > 0
	var best, bestOff *Net
	bestScore, bestOffScore := math.Inf(-1), math.Inf(-1)
	for epoch := 1; epoch <= cfg.Epochs; epoch++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for k, i := range order {
			if k%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return nil, fmt.Errorf("train: %w", err)
				}
			}
			t.step(train[i])
		}
		if onEpoch == nil {
			continue
		}
		scores, err := onEpoch(epoch, t.net)
		if err != nil {
			return nil, fmt.Errorf("train: epoch %d: %w", epoch, err)
		}
		score := scores[OutDehumanizing] + scores[OutOffensive]
		if split {
			score = scores[OutDehumanizing]
			if s := scores[OutOffensive]; s > bestOffScore {
				bestOffScore, bestOff = s, t.net.clone()
			}
		}
		if score > bestScore {
			bestScore, best = score, t.net.clone()
		}
	}
	if best == nil {
		best = t.net.clone()
	}
	if bestOff != nil {
		best.takeUnits(bestOff, cfg.DehumanizingUnits)
	}
	return best, nil
}

// takeUnits copies into n the hidden units from first on of src, and the
// offensive output's weights and bias: the offensive part of a split
// hidden layer.
func (n *Net) takeUnits(src *Net, first int) {
	H := n.Hidden
	for i := range n.In {
		copy(n.W1[i*H+first:(i+1)*H], src.W1[i*H+first:(i+1)*H])
	}
	copy(n.B1[first:], src.B1[first:])
	for j := first; j < H; j++ {
		n.W2[j*n.Outputs+OutOffensive] = src.W2[j*n.Outputs+OutOffensive]
	}
	n.B2[OutOffensive] = src.B2[OutOffensive]
}

func (n *Net) clone() *Net {
	c := *n
	c.W1 = append([]float32(nil), n.W1...)
	c.B1 = append([]float32(nil), n.B1...)
	c.W2 = append([]float32(nil), n.W2...)
	c.B2 = append([]float32(nil), n.B2...)
	return &c
}

// trainer holds the network and Adam's moments. Rows of W1 are updated
// lazily: only the rows of an example's features, with the step count
// shared by all.
type trainer struct {
	cfg         TrainConfig
	rng         *rand.Rand
	net         *Net
	m1, v1      []float32 // moments of W1
	mb1, vb1    []float32
	m2, v2      []float32
	mb2, vb2    []float32
	steps       int
	h, hpre, dh []float32
	keep        []bool
	xi          []int32
	xv          []float32
	posW, outW  [numOutputs]float32
}

const (
	adamB1  = 0.9
	adamB2  = 0.999
	adamEps = 1e-8
)

func newTrainer(cfg TrainConfig, rng *rand.Rand) *trainer {
	net := NewNet(cfg.In, cfg.Hidden, numOutputs)
	init := cfg.InitScale
	if init <= 0 {
		init = 0.3
	}
	for i := range net.W1 {
		net.W1[i] = float32(rng.NormFloat64() * init)
	}
	s := 1 / math.Sqrt(float64(cfg.Hidden))
	for i := range net.W2 {
		net.W2[i] = float32(rng.NormFloat64() * s)
		if !connected(cfg, i/numOutputs, i%numOutputs) {
			net.W2[i] = 0
		}
	}
	t := &trainer{
		cfg: cfg, rng: rng, net: net,
		m1: make([]float32, len(net.W1)), v1: make([]float32, len(net.W1)),
		mb1: make([]float32, cfg.Hidden), vb1: make([]float32, cfg.Hidden),
		m2: make([]float32, len(net.W2)), v2: make([]float32, len(net.W2)),
		mb2: make([]float32, numOutputs), vb2: make([]float32, numOutputs),
		h: make([]float32, cfg.Hidden), hpre: make([]float32, cfg.Hidden), dh: make([]float32, cfg.Hidden),
		keep: make([]bool, cfg.Hidden),
	}
	for o := range numOutputs {
		t.posW[o], t.outW[o] = 1, 1
		if cfg.PosWeight[o] > 0 {
			t.posW[o] = float32(cfg.PosWeight[o])
		}
		if cfg.OutWeight[o] > 0 {
			t.outW[o] = float32(cfg.OutWeight[o])
		}
	}
	return t
}

// step does one Adam step on one example.
func (t *trainer) step(ex Example) {
	net, H := t.net, t.net.Hidden
	if p := t.cfg.InputDropout; p > 0 {
		ex.X = t.dropInputs(ex.X, p)
	}
	net.hidden(ex.X, t.hpre)
	scale := float32(1 / (1 - t.cfg.Dropout))
	for j, a := range t.hpre {
		t.keep[j] = a > 0 && (t.cfg.Dropout == 0 || t.rng.Float64() >= t.cfg.Dropout)
		if t.keep[j] {
			t.h[j] = a * scale
		} else {
			t.h[j] = 0
		}
	}
	var dz [numOutputs]float32
	labelled := false
	for o := range numOutputs {
		y := ex.Y[o]
		if y == Unknown {
			continue
		}
		z := net.B2[o]
		for j, a := range t.h {
			z += a * net.W2[j*numOutputs+o]
		}
		p := sigmoid(z)
		w := t.outW[o]
		if y == Positive {
			w *= t.posW[o]
		}
		dz[o] = w * (p - float32(y))
		labelled = true
	}
	if !labelled {
		return
	}
	t.steps++
	lr := float32(t.cfg.LearningRate * math.Sqrt(1-math.Pow(adamB2, float64(t.steps))) / (1 - math.Pow(adamB1, float64(t.steps))))
	// Output layer and the gradient into the hidden layer.
	for j := range H {
		var g float32
		for o := range numOutputs {
			g += net.W2[j*numOutputs+o] * dz[o]
			if k := j*numOutputs + o; connected(t.cfg, j, o) {
				adam(&net.W2[k], &t.m2[k], &t.v2[k], t.h[j]*dz[o], lr)
			}
		}
		if t.keep[j] {
			t.dh[j] = g * scale
		} else {
			t.dh[j] = 0
		}
	}
	for o := range numOutputs {
		adam(&net.B2[o], &t.mb2[o], &t.vb2[o], dz[o], lr)
	}
	for j := range H {
		adam(&net.B1[j], &t.mb1[j], &t.vb1[j], t.dh[j], lr)
	}
	l2 := float32(t.cfg.L2)
	for k, i := range ex.X.Index {
		x := ex.X.Value[k]
		base := int(i) * H
		for j := range H {
			p := base + j
			adam(&net.W1[p], &t.m1[p], &t.v1[p], x*t.dh[j]+l2*net.W1[p], lr)
		}
	}
}

// connected reports whether hidden unit j feeds output o.
func connected(cfg TrainConfig, j, o int) bool {
	if cfg.DehumanizingUnits == 0 {
		return true
	}
	return (j < cfg.DehumanizingUnits) == (o == OutDehumanizing)
}

// dropInputs returns x with each feature dropped with probability p and
// the others scaled by 1/(1-p), in the trainer's scratch buffers.
func (t *trainer) dropInputs(x classify.Vector, p float64) classify.Vector {
	t.xi, t.xv = t.xi[:0], t.xv[:0]
	scale := float32(1 / (1 - p))
	for k, i := range x.Index {
		if t.rng.Float64() < p {
			continue
		}
		t.xi = append(t.xi, i)
		t.xv = append(t.xv, x.Value[k]*scale)
	}
	return classify.Vector{Index: t.xi, Value: t.xv}
}

func adam(w, m, v *float32, g, lr float32) {
	*m = adamB1**m + (1-adamB1)*g
	*v = adamB2**v + (1-adamB2)*g*g
	*w -= lr * *m / (float32(math.Sqrt(float64(*v))) + adamEps)
}
