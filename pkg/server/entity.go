package server

import (
	"bytes"
	"context"
	"encoding/json"
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
// OpList; for OpCreate it is the id from the body (Authorize runs once, after
// the body parsed).
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
//
// Register builds an index over the entities already stored when the index
// is new (by Name) or its Unique flag changed, and forgets the keys of
// indexes no longer declared. The server cannot see a change of Key: give
// an index with a new Key a new Name.
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
	// Authorize, if set, runs once on every REST request to the collection
	// after authentication (for a create, after the body parsed). Return
	// ErrForbidden (403), ErrUnauthorized (401), ErrNotFound (404) or an
	// *Error to refuse: a refused mutation is recorded as processed, except
	// 401. A sentinel answers with a fixed message ("forbidden"), an *Error
	// with its own. Any other error is taken as a transient failure of the
	// check itself: 503 with a fixed message, not recorded, and the client
	// retries; the error is logged, never sent.
	//
	// It runs once more, as OpGet of the entity, when a mutation is
	// refused with 409 (conflict, deleted): the answer carries the current
	// entity only if the caller may read it.
	//
	// Set alone, it also decides subscriptions: a sub is allowed when
	// Authorize allows OpList of the collection (AuthorizeTopic is derived).
	Authorize func(ctx context.Context, r Request) error
	// AuthorizeTopic, if set, runs on every sub of the topic; an error
	// refuses the subscription with an error message: a sentinel or an
	// *Error as for Authorize, anything else as code unavailable with a
	// fixed message (the error is logged).
	//
	// Set alone, it also decides the REST reads of the collection: OpList
	// and OpGet (and so the current entity of a 409) are allowed when
	// AuthorizeTopic allows the topic; writes stay as open as they are
	// without Authorize.
	AuthorizeTopic func(ctx context.Context, topic string) error
	// BeforeWrite, if set, runs inside the write transaction after the form
	// validated a create or update and may change w.New. A *form.Errors
	// answers 422 invalid, an *Error or a sentinel its own status; any other
	// error (a business rule) and a panic answer 422 rejected. All of these
	// are recorded: the same mutation would fail the same way again. An
	// error from the Tx's store reads, however wrapped, answers 500 and is
	// not recorded; so does an *Error with a 5xx status, for a hook's own
	// transient failure.
	BeforeWrite func(ctx context.Context, tx *Tx, w Write[T]) error
	// BeforeDelete, if set, runs inside the write transaction before an
	// entity is deleted, e.g. to delete dependants with tx.Delete. Its
	// errors are answered like BeforeWrite's.
	BeforeDelete func(ctx context.Context, tx *Tx, old T) error
	// Indexes are maintained on every write.
	Indexes []Index[T]
}

// Register adds an entity type to s. Call it before Handler: once the server
// serves, Register fails. In one store transaction it creates the
// collection's topic log (and its epoch) on first start and brings the
// stored indexes up to date with e.Indexes (see Index); it fails if a Unique
// index does not hold for the stored entities.
func Register[T any](s *Server, e Entity[T]) error {
	if e.ID == nil || e.Create == nil {
		return fmt.Errorf("server: entity %q needs ID and Create", e.Collection)
	}
	if e.Create.Has("id") || (e.Update != nil && e.Update.Has("id")) {
		return fmt.Errorf("server: entity %q: forms must not declare the id field", e.Collection)
	}
	names := make(map[string]bool)
	for _, ix := range e.Indexes {
		if ix.Name == "" || ix.Key == nil {
			return fmt.Errorf("server: entity %q: an index needs Name and Key", e.Collection)
		}
		if names[ix.Name] {
			return fmt.Errorf("server: entity %q: index %q declared twice", e.Collection, ix.Name)
		}
		names[ix.Name] = true
	}
	completeAuthorization(&e)
	return s.addEntity(&entity[T]{Entity: e})
}

// completeAuthorization derives the missing half of an Authorize and
// AuthorizeTopic pair from the half that is set, so that REST and the
// stream never disagree on who may read a collection.
func completeAuthorization[T any](e *Entity[T]) {
	switch {
	case e.Authorize != nil && e.AuthorizeTopic == nil:
		authorize := e.Authorize
		e.AuthorizeTopic = func(ctx context.Context, topic string) error {
			return authorize(ctx, Request{Op: OpList, Collection: topic})
		}
	case e.AuthorizeTopic != nil && e.Authorize == nil:
		authorizeTopic := e.AuthorizeTopic
		e.Authorize = func(ctx context.Context, r Request) error {
			if r.Op == OpList || r.Op == OpGet {
				return authorizeTopic(ctx, r.Collection)
			}
			return nil
		}
	}
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
	create(tx *Tx, id string, v any) (seq uint64, data []byte, err error)
	update(tx *Tx, cur Record, patch map[string]json.RawMessage, keys []string) (seq uint64, data []byte, err error)
	remove(tx *Tx, cur Record) (seq uint64, err error)
	// syncIndexes rebuilds the indexes whose signature changed, at Register.
	syncIndexes(ctx context.Context, st WriteTx) error
}

type entity[T any] struct{ Entity[T] }

func (e *entity[T]) collection() string { return e.Collection }
func (e *entity[T]) updatable() bool    { return e.Update != nil }

func (e *entity[T]) authorize(ctx context.Context, r Request) error {
	if e.Authorize == nil {
		return nil
	}
	if err := e.Authorize(ctx, r); err != nil {
		return authorizeError(err)
	}
	return nil
}

func (e *entity[T]) authorizeTopic(ctx context.Context, topic string) error {
	if e.AuthorizeTopic == nil {
		return nil
	}
	return e.AuthorizeTopic(ctx, topic)
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
			return "", nil, errBadRequest("unknown field %s", quoteField(k))
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
			return nil, nil, errBadRequest("unknown field %s", quoteField(k))
		case string(bytes.TrimSpace(raw)) == "null":
			return nil, nil, errBadRequest("field %s is null: omit a field to leave it unchanged", quoteField(k))
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

func (e *entity[T]) create(tx *Tx, id string, val any) (uint64, []byte, error) {
	cur, found, err := tx.st.Get(tx.ctx, e.Collection, id)
	if err != nil {
		return 0, nil, err
	}
	if found {
		return 0, nil, conflictWith(cur)
	}
	v := val.(T)
	if e.BeforeWrite != nil {
		if err := e.BeforeWrite(tx.ctx, tx, Write[T]{Op: OpCreate, New: &v}); err != nil {
			return 0, nil, err
		}
	}
	*e.ID(&v) = id
	data, err := json.Marshal(v)
	if err != nil {
		return 0, nil, fmt.Errorf("server: encode %s/%s: %w", e.Collection, id, err)
	}
	if err := e.index(tx, id, nil, &v); err != nil {
		return 0, nil, err
	}
	seq, err := tx.write(e.Collection, id, wire.OpCreate, data)
	return seq, data, err
}

func (e *entity[T]) update(tx *Tx, cur Record, patch map[string]json.RawMessage, keys []string) (uint64, []byte, error) {
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
		if err := e.BeforeWrite(tx.ctx, tx, Write[T]{Op: OpUpdate, Old: &old, New: &v, Changed: keys}); err != nil {
			return 0, nil, err
		}
	}
	*e.ID(&v) = cur.ID
	data, err := json.Marshal(v)
	if err != nil {
		return 0, nil, fmt.Errorf("server: encode %s/%s: %w", e.Collection, cur.ID, err)
	}
	if err := e.index(tx, cur.ID, &old, &v); err != nil {
		return 0, nil, err
	}
	seq, err := tx.write(e.Collection, cur.ID, wire.OpUpdate, data)
	return seq, data, err
}

func (e *entity[T]) remove(tx *Tx, cur Record) (uint64, error) {
	old, err := e.decodeRecord(cur)
	if err != nil {
		return 0, err
	}
	tx.startDelete(e.Collection, cur.ID)
	if e.BeforeDelete != nil {
		if err := e.BeforeDelete(tx.ctx, tx, old); err != nil {
			return 0, err
		}
	}
	if err := e.index(tx, cur.ID, &old, nil); err != nil {
		return 0, err
	}
	return tx.write(e.Collection, cur.ID, wire.OpDelete, nil)
}

// index updates every index for a change from old to new (nil for none),
// refusing a unique key another entity holds.
func (e *entity[T]) index(tx *Tx, id string, old, new *T) error {
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
			ids, err := tx.st.Lookup(tx.ctx, e.Collection, ix.Name, newKey)
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
		if err := tx.st.SetIndex(tx.ctx, e.Collection, ix.Name, id, keys); err != nil {
			return err
		}
	}
	return nil
}

// conflictWith answers a create on an existing id: 409 conflict with the
// live object, or 409 deleted with the tombstone; Current only for a caller
// that may read it.
func conflictWith(cur Record) *Error {
	it := itemOf(cur)
	if cur.Deleted {
		return &Error{Status: http.StatusConflict, Code: wire.CodeDeleted, Message: "id " + cur.ID + " was deleted; ids are never reused", Current: &it, readers: true}
	}
	return &Error{Status: http.StatusConflict, Code: wire.CodeConflict, Message: "id " + cur.ID + " already exists", Current: &it, readers: true}
}

func itemOf(rec Record) wire.Item {
	return wire.Item{ID: rec.ID, Version: rec.Version, Data: rec.Data, Deleted: rec.Deleted}
}

var errDepth = fmt.Errorf("server: cascade deeper than %d levels", maxDepth)

// signature is what Register compares to decide whether an index must be
// rebuilt: everything about an index that changes its stored keys, except
// Key, which cannot be compared.
func (ix Index[T]) signature() string {
	return fmt.Sprintf("v1 unique=%t", ix.Unique)
}

// syncIndexes rebuilds, from the stored live entities, every index that is
// new or whose signature changed, and forgets the keys of indexes no longer
// declared. A Unique index that existing entities violate fails the
// registration.
func (e *entity[T]) syncIndexes(ctx context.Context, st WriteTx) error {
	stored, err := st.IndexSignatures(ctx, e.Collection)
	if err != nil {
		return err
	}
	declared := make(map[string]bool)
	var stale []Index[T]
	for _, ix := range e.Indexes {
		declared[ix.Name] = true
		if sig, ok := stored[ix.Name]; !ok || sig != ix.signature() {
			stale = append(stale, ix)
		}
	}
	for name := range stored {
		if !declared[name] {
			if err := st.ResetIndex(ctx, e.Collection, name, ""); err != nil {
				return err
			}
		}
	}
	if len(stale) == 0 {
		return nil
	}
	for _, ix := range stale {
		if err := st.ResetIndex(ctx, e.Collection, ix.Name, ix.signature()); err != nil {
			return err
		}
	}
	owners := make([]map[string]string, len(stale)) // unique indexes: key -> id
	after := ""
	for {
		recs, err := st.List(ctx, e.Collection, after, 1000, false)
		if err != nil {
			return err
		}
		for _, rec := range recs {
			v, err := e.decodeRecord(rec)
			if err != nil {
				return err
			}
			for i, ix := range stale {
				key := ix.Key(v)
				if key == "" {
					continue
				}
				if ix.Unique {
					if owners[i] == nil {
						owners[i] = make(map[string]string)
					}
					if other, dup := owners[i][key]; dup {
						return fmt.Errorf("server: unique index %q of %q does not hold: %s and %s have the same key %q", ix.Name, e.Collection, other, rec.ID, key)
					}
					owners[i][key] = rec.ID
				}
				if err := st.SetIndex(ctx, e.Collection, ix.Name, rec.ID, []string{key}); err != nil {
					return err
				}
			}
		}
		if len(recs) < 1000 {
			return nil
		}
		after = recs[len(recs)-1].ID
	}
}
