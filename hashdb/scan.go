package hashdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"

	"github.com/medialabel/medialabel"
)

// scanQuery packs the signal code into the key column (key<<8 | code): one
// column fewer for the driver to convert on each of millions of rows.
const scanQuery = "SELECT (entry_key << 8) | signal, value, region FROM hashes ORDER BY entry_key, n"

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
