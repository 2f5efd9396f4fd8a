package server

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/wire"
)

// TestStoreContract_partitions runs the partition side of the Store
// contract on every implementation: partition listings with their
// departures, topic names in order, access generations on topics and
// events.
func TestStoreContract_partitions(t *testing.T) {
	eachStore(t, func(t *testing.T, st Store) {
		ctx := context.Background()
		rec := func(id, part string, v uint64, deleted bool) Record {
			r := Record{Collection: "cards", ID: id, Partition: part, Version: v, Deleted: deleted}
			if !deleted {
				r.Data = []byte(`{"id":"` + id + `","boardId":"` + part + `"}`)
			}
			return r
		}
		require.NoError(t, st.Update(ctx, func(tx WriteTx) error {
			for _, topic := range []string{"cards", "b1/cards", "b2/cards"} {
				if _, err := tx.CreateTopic(ctx, topic, "e1"); err != nil {
					return err
				}
			}
			for _, r := range []Record{rec("c1", "b1", 1, false), rec("c2", "b1", 2, true), rec("c3", "b2", 3, false), rec("c4", "b1", 4, false)} {
				if err := tx.Put(ctx, r); err != nil {
					return err
				}
			}
			// c4 moves from b1 to b2 at versions 5 (its departure) and 6.
			if err := tx.Put(ctx, rec("c4", "b2", 6, false)); err != nil {
				return err
			}
			if err := tx.SetDeparted(ctx, "cards", "b1", "c4", 5); err != nil {
				return err
			}
			a, err := tx.BumpAccess(ctx, "b1/cards")
			assert.Equal(t, uint64(1), a)
			if err != nil {
				return err
			}
			seq, access, err := tx.NextSeq(ctx, "b1/cards")
			assert.Equal(t, [2]uint64{1, 1}, [2]uint64{seq, access}, "NextSeq says the topic's access generation")
			if err != nil {
				return err
			}
			_, err = tx.BumpAccess(ctx, "nope/cards")
			assert.ErrorIs(t, err, ErrNoTopic)
			return tx.AppendEvent(ctx, EventRecord{Topic: "b1/cards", Seq: 1, ID: "c1", Op: wire.OpUpdate, Version: 7, Data: []byte(`{}`), TS: 1, Access: 1}, 10)
		}))
		require.NoError(t, st.View(ctx, func(rt ReadTx) error {
			all, err := rt.ListPartition(ctx, "cards", "b1", "", 10, true)
			require.NoError(t, err)
			assert.Equal(t, []Record{rec("c1", "b1", 1, false), rec("c2", "b1", 2, true), rec("c4", "b1", 5, true)}, all,
				"a partition's snapshot accounts for every entity it held: live, deleted and gone elsewhere")
			live, err := rt.ListPartition(ctx, "cards", "b1", "", 10, false)
			require.NoError(t, err)
			assert.Equal(t, []Record{rec("c1", "b1", 1, false)}, live)
			page, err := rt.ListPartition(ctx, "cards", "b2", "c3", 10, true)
			require.NoError(t, err)
			assert.Equal(t, []Record{rec("c4", "b2", 6, false)}, page, "after and the partition's own entities")
			got, found, err := rt.Get(ctx, "cards", "c4")
			require.NoError(t, err)
			require.True(t, found)
			assert.Equal(t, "b2", got.Partition)
			topics, err := rt.Topics(ctx, "", 10)
			require.NoError(t, err)
			assert.Equal(t, []string{"b1/cards", "b2/cards", "cards"}, topics)
			topics, err = rt.Topics(ctx, "b1/cards", 1)
			require.NoError(t, err)
			assert.Equal(t, []string{"b2/cards"}, topics)
			ts, _, err := rt.Topic(ctx, "b1/cards")
			require.NoError(t, err)
			assert.Equal(t, uint64(1), ts.Access)
			evs, err := rt.Events(ctx, "b1/cards", 0, 10)
			require.NoError(t, err)
			require.Len(t, evs, 1)
			assert.Equal(t, uint64(1), evs[0].Access)
			return nil
		}))
		// Coming back forgets the departure.
		require.NoError(t, st.Update(ctx, func(tx WriteTx) error {
			if err := tx.Put(ctx, rec("c4", "b1", 8, false)); err != nil {
				return err
			}
			return tx.SetDeparted(ctx, "cards", "b1", "c4", 0)
		}))
		require.NoError(t, st.View(ctx, func(rt ReadTx) error {
			all, err := rt.ListPartition(ctx, "cards", "b1", "", 10, true)
			require.NoError(t, err)
			assert.Equal(t, []Record{rec("c1", "b1", 1, false), rec("c2", "b1", 2, true), rec("c4", "b1", 8, false)}, all)
			return nil
		}))
	})
}

func TestSQLite_migratesTablesFromBeforePartitions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	old, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	_, err = old.Exec(`CREATE TABLE topics (topic TEXT PRIMARY KEY, epoch TEXT NOT NULL, seq INTEGER NOT NULL) WITHOUT ROWID;
		CREATE TABLE entities (collection TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, deleted INTEGER NOT NULL, data TEXT, PRIMARY KEY (collection, id)) WITHOUT ROWID;
		CREATE TABLE events (topic TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL, op TEXT NOT NULL, version INTEGER NOT NULL, data TEXT,
			client_id TEXT NOT NULL, mutation_id INTEGER NOT NULL, ts INTEGER NOT NULL, PRIMARY KEY (topic, seq)) WITHOUT ROWID;
		INSERT INTO topics VALUES ('lists', 'e1', 1);
		INSERT INTO entities VALUES ('lists', 'l1', 1, 0, '{"id":"l1"}');
		INSERT INTO events VALUES ('lists', 1, 'l1', 'create', 1, '{"id":"l1"}', '', 0, 5);`)
	require.NoError(t, err)
	require.NoError(t, old.Close())

	st, err := OpenSQLite(path, SQLiteOptions{})
	require.NoError(t, err)
	defer st.Close()
	ctx := context.Background()
	require.NoError(t, st.View(ctx, func(rt ReadTx) error {
		rec, found, err := rt.Get(ctx, "lists", "l1")
		require.NoError(t, err)
		require.True(t, found)
		assert.Equal(t, "", rec.Partition, "an earlier entity is in no partition")
		ts, _, err := rt.Topic(ctx, "lists")
		require.NoError(t, err)
		assert.Equal(t, TopicState{Epoch: "e1", Seq: 1, MinSeq: 1}, ts)
		evs, err := rt.Events(ctx, "lists", 0, 10)
		require.NoError(t, err)
		assert.Len(t, evs, 1)
		return nil
	}))
	require.NoError(t, st.Close())
	st, err = OpenSQLite(path, SQLiteOptions{}) // opening again migrates nothing more
	require.NoError(t, err)
	require.NoError(t, st.Close())
}

func TestPostgres_migratesTablesOfVersion1(t *testing.T) {
	url := pgSchemaURL(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `CREATE TABLE tandem_schema (version INTEGER NOT NULL); INSERT INTO tandem_schema VALUES (1);`+pgSchemaV1+
		`; INSERT INTO tandem_topics VALUES ('lists', 'e1', 1); INSERT INTO tandem_entities VALUES ('lists', 'l1', 1, false, '{"id":"l1"}')`)
	require.NoError(t, err)
	require.NoError(t, conn.Close(ctx))

	st := openPostgresAt(t, url)
	defer st.Close()
	require.NoError(t, st.View(ctx, func(rt ReadTx) error {
		rec, found, err := rt.Get(ctx, "lists", "l1")
		require.NoError(t, err)
		require.True(t, found)
		assert.Equal(t, "", rec.Partition)
		ts, _, err := rt.Topic(ctx, "lists")
		require.NoError(t, err)
		assert.Equal(t, TopicState{Epoch: "e1", Seq: 1}, ts)
		return nil
	}))
	var version int
	require.NoError(t, st.pool.QueryRow(ctx, `SELECT version FROM tandem_schema`).Scan(&version))
	assert.Equal(t, 2, version)
}
