package dataset

import (
	"slices"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	tests := []struct {
		name   string
		format Format
		in     string
		text   string
		labels []string
		want   []Row
		err    string
	}{
		{"cold csv with bom", CSV, "\ufeff,split,topic,label,TEXT\n7,train,race,1,\"a,b\"\n8,train,race,0,c\n", "TEXT", []string{"label"},
			[]Row{{Line: 2, Text: "a,b", Labels: []int{1}}, {Line: 3, Text: "c", Labels: []int{0}}}, ""},
		{"tsv", TSV, "text\ty\tz\nhello\t1\t\n", "text", []string{"y", "z"},
			[]Row{{Line: 2, Text: "hello", Labels: []int{1, Missing}}}, ""},
		{"jsonl", JSONL, "{\"text\":\"x\",\"dehumanizing\":1,\"offensive\":\"0\"}\n\n{\"text\":\"y\",\"dehumanizing\":false}\n", "text", []string{"dehumanizing", "offensive"},
			[]Row{{Line: 1, Text: "x", Labels: []int{1, 0}}, {Line: 3, Text: "y", Labels: []int{0, Missing}}}, ""},
		{"json array", JSON, "[{\"content\":\"x\",\"sen_hate\":\"1\"}]", "content", []string{"sen_hate"},
			[]Row{{Line: 1, Text: "x", Labels: []int{1}}}, ""},
		{"missing column", CSV, "a,b\n1,2\n", "text", nil, nil, "no text column"},
		{"bad label", CSV, "text,label\nx,2\n", "text", []string{"label"}, nil, "line 2"},
		{"bad json line", JSONL, "{\"text\":\"x\"}\n{oops\n", "text", nil, nil, "line 2"},
		{"json not array", JSON, "{}", "text", nil, nil, "array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Read(strings.NewReader(tt.in), tt.format, tt.text, tt.labels...)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d rows %+v, want %d", len(got), got, len(tt.want))
			}
			for i := range got {
				if got[i].Line != tt.want[i].Line || got[i].Text != tt.want[i].Text || !slices.Equal(got[i].Labels, tt.want[i].Labels) {
					t.Errorf("row %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestReadGrouped(t *testing.T) {
	for _, tt := range []struct {
		format Format
		in     string
	}{
		{CSV, "text,kind,label\nx,idiom,0\n"},
		{JSONL, "{\"text\":\"x\",\"kind\":\"idiom\",\"label\":0}\n"},
	} {
		rows, err := ReadGrouped(strings.NewReader(tt.in), tt.format, "text", "kind", "label")
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].Group != "idiom" {
			t.Errorf("%s: rows %+v, want group idiom", tt.format, rows)
		}
	}
	if _, err := ReadGrouped(strings.NewReader("text,label\nx,0\n"), CSV, "text", "kind", "label"); err == nil {
		t.Error("missing group column accepted")
	}
}

func TestFormatOf(t *testing.T) {
	for path, want := range map[string]Format{"a.csv": CSV, "b.TSV": TSV, "c.jsonl": JSONL, "d.json": JSON} {
		if got, err := FormatOf(path); err != nil || got != want {
			t.Errorf("FormatOf(%q) = %q, %v", path, got, err)
		}
	}
	if _, err := FormatOf("x.txt"); err == nil {
		t.Error("x.txt accepted")
	}
}

func FuzzRead(f *testing.F) {
	f.Add("text,label\nx,1\n", byte(0))
	f.Add("text\tlabel\n\"x\t1\n", byte(1))
	f.Add("{\"text\":\"x\",\"label\":true}\n", byte(2))
	f.Add("[{\"text\":\"x\",\"label\":0}]", byte(3))
	f.Fuzz(func(t *testing.T, in string, fb byte) {
		format := []Format{CSV, TSV, JSONL, JSON}[int(fb)%4]
		rows, err := Read(strings.NewReader(in), format, "text", "label")
		if err != nil {
			return
		}
		for _, r := range rows {
			if len(r.Labels) != 1 || r.Labels[0] < Missing || r.Labels[0] > 1 {
				t.Fatalf("bad labels %v", r.Labels)
			}
		}
	})
}
