package medialabel

// Caption labels, by the documented thresholds of the classifier.
const (
	LabelDehumanizing = "dehumanizing"
	LabelOffensive    = "offensive"
	LabelNone         = "none"
)

// A CaptionScore is the classifier's verdict on one caption.
type CaptionScore struct {
	Text         string     `json:"text"`
	Dehumanizing float64    `json:"dehumanizing"`
	Offensive    float64    `json:"offensive"`
	Label        string     `json:"label"`
	Evidence     []Evidence `json:"evidence"`
}

// Evidence is a span of the original caption that raised the dehumanizing
// score, with its contribution.
type Evidence struct {
	Span   string  `json:"span"`
	Start  int     `json:"start"` // byte offset in the original text
	End    int     `json:"end"`   // byte offset just past the span
	Weight float64 `json:"weight"`
}
