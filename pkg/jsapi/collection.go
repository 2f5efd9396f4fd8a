//go:build js

package jsapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"syscall/js"

	"github.com/tandemkit/tandem/pkg/store"
)

// A coll is a store collection as JavaScript reaches it. Its entities are
// objs; decl, when the entity is declared in Go, validates creates and
// updates with the entity's forms. Reads cross as JSON text, parsed once on
// the JavaScript side into plain objects; what JavaScript shows
// continuously — the entities of its views and subscriptions — it keeps in
// a mirror that Go updates by batches (mirror.go).
//
// A collection declared from JavaScript names the property of its UI
// objects that holds the id (idField; the protocol's objects call it "id"),
// and may have hooks that turn a server object into a UI object (fromAPI)
// and back (toAPI), as a store.Codec does in Go; they run in JavaScript,
// once per object the server sends and per request.
type coll struct {
	mirror
	r *Runtime
	c *store.Collection[*obj]
	h int
	collSpec
	creates *store.Mutation[*obj]
	updates *store.Mutation[*patch] // a pointer shares *obj's generic code
	deletes *store.Mutation[string]
}

// patch is one update: the fields JavaScript set, and the fields of the
// server object they change (after toAPI, the names may differ).
type patch struct {
	id     string
	keys   []string // the fields JavaScript set, sorted
	set    map[string]json.RawMessage
	fields []string
}

// collSpec is how a collection is declared.
type collSpec struct {
	name, idField  string
	decl           *Declared // nil: declared from JavaScript, no forms
	fromAPI, toAPI bool      // the hooks JavaScript gave
}

func (r *Runtime) newColl(cl *client, spec collSpec) (*coll, error) {
	if spec.idField == "" {
		spec.idField = "id"
	}
	c := &coll{r: r, collSpec: spec}
	codec := store.Codec[json.RawMessage, *obj]{Decode: c.fromServer, Encode: c.toServer}
	sc, err := store.NewCollection(cl.s, store.CollectionOptions[json.RawMessage, *obj]{
		Name:  spec.name,
		Codec: codec,
		Equal: func(a, b *obj) bool { return bytes.Equal(a.raw, b.raw) },
	})
	if err != nil {
		return nil, err
	}
	c.c = sc
	var createFields []string
	if c.decl != nil {
		createFields = c.decl.create // a create sends its form's fields, as Creates does
	}
	c.creates = store.NewMutation(sc, nil, func(o *obj) store.Op[*obj] {
		return store.Create(idOf(o.raw, c.idField), o, createFields...)
	})
	c.updates = store.NewMutation(sc, nil, func(p *patch) store.Op[*obj] {
		return store.Patch(p.id, func(o **obj) { *o = merge(*o, p.keys, p.set) }, p.fields...)
	})
	c.deletes = sc.Deletes()
	c.h = r.handle(c)
	c.mirror.init(c)
	return c, nil
}

// fromServer turns a server object into the UI's: fromAPI's, if the
// collection has that hook, with the id under idField.
func (c *coll) fromServer(api json.RawMessage) (*obj, error) {
	ui, err := c.convert(api, "fromAPI", c.fromAPI, "id", c.idField)
	if err != nil {
		return nil, err
	}
	return &obj{raw: ui}, nil
}

// toServer turns o into the server's shape: toAPI's, if the collection has
// that hook, with the id under "id".
func (c *coll) toServer(o *obj) (json.RawMessage, error) {
	return c.convert(o.raw, "toAPI", c.toAPI, c.idField, "id")
}

// convert runs JavaScript's hook dir on in when hooked, then, if the hook
// ran or the id's name changes, sets the id that in holds under fromKey
// under toKey.
func (c *coll) convert(in []byte, dir string, hooked bool, fromKey, toKey string) ([]byte, error) {
	out := in
	if hooked {
		var v js.Value
		if err := catch(func() { v = c.r.host.Call("hook", c.h, dir, string(in)) }); err != nil {
			return nil, err
		}
		if v.Type() != js.TypeString {
			return nil, errors.New("tandem: " + c.name + "'s " + dir + " hook must return an object")
		}
		out = []byte(v.String())
	}
	if hooked || fromKey != toKey {
		return renameID(out, in, fromKey, toKey)
	}
	return out, nil
}

// get is a tracked read of entity id: its JSON, or null.
func (c *coll) get(id string) js.Value {
	o, ok := c.c.Get(id)
	if !ok {
		return js.Null()
	}
	return js.ValueOf(string(o.raw))
}

// visible returns the visible value of id, untracked.
func (c *coll) visible(id string) (o *obj, ok bool) {
	c.r.g.Untracked(func() { o, ok = c.c.Get(id) })
	return o, ok
}

// create runs a create of raw, a JSON object, whose outcome settles the
// JavaScript promise registered under token, and returns its id (generated
// when raw has none).
func (c *coll) create(token int, raw []byte) string {
	id, err := c.startCreate(token, raw)
	if err != nil {
		c.r.settle(token, err, nil)
	}
	return id
}

func (c *coll) startCreate(token int, raw []byte) (string, error) {
	id := idOf(raw, c.idField)
	if id == "" {
		id = store.NewID()
	}
	raw, err := withID(raw, c.idField, id, "")
	if err != nil {
		return id, err
	}
	if c.decl != nil {
		if err := c.decl.checkCreate(raw); err != nil {
			return id, err
		}
	}
	c.settleWith(token, c.creates.Run(&obj{raw: raw}), id)
	return id, nil
}

// update runs a patch of entity id: the fields raw sets.
func (c *coll) update(token int, id string, raw []byte) {
	p, err := c.startUpdate(id, raw)
	switch {
	case err != nil:
		c.r.settle(token, err, nil)
	case p == nil: // nothing changes
		c.r.settle(token, nil, c.confirmed(id))
	default:
		c.settleWith(token, p, id)
	}
}

func (c *coll) startUpdate(id string, raw []byte) (*store.Pending, error) {
	p, cur, next, err := c.patched(id, raw)
	if err != nil || bytes.Equal(next.raw, cur.raw) {
		return nil, err
	}
	p.fields = p.keys
	if c.idField != "id" || c.decl == nil {
		// With hooks, the server's names may not be the UI's: send the
		// fields of the server object that change.
		before, err := c.toServer(cur)
		if err != nil {
			return nil, err
		}
		after, err := c.toServer(next)
		if err != nil {
			return nil, err
		}
		if p.fields = changedFields(before, after); len(p.fields) == 0 {
			return nil, nil
		}
	}
	return c.updates.Run(&p), nil
}

// patched returns the patch of entity id that raw, a JSON object, makes,
// the entity as it is visible and as the patch leaves it, which the
// entity's forms, if any, accept.
func (c *coll) patched(id string, raw []byte) (p patch, cur, next *obj, err error) {
	p.id = id
	if p.keys, p.set, err = patchKeys(raw); err != nil {
		return p, nil, nil, err
	}
	cur, ok := c.visible(id)
	if !ok {
		return p, nil, nil, errors.New("tandem: " + c.c.Name() + "/" + id + " is not visible: " + store.ErrNotVisible.Error())
	}
	next = merge(cur, p.keys, p.set)
	if c.decl != nil {
		err = c.decl.checkUpdate(next.raw, p.keys)
	}
	return p, cur, next, err
}

// remove deletes entity id.
func (c *coll) remove(token int, id string) {
	c.deletes.Run(id).OnSettled(func(err error) { c.r.settle(token, err, nil) })
}

// settleWith settles token with p's outcome: the confirmed object, or the
// error.
func (c *coll) settleWith(token int, p *store.Pending, id string) {
	p.OnSettled(func(err error) {
		if err != nil {
			c.r.settle(token, err, nil)
			return
		}
		c.r.settle(token, nil, c.confirmed(id))
	})
}

// confirmed returns the JSON of what the server said last of id, or nil.
func (c *coll) confirmed(id string) []byte {
	o, _, ok := c.c.Confirmed(id)
	if !ok {
		return nil
	}
	return o.raw
}

// validate returns, as the JSON of a TandemError, what the entity's forms
// say of a create (op "create") or of an update of entity id, or "" when
// they accept it. A collection declared from JavaScript has no forms.
func (c *coll) validate(op string, raw []byte, id string) string {
	var err error
	switch {
	case c.decl == nil:
	case op == "create":
		err = c.decl.checkCreate(raw)
	case op == "update":
		_, _, _, err = c.patched(id, raw)
	default:
		err = errors.New(`tandem: validate's op is "create" or "update"`)
	}
	if err == nil {
		return ""
	}
	return string(appendError(nil, err))
}

// forms describes the fields of the create and update forms, as JSON:
// null for a collection declared from JavaScript.
func (c *coll) forms() string {
	var f struct {
		Create []string `json:"create"`
		Update []string `json:"update"`
	}
	if c.decl != nil {
		f.Create, f.Update = c.decl.create, append([]string{}, c.decl.update...)
	}
	b, _ := json.Marshal(f)
	return string(b)
}

// catch runs f and returns a JavaScript exception it throws as an error
// that keeps the exception (Runtime.jsError rethrows the original).
func catch(f func()) (err error) {
	defer func() {
		if p := recover(); p != nil {
			if je, ok := p.(js.Error); ok {
				err = je
				return
			}
			panic(p)
		}
	}()
	f()
	return nil
}

// The calls exportCollections exports, numbered as callCollections gets them.
const (
	opCget = iota
	opCpending
	opCreate
	opUpdate
	opRemove
	opValidate
	opForms
	opHold
	opUnhold
	opVopen
	opVclose
)

func (r *Runtime) exportCollections(api js.Value) {
	r.export(api, []string{opCget: "cget", opCpending: "cpending", opCreate: "create", opUpdate: "update", opRemove: "remove", opValidate: "validate", opForms: "forms", opHold: "hold", opUnhold: "unhold", opVopen: "vopen", opVclose: "vclose"}, r.callCollections)
}

// callCollections runs call op of exportCollections: a[0] is the
// collection's handle.
func (r *Runtime) callCollections(op int, a []js.Value) any {
	c := get[*coll](r, a[0])
	switch op {
	case opCget:
		return c.get(a[1].String())
	case opCpending:
		return c.c.IsPending(a[1].String())
	case opCreate:
		return c.create(a[1].Int(), []byte(a[2].String()))
	case opUpdate:
		c.update(a[1].Int(), a[2].String(), []byte(a[3].String()))
	case opRemove:
		c.remove(a[1].Int(), a[2].String())
	case opValidate:
		return c.validate(a[1].String(), []byte(a[2].String()), a[3].String())
	case opForms:
		return c.forms()
	case opHold:
		c.hold(a[1].String())
	case opUnhold:
		c.unhold(a[1].String())
	case opVopen:
		h, err := c.openView(a[1].Int(), []byte(a[2].String()))
		if err != nil {
			panic(err)
		}
		return h
	case opVclose:
		c.closeView(a[1].Int())
	}
	return nil
}
