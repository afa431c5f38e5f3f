// Package batch runs work over many image files in parallel and hands the
// results back in input order, in bounded memory: it is the engine of
// `medialabel hash` and of every command that takes "files, folders, or -
// for a list of paths on stdin".
//
// Paths lists the files lazily (a folder of a million files is never held
// as a list), and Map keeps at most Options.Window files in flight, so
// memory does not grow with the number of files.
package batch

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// Paths yields the files named by args, in order: a file as it is named; a
// directory walked recursively, in lexical order, skipping hidden entries
// (names starting with "."); "-" every line read from stdin (blank lines
// skipped, surrounding space trimmed), each taken as a file as is. A path
// that cannot be listed (missing, unreadable folder) is yielded with its
// error, and the listing goes on.
//
// Memory is bounded by the largest single folder's listing (which is
// sorted), not by the number of files.
func Paths(args []string, stdin io.Reader) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for _, arg := range args {
			if arg == "-" {
				if !readPaths(stdin, yield) {
					return
				}
				continue
			}
			if !walk(arg, yield) {
				return
			}
		}
	}
}

// readPaths yields the lines of r as paths. It returns false when yield
// asked to stop.
func readPaths(r io.Reader, yield func(string, error) bool) bool {
	if r == nil {
		return yield("-", errors.New("no standard input"))
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		p := strings.TrimSpace(sc.Text())
		if p == "" {
			continue
		}
		if !yield(p, nil) {
			return false
		}
	}
	if err := sc.Err(); err != nil {
		return yield("-", fmt.Errorf("reading paths from stdin: %w", err))
	}
	return true
}

// walk yields root, or the files under it if it is a directory.
func walk(root string, yield func(string, error) bool) bool {
	st, err := os.Stat(root)
	if err != nil {
		return yield(root, err)
	}
	if !st.IsDir() {
		return yield(root, nil)
	}
	stopped := false
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			// An unreadable folder: report it and go on with the rest.
			if !yield(path, err) {
				stopped = true
				return fs.SkipAll
			}
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if path != root && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		if !yield(path, nil) {
			stopped = true
			return fs.SkipAll
		}
		return nil
	})
	if err != nil && !stopped {
		return yield(root, err)
	}
	return !stopped
}

// Options tune Map.
type Options struct {
	// Workers is the number of goroutines running fn; 0 means
	// runtime.NumCPU().
	Workers int
	// Window is the most files in flight at once (listed but not yet
	// emitted), which bounds the results waiting to be put in order; 0
	// means 4 per worker. It is raised to Workers if smaller.
	Window int
}

// Stats describe a finished Map.
type Stats struct {
	// Files is the number of paths emitted.
	Files int
	// MaxPending is the most finished results held at once, waiting for
	// an earlier one to be emitted. It never exceeds the window.
	MaxPending int
}

type job struct {
	seq  int
	path string
	err  error
}

type result[R any] struct {
	seq  int
	path string
	r    R
	err  error
}

// Map calls fn for each path on opts.Workers goroutines and emit for each
// result, in the order of paths, from the calling goroutine. worker (0 to
// Workers-1) lets fn keep per-goroutine state, such as a
// fingerprint.Hasher. A path that paths yielded with an error is emitted
// with that error without calling fn. If emit returns an error, or ctx is
// done, Map stops and returns it.
func Map[R any](ctx context.Context, paths iter.Seq2[string, error], opts Options,
	fn func(ctx context.Context, worker int, path string) (R, error),
	emit func(path string, r R, err error) error) (Stats, error) {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	window := opts.Window
	if window <= 0 {
		window = 4 * workers
	}
	window = max(window, workers)

	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// tokens bounds the files in flight: the lister takes one per file,
	// the emitter gives it back once the file's result is written.
	tokens := make(chan struct{}, window)
	jobs := make(chan job)
	results := make(chan result[R], window)

	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the lister
		defer wg.Done()
		defer close(jobs)
		seq := 0
		for p, err := range paths {
			select {
			case tokens <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- job{seq, p, err}:
			case <-ctx.Done():
				return
			}
			seq++
		}
	}()
	var workersWG sync.WaitGroup
	for w := range workers {
		workersWG.Add(1)
		go func() {
			defer workersWG.Done()
			for j := range jobs {
				res := result[R]{seq: j.seq, path: j.path, err: j.err}
				if res.err == nil {
					res.r, res.err = fn(ctx, w, j.path)
				}
				// results has room for every token, so this never blocks
				// for long; ctx guards against an emitter that stopped.
				select {
				case results <- res:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		workersWG.Wait()
		close(results)
	}()

	var st Stats
	pending := make(map[int]result[R], window)
	next := 0
	var emitErr error
	for res := range results {
		pending[res.seq] = res
		st.MaxPending = max(st.MaxPending, len(pending))
		for {
			r, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			if emitErr == nil {
				if err := emit(r.path, r.r, r.err); err != nil {
					emitErr = err
					cancel()
				} else {
					st.Files++
				}
			}
			<-tokens
		}
	}
	wg.Wait()
	if emitErr != nil {
		return st, emitErr
	}
	return st, parent.Err()
}
