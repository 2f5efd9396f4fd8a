package server

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/wire"
)

// eachStore runs fn on a fresh store of every implementation.
func eachStore(t *testing.T, fn func(t *testing.T, st Store)) {
	for _, tc := range []struct {
		name string
		open func(t *testing.T) Store
	}{
		{"sqlite", func(t *testing.T) Store { return openSQLite(t) }},
		{"memory", func(t *testing.T) Store { return NewMemStore() }},
		{"postgres", func(t *testing.T) Store { return openPostgres(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := tc.open(t)
			defer st.Close()
			fn(t, st)
		})
	}
}

// TestStoreContract runs the same checks on every Store implementation.
func TestStoreContract(t *testing.T) {
	eachStore(t, func(t *testing.T, st Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC)
		update := func(fn func(tx WriteTx) error) error { return st.Update(ctx, fn) }
		view := func(fn func(rt ReadTx)) {
			require.NoError(t, st.View(ctx, func(rt ReadTx) error { fn(rt); return nil }))
		}

		require.NoError(t, update(func(tx WriteTx) error {
			s1, err := tx.CreateTopic(ctx, "todos", "e1")
			require.NoError(t, err)
			s2, err := tx.CreateTopic(ctx, "todos", "e2")
			require.NoError(t, err)
			assert.Equal(t, TopicState{Epoch: "e1"}, s1)
			assert.Equal(t, s1, s2, "CreateTopic keeps an existing topic")
			_, _, err = tx.NextSeq(ctx, "nope")
			assert.ErrorIs(t, err, ErrNoTopic)
			return nil
		}))

		// A committed write with outbox pruning.
		require.NoError(t, update(func(tx WriteTx) error {
			for i := 1; i <= 5; i++ {
				seq, _, err := tx.NextSeq(ctx, "todos")
				require.NoError(t, err)
				require.Equal(t, uint64(i), seq)
				id := string(rune('a' + i - 1))
				require.NoError(t, tx.Put(ctx, Record{Collection: "todos", ID: id, Version: seq, Data: []byte(`{"id":"` + id + `"}`)}))
				require.NoError(t, tx.AppendEvent(ctx, EventRecord{Topic: "todos", Seq: seq, ID: id, Op: wire.OpCreate, Version: seq, Data: []byte(`{}`), ClientID: client1, MutationID: uint64(i), TS: 7}, 3))
			}
			require.NoError(t, tx.Put(ctx, Record{Collection: "todos", ID: "b", Version: 5, Deleted: true}))
			return nil
		}))
		view(func(rt ReadTx) {
			ts, found, err := rt.Topic(ctx, "todos")
			require.NoError(t, err)
			require.True(t, found)
			assert.Equal(t, TopicState{Epoch: "e1", Seq: 5, MinSeq: 3}, ts)
			evs, err := rt.Events(ctx, "todos", 3, 10)
			require.NoError(t, err)
			require.Len(t, evs, 2)
			assert.Equal(t, EventRecord{Topic: "todos", Seq: 4, ID: "d", Op: wire.OpCreate, Version: 4, Data: []byte(`{}`), ClientID: client1, MutationID: 4, TS: 7}, evs[0])
			live, err := rt.List(ctx, "todos", "", 10, false)
			require.NoError(t, err)
			assert.Len(t, live, 4)
			all, err := rt.List(ctx, "todos", "a", 2, true)
			require.NoError(t, err)
			require.Len(t, all, 2)
			assert.Equal(t, Record{Collection: "todos", ID: "b", Version: 5, Deleted: true}, all[0])
			assert.Equal(t, "c", all[1].ID)
			rec, found, err := rt.Get(ctx, "todos", "a")
			require.NoError(t, err)
			require.True(t, found)
			assert.Equal(t, `{"id":"a"}`, string(rec.Data))
			_, found, err = rt.Get(ctx, "todos", "zz")
			require.NoError(t, err)
			assert.False(t, found)
		})

		// A failing Update rolls everything back.
		errBoom := errors.New("boom")
		err := update(func(tx WriteTx) error {
			_, _, err := tx.NextSeq(ctx, "todos")
			require.NoError(t, err)
			require.NoError(t, tx.Put(ctx, Record{Collection: "todos", ID: "zz", Version: 6, Data: []byte(`{}`)}))
			require.NoError(t, tx.SaveResponse(ctx, client1, "alice", 9, StoredResponse{Status: 201, Body: []byte(`{}`)}, 2, t0))
			return errBoom
		})
		assert.ErrorIs(t, err, errBoom)
		view(func(rt ReadTx) {
			ts, _, _ := rt.Topic(ctx, "todos")
			assert.Equal(t, uint64(5), ts.Seq)
			_, found, _ := rt.Get(ctx, "todos", "zz")
			assert.False(t, found)
			_, found, _ = rt.Client(ctx, client1)
			assert.False(t, found)
		})

		// Savepoints undo one part of a transaction.
		require.NoError(t, update(func(tx WriteTx) error {
			require.NoError(t, tx.Savepoint(ctx, "m0"))
			_, _, err := tx.NextSeq(ctx, "todos")
			require.NoError(t, err)
			require.NoError(t, tx.SetIndex(ctx, "todos", "title", "a", []string{"k1"}))
			require.NoError(t, tx.RollbackTo(ctx, "m0"))
			require.NoError(t, tx.Release(ctx, "m0"))
			require.NoError(t, tx.Savepoint(ctx, "m1"))
			require.NoError(t, tx.SetIndex(ctx, "todos", "title", "c", []string{"k2", "k3"}))
			require.NoError(t, tx.SetIndex(ctx, "todos", "title", "d", []string{"k2"}))
			require.NoError(t, tx.Release(ctx, "m1"))
			for i := uint64(1); i <= 4; i++ {
				require.NoError(t, tx.SaveResponse(ctx, client1, "alice", i*10, StoredResponse{Status: 200, Body: []byte{byte('0' + i)}}, 2, t0))
			}
			require.NoError(t, tx.SaveResponse(ctx, client1, "bob", 15, StoredResponse{Status: 422, Body: []byte(`x`)}, 2, t0.Add(time.Hour)))
			require.NoError(t, tx.SaveResponse(ctx, client2, "bob", 1, StoredResponse{Status: 200, Body: []byte(`y`)}, 2, t0.Add(2*time.Hour)))
			return nil
		}))
		view(func(rt ReadTx) {
			ts, _, _ := rt.Topic(ctx, "todos")
			assert.Equal(t, uint64(5), ts.Seq, "the seq taken under the rolled-back savepoint is given back")
			ids, err := rt.Lookup(ctx, "todos", "title", "k1")
			require.NoError(t, err)
			assert.Empty(t, ids)
			ids, err = rt.Lookup(ctx, "todos", "title", "k2")
			require.NoError(t, err)
			assert.Equal(t, []string{"c", "d"}, ids)
			c, found, err := rt.Client(ctx, client1)
			require.NoError(t, err)
			require.True(t, found)
			assert.Equal(t, uint64(40), c.LastMutationID, "lastMutationID never decreases")
			assert.Equal(t, "alice", c.Principal, "the first record binds the principal; later ones do not change it")
			assert.True(t, c.Seen.Equal(t0.Add(time.Hour).Truncate(time.Millisecond)), "seen is the last record's time, in ms: %v", c.Seen)
		})
		require.NoError(t, update(func(tx WriteTx) error {
			_, found, err := tx.Response(ctx, client1, 10)
			require.NoError(t, err)
			assert.False(t, found, "only the 2 most recent answers are kept")
			r, found, err := tx.Response(ctx, client1, 40)
			require.NoError(t, err)
			require.True(t, found)
			assert.Equal(t, StoredResponse{Status: 200, Body: []byte("4")}, r)
			require.NoError(t, tx.SetIndex(ctx, "todos", "title", "c", nil))
			ids, err := tx.Lookup(ctx, "todos", "title", "k3")
			require.NoError(t, err)
			assert.Empty(t, ids)
			return nil
		}))

		// Dedup records expire: PruneClients drops the clients seen
		// before the cutoff, with their answers.
		require.NoError(t, update(func(tx WriteTx) error {
			n, err := tx.PruneClients(ctx, t0.Add(90*time.Minute), 100)
			require.NoError(t, err)
			assert.Equal(t, 1, n)
			_, found, err := tx.Response(ctx, client1, 40)
			require.NoError(t, err)
			assert.False(t, found, "the answers go with the client")
			_, found, err = tx.Client(ctx, client1)
			require.NoError(t, err)
			assert.False(t, found)
			c, found, err := tx.Client(ctx, client2)
			require.NoError(t, err)
			require.True(t, found)
			assert.Equal(t, "bob", c.Principal)
			_, found, err = tx.Response(ctx, client2, 1)
			require.NoError(t, err)
			assert.True(t, found, "a client seen after the cutoff stays")
			return nil
		}))

		// Index signatures: ResetIndex drops an index's keys and records
		// its signature; "" forgets the index.
		require.NoError(t, update(func(tx WriteTx) error {
			require.NoError(t, tx.SetIndex(ctx, "todos", "title", "a", []string{"k1"}))
			require.NoError(t, tx.SetIndex(ctx, "todos", "other", "a", []string{"k1"}))
			require.NoError(t, tx.ResetIndex(ctx, "todos", "title", "sig1"))
			require.NoError(t, tx.ResetIndex(ctx, "todos", "gone", "sig2"))
			require.NoError(t, tx.ResetIndex(ctx, "lists", "x", "sig3"))
			require.NoError(t, tx.ResetIndex(ctx, "todos", "gone", ""))
			sigs, err := tx.IndexSignatures(ctx, "todos")
			require.NoError(t, err)
			assert.Equal(t, map[string]string{"title": "sig1"}, sigs)
			ids, err := tx.Lookup(ctx, "todos", "title", "k2")
			require.NoError(t, err)
			assert.Empty(t, ids, "every key of the index is gone")
			ids, err = tx.Lookup(ctx, "todos", "other", "k1")
			require.NoError(t, err)
			assert.Equal(t, []string{"a"}, ids, "other indexes keep theirs")
			return nil
		}))

		require.NoError(t, st.Close())
		assert.ErrorIs(t, st.Update(ctx, func(WriteTx) error { return nil }), ErrStoreClosed)
		assert.ErrorIs(t, st.View(ctx, func(ReadTx) error { return nil }), ErrStoreClosed)
	})
}

func TestSQLite_persistsAcrossReopenAndRejectsBadPaths(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	st, err := OpenSQLite(path, SQLiteOptions{})
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, st.Update(ctx, func(tx WriteTx) error {
		_, err := tx.CreateTopic(ctx, "t", "e")
		return err
	}))
	require.NoError(t, st.Close())
	st, err = OpenSQLite(path, SQLiteOptions{})
	require.NoError(t, err)
	defer st.Close()
	require.NoError(t, st.View(ctx, func(rt ReadTx) error {
		ts, found, err := rt.Topic(ctx, "t")
		require.True(t, found)
		assert.Equal(t, "e", ts.Epoch)
		return err
	}))
	_, err = OpenSQLite("a?b", SQLiteOptions{})
	assert.Error(t, err)
	_, err = OpenSQLite(path, SQLiteOptions{Synchronous: "SOMETIMES"})
	assert.Error(t, err)
}

func TestResetLog_newEpochSameSeqNoEvents(t *testing.T) {
	eachStore(t, func(t *testing.T, st Store) {
		ctx := context.Background()
		require.NoError(t, st.Update(ctx, func(tx WriteTx) error {
			if _, err := tx.CreateTopic(ctx, "todos", "e1"); err != nil {
				return err
			}
			for range 3 {
				seq, _, err := tx.NextSeq(ctx, "todos")
				if err != nil {
					return err
				}
				if err := tx.AppendEvent(ctx, EventRecord{Topic: "todos", Seq: seq, ID: "a", Op: wire.OpUpdate, Version: seq, Data: []byte(`{}`)}, 100); err != nil {
					return err
				}
			}
			return nil
		}))
		require.NoError(t, ResetLog(ctx, st, "todos"))
		require.NoError(t, st.View(ctx, func(rt ReadTx) error {
			ts, found, err := rt.Topic(ctx, "todos")
			require.NoError(t, err)
			require.True(t, found)
			assert.NotEqual(t, "e1", ts.Epoch)
			assert.Equal(t, uint64(3), ts.Seq, "seq goes on")
			evs, err := rt.Events(ctx, "todos", 0, 10)
			require.NoError(t, err)
			assert.Empty(t, evs, "old cursors cannot be served")
			return nil
		}))
		assert.ErrorIs(t, ResetLog(ctx, st, "nope"), ErrNoTopic)
	})
}

func TestSQLite_migratesTheDedupRecordsOfAnEarlierVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	old, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	_, err = old.Exec(`CREATE TABLE clients (client_id TEXT PRIMARY KEY, last_mutation_id INTEGER NOT NULL) WITHOUT ROWID;
		INSERT INTO clients VALUES ('` + client1 + `', 7);`)
	require.NoError(t, err)
	require.NoError(t, old.Close())

	st, err := OpenSQLite(path, SQLiteOptions{})
	require.NoError(t, err)
	defer st.Close()
	ctx := context.Background()
	require.NoError(t, st.View(ctx, func(rt ReadTx) error {
		c, found, err := rt.Client(ctx, client1)
		require.NoError(t, err)
		require.True(t, found)
		assert.Equal(t, uint64(7), c.LastMutationID)
		assert.Equal(t, "", c.Principal, "an earlier client belongs to the anonymous principal")
		assert.Greater(t, c.Seen.Year(), 2000, "and counts as seen at the migration, so it does not expire at once")
		return nil
	}))
	require.NoError(t, st.Update(ctx, func(tx WriteTx) error {
		n, err := tx.PruneClients(ctx, time.Unix(0, 0), 100)
		assert.Zero(t, n)
		return err
	}))
	require.NoError(t, st.Close())
	st, err = OpenSQLite(path, SQLiteOptions{}) // opening again migrates nothing more
	require.NoError(t, err)
	require.NoError(t, st.Close())
}
