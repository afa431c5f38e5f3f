package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
	"github.com/spf13/pflag"
)

// TestCLIDocs checks that docs/cli, the command reference generated from
// the commands' own help, is up to date. Regenerate it with
//
//	go test ./cmd/medialabel -run TestCLIDocs -update
func TestCLIDocs(t *testing.T) {
	want := t.TempDir()
	if err := genCLIDocs(want); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("..", "..", "docs", "cli")
	if *update {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		if err := genCLIDocs(dir); err != nil {
			t.Fatal(err)
		}
		return
	}
	wantFiles := mdFiles(t, want)
	gotFiles := mdFiles(t, dir)
	if len(wantFiles) != len(gotFiles) {
		t.Errorf("docs/cli has %d pages, the commands give %d: run go test ./cmd/medialabel -run TestCLIDocs -update", len(gotFiles), len(wantFiles))
	}
	for _, name := range wantFiles {
		w, err := os.ReadFile(filepath.Join(want, name))
		if err != nil {
			t.Fatal(err)
		}
		g, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("docs/cli/%s is missing: run go test ./cmd/medialabel -run TestCLIDocs -update", name)
			continue
		}
		if !bytes.Equal(w, g) {
			t.Errorf("docs/cli/%s is stale: run go test ./cmd/medialabel -run TestCLIDocs -update", name)
		}
	}
}

// genCLIDocs writes one markdown page per command into dir.
func genCLIDocs(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	root := newRootCmd(&globals{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr})
	prepareForDocs(root)
	return doc.GenMarkdownTree(root, dir)
}

// prepareForDocs drops cobra's date line and replaces defaults that
// depend on the machine (the number of cores, the environment) by a
// description, so that the pages are the same wherever they are made.
func prepareForDocs(c *cobra.Command) {
	c.DisableAutoGenTag = true
	cores := strconv.Itoa(runtime.NumCPU())
	fix := func(f *pflag.Flag) {
		switch {
		case f.Name == "db":
			f.DefValue = "medialabel.db"
		case f.DefValue == cores && (f.Name == "workers" || f.Name == "model-pool"):
			f.DefValue = "the number of cores"
		}
	}
	c.Flags().VisitAll(fix)
	c.PersistentFlags().VisitAll(fix)
	for _, sub := range c.Commands() {
		prepareForDocs(sub)
	}
}

func mdFiles(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		if filepath.Ext(e.Name()) == ".md" {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names
}
