package state_test

import (
	"errors"
	"fmt"
	"slices"

	"github.com/tandemkit/tandem/pkg/state"
)

func ExampleSignal() {
	g := state.NewGraph()
	name := state.NewSignal(g, "Ada")
	g.Effect(func() { fmt.Println("hello,", name.Get()) })
	name.Set("Grace")
	name.Set("Grace") // equal: nothing runs
	name.Update(func(s string) string { return s + "!" })
	// Output:
	// hello, Ada
	// hello, Grace
	// hello, Grace!
}

func ExampleNewSignalFunc() {
	g := state.NewGraph()
	tags := state.NewSignalFunc(g, []string{"a"}, slices.Equal[[]string])
	g.Effect(func() { fmt.Println(tags.Get()) })
	tags.Set([]string{"a"}) // equal per slices.Equal: nothing runs
	tags.Set([]string{"a", "b"})
	// Output:
	// [a]
	// [a b]
}

func ExampleComputed() {
	g := state.NewGraph()
	items := state.NewSignal(g, 3)
	runs := 0
	label := state.NewComputed(g, func() string {
		runs++
		return fmt.Sprintf("%d items", items.Get())
	})
	fmt.Println(label.Get(), label.Get()) // computed once, cached
	items.Set(4)
	fmt.Println(label.Get(), "after", runs, "runs")
	// Output:
	// 3 items 3 items
	// 4 items after 2 runs
}

func ExampleNewComputedErr() {
	g := state.NewGraph()
	input := state.NewSignal(g, "")
	parsed := state.NewComputedErr(g, func() (int, error) {
		if input.Get() == "" {
			return 0, errors.New("empty")
		}
		return len(input.Get()), nil
	})
	_, err := parsed.Read()
	fmt.Println(err)
	input.Set("abc")
	fmt.Println(parsed.Read())
	// Output:
	// empty
	// 3 <nil>
}

func ExampleGraph_Effect() {
	g := state.NewGraph()
	online := state.NewSignal(g, false)
	e := g.Effect(func() {
		status := "offline"
		if online.Get() {
			status = "online"
		}
		fmt.Println("status:", status)
		g.OnCleanup(func() { fmt.Println("cleanup", status) })
	})
	online.Set(true)
	e.Dispose()
	online.Set(false) // disposed: nothing runs
	// Output:
	// status: offline
	// cleanup offline
	// status: online
	// cleanup online
}

func ExampleGraph_Batch() {
	g := state.NewGraph()
	first := state.NewSignal(g, "Ada")
	last := state.NewSignal(g, "Lovelace")
	g.Effect(func() { fmt.Println(first.Get(), last.Get()) })
	g.Batch(func() {
		first.Set("Grace")
		last.Set("Hopper") // the effect runs once, after the batch
	})
	// Output:
	// Ada Lovelace
	// Grace Hopper
}

func ExampleWatch() {
	g := state.NewGraph()
	count := state.NewSignal(g, 1)
	state.Watch(g, func() bool { return count.Get() > 2 }, func(old, new bool) {
		fmt.Println("over two:", old, "->", new)
	})
	count.Set(2)
	count.Set(3)
	count.Set(4)
	// Output:
	// over two: false -> true
}

func ExampleGraph_When() {
	g := state.NewGraph()
	loaded := state.NewSignal(g, false)
	g.When(loaded.Get, func() { fmt.Println("ready") })
	loaded.Set(true)
	loaded.Set(false)
	loaded.Set(true) // When has resolved already
	// Output:
	// ready
}

func ExampleScope() {
	g := state.NewGraph()
	s := state.NewSignal(g, 0)
	page := g.Scope(func() {
		g.Effect(func() { fmt.Println("a sees", s.Get()) })
		g.Effect(func() { fmt.Println("b sees", s.Get()) })
	})
	page.Dispose() // both effects stop
	s.Set(1)
	// Output:
	// a sees 0
	// b sees 0
}

func ExampleFromSource() {
	// An external value with its own subscription, as a query cache offers.
	var (
		value     = "idle"
		listeners []func()
	)
	subscribe := func(onChange func()) func() {
		listeners = append(listeners, onChange)
		return func() { listeners = nil }
	}

	g := state.NewGraph()
	status := state.FromSource(g, func() string { return value }, subscribe)
	e := g.Effect(func() { fmt.Println("status:", status.Get()) })
	value = "loading"
	for _, l := range listeners {
		l()
	}
	e.Dispose()
	fmt.Println("listeners after dispose:", len(listeners))
	// Output:
	// status: idle
	// status: loading
	// listeners after dispose: 0
}
