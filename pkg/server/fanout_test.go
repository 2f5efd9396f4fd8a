package server

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/form"
	"github.com/tandemkit/tandem/pkg/wire"
)

// countingPuts counts the entity writes of every transaction.
type countingPuts struct {
	Store
	puts atomic.Int64
}

func (c *countingPuts) Update(ctx context.Context, fn func(WriteTx) error) error {
	return c.Store.Update(ctx, func(tx WriteTx) error { return fn(putCounter{tx, c}) })
}

type putCounter struct {
	WriteTx
	c *countingPuts
}

func (p putCounter) Put(ctx context.Context, rec Record) error {
	p.c.puts.Add(1)
	return p.WriteTx.Put(ctx, rec)
}

// Finding 4: deleting a list with 5,000 todos held the only writer,
// published 5,000 events at once, and anyone could create the todos and
// repeat it.
func TestMaxChanges_aCascadeBeyondTheBoundIsRefusedWhole(t *testing.T) {
	st := &countingPuts{Store: NewMemStore()}
	env := newEnv(t, st, Options{MaxChanges: 100, Quotas: Unlimited()})
	for _, l := range []struct {
		id    string
		todos int
	}{{"big", 150}, {"fits", 99}} {
		env.mustCreate("lists", `{"id":"`+l.id+`","name":"x"}`)
		for i := range l.todos {
			env.mustCreate("todos", fmt.Sprintf(`{"id":"%s-%d","listId":%q,"title":"t%d"}`, l.id, i, l.id, i))
		}
	}
	events, puts := len(env.bus.all()), st.puts.Load()

	r := env.do("DELETE", "/api/lists/big", nil, mut(client1, 1)...)
	require.Equal(t, http.StatusUnprocessableEntity, r.status, string(r.body))
	e := r.errBody(t)
	assert.Equal(t, wire.CodeRejected, e.Error.Code)
	assert.Equal(t, "this mutation would change more than 100 entities; change fewer at once", e.Error.Message)
	assert.Len(t, env.bus.all(), events, "nothing was published")
	assert.LessOrEqual(t, st.puts.Load()-puts, int64(100), "the writer stopped at the bound")
	assert.Equal(t, http.StatusOK, env.do("GET", "/api/lists/big", nil).status, "nothing was deleted")
	assert.Equal(t, http.StatusOK, env.do("GET", "/api/todos/big-0", nil).status)
	assert.True(t, env.do("DELETE", "/api/lists/big", nil, mut(client1, 1)...).errBody(t).Duplicate, "recorded")

	r = env.do("DELETE", "/api/lists/fits", nil, mut(client1, 2)...)
	require.Equal(t, http.StatusOK, r.status, "99 todos and their list: 100 changes")
	assert.Len(t, env.bus.all(), events+100)
}

func TestMaxChanges_holdsEvenWhenAHookIgnoresTheError(t *testing.T) {
	type parent struct {
		ID   string `json:"id"`
		Kids int    `json:"kids"`
	}
	st := NewMemStore()
	s := New(st, Options{MaxChanges: 10, Logger: quietLogger(), Bus: &recordingBus{}})
	kids := form.New(form.Int("kids", func(p *parent) *int { return &p.Kids }))
	require.NoError(t, Register(s, Entity[parent]{
		Collection: "parents", ID: func(p *parent) *string { return &p.ID }, Create: kids,
		BeforeDelete: func(ctx context.Context, tx *Tx, old parent) error {
			for i := range old.Kids {
				_ = tx.Delete("parents", fmt.Sprintf("%s.%d", old.ID, i)) // errors ignored
			}
			return nil
		},
	}))
	env := &testEnv{t: t, srv: s, store: st}
	env.http = newHTTP(t, s)
	env.mustCreate("parents", `{"id":"p","kids":20}`)
	for i := range 20 {
		env.mustCreate("parents", fmt.Sprintf(`{"id":"p.%d"}`, i))
	}
	r := env.do("DELETE", "/api/parents/p", nil)
	assert.Equal(t, http.StatusUnprocessableEntity, r.status, string(r.body))
	assert.Equal(t, http.StatusOK, env.do("GET", "/api/parents/p.0", nil).status, "rolled back")
}
