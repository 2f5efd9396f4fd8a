package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/tandemkit/tandem/pkg/form"
	"github.com/tandemkit/tandem/pkg/wire"
)

// Op names what a request does, for authorization hooks.
type Op string

// Request operations.
const (
	OpList   Op = "list"
	OpGet    Op = "get"
	OpCreate Op = "create"
	OpUpdate Op = "update"
	OpDelete Op = "delete"
)

// A Request describes a REST request to an Authorize hook. ID is "" for
// OpList and, before the body is read, for OpCreate.
type Request struct {
	Op         Op
	Collection string
	ID         string
}

// A Write is the change a BeforeWrite hook sees. New is the object about to
// be stored and may be modified (set updatedAt, derive fields); Old is the
// stored object (nil on create); Changed lists the JSON fields a PATCH set
// (nil on create).
type Write[T any] struct {
	Op      Op
	Old     *T
	New     *T
	Changed []string
}

// An Index maintains lookup keys for a collection inside every write
// transaction. Key returns the entity's key, or "" for none. A Unique index
// refuses a second entity with the same key with 422, the message under
// Field ("is already taken" unless Message is set). Hooks query an index
// with Tx.Lookup.
type Index[T any] struct {
	Name    string
	Key     func(T) string
	Unique  bool
	Field   string
	Message string
}

// An Entity declares a collection of T. T must encode to a JSON object whose
// "id" field is the one ID points to; the JSON names of the form fields are
// the names the forms use.
type Entity[T any] struct {
	// Collection is the URL segment and the topic: /api/{Collection}.
	Collection string
	// ID points to the id field (JSON name "id") of a T.
	ID func(*T) *string
	// Create validates a create body. Its fields, plus "id", are the only
	// fields a create body may hold.
	Create *form.Schema[T]
	// Update validates a PATCH: its fields are the only fields a PATCH may
	// set; only the fields a PATCH sets are checked, plus the schema's checks
	// on the merged object. Nil makes the collection read-only after create
	// (PATCH answers 405).
	Update *form.Schema[T]
	// Authorize, if set, runs on every REST request to the collection after
	// authentication; an error answers 403 (see Error and the sentinels).
	Authorize func(ctx context.Context, r Request) error
	// AuthorizeTopic, if set, runs on every sub of the topic; an error
	// refuses the subscription with an error message.
	AuthorizeTopic func(ctx context.Context, topic string) error
	// BeforeWrite, if set, runs inside the write transaction after the form
	// validated a create or update and may change w.New. A *form.Errors
	// answers 422; see Error for other answers.
	BeforeWrite func(ctx context.Context, tx *Tx, w Write[T]) error
	// BeforeDelete, if set, runs inside the write transaction before an
	// entity is deleted, e.g. to delete dependants with tx.Delete.
	BeforeDelete func(ctx context.Context, tx *Tx, old T) error
	// Indexes are maintained on every write.
	Indexes []Index[T]
}

// Register adds an entity type to s. Call it before serving; it creates the
// collection's topic log (and its epoch) in the store on first start.
func Register[T any](s *Server, e Entity[T]) error {
	if e.ID == nil || e.Create == nil {
		return fmt.Errorf("server: entity %q needs ID and Create", e.Collection)
	}
	if e.Create.Has("id") || (e.Update != nil && e.Update.Has("id")) {
		return fmt.Errorf("server: entity %q: forms must not declare the id field", e.Collection)
	}
	for _, ix := range e.Indexes {
		if ix.Name == "" || ix.Key == nil {
			return fmt.Errorf("server: entity %q: an index needs Name and Key", e.Collection)
		}
	}
	return s.addEntity(&entity[T]{Entity: e})
}

// entityOps is the untyped view of an entity the request path works with.
type entityOps interface {
	collection() string
	authorize(ctx context.Context, r Request) error
	authorizeTopic(ctx context.Context, topic string) error
	updatable() bool
	// parseCreate and parsePatch check a body before the transaction.
	parseCreate(body []byte) (id string, v any, err error)
	parsePatch(body []byte) (patch map[string]json.RawMessage, keys []string, err error)
	// create, update and remove run inside the transaction and write.
	create(ctx context.Context, tx *Tx, id string, v any) (seq uint64, data []byte, err error)
	update(ctx context.Context, tx *Tx, cur Record, patch map[string]json.RawMessage, keys []string) (seq uint64, data []byte, err error)
	remove(ctx context.Context, tx *Tx, cur Record) (seq uint64, err error)
}

type entity[T any] struct{ Entity[T] }

func (e *entity[T]) collection() string { return e.Collection }
func (e *entity[T]) updatable() bool    { return e.Update != nil }

func (e *entity[T]) authorize(ctx context.Context, r Request) error {
	if e.Authorize == nil {
		return nil
	}
	if err := e.Authorize(ctx, r); err != nil {
		return forbidden(err)
	}
	return nil
}

func (e *entity[T]) authorizeTopic(ctx context.Context, topic string) error {
	if e.AuthorizeTopic == nil {
		return nil
	}
	return e.AuthorizeTopic(ctx, topic)
}

// forbidden makes a plain hook error a 403 while keeping typed answers.
func forbidden(err error) error {
	if httpError(err) != nil {
		return err
	}
	return &Error{Status: http.StatusForbidden, Code: wire.CodeForbidden, Message: err.Error()}
}

// objectKeys decodes body as a JSON object, keeping each value raw.
func objectKeys(body []byte) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	d := json.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(&m); err != nil {
		return nil, jsonFieldError(err)
	}
	if m == nil {
		return nil, errBadRequest("body must be a JSON object")
	}
	if d.More() {
		return nil, errBadRequest("body has data after the JSON object")
	}
	return m, nil
}

// decodeStrict decodes body into a T, refusing fields T does not have.
func decodeStrict[T any](body []byte) (T, error) {
	var v T
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	if err := d.Decode(&v); err != nil {
		return v, jsonFieldError(err)
	}
	return v, nil
}

func (e *entity[T]) parseCreate(body []byte) (string, any, error) {
	m, err := objectKeys(body)
	if err != nil {
		return "", nil, err
	}
	for k := range m {
		if k != "id" && !e.Create.Has(k) {
			return "", nil, errBadRequest("unknown field %q", k)
		}
	}
	v, err := decodeStrict[T](body)
	if err != nil {
		return "", nil, err
	}
	id := *e.ID(&v)
	if id == "" {
		return "", nil, errBadRequest("field \"id\" is required: creates carry a client-generated id")
	}
	if !wire.ValidID(id) {
		return "", nil, errBadRequest("field \"id\" must be 1 to %d of the characters A-Z a-z 0-9 - . _ ~", wire.MaxIDLen)
	}
	if err := e.Create.Validate(v); err != nil {
		return "", nil, err
	}
	return id, v, nil
}

func (e *entity[T]) parsePatch(body []byte) (map[string]json.RawMessage, []string, error) {
	m, err := objectKeys(body)
	if err != nil {
		return nil, nil, err
	}
	if len(m) == 0 {
		return nil, nil, errBadRequest("a PATCH body must set at least one field")
	}
	keys := make([]string, 0, len(m))
	for k, raw := range m {
		switch {
		case k == "id":
			return nil, nil, errBadRequest("field \"id\" cannot be changed")
		case !e.Update.Has(k):
			return nil, nil, errBadRequest("unknown field %q", k)
		case string(bytes.TrimSpace(raw)) == "null":
			return nil, nil, errBadRequest("field %q is null: omit a field to leave it unchanged", k)
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	// Type-check the values against T before the transaction.
	if _, err := decodeStrict[T](body); err != nil {
		return nil, nil, err
	}
	return m, keys, nil
}

func (e *entity[T]) decodeRecord(rec Record) (T, error) {
	var v T
	if err := json.Unmarshal(rec.Data, &v); err != nil {
		return v, fmt.Errorf("server: stored %s/%s does not decode: %w", rec.Collection, rec.ID, err)
	}
	return v, nil
}

func (e *entity[T]) create(ctx context.Context, tx *Tx, id string, val any) (uint64, []byte, error) {
	cur, found, err := tx.st.Get(ctx, e.Collection, id)
	if err != nil {
		return 0, nil, err
	}
	if found {
		return 0, nil, conflictWith(cur)
	}
	v := val.(T)
	if e.BeforeWrite != nil {
		if err := e.BeforeWrite(ctx, tx, Write[T]{Op: OpCreate, New: &v}); err != nil {
			return 0, nil, err
		}
	}
	*e.ID(&v) = id
	data, err := json.Marshal(v)
	if err != nil {
		return 0, nil, fmt.Errorf("server: encode %s/%s: %w", e.Collection, id, err)
	}
	if err := e.index(ctx, tx, id, nil, &v); err != nil {
		return 0, nil, err
	}
	seq, err := tx.write(e.Collection, id, wire.OpCreate, data)
	return seq, data, err
}

func (e *entity[T]) update(ctx context.Context, tx *Tx, cur Record, patch map[string]json.RawMessage, keys []string) (uint64, []byte, error) {
	old, err := e.decodeRecord(cur)
	if err != nil {
		return 0, nil, err
	}
	// Field-level merge at the JSON level: a present field replaces the
	// stored value whole (a nested object is not merged into).
	var m map[string]json.RawMessage
	if err := json.Unmarshal(cur.Data, &m); err != nil {
		return 0, nil, fmt.Errorf("server: stored %s/%s is not an object: %w", cur.Collection, cur.ID, err)
	}
	for k, v := range patch {
		m[k] = v
	}
	merged, err := json.Marshal(m)
	if err != nil {
		return 0, nil, err
	}
	var v T
	if err := json.Unmarshal(merged, &v); err != nil {
		return 0, nil, jsonFieldError(err)
	}
	if err := e.Update.ValidateFields(v, keys...); err != nil {
		return 0, nil, err
	}
	if e.BeforeWrite != nil {
		if err := e.BeforeWrite(ctx, tx, Write[T]{Op: OpUpdate, Old: &old, New: &v, Changed: keys}); err != nil {
			return 0, nil, err
		}
	}
	*e.ID(&v) = cur.ID
	data, err := json.Marshal(v)
	if err != nil {
		return 0, nil, fmt.Errorf("server: encode %s/%s: %w", e.Collection, cur.ID, err)
	}
	if err := e.index(ctx, tx, cur.ID, &old, &v); err != nil {
		return 0, nil, err
	}
	seq, err := tx.write(e.Collection, cur.ID, wire.OpUpdate, data)
	return seq, data, err
}

func (e *entity[T]) remove(ctx context.Context, tx *Tx, cur Record) (uint64, error) {
	old, err := e.decodeRecord(cur)
	if err != nil {
		return 0, err
	}
	if e.BeforeDelete != nil {
		if err := e.BeforeDelete(ctx, tx, old); err != nil {
			return 0, err
		}
	}
	if err := e.index(ctx, tx, cur.ID, &old, nil); err != nil {
		return 0, err
	}
	return tx.write(e.Collection, cur.ID, wire.OpDelete, nil)
}

// index updates every index for a change from old to new (nil for none),
// refusing a unique key another entity holds.
func (e *entity[T]) index(ctx context.Context, tx *Tx, id string, old, new *T) error {
	var errs form.Errors
	for _, ix := range e.Indexes {
		var oldKey, newKey string
		if old != nil {
			oldKey = ix.Key(*old)
		}
		if new != nil {
			newKey = ix.Key(*new)
		}
		if oldKey == newKey && old != nil {
			continue
		}
		if ix.Unique && newKey != "" {
			ids, err := tx.st.Lookup(ctx, e.Collection, ix.Name, newKey)
			if err != nil {
				return err
			}
			if slices.ContainsFunc(ids, func(other string) bool { return other != id }) {
				msg := ix.Message
				if msg == "" {
					msg = "is already taken"
				}
				field := ix.Field
				if field == "" {
					field = ix.Name
				}
				errs.Fields = map[string]string{field: msg}
				return &errs
			}
		}
		var keys []string
		if newKey != "" {
			keys = []string{newKey}
		}
		if err := tx.st.SetIndex(ctx, e.Collection, ix.Name, id, keys); err != nil {
			return err
		}
	}
	return nil
}

// conflictWith answers a create on an existing id: 409 conflict with the
// live object, or 409 deleted with the tombstone.
func conflictWith(cur Record) *Error {
	it := itemOf(cur)
	if cur.Deleted {
		return &Error{Status: http.StatusConflict, Code: wire.CodeDeleted, Message: "id " + cur.ID + " was deleted; ids are never reused", Current: &it}
	}
	return &Error{Status: http.StatusConflict, Code: wire.CodeConflict, Message: "id " + cur.ID + " already exists", Current: &it}
}

func itemOf(rec Record) wire.Item {
	return wire.Item{ID: rec.ID, Version: rec.Version, Data: rec.Data, Deleted: rec.Deleted}
}

var errDepth = errors.New("server: cascade deeper than 16 levels")
