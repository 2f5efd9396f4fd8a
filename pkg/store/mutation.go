package store

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tandemkit/tandem/pkg/form"
	"github.com/tandemkit/tandem/pkg/state"
)

// A Mutation is one kind of change users make, declared once: the form value
// F it takes, the schema that validates it — the same one the server runs —
// and what it does to a collection. Run applies it optimistically — the user
// sees it in the same tick — queues it for the server, and settles with the
// server's object or its refusal; a refusal rolls the change back by itself.
//
// A declared collection (Collect) makes its mutations from the entity's
// forms: Creates, Updates(form), Deletes. NewMutation makes any other, from
// a form and a function returning an Op.
type Mutation[F any] struct {
	g      *state.Graph
	schema *form.Schema[F]
	run    func(in F, p *Pending)
}

// A MutationOption configures a Mutation.
type MutationOption func(*mutationConfig)

type mutationConfig struct {
	notOptimistic bool
	ifMatch       bool
}

func configure(opts []MutationOption) mutationConfig {
	var cfg mutationConfig
	for _, o := range opts {
		o(&cfg)
	}
	return cfg
}

// NotOptimistic leaves the visible state unchanged until the server
// confirms the mutation (QB-68).
func NotOptimistic() MutationOption { return func(c *mutationConfig) { c.notOptimistic = true } }

// IfMatch sends patches and deletes with If-Match on the confirmed version,
// so that the server refuses them (409) if the entity changed meanwhile,
// instead of merging field by field.
func IfMatch() MutationOption { return func(c *mutationConfig) { c.ifMatch = true } }

// ErrNotVisible is the error of a patch or delete of an entity that the user
// cannot see (absent, deleted, or not loaded).
var ErrNotVisible = errors.New("store: entity not visible")

// NewMutation declares a mutation of c: schema validates its form value (nil
// for none) and build turns a valid value into an Op. build runs
// synchronously, inside Run (QB-70: an optimistic change is known at once).
func NewMutation[F, UI any](c *Collection[UI], schema *form.Schema[F], build func(F) Op[UI], opts ...MutationOption) *Mutation[F] {
	cfg := configure(opts)
	return &Mutation[F]{g: c.g, schema: schema, run: func(in F, p *Pending) {
		if schema != nil {
			if err := schema.Validate(in); err != nil {
				p.settle(err)
				return
			}
		}
		op, err := callBuild(build, in)
		if err != nil {
			p.settle(err)
			return
		}
		if op.kind == opCreate && len(op.fields) == 0 && schema != nil {
			op.fields = schema.Names() // the create form's fields are the body
		}
		c.send(op, cfg, p)
	}}
}

// Run validates in, applies the mutation optimistically and queues it. An
// invalid form value settles the returned Pending at once with a
// *form.Errors, and nothing is sent.
func (m *Mutation[F]) Run(in F) *Pending {
	p := newPending(m.g)
	m.run(in, p)
	return p
}

// Form returns the schema the mutation validates with (nil for none), for a
// Form that edits its value: NewForm(g, m.Form(), v).
func (m *Mutation[F]) Form() *form.Schema[F] { return m.schema }

// Creates returns the mutation creating an entity of a declared collection
// (Collect) from a value of the entity's create form: validated by that
// form, shown at once, sent with the form's fields. An empty id is filled
// with NewID(): ids are client-generated (PROTOCOL.md §1), so a create is
// idempotent and its confirmation the same entity.
func (c *Collection[UI]) Creates(opts ...MutationOption) *Mutation[UI] {
	cfg := configure(opts)
	d := c.decl
	return &Mutation[UI]{g: c.g, schema: c.createForm(), run: func(v UI, p *Pending) {
		if d == nil {
			p.settle(c.undeclared("Creates"))
			return
		}
		if id := d.id(&v); *id == "" {
			*id = NewID()
		}
		if err := d.create.Validate(v); err != nil {
			p.settle(err)
			return
		}
		c.send(Create(*d.id(&v), v, d.create.Names()...), cfg, p)
	}}
}

// Updates returns the mutation that sets the fields of f — the entity's
// update form (nil) or one picked from it (Pick) — on the entity whose id
// the value holds, taking their values from the value. It validates what the
// server validates: those fields, and f's checks on the visible entity with
// the change applied.
func (c *Collection[UI]) Updates(f *form.Schema[UI], opts ...MutationOption) *Mutation[UI] {
	cfg := configure(opts)
	d := c.decl
	if f == nil && d != nil {
		f = d.update
	}
	return &Mutation[UI]{g: c.g, schema: f, run: func(v UI, p *Pending) {
		if d == nil || f == nil {
			p.settle(c.undeclared("Updates"))
			return
		}
		id := *d.id(&v)
		m, err := c.visibleCopy(id)
		if err != nil {
			p.settle(err)
			return
		}
		merged := m.(*UI)
		f.Copy(merged, v)
		if err := f.ValidateFields(*merged, f.Names()...); err != nil {
			p.settle(err)
			return
		}
		c.send(Patch(id, func(u *UI) { f.Copy(u, v) }, f.Names()...), cfg, p)
	}}
}

// Deletes returns the mutation deleting the entity with the given id.
func (c *Collection[UI]) Deletes(opts ...MutationOption) *Mutation[string] {
	cfg := configure(opts)
	return &Mutation[string]{g: c.g, run: func(id string, p *Pending) {
		c.send(Delete[UI](id), cfg, p)
	}}
}

// visibleCopy returns a fresh copy (core.copy) of the visible value of
// entity id, for a patch to change, or ErrNotVisible.
func (c *core) visibleCopy(id string) (any, error) {
	e := c.ents[id]
	if e == nil || !e.visOK {
		return nil, fmt.Errorf("%w: patch of %s/%s", ErrNotVisible, c.name, id)
	}
	return c.copy(e.vis), nil
}

// send applies op optimistically, queues it and ties p to its outcome.
func (c *Collection[UI]) send(op Op[UI], cfg mutationConfig, p *Pending) {
	u := untypedOp{kind: op.kind, id: op.id, fields: op.fields}
	if op.kind == opCreate {
		u.value = box(op.value)
	}
	if op.apply != nil {
		u.apply = patchFunc(op.apply)
	}
	c.core.send(u, cfg, p)
}

// An untypedOp is an Op for the core: its value boxed, its patch function
// wrapped by patchFunc.
type untypedOp struct {
	kind   opKind
	id     string
	value  any
	apply  func(any)
	fields []string
}

// send applies op optimistically, queues it and ties p to its outcome.
func (c *core) send(op untypedOp, cfg mutationConfig, p *Pending) {
	s := c.s
	if s.closed {
		p.settle(ErrClosed)
		return
	}
	it, pop, err := c.prepare(op, !cfg.notOptimistic, cfg.ifMatch)
	if err != nil {
		p.settle(err)
		return
	}
	s.lastMutationID++
	it.ClientID, it.MutationID = s.clientID, s.lastMutationID
	it.settle = p.settle
	p.id = it.MutationID
	c.add(op.id, pop)
	s.outbox.enqueue(it)
}

// prepare turns op into an outbox item and the entity's pending entry.
func (c *core) prepare(op untypedOp, optimistic, ifMatch bool) (*outItem, *pendingOp, error) {
	if op.kind == 0 {
		return nil, nil, errors.New("store: the mutation returned no Op")
	}
	it := &outItem{Collection: c.name, Kind: op.kind, ID: op.id, Optimistic: optimistic}
	pop := &pendingOp{it: it}
	e := c.ents[op.id]
	switch op.kind {
	case opCreate:
		var body json.RawMessage
		var err error
		if len(op.fields) > 0 {
			body, err = c.pickFields(op.value, append([]string{"id"}, op.fields...), false)
		} else {
			body, err = c.encode(op.value)
		}
		if err != nil {
			return nil, nil, err
		}
		it.Body, pop.value = body, op.value
	case opPatch:
		if e == nil || !e.visOK {
			return nil, nil, fmt.Errorf("%w: patch of %s/%s", ErrNotVisible, c.name, op.id)
		}
		if len(op.fields) == 0 || op.apply == nil {
			return nil, nil, errors.New("store: a patch needs a change and the fields it sets")
		}
		v := c.copy(e.vis)
		if err := protect(func() { op.apply(v) }); err != nil {
			return nil, nil, fmt.Errorf("store: the patch function: %w", err)
		}
		fields := op.fields
		it.encode = func() (json.RawMessage, error) { return c.pickFields(v, fields, true) }
		it.Fields, pop.apply = op.fields, op.apply
	case opDelete:
		if e == nil || !e.visOK {
			return nil, nil, fmt.Errorf("%w: delete of %s/%s", ErrNotVisible, c.name, op.id)
		}
	}
	it.IfMatch = ifMatch && op.kind != opCreate
	return it, pop, nil
}

// pickFields encodes v and keeps the named fields: the body of a create or a
// PATCH. A field the encoding omits (omitempty) is an error for a PATCH,
// which must say the new value, and skipped for a create, whose absent
// fields take the server's defaults.
func (c *core) pickFields(v any, fields []string, all bool) (json.RawMessage, error) {
	b, err := c.encode(v)
	if err != nil {
		return nil, err
	}
	out, missing, err := pickJSON(b, fields)
	if err != nil {
		return nil, err
	}
	if len(missing) > 0 && all {
		return nil, fmt.Errorf("store: %q is not a field of the encoded object (omitempty cannot say a zero value)", missing[0])
	}
	return out, nil
}

// callBuild runs a build function, turning a panic into an error: a bug in
// one mutation must not take the UI down.
func callBuild[F, O any](build func(F) O, in F) (op O, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("store: mutation build panicked: %v", r)
		}
	}()
	return build(in), nil
}
