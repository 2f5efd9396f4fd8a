package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/wire"
)

// Several server instances on one PostgreSQL database, in one process: each
// has its own Postgres (connection pool), PostgresBus and Server, as
// separate processes would. cmd/server's tests run real processes.

// instanceStore is one instance's store with its bus: Close closes the bus,
// then the pool (newEnv closes the store after the server's Shutdown).
type instanceStore struct {
	*Postgres
	bus *PostgresBus
}

func (s *instanceStore) Close() error {
	return errors.Join(s.bus.Close(), s.Postgres.Close())
}

// newInstances starts n instances on the database of url.
func newInstances(t *testing.T, url string, n int, opts Options) []*testEnv {
	t.Helper()
	envs := make([]*testEnv, n)
	for i := range envs {
		envs[i] = newInstance(t, url, opts, PostgresBusOptions{})
	}
	return envs
}

func newInstance(t testing.TB, url string, opts Options, bopts PostgresBusOptions) *testEnv {
	t.Helper()
	return newInstanceWith(t, url, opts, bopts, func(s Store) Store { return s })
}

// newInstanceWith is newInstance with the store wrapped by wrap.
func newInstanceWith(t testing.TB, url string, opts Options, bopts PostgresBusOptions, wrap func(Store) Store) *testEnv {
	t.Helper()
	st := openPostgresAt(t, url)
	if bopts.Logger == nil {
		bopts.Logger = quietLogger()
	}
	bus, err := NewPostgresBus(context.Background(), st, bopts)
	require.NoError(t, err)
	opts.Bus = bus
	return newEnv(t, wrap(&instanceStore{Postgres: st, bus: bus}), opts)
}

// busRecorder keeps every event a Bus delivers to it.
type busRecorder struct {
	mu     sync.Mutex
	events []BusEvent
	more   chan struct{}
}

func record(b Bus) *busRecorder {
	r := &busRecorder{more: make(chan struct{}, 1)}
	b.Subscribe(func(evs []BusEvent) {
		r.mu.Lock()
		r.events = append(r.events, evs...)
		r.mu.Unlock()
		select {
		case r.more <- struct{}{}:
		default:
		}
	})
	return r
}

func (r *busRecorder) all() []BusEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]BusEvent(nil), r.events...)
}

// waitFor waits until the recorder holds n events.
func (r *busRecorder) waitFor(t *testing.T, n int) []BusEvent {
	t.Helper()
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for {
		if evs := r.all(); len(evs) >= n {
			return evs
		}
		select {
		case <-r.more:
		case <-deadline.C:
			t.Fatalf("got %d events, want %d", len(r.all()), n)
		}
	}
}

func seqsOf(evs []BusEvent) []uint64 {
	out := make([]uint64, len(evs))
	for i, ev := range evs {
		out[i] = ev.Seq
	}
	return out
}

// appendNext appends one event to topic with its next seq.
func appendNext(ctx context.Context, tx WriteTx, topic, id string) (uint64, error) {
	seq, _, err := tx.NextSeq(ctx, topic)
	if err != nil {
		return 0, err
	}
	return seq, tx.AppendEvent(ctx, EventRecord{Topic: topic, Seq: seq, ID: id, Op: wire.OpUpdate, Version: seq, Data: []byte(`{}`), TS: 1}, 1000)
}

// waitForLockWaiter polls pg_locks until a transaction waits for st's
// advisory lock (a real database: bounded polling).
func waitForLockWaiter(t *testing.T, st *Postgres) {
	t.Helper()
	key := uint64(st.lockKey)
	for deadline := time.Now().Add(20 * time.Second); ; {
		var n int
		require.NoError(t, st.pool.QueryRow(context.Background(),
			`SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = $1::bigint::oid AND objid = $2::bigint::oid AND objsubid = 1`,
			int64(key>>32), int64(key&0xffffffff)).Scan(&n))
		if n > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no transaction ever waited for the lock")
		}
		time.Sleep(5 * time.Millisecond) // polling the database's lock table
	}
}

// TestB29_postgresHandsOutSeqsInCommitOrderAcrossInstances is the case of
// two transactions on two instances taking seq 41 and 42: the second cannot
// take 42 before the first has committed 41 (or given it back by rolling
// back), so no reader ever sees 42 committed before 41, and seq has no gap.
func TestB29_postgresHandsOutSeqsInCommitOrderAcrossInstances(t *testing.T) {
	for _, tc := range []struct {
		name      string
		firstErr  error
		secondGet uint64
	}{
		{"the first commits 41: the second gets 42 after it", nil, 42},
		{"the first rolls back: the second gets 41", errors.New("rolled back"), 41},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := pgSchemaURL(t)
			a, b := openPostgresAt(t, url), openPostgresAt(t, url)
			defer a.Close()
			defer b.Close()
			ctx := context.Background()
			require.NoError(t, a.Update(ctx, func(tx WriteTx) error {
				if _, err := tx.CreateTopic(ctx, "todos", "e1"); err != nil {
					return err
				}
				for range 40 {
					if _, err := appendNext(ctx, tx, "todos", "x"); err != nil {
						return err
					}
				}
				return nil
			}))

			got := make(chan uint64, 1)
			release := make(chan error)
			firstDone := make(chan error, 1)
			go func() {
				firstDone <- a.Update(ctx, func(tx WriteTx) error {
					seq, err := appendNext(ctx, tx, "todos", "first")
					if err != nil {
						return err
					}
					got <- seq
					return <-release
				})
			}()
			require.Equal(t, uint64(41), <-got)

			type result struct {
				seq uint64
				err error
			}
			secondDone := make(chan result, 1)
			go func() {
				var seq uint64
				err := b.Update(ctx, func(tx WriteTx) error {
					var err error
					seq, err = appendNext(ctx, tx, "todos", "second")
					return err
				})
				secondDone <- result{seq, err}
			}()
			waitForLockWaiter(t, a) // the second instance waits before taking any seq

			require.NoError(t, b.View(ctx, func(rt ReadTx) error {
				st, _, err := rt.Topic(ctx, "todos")
				require.NoError(t, err)
				assert.Equal(t, uint64(40), st.Seq, "a reader sees neither 41 nor 42 yet")
				evs, err := rt.Events(ctx, "todos", 40, 10)
				require.NoError(t, err)
				assert.Empty(t, evs)
				return nil
			}))

			release <- tc.firstErr
			assert.Equal(t, tc.firstErr, <-firstDone)
			second := <-secondDone
			require.NoError(t, second.err)
			assert.Equal(t, tc.secondGet, second.seq)

			require.NoError(t, b.View(ctx, func(rt ReadTx) error {
				evs, err := rt.Events(ctx, "todos", 40, 10)
				require.NoError(t, err)
				require.Len(t, evs, int(tc.secondGet-40))
				for i, ev := range evs {
					assert.Equal(t, uint64(41+i), ev.Seq)
				}
				assert.Equal(t, "second", evs[len(evs)-1].ID)
				return nil
			}))
		})
	}
}

// TestB31_postgresBusNeverSkipsAnEventNotYetVisible: were a writer other
// than Postgres.Update to commit seq 42 while 41 is still open, a reader
// would see 42 first. The bus then delivers nothing until 41 is there, and
// then both in order; only an event that retention dropped is passed over
// (subscribers see the gap by prev and resync).
func TestB31_postgresBusNeverSkipsAnEventNotYetVisible(t *testing.T) {
	url := pgSchemaURL(t)
	st := openPostgresAt(t, url)
	defer st.Close()
	ctx := context.Background()
	require.NoError(t, st.Update(ctx, func(tx WriteTx) error {
		if _, err := tx.CreateTopic(ctx, "todos", "e1"); err != nil {
			return err
		}
		for range 40 {
			if _, err := appendNext(ctx, tx, "todos", "x"); err != nil {
				return err
			}
		}
		return nil
	}))
	bus, err := NewPostgresBus(ctx, st, PostgresBusOptions{PollInterval: time.Hour, Logger: quietLogger()})
	require.NoError(t, err)
	defer bus.Close()
	rec := record(bus)

	conn := func() *pgx.Conn {
		c, err := pgx.Connect(ctx, url)
		require.NoError(t, err)
		t.Cleanup(func() { c.Close(context.Background()) })
		return c
	}
	insert := func(tx pgx.Tx, seq int) {
		_, err := tx.Exec(ctx, `INSERT INTO tandem_events (topic, seq, id, op, version, data, client_id, mutation_id, ts) VALUES ('todos', $1, 'raw', 'update', $1, '{}', '', 0, 1)`, seq)
		require.NoError(t, err)
		_, err = tx.Exec(ctx, `SELECT pg_notify($1, $2)`, st.channel, notePayload("todos", uint64(seq)))
		require.NoError(t, err)
	}
	// Seqs 41 and 42 handed out at once, as a sequence would.
	_, err = conn().Exec(ctx, `UPDATE tandem_topics SET seq = 42`)
	require.NoError(t, err)
	tx41, err := conn().Begin(ctx)
	require.NoError(t, err)
	insert(tx41, 41)
	tx42, err := conn().Begin(ctx)
	require.NoError(t, err)
	insert(tx42, 42)
	require.NoError(t, tx42.Commit(ctx))

	require.NoError(t, bus.readTopic("todos")) // what the notification of 42 makes the tailer do
	assert.Empty(t, rec.all(), "42 is held while 41 is not visible")

	require.NoError(t, tx41.Commit(ctx))
	require.NoError(t, bus.readTopic("todos"))
	evs := rec.waitFor(t, 2)
	assert.Equal(t, []uint64{41, 42}, seqsOf(evs))
	for _, ev := range evs {
		assert.Equal(t, ev.Seq-1, ev.Prev)
		assert.Equal(t, "e1", ev.Epoch)
	}

	// 43 and 44 handed out; 44 commits, and 43 is dropped by retention
	// before the bus reads it: the bus goes on from 44.
	c := conn()
	_, err = c.Exec(ctx, `UPDATE tandem_topics SET seq = 44`)
	require.NoError(t, err)
	tx44, err := c.Begin(ctx)
	require.NoError(t, err)
	insert(tx44, 44)
	_, err = tx44.Exec(ctx, `DELETE FROM tandem_events WHERE seq <= 43`)
	require.NoError(t, err)
	require.NoError(t, tx44.Commit(ctx))
	require.NoError(t, bus.readTopic("todos"))
	evs = rec.waitFor(t, 3)
	assert.Equal(t, uint64(44), evs[2].Seq)
	assert.Equal(t, uint64(43), evs[2].Prev, "prev tells subscribers that 43 is missing")
}

// TestB31_postgresBusHealsTheNotificationsItMissed: events committed while
// the bus was not listening (here: with no NOTIFY at all) reach it when its
// listener reconnects, without waiting for the poll.
func TestB31_postgresBusHealsTheNotificationsItMissed(t *testing.T) {
	url := pgSchemaURL(t)
	st := openPostgresAt(t, url)
	defer st.Close()
	ctx := context.Background()
	require.NoError(t, st.Update(ctx, func(tx WriteTx) error {
		_, err := tx.CreateTopic(ctx, "todos", "e1")
		return err
	}))
	bus, err := NewPostgresBus(ctx, st, PostgresBusOptions{PollInterval: time.Hour, Logger: quietLogger(), ReconnectWait: 10 * time.Millisecond})
	require.NoError(t, err)
	defer bus.Close()
	rec := record(bus)
	require.NoError(t, bus.waitListening(ctx))

	// Three events without a notification: the bus cannot know.
	_, err = st.pool.Exec(ctx, `WITH e AS (INSERT INTO tandem_events (topic, seq, id, op, version, data, client_id, mutation_id, ts)
		SELECT 'todos', s, 'quiet', 'update', s, '{}', '', 0, 1 FROM generate_series(1, 3) s)
		UPDATE tandem_topics SET seq = 3 WHERE topic = 'todos'`)
	require.NoError(t, err)
	assert.Empty(t, rec.all())

	// Its listening connection dies (as when PostgreSQL restarts).
	var killed int
	require.NoError(t, st.pool.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query = $1`,
		"LISTEN "+pgx.Identifier{st.channel}.Sanitize()).Scan(&killed))
	require.Equal(t, 1, killed)
	evs := rec.waitFor(t, 3)
	assert.Equal(t, []uint64{1, 2, 3}, seqsOf(evs))
}

// subscriber is a raw WebSocket client of one instance, subscribed to one
// topic.
type subscriber struct {
	t *testing.T
	c *websocket.Conn
}

func subscribe(t *testing.T, env *testEnv, clientID, topic string) (*subscriber, wire.Live) {
	t.Helper()
	c, _, err := dialWS(t, env, "")
	require.NoError(t, err)
	writeMsg(t, c, wire.Hello{V: 1, ClientID: clientID})
	_, ok := readMsg(t, c).(wire.Welcome)
	require.True(t, ok)
	writeMsg(t, c, wire.Sub{Topic: topic})
	for {
		if live, ok := readMsg(t, c).(wire.Live); ok {
			return &subscriber{t: t, c: c}, live
		}
	}
}

// next returns the next event, skipping heartbeats.
func (s *subscriber) next() wire.Event {
	s.t.Helper()
	for {
		switch m := readMsg(s.t, s.c).(type) {
		case wire.Event:
			return m
		case wire.HB:
		default:
			s.t.Fatalf("got %#v, want an event", m)
		}
	}
}

// TestB31_aWriteOnOneInstanceReachesSubscribersOnEveryOther: three
// instances on one database; a write on any instance reaches a subscriber
// on every instance with the seq, prev and epoch its answer gave, in one
// order everywhere, with the origin only on the writer's own connection.
func TestB31_aWriteOnOneInstanceReachesSubscribersOnEveryOther(t *testing.T) {
	envs := newInstances(t, pgSchemaURL(t), 3, Options{})
	writers := []string{client1, client2, fmt.Sprintf("%032x", 3)}
	subs := make([]*subscriber, len(envs))
	for i, env := range envs {
		var live wire.Live
		subs[i], live = subscribe(t, env, writers[i], "lists")
		assert.Equal(t, uint64(0), live.Seq)
	}
	var answers []wire.MutationResponse
	for n := range 9 {
		i := n % len(envs)
		answers = append(answers, envs[i].mustCreate("lists", map[string]any{"id": fmt.Sprintf("l%d", n), "name": "x"}, mut(writers[i], uint64(n+1))...))
	}
	for i, sub := range subs {
		for n, a := range answers {
			ev := sub.next()
			assert.Equal(t, a.Seq, ev.Seq, "instance %d, write %d", i, n)
			assert.Equal(t, a.Seq-1, ev.Prev)
			assert.Equal(t, a.Epoch, ev.Epoch)
			assert.Equal(t, a.ID, ev.ID)
			if n%len(envs) == i {
				assert.Equal(t, &wire.Origin{ClientID: writers[i], MutationID: uint64(n + 1)}, ev.Origin, "the writer's own echo")
			} else {
				assert.Nil(t, ev.Origin, "another client's origin")
			}
		}
	}
}

// TestB10_aRetryOnAnotherInstanceGetsTheStoredAnswer: dedup records are in
// the database, so a retry that lands on another instance is answered, not
// applied again; so is a copy sent to every instance at once.
func TestB10_aRetryOnAnotherInstanceGetsTheStoredAnswer(t *testing.T) {
	envs := newInstances(t, pgSchemaURL(t), 3, Options{})
	rec := record(envs[2].srv.opts.Bus)
	first := envs[0].do("POST", "/api/lists", map[string]any{"id": "l1", "name": "A"}, mut(client1, 5)...)
	require.Equal(t, http.StatusCreated, first.status, string(first.body))
	again := envs[1].do("POST", "/api/lists", map[string]any{"id": "l1", "name": "B"}, mut(client1, 5)...)
	require.Equal(t, http.StatusCreated, again.status)
	a, err := wire.DecodeMutationResponse(first.body)
	require.NoError(t, err)
	b, err := wire.DecodeMutationResponse(again.body)
	require.NoError(t, err)
	assert.True(t, b.Duplicate)
	b.Duplicate = false
	assert.Equal(t, a, b)

	// Invariant 5: copies of one mutation on every instance at once.
	results := make([]resp, 3*len(envs))
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() {
			results[i] = envs[i%len(envs)].do("POST", "/api/todos", map[string]any{"id": "t1", "listId": "l1", "title": "once"}, mut(client2, 42)...)
		})
	}
	wg.Wait()
	originals := 0
	for _, r := range results {
		require.Equal(t, http.StatusCreated, r.status, string(r.body))
		mr, err := wire.DecodeMutationResponse(r.body)
		require.NoError(t, err)
		if !mr.Duplicate {
			originals++
		}
	}
	assert.Equal(t, 1, originals)
	evs := rec.waitFor(t, 2)
	assert.Len(t, evs, 2, "one event for the list, one for the todo")
	lmid := func(env *testEnv) uint64 {
		var c ClientState
		require.NoError(t, env.store.View(context.Background(), func(rt ReadTx) error {
			var err error
			c, _, err = rt.Client(context.Background(), client2)
			return err
		}))
		return c.LastMutationID
	}
	for _, env := range envs {
		assert.Equal(t, uint64(42), lmid(env))
	}
}

// TestPostgres_instancesStartingTogetherShareOneSchemaAndOneEpoch: the
// tables are created once, whoever comes first, and each topic's epoch is
// the database's, the same on every instance.
func TestPostgres_instancesStartingTogetherShareOneSchemaAndOneEpoch(t *testing.T) {
	url := pgSchemaURL(t)
	const n = 4
	envs := make([]*testEnv, n)
	var wg sync.WaitGroup
	for i := range envs {
		wg.Go(func() { envs[i] = newInstance(t, url, Options{}, PostgresBusOptions{}) })
	}
	wg.Wait()
	for _, env := range envs {
		require.NotNil(t, env)
		for _, topic := range []string{"lists", "todos"} {
			assert.Equal(t, envs[0].srv.epoch(topic), env.srv.epoch(topic))
		}
	}
	var version int
	require.NoError(t, envs[0].store.(*instanceStore).pool.QueryRow(context.Background(), `SELECT version FROM tandem_schema`).Scan(&version))
	assert.Equal(t, pgSchemaVersion, version)
}

func TestPostgres_refusesTablesNewerThanItself(t *testing.T) {
	url := pgSchemaURL(t)
	st := openPostgresAt(t, url)
	_, err := st.pool.Exec(context.Background(), `UPDATE tandem_schema SET version = version + 1`)
	require.NoError(t, err)
	require.NoError(t, st.Close())
	_, err = OpenPostgres(context.Background(), url, PostgresOptions{})
	assert.ErrorContains(t, err, "newer than this server")
}
