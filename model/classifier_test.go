package model

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/medialabel/medialabel"
)

// shipped opens the embedded model once per test binary.
var shipped = sync.OnceValues(func() (*Classifier, error) {
	return OpenDefault(context.Background(), Options{PoolSize: 2})
})

func openShipped(t testing.TB) *Classifier {
	t.Helper()
	c, err := shipped()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClassifyEvidenceOnOriginal(t *testing.T) {
	c := openShipped(t)
	tests := []struct {
		text, span string
	}{
		{"啲甲由又出嚟搞事", "甲由"},
		{"一群蟑螂躲在口罩后面", "蟑螂"},
		{"一群蟑 螂躲在口罩后面", "蟑 螂"},
		{"佢哋全部都係曱甴", "曱甴"},
	}
	for _, tt := range tests {
		res, err := c.Classify(context.Background(), []string{tt.text})
		if err != nil {
			t.Fatal(err)
		}
		r := res[0]
		if r.Label != medialabel.LabelDehumanizing {
			t.Errorf("%q: label %q (dehumanizing %.3f), want dehumanizing", tt.text, r.Label, r.Dehumanizing)
		}
		found := false
		for _, e := range r.Evidence {
			if tt.text[e.Start:e.End] != e.Span {
				t.Errorf("%q: evidence %+v does not match the original bytes", tt.text, e)
			}
			if strings.Contains(e.Span, tt.span) {
				found = true
			}
		}
		if !found {
			t.Errorf("%q: evidence %+v has no span containing %q", tt.text, r.Evidence, tt.span)
		}
	}
}

func TestClassifyOddInput(t *testing.T) {
	c := openShipped(t)
	texts := []string{"", "   \t\n", "\xff\xfe\xfd", strings.Repeat("蟑螂", 50000), "a\x00b"}
	res, err := c.Classify(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Dehumanizing < 0 || r.Dehumanizing > 1 || r.Offensive < 0 || r.Offensive > 1 {
			t.Errorf("text %d: scores %v %v outside [0,1]", i, r.Dehumanizing, r.Offensive)
		}
		if r.Evidence == nil {
			t.Errorf("text %d: nil evidence, want an empty list", i)
		}
	}
	if res[0].Label != medialabel.LabelNone || len(res[0].Evidence) != 0 {
		t.Errorf("empty caption: %+v", res[0])
	}
}

func TestClassifyCanceled(t *testing.T) {
	c := openShipped(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// Drain the pool so that Classify has to wait.
	held := make([]*instance, 0, c.PoolSize())
	for range c.PoolSize() {
		held = append(held, <-c.pool)
	}
	_, err := c.Classify(ctx, []string{"x"})
	for _, ins := range held {
		c.pool <- ins
	}
	if err == nil {
		t.Fatal("Classify with a canceled context and no free instance succeeded")
	}
}

func TestPoolConcurrent(t *testing.T) {
	c := openShipped(t)
	texts := []string{"啲甲由又出嚟搞事", "今天天气很好", "这种人真是垃圾", "黃屍廢青"}
	want, err := c.Classify(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for g := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 10 {
				i := (g + k) % len(texts)
				got, err := c.Classify(context.Background(), texts[i:i+1])
				if err != nil {
					errs <- err
					return
				}
				if got[0].Dehumanizing != want[i].Dehumanizing || got[0].Offensive != want[i].Offensive {
					errs <- &mismatch{texts[i]}
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

type mismatch struct{ text string }

func (m *mismatch) Error() string { return "concurrent result differs for " + m.text }
