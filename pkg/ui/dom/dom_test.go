package dom

import (
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHTML_escapesWhatUsersWrite(t *testing.T) {
	title := `"><script>alert(1)</script><b a='x'>&amp;`
	n := Li().Class("todo").Aria("label", "Rename “"+title+"”").Body(
		Span().Text(title),
		Input().Type("checkbox").Checked(true).Value(title),
	)
	got := HTML(n)
	assert.Equal(t, `<li class="todo" aria-label="Rename “&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;b a=&#39;x&#39;&gt;&amp;amp;”">`+
		`<span>&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;b a=&#39;x&#39;&gt;&amp;amp;</span>`+
		`<input type="checkbox" checked="" value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;b a=&#39;x&#39;&gt;&amp;amp;"></li>`, got)
	assert.NotContains(t, got, "<script>")
}

func TestBody_oneNodeForEachDOMNode(t *testing.T) {
	n := Div().Body(Text("a"), nil, Text(""), Text("b"), If(false, func() Node { return Span() }), (*Elem)(nil), Span(), Text("c"))
	assert.Equal(t, `<div>ab<span></span>c</div>`, HTML(n))
	assert.Len(t, n.kids, 3, "adjacent texts are one, as the browser parses them")
	assert.Equal(t, `<input>`, HTML(Input().Body(Text("ignored"))), "a void element takes no children")
	assert.Equal(t, `<button>`, strings.TrimSuffix(HTML(Button().Disabled(true).Disabled(false)), "</button>"))
	assert.Equal(t, `<p class="b"></p>`, HTML(P().Class("a").Class("b")), "the last value of an attribute wins")
}

func TestHandle_bubblesFromTheTargetUp(t *testing.T) {
	var got []string
	rec := func(s string) Handler { return func(app.Event) { got = append(got, s) } }
	row := Li().OnClick(rec("row")).Body(
		Text("x"),
		Div().Body(Button().OnClick(rec("button")).Text("×")),
		Input().OnInput(rec("input")).OnFocus(rec("focus")),
	)
	events := map[string]bool{}
	Events(row, events)
	assert.Equal(t, map[string]bool{"click": true, "input": true, "focusin": true}, events)

	assert.True(t, Handle(row, []int{1, 0, 0}, "click", app.Event{}), "a click on the button's text")
	assert.Equal(t, []string{"button", "row"}, got)
	got = nil
	assert.True(t, Handle(row, []int{2}, "input", app.Event{}))
	assert.True(t, Handle(row, []int{2}, "focusin", app.Event{}))
	assert.Equal(t, []string{"input", "focus"}, got)
	got = nil
	assert.False(t, Handle(row, []int{2}, "keydown", app.Event{}))
	assert.True(t, Handle(row, []int{9, 9}, "click", app.Event{}), "a path the tree no longer has stops where it can")
	assert.Equal(t, []string{"row"}, got)
}

func TestDiff_fewWrites(t *testing.T) {
	row := func(title string, done bool, err string) Node {
		return Li().Class("todo").Data("done", map[bool]string{true: "true", false: "false"}[done]).Body(
			Input().Type("checkbox").Checked(done),
			Span().Text(title),
			If(err != "", func() Node { return P().Class("error").Text(err) }),
		)
	}
	assert.Empty(t, Diff(row("Eggs", false, ""), row("Eggs", false, "")))
	assert.Equal(t, []Op{{Kind: SetText, Path: []int{1, 0}, Value: "Eggs!"}}, strip(Diff(row("Eggs", false, ""), row("Eggs!", false, ""))))
	assert.Equal(t, []Op{
		{Kind: SetAttr, Path: nil, Tag: "li", Name: "data-done", Value: "true"},
		{Kind: SetAttr, Path: []int{0}, Tag: "input", Name: "checked", Value: ""},
	}, strip(Diff(row("Eggs", false, ""), row("Eggs", true, ""))))
	assert.Equal(t, []Op{{Kind: Append, Path: nil, Value: `<p class="error">is taken</p>`}}, strip(Diff(row("Eggs", false, ""), row("Eggs", false, "is taken"))))
	assert.Equal(t, []Op{{Kind: Truncate, Path: nil, Keep: 2}}, strip(Diff(row("Eggs", false, "is taken"), row("Eggs", false, ""))))
	assert.Equal(t, []Op{{Kind: Replace, Path: nil, Value: `<div></div>`}}, strip(Diff(row("Eggs", false, ""), Div())))
}

func strip(ops []Op) []Op {
	for i := range ops {
		ops[i].nodes = nil
	}
	return ops
}

// The DOM that Diff's writes leave is the next tree's, for random trees
// and random changes: applied to a copy of the old tree, they make a tree
// with the next one's HTML.
func TestDiff_randomTreesAgainstTheirHTML(t *testing.T) {
	for seed := range uint64(2000) {
		r := rand.New(rand.NewPCG(seed, 7))
		old := randomTree(r, 0)
		next := mutate(r, old, 0)
		got := apply(t, copyNode(old), Diff(old, next))
		require.Equal(t, HTML(canon(next)), HTML(canon(got)), "seed %d: from %s", seed, HTML(old))
		require.Empty(t, Diff(next, copyNode(next)), "seed %d: no change, no write", seed)
	}
}

var (
	tags   = []string{"div", "span", "li", "p", "input", "button"}
	names  = []string{"class", "title", "data-x", "value", "checked"}
	values = []string{"", "a", "b c", `"<&>'`, "é"}
	texts  = []string{"x", "y z", "<b>", "&amp;", " "}
)

func randomTree(r *rand.Rand, depth int) Node {
	if depth > 0 && r.IntN(4) == 0 {
		return text(texts[r.IntN(len(texts))])
	}
	e := El(tags[r.IntN(len(tags))])
	for range r.IntN(3) {
		e.Attr(names[r.IntN(len(names))], values[r.IntN(len(values))])
	}
	if depth < 3 {
		for range r.IntN(4) {
			e.Body(randomTree(r, depth+1))
		}
	}
	return e
}

// mutate returns a changed copy of n.
func mutate(r *rand.Rand, n Node, depth int) Node {
	if r.IntN(6) == 0 {
		return randomTree(r, depth)
	}
	e, ok := n.(*Elem)
	if !ok {
		if r.IntN(2) == 0 {
			return text(texts[r.IntN(len(texts))])
		}
		return n
	}
	c := El(e.tag)
	for _, a := range e.attrs {
		switch r.IntN(4) {
		case 0: // dropped
		case 1:
			c.Attr(a.name, values[r.IntN(len(values))])
		default:
			c.Attr(a.name, a.value)
		}
	}
	if r.IntN(3) == 0 {
		c.Attr(names[r.IntN(len(names))], values[r.IntN(len(values))])
	}
	kids := e.kids
	if len(kids) > 0 && r.IntN(4) == 0 {
		kids = kids[:r.IntN(len(kids))]
	}
	for _, k := range kids {
		c.Body(mutate(r, k, depth+1))
	}
	if depth < 3 && r.IntN(4) == 0 {
		c.Body(randomTree(r, depth+1))
	}
	return c
}

// canon sorts attributes, whose order the DOM does not keep.
func canon(n Node) Node {
	c := copyNode(n)
	var walk func(Node)
	walk = func(n Node) {
		if e, ok := n.(*Elem); ok {
			sort.Slice(e.attrs, func(i, j int) bool { return e.attrs[i].name < e.attrs[j].name })
			for _, k := range e.kids {
				walk(k)
			}
		}
	}
	walk(c)
	return c
}

func copyNode(n Node) Node {
	e, ok := n.(*Elem)
	if !ok {
		return n
	}
	c := &Elem{tag: e.tag, attrs: append([]attr(nil), e.attrs...), on: e.on}
	for _, k := range e.kids {
		c.kids = append(c.kids, copyNode(k))
	}
	return c
}

// apply plays ops on a tree as a browser plays them on the DOM.
func apply(t *testing.T, root Node, ops []Op) Node {
	for _, op := range ops {
		var parent *Elem
		at := -1
		n := root
		for _, i := range op.Path {
			parent, at = n.(*Elem), i
			n = parent.kids[i]
		}
		switch op.Kind {
		case SetAttr:
			n.(*Elem).Attr(op.Name, op.Value)
		case RemoveAttr:
			e := n.(*Elem)
			e.attrs = slicesDelete(e.attrs, op.Name)
		case SetText:
			parent.kids[at] = text(op.Value)
		case Replace:
			if parent == nil {
				root = copyNode(op.nodes[0])
			} else {
				parent.kids[at] = copyNode(op.nodes[0])
			}
		case Append:
			for _, k := range op.nodes {
				n.(*Elem).kids = append(n.(*Elem).kids, copyNode(k))
			}
		case Truncate:
			n.(*Elem).kids = n.(*Elem).kids[:op.Keep]
		default:
			t.Fatalf("op %d", op.Kind)
		}
	}
	return root
}

func slicesDelete(as []attr, name string) []attr {
	out := as[:0]
	for _, a := range as {
		if a.name != name {
			out = append(out, a)
		}
	}
	return out
}
