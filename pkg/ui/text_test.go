package ui

import (
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/stretchr/testify/assert"

	"github.com/tandemkit/tandem/pkg/state"
)

func TestText_writesTheDOMAtOnceWithoutARerender(t *testing.T) {
	if !hasDOM {
		t.Skip("writes the DOM: GOOS=js")
	}
	h := newHarness(t)
	draft := state.NewSignal(h.g, "")
	renders := 0
	h.load(func() app.UI {
		return View(h.rt, func() app.UI { renders++; return app.Span().Body(Text(h.rt, draft.Get)) })
	})
	draft.Set("oat")
	assert.Equal(t, "<span>oat</span>", h.dom(), "before go-app's frame")
	writes := domWrites()
	h.e.ConsumeAll()
	assert.Equal(t, writes, domWrites(), "go-app's frame has nothing left to write")
	assert.Equal(t, 1, renders)
}

func TestText_showsItsValueAndFollowsItWhenTheEnclosingViewRerenders(t *testing.T) {
	h := newHarness(t)
	draft := state.NewSignal(h.g, "oat")
	label := state.NewSignal(h.g, "title")
	h.load(func() app.UI {
		return View(h.rt, func() app.UI {
			return app.P().Body(app.B().Text(label.Get()), Text(h.rt, draft.Get))
		})
	})
	assert.Equal(t, "<p><b>title</b>oat</p>", h.html())
	draft.Set("oat milk")
	label.Set("rename")
	h.e.ConsumeAll()
	assert.Equal(t, "<p><b>rename</b>oat milk</p>", h.html())
	assert.Equal(t, "<p><b>rename</b>oat milk</p>", h.dom())
}

func TestText_aNewTextFromARerenderingViewFollowsItsNewFunction(t *testing.T) {
	h := newHarness(t)
	upper := state.NewSignal(h.g, false)
	name := state.NewSignal(h.g, "ada")
	h.load(func() app.UI {
		return View(h.rt, func() app.UI {
			if upper.Get() {
				return app.P().Body(Text(h.rt, func() string { return "ADA" + name.Get()[3:] }))
			}
			return app.P().Body(Text(h.rt, name.Get))
		})
	})
	upper.Set(true)
	h.e.ConsumeAll()
	assert.Equal(t, "<p>ADA</p>", h.html())
	name.Set("ada!")
	if hasDOM {
		assert.Equal(t, "<p>ADA!</p>", h.dom())
	}
	upper.Set(false)
	upper.Set(true)
	h.e.ConsumeAll()
	assert.Equal(t, "<p>ADA!</p>", h.html())
	assert.Equal(t, "<p>ADA!</p>", h.dom())
}
