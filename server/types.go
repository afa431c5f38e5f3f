package server

import (
	"time"

	"github.com/medialabel/medialabel"
)

// Label names, as /v1/label reports them.
const (
	LabelPropagandaMeme       = "propaganda_meme"
	LabelDehumanizingLanguage = "dehumanizing_language"
	LabelOffensiveLanguage    = "offensive_language"
)

// LabelResponse is the answer of POST /v1/label.
type LabelResponse struct {
	// Labels are the conclusions, strongest evidence first; empty when
	// nothing was found.
	Labels []Label `json:"labels"`
	// Image holds the upload's hashes, when there was an image.
	Image *ImageResult `json:"image,omitempty"`
	// Matches lists every bank entry near the image, closest first; it is
	// present (possibly empty) when there was an image.
	Matches []medialabel.Match `json:"matches,omitzero"`
	// Caption holds the caption's scores, when there was a caption.
	Caption *CaptionResult `json:"caption,omitempty"`
}

// A Label is one conclusion about an upload with the evidence for it:
// a bank match for propaganda_meme, a caption score for the language
// labels.
type Label struct {
	Name      string                `json:"name"`
	Source    string                `json:"source"` // "image" or "caption"
	Bank      string                `json:"bank,omitempty"`
	Entry     string                `json:"entry,omitempty"`
	Label     string                `json:"label,omitempty"`
	Signal    medialabel.Signal     `json:"signal,omitempty"`
	Distance  *int                  `json:"distance,omitempty"`
	Transform medialabel.Transform  `json:"transform,omitempty"`
	Region    string                `json:"region,omitempty"`
	Score     *float64              `json:"score,omitempty"`
	Evidence  []medialabel.Evidence `json:"evidence,omitempty"`
}

// ImageResult is what the service computed from an image.
type ImageResult struct {
	Format     string `json:"format"`
	Width      int    `json:"width"`
	Height     int    `json:"height"`
	PDQ        string `json:"pdq,omitempty"`
	PDQQuality *int   `json:"pdq_quality,omitempty"`
	PHash      string `json:"phash,omitempty"`
	DHash      string `json:"dhash,omitempty"`
	AHash      string `json:"ahash,omitempty"`
	MD5        string `json:"md5,omitempty"`
	SHA256     string `json:"sha256,omitempty"`
}

// CaptionResult is the classifier's verdict on a caption.
type CaptionResult struct {
	Dehumanizing float64               `json:"dehumanizing"`
	Offensive    float64               `json:"offensive"`
	Label        string                `json:"label"`
	Evidence     []medialabel.Evidence `json:"evidence"`
}

// MatchResponse is the answer of GET /v1/match.
type MatchResponse struct {
	Hash    string             `json:"hash"` // SIGNAL:HEX
	Matches []medialabel.Match `json:"matches"`
}

// ClassifyRequest is the body of POST /v1/classify: one of Text or Texts.
type ClassifyRequest struct {
	Text  *string  `json:"text,omitempty"`
	Texts []string `json:"texts,omitempty"`
}

// ClassifyResponse is the answer of POST /v1/classify, one result per
// text in order.
type ClassifyResponse struct {
	Results []medialabel.CaptionScore `json:"results"`
}

// BanksResponse is the answer of GET /v1/banks.
type BanksResponse struct {
	Banks []medialabel.Bank `json:"banks"`
}

// EntryView is a bank entry as the API shows it.
type EntryView struct {
	ID      string    `json:"id"`
	Bank    string    `json:"bank"`
	Label   string    `json:"label"`
	Note    string    `json:"note,omitempty"`
	Source  string    `json:"source,omitempty"`
	Created time.Time `json:"created"`
	Hashes  []string  `json:"hashes"` // SIGNAL:HEX
}

// EntriesResponse is the answer of GET /v1/banks/{bank}/entries. Next,
// when set, is the after= value for the following page.
type EntriesResponse struct {
	Bank    string      `json:"bank"`
	Entries []EntryView `json:"entries"`
	Next    string      `json:"next,omitempty"`
}

// HealthResponse is the answer of /healthz.
type HealthResponse struct {
	Status string `json:"status"`
}

// ReadyResponse is the answer of /readyz.
type ReadyResponse struct {
	Status string        `json:"status"` // "ready" or "not ready"
	Checks []CheckResult `json:"checks"`
}

// CheckResult is the outcome of one readiness check.
type CheckResult struct {
	Name  string `json:"name"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

func imageResult(fp medialabel.Fingerprint) *ImageResult {
	r := &ImageResult{Format: fp.Format, Width: fp.Width, Height: fp.Height}
	for _, h := range fp.Hashes {
		switch h.Signal {
		case medialabel.PDQ:
			r.PDQ = h.Hex()
			q := fp.PDQQuality
			r.PDQQuality = &q
		case medialabel.PHash:
			r.PHash = h.Hex()
		case medialabel.DHash:
			r.DHash = h.Hex()
		case medialabel.AHash:
			r.AHash = h.Hex()
		case medialabel.MD5:
			r.MD5 = h.Hex()
		case medialabel.SHA256:
			r.SHA256 = h.Hex()
		}
	}
	return r
}

func entryView(e medialabel.Entry) EntryView {
	v := EntryView{ID: e.ID, Bank: e.Bank, Label: e.Label, Note: e.Note, Source: e.Source,
		Created: e.Created.UTC(), Hashes: make([]string, 0, len(e.Hashes))}
	for _, h := range e.Hashes {
		v.Hashes = append(v.Hashes, h.String())
	}
	return v
}

func captionResult(cs medialabel.CaptionScore) *CaptionResult {
	ev := cs.Evidence
	if ev == nil {
		ev = []medialabel.Evidence{}
	}
	return &CaptionResult{Dehumanizing: cs.Dehumanizing, Offensive: cs.Offensive, Label: cs.Label, Evidence: ev}
}

// labelsFor derives the labels from the matches (one per entry, the
// closest) and the caption score.
func labelsFor(matches []medialabel.Match, cs *medialabel.CaptionScore) []Label {
	labels := []Label{}
	seen := map[string]bool{}
	for _, m := range matches {
		k := m.Bank + "\x00" + m.Entry
		if seen[k] {
			continue
		}
		seen[k] = true
		d := m.Distance
		labels = append(labels, Label{Name: LabelPropagandaMeme, Source: "image", Bank: m.Bank, Entry: m.Entry,
			Label: m.Label, Signal: m.Signal, Distance: &d, Transform: m.Transform, Region: m.Region})
	}
	if cs != nil {
		switch cs.Label {
		case medialabel.LabelDehumanizing:
			sc := cs.Dehumanizing
			labels = append(labels, Label{Name: LabelDehumanizingLanguage, Source: "caption", Score: &sc, Evidence: cs.Evidence})
		case medialabel.LabelOffensive:
			sc := cs.Offensive
			labels = append(labels, Label{Name: LabelOffensiveLanguage, Source: "caption", Score: &sc, Evidence: cs.Evidence})
		}
	}
	return labels
}
