package hashdb

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/medialabel/medialabel"
)

// Limits on what an entry may hold, so that one bad request cannot fill
// the store.
const (
	maxBankName  = 64
	maxLabel     = 256
	maxNote      = 4096
	maxSource    = 2048
	maxRegion    = 64
	maxHashes    = 64      // whole-picture and region hashes of one entry
	maxThumbnail = 1 << 20 // bytes
)

// ValidBankName reports whether name can name a bank: 1 to 64 characters,
// letters, digits, '.', '_' and '-', starting with a letter or digit (a
// bank name appears in URLs and file names).
func ValidBankName(name string) error {
	if name == "" {
		return fmt.Errorf("%w bank name: empty", ErrInvalid)
	}
	if len(name) > maxBankName {
		return fmt.Errorf("%w bank name %.64q…: longer than %d characters", ErrInvalid, name, maxBankName)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case (c == '.' || c == '_' || c == '-') && i > 0:
		default:
			return fmt.Errorf("%w bank name %q: use letters, digits, '.', '_' and '-', starting with a letter or digit", ErrInvalid, name)
		}
	}
	return nil
}

func checkText(what, s string, maxLen int, required bool) error {
	if required && s == "" {
		return fmt.Errorf("%w entry: %s is empty", ErrInvalid, what)
	}
	if len(s) > maxLen {
		return fmt.Errorf("%w entry: %s longer than %d bytes", ErrInvalid, what, maxLen)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w entry: %s is not valid UTF-8", ErrInvalid, what)
	}
	return nil
}

func (db *DB) checkHash(h medialabel.Hash) error {
	if _, ok := db.codes[h.Signal]; !ok {
		return fmt.Errorf("%w entry: unknown signal %q", ErrInvalid, h.Signal)
	}
	if want := h.Signal.Bits() / 8; len(h.Value) != want {
		return fmt.Errorf("%w entry: %s hash of %d bytes, want %d", ErrInvalid, h.Signal, len(h.Value), want)
	}
	return nil
}

// CheckEntry reports whether e can be stored, and if not, why, in an
// error wrapping ErrInvalid. AddEntries and Import check every entry; a
// caller that knows more about where an entry came from (a line of a file)
// can check first and say so.
func (db *DB) CheckEntry(e medialabel.Entry) error {
	return db.checkEntry(&e)
}

// checkEntry reports whether e can be stored.
func (db *DB) checkEntry(e *medialabel.Entry) error {
	if err := checkText("label", e.Label, maxLabel, true); err != nil {
		return err
	}
	if err := checkText("note", e.Note, maxNote, false); err != nil {
		return err
	}
	if err := checkText("source", e.Source, maxSource, false); err != nil {
		return err
	}
	if len(e.Hashes) == 0 {
		return fmt.Errorf("%w entry: no hashes", ErrInvalid)
	}
	if len(e.Hashes)+len(e.Regions) > maxHashes {
		return fmt.Errorf("%w entry: %d hashes, at most %d", ErrInvalid, len(e.Hashes)+len(e.Regions), maxHashes)
	}
	for _, h := range e.Hashes {
		if err := db.checkHash(h); err != nil {
			return err
		}
	}
	for _, r := range e.Regions {
		if err := checkText("region name", r.Region, maxRegion, true); err != nil {
			return err
		}
		if err := db.checkHash(r.Hash); err != nil {
			return err
		}
	}
	if len(e.Thumbnail) > maxThumbnail {
		return fmt.Errorf("%w entry: thumbnail of %d bytes, at most %d", ErrInvalid, len(e.Thumbnail), maxThumbnail)
	}
	return nil
}

// AddEntries adds entries to bank, creating the bank if needed, in one
// transaction: either all are stored or none is. It gives each entry a new
// ID (a UUIDv7: random, and ordered by time), its Key and the current time as Created (whatever they held),
// and returns the stored entries.
func (db *DB) AddEntries(ctx context.Context, bank string, entries []medialabel.Entry) ([]medialabel.Entry, error) {
	out := make([]medialabel.Entry, 0, len(entries))
	_, err := db.Import(ctx, bank, func(yield func(medialabel.Entry, error) bool) {
		for _, e := range entries {
			if !yield(e, nil) {
				return
			}
		}
	}, func(e medialabel.Entry) { out = append(out, e) })
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Import adds the entries that seq yields to bank, creating the bank if
// needed, in one transaction, and returns how many it added. It is
// AddEntries for more entries than fit in memory comfortably: a hash list
// of millions of lines streams through it. If seq yields an error, or an
// entry is invalid, or ctx is cancelled, nothing is stored and the error
// is returned (wrapped once, with the entry's position when there is one).
// The entries may share memory with each other: Import copies what it
// keeps. If added is not nil it is called with each stored entry, its ID,
// Key and Created filled in, before the transaction commits.
func (db *DB) Import(ctx context.Context, bank string, seq iter.Seq2[medialabel.Entry, error], added func(medialabel.Entry)) (n int, err error) {
	if err := ValidBankName(bank); err != nil {
		return 0, err
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("add to bank %s: %w", bank, err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
			n = 0
			if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
				// database/sql closes the statements of a cancelled
				// transaction: say why rather than what followed.
				err = fmt.Errorf("add to bank %s: %w", bank, cerr)
			}
		}
	}()
	now := time.Now().UTC()
	bankID, err := ensureBank(ctx, tx, bank, now)
	if err != nil {
		return 0, fmt.Errorf("add to bank %s: %w", bank, err)
	}
	ins, err := newInserter(ctx, tx, db.batch)
	if err != nil {
		return 0, fmt.Errorf("add to bank %s: %w", bank, err)
	}
	defer ins.close()
	ids := bufio.NewReaderSize(rand.Reader, 16*256)
	for e, serr := range seq {
		if serr != nil {
			return 0, fmt.Errorf("add to bank %s: %w", bank, serr)
		}
		if err := db.checkEntry(&e); err != nil {
			return 0, fmt.Errorf("add to bank %s: entry %d: %w", bank, n+1, err)
		}
		id, err := uuid.NewV7FromReader(ids)
		if err != nil {
			return 0, fmt.Errorf("add to bank %s: new id: %w", bank, err)
		}
		key, err := ins.add(ctx, db, bankID, id, now, &e)
		if err != nil {
			return 0, fmt.Errorf("add to bank %s: entry %d: %w", bank, n+1, err)
		}
		n++
		if added != nil {
			e.Key, e.ID, e.Bank, e.Created = key, id.String(), bank, now
			added(e)
		}
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return 0, fmt.Errorf("add to bank %s: %w", bank, err)
			}
		}
	}
	if err := ins.flush(ctx); err != nil {
		return 0, fmt.Errorf("add to bank %s: %w", bank, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("add to bank %s: commit: %w", bank, err)
	}
	return n, nil
}

func ensureBank(ctx context.Context, tx *sql.Tx, bank string, now time.Time) (int64, error) {
	if _, err := tx.ExecContext(ctx, "INSERT INTO banks (name, created) VALUES (?, ?) ON CONFLICT (name) DO NOTHING", bank, now.UnixNano()); err != nil {
		return 0, err
	}
	var id int64
	if err := tx.QueryRowContext(ctx, "SELECT id FROM banks WHERE name = ?", bank).Scan(&id); err != nil {
		return 0, err
	}
	return id, nil
}

// defaultBatch is how many rows go into one INSERT statement: fewer,
// larger statements take about half the CPU time of one row a statement
// (BenchmarkImport compares the two).
const defaultBatch = 64

// An inserter writes entries and their hashes in multi-row INSERTs with
// prepared statements. It hands out the entry keys itself (the caller holds
// the write lock), so that entry rows can be batched too.
type inserter struct {
	nextKey int64
	entries batchStmt // 8 columns
	hashes  batchStmt // 5 columns
}

// A batchStmt buffers rows of one INSERT and sends them batch at a time.
type batchStmt struct {
	cols    int
	batch   int       // rows a statement
	full    *sql.Stmt // batch rows
	one     *sql.Stmt // one row, for the remainder
	pending []any
	bufs    [][]byte // copies of the pending rows' BLOB arguments
	nbufs   int
}

func (bs *batchStmt) prepare(ctx context.Context, tx *sql.Tx, head string, cols, batch int) error {
	row := "(?" + strings.Repeat(", ?", cols-1) + ")"
	var err error
	if bs.one, err = tx.PrepareContext(ctx, head+row); err != nil {
		return err
	}
	if bs.full, err = tx.PrepareContext(ctx, head+row+strings.Repeat(", "+row, batch-1)); err != nil {
		return err
	}
	bs.cols, bs.batch = cols, batch
	bs.pending = make([]any, 0, cols*batch)
	return nil
}

// blob returns a copy of b that stays valid until the next flush: the
// caller may reuse b's memory for the next entry before the batch goes out.
func (bs *batchStmt) blob(b []byte) []byte {
	if b == nil {
		return nil
	}
	if bs.nbufs == len(bs.bufs) {
		bs.bufs = append(bs.bufs, nil)
	}
	c := append(bs.bufs[bs.nbufs][:0], b...)
	bs.bufs[bs.nbufs] = c
	bs.nbufs++
	return c
}

func (bs *batchStmt) isFull() bool { return len(bs.pending) == bs.cols*bs.batch }

func (bs *batchStmt) flush(ctx context.Context) error {
	if bs.isFull() {
		if _, err := bs.full.ExecContext(ctx, bs.pending...); err != nil {
			return err
		}
	} else {
		for i := 0; i < len(bs.pending); i += bs.cols {
			if _, err := bs.one.ExecContext(ctx, bs.pending[i:i+bs.cols]...); err != nil {
				return err
			}
		}
	}
	clear(bs.pending)
	bs.pending = bs.pending[:0]
	bs.nbufs = 0
	return nil
}

func (bs *batchStmt) close() {
	for _, s := range []*sql.Stmt{bs.full, bs.one} {
		if s != nil {
			s.Close()
		}
	}
}

func newInserter(ctx context.Context, tx *sql.Tx, batch int) (*inserter, error) {
	ins := &inserter{}
	// Keys continue from the largest ever handed out (AUTOINCREMENT's
	// record) so that a deleted entry's key is never reused.
	err := tx.QueryRowContext(ctx, `SELECT max(
		coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'entries'), 0),
		coalesce((SELECT max(key) FROM entries), 0)) + 1`).Scan(&ins.nextKey)
	if err != nil {
		return nil, err
	}
	if err := ins.entries.prepare(ctx, tx, "INSERT INTO entries (key, id, bank_id, label, note, source, created, thumbnail) VALUES ", 8, batch); err != nil {
		ins.close()
		return nil, err
	}
	if err := ins.hashes.prepare(ctx, tx, "INSERT INTO hashes (entry_key, n, signal, region, value) VALUES ", 5, batch); err != nil {
		ins.close()
		return nil, err
	}
	return ins, nil
}

func (ins *inserter) close() {
	ins.entries.close()
	ins.hashes.close()
}

// add queues e and returns its key.
func (ins *inserter) add(ctx context.Context, db *DB, bankID int64, id uuid.UUID, created time.Time, e *medialabel.Entry) (int64, error) {
	key := ins.nextKey
	ins.nextKey++
	var thumb any
	if len(e.Thumbnail) > 0 {
		thumb = ins.entries.blob(e.Thumbnail)
	}
	ins.entries.pending = append(ins.entries.pending, key, ins.entries.blob(id[:]), bankID, e.Label, e.Note, e.Source, created.UnixNano(), thumb)
	n := 0
	for _, h := range e.Hashes {
		if err := ins.addHash(ctx, key, n, db.codes[h.Signal], nil, h.Value); err != nil {
			return 0, err
		}
		n++
	}
	for _, r := range e.Regions {
		if err := ins.addHash(ctx, key, n, db.codes[r.Hash.Signal], r.Region, r.Hash.Value); err != nil {
			return 0, err
		}
		n++
	}
	if ins.entries.isFull() {
		if err := ins.flush(ctx); err != nil {
			return 0, err
		}
	}
	return key, nil
}

func (ins *inserter) addHash(ctx context.Context, key int64, n int, code int64, region any, value []byte) error {
	if ins.hashes.isFull() {
		if err := ins.flush(ctx); err != nil {
			return err
		}
	}
	ins.hashes.pending = append(ins.hashes.pending, key, n, code, region, ins.hashes.blob(value))
	return nil
}

// flush writes the pending rows, entries before the hashes that refer to
// them.
func (ins *inserter) flush(ctx context.Context) error {
	if err := ins.entries.flush(ctx); err != nil {
		return err
	}
	return ins.hashes.flush(ctx)
}

// Banks lists the banks, by name, with their entry counts.
func (db *DB) Banks(ctx context.Context) ([]medialabel.Bank, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT b.name, (SELECT count(*) FROM entries e WHERE e.bank_id = b.id) FROM banks b ORDER BY b.name`)
	if err != nil {
		return nil, fmt.Errorf("list banks: %w", err)
	}
	defer rows.Close()
	banks := []medialabel.Bank{}
	for rows.Next() {
		var b medialabel.Bank
		if err := rows.Scan(&b.Name, &b.Entries); err != nil {
			return nil, fmt.Errorf("list banks: %w", err)
		}
		banks = append(banks, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list banks: %w", err)
	}
	return banks, nil
}

// DeleteBank removes bank with all its entries. It returns an error
// wrapping medialabel.ErrNotFound if there is no such bank.
func (db *DB) DeleteBank(ctx context.Context, bank string) error {
	res, err := db.w.ExecContext(ctx, "DELETE FROM banks WHERE name = ?", bank)
	if err != nil {
		return fmt.Errorf("delete bank %s: %w", bank, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete bank %s: %w", bank, err)
	} else if n == 0 {
		return fmt.Errorf("bank %q: %w", bank, medialabel.ErrNotFound)
	}
	return nil
}

// DeleteEntry removes the entry id of bank and its hashes. It returns an
// error wrapping medialabel.ErrNotFound if bank has no such entry.
func (db *DB) DeleteEntry(ctx context.Context, bank, id string) error {
	uid, err := uuid.Parse(id)
	if err != nil {
		return fmt.Errorf("entry %q in bank %q: %w", id, bank, medialabel.ErrNotFound)
	}
	res, err := db.w.ExecContext(ctx, "DELETE FROM entries WHERE id = ? AND bank_id = (SELECT id FROM banks WHERE name = ?)", uid[:], bank)
	if err != nil {
		return fmt.Errorf("delete entry %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete entry %s: %w", id, err)
	} else if n == 0 {
		return fmt.Errorf("entry %q in bank %q: %w", id, bank, medialabel.ErrNotFound)
	}
	return nil
}

const entryColumns = "e.key, e.id, b.name, e.label, e.note, e.source, e.created"

// Entry returns the entry id of bank with its hashes and thumbnail. It
// returns an error wrapping medialabel.ErrNotFound if there is none.
func (db *DB) Entry(ctx context.Context, bank, id string) (medialabel.Entry, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return medialabel.Entry{}, fmt.Errorf("entry %q in bank %q: %w", id, bank, medialabel.ErrNotFound)
	}
	e, err := db.oneEntry(ctx, "SELECT "+entryColumns+", e.thumbnail FROM entries e JOIN banks b ON b.id = e.bank_id WHERE e.id = ? AND b.name = ?", uid[:], bank)
	if errors.Is(err, sql.ErrNoRows) {
		return medialabel.Entry{}, fmt.Errorf("entry %q in bank %q: %w", id, bank, medialabel.ErrNotFound)
	}
	if err != nil {
		return medialabel.Entry{}, fmt.Errorf("entry %s: %w", id, err)
	}
	return e, nil
}

// EntryByKey returns the entry whose Key is key, with its hashes but
// without its thumbnail. It returns an error wrapping
// medialabel.ErrNotFound if there is none.
func (db *DB) EntryByKey(ctx context.Context, key int64) (medialabel.Entry, error) {
	e, err := db.oneEntry(ctx, "SELECT "+entryColumns+", NULL FROM entries e JOIN banks b ON b.id = e.bank_id WHERE e.key = ?", key)
	if errors.Is(err, sql.ErrNoRows) {
		return medialabel.Entry{}, fmt.Errorf("entry key %d: %w", key, medialabel.ErrNotFound)
	}
	if err != nil {
		return medialabel.Entry{}, fmt.Errorf("entry key %d: %w", key, err)
	}
	return e, nil
}

// oneEntry reads the entry that query selects, and its hashes, from one
// snapshot.
func (db *DB) oneEntry(ctx context.Context, query string, args ...any) (medialabel.Entry, error) {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return medialabel.Entry{}, err
	}
	defer tx.Rollback()
	var e medialabel.Entry
	var id []byte
	var created int64
	if err := tx.QueryRowContext(ctx, query, args...).Scan(&e.Key, &id, &e.Bank, &e.Label, &e.Note, &e.Source, &created, &e.Thumbnail); err != nil {
		return medialabel.Entry{}, err
	}
	if e.ID, err = formatID(id); err != nil {
		return medialabel.Entry{}, err
	}
	e.Created = time.Unix(0, created).UTC()
	rows, err := tx.QueryContext(ctx, "SELECT signal, region, value FROM hashes WHERE entry_key = ? ORDER BY n", e.Key)
	if err != nil {
		return medialabel.Entry{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var code int64
		var region sql.NullString
		var value []byte
		if err := rows.Scan(&code, &region, &value); err != nil {
			return medialabel.Entry{}, err
		}
		if err := db.appendHash(&e, code, region, value); err != nil {
			return medialabel.Entry{}, err
		}
	}
	return e, rows.Err()
}

func (db *DB) appendHash(e *medialabel.Entry, code int64, region sql.NullString, value []byte) error {
	sig, ok := db.signals[code]
	if !ok {
		return fmt.Errorf("entry %s: hash of unknown signal code %d", e.ID, code)
	}
	h := medialabel.Hash{Signal: sig, Value: value}
	if region.Valid {
		e.Regions = append(e.Regions, medialabel.RegionHash{Region: region.String, Hash: h})
	} else {
		e.Hashes = append(e.Hashes, h)
	}
	return nil
}

func formatID(b []byte) (string, error) {
	id, err := uuid.FromBytes(b)
	if err != nil {
		return "", fmt.Errorf("stored entry id %x: %w", b, err)
	}
	return id.String(), nil
}

// ListEntries calls fn for each entry that f selects (every bank's if
// f.Bank is empty), with its hashes and regions but without its
// thumbnail, in the order they were added. An error from fn stops the walk
// and is returned as it is. A bank that does not exist, or an f.After
// that is not among the selected entries, gives an error wrapping
// medialabel.ErrNotFound; a bank with no entries gives no calls. The walk
// reads one snapshot: writes made meanwhile are not seen. A listing that
// starts after an entry reads from that entry on, through the primary
// key, not from the start of the bank.
func (db *DB) ListEntries(ctx context.Context, f medialabel.EntryFilter, fn func(medialabel.Entry) error) error {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("list entries: %w", err)
	}
	defer tx.Rollback()
	// bankID 0 selects every bank (ids start at 1); keys start at 1.
	var bankID, after int64
	if f.Bank != "" {
		if err := tx.QueryRowContext(ctx, "SELECT id FROM banks WHERE name = ?", f.Bank).Scan(&bankID); errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("bank %q: %w", f.Bank, medialabel.ErrNotFound)
		} else if err != nil {
			return fmt.Errorf("list entries: %w", err)
		}
	}
	if f.After != "" {
		notFound := fmt.Errorf("entry %q in bank %q: %w", f.After, f.Bank, medialabel.ErrNotFound)
		uid, err := uuid.Parse(f.After)
		if err != nil {
			return notFound
		}
		err = tx.QueryRowContext(ctx, "SELECT key FROM entries WHERE id = ? AND (? = 0 OR bank_id = ?)", uid[:], bankID, bankID).Scan(&after)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound
		} else if err != nil {
			return fmt.Errorf("list entries: %w", err)
		}
	}
	var erows, hrows *sql.Rows
	if bankID == 0 {
		erows, err = tx.QueryContext(ctx, "SELECT "+entryColumns+" FROM entries e JOIN banks b ON b.id = e.bank_id WHERE e.key > ? ORDER BY e.key", after)
		if err == nil {
			hrows, err = tx.QueryContext(ctx, "SELECT entry_key, signal, region, value FROM hashes WHERE entry_key > ? ORDER BY entry_key, n", after)
		}
	} else {
		erows, err = tx.QueryContext(ctx, "SELECT "+entryColumns+" FROM entries e JOIN banks b ON b.id = e.bank_id WHERE e.bank_id = ? AND e.key > ? ORDER BY e.key", bankID, after)
		if err == nil {
			hrows, err = tx.QueryContext(ctx, "SELECT h.entry_key, h.signal, h.region, h.value FROM entries e JOIN hashes h ON h.entry_key = e.key WHERE e.bank_id = ? AND e.key > ? ORDER BY e.key, h.n", bankID, after)
		}
	}
	if erows != nil {
		defer erows.Close()
	}
	if hrows != nil {
		defer hrows.Close()
	}
	if err != nil {
		return fmt.Errorf("list entries: %w", err)
	}
	// Both queries run in key order: walk them side by side.
	var (
		hkey    int64
		code    int64
		region  sql.NullString
		value   []byte
		hasHash = hrows.Next()
	)
	if hasHash {
		if err := hrows.Scan(&hkey, &code, &region, &value); err != nil {
			return fmt.Errorf("list entries: %w", err)
		}
	}
	for erows.Next() {
		var e medialabel.Entry
		var id []byte
		var created int64
		if err := erows.Scan(&e.Key, &id, &e.Bank, &e.Label, &e.Note, &e.Source, &created); err != nil {
			return fmt.Errorf("list entries: %w", err)
		}
		if e.ID, err = formatID(id); err != nil {
			return fmt.Errorf("list entries: %w", err)
		}
		e.Created = time.Unix(0, created).UTC()
		for hasHash && hkey <= e.Key {
			if hkey == e.Key {
				if err := db.appendHash(&e, code, region, value); err != nil {
					return fmt.Errorf("list entries: %w", err)
				}
			}
			value = nil // Scan allocates a new slice; the entry keeps this one
			if hasHash = hrows.Next(); hasHash {
				if err := hrows.Scan(&hkey, &code, &region, &value); err != nil {
					return fmt.Errorf("list entries: %w", err)
				}
			}
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := erows.Err(); err != nil {
		return fmt.Errorf("list entries: %w", err)
	}
	if err := hrows.Err(); err != nil {
		return fmt.Errorf("list entries: %w", err)
	}
	return nil
}
