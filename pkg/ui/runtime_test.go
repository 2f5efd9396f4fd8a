package ui

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/state"
)

func TestRuntime_scheduledFunctionsRunOnTheUIGoroutineInOrderInOneBatch(t *testing.T) {
	h := newHarness(t)
	s := state.NewSignal(h.g, 0)
	renders := 0
	h.load(func() app.UI { return View(h.rt, func() app.UI { renders++; return app.P().Text(s.Get()) }) })

	var ran []int
	done := make(chan struct{})
	go func() { // a fetch handing its results back
		defer close(done)
		for i := range 100 {
			h.g.Schedule(func() {
				ran = append(ran, i)
				s.Set(i)
			})
		}
	}()
	<-done
	assert.Empty(t, ran, "nothing ran on the fetch's goroutine")

	h.e.ConsumeAll() // the test's goroutine is go-app's UI goroutine
	require.Len(t, ran, 100)
	assert.True(t, slices.IsSorted(ran))
	assert.Equal(t, "<p>99</p>", h.html())
	assert.Equal(t, 2, renders, "one batch: one re-render")
}

func TestRuntime_scheduledFunctionsWaitForTheFirstMountedView(t *testing.T) {
	h := newHarness(t)
	s := state.NewSignal(h.g, "waiting")
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.g.Schedule(func() { s.Set("delivered") })
	}()
	<-done
	h.load(func() app.UI { return View(h.rt, func() app.UI { return app.P().Text(s.Get()) }) })
	assert.Equal(t, "<p>delivered</p>", h.html())
}

// A shell is a plain go-app component that shows or hides a view the way
// go-app apps do: a field, and a Dispatch through its context.
type shell struct {
	app.Compo
	ctx   app.Context
	show  bool
	first app.UI
	other app.UI
}

func (s *shell) OnMount(ctx app.Context)     { s.ctx = ctx }
func (s *shell) OnPreRender(ctx app.Context) { s.ctx = ctx }

func (s *shell) Render() app.UI {
	first := app.Div()
	if s.show {
		first = first.Body(s.first)
	}
	return app.Div().Body(first, s.other)
}

func TestRuntime_workWhoseCarrierIsDismountedIsHandedToAnotherView(t *testing.T) {
	h := newHarness(t)
	s := state.NewSignal(h.g, "waiting")
	sh := &shell{
		show:  true,
		first: View(h.rt, func() app.UI { return app.P().Text("first") }),
		other: View(h.rt, func() app.UI { return app.P().Text(s.Get()) }),
	}
	h.e = app.NewTestEngine()
	resetDOM()
	require.NoError(t, h.e.Load(sh))
	h.e.ConsumeAll()

	sh.ctx.Dispatch(func(app.Context) { sh.show = false }) // queued first
	h.g.Schedule(func() { s.Set("delivered") })            // carried by the first view
	h.e.ConsumeNext()                                      // the frame dismounts the first view
	h.e.ConsumeAll()                                       // go-app drops what it carried
	assert.Equal(t, "<div><div></div><p>delivered</p></div>", oneLine(app.HTMLString(sh)))
}

func TestRuntime_aPanickingScheduledFunctionLeavesTheRestQueued(t *testing.T) {
	h := newHarness(t)
	var ran []string
	h.load(func() app.UI { return View(h.rt, func() app.UI { return app.P() }) })
	h.g.Schedule(func() { ran = append(ran, "a") })
	h.g.Schedule(func() { panic("boom") })
	h.g.Schedule(func() { ran = append(ran, "c") })
	assert.PanicsWithValue(t, "boom", func() { h.e.ConsumeAll() })
	assert.Equal(t, []string{"a"}, ran)
	h.e.ConsumeAll()
	assert.Equal(t, []string{"a", "c"}, ran)
}

// go-app's dispatch queue holds 4,096 functions and only the UI goroutine
// empties it: marking 5,000 changed views at once must not block it.
func TestRuntime_fiveThousandViewsChangingAtOnceDoNotBlockTheUIGoroutine(t *testing.T) {
	if testing.Short() {
		t.Skip("mounts 5,000 views")
	}
	h := newHarness(t)
	keys := state.NewSignalFunc(h.g, []int(nil), nil)
	v := state.NewSignal(h.g, "a")
	h.load(func() app.UI {
		return Each(h.rt, app.Ul, keys.Get, func(k int) app.UI {
			return View(h.rt, func() app.UI { return app.Li().Text(v.Get()) })
		})
	})
	ks := make([]int, 5000)
	for i := range ks {
		ks[i] = i
	}
	keys.Set(ks) // Each mounts them over 10 frames: a view costs go-app 2 dispatches to mount
	h.e.ConsumeAll()
	v.Set("b")
	consumed := make(chan struct{})
	go func() { // a blocked UI goroutine fails the test instead of hanging it
		defer close(consumed)
		h.e.ConsumeAll()
	}()
	select {
	case <-consumed:
	case <-time.After(time.Minute):
		t.Fatal("the UI goroutine is blocked on go-app's full dispatch queue")
	}
	assert.Equal(t, 5000, strings.Count(h.html(), "<li>b</li>"))
}
