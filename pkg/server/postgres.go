package server

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tandemkit/tandem/pkg/wire"
)

// PostgresOptions configures OpenPostgres; the zero value gives the defaults.
type PostgresOptions struct {
	// MaxConns is the size of the connection pool; the URL's
	// pool_max_conns, or 10, by default. A PostgresBus opens one more
	// connection of its own, for LISTEN.
	MaxConns int
}

// Postgres is the Store of one PostgreSQL database (schema), which several
// server instances may share: each instance opens its own Postgres on the
// same database, and a PostgresBus carries every instance's events to the
// others. Create it with OpenPostgres.
//
// Tables live in the connection's current schema (the first schema of its
// search_path that exists: public unless the URL sets search_path), named
// tandem_*. Updates of every instance take one transaction-level advisory
// lock of that schema first, so they run one at a time across all
// instances: that makes them serializable (Store's contract: a hook's read,
// a unique index check, a PATCH merge never race another instance's write),
// and it is what keeps each topic's seq contiguous and gap-free in commit
// order (see Update). Reads (View) take no lock and run in parallel, on
// a REPEATABLE READ snapshot.
type Postgres struct {
	pool    *pgxpool.Pool
	conn    *pgx.ConnConfig // for the LISTEN connection of a PostgresBus
	schema  string
	lockKey int64  // the advisory lock of Update, derived from the schema
	channel string // the NOTIFY channel, derived from the schema
	closed  atomic.Bool
}

// pgSchemaVersion is the version of the tables this code reads and writes;
// pgMigration(v) brings version v-1 to v.
const pgSchemaVersion = 2

func pgMigration(v int) string {
	switch v {
	case 1:
		return pgSchemaV1
	case 2:
		return pgSchemaV2
	}
	panic(fmt.Sprintf("server: no migration to version %d", v))
}

// pgSchemaV1 creates the tables. Text that is compared or ordered is
// COLLATE "C" (bytes, as Go compares strings and as SQLite does); text that
// may hold any byte, NUL included (index keys, principals, JSON), is BYTEA.
const pgSchemaV1 = `CREATE TABLE tandem_topics (
		topic TEXT COLLATE "C" PRIMARY KEY,
		epoch TEXT NOT NULL,
		seq   BIGINT NOT NULL
	);
	CREATE TABLE tandem_entities (
		collection TEXT COLLATE "C" NOT NULL,
		id         TEXT COLLATE "C" NOT NULL,
		version    BIGINT NOT NULL,
		deleted    BOOLEAN NOT NULL,
		data       BYTEA,
		PRIMARY KEY (collection, id)
	);
	CREATE INDEX tandem_entities_live ON tandem_entities (collection, id) WHERE NOT deleted;
	CREATE TABLE tandem_events (
		topic       TEXT COLLATE "C" NOT NULL,
		seq         BIGINT NOT NULL,
		id          TEXT COLLATE "C" NOT NULL,
		op          TEXT NOT NULL,
		version     BIGINT NOT NULL,
		data        BYTEA,
		client_id   TEXT COLLATE "C" NOT NULL,
		mutation_id BIGINT NOT NULL,
		ts          BIGINT NOT NULL,
		PRIMARY KEY (topic, seq)
	);
	CREATE TABLE tandem_clients (
		client_id        TEXT COLLATE "C" PRIMARY KEY,
		principal        BYTEA NOT NULL,
		last_mutation_id BIGINT NOT NULL,
		seen             BIGINT NOT NULL
	);
	CREATE INDEX tandem_clients_by_seen ON tandem_clients (seen, client_id);
	CREATE TABLE tandem_responses (
		client_id   TEXT COLLATE "C" NOT NULL,
		mutation_id BIGINT NOT NULL,
		status      INTEGER NOT NULL,
		body        BYTEA NOT NULL,
		PRIMARY KEY (client_id, mutation_id)
	);
	CREATE TABLE tandem_idx (
		collection TEXT COLLATE "C" NOT NULL,
		name       TEXT COLLATE "C" NOT NULL,
		key        BYTEA NOT NULL,
		id         TEXT COLLATE "C" NOT NULL,
		PRIMARY KEY (collection, name, key, id)
	);
	CREATE INDEX tandem_idx_by_id ON tandem_idx (collection, name, id);
	CREATE TABLE tandem_index_signatures (
		collection TEXT COLLATE "C" NOT NULL,
		name       TEXT COLLATE "C" NOT NULL,
		signature  TEXT NOT NULL,
		PRIMARY KEY (collection, name)
	);`

// pgSchemaV2 adds partitions: each entity's partition key, the entities
// that left a partition for another (kept forever, like tombstones), and
// the access generation of each topic and event.
const pgSchemaV2 = `ALTER TABLE tandem_entities ADD COLUMN part TEXT COLLATE "C" NOT NULL DEFAULT '';
	CREATE INDEX tandem_entities_part ON tandem_entities (collection, part, id);
	ALTER TABLE tandem_topics ADD COLUMN access BIGINT NOT NULL DEFAULT 0;
	ALTER TABLE tandem_events ADD COLUMN access BIGINT NOT NULL DEFAULT 0;
	CREATE TABLE tandem_departures (
		collection TEXT COLLATE "C" NOT NULL,
		part       TEXT COLLATE "C" NOT NULL,
		id         TEXT COLLATE "C" NOT NULL,
		version    BIGINT NOT NULL,
		PRIMARY KEY (collection, part, id)
	);`

// Statement texts; pgx prepares each once per connection.
const (
	pqTopic     = `SELECT epoch, seq, COALESCE((SELECT MIN(seq) FROM tandem_events WHERE topic = $1), 0), access FROM tandem_topics WHERE topic = $1`
	pqGet       = `SELECT version, deleted, data, part FROM tandem_entities WHERE collection = $1 AND id = $2`
	pqList      = `SELECT id, version, deleted, data, part FROM tandem_entities WHERE collection = $1 AND id > $2 ORDER BY id LIMIT $3`
	pqListLive  = `SELECT id, version, deleted, data, part FROM tandem_entities WHERE collection = $1 AND id > $2 AND NOT deleted ORDER BY id LIMIT $3`
	pqListPart  = `SELECT id, version, deleted, data, part FROM (SELECT id, version, deleted, data, part FROM tandem_entities WHERE collection = $1 AND part = $2 AND id > $3 UNION ALL SELECT id, version, TRUE, NULL::bytea, part FROM tandem_departures WHERE collection = $1 AND part = $2 AND id > $3) AS p ORDER BY id LIMIT $4`
	pqListPartL = `SELECT id, version, deleted, data, part FROM tandem_entities WHERE collection = $1 AND part = $2 AND id > $3 AND NOT deleted ORDER BY id LIMIT $4`
	pqTopics    = `SELECT topic FROM tandem_topics WHERE topic > $1 ORDER BY topic LIMIT $2`
	pqEvents    = `SELECT seq, id, op, version, data, client_id, mutation_id, ts, access FROM tandem_events WHERE topic = $1 AND seq > $2 ORDER BY seq LIMIT $3`
	pqClient    = `SELECT principal, last_mutation_id, seen FROM tandem_clients WHERE client_id = $1`
	pqLookup    = `SELECT id FROM tandem_idx WHERE collection = $1 AND name = $2 AND key = $3 ORDER BY id`
	pqNewTopic  = `INSERT INTO tandem_topics (topic, epoch, seq) VALUES ($1, $2, 0) ON CONFLICT (topic) DO NOTHING`
	pqNextSeq   = `UPDATE tandem_topics SET seq = seq + 1 WHERE topic = $1 RETURNING seq, access`
	pqBumpAcc   = `UPDATE tandem_topics SET access = access + 1 WHERE topic = $1 RETURNING access`
	pqSetEpoch  = `UPDATE tandem_topics SET epoch = $1 WHERE topic = $2 RETURNING seq`
	pqDropLog   = `DELETE FROM tandem_events WHERE topic = $1`
	pqPut       = `INSERT INTO tandem_entities (collection, id, version, deleted, data, part) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (collection, id) DO UPDATE SET version = EXCLUDED.version, deleted = EXCLUDED.deleted, data = EXCLUDED.data, part = EXCLUDED.part`
	pqAppend    = `INSERT INTO tandem_events (topic, seq, id, op, version, data, client_id, mutation_id, ts, access) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`
	pqDepart    = `INSERT INTO tandem_departures (collection, part, id, version) VALUES ($1, $2, $3, $4) ON CONFLICT (collection, part, id) DO UPDATE SET version = EXCLUDED.version`
	pqArrive    = `DELETE FROM tandem_departures WHERE collection = $1 AND part = $2 AND id = $3`
	pqDrop      = `DELETE FROM tandem_events WHERE topic = $1 AND seq <= $2`
	pqResponse  = `SELECT status, body FROM tandem_responses WHERE client_id = $1 AND mutation_id = $2`
	pqSaveResp  = `INSERT INTO tandem_responses (client_id, mutation_id, status, body) VALUES ($1, $2, $3, $4) ON CONFLICT (client_id, mutation_id) DO UPDATE SET status = EXCLUDED.status, body = EXCLUDED.body`
	pqSaveLMID  = `INSERT INTO tandem_clients AS c (client_id, principal, last_mutation_id, seen) VALUES ($1, $2, $3, $4) ON CONFLICT (client_id) DO UPDATE SET last_mutation_id = GREATEST(c.last_mutation_id, EXCLUDED.last_mutation_id), seen = EXCLUDED.seen`
	pqPruneResp = `DELETE FROM tandem_responses WHERE client_id = $1 AND mutation_id < (SELECT mutation_id FROM tandem_responses WHERE client_id = $1 ORDER BY mutation_id DESC LIMIT 1 OFFSET $2)`
	pqDelIndex  = `DELETE FROM tandem_idx WHERE collection = $1 AND name = $2 AND id = $3`
	pqAddIndex  = `INSERT INTO tandem_idx (collection, name, key, id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`
	pqPruneCR   = `DELETE FROM tandem_responses WHERE client_id IN (SELECT client_id FROM tandem_clients WHERE seen < $1 ORDER BY seen, client_id LIMIT $2)`
	pqPruneCl   = `DELETE FROM tandem_clients WHERE client_id IN (SELECT client_id FROM tandem_clients WHERE seen < $1 ORDER BY seen, client_id LIMIT $2)`
	pqIndexSigs = `SELECT name, signature FROM tandem_index_signatures WHERE collection = $1`
	pqDropIndex = `DELETE FROM tandem_idx WHERE collection = $1 AND name = $2`
	pqSetSig    = `INSERT INTO tandem_index_signatures (collection, name, signature) VALUES ($1, $2, $3) ON CONFLICT (collection, name) DO UPDATE SET signature = EXCLUDED.signature`
	pqDelSig    = `DELETE FROM tandem_index_signatures WHERE collection = $1 AND name = $2`
	pqLock      = `SELECT pg_advisory_xact_lock($1)`
	pqNotify    = `SELECT pg_notify($1, $2)`
)

// OpenPostgres connects to the PostgreSQL database of url (a postgres:// URL
// or a key=value string, as pgx reads them), creates its tables on first use
// or migrates them to this version, and returns the Store. Instances
// starting together do not race: the schema is created and migrated under
// the same advisory lock as every write, by whichever comes first. A
// database whose tables are newer than this code is refused. Close it when
// done.
func OpenPostgres(ctx context.Context, url string, opts PostgresOptions) (*Postgres, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("server: postgres URL: %w", err)
	}
	switch {
	case opts.MaxConns > 0:
		cfg.MaxConns = int32(opts.MaxConns)
	case !strings.Contains(url, "pool_max_conns"):
		cfg.MaxConns = 10
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("server: postgres: %w", err)
	}
	p := &Postgres{pool: pool, conn: cfg.ConnConfig}
	if err := p.init(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return p, nil
}

// init names the schema's lock and channel, then creates or migrates its
// tables.
func (p *Postgres) init(ctx context.Context) error {
	var schema *string
	if err := p.pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return p.wrapErr("connect", err)
	}
	if schema == nil {
		return errors.New("server: postgres: no schema of the search_path exists; create it first")
	}
	p.schema = *schema
	h := fnv.New64a()
	h.Write([]byte("tandem/" + p.schema))
	p.lockKey = int64(h.Sum64())
	// A channel name is at most 63 bytes, like a schema name.
	p.channel = "tandem:" + p.schema
	if len(p.channel) > 63 {
		p.channel = "tandem:" + strconv.FormatUint(h.Sum64(), 16)
	}
	tx, err := p.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return p.wrapErr("begin migration", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // committed below on success
	if _, err := tx.Exec(ctx, pqLock, p.lockKey); err != nil {
		return p.wrapErr("lock for migration", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS tandem_schema (version INTEGER NOT NULL)`); err != nil {
		return p.wrapErr("migrate", err)
	}
	version := 0
	if err := tx.QueryRow(ctx, `SELECT version FROM tandem_schema`).Scan(&version); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return p.wrapErr("migrate", err)
	}
	if version > pgSchemaVersion {
		return fmt.Errorf("server: postgres: the tables in schema %q are at version %d, newer than this server's %d", p.schema, version, pgSchemaVersion)
	}
	if version == pgSchemaVersion {
		return tx.Commit(ctx) // nothing to do: no DDL, no lock on the tables
	}
	for v := version + 1; v <= pgSchemaVersion; v++ {
		if _, err := tx.Exec(ctx, pgMigration(v)); err != nil {
			return p.wrapErr(fmt.Sprintf("migrate to version %d", v), err)
		}
	}
	if _, err := tx.Exec(ctx, `DELETE FROM tandem_schema`); err != nil {
		return p.wrapErr("migrate", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO tandem_schema (version) VALUES ($1)`, pgSchemaVersion); err != nil {
		return p.wrapErr("migrate", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return p.wrapErr("commit migration", err)
	}
	return nil
}

// Schema returns the PostgreSQL schema the store's tables live in.
func (p *Postgres) Schema() string { return p.schema }

// Close closes the connection pool, waiting for connections in use to be
// given back: callers stop using the store first. View and Update return
// ErrStoreClosed afterwards.
func (p *Postgres) Close() error {
	if p.closed.Swap(true) {
		return nil
	}
	p.pool.Close()
	return nil
}

// View implements Store: fn reads one REPEATABLE READ, read-only snapshot.
func (p *Postgres) View(ctx context.Context, fn func(ReadTx) error) error {
	if p.closed.Load() {
		return ErrStoreClosed
	}
	tx, err := p.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		if p.closed.Load() {
			return ErrStoreClosed
		}
		return p.wrapErr("begin read", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read-only
	return fn(&pgTx{tx: tx})
}

// pgMaxAttempts bounds the runs of one Update that PostgreSQL aborted as a
// serialization failure or a deadlock. Updates exclude each other through
// the advisory lock, so this only happens against other sessions that lock
// Tandem's rows (an operator's script): fn then runs again, as Store allows.
const pgMaxAttempts = 3

// Update implements Store. Its transaction runs at READ COMMITTED and first
// takes the schema's advisory lock (pg_advisory_xact_lock), which every
// Update of every instance takes, and which PostgreSQL releases only after
// the commit is visible to every new snapshot. Hence:
//
//   - writes are serializable: each statement reads what every earlier
//     Update committed (a READ COMMITTED statement takes its snapshot when it
//     starts, after the lock was granted; REPEATABLE READ would have taken
//     it before the wait);
//   - NextSeq hands out a topic's seqs in commit order with no gap: the
//     transaction that gets 42 starts only after the one that got 41 has
//     committed and become visible, or rolled back, giving 41 back. So a
//     reader never sees 42 committed without 41 (a PostgresBus still stops
//     at such a hole rather than skip it; see there).
//
// Before committing, it NOTIFYs the schema's channel once per topic it
// appended events to, with "topic seq" (the topic's last new seq, never the
// data): PostgreSQL delivers that to the listening instances only if the
// transaction commits, and in commit order.
//
// Writes whose result fn does not need (Put, AppendEvent, SaveResponse,
// SetIndex, savepoints...) are queued and reach PostgreSQL with the next
// read, Release or the commit, in one round trip: a write's error is
// returned by that later call, still inside the same transaction, which
// then fails as a whole or rolls back to a savepoint taken before it.
func (p *Postgres) Update(ctx context.Context, fn func(WriteTx) error) error {
	for attempt := 1; ; attempt++ {
		if p.closed.Load() {
			return ErrStoreClosed
		}
		err := p.update(ctx, fn)
		var pe *pgconn.PgError
		if attempt < pgMaxAttempts && errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01") {
			continue
		}
		return err
	}
}

func (p *Postgres) update(ctx context.Context, fn func(WriteTx) error) error {
	tx, err := p.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		if p.closed.Load() {
			return ErrStoreClosed
		}
		return p.wrapErr("begin write", err)
	}
	done := false
	defer func() {
		if !done {
			tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // already failing
		}
	}()
	if _, err := tx.Exec(ctx, pqLock, p.lockKey); err != nil {
		return p.wrapErr("lock", err)
	}
	w := &pgTx{tx: tx, heads: make(map[string]uint64)}
	if err := fn(w); err != nil {
		return err
	}
	for _, topic := range slices.Sorted(mapKeys(w.heads)) {
		w.send("notify", pqNotify, p.channel, notePayload(topic, w.heads[topic]))
	}
	if err := w.flush(ctx); err != nil {
		return err
	}
	done = true
	if err := tx.Commit(ctx); err != nil {
		return p.wrapErr("commit", err)
	}
	return nil
}

func (p *Postgres) wrapErr(what string, err error) error {
	return fmt.Errorf("server: postgres %s: %w", what, err)
}

// notePayload is the NOTIFY payload of a topic's new head: "topic seq".
// Topics hold no space (wire.ValidTopic).
func notePayload(topic string, seq uint64) string {
	return topic + " " + strconv.FormatUint(seq, 10)
}

// parseNote reads a notePayload.
func parseNote(s string) (topic string, seq uint64, ok bool) {
	for i := len(s) - 1; i > 0; i-- {
		if s[i] == ' ' {
			seq, err := strconv.ParseUint(s[i+1:], 10, 64)
			return s[:i], seq, err == nil && wire.ValidTopic(s[:i])
		}
	}
	return "", 0, false
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// pgTx implements WriteTx over one pgx.Tx. In an Update (write), heads
// records the last seq appended per topic, for the NOTIFY before commit,
// and queue holds the writes not sent yet.
type pgTx struct {
	tx    pgx.Tx
	heads map[string]uint64
	queue []pgWrite
}

// A pgWrite is one queued statement.
type pgWrite struct {
	what, sql string
	args      []any
}

func pgErr(what string, err error) error {
	return fmt.Errorf("server: postgres %s: %w", what, err)
}

// send queues a write; flush, or the next read, sends it.
func (t *pgTx) send(what, q string, args ...any) {
	t.queue = append(t.queue, pgWrite{what: what, sql: q, args: args})
}

// batch sends the queued writes then, unless q is "", q, in one round
// trip, and calls read with the results positioned at q's. The first
// failing write's error is returned, and q is not run.
func (t *pgTx) batch(ctx context.Context, q string, args []any, read func(pgx.BatchResults) error) error {
	b := &pgx.Batch{}
	for _, w := range t.queue {
		b.Queue(w.sql, w.args...)
	}
	queued := t.queue
	t.queue = nil
	if q != "" {
		b.Queue(q, args...)
	}
	if b.Len() == 0 {
		return nil
	}
	br := t.tx.SendBatch(ctx, b)
	var err error
	for _, w := range queued {
		if _, e := br.Exec(); e != nil {
			err = pgErr(w.what, e)
			break
		}
	}
	if err == nil && q != "" {
		err = read(br)
	}
	if cerr := br.Close(); err == nil && cerr != nil {
		err = pgErr("batch", cerr)
	}
	return err
}

// flush sends the queued writes.
func (t *pgTx) flush(ctx context.Context) error {
	return t.batch(ctx, "", nil, nil)
}

// row runs a query of one row (after the queued writes); found is false
// for none.
func (t *pgTx) row(ctx context.Context, what, q string, args []any, dest ...any) (found bool, err error) {
	if len(t.queue) == 0 {
		return pgRow(what, t.tx.QueryRow(ctx, q, args...), dest...)
	}
	err = t.batch(ctx, q, args, func(br pgx.BatchResults) error {
		var err error
		found, err = pgRow(what, br.QueryRow(), dest...)
		return err
	})
	return found, err
}

// rows runs a query (after the queued writes) and calls each for every
// row.
func (t *pgTx) rows(ctx context.Context, what, q string, args []any, each func(pgx.Rows) error) error {
	scan := func(rows pgx.Rows, err error) error {
		if err != nil {
			return pgErr(what, err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := each(rows); err != nil {
				return pgErr(what, err)
			}
		}
		if err := rows.Err(); err != nil {
			return pgErr(what, err)
		}
		return nil
	}
	if len(t.queue) == 0 {
		return scan(t.tx.Query(ctx, q, args...))
	}
	return t.batch(ctx, q, args, func(br pgx.BatchResults) error { return scan(br.Query()) })
}

// execNow runs a write at once (after the queued ones), for its result.
func (t *pgTx) execNow(ctx context.Context, what, q string, args ...any) (pgconn.CommandTag, error) {
	var tag pgconn.CommandTag
	err := t.batch(ctx, q, args, func(br pgx.BatchResults) error {
		var err error
		if tag, err = br.Exec(); err != nil {
			return pgErr(what, err)
		}
		return nil
	})
	return tag, err
}

// pgRow scans one row; found is false for none.
func pgRow(what string, row pgx.Row, dest ...any) (found bool, err error) {
	if err := row.Scan(dest...); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return false, nil
		}
		return false, pgErr(what, err)
	}
	return true, nil
}

func (t *pgTx) Topic(ctx context.Context, topic string) (TopicState, bool, error) {
	var st TopicState
	var seq, min, access int64
	found, err := t.row(ctx, "topic", pqTopic, []any{topic}, &st.Epoch, &seq, &min, &access)
	if !found || err != nil {
		return TopicState{}, false, err
	}
	st.Seq, st.MinSeq, st.Access = uint64(seq), uint64(min), uint64(access)
	return st, true, nil
}

func (t *pgTx) Get(ctx context.Context, collection, id string) (Record, bool, error) {
	rec := Record{Collection: collection, ID: id}
	var version int64
	var data []byte
	found, err := t.row(ctx, "get", pqGet, []any{collection, id}, &version, &rec.Deleted, &data, &rec.Partition)
	if !found || err != nil {
		return Record{}, false, err
	}
	rec.Version = uint64(version)
	if !rec.Deleted {
		rec.Data = data
	}
	return rec, true, nil
}

func (t *pgTx) List(ctx context.Context, collection, afterID string, limit int, withDeleted bool) ([]Record, error) {
	q := pqListLive
	if withDeleted {
		q = pqList
	}
	return t.records(ctx, collection, q, collection, afterID, limit)
}

func (t *pgTx) ListPartition(ctx context.Context, collection, partition, afterID string, limit int, withDeleted bool) ([]Record, error) {
	q := pqListPartL
	if withDeleted {
		q = pqListPart
	}
	return t.records(ctx, collection, q, collection, partition, afterID, limit)
}

// records runs a listing of entities: id, version, deleted, data, part.
func (t *pgTx) records(ctx context.Context, collection, q string, args ...any) ([]Record, error) {
	var out []Record
	err := t.rows(ctx, "list", q, args, func(rows pgx.Rows) error {
		rec := Record{Collection: collection}
		var version int64
		var data []byte
		if err := rows.Scan(&rec.ID, &version, &rec.Deleted, &data, &rec.Partition); err != nil {
			return err
		}
		rec.Version = uint64(version)
		if !rec.Deleted {
			rec.Data = data
		}
		out = append(out, rec)
		return nil
	})
	return out, err
}

func (t *pgTx) Topics(ctx context.Context, after string, limit int) ([]string, error) {
	var out []string
	err := t.rows(ctx, "topics", pqTopics, []any{after, limit}, func(rows pgx.Rows) error {
		var topic string
		if err := rows.Scan(&topic); err != nil {
			return err
		}
		out = append(out, topic)
		return nil
	})
	return out, err
}

func (t *pgTx) Events(ctx context.Context, topic string, afterSeq uint64, limit int) ([]EventRecord, error) {
	var out []EventRecord
	err := t.rows(ctx, "events", pqEvents, []any{topic, int64(afterSeq), limit}, func(rows pgx.Rows) error {
		ev := EventRecord{Topic: topic}
		var seq, version, mid, access int64
		var op string
		if err := rows.Scan(&seq, &ev.ID, &op, &version, &ev.Data, &ev.ClientID, &mid, &ev.TS, &access); err != nil {
			return err
		}
		ev.Seq, ev.Version, ev.MutationID, ev.Op, ev.Access = uint64(seq), uint64(version), uint64(mid), wire.Op(op), uint64(access)
		out = append(out, ev)
		return nil
	})
	return out, err
}

func (t *pgTx) Client(ctx context.Context, clientID string) (ClientState, bool, error) {
	var principal []byte
	var lmid, seen int64
	found, err := t.row(ctx, "client", pqClient, []any{clientID}, &principal, &lmid, &seen)
	if !found || err != nil {
		return ClientState{}, false, err
	}
	return ClientState{Principal: string(principal), LastMutationID: uint64(lmid), Seen: time.UnixMilli(seen)}, true, nil
}

func (t *pgTx) Lookup(ctx context.Context, collection, index, key string) ([]string, error) {
	var ids []string
	err := t.rows(ctx, "lookup", pqLookup, []any{collection, index, []byte(key)}, func(rows pgx.Rows) error {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		ids = append(ids, id)
		return nil
	})
	return ids, err
}

func (t *pgTx) CreateTopic(ctx context.Context, topic, epoch string) (TopicState, error) {
	t.send("create topic", pqNewTopic, topic, epoch)
	st, _, err := t.Topic(ctx, topic)
	return st, err
}

func (t *pgTx) ResetTopic(ctx context.Context, topic, epoch string) error {
	var seq int64
	found, err := t.row(ctx, "reset topic", pqSetEpoch, []any{epoch, topic}, &seq)
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("%w %q", ErrNoTopic, topic)
	}
	t.send("reset topic", pqDropLog, topic)
	return nil
}

func (t *pgTx) NextSeq(ctx context.Context, topic string) (uint64, uint64, error) {
	var seq, access int64
	found, err := t.row(ctx, "next seq", pqNextSeq, []any{topic}, &seq, &access)
	if err != nil {
		return 0, 0, err
	}
	if !found {
		return 0, 0, fmt.Errorf("%w %q", ErrNoTopic, topic)
	}
	return uint64(seq), uint64(access), nil
}

// BumpAccess also has the topic named by the commit's NOTIFY, so that the
// other instances check their subscriptions to it again.
func (t *pgTx) BumpAccess(ctx context.Context, topic string) (uint64, error) {
	var access int64
	found, err := t.row(ctx, "bump access", pqBumpAcc, []any{topic}, &access)
	if err != nil {
		return 0, err
	}
	if !found {
		return 0, fmt.Errorf("%w %q", ErrNoTopic, topic)
	}
	if t.heads != nil {
		if _, ok := t.heads[topic]; !ok {
			t.heads[topic] = 0
		}
	}
	return uint64(access), nil
}

func (t *pgTx) Put(ctx context.Context, rec Record) error {
	var data []byte
	if !rec.Deleted {
		data = rec.Data
	}
	t.send("put", pqPut, rec.Collection, rec.ID, int64(rec.Version), rec.Deleted, data, rec.Partition)
	return nil
}

func (t *pgTx) SetDeparted(ctx context.Context, collection, partition, id string, version uint64) error {
	if version == 0 {
		t.send("arrive", pqArrive, collection, partition, id)
	} else {
		t.send("depart", pqDepart, collection, partition, id, int64(version))
	}
	return nil
}

func (t *pgTx) AppendEvent(ctx context.Context, ev EventRecord, keep int) error {
	t.send("append event", pqAppend, ev.Topic, int64(ev.Seq), ev.ID, string(ev.Op), int64(ev.Version), ev.Data, ev.ClientID, int64(ev.MutationID), ev.TS, int64(ev.Access))
	if t.heads != nil {
		t.heads[ev.Topic] = max(t.heads[ev.Topic], ev.Seq)
	}
	if keep = max(keep, 1); ev.Seq > uint64(keep) {
		t.send("prune events", pqDrop, ev.Topic, int64(ev.Seq)-int64(keep))
	}
	return nil
}

func (t *pgTx) DropEvents(ctx context.Context, topic string, through uint64) error {
	t.send("drop events", pqDrop, topic, int64(through))
	return nil
}

func (t *pgTx) Response(ctx context.Context, clientID string, mutationID uint64) (StoredResponse, bool, error) {
	var r StoredResponse
	var status int32
	found, err := t.row(ctx, "response", pqResponse, []any{clientID, int64(mutationID)}, &status, &r.Body)
	if !found || err != nil {
		return StoredResponse{}, false, err
	}
	r.Status = int(status)
	return r, true, nil
}

func (t *pgTx) SaveResponse(ctx context.Context, clientID, principal string, mutationID uint64, r StoredResponse, keep int, now time.Time) error {
	body := r.Body
	if body == nil {
		body = []byte{} // NOT NULL
	}
	t.send("save response", pqSaveResp, clientID, int64(mutationID), int32(r.Status), body)
	t.send("save client", pqSaveLMID, clientID, []byte(principal), int64(mutationID), now.UnixMilli())
	t.send("prune responses", pqPruneResp, clientID, max(keep, 1)-1)
	return nil
}

func (t *pgTx) PruneClients(ctx context.Context, before time.Time, limit int) (int, error) {
	t.send("prune clients", pqPruneCR, before.UnixMilli(), limit)
	tag, err := t.execNow(ctx, "prune clients", pqPruneCl, before.UnixMilli(), limit)
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}

func (t *pgTx) SetIndex(ctx context.Context, collection, index, id string, keys []string) error {
	t.send("set index", pqDelIndex, collection, index, id)
	for _, k := range keys {
		t.send("set index", pqAddIndex, collection, index, []byte(k), id)
	}
	return nil
}

func (t *pgTx) IndexSignatures(ctx context.Context, collection string) (map[string]string, error) {
	out := make(map[string]string)
	err := t.rows(ctx, "index signatures", pqIndexSigs, []any{collection}, func(rows pgx.Rows) error {
		var name, sig string
		if err := rows.Scan(&name, &sig); err != nil {
			return err
		}
		out[name] = sig
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (t *pgTx) ResetIndex(ctx context.Context, collection, index, signature string) error {
	t.send("reset index", pqDropIndex, collection, index)
	if signature == "" {
		t.send("reset index", pqDelSig, collection, index)
	} else {
		t.send("reset index", pqSetSig, collection, index, signature)
	}
	return nil
}

// Savepoint names are generated by the server ("m1", "m2", ...), never from
// input, so they are safe to splice into the statement.
func (t *pgTx) Savepoint(ctx context.Context, name string) error {
	t.send("savepoint", "SAVEPOINT "+name)
	return nil
}

// RollbackTo sends the queued writes, whatever they answer (a failed one
// is what is being undone), then rolls back to the savepoint: after an
// error PostgreSQL skips the rest of a batch, so they cannot go together.
func (t *pgTx) RollbackTo(ctx context.Context, name string) error {
	_ = t.flush(ctx)
	_, err := t.tx.Exec(ctx, "ROLLBACK TO SAVEPOINT "+name)
	if err != nil {
		return pgErr("rollback to savepoint", err)
	}
	return nil
}

// Release sends the queued writes with the release, so that a write that
// failed fails the Release (and the transaction) rather than a later
// mutation's read.
func (t *pgTx) Release(ctx context.Context, name string) error {
	t.send("release savepoint", "RELEASE SAVEPOINT "+name)
	return t.flush(ctx)
}
