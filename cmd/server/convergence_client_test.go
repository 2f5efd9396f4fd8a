package main

import (
	"encoding/json"
	"fmt"

	"github.com/tandemkit/tandem/examples/todo/model"
	"github.com/tandemkit/tandem/pkg/store"
	"github.com/tandemkit/tandem/pkg/wire"
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
	if err := p.sc.Add(&convWatched{Topic: p.lists, mon: &p.mon, version: func(id string) uint64 { _, v, _ := p.lists.Confirmed(id); return v }}); err != nil {
		return err
	}
	return p.sc.Add(&convWatched{Topic: p.todos, mon: &p.mon, version: func(id string) uint64 { _, v, _ := p.todos.Confirmed(id); return v }})
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

func convCollect[T any](c *store.Collection[T], name string, out map[string]string, errp *error) {
	all := c.View()
	defer all.Dispose()
	for _, id := range all.IDs() {
		v, ok := c.Get(id)
		conf, _, cok := c.Confirmed(id)
		if !ok || !cok {
			continue
		}
		vb, _ := json.Marshal(v)
		cb, _ := json.Marshal(conf)
		if string(vb) != string(cb) {
			*errp = fmt.Errorf("%s/%s: visible %s differs from confirmed %s", name, id, vb, cb)
			return
		}
		out[name+"/"+id] = string(vb)
	}
}

type convWatched struct {
	store.Topic
	mon     *convMonitor
	version func(id string) uint64
}

func (w *convWatched) check(reset bool) {
	m := w.mon
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, name := w.Topic.Cursor(), w.Topic.Name()
	if old, ok := m.cursors[name]; ok && !reset && cur.Epoch == old.Epoch && cur.Seq < old.Seq {
		m.violations = append(m.violations, fmt.Sprintf("%s cursor went from %d to %d", name, old.Seq, cur.Seq))
	}
	m.cursors[name] = cur
}

func (w *convWatched) checkItems(items []wire.Item, reset bool) {
	m := w.mon
	for _, it := range items {
		v := w.version(it.ID)
		key := w.Topic.Name() + "/" + it.ID
		m.mu.Lock()
		if old := m.versions[key]; v < old && !reset {
			m.violations = append(m.violations, fmt.Sprintf("%s version went from %d to %d", key, old, v))
		}
		m.versions[key] = v
		m.mu.Unlock()
	}
}

func (w *convWatched) ApplyItems(items ...wire.Item) {
	w.Topic.ApplyItems(items...)
	w.checkItems(items, false)
}

func (w *convWatched) Replace(items []wire.Item, epoch string, seq uint64, reset bool) {
	w.Topic.Replace(items, epoch, seq, reset)
	w.checkItems(items, reset)
	w.check(reset)
}

func (w *convWatched) SetCursor(c wire.Cursor) {
	w.Topic.SetCursor(c)
	w.check(false)
}
