package server

import (
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/tandemkit/tandem/pkg/form"
	"github.com/tandemkit/tandem/pkg/wire"
)

// Every body and header the REST path decodes is fuzzed: each must either
// decode or give a 4xx answer, never panic or a 500.

func fuzzEntity() *entity[tTodo] {
	layout, err := wire.LayoutOf[tTodo]()
	if err != nil {
		panic(err)
	}
	return &entity[tTodo]{name: "todos", layout: layout, createForm: tTodos.Create(), updateForm: tTodos.Update()}
}

func requireAnswer(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	he := httpError(err)
	if he == nil || he.Status < 400 || he.Status >= 500 {
		t.Fatalf("error %v does not map to a 4xx answer", err)
	}
	var fe *form.Errors
	if he.Status == 422 && !errors.As(err, &fe) {
		t.Fatalf("422 without field errors: %v", err)
	}
}

func FuzzParseCreate(f *testing.F) {
	for _, s := range []string{
		`{"id":"t1","listId":"l1","title":"milk","done":false,"position":1.5}`,
		`{"id":"t1","title":""}`, `{"id":5}`, `{"title":"x"}`, `[]`, `{"id":"t1","updatedAt":"x"}`, `{"id":"t1"} x`, `{"position":1e400}`,
	} {
		f.Add([]byte(s))
	}
	e := fuzzEntity()
	f.Fuzz(func(t *testing.T, body []byte) {
		id, v, err := e.parseCreate(body)
		requireAnswer(t, err)
		if err == nil {
			if id == "" || v == nil {
				t.Fatal("accepted a create without id")
			}
		}
	})
}

func FuzzParsePatch(f *testing.F) {
	for _, s := range []string{`{"title":"x"}`, `{"done":true,"position":2}`, `{}`, `{"id":"x"}`, `{"title":null}`, `{"nope":1}`, `{"done":"yes"}`, `null`} {
		f.Add([]byte(s))
	}
	e := fuzzEntity()
	f.Fuzz(func(t *testing.T, body []byte) {
		patch, keys, err := e.parsePatch(body)
		requireAnswer(t, err)
		if err == nil && (len(keys) == 0 || len(patch) != len(keys)) {
			t.Fatalf("accepted patch %q with keys %v", body, keys)
		}
	})
}

func FuzzDecodeCursor(f *testing.F) {
	f.Add(encodeCursor(cursor{Epoch: "e", Seq: 3, After: "a"}))
	f.Add("zzz")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := decodeCursor(s)
		requireAnswer(t, err)
		if err == nil {
			if back, err := decodeCursor(encodeCursor(c)); err != nil || back != c {
				t.Fatalf("round trip of %+v: %+v, %v", c, back, err)
			}
		}
	})
}

func FuzzMutationHeaders(f *testing.F) {
	f.Add(client1, "1")
	f.Add("", "")
	f.Add(client1, "")
	f.Add("XYZ", "007")
	f.Fuzz(func(t *testing.T, cid, mid string) {
		r := httptest.NewRequest("POST", "/api/todos", nil)
		r.Header.Set("X-Client-ID", cid)
		r.Header.Set("X-Mutation-ID", mid)
		c, n, err := mutationHeaders(r)
		requireAnswer(t, err)
		if err == nil && (c == "") != (n == 0) {
			t.Fatalf("half a dedup key: %q %d", c, n)
		}
	})
}
