package store

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tandemkit/tandem/pkg/form"
)

// A Mutation is one kind of change users make, declared once: the form value
// it takes, the schema that validates it (the same one the server runs), and
// the Op it performs on a collection. Run applies the Op optimistically — the
// user sees it in the same tick — queues it for the server, and settles with
// the server's object or its refusal; a refusal rolls the change back by
// itself.
type Mutation[F any, ID ~string, UI any] struct {
	c          *Collection[ID, UI]
	schema     *form.Schema[F]
	build      func(F) Op[ID, UI]
	optimistic bool
	ifMatch    bool
}

// A MutationOption configures a Mutation.
type MutationOption func(*mutationConfig)

type mutationConfig struct {
	notOptimistic bool
	ifMatch       bool
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
func NewMutation[F any, ID ~string, UI any](c *Collection[ID, UI], schema *form.Schema[F], build func(F) Op[ID, UI], opts ...MutationOption) *Mutation[F, ID, UI] {
	var cfg mutationConfig
	for _, o := range opts {
		o(&cfg)
	}
	return &Mutation[F, ID, UI]{c: c, schema: schema, build: build, optimistic: !cfg.notOptimistic, ifMatch: cfg.ifMatch}
}

// Run validates in, applies the mutation optimistically and queues it. An
// invalid form value settles the returned Pending at once with a
// *form.Errors, and nothing is sent.
func (m *Mutation[F, ID, UI]) Run(in F) *Pending {
	c := m.c
	p := newPending(c.g)
	if c.s.closed {
		p.settle(ErrClosed)
		return p
	}
	if m.schema != nil {
		if err := m.schema.Validate(in); err != nil {
			p.settle(err)
			return p
		}
	}
	op, err := callBuild(m.build, in)
	if err != nil {
		p.settle(err)
		return p
	}
	it, pop, err := m.prepare(op)
	if err != nil {
		p.settle(err)
		return p
	}
	s := c.s
	s.lastMutationID++
	it.ClientID, it.MutationID = s.clientID, s.lastMutationID
	it.settle = p.settle
	p.id = it.MutationID
	c.add(op.id, pop)
	s.outbox.enqueue(it)
	return p
}

// prepare turns op into an outbox item and the entity's pending entry.
func (m *Mutation[F, ID, UI]) prepare(op Op[ID, UI]) (*outItem, *pendingOp[UI], error) {
	c := m.c
	if op.kind == 0 {
		return nil, nil, errors.New("store: the mutation returned no Op")
	}
	it := &outItem{Collection: c.name, Kind: op.kind, ID: string(op.id), Optimistic: m.optimistic}
	pop := &pendingOp[UI]{it: it}
	e := c.ents[op.id]
	switch op.kind {
	case opCreate:
		fields := op.fields
		if len(fields) == 0 && m.schema != nil {
			fields = m.schema.Names()
		}
		var body json.RawMessage
		var err error
		if len(fields) > 0 {
			body, err = pickFields(c.encode, op.value, append([]string{"id"}, fields...), false)
		} else {
			body, err = c.encode(op.value)
		}
		if err != nil {
			return nil, nil, err
		}
		it.Body, pop.value = body, op.value
	case opPatch:
		if e == nil || !e.visOK {
			return nil, nil, fmt.Errorf("%w: patch of %s/%s", ErrNotVisible, c.name, string(op.id))
		}
		if len(op.fields) == 0 || op.apply == nil {
			return nil, nil, errors.New("store: a patch needs a change and the fields it sets")
		}
		v := e.vis
		if c.clone != nil {
			v = c.clone(v)
		}
		if err := protect(func() { op.apply(&v) }); err != nil {
			return nil, nil, fmt.Errorf("store: the patch function: %w", err)
		}
		encode, fields := c.encode, op.fields
		it.encode = func() (json.RawMessage, error) { return pickFields(encode, v, fields, true) }
		it.Fields, pop.apply = op.fields, op.apply
	case opDelete:
		if e == nil || !e.visOK {
			return nil, nil, fmt.Errorf("%w: delete of %s/%s", ErrNotVisible, c.name, string(op.id))
		}
	}
	it.IfMatch = m.ifMatch && op.kind != opCreate
	return it, pop, nil
}

// pickFields encodes v and keeps the named fields: the body of a create or a
// PATCH. A field the encoding omits (omitempty) is an error for a PATCH,
// which must say the new value, and skipped for a create, whose absent
// fields take the server's defaults.
func pickFields[UI any](encode func(UI) ([]byte, error), v UI, fields []string, all bool) (json.RawMessage, error) {
	b, err := encode(v)
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
