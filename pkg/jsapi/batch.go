//go:build js

package jsapi

// flush sends what changed to JavaScript, at the end of the outermost call:
// first every queued collection opens its views and updates its mirror
// (which may queue more), then one batch crosses as one JSON text to
// host.deliver:
//
//	{"c": [collection parts…], "s": [[token, 1, object|null] | [token, 0, error]…], "q": [query handles…]}
//
// JavaScript applies the collections' changes, then settles the promises of
// mutations, then tells the queries' subscribers to read their results, then
// notifies every source whose value changed. A call JavaScript makes while
// it handles the batch queues its own changes, which this loop sends next.
func (r *Runtime) flush() {
	if r.busy || len(r.dirty) == 0 && len(r.settles) == 0 && len(r.queries) == 0 {
		return
	}
	r.busy = true
	defer func() { r.busy = false }()
	for {
		var ready []*coll
		for len(r.dirty) > 0 {
			c := r.dirty[0]
			r.dirty[0] = nil
			r.dirty = r.dirty[1:]
			c.prepare()
			seen := false
			for _, x := range ready {
				seen = seen || x == c
			}
			if !seen {
				ready = append(ready, c)
			}
		}
		b := []byte(`{"c":[`)
		for _, c := range ready {
			b = c.appendBatch(b)
		}
		if len(b) == len(`{"c":[`) && len(r.settles) == 0 && len(r.queries) == 0 {
			return
		}
		b = append(append(append(b, `],"s":[`...), r.settles...), `],"q":[`...)
		r.settles = r.settles[:0]
		for _, q := range r.queries {
			b = appendInt(appendSep(b), q.h)
			q.dirty = false
		}
		r.queries = r.queries[:0]
		r.host.Call("deliver", string(append(b, "]}"...)))
	}
}

// settle queues the outcome of the mutation JavaScript registered under
// token: the confirmed object's JSON (nil: none) or the error.
func (r *Runtime) settle(token int, err error, obj []byte) {
	b := r.settles
	if len(b) > 0 {
		b = append(b, ',')
	}
	b = appendInt(append(b, '['), token)
	if err != nil {
		b = appendError(append(b, ",0,"...), err)
	} else {
		b = appendRaw(append(b, ",1,"...), obj)
	}
	r.settles = append(b, ']')
}
