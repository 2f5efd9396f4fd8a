package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/tandemkit/tandem/pkg/state"
)

// A Container is an element Each can fill with rows: app.Ul, app.Ol,
// app.Div, app.TBody, or any element builder with a Body method.
type Container[E any] interface {
	app.HTML
	Body(elems ...app.UI) E
}

// Each returns a keyed list: a view of container holding one row per key of
// keys, in that order, where each row stays with its key across inserts,
// deletes and reorders — its component, its state, its DOM nodes and
// whatever the user typed into them.
//
// keys is tracked like a View's render: the list re-renders when the keys
// change, and only then. row is called once per key, when the key appears,
// untracked; what it creates in the graph is released when the key leaves.
// A row shows changes to its own entity by itself, as a View or a component
// built on one, so an edit to one row re-renders that row alone. A key that
// appears twice keeps its first place. When the list re-renders, go-app
// compares each row with itself, field by field: a row component with an
// exported func field (never equal, to reflect.DeepEqual) would re-render
// every time, so keep func fields unexported.
//
//	ui.Each(rt, app.Ul, todos.IDs, func(id TodoID) app.UI { return &TodoRow{ID: id, App: a} })
//
// container is called on each render for a new element; pass app.Ul itself,
// or a func that sets attributes:
//
//	func() app.HTMLUl { return app.Ul().Class("todos").DataSet("testid", "todo-list") }
//
// How: go-app diffs children by position and has no keys, so a row given to
// go-app keeps its position — its slot — for as long as its key lives, and a
// deleted row leaves an empty text node in its slot until a new key takes it,
// in a later frame. go-app therefore never re-renders or remounts a row for
// another row's insert or delete, and never hands one row's component to
// another key. The DOM order is then put right after go-app's frame:
// rows whose relative order changed, and new rows, are moved with
// insertBefore, as few as a longest increasing subsequence allows (rows go-app
// appends at the end are in place already). The container holds at most as
// many children as the peak number of rows. A render adds at most 500 new
// rows; the rest follow in the next frames, so that mounting never fills
// go-app's dispatch queue.
func Each[K comparable, E Container[E]](rt *Runtime, container func() E, keys func() []K, row func(K) app.UI) app.UI {
	return &view{Spec: &spec{rt: rt, list: &eachList[K, E]{keys: keys, row: row, container: container}}}
}

// An eachList is the state of one mounted Each.
type eachList[K comparable, E Container[E]] struct {
	// The funcs come first: go-app compares a new list with the mounted one
	// (reflect.DeepEqual), which stops at the first func.
	keys      func() []K
	row       func(K) app.UI
	container func() E

	g     *state.Graph
	owner *state.Scope // the view's: owns each row's scope

	rows  map[K]*eachRow[K]
	slots []*eachRow[K] // go-app's child positions; nil is an empty slot
	next  []*eachRow[K] // the rows in keys order, as last rendered
	shown []*eachRow[K] // next, as last given to go-app
	given []*eachRow[K] // slots, as last given to go-app
	gen   uint64        // render count, for marking the rows a render saw
	more  bool          // keys were left out of the last render: see newRowsPerFrame
	tick  *state.Signal[int]

	lis lisBuf
}

// newRowsPerFrame bounds the rows one render adds. Every View in a row costs
// go-app two dispatches when it mounts, sent while the frame runs into a queue
// of 4,096 that only the next loop turn empties: 500 rows leave room for 8
// dispatches a row. A longer list is added over several frames.
const newRowsPerFrame = 500

type eachRow[K comparable] struct {
	key   K
	ui    app.UI
	scope *state.Scope
	slot  int
	seen  uint64
	pos   int // index in the DOM order last arranged; -1 until placed
}

func (l *eachList[K, E]) start(g *state.Graph, owner *state.Scope) func() app.UI {
	l.g, l.owner = g, owner
	l.rows = make(map[K]*eachRow[K])
	l.tick = state.NewSignal(g, 0)
	return l.render
}

func (l *eachList[K, E]) kind() string { return codeOf(l.row) }

func (l *eachList[K, E]) update(newer lister) bool {
	n, ok := newer.(*eachList[K, E])
	if ok {
		l.keys, l.row, l.container = n.keys, n.row, n.container
	}
	return ok
}

func (l *eachList[K, E]) render() app.UI {
	keys := l.keys()
	l.tick.Get()
	l.gen++
	l.more = false
	next := l.next[:0]
	fresh := 0
	for _, k := range keys {
		r := l.rows[k]
		switch {
		case r == nil && fresh == newRowsPerFrame:
			l.more = true
			continue // in a later frame
		case r == nil:
			r = l.add(k)
			fresh++
		case r.seen == l.gen:
			continue // a duplicate key
		}
		r.seen = l.gen
		next = append(next, r)
	}
	for s, r := range l.slots {
		if r != nil && r.seen != l.gen {
			l.slots[s] = nil
			delete(l.rows, r.key)
			r.scope.Dispose()
		}
	}
	if fresh > 0 {
		// A new row takes an empty slot, and only one that go-app also holds
		// empty (or does not hold): where go-app still shows a row that
		// left, it would copy the new row's fields into that row's mounted
		// component instead of mounting the new one.
		s := 0
		for _, r := range next {
			if r.slot >= 0 {
				continue
			}
			for ; ; s++ {
				if s == len(l.slots) {
					l.slots = append(l.slots, nil)
				}
				if l.slots[s] == nil && (s >= len(l.given) || l.given[s] == nil) {
					break
				}
			}
			r.slot = s
			l.slots[s] = r
		}
	}
	end := len(l.slots)
	for end > 0 && l.slots[end-1] == nil {
		end--
	}
	clear(l.slots[end:])
	l.slots = l.slots[:end]
	l.next = next

	children := make([]app.UI, len(l.slots))
	for s, r := range l.slots {
		if r == nil {
			children[s] = app.Text("")
		} else {
			children[s] = r.ui
		}
	}
	return l.container().Body(children...)
}

// add creates the row of a new key, untracked, in a scope of its own owned by
// the view.
func (l *eachList[K, E]) add(k K) *eachRow[K] {
	r := &eachRow[K]{key: k, slot: -1, pos: -1}
	l.g.Untracked(func() {
		l.owner.Run(func() {
			r.scope = l.g.NewScope()
			r.scope.Run(func() { r.ui = l.row(k) })
		})
	})
	if r.ui == nil {
		r.ui = app.Text("")
	}
	l.rows[k] = r
	return r
}

// rendered is called when go-app takes the latest tree. Before the first
// mount the DOM will be in slot order, which is keys order; later it reports
// whether the DOM order must be arranged after the frame. more reports that
// keys were left out, for the next frame (grow).
func (l *eachList[K, E]) rendered(mounted bool) (arrange, more bool) {
	appended := len(l.given) // go-app appends the slots from here, in order
	l.shown = append(l.shown[:0], l.next...)
	l.given = append(l.given[:0], l.slots...)
	if !mounted {
		for i, r := range l.shown {
			r.pos = i
		}
		return false, l.more
	}
	last := -1
	for _, r := range l.shown {
		if r.pos < 0 && r.slot >= appended {
			r.pos = appendedPos + r.slot // after every row go-app already holds
		}
		if r.pos <= last {
			arrange = true // new in a reused slot (-1), or out of order
		}
		last = max(last, r.pos)
	}
	return arrange, l.more
}

// appendedPos is the DOM position given to a new row in a slot go-app
// appends: after the rows it holds, in slot order.
const appendedPos = 1 << 30

// grow renders again to add keys left out of the last render.
func (l *eachList[K, E]) grow() { l.tick.Update(func(n int) int { return n + 1 }) }

// arrange moves the DOM nodes of the shown rows into keys order, keeping in
// place the longest run of rows already in order.
func (l *eachList[K, E]) arrange(container app.Value) {
	shown := l.shown
	l.lis.pos = l.lis.pos[:0]
	for _, r := range shown {
		l.lis.pos = append(l.lis.pos, r.pos)
	}
	keep := l.lis.run()
	anchor := app.Null()
	for i := len(shown) - 1; i >= 0; i-- {
		el := shown[i].ui.JSValue()
		if !keep[i] {
			container.Call("insertBefore", el, anchor)
		}
		anchor = el
	}
	for i, r := range shown {
		r.pos = i
	}
}

func (l *eachList[K, E]) dispose() {
	l.rows, l.slots, l.next, l.shown, l.given = nil, nil, nil, nil, nil
}

// A lisBuf finds which rows may stay where they are: a longest subsequence
// of rows whose DOM positions increase. Its buffers are reused.
type lisBuf struct {
	pos   []int  // pos[i]: row i's DOM position, -1 for a new row
	tails []int  // tails[k]: the row ending the best run of length k+1 so far
	prev  []int  // prev[i]: the row before row i in its run, or -1
	keep  []bool // keep[i]: row i stays
}

// run returns keep for b.pos, in O(n log n).
func (b *lisBuf) run() []bool {
	n := len(b.pos)
	b.keep = append(b.keep[:0], make([]bool, n)...)
	b.prev = append(b.prev[:0], make([]int, n)...)
	b.tails = b.tails[:0]
	for i, p := range b.pos {
		if p < 0 {
			continue
		}
		lo, hi := 0, len(b.tails)
		for lo < hi {
			mid := int(uint(lo+hi) >> 1)
			if b.pos[b.tails[mid]] < p {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		b.prev[i] = -1
		if lo > 0 {
			b.prev[i] = b.tails[lo-1]
		}
		if lo == len(b.tails) {
			b.tails = append(b.tails, i)
		} else {
			b.tails[lo] = i
		}
	}
	if len(b.tails) > 0 {
		for i := b.tails[len(b.tails)-1]; i >= 0; i = b.prev[i] {
			b.keep[i] = true
		}
	}
	return b.keep
}
