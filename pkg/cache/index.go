package cache

// keyIndex is a trie over key segments, keyed by each segment's encoding. It
// finds the queries under a key prefix in time proportional to the matches
// (plus the siblings scanned where a filter segment is a map or list), not
// to the cache size. Guarded by Client.mu.
type keyIndex struct {
	root indexNode
}

type indexNode struct {
	parent   *indexNode
	enc      string // this segment's encoding, its key in parent.children
	seg      any    // the segment itself, for partial matching
	children map[string]*indexNode
	q        *query
}

func (x *keyIndex) insert(q *query, ends []int) {
	n := &x.root
	prev := 1
	for i, end := range ends {
		enc := q.hash[prev:end]
		prev = end + 1
		child := n.children[enc]
		if child == nil {
			if n.children == nil {
				n.children = make(map[string]*indexNode, 1)
			}
			child = &indexNode{parent: n, enc: enc, seg: q.key[i]}
			n.children[enc] = child
		}
		n = child
	}
	n.q = q
	q.node = n
}

func (x *keyIndex) remove(q *query) {
	n := q.node
	if n == nil {
		return
	}
	q.node = nil
	n.q = nil
	for n != &x.root && n.q == nil && len(n.children) == 0 {
		p := n.parent
		delete(p.children, n.enc)
		n = p
	}
}

// match calls f for every indexed query whose key partially matches filter
// (see MatchKey), in no particular order.
func (x *keyIndex) match(filter Key, f func(*query)) {
	x.walk(&x.root, filter, 0, f)
}

func (x *keyIndex) walk(n *indexNode, filter Key, i int, f func(*query)) {
	if i == len(filter) {
		collect(n, f)
		return
	}
	seg := filter[i]
	if isScalar(seg) {
		var stack [40]byte
		enc, err := appendValue(stack[:0], seg, 1)
		if err != nil {
			return
		}
		if child := n.children[string(enc)]; child != nil {
			x.walk(child, filter, i+1, f)
		}
		return
	}
	for _, child := range n.children {
		if matchValue(child.seg, seg, 1) {
			x.walk(child, filter, i+1, f)
		}
	}
}

func collect(n *indexNode, f func(*query)) {
	if n.q != nil {
		f(n.q)
	}
	for _, c := range n.children {
		collect(c, f)
	}
}
