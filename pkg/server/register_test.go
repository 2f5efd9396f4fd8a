package server

import (
	"context"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/form"
)

type item struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Group string `json:"group"`
}

var items = form.Define("items",
	form.String("title", func(v *item) *string { return &v.Title }),
	form.String("group", func(v *item) *string { return &v.Group }))

func itemEntity(indexes ...Index[item]) Hooks[item] { return Hooks[item]{Indexes: indexes} }

var (
	titleUnique = Index[item]{Name: "title", Unique: true, Key: func(v item) string { return v.Title }}
	byGroup     = Index[item]{Name: "group", Key: func(v item) string { return v.Group }}
)

// reopen starts a server on the SQLite file at path with entity e, the way a
// deployment restarts with new code.
func reopen(t *testing.T, path string, e Hooks[item]) (*testEnv, error) {
	t.Helper()
	st, err := OpenSQLite(path, SQLiteOptions{Synchronous: "NORMAL"})
	require.NoError(t, err)
	s := New(st, Options{Bus: &LocalBus{}, Logger: quietLogger()})
	if err := Register(s, items, e); err != nil {
		require.NoError(t, s.Shutdown(context.Background()))
		require.NoError(t, st.Close())
		return nil, err
	}
	env := &testEnv{t: t, srv: s, store: st, http: newHTTP(t, s)}
	t.Cleanup(func() { st.Close() })
	return env, nil
}

func (e *testEnv) stop() {
	e.http.Close()
	require.NoError(e.t, e.srv.Shutdown(context.Background()))
	require.NoError(e.t, e.store.Close())
}

func (e *testEnv) lookup(index, key string) []string {
	e.t.Helper()
	var ids []string
	require.NoError(e.t, e.store.Update(context.Background(), func(tx WriteTx) error {
		var err error
		ids, err = tx.Lookup(context.Background(), "items", index, key)
		return err
	}))
	return ids
}

func TestIndex_anIndexAddedToAStoredCollectionIsBuiltAtRegister(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ix.db")
	env, err := reopen(t, path, itemEntity())
	require.NoError(t, err)
	env.mustCreate("items", `{"id":"a","title":"same","group":"g"}`)
	env.mustCreate("items", `{"id":"b","title":"other","group":"g"}`)
	env.mustCreate("items", `{"id":"c","title":"gone","group":"g"}`)
	require.Equal(t, http.StatusOK, env.do("DELETE", "/api/items/c", nil).status)
	env.stop()

	env, err = reopen(t, path, itemEntity(titleUnique, byGroup))
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, env.lookup("group", "g"), "live entities are indexed, tombstones are not")
	r := env.do("POST", "/api/items", `{"id":"d","title":"same"}`)
	require.Equal(t, http.StatusUnprocessableEntity, r.status, "the unique index holds for entities stored before it existed")
	assert.Equal(t, map[string]string{"title": "is already taken"}, r.errBody(t).Error.Fields)
	env.stop()

	// Dropped from the code: its keys are forgotten; declared again: rebuilt.
	env, err = reopen(t, path, itemEntity(titleUnique))
	require.NoError(t, err)
	assert.Empty(t, env.lookup("group", "g"))
	env.mustCreate("items", `{"id":"e","title":"new","group":"g"}`)
	env.stop()
	env, err = reopen(t, path, itemEntity(titleUnique, byGroup))
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "e"}, env.lookup("group", "g"))
	env.stop()
}

func TestIndex_aUniqueIndexThatStoredEntitiesViolateFailsRegister(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ix.db")
	env, err := reopen(t, path, itemEntity(byGroup))
	require.NoError(t, err)
	env.mustCreate("items", `{"id":"a","title":"same","group":"g"}`)
	env.mustCreate("items", `{"id":"b","title":"same","group":"g"}`)
	env.stop()

	_, err = reopen(t, path, itemEntity(byGroup, titleUnique))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unique index "title" of "items" does not hold: a and b have the same key "same"`)
	// Nothing of the failed registration was kept.
	env, err = reopen(t, path, itemEntity(byGroup))
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, env.lookup("group", "g"))
	assert.Empty(t, env.lookup("title", "same"))
	env.stop()
}

func TestIndex_changingUniqueRebuildsTheIndex(t *testing.T) {
	st := NewMemStore()
	s := New(st, Options{Bus: &LocalBus{}, Logger: quietLogger()})
	require.NoError(t, Register(s, items, itemEntity(Index[item]{Name: "title", Key: func(v item) string { return v.Title }})))
	require.NoError(t, s.Shutdown(context.Background()))
	require.NoError(t, st.Update(context.Background(), func(tx WriteTx) error {
		sigs, err := tx.IndexSignatures(context.Background(), "items")
		assert.Equal(t, map[string]string{"title": "v1 unique=false"}, sigs)
		return err
	}))
	s = New(st, Options{Bus: &LocalBus{}, Logger: quietLogger()})
	require.NoError(t, Register(s, items, itemEntity(titleUnique)))
	require.NoError(t, s.Shutdown(context.Background()))
	require.NoError(t, st.Update(context.Background(), func(tx WriteTx) error {
		sigs, err := tx.IndexSignatures(context.Background(), "items")
		assert.Equal(t, map[string]string{"title": "v1 unique=true"}, sigs)
		return err
	}))
	s = New(st, Options{Bus: &LocalBus{}, Logger: quietLogger()})
	assert.ErrorContains(t, Register(s, items, itemEntity(byGroup, byGroup)), `index "group" declared twice`)
	require.NoError(t, s.Shutdown(context.Background()))
}

// updateGate makes Update wait until the gate opens while it is shut: a
// transaction another instance (or a long mutation) holds.
type updateGate struct {
	Store
	shut atomic.Bool
	open chan struct{}
}

func (g *updateGate) Update(ctx context.Context, fn func(WriteTx) error) error {
	if g.shut.Load() {
		<-g.open
	}
	return g.Store.Update(ctx, fn)
}

func TestRegister_afterHandlerIsRefusedAndNeverWaitsOnTheStore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := &updateGate{Store: NewMemStore(), open: make(chan struct{})}
		s := New(st, Options{Bus: &LocalBus{}, Logger: quietLogger()})
		registerDemo(t, s, nil)
		b := &bubble{t: t, s: s, h: s.Handler()}
		defer b.stop()
		b.create("lists", `{"id":"l1","name":"one"}`)

		st.shut.Store(true) // the store is busy
		done := make(chan error, 1)
		go func() { done <- Register(s, items, itemEntity()) }()
		synctest.Wait()
		select {
		case err := <-done:
			require.Error(t, err)
			assert.Contains(t, err.Error(), "after Handler")
		default:
			t.Error("Register waited on the store instead of refusing")
		}
		close(st.open)
		synctest.Wait()
		assert.Equal(t, http.StatusNotFound, b.do("GET", "/api/items", "").Code, "items was not registered")
		// The server goes on, cascades (which look entities up) included.
		b.create("todos", `{"id":"t1","listId":"l1","title":"x"}`)
		assert.Equal(t, http.StatusOK, b.do("DELETE", "/api/lists/l1", "").Code)
	})
}
