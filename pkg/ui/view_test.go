package ui

import (
	"errors"
	"strconv"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/state"
)

func TestView_rerendersOnlyTheViewThatReadTheChangedSignal(t *testing.T) {
	h := newHarness(t)
	a := state.NewSignal(h.g, "a1")
	b := state.NewSignal(h.g, "b1")
	n := counter{}
	p := h.load(func() app.UI {
		return app.Div().Body(
			View(h.rt, func() app.UI { n.inc("a"); return app.P().Text(a.Get()) }),
			View(h.rt, func() app.UI { n.inc("b"); return app.P().Text(b.Get()) }),
		)
	})
	require.Equal(t, "<div><p>a1</p><p>b1</p></div>", h.html())

	a.Set("a2")
	h.e.ConsumeAll()
	assert.Equal(t, "<div><p>a2</p><p>b1</p></div>", h.html())
	assert.Equal(t, "<div><p>a2</p><p>b1</p></div>", h.dom())
	assert.Equal(t, counter{"a": 2, "b": 1}, n, "the sibling did not re-render")
	assert.Equal(t, 1, p.renders, "the parent did not re-render")
}

func TestView_doesNotRerenderForUnrelatedOrEqualWrites(t *testing.T) {
	h := newHarness(t)
	shown := state.NewSignal(h.g, 1)
	other := state.NewSignal(h.g, 1)
	renders := 0
	h.load(func() app.UI {
		return View(h.rt, func() app.UI { renders++; return app.P().Text(shown.Get()) })
	})
	other.Set(2)
	shown.Set(1)
	h.e.ConsumeAll()
	assert.Equal(t, 1, renders)
}

func TestView_readingAComputedRerendersOnlyWhenItsValueChanges(t *testing.T) {
	h := newHarness(t)
	n := state.NewSignal(h.g, 2)
	even := state.NewComputed(h.g, func() bool { return n.Get()%2 == 0 })
	renders := 0
	h.load(func() app.UI {
		return View(h.rt, func() app.UI { renders++; return app.P().Text(even.Get()) })
	})
	n.Set(4) // still even: the computed cuts propagation off
	h.e.ConsumeAll()
	assert.Equal(t, 1, renders)
	n.Set(5)
	h.e.ConsumeAll()
	assert.Equal(t, 2, renders)
	assert.Equal(t, "<p>false</p>", h.html())
}

func TestView_rerendersOncePerBatch(t *testing.T) {
	h := newHarness(t)
	first := state.NewSignal(h.g, "Ada")
	last := state.NewSignal(h.g, "Lovelace")
	renders := 0
	h.load(func() app.UI {
		return View(h.rt, func() app.UI { renders++; return app.P().Text(first.Get() + " " + last.Get()) })
	})
	h.g.Batch(func() {
		first.Set("Grace")
		last.Set("Hopper")
	})
	h.e.ConsumeAll()
	assert.Equal(t, 2, renders)
	assert.Equal(t, "<p>Grace Hopper</p>", h.html())
}

func TestView_nestedViewsRerenderIndependently(t *testing.T) {
	h := newHarness(t)
	title := state.NewSignal(h.g, "List")
	count := state.NewSignal(h.g, 1)
	n := counter{}
	h.load(func() app.UI {
		return View(h.rt, func() app.UI {
			n.inc("outer")
			return app.Section().Body(
				app.H1().Text(title.Get()),
				View(h.rt, func() app.UI { n.inc("inner"); return app.P().Text(count.Get()) }),
			)
		})
	})

	count.Set(2)
	h.e.ConsumeAll()
	assert.Equal(t, counter{"outer": 1, "inner": 2}, n, "the inner view re-renders alone")

	title.Set("Todos")
	h.e.ConsumeAll()
	assert.Equal(t, 2, n["outer"])
	assert.Equal(t, "<section><h1>Todos</h1><p>2</p></section>", h.html())
	assert.Equal(t, "<section><h1>Todos</h1><p>2</p></section>", h.dom())
}

// A component with a prop, as a row of a plain go-app list would be.
type labelled struct {
	app.Compo
	Label string
	rt    *Runtime
	count *state.Signal[int]
}

func (l *labelled) Render() app.UI {
	return View(l.rt, func() app.UI { return app.P().Text(l.Label + ": " + strconv.Itoa(l.count.Get())) })
}

func TestView_rerunsWhenTheParentRerendersWithNewProps(t *testing.T) {
	h := newHarness(t)
	count := state.NewSignal(h.g, 3)
	resetDOM()
	h.e = app.NewTestEngine()
	mounted := &labelled{Label: "apples", rt: h.rt, count: count}
	require.NoError(t, h.e.Load(mounted))
	h.e.ConsumeAll()

	// go-app copies the new prop into the mounted component and re-renders
	// it: a plain go-app parent re-render.
	require.NoError(t, h.e.Load(&labelled{Label: "pears", rt: h.rt, count: count}))
	h.e.ConsumeAll()
	assert.Equal(t, "<p>pears: 3</p>", oneLine(app.HTMLString(mounted)))

	count.Set(4) // the view still follows what it reads
	h.e.ConsumeAll()
	assert.Equal(t, "<p>pears: 4</p>", oneLine(app.HTMLString(mounted)))
}

func TestView_showsAChangeMadeBeforeItsMountHookRan(t *testing.T) {
	h := newHarness(t)
	s := state.NewSignal(h.g, "before")
	h.e = app.NewTestEngine()
	resetDOM()
	h.page = &page{body: func() app.UI { return View(h.rt, func() app.UI { return app.P().Text(s.Get()) }) }}
	require.NoError(t, h.e.Load(h.page)) // rendered; go-app has not run OnMount yet
	s.Set("after")
	h.e.ConsumeAll()
	assert.Equal(t, "<p>after</p>", h.html())
}

func TestView_effectsCreatedWhileRenderingLiveUntilTheNextRender(t *testing.T) {
	h := newHarness(t)
	s := state.NewSignal(h.g, 1)
	var seen []int
	h.load(func() app.UI {
		return View(h.rt, func() app.UI {
			v := s.Get()
			h.g.Effect(func() { seen = append(seen, v) })
			return app.P().Text(v)
		})
	})
	before := h.g.Stats()
	s.Set(2)
	h.e.ConsumeAll()
	assert.Equal(t, []int{1, 2}, seen)
	assert.Equal(t, before, h.g.Stats(), "the first render's effect was disposed")
}

func TestView_aPanickingRenderIsReportedAndKeepsTheLastTree(t *testing.T) {
	h := newHarness(t)
	s := state.NewSignal(h.g, 1)
	h.load(func() app.UI {
		return View(h.rt, func() app.UI {
			if s.Get() == 2 {
				panic(errors.New("boom"))
			}
			return app.P().Text(s.Get())
		})
	})
	s.Set(2)
	h.e.ConsumeAll()
	assert.Equal(t, "<p>1</p>", h.html())
	require.Len(t, h.errs, 1)
	var pe *state.PanicError
	assert.ErrorAs(t, h.errs[0], &pe)

	s.Set(3) // it still depends on s
	h.e.ConsumeAll()
	assert.Equal(t, "<p>3</p>", h.html())
}

func TestView_aNilTreeRendersNothing(t *testing.T) {
	h := newHarness(t)
	show := state.NewSignal(h.g, false)
	h.load(func() app.UI {
		return app.Div().Body(View(h.rt, func() app.UI {
			if !show.Get() {
				return nil
			}
			return app.P().Text("shown")
		}))
	})
	assert.Equal(t, "<div></div>", h.html())
	show.Set(true)
	h.e.ConsumeAll()
	assert.Equal(t, "<div><p>shown</p></div>", h.html())
}

func TestSetup_ownsWhatSetupCreatesUntilTheViewIsDismounted(t *testing.T) {
	h := newHarness(t)
	s := state.NewSignal(h.g, 1)
	setups, cleanups := 0, 0
	var watched []int
	base := h.g.Stats()
	h.load(func() app.UI {
		return Setup(h.rt, func() func() app.UI {
			setups++
			double := state.NewComputed(h.g, func() int { return s.Get() * 2 })
			h.g.Effect(func() { watched = append(watched, double.Get()) })
			h.g.OnCleanup(func() { cleanups++ })
			return func() app.UI { return app.P().Text(double.Get()) }
		})
	})
	s.Set(2)
	h.e.ConsumeAll()
	assert.Equal(t, "<p>4</p>", h.html())
	assert.Equal(t, []int{2, 4}, watched)
	assert.Equal(t, 1, setups, "setup runs once per mount")

	h.unload()
	assert.Equal(t, 1, cleanups)
	assert.Equal(t, base, h.g.Stats(), "nothing setup created is alive")
	s.Set(3)
	assert.Equal(t, []int{2, 4}, watched)
	assert.Empty(t, h.errs)
}

// A greeting has a prop and builds its Setup from it.
type greeting struct {
	app.Compo
	Suffix string
	rt     *Runtime
	setups *int
}

func (g *greeting) Render() app.UI {
	sfx := g.Suffix
	return Setup(g.rt, func() func() app.UI {
		*g.setups++
		return func() app.UI { return app.P().Text("hi" + sfx + g.Suffix) }
	})
}

func TestSetup_aParentRerenderRunsTheFirstRenderFunctionAgain(t *testing.T) {
	h := newHarness(t)
	setups := 0
	h.e = app.NewTestEngine()
	mounted := &greeting{Suffix: "!", rt: h.rt, setups: &setups}
	require.NoError(t, h.e.Load(mounted))
	h.e.ConsumeAll()
	require.NoError(t, h.e.Load(&greeting{Suffix: "?", rt: h.rt, setups: &setups}))
	h.e.ConsumeAll()
	assert.Equal(t, 1, setups)
	assert.Equal(t, "<p>hi!?</p>", oneLine(app.HTMLString(mounted)),
		"the first setup's render function, run again: the captured suffix is the first one, the field is the new one")
}

func TestView_mountingAndDismountingAgainAndAgainLeaksNothing(t *testing.T) {
	h := newHarness(t)
	show := state.NewSignal(h.g, false)
	keys := state.NewSignalFunc(h.g, []int{1, 2, 3}, nil)
	draft := state.NewSignal(h.g, "")
	h.load(func() app.UI {
		return View(h.rt, func() app.UI {
			if !show.Get() {
				return app.P().Text("hidden")
			}
			return Setup(h.rt, func() func() app.UI {
				h.g.Effect(func() { _ = draft.Get() })
				return func() app.UI {
					return Each(h.rt, app.Ul, keys.Get, func(k int) app.UI {
						return View(h.rt, func() app.UI {
							return app.Li().Body(Text(h.rt, func() string { return strconv.Itoa(k) + draft.Get() }))
						})
					})
				}
			})
		})
	})
	base := h.g.Stats()
	for round := range 50 {
		show.Set(true)
		h.e.ConsumeAll()
		require.Equal(t, "<ul><li>1</li><li>2</li><li>3</li></ul>", h.html())
		mounted := h.g.Stats()
		require.Greater(t, mounted.Effects, base.Effects)
		keys.Set([]int{3, 1, 4})
		h.e.ConsumeAll()
		show.Set(false)
		h.e.ConsumeAll()
		require.Equal(t, base, h.g.Stats(), "round %d", round)
		keys.Set([]int{1, 2, 3})
	}
	require.Equal(t, 1, base.Effects, "only the page's view is alive")
	h.unload()
	assert.Equal(t, state.Stats{}, h.g.Stats())
	assert.Empty(t, h.errs)
}

// A switcher is a plain go-app component showing one of several bodies: go-app
// compares what it renders with what is mounted, place by place.
type switcher struct {
	app.Compo
	Which  int
	bodies []func() app.UI
}

func (s *switcher) Render() app.UI { return app.Div().Body(s.bodies[s.Which]()) }

func TestSetup_anotherSetupInTheSamePlaceIsMountedAfresh(t *testing.T) {
	h := newHarness(t)
	log := []string{}
	bodies := []func() app.UI{
		func() app.UI {
			return Setup(h.rt, func() func() app.UI {
				log = append(log, "setup a")
				h.g.OnCleanup(func() { log = append(log, "cleanup a") })
				return func() app.UI { return app.P().Text("a") }
			})
		},
		func() app.UI {
			return Setup(h.rt, func() func() app.UI {
				log = append(log, "setup b")
				h.g.OnCleanup(func() { log = append(log, "cleanup b") })
				return func() app.UI { return app.P().Text("b") }
			})
		},
	}
	sw := &switcher{bodies: bodies}
	h.e = app.NewTestEngine()
	resetDOM()
	require.NoError(t, h.e.Load(sw))
	h.e.ConsumeAll()
	require.NoError(t, h.e.Load(&switcher{Which: 1, bodies: bodies}))
	h.e.ConsumeAll()
	assert.Equal(t, "<div><p>b</p></div>", oneLine(app.HTMLString(sw)))
	// go-app mounts the new component, then dismounts the old one.
	assert.Equal(t, []string{"setup a", "setup b", "cleanup a"}, log)
}
