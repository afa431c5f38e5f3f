package hashdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"sync/atomic"

	"github.com/medialabel/medialabel"
)

// scanQuery packs the signal code into the key column (key<<8 | code): one
// column fewer for the driver to convert on each of millions of rows.
const scanQuery = "SELECT (entry_key << 8) | signal, value, region FROM hashes ORDER BY entry_key, n"

// mmapPragma lets a connection read the file through memory mapping
// instead of a read call per page: the scans take a tenth less time.
const mmapPragma = "PRAGMA mmap_size = 1073741824"

// rangeQuery is scanQuery over the keys from ?1 to ?2 inclusive.
const rangeQuery = "SELECT (entry_key << 8) | signal, value, region FROM hashes WHERE entry_key BETWEEN ?1 AND ?2 ORDER BY entry_key, n"

// ScanHashes calls fn for every stored hash, whole-picture and region
// hashes alike, in key order, from one snapshot. It is the fast path the
// in-memory indexes load from at start-up: fn must not keep
// rec.Hash.Value, whose memory may be reused. An error from fn stops the
// scan and is returned as it is.
//
// It reads the rows through the driver directly: database/sql's per-row
// locking and conversions would cost as much again as SQLite's own work.
func (db *DB) ScanHashes(ctx context.Context, fn func(rec medialabel.HashRecord) error) error {
	conn, err := db.r.Conn(ctx)
	if err != nil {
		return fmt.Errorf("scan hashes: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, mmapPragma); err != nil {
		return fmt.Errorf("scan hashes: %w", err)
	}
	var fnErr error
	err = conn.Raw(func(dc any) error {
		q, ok := dc.(driver.QueryerContext)
		if !ok {
			return errors.New("driver cannot query directly")
		}
		rows, err := q.QueryContext(ctx, scanQuery, nil)
		if err != nil {
			return err
		}
		defer rows.Close()
		fnErr, err = db.scanRows(ctx, rows, fn)
		return err
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return fmt.Errorf("scan hashes: %w", err)
	}
	return nil
}

// ScanHashesParts is ScanHashes split into parts ranges of keys scanned
// at once, each on a connection and a goroutine of its own, all from one
// snapshot: on several cores it takes a fraction of the time. fn is called
// concurrently from the parts' goroutines, with the part's number; within
// a part the hashes come in key order, and every key of part i is below
// every key of part i+1. The first error, from fn or from a scan, stops
// every part and is returned (fn's as it is).
//
// To read one snapshot on several connections, it takes the write lock,
// starts a read transaction on each connection and lets the lock go: no
// write can commit in between, so every part sees the same state. If
// another writer holds the lock, it reads in one part (fn sees part 0
// only) instead of waiting.
func (db *DB) ScanHashesParts(ctx context.Context, parts int, fn func(part int, rec medialabel.HashRecord) error) error {
	if parts <= 1 {
		return db.ScanHashes(ctx, func(rec medialabel.HashRecord) error { return fn(0, rec) })
	}
	conns, err := db.pinSnapshot(ctx, parts)
	if errors.Is(err, errWriting) {
		// Another writer holds the lock, maybe for long (a large import):
		// read in one part rather than wait.
		return db.ScanHashes(ctx, func(rec medialabel.HashRecord) error { return fn(0, rec) })
	}
	if err != nil {
		return fmt.Errorf("scan hashes: %w", err)
	}
	defer func() {
		for _, c := range conns {
			// Ends the read transaction; the connection goes back to the
			// pool.
			c.ExecContext(context.Background(), "ROLLBACK")
			c.Close()
		}
	}()
	// Two subqueries: SQLite reads a minimum or a maximum off the end of
	// the primary key only when it is a query's one aggregate.
	var lo, hi sql.NullInt64
	if err := conns[0].QueryRowContext(ctx, "SELECT (SELECT min(entry_key) FROM hashes), (SELECT max(entry_key) FROM hashes)").Scan(&lo, &hi); err != nil {
		return fmt.Errorf("scan hashes: %w", err)
	}
	if !lo.Valid {
		return nil // no hashes
	}
	// Keys are handed out in increasing order, so equal key ranges hold
	// about equal numbers of hashes; the first and last ranges are open so
	// that every key is covered.
	bounds := make([]int64, parts+1)
	bounds[0], bounds[parts] = math.MinInt64, math.MaxInt64
	for i := 1; i < parts; i++ {
		bounds[i] = lo.Int64 + int64(float64(hi.Int64-lo.Int64+1)*float64(i)/float64(parts))
	}
	// On an error the other parts stop at their next row. (Not through a
	// cancellable context: the driver then does more work per row.)
	var stop atomic.Bool
	errs := make([]error, parts)
	fnErrs := make([]error, parts)
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Go(func() {
			errs[i] = c.Raw(func(dc any) error {
				q, ok := dc.(driver.QueryerContext)
				if !ok {
					return errors.New("driver cannot query directly")
				}
				last := bounds[i+1] - 1
				if i == parts-1 {
					last = bounds[parts]
				}
				args := []driver.NamedValue{{Ordinal: 1, Value: bounds[i]}, {Ordinal: 2, Value: last}}
				rows, err := q.QueryContext(ctx, rangeQuery, args)
				if err != nil {
					return err
				}
				defer rows.Close()
				fnErrs[i], err = db.scanRows(ctx, rows, func(rec medialabel.HashRecord) error {
					if stop.Load() {
						return errStopped
					}
					return fn(i, rec)
				})
				return err
			})
			if errs[i] != nil || fnErrs[i] != nil && fnErrs[i] != errStopped {
				stop.Store(true)
			}
		})
	}
	wg.Wait()
	for i := range parts {
		if fnErrs[i] != nil && fnErrs[i] != errStopped {
			return fnErrs[i]
		}
		if errs[i] != nil {
			return fmt.Errorf("scan hashes: %w", errs[i])
		}
	}
	return nil
}

// errWriting is pinSnapshot's error when another writer holds the lock.
var errWriting = errors.New("another write in progress")

// errStopped ends a part of ScanHashesParts after another part failed.
var errStopped = errors.New("stopped")

// pinSnapshot returns n read connections, each in a read transaction of
// the same snapshot. The caller rolls them back and closes them.
func (db *DB) pinSnapshot(ctx context.Context, n int) (conns []*sql.Conn, err error) {
	defer func() {
		if err != nil {
			for _, c := range conns {
				c.ExecContext(context.Background(), "ROLLBACK")
				c.Close()
			}
			conns = nil
		}
	}()
	// BEGIN IMMEDIATE, not waiting if another writer has begun: no other
	// write can commit until the rollback.
	w, err := db.w.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer w.Close()
	if _, err := w.ExecContext(ctx, "PRAGMA busy_timeout = 0"); err != nil {
		return nil, err
	}
	defer w.ExecContext(context.Background(), fmt.Sprintf("PRAGMA busy_timeout = %d", busyTimeout))
	if _, err := w.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return nil, fmt.Errorf("%w: %w", errWriting, err)
	}
	defer w.ExecContext(context.Background(), "ROLLBACK")
	for range n {
		c, err := db.r.Conn(ctx)
		if err != nil {
			return conns, err
		}
		conns = append(conns, c)
		if _, err := c.ExecContext(ctx, mmapPragma); err != nil {
			return conns, err
		}
		if _, err := c.ExecContext(ctx, "BEGIN"); err != nil {
			return conns, err
		}
		// A read transaction takes its snapshot at its first read.
		var one int
		if err := c.QueryRowContext(ctx, "SELECT count(*) FROM signals").Scan(&one); err != nil {
			return conns, err
		}
	}
	return conns, nil
}

// scanRows walks rows of scanQuery. It returns fn's error apart from its
// own, so that the caller can pass the former on unwrapped.
func (db *DB) scanRows(ctx context.Context, rows driver.Rows, fn func(rec medialabel.HashRecord) error) (fnErr, err error) {
	var (
		dest = make([]driver.Value, 3)
		rec  medialabel.HashRecord
		// Region names repeat: keep one string per name.
		names = map[string]string{}
		n     int
	)
	for {
		if err := rows.Next(dest); err == io.EOF {
			return nil, nil
		} else if err != nil {
			return nil, err
		}
		packed, ok1 := dest[0].(int64)
		value, ok2 := dest[1].([]byte)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("hash row of unexpected types %T, %T", dest[0], dest[1])
		}
		key, code := packed>>8, packed&0xff
		sig, ok := db.signals[code]
		if !ok {
			return nil, fmt.Errorf("entry key %d: unknown signal code %d", key, code)
		}
		rec.Key = key
		rec.Hash.Signal = sig
		rec.Hash.Value = value
		rec.Region = ""
		switch r := dest[2].(type) {
		case nil:
		case string:
			name, ok := names[r]
			if !ok {
				name = r
				names[name] = name
			}
			rec.Region = name
		default:
			return nil, fmt.Errorf("entry key %d: region of unexpected type %T", key, r)
		}
		if err := fn(rec); err != nil {
			return err, nil
		}
		if n++; n%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
	}
}

// scanHashesSQL is ScanHashes through database/sql: the baseline that the
// benchmark compares the direct scan against.
func (db *DB) scanHashesSQL(ctx context.Context, fn func(rec medialabel.HashRecord) error) error {
	rows, err := db.r.QueryContext(ctx, "SELECT entry_key, signal, region, value FROM hashes ORDER BY entry_key, n")
	if err != nil {
		return fmt.Errorf("scan hashes: %w", err)
	}
	defer rows.Close()
	var (
		code   int64
		region sql.RawBytes
		rec    medialabel.HashRecord
		value  sql.RawBytes
	)
	for rows.Next() {
		if err := rows.Scan(&rec.Key, &code, &region, &value); err != nil {
			return fmt.Errorf("scan hashes: %w", err)
		}
		rec.Hash.Signal = db.signals[code]
		rec.Hash.Value = value
		rec.Region = string(region)
		if err := fn(rec); err != nil {
			return err
		}
	}
	return rows.Err()
}
