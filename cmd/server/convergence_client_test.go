package main

import (
	"github.com/tandemkit/tandem/examples/todo/model"
	"github.com/tandemkit/tandem/internal/convergence"
	"github.com/tandemkit/tandem/pkg/store"
)

// What TestB36_convergenceAcrossInstances asks of pkg/store's API, in one
// place: the collections, the mutations, the confirmed layer.

type (
	listColl = store.Collection[model.List]
	todoColl = store.Collection[model.Todo]
)

// openCollections opens the peer's lists and todos; on its graph.
func (p *convPeer) openCollections() error {
	var err error
	if p.lists, err = store.Collect(p.s, model.Lists); err != nil {
		return err
	}
	p.todos, err = store.Collect(p.s, model.Todos)
	return err
}

// watch adds both collections to the peer's sync client, through the
// invariant-3 monitor; on its graph.
func (p *convPeer) watch() error {
	if err := p.sc.Add(p.mon.Watch(p.lists, func(id string) uint64 { _, v, _ := p.lists.Confirmed(id); return v })); err != nil {
		return err
	}
	return p.sc.Add(p.mon.Watch(p.todos, func(id string) uint64 { _, v, _ := p.todos.Confirmed(id); return v }))
}

func (p *convPeer) createList(id, name string, n int) *store.Pending {
	m := p.lists.Creates()
	return m.Run(model.List{ID: id, Name: name, Position: float64(n)})
}

func (p *convPeer) createTodo(id, list, title string, n int) *store.Pending {
	m := p.todos.Creates()
	return m.Run(model.Todo{ID: id, ListID: list, Title: title, Position: float64(n)})
}

func (p *convPeer) renameTodo(id, title string) *store.Pending {
	m := store.NewMutation(p.todos, nil, func(id string) store.Op[model.Todo] {
		return store.Patch(id, func(t *model.Todo) { t.Title = title }, "title")
	})
	return m.Run(id)
}

func (p *convPeer) setDone(id string, done bool) *store.Pending {
	m := store.NewMutation(p.todos, nil, func(id string) store.Op[model.Todo] {
		return store.Patch(id, func(t *model.Todo) { t.Done = done }, "done")
	})
	return m.Run(id)
}

func (p *convPeer) deleteTodo(id string) *store.Pending {
	m := store.NewMutation(p.todos, nil, func(id string) store.Op[model.Todo] { return store.Delete[model.Todo](id) })
	return m.Run(id)
}

func (p *convPeer) deleteList(id string) *store.Pending {
	m := store.NewMutation(p.lists, nil, func(id string) store.Op[model.List] { return store.Delete[model.List](id) })
	return m.Run(id)
}

// collect adds the peer's visible lists and todos to out (Collect); on its
// graph.
func (p *convPeer) collect(out map[string]string) error {
	if err := convergence.Collect(p.lists, convLists, out); err != nil {
		return err
	}
	return convergence.Collect(p.todos, convTodos, out)
}
