package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/wire"
)

// pgEnv names the variable holding the URL of the test database. make test
// starts a throwaway cluster (scripts/pgcluster.sh) and sets it; the
// PostgreSQL tests fail without it rather than skip, so that CI always runs
// them.
const pgEnv = "TANDEM_TEST_POSTGRES"

// pgSchemaURL creates a fresh schema in the test database, dropped when the
// test ends, and returns the database URL with search_path set to it: each
// test gets its own tables, advisory lock and NOTIFY channel.
func pgSchemaURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(pgEnv)
	if base == "" {
		t.Fatalf("%s is not set: the PostgreSQL tests need a database. make test starts a throwaway cluster and sets it; "+
			"by hand: scripts/pgcluster.sh run go test ./pkg/server", pgEnv)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, base)
	require.NoError(t, err, "connect to %s", pgEnv)
	_, err = admin.Exec(ctx, "CREATE SCHEMA "+schema)
	require.NoError(t, err)
	require.NoError(t, admin.Close(ctx))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := pgx.Connect(ctx, base)
		require.NoError(t, err)
		defer admin.Close(ctx)
		_, err = admin.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
		require.NoError(t, err)
	})
	u, err := url.Parse(base)
	require.NoError(t, err, "%s must be a postgres:// URL", pgEnv)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// openPostgres opens a Postgres store on a fresh schema.
func openPostgres(t testing.TB) *Postgres {
	t.Helper()
	return openPostgresAt(t, pgSchemaURL(t))
}

func openPostgresAt(t testing.TB, url string) *Postgres {
	t.Helper()
	st, err := OpenPostgres(context.Background(), url, PostgresOptions{})
	require.NoError(t, err)
	return st
}

// Writes are queued and sent with the next read (or Release, or the
// commit): a write that fails fails that later call, a savepoint taken
// before it still undoes it, and a transaction ending with it commits
// nothing.
func TestPostgres_aQueuedWriteThatFailsFailsALaterCallOfItsTransaction(t *testing.T) {
	st := openPostgres(t)
	defer st.Close()
	ctx := context.Background()
	ev := func(seq uint64) EventRecord {
		return EventRecord{Topic: "todos", Seq: seq, ID: "a", Op: wire.OpUpdate, Version: seq, Data: []byte(`{}`)}
	}
	require.NoError(t, st.Update(ctx, func(tx WriteTx) error {
		_, err := tx.CreateTopic(ctx, "todos", "e1")
		return err
	}))

	err := st.Update(ctx, func(tx WriteTx) error {
		require.NoError(t, tx.Savepoint(ctx, "m0"))
		require.NoError(t, tx.Put(ctx, Record{Collection: "todos", ID: "gone", Version: 1, Data: []byte(`{}`)}))
		require.NoError(t, tx.AppendEvent(ctx, ev(1), 100))
		require.NoError(t, tx.AppendEvent(ctx, ev(1), 100)) // a duplicate key: fails when sent
		_, _, err := tx.Get(ctx, "todos", "gone")
		require.Error(t, err, "the read after it reports the failed write")
		assert.ErrorContains(t, err, "append event")
		require.NoError(t, tx.RollbackTo(ctx, "m0"), "the savepoint undoes it")
		require.NoError(t, tx.Put(ctx, Record{Collection: "todos", ID: "kept", Version: 1, Data: []byte(`{}`)}))
		require.NoError(t, tx.Savepoint(ctx, "m1"))
		require.NoError(t, tx.AppendEvent(ctx, ev(2), 100))
		require.NoError(t, tx.AppendEvent(ctx, ev(2), 100))
		assert.Error(t, tx.Release(ctx, "m1"), "Release sends what was queued")
		return nil
	})
	require.Error(t, err, "the transaction cannot commit")
	require.NoError(t, st.View(ctx, func(rt ReadTx) error {
		for _, id := range []string{"gone", "kept"} {
			_, found, err := rt.Get(ctx, "todos", id)
			require.NoError(t, err)
			assert.False(t, found, id)
		}
		return nil
	}))

	require.NoError(t, st.Update(ctx, func(tx WriteTx) error {
		require.NoError(t, tx.Put(ctx, Record{Collection: "todos", ID: "kept", Version: 1, Data: []byte(`{}`)}))
		require.NoError(t, tx.AppendEvent(ctx, ev(1), 100))
		return nil // sent with the commit
	}))
	require.NoError(t, st.View(ctx, func(rt ReadTx) error {
		_, found, err := rt.Get(ctx, "todos", "kept")
		require.NoError(t, err)
		assert.True(t, found)
		return nil
	}))
}

func TestPostgres_poolSizeFromOptionsOrURL(t *testing.T) {
	url := pgSchemaURL(t)
	for _, tc := range []struct {
		url  string
		opts PostgresOptions
		want int32
	}{
		{url, PostgresOptions{}, 10},
		{url, PostgresOptions{MaxConns: 3}, 3},
		{url + "&pool_max_conns=7", PostgresOptions{}, 7},
	} {
		st, err := OpenPostgres(context.Background(), tc.url, tc.opts)
		require.NoError(t, err)
		assert.Equal(t, tc.want, st.pool.Config().MaxConns, tc.url)
		require.NoError(t, st.Close())
	}
	_, err := OpenPostgres(context.Background(), "postgres://x@127.0.0.1:1/none?connect_timeout=1", PostgresOptions{})
	assert.Error(t, err, "a database that cannot be reached is an error at once")
}

// Issue 17, finding 6, on PostgreSQL: a listing of live entities does not
// scan the tombstones, which are kept forever: the partial index
// tandem_entities_live serves it.
func TestPostgres_listingLiveEntitiesSkipsTombstonesByIndex(t *testing.T) {
	st := openPostgres(t)
	defer st.Close()
	ctx := context.Background()
	conn, err := st.pool.Acquire(ctx)
	require.NoError(t, err)
	defer conn.Release()
	// On a table this small the planner would scan it whole anyway; the
	// question is whether the index can serve the query.
	_, err = conn.Exec(ctx, "SET enable_seqscan = off")
	require.NoError(t, err)
	defer conn.Exec(ctx, "RESET enable_seqscan") //nolint:errcheck // the connection goes back to the pool
	rows, err := conn.Query(ctx, "EXPLAIN "+pqListLive, "todos", "", 10)
	require.NoError(t, err)
	plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	assert.Contains(t, fmt.Sprint(plan), "tandem_entities_live", "plan: %q", plan)
}
