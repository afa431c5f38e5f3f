package hashdb

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/medialabel/medialabel"
)

// The child process of TestKilled reads what to do from these.
const (
	killChildDB   = "HASHDB_KILL_CHILD_DB"
	killChildMode = "HASHDB_KILL_CHILD_MODE"
)

// storeState summarises everything a store holds: banks with counts,
// and a digest of every entry with its hashes.
func storeState(t *testing.T, db *DB) string {
	t.Helper()
	ctx := context.Background()
	banks, err := db.Banks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d := sha256.New()
	err = db.ListEntries(ctx, medialabel.EntryFilter{}, func(e medialabel.Entry) error {
		fmt.Fprintf(d, "%d %s %s %s %v %v\n", e.Key, e.ID, e.Bank, e.Label, e.Hashes, e.Regions)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%v %s", banks, hex.EncodeToString(d.Sum(nil)))
}

// TestKilled starts an import in a child process, kills it with SIGKILL
// part-way, and checks that the store is exactly as it was before,
// opens, and passes SQLite's integrity check.
func TestKilled(t *testing.T) {
	if path := os.Getenv(killChildDB); path != "" {
		killChild(t, path, os.Getenv(killChildMode))
		return
	}
	if testing.Short() {
		t.Skip("starts child processes; skipped with -short")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "store.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddEntries(ctx, "hk2019", sampleEntries(t)); err != nil {
		t.Fatal(err)
	}
	before := storeState(t, db)
	db.Close()

	for _, mode := range []string{"early", "spilled"} {
		t.Run(mode, func(t *testing.T) {
			startAndKill(t, path, mode)
			if mode == "spilled" {
				// The point of this case: uncommitted pages reached
				// the WAL file before the kill.
				fi, err := os.Stat(path + "-wal")
				if err != nil || fi.Size() < 16<<20 {
					t.Fatalf("WAL after the kill: %v, %v; want more than 16 MiB of uncommitted pages", fi, err)
				}
			}
			db := reopenChecked(t, path)
			if after := storeState(t, db); after != before {
				t.Errorf("store after killed import:\n%s\nwant as before:\n%s", after, before)
			}
		})
	}

	// Many small imports, killed at a moment nobody chose: each is there
	// entirely or not at all.
	t.Run("small imports", func(t *testing.T) {
		startAndKill(t, path, "small")
		db := reopenChecked(t, path)
		banks, err := db.Banks(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range banks {
			if b.Name == "small" && (b.Entries == 0 || b.Entries%smallImport != 0) {
				t.Errorf("bank small has %d entries: want a positive multiple of %d", b.Entries, smallImport)
			}
		}
	})
}

const smallImport = 1000

// reopenChecked opens the store a killed child left and checks its
// integrity.
func reopenChecked(t *testing.T, path string) *DB {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("store does not open after the kill: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Check(ctx); err != nil {
		t.Error(err)
	}
	return db
}

func startAndKill(t *testing.T, path, mode string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilled$", "-test.v")
	cmd.Env = append(os.Environ(), killChildDB+"="+path, killChildMode+"="+mode)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "KILL ME" {
				ready <- true
				break
			}
		}
		close(ready)
	}()
	select {
	case ok := <-ready:
		if !ok {
			cmd.Wait()
			t.Fatalf("child ended without reaching the kill point; stderr:\n%s", stderr.String())
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("child did not reach the kill point in 60 s")
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	cmd.Wait()
}

// killChild is the child process: it imports until it is killed.
func killChild(t *testing.T, path, mode string) {
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	// Never closed: the process dies with the store open.
	signal := func() { fmt.Println("KILL ME"); os.Stdout.Sync() }
	switch mode {
	case "early", "spilled":
		// One big import. "spilled" waits until the entries written
		// exceed the page cache, so that uncommitted pages are already
		// in the WAL file when the kill comes.
		at, thumb := 100, []byte(nil)
		if mode == "spilled" {
			at, thumb = 800, make([]byte, 64<<10)
		}
		_, err = db.Import(ctx, "hk2019", func(yield func(medialabel.Entry, error) bool) {
			i := 0
			for e := range pdqEntries(1<<30, "doomed") {
				e.Thumbnail = thumb
				if i++; i == at {
					signal()
				}
				if !yield(e, nil) {
					return
				}
			}
		}, nil)
	case "small":
		for i := 0; ; i++ {
			if _, err = db.Import(ctx, "small", pdqEntries(smallImport, "small"), nil); err != nil {
				break
			}
			if i == 3 {
				signal()
			}
		}
	}
	t.Fatalf("child: import ended (%v) before the kill", err)
}
