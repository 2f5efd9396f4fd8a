package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tandemkit/tandem/pkg/cache"
	"github.com/tandemkit/tandem/pkg/state"
	"github.com/tandemkit/tandem/pkg/store"
	"github.com/tandemkit/tandem/pkg/wire"
)

type Todo struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	UpdatedAt string `json:"updatedAt,omitempty"`
}

// A server that confirms every create with the object it stored (which
// adds updatedAt), and refuses the title "eggs" as the form schema of the
// server would.
func fakeServer(ctx context.Context, req *cache.Request) (*cache.Response, error) {
	var t Todo
	_ = json.Unmarshal(req.Body, &t)
	if t.Title == "eggs" {
		b, _ := json.Marshal(wire.ErrorResponse{Error: wire.ErrorBody{Code: wire.CodeInvalid, Message: "invalid",
			Fields: map[string]string{"title": "is already used in this list"}}})
		return &cache.Response{Status: 422, Body: b}, nil
	}
	t.UpdatedAt = "2026-11-27T12:00:00Z"
	data, _ := json.Marshal(t)
	b, _ := json.Marshal(wire.MutationResponse{ID: t.ID, Version: 1, Data: data, Topic: "todos", Seq: 1, MutationID: 1})
	return &cache.Response{Status: 201, Body: b}, nil
}

func Example() {
	// The graph's goroutine is this one: network answers are handed to it
	// through the scheduler, and run below.
	work := make(chan func(), 16)
	g := state.NewGraph(state.WithScheduler(func(fn func()) { work <- fn }))
	s, _ := store.New(store.Options{Graph: g, Transport: cache.TransportFunc(fakeServer)})
	todos, _ := store.NewCollection(s, store.CollectionOptions[Todo, Todo]{Name: "todos", Codec: store.Identity[Todo]()})
	create := store.NewMutation(todos, nil, func(t Todo) store.Op[Todo] { return store.Create(t.ID, t) })

	g.Effect(func() {
		if t, ok := todos.Get("t1"); ok {
			fmt.Printf("t1: %q pending=%v updatedAt=%q\n", t.Title, todos.IsPending("t1"), t.UpdatedAt)
		}
	})
	p := create.Run(Todo{ID: "t1", Title: "milk"})
	for p.Status() == store.Waiting {
		(<-work)()
	}
	fmt.Println("milk:", p.Status())

	p = create.Run(Todo{ID: "t2", Title: "eggs"})
	_, shown := todos.Get("t2")
	for p.Status() == store.Waiting {
		(<-work)()
	}
	_, kept := todos.Get("t2")
	var me *store.MutationError
	if errors.As(p.Err(), &me) {
		fmt.Println("eggs:", p.Status(), me.Fields()["title"], "shown at once:", shown, "kept:", kept)
	}
	// Output:
	// t1: "milk" pending=true updatedAt=""
	// t1: "milk" pending=false updatedAt="2026-11-27T12:00:00Z"
	// milk: succeeded
	// eggs: failed is already used in this list shown at once: true kept: false
}
