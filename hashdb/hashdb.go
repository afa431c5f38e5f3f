// Package hashdb keeps banks of known content in an embedded SQLite
// database (the pure-Go modernc.org/sqlite driver, so nothing else needs to
// be installed). It implements medialabel.BankStore.
//
// The store runs in WAL mode with synchronous=FULL: a write that returned
// is on disk, and a write that was interrupted (a crash, a kill, a power
// cut) is not there at all. Every write is one transaction. Readers never
// wait for the writer; writers, from this process or another one, take
// turns, waiting up to a busy timeout.
//
// A bank comes into being with its first entry and stays, with no entries,
// when its last entry is deleted: deleting entries never loses the bank's
// name. DeleteBank removes a bank and everything in it.
package hashdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"github.com/medialabel/medialabel"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// busyTimeout is how long a write waits for another writer, in
// milliseconds, before it fails with "database is locked".
const busyTimeout = 10000

// ErrInvalid is returned (wrapped) when an entry or a bank name cannot be
// stored as given: a bad bank name, a missing label, a hash of the wrong
// length.
var ErrInvalid = errors.New("invalid")

// DB is a bank store in one SQLite file. It is safe for concurrent use.
type DB struct {
	// w is the single writing connection: SQLite allows one writer at a
	// time, so the pool serialises writers instead of letting them spin
	// on SQLITE_BUSY. Its transactions begin IMMEDIATE.
	w *sql.DB
	// r is a pool of read-only connections; in WAL mode they read a
	// consistent snapshot while the writer works.
	r *sql.DB

	// batch is how many rows an INSERT of an import writes.
	batch int

	// signal codes, as the signals table has them.
	codes   map[medialabel.Signal]int64
	signals map[int64]medialabel.Signal
}

var _ medialabel.BankStore = (*DB)(nil)

// Open opens the store at path, creating it if it does not exist and
// bringing its schema up to date. A postgres:// URL is refused: this build
// has only the SQLite backend.
func Open(ctx context.Context, path string) (*DB, error) {
	return open(ctx, path, migrations)
}

func open(ctx context.Context, path string, migs []string) (*DB, error) {
	if strings.HasPrefix(path, "postgres://") || strings.HasPrefix(path, "postgresql://") {
		return nil, errors.New("open bank store: PostgreSQL backend not available in this build; use a SQLite file path")
	}
	if path == "" {
		return nil, errors.New("open bank store: empty path")
	}
	w, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("open bank store %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := migrate(ctx, w, migs); err != nil {
		w.Close()
		return nil, fmt.Errorf("open bank store %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open bank store %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	db := &DB{w: w, r: r, batch: defaultBatch}
	if err := db.loadSignals(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open bank store %s: %w", path, err)
	}
	return db, nil
}

// dsn is the driver's data source name for path: a SQLite URI, so that
// any character may appear in the path, with the connection settings.
func dsn(path string, readOnly bool) string {
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	q := fmt.Sprintf("_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)", busyTimeout)
	if readOnly {
		q += "&_pragma=query_only(1)"
	} else {
		// The writer keeps a larger page cache and its statement
		// journals in memory: a large import then spills less to disk
		// before it commits. After a checkpoint the WAL file, which a
		// large import grows, is cut back to 64 MiB.
		q += "&_txlock=immediate&_pragma=temp_store(MEMORY)&_pragma=cache_size(-32768)&_pragma=journal_size_limit(67108864)"
	}
	return "file:" + esc + "?" + q
}

// migrate brings the schema to len(migs), one transaction per step.
func migrate(ctx context.Context, db *sql.DB, migs []string) error {
	for {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		var v int
		if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
			tx.Rollback()
			return fmt.Errorf("read schema version: %w", err)
		}
		if v > len(migs) {
			tx.Rollback()
			return fmt.Errorf("schema version %d is newer than this build knows (%d): upgrade medialabel", v, len(migs))
		}
		if v == len(migs) {
			return tx.Rollback()
		}
		if v == 0 {
			// A file that is not ours (has tables but no version)
			// must not be written to.
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&n); err != nil {
				tx.Rollback()
				return fmt.Errorf("read schema: %w", err)
			}
			if n > 0 {
				tx.Rollback()
				return errors.New("not a medialabel bank store (tables present, no schema version)")
			}
		}
		if _, err := tx.ExecContext(ctx, migs[v]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate schema to version %d: %w", v+1, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate schema to version %d: %w", v+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrate schema to version %d: %w", v+1, err)
		}
	}
}

func (db *DB) loadSignals(ctx context.Context) error {
	rows, err := db.r.QueryContext(ctx, "SELECT code, name FROM signals")
	if err != nil {
		return fmt.Errorf("load signals: %w", err)
	}
	defer rows.Close()
	db.codes = make(map[medialabel.Signal]int64)
	db.signals = make(map[int64]medialabel.Signal)
	for rows.Next() {
		var code int64
		var name string
		if err := rows.Scan(&code, &name); err != nil {
			return fmt.Errorf("load signals: %w", err)
		}
		if code < 1 || code > 255 {
			// ScanHashes packs the code into a byte.
			return fmt.Errorf("load signals: code %d of %q out of range 1-255", code, name)
		}
		s, err := medialabel.ParseSignal(name)
		if err != nil {
			// A signal added by a newer build: keep its name so that
			// its hashes still come back as they were stored.
			s = medialabel.Signal(name)
		}
		db.codes[s] = code
		db.signals[code] = s
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load signals: %w", err)
	}
	return nil
}

// Close releases the store. Writes already returned are on disk.
func (db *DB) Close() error {
	var errs []error
	if db.r != nil {
		errs = append(errs, db.r.Close())
	}
	if db.w != nil {
		errs = append(errs, db.w.Close())
	}
	return errors.Join(errs...)
}

// Check runs SQLite's integrity check and returns an error describing what
// it found unless the database is sound.
func (db *DB) Check(ctx context.Context) error {
	rows, err := db.r.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	defer rows.Close()
	var msgs []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return fmt.Errorf("integrity check: %w", err)
		}
		msgs = append(msgs, s)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	if len(msgs) != 1 || msgs[0] != "ok" {
		return fmt.Errorf("integrity check: %s", strings.Join(msgs, "; "))
	}
	return nil
}
