package hashdb

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medialabel/medialabel"
)

func userVersion(t *testing.T, path string) int {
	t.Helper()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var v int
	if err := raw.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSettings(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	for _, tc := range []struct {
		pool   *sql.DB
		pragma string
		want   string
	}{
		{db.w, "journal_mode", "wal"},
		{db.w, "synchronous", "2"}, // FULL
		{db.w, "foreign_keys", "1"},
		{db.w, "busy_timeout", "10000"},
		{db.w, "journal_size_limit", "67108864"},
		{db.r, "journal_mode", "wal"},
		{db.r, "query_only", "1"},
		{db.r, "busy_timeout", "10000"},
	} {
		var got string
		if err := tc.pool.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("PRAGMA %s = %s, want %s", tc.pragma, got, tc.want)
		}
	}
	if _, err := db.r.ExecContext(ctx, "DELETE FROM banks"); err == nil {
		t.Error("the read pool can write")
	}
}

// TestMigrate opens a store made by an older build (here: the schema at
// version 1, with data in it) with a build that knows one more migration,
// and checks that the data survives the upgrade, that the upgrade runs once,
// that a failed migration leaves the store at its old version, and that a
// build refuses a store newer than it knows.
func TestMigrate(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	old, err := open(ctx, path, migrations[:1])
	if err != nil {
		t.Fatal(err)
	}
	added, err := old.AddEntries(ctx, "hk2019", sampleEntries(t))
	if err != nil {
		t.Fatal(err)
	}
	old.Close()
	if v := userVersion(t, path); v != 1 {
		t.Fatalf("old store at version %d, want 1", v)
	}

	// A migration that fails half-way changes nothing.
	broken := append(append([]string{}, migrations...), `ALTER TABLE entries ADD COLUMN reviewed INTEGER NOT NULL DEFAULT 0; INSERT INTO nosuchtable VALUES (1);`)
	if _, err := open(ctx, path, broken); err == nil || !strings.Contains(err.Error(), "migrate schema to version") {
		t.Fatalf("broken migration: err = %v", err)
	}
	if v := userVersion(t, path); v != len(migrations) {
		t.Fatalf("after a failed migration: version %d, want %d", v, len(migrations))
	}

	next := append(append([]string{}, migrations...), `ALTER TABLE entries ADD COLUMN reviewed INTEGER NOT NULL DEFAULT 0;`)
	for range 2 { // the second open finds nothing to do
		db, err := open(ctx, path, next)
		if err != nil {
			t.Fatal(err)
		}
		got, err := db.Entry(ctx, "hk2019", added[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		sameEntry(t, got, added[0], true)
		more, err := db.AddEntries(ctx, "hk2019", []medialabel.Entry{{Label: "new", Hashes: []medialabel.Hash{mustHash(t, pdqB)}}})
		if err != nil {
			t.Fatal(err)
		}
		if more[0].Key <= added[1].Key {
			t.Errorf("key %d after migration not above %d", more[0].Key, added[1].Key)
		}
		if err := db.Check(ctx); err != nil {
			t.Error(err)
		}
		db.Close()
		if v := userVersion(t, path); v != len(next) {
			t.Errorf("migrated store at version %d, want %d", v, len(next))
		}
	}

	// This build does not know version len(next).
	if _, err := Open(ctx, path); err == nil || !strings.Contains(err.Error(), "newer than this build knows") {
		t.Errorf("store from a newer build: err = %v", err)
	}
}
