package dom

// An Op is one DOM write of the few that take the DOM of one tree to the
// next (Diff). Path locates a node by child indexes from the root: the
// DOM's childNodes, one for each child of the tree, since HTML makes one
// node per element and per text.
type Op struct {
	Kind OpKind
	Path []int
	// Tag is the element's tag, for SetAttr and RemoveAttr: an input's value
	// and a checkbox's checked state are properties too.
	Tag string
	// Name and Value are the attribute of SetAttr and RemoveAttr; Value is
	// the text of SetText and the HTML of Replace and Append.
	Name, Value string
	// Keep is how many children Truncate keeps.
	Keep int

	nodes []Node // Replace's node, Append's nodes: for tests
}

// OpKind says what an Op does.
type OpKind uint8

const (
	SetAttr    OpKind = iota + 1 // set attribute Name to Value
	RemoveAttr                   // remove attribute Name
	SetText                      // set a text node's text to Value
	Replace                      // replace the node with the HTML in Value
	Append                       // append the HTML in Value to the element's children
	Truncate                     // remove the element's children from Keep on
)

// Diff returns the writes that take the DOM of old to that of next, which
// must both be non-nil. A root of another tag (or a text for an element) is
// one Replace with an empty Path.
func Diff(old, next Node) []Op {
	var ops []Op
	return diff(ops, nil, old, next)
}

func diff(ops []Op, path []int, old, next Node) []Op {
	switch o := old.(type) {
	case text:
		if n, ok := next.(text); ok {
			if n != o {
				ops = append(ops, Op{Kind: SetText, Path: clone(path), Value: string(n)})
			}
			return ops
		}
	case *Elem:
		if n, ok := next.(*Elem); ok && n.tag == o.tag {
			return diffElem(ops, path, o, n)
		}
	}
	return append(ops, Op{Kind: Replace, Path: clone(path), Value: HTML(next), nodes: []Node{next}})
}

func diffElem(ops []Op, path []int, o, n *Elem) []Op {
	for _, a := range n.attrs {
		if v, ok := o.attr(a.name); !ok || v != a.value {
			ops = append(ops, Op{Kind: SetAttr, Path: clone(path), Tag: n.tag, Name: a.name, Value: a.value})
		}
	}
	for _, a := range o.attrs {
		if _, ok := n.attr(a.name); !ok {
			ops = append(ops, Op{Kind: RemoveAttr, Path: clone(path), Tag: n.tag, Name: a.name})
		}
	}
	common := min(len(o.kids), len(n.kids))
	for i := range common {
		ops = diff(ops, append(path, i), o.kids[i], n.kids[i])
	}
	switch {
	case len(n.kids) > common:
		var b []byte
		for _, k := range n.kids[common:] {
			b = k.appendHTML(b)
		}
		ops = append(ops, Op{Kind: Append, Path: clone(path), Value: string(b), nodes: n.kids[common:]})
	case len(o.kids) > common:
		ops = append(ops, Op{Kind: Truncate, Path: clone(path), Keep: common})
	}
	return ops
}

func (e *Elem) attr(name string) (string, bool) {
	for _, a := range e.attrs {
		if a.name == name {
			return a.value, true
		}
	}
	return "", false
}

func clone(p []int) []int { return append([]int(nil), p...) }
