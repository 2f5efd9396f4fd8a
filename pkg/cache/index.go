package cache

import "encoding/binary"

// keyIndex finds queries by key. It is a trie over key segments whose nodes
// also sit in one hash table, keyed by the canonical encoding of their key
// prefix (`["todos",{"page":1}` for the key ["todos",{"page":1}], without
// the closing bracket). An exact key costs one probe of the table; a filter
// prefix of scalar segments costs one probe per segment, then a walk of the
// matching subtree, so a filter's cost follows its matches (plus the
// siblings scanned where a filter segment is a map or list), not the cache
// size. Children are linked lists, never maps: ranging over a map is slow
// in WASM. Guarded by Client.mu.
type keyIndex struct {
	root  indexNode // the empty prefix; root.q is the query of Key{}
	slots []indexSlot
	n     int // nodes in slots
	seed  uint64
	last  *indexNode // the last parent parentFor returned
}

// indexSlot is a slot of the open-addressing table: linear probing,
// backward-shift deletion, so there are no tombstones.
type indexSlot struct {
	h    uint64
	node *indexNode
}

type indexNode struct {
	parent *indexNode
	// hash is the hash text (see Key.Hash) of the key prefix the node
	// stands for; the table's key is hash without its closing bracket.
	hash string
	seg  any // the last segment itself, for partial matching
	// first is the first child; next and prev link the children of parent.
	// Links, not a slice of children, so that a child costs no memory
	// beyond its node.
	first, next, prev *indexNode
	q                 *query
}

func (x *keyIndex) init(seed uint64) {
	x.root.hash = "[]"
	x.seed = seed
	x.slots = make([]indexSlot, 16)
}

// hashPrefix hashes an encoded prefix: multiply and xor-shift over 8-byte
// words, seeded per client. It is a few multiplications in WASM, where
// hash/maphash's 128-bit multiplies are emulated.
func (x *keyIndex) hashPrefix(p []byte) uint64 {
	const m = 0x9e3779b97f4a7c15
	n := len(p)
	h := x.seed ^ uint64(n)*m
	i := 0
	for ; n-i >= 8; i += 8 {
		h = (h ^ binary.LittleEndian.Uint64(p[i:])) * m
		h ^= h >> 32
	}
	if i < n {
		var t uint64
		switch {
		case n >= 8:
			t = binary.LittleEndian.Uint64(p[n-8:])
		case n >= 4:
			t = uint64(binary.LittleEndian.Uint32(p)) | uint64(binary.LittleEndian.Uint32(p[n-4:]))<<32
		default:
			t = uint64(p[0]) | uint64(p[n>>1])<<8 | uint64(p[n-1])<<16
		}
		h = (h ^ t) * m
		h ^= h >> 32
	}
	h *= 0xbf58476d1ce4e5b9
	return h ^ h>>31
}

// lookup returns the node of the encoded prefix p, whose hash is h.
func (x *keyIndex) lookup(p []byte, h uint64) *indexNode {
	mask := uint64(len(x.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &x.slots[i]
		if s.node == nil {
			return nil
		}
		if s.h == h && len(s.node.hash) == len(p)+1 && s.node.hash[:len(p)] == string(p) {
			return s.node
		}
	}
}

// find returns the node of the encoded prefix p.
func (x *keyIndex) find(p []byte) *indexNode {
	if len(p) == 1 {
		return &x.root
	}
	return x.lookup(p, x.hashPrefix(p))
}

// put adds n, whose table key hashes to h.
func (x *keyIndex) put(n *indexNode, h uint64) {
	if (x.n+1)*4 > len(x.slots)*3 {
		x.grow()
	}
	mask := uint64(len(x.slots) - 1)
	i := h & mask
	for x.slots[i].node != nil {
		i = (i + 1) & mask
	}
	x.slots[i] = indexSlot{h: h, node: n}
	x.n++
}

func (x *keyIndex) grow() {
	old := x.slots
	x.slots = make([]indexSlot, 2*len(old))
	mask := uint64(len(x.slots) - 1)
	for _, s := range old {
		if s.node == nil {
			continue
		}
		i := s.h & mask
		for x.slots[i].node != nil {
			i = (i + 1) & mask
		}
		x.slots[i] = s
	}
}

func (x *keyIndex) delete(n *indexNode) {
	mask := uint64(len(x.slots) - 1)
	i := x.hashPrefix([]byte(n.hash[:len(n.hash)-1])) & mask
	for x.slots[i].node != n {
		i = (i + 1) & mask
	}
	// backward shift: move later entries of the probe run into the hole
	// unless their home slot lies cyclically in (hole, entry]
	for {
		x.slots[i] = indexSlot{}
		j := i
		for {
			j = (j + 1) & mask
			s := x.slots[j]
			if s.node == nil {
				x.n--
				return
			}
			home := s.h & mask
			if (i <= j && i < home && home <= j) || (i > j && (i < home || home <= j)) {
				continue
			}
			x.slots[i] = s
			i = j
			break
		}
	}
}

// parentFor returns the parent for the new node of a key, creating the
// missing prefix nodes above it. key is encoded in enc, with the end of each
// segment in ends; hash is its hash text, which the prefixes share.
func (x *keyIndex) parentFor(key Key, hash string, enc []byte, ends []int) *indexNode {
	n := len(ends)
	if n == 1 {
		return &x.root
	}
	// the parent of the last new node, when it is the parent again (as
	// when filling a list of keys), costs a string comparison
	pp := enc[:ends[n-2]]
	if l := x.last; l != nil && l.parent != nil && len(l.hash) == len(pp)+1 && l.hash[:len(pp)] == string(pp) {
		return l
	}
	// walk up to the deepest existing prefix node: usually the parent
	var stack [8]uint64
	hs := stack[:]
	if n > len(hs) {
		hs = make([]uint64, n)
	}
	at := &x.root
	i := n - 2
	for ; i >= 0; i-- {
		p := enc[:ends[i]]
		hs[i] = x.hashPrefix(p)
		if node := x.lookup(p, hs[i]); node != nil {
			at = node
			break
		}
	}
	for i++; i < n-1; i++ {
		child := &indexNode{parent: at, hash: hash[:ends[i]] + "]", seg: key[i], next: at.first}
		x.link(at, child, hs[i])
		at = child
	}
	x.last = at
	return at
}

// link adds child, whose table key hashes to h, under parent, first;
// child.parent and child.next (parent.first) must be set.
func (x *keyIndex) link(parent, child *indexNode, h uint64) {
	if parent.first != nil {
		parent.first.prev = child
	}
	parent.first = child
	x.put(child, h)
}

// remove unlinks q and drops the prefix nodes left empty.
func (x *keyIndex) remove(q *query) {
	n := q.node
	if n == nil {
		return
	}
	n.q = nil
	for n != &x.root && n.q == nil && n.first == nil {
		p := n.parent
		if n.prev == nil {
			p.first = n.next
		} else {
			n.prev.next = n.next
		}
		if n.next != nil {
			n.next.prev = n.prev
		}
		x.delete(n)
		n.parent, n.next, n.prev = nil, nil, nil
		n = p
	}
}

// match appends to out every query whose key partially matches filter (see
// MatchKey), in no particular order. enc and ends are filter's encoding.
func (x *keyIndex) match(out []*query, filter Key, enc []byte, ends []int) []*query {
	return x.walk(out, &x.root, true, filter, enc, ends, 0)
}

// walk matches filter[i:] below n. direct says that n's prefix is the
// filter's own enc[:ends[i-1]], so the filter's encoding names n's children.
func (x *keyIndex) walk(out []*query, n *indexNode, direct bool, filter Key, enc []byte, ends []int, i int) []*query {
	for ; i < len(filter); i++ {
		seg := filter[i]
		if !isScalar(seg) {
			for child := n.first; child != nil; child = child.next {
				if matchValue(child.seg, seg, 1) {
					out = x.walk(out, child, false, filter, enc, ends, i+1)
				}
			}
			return out
		}
		var child *indexNode
		if direct {
			child = x.find(enc[:ends[i]])
		} else {
			start := 1
			if i > 0 {
				start = ends[i-1] + 1
			}
			var stack [128]byte
			p := append(stack[:0], n.hash[:len(n.hash)-1]...)
			if n != &x.root {
				p = append(p, ',')
			}
			child = x.find(append(p, enc[start:ends[i]]...))
		}
		if child == nil {
			return out
		}
		n = child
	}
	return collect(out, n)
}

// each calls f for every query below n, n's included.
func (x *keyIndex) each(n *indexNode, f func(*query)) {
	if n.q != nil {
		f(n.q)
	}
	for c := n.first; c != nil; c = c.next {
		if c.first == nil {
			f(c.q) // a leaf always holds a query
			continue
		}
		x.each(c, f)
	}
}

func collect(out []*query, n *indexNode) []*query {
	if n.q != nil {
		out = append(out, n.q)
	}
	for c := n.first; c != nil; c = c.next {
		if c.first == nil {
			out = append(out, c.q) // a leaf always holds a query
			continue
		}
		out = collect(out, c)
	}
	return out
}
