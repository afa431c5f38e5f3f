package classify

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"
)

// maxTableLine bounds one line of a table file.
const maxTableLine = 64 << 10

// Substitution is one row of substitutions.tsv: From is rewritten To.
type Substitution struct {
	From, To, Kind, Note string
}

// Substitutions is a loaded substitution table. Build one with
// ParseSubstitutions; NewNormalizer brings its keys to normalized form.
type Substitutions struct {
	rows []Substitution
	m    matcher
}

// Rows returns the table's rows in file order.
func (s *Substitutions) Rows() []Substitution { return append([]Substitution(nil), s.rows...) }

// LexiconTerm is one row of lexicon.tsv: a term, its metaphor class (for
// example vermin, disease, animal) and whom it is used against.
type LexiconTerm struct {
	Term, Metaphor, Targets, Note string
}

// Lexicon is a loaded lexicon of dehumanizing terms.
type Lexicon struct {
	Terms []LexiconTerm
}

// TargetTerm is one row of targets.tsv: a word that names people (Kind
// TargetPerson) or a pronoun for things said of people (TargetThing).
type TargetTerm struct {
	Term, Kind, Note string
}

// Targets is a loaded table of person and group words.
type Targets struct {
	Terms []TargetTerm
}

// ParseTargets reads a targets table: a header line
// "term<TAB>kind<TAB>note", then one term a line; kind is person or thing.
func ParseTargets(r io.Reader) (*Targets, error) {
	t := &Targets{}
	err := readTSV(r, []string{"term", "kind"}, 2, func(_ int, f []string) error {
		if f[0] == "" {
			return errors.New("empty term")
		}
		if f[1] != TargetPerson && f[1] != TargetThing {
			return fmt.Errorf("kind %q: want %s or %s", f[1], TargetPerson, TargetThing)
		}
		t.Terms = append(t.Terms, TargetTerm{Term: f[0], Kind: f[1], Note: field(f, 2)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("targets: %w", err)
	}
	return t, nil
}

// readTSV reads a tab-separated table: '#' comments and blank lines are
// skipped, the first other line is the header and must start with the
// given column names; each row must have at least minCols fields.
func readTSV(r io.Reader, header []string, minCols int, row func(line int, f []string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxTableLine)
	line, seenHeader := 0, false
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		if line == 1 {
			text = strings.TrimPrefix(text, "\ufeff")
		}
		if strings.TrimSpace(text) == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if !utf8.ValidString(text) {
			return fmt.Errorf("line %d: invalid UTF-8", line)
		}
		f := strings.Split(text, "\t")
		if !seenHeader {
			seenHeader = true
			for i, h := range header {
				if i >= len(f) || strings.TrimSpace(f[i]) != h {
					return fmt.Errorf("line %d: header %q, want columns %s", line, text, strings.Join(header, ", "))
				}
			}
			continue
		}
		if len(f) < minCols {
			return fmt.Errorf("line %d: %d fields, want at least %d", line, len(f), minCols)
		}
		for i := range f {
			f[i] = strings.TrimSpace(f[i])
		}
		if err := row(line, f); err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if !seenHeader {
		return errors.New("no header line")
	}
	return nil
}

func field(f []string, i int) string {
	if i < len(f) {
		return f[i]
	}
	return ""
}

// ParseSubstitutions reads a substitutions table: a header line
// "from<TAB>to<TAB>kind<TAB>note", then one rule a line; '#' starts a
// comment line. From must not be empty; To may be (the match is deleted).
func ParseSubstitutions(r io.Reader) (*Substitutions, error) {
	s := &Substitutions{}
	err := readTSV(r, []string{"from", "to"}, 2, func(_ int, f []string) error {
		if f[0] == "" {
			return errors.New("empty 'from'")
		}
		s.rows = append(s.rows, Substitution{From: f[0], To: f[1], Kind: field(f, 2), Note: field(f, 3)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("substitutions: %w", err)
	}
	return s, nil
}

// ParseLexicon reads a lexicon table: a header line
// "term<TAB>metaphor<TAB>targets<TAB>note", then one term a line.
func ParseLexicon(r io.Reader) (*Lexicon, error) {
	l := &Lexicon{}
	err := readTSV(r, []string{"term", "metaphor"}, 2, func(_ int, f []string) error {
		if f[0] == "" || f[1] == "" {
			return errors.New("empty term or metaphor")
		}
		l.Terms = append(l.Terms, LexiconTerm{Term: f[0], Metaphor: f[1], Targets: field(f, 2), Note: field(f, 3)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("lexicon: %w", err)
	}
	return l, nil
}

// maxChain bounds how many rules are followed from one match (甲由 → 曱甴
// → 蟑螂 is a chain of two). A chain that comes back to a key already
// seen is a cycle, and the rule's own replacement is used.
const maxChain = 8

// normalizedBy returns a copy of s whose keys and replacements went
// through nz's built-in steps, with chains of rules resolved: when a
// rule's replacement is itself a key, the final replacement is used. Of
// two rules with the same normalized key the first wins.
func (s *Substitutions) normalizedBy(nz *Normalizer) *Substitutions {
	to := map[string]string{}
	var keys []string
	for _, row := range s.rows {
		k := nz.base(row.From)
		if k == "" {
			continue
		}
		if _, dup := to[k]; dup {
			continue
		}
		to[k] = nz.base(row.To)
		keys = append(keys, k)
	}
	out := &Substitutions{rows: s.rows}
	for _, k := range keys {
		v := to[k]
		seen := map[string]bool{k: true}
		for range maxChain {
			next, ok := to[v]
			if !ok || seen[v] {
				break
			}
			seen[v] = true
			v = next
		}
		if seen[v] && v != to[k] {
			v = to[k] // a cycle: keep the rule's own replacement
		}
		out.m.add([]rune(k), []rune(v))
	}
	out.m.sort()
	return out
}

// base applies the built-in normalization steps (not the substitutions).
func (nz *Normalizer) base(s string) string {
	items, _ := nz.decode(s)
	items = rejoin(nz.fold(items))
	rs := make([]rune, len(items))
	for i, it := range items {
		rs[i] = it.r
	}
	return string(rs)
}

// apply rewrites items by the table, longest match first, left to right.
// The runes of a replacement carry the span of the whole match.
func (s *Substitutions) apply(in []item) []item {
	var out []item
	for i := 0; i < len(in); {
		e, n := s.m.longest(in, i)
		if n == 0 {
			out = append(out, in[i])
			i++
			continue
		}
		sp := in[i].span
		for _, it := range in[i+1 : i+n] {
			sp.Start = min(sp.Start, it.span.Start)
			sp.End = max(sp.End, it.span.End)
		}
		for _, r := range e.to {
			out = append(out, item{r: r, span: sp})
		}
		i += n
	}
	return out
}

// matcher finds the longest key starting at a position.
type matcher struct {
	byFirst map[rune][]matchEntry // sorted by key length, longest first
}

type matchEntry struct {
	key, to []rune
	id      int
	word    bool // key is ASCII letters and digits: match whole words only
}

func (m *matcher) add(key, to []rune) int {
	if m.byFirst == nil {
		m.byFirst = map[rune][]matchEntry{}
	}
	word := true
	for _, r := range key {
		if !isASCIIAlnum(r) {
			word = false
		}
	}
	id := 0
	for _, es := range m.byFirst {
		id += len(es)
	}
	m.byFirst[key[0]] = append(m.byFirst[key[0]], matchEntry{key: key, to: to, id: id, word: word})
	return id
}

func (m *matcher) sort() {
	for _, es := range m.byFirst {
		sort.SliceStable(es, func(a, b int) bool { return len(es[a].key) > len(es[b].key) })
	}
}

func isASCIIAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

// longest returns the longest entry matching in at position i and its
// length in runes, or 0.
func (m *matcher) longest(in []item, i int) (matchEntry, int) {
	es := m.byFirst[in[i].r]
	if es == nil {
		return matchEntry{}, 0
	}
	if i > 0 && isASCIIAlnum(in[i-1].r) && isASCIIAlnum(in[i].r) {
		// Inside a Latin word: word keys cannot start here; other keys
		// starting with a letter are not expected, so skip.
		return matchEntry{}, 0
	}
next:
	for _, e := range es {
		if i+len(e.key) > len(in) {
			continue
		}
		for k, r := range e.key {
			if in[i+k].r != r {
				continue next
			}
		}
		if e.word && i+len(e.key) < len(in) && isASCIIAlnum(in[i+len(e.key)].r) {
			continue
		}
		return e, len(e.key)
	}
	return matchEntry{}, 0
}
