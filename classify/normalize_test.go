package classify

import (
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// testPipeline is built once per test binary: building the Traditional to
// Simplified table takes some tens of milliseconds.
var testPipeline = sync.OnceValues(func() (*Pipeline, error) {
	return NewPipeline(DefaultFeatureConfig(), true)
})

func pipeline(t testing.TB) *Pipeline {
	t.Helper()
	p, err := testPipeline()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNormalizeEmbeddedTables(t *testing.T) {
	nz := pipeline(t).Normalizer
	tests := []struct {
		name, in, want string
	}{
		{"look-alike chain 甲由→曱甴→蟑螂", "啲甲由又出嚟搞事", "啲蟑螂又出嚟搞事"},
		{"cantonese word", "曱甴", "蟑螂"},
		{"reversed 由甲 is ordinary text", "由甲方负责，由甲地运往乙地", "由甲方负责,由甲地运往乙地"},
		{"traditional", "黃屍廢青", "黄尸废青"},
		{"traditional homophone", "黃屎", "黄尸"},
		{"pinyin", "一群zhanglang", "一群蟑螂"},
		{"pinyin upper case full width", "ＺＨＡＮＧＬＡＮＧ", "蟑螂"},
		{"pinyin spaced letters", "z h a n g l a n g", "蟑螂"},
		{"pinyin inside a longer word is left alone", "zhanglangs", "zhanglangs"},
		{"spaced han", "蟑 螂", "蟑螂"},
		{"han with decorative separator", "蟑*螂", "蟑螂"},
		{"han with dot", "蟑.螂", "蟑螂"},
		{"zero width", "蟑\u200b螂", "蟑螂"},
		{"emoji", "一群🪳", "一群蟑螂"},
		{"emoji with zwj", "🐕\u200d🦺", "狗"},
		{"emoji with variation selector", "🗑\ufe0f", "垃圾"},
		{"skin tone removed", "👍🏽", "👍"},
		{"full width punctuation", "你好，世界！", "你好,世界!"},
		{"ideographic space", "支\u3000娜", "支那"},
		{"white space collapsed and trimmed", "  a \t\n b  ", "a b"},
		{"plain text unchanged", "今天天气很好", "今天天气很好"},
		{"links and mentions removed", "@user_1 黃屍 https://t.co/r1kqmwa1D5 www.x.com/a 走", "黄尸走"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := nz.Normalize(tt.in)
			if got.String() != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got.String(), tt.want)
			}
			checkSpans(t, got)
		})
	}
}

// checkSpans asserts the offset map's invariants.
func checkSpans(t *testing.T, tx Text) {
	t.Helper()
	if len(tx.Spans) != len(tx.Runes) {
		t.Fatalf("%d spans for %d runes", len(tx.Spans), len(tx.Runes))
	}
	prev := 0
	for i, sp := range tx.Spans {
		if sp.Start < 0 || sp.End > len(tx.Original) || sp.Start >= sp.End {
			t.Fatalf("rune %d: span %v out of [0,%d]", i, sp, len(tx.Original))
		}
		if sp.Start < prev && sp != tx.Spans[i-1] {
			t.Fatalf("rune %d: span %v goes back before %d", i, sp, prev)
		}
		prev = sp.Start
	}
}

func TestNormalizeOffsets(t *testing.T) {
	nz := pipeline(t).Normalizer
	tests := []struct {
		in       string
		i, j     int // normalized runes
		wantOrig string
	}{
		{"啲甲由又出嚟搞事", 1, 3, "甲由"},
		{"我哋見到啲曱甴", 5, 7, "曱甴"},
		{"黃屍廢青", 0, 2, "黃屍"},
		{"黃屍廢青", 2, 4, "廢青"},
		{"一班Ｚｈａｎｇｌａｎｇ", 2, 4, "Ｚｈａｎｇｌａｎｇ"},
		{"蟑 螂", 0, 2, "蟑 螂"},
		{"\xff蟑螂", 1, 3, "蟑螂"},
	}
	for _, tt := range tests {
		tx := nz.Normalize(tt.in)
		sp := tx.OriginalSpan(tt.i, tt.j)
		if got := tt.in[sp.Start:sp.End]; got != tt.wantOrig {
			t.Errorf("%q: runes [%d,%d) of %q map to %q, want %q", tt.in, tt.i, tt.j, tx.String(), got, tt.wantOrig)
		}
	}
}

func TestNormalizeLimits(t *testing.T) {
	subs, err := DefaultSubstitutions()
	if err != nil {
		t.Fatal(err)
	}
	nz, err := NewNormalizer(subs, WithMaxRunes(10))
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("蟑螂", 100)
	tx := nz.Normalize(long)
	if !tx.Truncated || len(tx.Runes) != 10 {
		t.Errorf("long caption: truncated %v, %d runes; want true, 10", tx.Truncated, len(tx.Runes))
	}
	bad := "a\xffb\xc0"
	tx = nz.Normalize(bad)
	if tx.String() != "a\ufffdb\ufffd" {
		t.Errorf("invalid UTF-8: got %q", tx.String())
	}
	checkSpans(t, tx)
}

func TestParseSubstitutions(t *testing.T) {
	tests := []struct {
		name, in string
		rows     int
		wantErr  string
	}{
		{"ok", "# c\nfrom\tto\tkind\tnote\n甲由\t曱甴\tvariant\tx\n\n# c2\nab\tcd\n", 2, ""},
		{"bom and crlf", "\ufefffrom\tto\tkind\tnote\r\nx\ty\tk\tn\r\n", 1, ""},
		{"no header", "# only comments\n", 0, "no header"},
		{"wrong header", "term\tmetaphor\n", 0, "header"},
		{"short row", "from\tto\nabc\n", 0, "line 2"},
		{"empty from", "from\tto\n\tx\n", 0, "empty 'from'"},
		{"bad utf8", "from\tto\n\xff\tx\n", 0, "invalid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseSubstitutions(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Rows()) != tt.rows {
				t.Errorf("%d rows, want %d", len(s.Rows()), tt.rows)
			}
		})
	}
}

func TestSubstitutionsLongestMatchAndChains(t *testing.T) {
	table := "from\tto\tkind\tnote\n" +
		"ab\tX\tt\t\n" +
		"abc\tY\tt\t\n" +
		"甲由\t曱甴\tt\t\n" +
		"曱甴\t蟑螂\tt\t\n" +
		"loop\tpool\tt\t\n" +
		"pool\tloop\tt\t\n" +
		"ＦＵＬＬ\tfull-width key\tt\t\n"
	subs, err := ParseSubstitutions(strings.NewReader(table))
	if err != nil {
		t.Fatal(err)
	}
	nz, err := NewNormalizer(subs)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ in, want string }{
		{"abc d", "y d"}, // longest first; the replacement is lower-cased like the text
		{"ab d", "x d"},
		{"abcd", "abcd"}, // Latin keys match whole words only
		{"甲由", "蟑螂"},
		{"loop", "pool"}, // a cycle keeps the rule's own replacement
		{"full", "full-width key"},
		{"fullness", "fullness"},
	}
	for _, tt := range tests {
		if got := nz.Normalize(tt.in).String(); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseLexicon(t *testing.T) {
	lex, err := ParseLexicon(strings.NewReader("# x\nterm\tmetaphor\ttargets\tnote\n蟑螂\tvermin\tprotesters\tcockroach\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(lex.Terms) != 1 || lex.Terms[0] != (LexiconTerm{"蟑螂", "vermin", "protesters", "cockroach"}) {
		t.Errorf("got %+v", lex.Terms)
	}
	if _, err := ParseLexicon(strings.NewReader("term\tmetaphor\n蟑螂\t\n")); err == nil {
		t.Error("empty metaphor accepted")
	}
	def, err := DefaultLexicon()
	if err != nil {
		t.Fatal(err)
	}
	if len(def.Terms) < 10 {
		t.Errorf("embedded lexicon has %d terms", len(def.Terms))
	}
}

func FuzzParseSubstitutions(f *testing.F) {
	f.Add("from\tto\tkind\tnote\n甲由\t曱甴\tvariant\tx\n")
	f.Add("\ufefffrom\tto\r\n\t\n")
	f.Add("# c\nfrom\tto\nz h\t\n")
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseSubstitutions(strings.NewReader(in))
		if err != nil {
			return
		}
		nz, err := testNormalizerWith(s)
		if err != nil {
			t.Fatal(err)
		}
		checkSpans(t, nz.Normalize(in))
	})
}

func FuzzParseLexicon(f *testing.F) {
	f.Add("term\tmetaphor\ttargets\tnote\n蟑螂\tvermin\tx\ty\n")
	f.Add("term\tmetaphor\n\t\n")
	f.Fuzz(func(t *testing.T, in string) {
		lex, err := ParseLexicon(strings.NewReader(in))
		if err != nil {
			return
		}
		fz, err := NewFeaturizer(FeatureConfig{Dim: 1 << 10, MinN: 1, MaxN: 2}, lex, pipeline(t).Normalizer)
		if err != nil {
			t.Fatal(err)
		}
		fz.Occurrences(pipeline(t).Normalizer.Normalize(in))
	})
}

func FuzzParseTargets(f *testing.F) {
	f.Add("term\tkind\tnote\n他们\tperson\tx\n它们\tthing\ty\n")
	f.Add("term\tkind\n\t\n")
	f.Add("term\tkind\n人\tanimal\n")
	f.Fuzz(func(t *testing.T, in string) {
		targets, err := ParseTargets(strings.NewReader(in))
		if err != nil {
			return
		}
		lex, err := DefaultLexicon()
		if err != nil {
			t.Fatal(err)
		}
		nz := pipeline(t).Normalizer
		fz, err := NewFeaturizer(FeatureConfig{Dim: 1 << 10, MinN: 1, MaxN: 2, Signed: true}, lex, nz, WithTargets(targets))
		if err != nil {
			t.Fatal(err)
		}
		tx := nz.Normalize(in)
		for _, o := range fz.Occurrences(tx) {
			if o.Start < 0 || o.End > len(tx.Runes) || o.Start >= o.End || o.Index < 0 || o.Index >= 1<<10 {
				t.Fatalf("occurrence %+v out of range for %d runes", o, len(tx.Runes))
			}
		}
	})
}

func testNormalizerWith(s *Substitutions) (*Normalizer, error) {
	return NewNormalizer(s, WithMaxRunes(200))
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"啲甲由又出嚟搞事", "z h a n g", "\xff\xfe", "🐕\u200d🦺", "蟑 . 螂", "ＡＢＣ", " "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p := pipeline(t)
		tx, occ, v := p.Features(in)
		checkSpans(t, tx)
		if !utf8.ValidString(tx.String()) {
			t.Fatalf("normalized text is not valid UTF-8: %q", tx.String())
		}
		for _, o := range occ {
			if o.Start < 0 || o.End > len(tx.Runes) || o.Start >= o.End {
				t.Fatalf("occurrence %+v outside %d runes", o, len(tx.Runes))
			}
		}
		for k, i := range v.Index {
			if i < 0 || int(i) >= DefaultFeatureConfig().Dim || (k > 0 && v.Index[k-1] >= i) {
				t.Fatalf("bad vector index %d at %d", i, k)
			}
		}
	})
}
