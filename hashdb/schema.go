package hashdb

// migrations are the schema changes in order: migrations[i] takes the
// store from version i to version i+1 (the version lives in PRAGMA
// user_version). Each runs in a transaction of its own, together with the
// version bump, so a store is always at exactly one version. Never edit a
// migration that has been released: append a new one.
//
// Layout, and why:
//   - signals maps the compact signal codes used in hashes to their names,
//     so that a hash row holds a one-byte integer rather than a string.
//   - entries.key is the INTEGER PRIMARY KEY (the rowid, Entry.Key);
//     AUTOINCREMENT keeps a deleted entry's key from being handed out
//     again, so an index loaded earlier never mistakes a new entry for an
//     old one. entries.id is the public id, a UUIDv7 held as 16 bytes:
//     random, but time-ordered, so that its index grows at the end.
//   - hashes is WITHOUT ROWID with the primary key (entry_key, n), so the
//     start-up scan in key order is one walk of one b-tree with no sort,
//     and deleting an entry's hashes is a range delete. region is NULL for
//     a hash of the whole picture.
//   - created is Unix nanoseconds, UTC.
var migrations = []string{
	// 1: banks, entries, hashes.
	`
CREATE TABLE signals (
	code INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE
);
INSERT INTO signals (code, name) VALUES
	(1, 'pdq'), (2, 'phash'), (3, 'dhash'), (4, 'ahash'), (5, 'md5'), (6, 'sha256');

CREATE TABLE banks (
	id      INTEGER PRIMARY KEY,
	name    TEXT NOT NULL UNIQUE,
	created INTEGER NOT NULL
);

CREATE TABLE entries (
	key       INTEGER PRIMARY KEY AUTOINCREMENT,
	id        BLOB NOT NULL UNIQUE,
	bank_id   INTEGER NOT NULL REFERENCES banks (id) ON DELETE CASCADE,
	label     TEXT NOT NULL,
	note      TEXT NOT NULL DEFAULT '',
	source    TEXT NOT NULL DEFAULT '',
	created   INTEGER NOT NULL,
	thumbnail BLOB
);
CREATE INDEX entries_by_bank ON entries (bank_id, key);

CREATE TABLE hashes (
	entry_key INTEGER NOT NULL REFERENCES entries (key) ON DELETE CASCADE,
	n         INTEGER NOT NULL,
	signal    INTEGER NOT NULL REFERENCES signals (code),
	region    TEXT,
	value     BLOB NOT NULL,
	PRIMARY KEY (entry_key, n)
) WITHOUT ROWID;
`,
}
