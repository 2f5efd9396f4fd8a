package server

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers driver "sqlite"

	"github.com/tandemkit/tandem/pkg/wire"
)

// SQLiteOptions configures OpenSQLite; the zero value gives the defaults.
type SQLiteOptions struct {
	// Readers is the number of read connections; 4 by default.
	Readers int
	// BusyTimeoutMs is how long a connection waits on a lock; 10000 by
	// default.
	BusyTimeoutMs int
	// Synchronous is the PRAGMA synchronous level; "FULL" by default, which
	// makes every commit durable. "NORMAL" is faster and may lose the last
	// commits on power loss (never on a process crash).
	Synchronous string
}

// SQLite is the embedded Store: one database file in WAL mode, one writer
// connection and a pool of readers. Create it with OpenSQLite.
type SQLite struct {
	w, r   *sql.DB
	mu     sync.Mutex // serializes Update and Close; the writer pool has one connection anyway
	stmts  map[string]*sql.Stmt
	closed atomic.Bool
}

const sqliteSchema = `
CREATE TABLE IF NOT EXISTS topics (
	topic  TEXT PRIMARY KEY,
	epoch  TEXT NOT NULL,
	seq    INTEGER NOT NULL,
	access INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS entities (
	collection TEXT NOT NULL,
	id         TEXT NOT NULL,
	version    INTEGER NOT NULL,
	deleted    INTEGER NOT NULL,
	data       TEXT,
	part       TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (collection, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
	topic       TEXT NOT NULL,
	seq         INTEGER NOT NULL,
	id          TEXT NOT NULL,
	op          TEXT NOT NULL,
	version     INTEGER NOT NULL,
	data        TEXT,
	client_id   TEXT NOT NULL,
	mutation_id INTEGER NOT NULL,
	ts          INTEGER NOT NULL,
	access      INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (topic, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS clients (
	client_id        TEXT PRIMARY KEY,
	last_mutation_id INTEGER NOT NULL,
	principal        TEXT NOT NULL DEFAULT '',
	seen             INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS responses (
	client_id   TEXT NOT NULL,
	mutation_id INTEGER NOT NULL,
	status      INTEGER NOT NULL,
	body        BLOB NOT NULL,
	PRIMARY KEY (client_id, mutation_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS idx (
	collection TEXT NOT NULL,
	name       TEXT NOT NULL,
	key        TEXT NOT NULL,
	id         TEXT NOT NULL,
	PRIMARY KEY (collection, name, key, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_by_id ON idx (collection, name, id);
CREATE TABLE IF NOT EXISTS index_signatures (
	collection TEXT NOT NULL,
	name       TEXT NOT NULL,
	signature  TEXT NOT NULL,
	PRIMARY KEY (collection, name)
) WITHOUT ROWID;
`

// sqliteMigrateClients brings a clients table from before principals and
// expiry up to date: existing clients belong to the anonymous principal ""
// and count as seen now (the database's clock, once), so they expire after
// the retention period like new ones.
const sqliteMigrateClients = `
ALTER TABLE clients ADD COLUMN principal TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN seen INTEGER NOT NULL DEFAULT 0;
UPDATE clients SET seen = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER);
`

// sqliteMigratePartitions brings the tables from before partitions up to
// date: every entity is in no partition, every topic and event at access
// generation 0.
const sqliteMigratePartitions = `
ALTER TABLE entities ADD COLUMN part TEXT NOT NULL DEFAULT '';
ALTER TABLE topics ADD COLUMN access INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN access INTEGER NOT NULL DEFAULT 0;
`

// sqliteLateSchema needs the migrated columns. entities_live lets a
// listing of live entities skip the tombstones, which are kept forever;
// entities_part lists a partition; departures holds the entities that
// left a partition for another, kept forever like tombstones.
const sqliteLateSchema = `CREATE INDEX IF NOT EXISTS clients_by_seen ON clients (seen);
CREATE INDEX IF NOT EXISTS entities_live ON entities (collection, id) WHERE deleted = 0;
CREATE INDEX IF NOT EXISTS entities_part ON entities (collection, part, id);
CREATE TABLE IF NOT EXISTS departures (
	collection TEXT NOT NULL,
	part       TEXT NOT NULL,
	id         TEXT NOT NULL,
	version    INTEGER NOT NULL,
	PRIMARY KEY (collection, part, id)
) WITHOUT ROWID;`

// Statement texts, prepared once on the writer connection.
const (
	qTopic     = `SELECT epoch, seq, COALESCE((SELECT MIN(seq) FROM events WHERE topic = ?1), 0), access FROM topics WHERE topic = ?1`
	qGet       = `SELECT version, deleted, data, part FROM entities WHERE collection = ? AND id = ?`
	qList      = `SELECT id, version, deleted, data, part FROM entities WHERE collection = ? AND id > ? ORDER BY id LIMIT ?`
	qListLive  = `SELECT id, version, deleted, data, part FROM entities INDEXED BY entities_live WHERE collection = ? AND id > ? AND deleted = 0 ORDER BY id LIMIT ?`
	qListPart  = `SELECT id, version, deleted, data FROM (SELECT id, version, deleted, data FROM entities WHERE collection = ?1 AND part = ?2 AND id > ?3 UNION ALL SELECT id, version, 1, NULL FROM departures WHERE collection = ?1 AND part = ?2 AND id > ?3) ORDER BY id LIMIT ?4`
	qListPartL = `SELECT id, version, deleted, data FROM entities WHERE collection = ? AND part = ? AND id > ? AND deleted = 0 ORDER BY id LIMIT ?`
	qTopics    = `SELECT topic FROM topics WHERE topic > ? ORDER BY topic LIMIT ?`
	qEvents    = `SELECT seq, id, op, version, data, client_id, mutation_id, ts, access FROM events WHERE topic = ? AND seq > ? ORDER BY seq LIMIT ?`
	qClient    = `SELECT principal, last_mutation_id, seen FROM clients WHERE client_id = ?`
	qLookup    = `SELECT id FROM idx WHERE collection = ? AND name = ? AND key = ? ORDER BY id`
	qNewTopic  = `INSERT INTO topics (topic, epoch, seq) VALUES (?, ?, 0) ON CONFLICT (topic) DO NOTHING`
	qNextSeq   = `UPDATE topics SET seq = seq + 1 WHERE topic = ? RETURNING seq, access`
	qBumpAcc   = `UPDATE topics SET access = access + 1 WHERE topic = ? RETURNING access`
	qSetEpoch  = `UPDATE topics SET epoch = ? WHERE topic = ? RETURNING seq`
	qDropLog   = `DELETE FROM events WHERE topic = ?`
	qPut       = `INSERT INTO entities (collection, id, version, deleted, data, part) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (collection, id) DO UPDATE SET version = excluded.version, deleted = excluded.deleted, data = excluded.data, part = excluded.part`
	qAppend    = `INSERT INTO events (topic, seq, id, op, version, data, client_id, mutation_id, ts, access) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qDepart    = `INSERT INTO departures (collection, part, id, version) VALUES (?, ?, ?, ?) ON CONFLICT (collection, part, id) DO UPDATE SET version = excluded.version`
	qArrive    = `DELETE FROM departures WHERE collection = ? AND part = ? AND id = ?`
	qPrune     = `DELETE FROM events WHERE topic = ? AND seq <= ?`
	qResponse  = `SELECT status, body FROM responses WHERE client_id = ? AND mutation_id = ?`
	qSaveResp  = `INSERT INTO responses (client_id, mutation_id, status, body) VALUES (?, ?, ?, ?) ON CONFLICT (client_id, mutation_id) DO UPDATE SET status = excluded.status, body = excluded.body`
	qSaveLMID  = `INSERT INTO clients (client_id, principal, last_mutation_id, seen) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (client_id) DO UPDATE SET last_mutation_id = MAX(last_mutation_id, ?3), seen = ?4`
	qPruneResp = `DELETE FROM responses WHERE client_id = ?1 AND mutation_id < (SELECT mutation_id FROM responses WHERE client_id = ?1 ORDER BY mutation_id DESC LIMIT 1 OFFSET ?2)`
	qDelIndex  = `DELETE FROM idx WHERE collection = ? AND name = ? AND id = ?`
	qAddIndex  = `INSERT INTO idx (collection, name, key, id) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`
	qPruneCR   = `DELETE FROM responses WHERE client_id IN (SELECT client_id FROM clients WHERE seen < ?1 ORDER BY seen, client_id LIMIT ?2)`
	qPruneCl   = `DELETE FROM clients WHERE client_id IN (SELECT client_id FROM clients WHERE seen < ?1 ORDER BY seen, client_id LIMIT ?2)`
	qIndexSigs = `SELECT name, signature FROM index_signatures WHERE collection = ?`
	qDropIndex = `DELETE FROM idx WHERE collection = ? AND name = ?`
	qSetSig    = `INSERT INTO index_signatures (collection, name, signature) VALUES (?, ?, ?) ON CONFLICT (collection, name) DO UPDATE SET signature = excluded.signature`
	qDelSig    = `DELETE FROM index_signatures WHERE collection = ? AND name = ?`
)

// OpenSQLite opens (creating on first use) the database file at path, in
// WAL mode with durable commits, and creates the schema. Close it when done.
func OpenSQLite(path string, opts SQLiteOptions) (*SQLite, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("server: sqlite path %q must be a plain file path", path)
	}
	if opts.Readers <= 0 {
		opts.Readers = 4
	}
	if opts.BusyTimeoutMs <= 0 {
		opts.BusyTimeoutMs = 10000
	}
	switch strings.ToUpper(opts.Synchronous) {
	case "":
		opts.Synchronous = "FULL"
	case "FULL", "NORMAL", "EXTRA", "OFF":
	default:
		return nil, fmt.Errorf("server: sqlite synchronous %q is not FULL, NORMAL, EXTRA or OFF", opts.Synchronous)
	}
	common := fmt.Sprintf("?_pragma=busy_timeout(%d)&_pragma=journal_mode(WAL)&_pragma=synchronous(%s)", opts.BusyTimeoutMs, opts.Synchronous)
	w, err := sql.Open("sqlite", path+common+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("server: open sqlite %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := sqliteCreateSchema(w); err != nil {
		w.Close()
		return nil, fmt.Errorf("server: create sqlite schema in %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", path+common+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("server: open sqlite %s: %w", path, err)
	}
	r.SetMaxOpenConns(opts.Readers)
	r.SetMaxIdleConns(opts.Readers)
	s := &SQLite{w: w, r: r, stmts: make(map[string]*sql.Stmt)}
	for _, q := range []string{qTopic, qGet, qList, qListLive, qListPart, qListPartL, qEvents, qClient, qLookup, qNewTopic, qNextSeq, qBumpAcc, qPut, qAppend, qPrune, qResponse, qSaveResp, qSaveLMID, qPruneResp, qDelIndex, qAddIndex, qDepart, qArrive} {
		st, err := w.Prepare(q)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("server: prepare %q: %w", q, err)
		}
		s.stmts[q] = st
	}
	return s, nil
}

// sqliteCreateSchema creates the tables on first use and migrates a
// database written by an earlier version, in one transaction.
func sqliteCreateSchema(w *sql.DB) error {
	tx, err := w.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // committed below on success
	if _, err := tx.Exec(sqliteSchema); err != nil {
		return err
	}
	var hasPrincipal int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM pragma_table_info('clients') WHERE name = 'principal'`).Scan(&hasPrincipal); err != nil {
		return err
	}
	if hasPrincipal == 0 {
		if _, err := tx.Exec(sqliteMigrateClients); err != nil {
			return fmt.Errorf("migrate clients: %w", err)
		}
	}
	var hasPart int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM pragma_table_info('entities') WHERE name = 'part'`).Scan(&hasPart); err != nil {
		return err
	}
	if hasPart == 0 {
		if _, err := tx.Exec(sqliteMigratePartitions); err != nil {
			return fmt.Errorf("migrate to partitions: %w", err)
		}
	}
	if _, err := tx.Exec(sqliteLateSchema); err != nil {
		return err
	}
	return tx.Commit()
}

// Close closes both connection pools. It waits for nothing: callers stop
// using the store first. View and Update return ErrStoreClosed afterwards.
func (s *SQLite) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Swap(true) {
		return nil
	}
	for _, st := range s.stmts {
		st.Close()
	}
	return errors.Join(s.w.Close(), s.r.Close())
}

// View implements Store.
func (s *SQLite) View(ctx context.Context, fn func(ReadTx) error) error {
	if s.closed.Load() {
		return ErrStoreClosed
	}
	tx, err := s.r.BeginTx(ctx, nil)
	if err != nil {
		if s.closed.Load() {
			return ErrStoreClosed // closed meanwhile
		}
		return s.wrapErr("begin read", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	return fn(&sqliteTx{tx: tx})
}

// Update implements Store.
func (s *SQLite) Update(ctx context.Context, fn func(WriteTx) error) (err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return ErrStoreClosed
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return s.wrapErr("begin write", err)
	}
	done := false
	defer func() {
		if !done {
			tx.Rollback() //nolint:errcheck // already failing
		}
	}()
	if err := fn(&sqliteTx{tx: tx, stmts: s.stmts}); err != nil {
		return err
	}
	done = true
	if err := tx.Commit(); err != nil {
		return s.wrapErr("commit", err)
	}
	return nil
}

func (s *SQLite) wrapErr(what string, err error) error {
	return fmt.Errorf("server: sqlite %s: %w", what, err)
}

// sqliteTx implements WriteTx over one *sql.Tx. stmts is nil for reads: read
// transactions run on the reader pool, where the writer's prepared
// statements do not live.
type sqliteTx struct {
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
}

func (t *sqliteTx) stmt(ctx context.Context, q string) *sql.Stmt {
	if st, ok := t.stmts[q]; ok {
		return t.tx.StmtContext(ctx, st)
	}
	return nil
}

func (t *sqliteTx) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := t.stmt(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, q, args...)
}

func (t *sqliteTx) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	if st := t.stmt(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, q, args...)
}

func (t *sqliteTx) exec(ctx context.Context, q string, args ...any) error {
	var err error
	if st := t.stmt(ctx, q); st != nil {
		_, err = st.ExecContext(ctx, args...)
	} else {
		_, err = t.tx.ExecContext(ctx, q, args...)
	}
	if err != nil {
		return fmt.Errorf("server: sqlite: %w", err)
	}
	return nil
}

func noRows(err error) (bool, error) {
	if errors.Is(err, sql.ErrNoRows) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("server: sqlite: %w", err)
	}
	return false, nil
}

func (t *sqliteTx) Topic(ctx context.Context, topic string) (TopicState, bool, error) {
	var st TopicState
	var seq, min, access int64
	none, err := noRows(t.queryRow(ctx, qTopic, topic).Scan(&st.Epoch, &seq, &min, &access))
	if none || err != nil {
		return TopicState{}, false, err
	}
	st.Seq, st.MinSeq, st.Access = uint64(seq), uint64(min), uint64(access)
	return st, true, nil
}

func (t *sqliteTx) Get(ctx context.Context, collection, id string) (Record, bool, error) {
	rec := Record{Collection: collection, ID: id}
	var version int64
	var data sql.NullString
	none, err := noRows(t.queryRow(ctx, qGet, collection, id).Scan(&version, &rec.Deleted, &data, &rec.Partition))
	if none || err != nil {
		return Record{}, false, err
	}
	rec.Version = uint64(version)
	if data.Valid && !rec.Deleted {
		rec.Data = []byte(data.String)
	}
	return rec, true, nil
}

func (t *sqliteTx) List(ctx context.Context, collection, afterID string, limit int, withDeleted bool) ([]Record, error) {
	q := qListLive
	if withDeleted {
		q = qList
	}
	return t.records(ctx, collection, "", true, q, collection, afterID, limit)
}

func (t *sqliteTx) ListPartition(ctx context.Context, collection, partition, afterID string, limit int, withDeleted bool) ([]Record, error) {
	if withDeleted {
		return t.records(ctx, collection, partition, false, qListPart, collection, partition, afterID, limit)
	}
	return t.records(ctx, collection, partition, false, qListPartL, collection, partition, afterID, limit)
}

// records runs a listing of entities: id, version, deleted, data and, if
// withPart, part (else every row is in partition).
func (t *sqliteTx) records(ctx context.Context, collection, partition string, withPart bool, q string, args ...any) ([]Record, error) {
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("server: sqlite list: %w", err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		rec := Record{Collection: collection, Partition: partition}
		var version int64
		var data sql.NullString
		dest := []any{&rec.ID, &version, &rec.Deleted, &data}
		if withPart {
			dest = append(dest, &rec.Partition)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("server: sqlite list: %w", err)
		}
		rec.Version = uint64(version)
		if data.Valid && !rec.Deleted {
			rec.Data = []byte(data.String)
		}
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("server: sqlite list: %w", err)
	}
	return out, nil
}

func (t *sqliteTx) Topics(ctx context.Context, after string, limit int) ([]string, error) {
	rows, err := t.query(ctx, qTopics, after, limit)
	if err != nil {
		return nil, fmt.Errorf("server: sqlite topics: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var topic string
		if err := rows.Scan(&topic); err != nil {
			return nil, fmt.Errorf("server: sqlite topics: %w", err)
		}
		out = append(out, topic)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("server: sqlite topics: %w", err)
	}
	return out, nil
}

func (t *sqliteTx) Events(ctx context.Context, topic string, afterSeq uint64, limit int) ([]EventRecord, error) {
	rows, err := t.query(ctx, qEvents, topic, int64(afterSeq), limit)
	if err != nil {
		return nil, fmt.Errorf("server: sqlite events: %w", err)
	}
	defer rows.Close()
	var out []EventRecord
	for rows.Next() {
		ev := EventRecord{Topic: topic}
		var seq, version, mid, access int64
		var data sql.NullString
		var op string
		if err := rows.Scan(&seq, &ev.ID, &op, &version, &data, &ev.ClientID, &mid, &ev.TS, &access); err != nil {
			return nil, fmt.Errorf("server: sqlite events: %w", err)
		}
		ev.Seq, ev.Version, ev.MutationID, ev.Access = uint64(seq), uint64(version), uint64(mid), uint64(access)
		ev.Op = opOf(op)
		if data.Valid {
			ev.Data = []byte(data.String)
		}
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("server: sqlite events: %w", err)
	}
	return out, nil
}

func (t *sqliteTx) Client(ctx context.Context, clientID string) (ClientState, bool, error) {
	var c ClientState
	var lmid, seen int64
	none, err := noRows(t.queryRow(ctx, qClient, clientID).Scan(&c.Principal, &lmid, &seen))
	if none || err != nil {
		return ClientState{}, false, err
	}
	c.LastMutationID, c.Seen = uint64(lmid), time.UnixMilli(seen)
	return c, true, nil
}

func (t *sqliteTx) Lookup(ctx context.Context, collection, index, key string) ([]string, error) {
	rows, err := t.query(ctx, qLookup, collection, index, key)
	if err != nil {
		return nil, fmt.Errorf("server: sqlite lookup: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("server: sqlite lookup: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("server: sqlite lookup: %w", err)
	}
	return ids, nil
}

func (t *sqliteTx) CreateTopic(ctx context.Context, topic, epoch string) (TopicState, error) {
	if err := t.exec(ctx, qNewTopic, topic, epoch); err != nil {
		return TopicState{}, err
	}
	st, _, err := t.Topic(ctx, topic)
	return st, err
}

func (t *sqliteTx) ResetTopic(ctx context.Context, topic, epoch string) error {
	var seq int64
	none, err := noRows(t.queryRow(ctx, qSetEpoch, epoch, topic).Scan(&seq))
	if err != nil {
		return err
	}
	if none {
		return fmt.Errorf("%w %q", ErrNoTopic, topic)
	}
	return t.exec(ctx, qDropLog, topic)
}

func (t *sqliteTx) NextSeq(ctx context.Context, topic string) (uint64, uint64, error) {
	var seq, access int64
	none, err := noRows(t.queryRow(ctx, qNextSeq, topic).Scan(&seq, &access))
	if err != nil {
		return 0, 0, err
	}
	if none {
		return 0, 0, fmt.Errorf("%w %q", ErrNoTopic, topic)
	}
	return uint64(seq), uint64(access), nil
}

func (t *sqliteTx) BumpAccess(ctx context.Context, topic string) (uint64, error) {
	var access int64
	none, err := noRows(t.queryRow(ctx, qBumpAcc, topic).Scan(&access))
	if err != nil {
		return 0, err
	}
	if none {
		return 0, fmt.Errorf("%w %q", ErrNoTopic, topic)
	}
	return uint64(access), nil
}

func (t *sqliteTx) Put(ctx context.Context, rec Record) error {
	var data any
	if !rec.Deleted {
		data = string(rec.Data)
	}
	return t.exec(ctx, qPut, rec.Collection, rec.ID, int64(rec.Version), rec.Deleted, data, rec.Partition)
}

func (t *sqliteTx) SetDeparted(ctx context.Context, collection, partition, id string, version uint64) error {
	if version == 0 {
		return t.exec(ctx, qArrive, collection, partition, id)
	}
	return t.exec(ctx, qDepart, collection, partition, id, int64(version))
}

func (t *sqliteTx) AppendEvent(ctx context.Context, ev EventRecord, keep int) error {
	var data any
	if ev.Data != nil {
		data = string(ev.Data)
	}
	if err := t.exec(ctx, qAppend, ev.Topic, int64(ev.Seq), ev.ID, string(ev.Op), int64(ev.Version), data, ev.ClientID, int64(ev.MutationID), ev.TS, int64(ev.Access)); err != nil {
		return err
	}
	if keep < 1 {
		keep = 1
	}
	if ev.Seq > uint64(keep) {
		return t.exec(ctx, qPrune, ev.Topic, int64(ev.Seq)-int64(keep))
	}
	return nil
}

func (t *sqliteTx) DropEvents(ctx context.Context, topic string, through uint64) error {
	return t.exec(ctx, qPrune, topic, int64(through))
}

func (t *sqliteTx) Response(ctx context.Context, clientID string, mutationID uint64) (StoredResponse, bool, error) {
	var r StoredResponse
	none, err := noRows(t.queryRow(ctx, qResponse, clientID, int64(mutationID)).Scan(&r.Status, &r.Body))
	if none || err != nil {
		return StoredResponse{}, false, err
	}
	return r, true, nil
}

func (t *sqliteTx) SaveResponse(ctx context.Context, clientID, principal string, mutationID uint64, r StoredResponse, keep int, now time.Time) error {
	if err := t.exec(ctx, qSaveResp, clientID, int64(mutationID), r.Status, r.Body); err != nil {
		return err
	}
	if err := t.exec(ctx, qSaveLMID, clientID, principal, int64(mutationID), now.UnixMilli()); err != nil {
		return err
	}
	if keep < 1 {
		keep = 1
	}
	return t.exec(ctx, qPruneResp, clientID, keep-1)
}

func (t *sqliteTx) SetIndex(ctx context.Context, collection, index, id string, keys []string) error {
	if err := t.exec(ctx, qDelIndex, collection, index, id); err != nil {
		return err
	}
	for _, k := range keys {
		if err := t.exec(ctx, qAddIndex, collection, index, k, id); err != nil {
			return err
		}
	}
	return nil
}

func (t *sqliteTx) PruneClients(ctx context.Context, before time.Time, limit int) (int, error) {
	if err := t.exec(ctx, qPruneCR, before.UnixMilli(), limit); err != nil {
		return 0, err
	}
	res, err := t.tx.ExecContext(ctx, qPruneCl, before.UnixMilli(), limit)
	if err != nil {
		return 0, fmt.Errorf("server: sqlite: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("server: sqlite: %w", err)
	}
	return int(n), nil
}

func (t *sqliteTx) IndexSignatures(ctx context.Context, collection string) (map[string]string, error) {
	rows, err := t.query(ctx, qIndexSigs, collection)
	if err != nil {
		return nil, fmt.Errorf("server: sqlite index signatures: %w", err)
	}
	defer rows.Close()
	out := make(map[string]string)
	for rows.Next() {
		var name, sig string
		if err := rows.Scan(&name, &sig); err != nil {
			return nil, fmt.Errorf("server: sqlite index signatures: %w", err)
		}
		out[name] = sig
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("server: sqlite index signatures: %w", err)
	}
	return out, nil
}

func (t *sqliteTx) ResetIndex(ctx context.Context, collection, index, signature string) error {
	if err := t.exec(ctx, qDropIndex, collection, index); err != nil {
		return err
	}
	if signature == "" {
		return t.exec(ctx, qDelSig, collection, index)
	}
	return t.exec(ctx, qSetSig, collection, index, signature)
}

// Savepoint names are generated by the server ("m1", "m2", ...), never from
// input, so they are safe to splice into the statement.
func (t *sqliteTx) Savepoint(ctx context.Context, name string) error {
	return t.exec(ctx, "SAVEPOINT "+name)
}

func (t *sqliteTx) RollbackTo(ctx context.Context, name string) error {
	return t.exec(ctx, "ROLLBACK TO "+name)
}

func (t *sqliteTx) Release(ctx context.Context, name string) error {
	return t.exec(ctx, "RELEASE "+name)
}

func opOf(s string) wire.Op { return wire.Op(s) }
