//go:build !js

package ui

import (
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/state"
	"github.com/tandemkit/tandem/pkg/ui/dom"
)

// A list rendered without a browser (a server's page): app.HTMLString shows
// its rows, as the browser's innerHTML gets them, in their container; the
// rows were set up for the occasion and released.
func TestRows_encodedWithoutMountingHoldsItsRowsHTML(t *testing.T) {
	h := newRowsHarness(t, "a", "b", "b", "c")
	before := h.g.Stats()
	list := Rows(h.rt, func() app.HTMLUl { return app.Ul().Class("todos") }, h.keys.Get, h.row)
	out := app.HTMLString(app.Div().Body(list))
	want := dom.HTML(h.row("a")()) + dom.HTML(h.row("b")()) + dom.HTML(h.row("c")())
	assert.Contains(t, out, `<ul class="todos">`)
	assert.Contains(t, out, rowsOpen+want+rowsClose, "each key once, in order")
	assert.Equal(t, before, h.g.Stats(), "the rows' state and effects released")

	empty := state.NewSignalFunc(h.g, []string(nil), nil)
	assert.NotContains(t, app.HTMLString(Rows(h.rt, app.Ul, empty.Get, h.row)), "<div", "no rows: the empty container")
	assert.Empty(t, h.errs)
}

func TestRows_encodedRowsThatPanicOrAreNilAreTemplates(t *testing.T) {
	h := newRowsHarness(t, "a", "b", "c")
	out := app.HTMLString(Rows(h.rt, app.Ul, h.keys.Get, func(id string) func() dom.Node {
		switch id {
		case "a":
			return func() dom.Node { panic("no row today") }
		case "b":
			return nil
		}
		return func() dom.Node { return dom.Li().Text(id) }
	}))
	assert.Contains(t, out, rowsOpen+"<template></template><template></template><li>c</li>"+rowsClose)
	require.Len(t, h.errs, 1)
	assert.ErrorContains(t, h.errs[0], "no row today")
}

// go-app writes attribute values as Go literals: a double quote in one ends
// it in a browser, whatever backslash precedes it. HTMLString escapes them.
func TestHTMLString_escapesAttributeValuesForHTML(t *testing.T) {
	evil := `x" onfocus="alert(1)" autofocus y="`
	raw := app.HTMLString(app.Button().Title(evil).Text(evil))
	assert.Contains(t, raw, `onfocus=\"alert(1)`, "go-app's own output: an attribute a browser would run")

	out := HTMLString(app.Div().Class("a").Body(
		app.Button().Title(evil).Aria("label", `back\slash & <tag> “quoted” é`).Disabled(true).Text(evil),
		app.Input().Type("text").Value("tab\there"),
	))
	assert.NotContains(t, out, `onfocus="`)
	assert.Contains(t, out, `title="x&#34; onfocus=&#34;alert(1)&#34; autofocus y=&#34;"`)
	assert.Contains(t, out, `aria-label="back\slash &amp; &lt;tag&gt; “quoted” é"`, "the value as it is, escaped for HTML")
	assert.Contains(t, out, `value="tab`+"\t"+`here"`)
	assert.Contains(t, out, `" disabled title=`, "valueless attributes as they were")
	assert.Contains(t, out, `>x&#34; onfocus=&#34;alert(1)&#34; autofocus y=&#34;</button>`, "text as go-app escaped it")
	assert.Equal(t, 1, strings.Count(out, "<button"))
}

// The rows of a Rows reach the page as package dom wrote them: their values,
// already escaped for HTML, are not rewritten as go-app's are.
func TestHTMLString_keepsRowsAsPackageDOMWroteThem(t *testing.T) {
	h := newRowsHarness(t, "a")
	title := `a\" b & <!--/tandem:rows--> "c"\`
	row := func(id string) func() dom.Node {
		return func() dom.Node { return dom.Li().Data("title", title).Text(title) }
	}
	out := HTMLString(app.Div().Title(title).Body(Rows(h.rt, app.Ul, h.keys.Get, row)))
	assert.Contains(t, out, `<ul>`+"\n"+`    `+dom.HTML(row("a")())+"\n  </ul>", "the rows verbatim, without their fences")
	assert.NotContains(t, out, "<!--tandem")
	assert.Contains(t, out, `<div title="a\&#34; b &amp; &lt;!--/tandem:rows--&gt; &#34;c&#34;\">`)
	assert.Empty(t, h.errs)
}

// go-app encodes Checked(false) as checked="false", which a browser reads as
// checked; in the browser it sets the property to false.
func TestHTMLString_falseBooleanAttributesAreLeftOut(t *testing.T) {
	out := HTMLString(app.Div().Body(
		app.Input().Type("checkbox").Checked(false).AutoFocus(false).Disabled(true),
		app.Input().Type("checkbox").Checked(true).Required(false),
	))
	assert.Contains(t, app.HTMLString(app.Input().Checked(false)), `checked="false"`, "go-app's own output")
	assert.Contains(t, out, `<input disabled type="checkbox">`, "attributes in name order")
	assert.Contains(t, out, `<input checked type="checkbox">`)
	assert.NotContains(t, out, "false")
}
