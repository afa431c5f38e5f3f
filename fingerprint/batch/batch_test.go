package batch_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/medialabel/medialabel/fingerprint/batch"
)

// numbered yields n paths "0".."n-1", counting how many it has yielded.
func numbered(n int, yielded *atomic.Int64) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for i := range n {
			yielded.Add(1)
			if !yield(fmt.Sprint(i), nil) {
				return
			}
		}
	}
}

// TestMapOrderedAndBounded pushes many files with very uneven work through
// Map and checks that results come out in input order while the files in
// flight (listed but not emitted) and the results waiting to be put in
// order never exceed the window.
func TestMapOrderedAndBounded(t *testing.T) {
	const (
		n       = 3000
		workers = 4
		window  = 10
	)
	var yielded, emitted, running, maxRunning, maxInFlight atomic.Int64
	rng := rand.New(rand.NewPCG(1, 2))
	delays := make([]time.Duration, n)
	for i := range delays {
		delays[i] = time.Duration(rng.IntN(50)) * time.Microsecond
		if i%97 == 0 {
			delays[i] = 3 * time.Millisecond // a slow file holds up the ones after it
		}
	}
	var got []string
	st, err := batch.Map(context.Background(), numbered(n, &yielded), batch.Options{Workers: workers, Window: window},
		func(ctx context.Context, worker int, path string) (int, error) {
			if worker < 0 || worker >= workers {
				t.Errorf("worker %d", worker)
			}
			r := running.Add(1)
			defer running.Add(-1)
			setMax(&maxRunning, r)
			var i int
			fmt.Sscan(path, &i)
			time.Sleep(delays[i])
			return i * 2, nil
		},
		func(path string, r int, err error) error {
			// Files listed but not yet emitted, this one included.
			setMax(&maxInFlight, yielded.Load()-emitted.Load())
			emitted.Add(1)
			if err != nil {
				t.Errorf("%s: %v", path, err)
			}
			if want := fmt.Sprint(r / 2); path != want {
				t.Errorf("result %d for path %s", r, path)
			}
			got = append(got, path)
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if st.Files != n || len(got) != n {
		t.Fatalf("emitted %d (stats %d), want %d", len(got), st.Files, n)
	}
	for i, p := range got {
		if p != fmt.Sprint(i) {
			t.Fatalf("result %d is %s: out of order", i, p)
		}
	}
	t.Logf("max pending %d, max in flight %d, max running %d", st.MaxPending, maxInFlight.Load(), maxRunning.Load())
	if st.MaxPending > window || st.MaxPending < 2 {
		t.Errorf("max pending %d, want 2..%d (the slow files must make some wait)", st.MaxPending, window)
	}
	// The lister may have taken one more path from the iterator while it
	// waits for a free slot.
	if m := maxInFlight.Load(); m > window+1 {
		t.Errorf("%d files in flight, window %d", m, window)
	}
	if m := maxRunning.Load(); m > workers {
		t.Errorf("%d running at once, %d workers", m, workers)
	}
}

func setMax(m *atomic.Int64, v int64) {
	for {
		old := m.Load()
		if v <= old || m.CompareAndSwap(old, v) {
			return
		}
	}
}

func TestMapErrors(t *testing.T) {
	paths := func(yield func(string, error) bool) {
		_ = yield("a", nil) && yield("missing", os.ErrNotExist) && yield("b", nil)
	}
	var got []string
	_, err := batch.Map(context.Background(), paths, batch.Options{Workers: 2},
		func(ctx context.Context, worker int, path string) (string, error) {
			if path == "missing" {
				t.Error("fn called for a path that failed to list")
			}
			if path == "b" {
				return "", errors.New("bad b")
			}
			return strings.ToUpper(path), nil
		},
		func(path, r string, err error) error {
			got = append(got, fmt.Sprintf("%s=%s/%v", path, r, err))
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a=A/<nil>", "missing=/file does not exist", "b=/bad b"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}

	// An emit error stops the run, and so does cancelling.
	var yielded atomic.Int64
	stop := errors.New("stop")
	st, err := batch.Map(context.Background(), numbered(100000, &yielded), batch.Options{Workers: 2, Window: 4},
		func(ctx context.Context, worker int, path string) (int, error) { return 0, nil },
		func(path string, r int, err error) error {
			if path == "10" {
				return stop
			}
			return nil
		})
	if !errors.Is(err, stop) || st.Files != 10 || yielded.Load() > 20 {
		t.Errorf("emit error: err %v, files %d, listed %d", err, st.Files, yielded.Load())
	}
	ctx, cancel := context.WithCancel(context.Background())
	yielded.Store(0)
	_, err = batch.Map(ctx, numbered(100000, &yielded), batch.Options{Workers: 2, Window: 4},
		func(ctx context.Context, worker int, path string) (int, error) { return 0, nil },
		func(path string, r int, err error) error {
			if path == "5" {
				cancel()
			}
			return nil
		})
	if !errors.Is(err, context.Canceled) || yielded.Load() > 20 {
		t.Errorf("cancel: err %v, listed %d", err, yielded.Load())
	}
}

func TestPaths(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"b.jpg", "a/z.png", "a/b/c.gif", "a/.hidden.jpg", ".git/x", "c d.jpg", "a/a.jpg"} {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stdin := strings.NewReader("one.jpg\n\n  two words.png  \r\n")
	var got []string
	for p, err := range batch.Paths([]string{dir, filepath.Join(dir, "b.jpg"), "-", filepath.Join(dir, "nope")}, stdin) {
		rel, _ := filepath.Rel(dir, p)
		if !filepath.IsAbs(p) {
			rel = p
		}
		if err != nil {
			rel += " error"
		}
		got = append(got, filepath.ToSlash(rel))
	}
	want := []string{"a/a.jpg", "a/b/c.gif", "a/z.png", "b.jpg", "c d.jpg", "b.jpg", "one.jpg", "two words.png", "nope error"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	// Stopping early stops the walk.
	n := 0
	for range batch.Paths([]string{dir}, nil) {
		n++
		break
	}
	if n != 1 {
		t.Errorf("break: %d", n)
	}
}
