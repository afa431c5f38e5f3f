package classify

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/longbridgeapp/opencc"
	"golang.org/x/text/unicode/norm"
)

// DefaultMaxRunes is how many runes of a caption Normalize reads by
// default; the rest is ignored and Text.Truncated is set.
const DefaultMaxRunes = 2000

// Span is a byte range [Start, End) of the original text.
type Span struct {
	Start, End int
}

// Text is a normalized caption with its offset map: Spans[i] is the byte
// span of Original that Runes[i] came from. Runes produced by one
// substitution all carry the span of the whole match.
type Text struct {
	Original  string
	Runes     []rune
	Spans     []Span
	Truncated bool // the original was longer than the normalizer's limit
}

// String returns the normalized text.
func (t Text) String() string { return string(t.Runes) }

// OriginalSpan returns the byte span of the original text covered by the
// normalized runes [i, j).
func (t Text) OriginalSpan(i, j int) Span {
	if i < 0 {
		i = 0
	}
	if j > len(t.Spans) {
		j = len(t.Spans)
	}
	if i >= j {
		return Span{}
	}
	s := Span{Start: t.Spans[i].Start, End: t.Spans[i].End}
	for _, sp := range t.Spans[i+1 : j] {
		s.Start = min(s.Start, sp.Start)
		s.End = max(s.End, sp.End)
	}
	return s
}

// A Normalizer maps captions to a canonical form. Build it once with
// NewNormalizer; it is safe for concurrent use.
type Normalizer struct {
	t2s      map[rune]rune
	subs     *Substitutions
	maxRunes int
}

// NormalizerOption configures a Normalizer.
type NormalizerOption func(*Normalizer)

// WithMaxRunes sets how many runes of a caption are read (default
// DefaultMaxRunes).
func WithMaxRunes(n int) NormalizerOption {
	return func(nz *Normalizer) {
		if n > 0 {
			nz.maxRunes = n
		}
	}
}

// NewNormalizer builds a normalizer that applies subs (nil for none) after
// the built-in steps. It converts every CJK character once through OpenCC's
// hk2s tables (Hong Kong Traditional to Simplified, which also covers
// standard Traditional), which takes some tens of milliseconds.
func NewNormalizer(subs *Substitutions, opts ...NormalizerOption) (*Normalizer, error) {
	t2s, err := buildT2S()
	if err != nil {
		return nil, err
	}
	nz := &Normalizer{t2s: t2s, maxRunes: DefaultMaxRunes}
	for _, o := range opts {
		o(nz)
	}
	if subs != nil {
		// The table's keys are written in any script; bring them to the
		// form they will be matched against.
		nz.subs = subs.normalizedBy(nz)
	}
	return nz, nil
}

// cjkRanges are the blocks converted character by character.
var cjkRanges = [][2]rune{{0x3400, 0x4DBF}, {0x4E00, 0x9FFF}, {0xF900, 0xFAFF}}

// buildT2S converts every character of cjkRanges through OpenCC at once,
// one character a line so that no phrase rule spans two characters, and
// keeps the one-to-one mappings that change something.
func buildT2S() (map[rune]rune, error) {
	cc, err := opencc.New("hk2s")
	if err != nil {
		return nil, fmt.Errorf("opencc hk2s: %w", err)
	}
	var sb strings.Builder
	var in []rune
	for _, r := range cjkRanges {
		for c := r[0]; c <= r[1]; c++ {
			sb.WriteRune(c)
			sb.WriteByte('\n')
			in = append(in, c)
		}
	}
	out, err := cc.Convert(sb.String())
	if err != nil {
		return nil, fmt.Errorf("opencc hk2s: %w", err)
	}
	parts := strings.Split(out, "\n")
	if len(parts) < len(in) {
		return nil, fmt.Errorf("opencc hk2s: %d characters out for %d in", len(parts), len(in))
	}
	m := make(map[rune]rune, 4096)
	for i, c := range in {
		r, size := utf8.DecodeRuneInString(parts[i])
		if size == len(parts[i]) && r != c && r != utf8.RuneError {
			m[c] = r
		}
	}
	return m, nil
}

// item is one rune of the text being normalized, with its original span.
type item struct {
	r    rune
	span Span
}

// Normalize returns the canonical form of s with its offset map. Invalid
// UTF-8 bytes become U+FFFD, each with the span of the bad byte; only the
// first maxRunes runes are read.
func (nz *Normalizer) Normalize(s string) Text {
	items, truncated := nz.decode(s)
	items = nz.fold(items)
	items = rejoin(items)
	if nz.subs != nil {
		items = nz.subs.apply(items)
	}
	t := Text{Original: s, Truncated: truncated, Runes: make([]rune, len(items)), Spans: make([]Span, len(items))}
	for i, it := range items {
		t.Runes[i] = it.r
		t.Spans[i] = it.span
	}
	return t
}

// dropPattern matches what is removed before anything else: links and
// @mentions carry no meaning for the classifier and only add noise.
var dropPattern = regexp.MustCompile(`(?i)(?:https?://|www\.)[^\s]+|@[a-z0-9_]{1,30}`)

// decode splits s into runes with their byte spans, leaving out links and
// @mentions.
func (nz *Normalizer) decode(s string) ([]item, bool) {
	items := make([]item, 0, min(len(s), nz.maxRunes))
	// Only the part that can be read is searched for links.
	limit := min(len(s), utf8.UTFMax*nz.maxRunes)
	var skip [][]int
	if strings.ContainsAny(s[:limit], "@.:") {
		// Every link has a dot or a colon, every mention an @.
		skip = dropPattern.FindAllStringIndex(s[:limit], -1)
	}
	for i := 0; i < len(s); {
		if len(items) == nz.maxRunes {
			return items, true
		}
		if len(skip) > 0 && i >= skip[0][0] {
			i = max(i, skip[0][1])
			skip = skip[1:]
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		items = append(items, item{r: r, span: Span{i, i + size}})
		i += size
	}
	return items, false
}

// fold drops invisible and decorative runes and maps the others through
// NFKC (full width to half width and other compatibility forms), lower
// case and Traditional to Simplified. Runs of white space become one
// space, with none at either end.
func (nz *Normalizer) fold(in []item) []item {
	out := make([]item, 0, len(in))
	emit := func(r rune, sp Span) {
		if unicode.IsSpace(r) {
			if len(out) == 0 || out[len(out)-1].r == ' ' {
				return
			}
			r = ' '
		}
		if r >= 0x4E00 && r <= 0x9FFF {
			// Common Han characters: nothing to drop or fold but the script.
			if t, ok := nz.t2s[r]; ok {
				r = t
			}
			out = append(out, item{r: r, span: sp})
			return
		}
		if dropped(r) {
			return
		}
		r = unicode.ToLower(r)
		if t, ok := nz.t2s[r]; ok {
			r = t
		}
		out = append(out, item{r: r, span: sp})
	}
	for _, it := range in {
		r := it.r
		if r < utf8.RuneSelf || (r >= 0x4E00 && r <= 0x9FFF) {
			emit(r, it.span)
			continue
		}
		if dropped(r) {
			continue
		}
		var buf [utf8.UTFMax]byte
		n := utf8.EncodeRune(buf[:], r)
		folded := norm.NFKC.Bytes(buf[:n])
		for len(folded) > 0 {
			fr, size := utf8.DecodeRune(folded)
			folded = folded[size:]
			emit(fr, it.span)
		}
	}
	if len(out) > 0 && out[len(out)-1].r == ' ' {
		out = out[:len(out)-1]
	}
	return out
}

// decorative runes are removed wherever they stand: they are used to
// break up words without changing how they read.
const decorative = "★☆♡♥❤✿❀❁✧✦✩✪※•‧∙⋅·°〰～~*^`_|" + "\u30fb"

// dropped reports whether r is invisible or decorative: format characters
// (zero-width spaces and joiners, bidi marks, the BOM, soft hyphens),
// combining and enclosing marks, variation selectors, emoji skin-tone
// modifiers, other control characters, and the decorative runes.
func dropped(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return false
	case r < utf8.RuneSelf:
		switch r {
		case '*', '^', '`', '_', '|', '~':
			return true
		}
		return r < 0x20 || r == 0x7f
	case r >= 0x1F3FB && r <= 0x1F3FF:
		return true
	case unicode.In(r, unicode.Cf, unicode.Mn, unicode.Me, unicode.Cc, unicode.Co):
		return true
	}
	return strings.ContainsRune(decorative, r)
}

// isCJK reports whether r is a Han character.
func isCJK(r rune) bool {
	if r >= 0x4E00 && r <= 0x9FFF {
		return true
	}
	return r >= 0x2E80 && unicode.Is(unicode.Han, r)
}

// separators may stand between the characters of a word spaced apart.
const separators = " .-/\\+="

// rejoin removes separators between characters that were spaced apart to
// defeat keyword filters: any short run (up to 3) of separators between two
// Han characters, as in "蟑 螂" or "蟑.螂", and the single spaces or dots
// of three or more single Latin letters in a row, as in "z h a n g".
func rejoin(in []item) []item {
	isSep := func(r rune) bool { return strings.ContainsRune(separators, r) }
	keep := make([]bool, len(in))
	for i := range keep {
		keep[i] = true
	}
	for i := 0; i < len(in); i++ {
		if !isCJK(in[i].r) {
			continue
		}
		j := i + 1
		for j < len(in) && j-i-1 < 3 && isSep(in[j].r) {
			j++
		}
		if j > i+1 && j < len(in) && isCJK(in[j].r) {
			for k := i + 1; k < j; k++ {
				keep[k] = false
			}
		}
	}
	// Latin letters: find maximal runs letter sep letter sep letter ...
	isLetter := func(i int) bool {
		return i >= 0 && i < len(in) && in[i].r < utf8.RuneSelf && unicode.IsLetter(in[i].r)
	}
	for i := 0; i < len(in); {
		if !isLetter(i) || isLetter(i-1) {
			i++
			continue
		}
		// in[i] is a letter that starts a word; count single letters.
		j, n := i, 1
		for isSep(runeAt(in, j+1)) && isLetter(j+2) && !isLetter(j+3) {
			j += 2
			n++
		}
		if n >= 3 && !isLetter(i+1) {
			for k := i + 1; k < j; k += 2 {
				keep[k] = false
			}
		}
		i = j + 1
	}
	out := in[:0]
	for i, it := range in {
		if keep[i] {
			out = append(out, it)
		}
	}
	return out
}

func runeAt(in []item, i int) rune {
	if i < 0 || i >= len(in) {
		return 0
	}
	return in[i].r
}
