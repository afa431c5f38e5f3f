// Package dataset reads labelled captions from CSV, TSV, JSON Lines and
// JSON array files, for training and evaluating the caption classifier.
package dataset

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
)

// Format is a file format.
type Format string

// The formats Read understands.
const (
	CSV   Format = "csv"
	TSV   Format = "tsv"
	JSONL Format = "jsonl"
	JSON  Format = "json" // one array of objects
)

// FormatOf guesses the format from a file name's extension.
func FormatOf(path string) (Format, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return CSV, nil
	case ".tsv", ".tab":
		return TSV, nil
	case ".jsonl", ".ndjson":
		return JSONL, nil
	case ".json":
		return JSON, nil
	}
	return "", fmt.Errorf("%s: unknown extension, want .csv, .tsv, .jsonl or .json", path)
}

// Missing marks a label a row does not have.
const Missing = -1

// Row is one labelled caption: Labels[i] is the value (0 or 1, or
// Missing) of the i-th label column asked for.
type Row struct {
	Line   int // line (CSV, TSV, JSONL) or element (JSON) number, from 1
	Text   string
	Labels []int
	Group  string // the value of the group column, if one was asked for
}

// Limits on input, so that a hostile file cannot exhaust memory.
const (
	MaxFieldBytes = 1 << 20
	MaxRows       = 5_000_000
)

// Read reads rows from r. textCol names the text column (or JSON key);
// labelCols name the label columns. A label is 0 or 1, given as a number,
// a string "0"/"1" or a boolean; a column absent from a row, or empty,
// gives Missing. Any other value is an error with its line number. CSV and
// TSV files must have a header line; a UTF-8 BOM is ignored.
func Read(r io.Reader, format Format, textCol string, labelCols ...string) ([]Row, error) {
	return ReadGrouped(r, format, textCol, "", labelCols...)
}

// ReadGrouped is Read that also keeps, in Row.Group, the value of groupCol
// (as text; empty when absent). An empty groupCol reads no group.
func ReadGrouped(r io.Reader, format Format, textCol, groupCol string, labelCols ...string) ([]Row, error) {
	br := bufio.NewReader(r)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\ufeff")) {
		br.Discard(3)
	}
	switch format {
	case CSV, TSV:
		return readDelimited(br, format, textCol, groupCol, labelCols)
	case JSONL:
		return readJSONL(br, textCol, groupCol, labelCols)
	case JSON:
		return readJSON(br, textCol, groupCol, labelCols)
	}
	return nil, fmt.Errorf("unknown format %q", format)
}

func readDelimited(r io.Reader, format Format, textCol, groupCol string, labelCols []string) ([]Row, error) {
	cr := csv.NewReader(r)
	if format == TSV {
		cr.Comma = '\t'
		cr.LazyQuotes = true
	}
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(h)] = i
	}
	ti, ok := col[textCol]
	if !ok {
		return nil, fmt.Errorf("header has no text column %q (columns: %s)", textCol, strings.Join(header, ", "))
	}
	gi, hasGroup := col[groupCol]
	if groupCol != "" && !hasGroup {
		return nil, fmt.Errorf("header has no group column %q (columns: %s)", groupCol, strings.Join(header, ", "))
	}
	li := make([]int, len(labelCols))
	for k, c := range labelCols {
		if li[k], ok = col[c]; !ok {
			return nil, fmt.Errorf("header has no label column %q (columns: %s)", c, strings.Join(header, ", "))
		}
	}
	var rows []Row
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return nil, err
		}
		if len(rows) == MaxRows {
			return nil, fmt.Errorf("more than %d rows", MaxRows)
		}
		if ti >= len(rec) {
			return nil, fmt.Errorf("line %d: no text column", line)
		}
		row := Row{Line: line, Text: rec[ti], Labels: make([]int, len(li))}
		if hasGroup && gi < len(rec) {
			row.Group = rec[gi]
		}
		for k, i := range li {
			v := ""
			if i < len(rec) {
				v = rec[i]
			}
			if row.Labels[k], err = parseLabel(v); err != nil {
				return nil, fmt.Errorf("line %d: column %s: %w", line, labelCols[k], err)
			}
		}
		if len(row.Text) > MaxFieldBytes {
			return nil, fmt.Errorf("line %d: text longer than %d bytes", line, MaxFieldBytes)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func parseLabel(s string) (int, error) {
	switch strings.TrimSpace(s) {
	case "":
		return Missing, nil
	case "0", "0.0", "false", "False":
		return 0, nil
	case "1", "1.0", "true", "True":
		return 1, nil
	}
	return 0, fmt.Errorf("label %q is not 0 or 1", s)
}

func labelOf(v any) (int, error) {
	switch x := v.(type) {
	case nil:
		return Missing, nil
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case float64:
		return parseLabel(strconv.FormatFloat(x, 'f', -1, 64))
	case string:
		return parseLabel(x)
	}
	return 0, fmt.Errorf("label %v is not 0 or 1", v)
}

func rowOf(obj map[string]any, line int, textCol, groupCol string, labelCols []string) (Row, error) {
	t, ok := obj[textCol].(string)
	if !ok {
		return Row{}, fmt.Errorf("line %d: no string field %q", line, textCol)
	}
	if len(t) > MaxFieldBytes {
		return Row{}, fmt.Errorf("line %d: text longer than %d bytes", line, MaxFieldBytes)
	}
	row := Row{Line: line, Text: t, Labels: make([]int, len(labelCols))}
	if v, ok := obj[groupCol]; ok && groupCol != "" && v != nil {
		row.Group = fmt.Sprint(v)
	}
	for k, c := range labelCols {
		var err error
		if row.Labels[k], err = labelOf(obj[c]); err != nil {
			return Row{}, fmt.Errorf("line %d: field %s: %w", line, c, err)
		}
	}
	return row, nil
}

func readJSONL(r *bufio.Reader, textCol, groupCol string, labelCols []string) ([]Row, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 2*MaxFieldBytes)
	var rows []Row
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		if len(rows) == MaxRows {
			return nil, fmt.Errorf("more than %d rows", MaxRows)
		}
		var obj map[string]any
		if err := json.Unmarshal(b, &obj); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		row, err := rowOf(obj, line, textCol, groupCol, labelCols)
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	return rows, nil
}

func readJSON(r io.Reader, textCol, groupCol string, labelCols []string) ([]Row, error) {
	dec := json.NewDecoder(r)
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, errors.New("want a JSON array of objects")
	}
	var rows []Row
	for n := 1; dec.More(); n++ {
		if len(rows) == MaxRows {
			return nil, fmt.Errorf("more than %d rows", MaxRows)
		}
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			return nil, fmt.Errorf("element %d: %w", n, err)
		}
		row, err := rowOf(obj, n, textCol, groupCol, labelCols)
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("end of array: %w", err)
	}
	return rows, nil
}
