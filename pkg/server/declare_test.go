package server

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/form"
	"github.com/tandemkit/tandem/pkg/wire"
)

// The rules an entity declares (form.Define), kept by the server without a
// hook: what examples/todo/backend needed 60 lines of hooks for.

func TestRegister_refusesANameTheTypeDoesNotEncode(t *testing.T) {
	type project struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	name := func(p *project) *string { return &p.Name }
	for _, tc := range []struct {
		desc string
		e    *form.Entity[project]
		want string
	}{
		{"a form field with a typo", form.Define("projects", form.String("nmae", name)), `"nmae" is not a JSON field`},
		{"a getter pointing elsewhere", form.Define("projects", form.String("id2", func(p *project) *string { return &p.ID })), `"id2" is not a JSON field`},
		{"a unique rule", form.Define("projects", form.String("name", name)).Unique("title"), `"title" is not a JSON field`},
		{"a reference", form.Define("projects", form.String("name", name)).Ref("ownerId", form.Define("users", form.String("name", name))), `"ownerId" is not a JSON field`},
		{"a stamp", form.Define("projects", form.String("name", name)).Stamp("updatedAt"), `"updatedAt" is not a JSON field`},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			s := New(NewMemStore(), Options{Logger: quietLogger()})
			t.Cleanup(func() { require.NoError(t, s.Shutdown(context.Background())) })
			assert.ErrorContains(t, Register(s, tc.e), tc.want)
		})
	}
	t.Run("a getter pointing to another field than its name", func(t *testing.T) {
		type pair struct {
			ID    string `json:"id"`
			Name  string `json:"name"`
			Title string `json:"title"`
		}
		s := New(NewMemStore(), Options{Logger: quietLogger()})
		t.Cleanup(func() { require.NoError(t, s.Shutdown(context.Background())) })
		e := form.Define("pairs", form.String("title", func(p *pair) *string { return &p.Name }))
		assert.ErrorContains(t, Register(s, e), `"title" points to another field`)
	})
	t.Run("a stamp that is not a time, or that a form sets", func(t *testing.T) {
		type dated struct {
			ID   string    `json:"id"`
			Name string    `json:"name"`
			At   time.Time `json:"at"`
		}
		s := New(NewMemStore(), Options{Logger: quietLogger()})
		t.Cleanup(func() { require.NoError(t, s.Shutdown(context.Background())) })
		n := form.String("name", func(d *dated) *string { return &d.Name })
		assert.ErrorContains(t, Register(s, form.Define("a", n).Stamp("name")), `stamp "name" must be a time.Time`)
		at := form.Value("at", func(d *dated) *time.Time { return &d.At })
		assert.ErrorContains(t, Register(s, form.Define("b", n, at).Stamp("at")), `belongs to no form`)
	})
}

func TestDeclared_aRefMustNameALiveEntity(t *testing.T) {
	env := newEnv(t, NewMemStore(), Options{})
	r := env.do("POST", "/api/todos", `{"id":"t1","listId":"nope","title":"milk"}`)
	require.Equal(t, http.StatusUnprocessableEntity, r.status)
	assert.Equal(t, map[string]string{"listId": "must name an existing list"}, r.errBody(t).Error.Fields)

	env.mustCreate("lists", `{"id":"l1","name":"groceries"}`)
	env.mustCreate("lists", `{"id":"l2","name":"hardware"}`)
	env.mustCreate("todos", `{"id":"t1","listId":"l1","title":"milk"}`)
	r = env.do("PATCH", "/api/todos/t1", `{"listId":"gone"}`)
	require.Equal(t, http.StatusUnprocessableEntity, r.status, "an update that changes the reference")
	r = env.do("PATCH", "/api/todos/t1", `{"listId":"l2"}`)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
}

func TestDeclared_deletingAListCascadesToItsTodosInOneMutation(t *testing.T) {
	env := newEnv(t, NewMemStore(), Options{})
	env.mustCreate("lists", `{"id":"l1","name":"groceries"}`)
	env.mustCreate("todos", `{"id":"t1","listId":"l1","title":"milk"}`)
	env.mustCreate("todos", `{"id":"t2","listId":"l1","title":"eggs"}`)
	r := env.do("DELETE", "/api/lists/l1", nil, mut(client1, 9)...)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	for _, id := range []string{"t1", "t2"} {
		r := env.do("GET", "/api/todos/"+id, nil)
		assert.Equal(t, http.StatusNotFound, r.status, id)
	}
	var origins []uint64
	for _, ev := range env.bus.events {
		if ev.Op == wire.OpDelete && ev.Origin != nil {
			origins = append(origins, ev.Origin.MutationID)
		}
	}
	assert.Equal(t, []uint64{9, 9, 9}, origins, "two todos and the list, all the one mutation's")
}

func TestDeclared_aRefWithoutCascadeRefusesTheDelete(t *testing.T) {
	type owner struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	type pet struct {
		ID      string `json:"id"`
		OwnerID string `json:"ownerId"`
	}
	owners := form.Define("owners", form.String("name", func(o *owner) *string { return &o.Name }))
	pets := form.Define("pets", form.String("ownerId", func(p *pet) *string { return &p.OwnerID })).Ref("ownerId", owners)
	s := New(NewMemStore(), Options{Logger: quietLogger()})
	require.NoError(t, Register(s, pets), "the order of registration does not matter")
	require.NoError(t, Register(s, owners))
	env := &testEnv{t: t, srv: s, http: newHTTP(t, s)}
	env.mustCreate("owners", `{"id":"o1","name":"ann"}`)
	env.mustCreate("pets", `{"id":"p1","ownerId":"o1"}`)
	r := env.do("DELETE", "/api/owners/o1", nil)
	require.Equal(t, http.StatusUnprocessableEntity, r.status)
	assert.Equal(t, "this owner is still used by 1 of the pets", r.errBody(t).Error.Message)
	require.Equal(t, http.StatusOK, env.do("DELETE", "/api/pets/p1", nil).status)
	require.Equal(t, http.StatusOK, env.do("DELETE", "/api/owners/o1", nil).status, "free once nothing refers to it")
}

func TestDeclared_aFoldedUniqueTitleWithinItsList(t *testing.T) {
	env := newEnv(t, NewMemStore(), Options{})
	env.mustCreate("lists", `{"id":"l1","name":"a"}`)
	env.mustCreate("lists", `{"id":"l2","name":"b"}`)
	env.mustCreate("todos", `{"id":"t1","listId":"l1","title":"Café"}`)
	r := env.do("POST", "/api/todos", `{"id":"t2","listId":"l1","title":" CAFE\u0301"}`)
	require.Equal(t, http.StatusUnprocessableEntity, r.status, "case, spaces and the NFD spelling fold to one title")
	assert.Equal(t, map[string]string{"title": "is already used in this list"}, r.errBody(t).Error.Fields)
	env.mustCreate("todos", `{"id":"t3","listId":"l2","title":"café"}`) // another list
}

func TestDeclared_theServerStampsEveryWrite(t *testing.T) {
	env := newEnv(t, NewMemStore(), Options{})
	created := env.mustCreate("lists", `{"id":"l1","name":"a"}`)
	var l tList
	require.NoError(t, json.Unmarshal(created.Data, &l))
	assert.False(t, l.UpdatedAt.IsZero(), "stamped on create")
	r := env.do("POST", "/api/lists", `{"id":"l2","name":"b","updatedAt":"2020-01-01T00:00:00Z"}`)
	assert.Equal(t, http.StatusBadRequest, r.status, "a stamp is the server's: no form sets it")
}

func TestFold(t *testing.T) {
	assert.Equal(t, Fold("Caf\u00e9"), Fold(" CAFE\u0301"))
	assert.NotEqual(t, Fold("Cafe"), Fold("Caf\u00e9"))
}
