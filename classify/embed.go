package classify

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"strings"
)

// The tables shipped with the classifier; see tables/README.md.
var (
	//go:embed tables/substitutions.tsv
	substitutionsTSV string
	//go:embed tables/lexicon.tsv
	lexiconTSV string
	//go:embed tables/targets.tsv
	targetsTSV string
)

// DefaultSubstitutions returns the embedded substitution table.
func DefaultSubstitutions() (*Substitutions, error) {
	return ParseSubstitutions(strings.NewReader(substitutionsTSV))
}

// DefaultLexicon returns the embedded lexicon.
func DefaultLexicon() (*Lexicon, error) {
	return ParseLexicon(strings.NewReader(lexiconTSV))
}

// DefaultTargets returns the embedded table of person and group words.
func DefaultTargets() (*Targets, error) {
	return ParseTargets(strings.NewReader(targetsTSV))
}

// TablesDigest identifies the embedded tables (substitutions, lexicon,
// targets): the first 16 hex digits of the SHA-256 of their contents. A
// model's features depend on them, so a model records the digest it was
// trained with.
func TablesDigest() string {
	h := sha256.New()
	for _, t := range []string{substitutionsTSV, lexiconTSV, targetsTSV} {
		fmt.Fprintf(h, "%d\n%s", len(t), t)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// Pipeline is the normalizer and featurizer the model was trained with.
type Pipeline struct {
	Normalizer *Normalizer
	Featurizer *Featurizer
}

// NewPipeline builds the normalizer with the embedded substitutions and a
// featurizer of the given configuration, with the embedded lexicon when
// lexicon is true.
func NewPipeline(cfg FeatureConfig, lexicon bool) (*Pipeline, error) {
	subs, err := DefaultSubstitutions()
	if err != nil {
		return nil, fmt.Errorf("classify: %w", err)
	}
	nz, err := NewNormalizer(subs)
	if err != nil {
		return nil, fmt.Errorf("classify: %w", err)
	}
	var lex *Lexicon
	if lexicon {
		if lex, err = DefaultLexicon(); err != nil {
			return nil, fmt.Errorf("classify: %w", err)
		}
	}
	fz, err := NewFeaturizer(cfg, lex, nz)
	if err != nil {
		return nil, fmt.Errorf("classify: %w", err)
	}
	return &Pipeline{Normalizer: nz, Featurizer: fz}, nil
}

// Features normalizes s and returns the normalized text, its feature
// occurrences and its vector.
func (p *Pipeline) Features(s string) (Text, []Occurrence, Vector) {
	t := p.Normalizer.Normalize(s)
	occ := p.Featurizer.Occurrences(t)
	return t, occ, VectorOf(occ)
}
