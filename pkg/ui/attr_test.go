package ui

import (
	"strconv"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/state"
)

func TestLiveAttr_writesTheRootsAttributeAtOnceAndWhenTheViewMounts(t *testing.T) {
	h := newHarness(t)
	done := state.NewSignal(h.g, false)
	renders := 0
	h.load(func() app.UI {
		return View(h.rt, func() app.UI { renders++; return app.Li().Text("milk") },
			LiveAttr("data-done", func() string { return strconv.FormatBool(done.Get()) }))
	})
	if hasDOM {
		assert.Equal(t, `<li data-done="false">milk</li>`, h.dom(), "written at mount")
	}
	done.Set(true)
	if hasDOM {
		assert.Equal(t, `<li data-done="true">milk</li>`, h.dom(), "before go-app's frame")
	}
	h.e.ConsumeAll()
	assert.Equal(t, 1, renders, "the view did not re-render: render does not read done")
	assert.Equal(t, "<li>milk</li>", h.html(), "go-app never knew the attribute")

	base := h.g.Stats()
	require.Equal(t, 2, base.Effects)
	h.unload()
	assert.Equal(t, state.Stats{}, h.g.Stats())
}

func TestLiveAttr_aRerenderingParentReplacesTheAttributes(t *testing.T) {
	h := newHarness(t)
	done := state.NewSignal(h.g, false)
	name := "data-done"
	body := func() app.UI {
		return View(h.rt, func() app.UI { return app.Li().Text("milk") },
			LiveAttr(name, func() string { return strconv.FormatBool(done.Get()) }))
	}
	mounted := &switcher{bodies: []func() app.UI{body, body}}
	h.e = app.NewTestEngine()
	resetDOM()
	require.NoError(t, h.e.Load(mounted))
	h.e.ConsumeAll()
	name = "data-state"
	require.NoError(t, h.e.Load(&switcher{Which: 1, bodies: mounted.bodies})) // a re-render, a new View
	h.e.ConsumeAll()
	done.Set(true)
	if hasDOM {
		assert.Equal(t, `<div><li data-done="false" data-state="true">milk</li></div>`, domHTML(mounted.JSValue()))
	}
	assert.Equal(t, 2, h.g.Stats().Effects, "the old attribute's effect is gone")
	done.Set(false)
	if hasDOM {
		assert.Equal(t, `<div><li data-done="false" data-state="false">milk</li></div>`, domHTML(mounted.JSValue()))
	}
}
