package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

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

// A Request describes a REST request, or a subscription (OpList), to an
// Authorize hook. ID is "" for OpList; for OpCreate it is the id from the
// body (Authorize runs once, after the body parsed).
//
// Partition is the partition key the request reads or writes in a
// partitioned collection (form.Entity.Partition), "" in a collection synced
// whole: the partition listed or subscribed to (OpList), the one the entity
// is in (OpGet, OpUpdate, OpDelete: as stored), the one a create puts it in
// (OpCreate). An update that moves the entity to another partition is
// authorized twice, as OpUpdate in each: both must allow it.
type Request struct {
	Op         Op
	Collection string
	ID         string
	Partition  string
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

// Hooks are what a declaration cannot say about an entity's API:
// authorization, and code that runs inside the write transaction. Every
// field is optional; Register(s, e) alone serves e with the rules e
// declares.
type Hooks[T any] struct {
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
	// Authorize allows OpList of the collection, or of the topic's
	// partition (AuthorizeTopic is derived).
	//
	// It runs outside the write transaction: a hook that reads the store
	// (who owns this partition?) uses Server.Read.
	Authorize func(ctx context.Context, r Request) error
	// AuthorizeTopic, if set, runs on every sub of the topic (a partition's
	// topic is "key/collection": wire.SplitTopic); an error refuses the
	// subscription with an error message: a sentinel or an *Error as for
	// Authorize, anything else as code unavailable with a fixed message (the
	// error is logged). It runs again for the live subscriptions of a topic
	// when a mutation declares that who may read it changed
	// (Tx.Reauthorize); a refusal then ends the subscription with code
	// revoked.
	//
	// Set alone, it also decides the REST reads of the collection: OpList
	// and OpGet (and so the current entity of a 409) are allowed when
	// AuthorizeTopic allows the topic; writes stay as open as they are
	// without Authorize.
	AuthorizeTopic func(ctx context.Context, topic string) error
	// BeforeWrite, if set, runs inside the write transaction after the form
	// validated a create or update, the references were checked and the
	// stamps set, and may change w.New. A *form.Errors answers 422 invalid,
	// an *Error or a sentinel its own status; any other error (a business
	// rule) and a panic answer 422 rejected. All of these are recorded: the
	// same mutation would fail the same way again. An error from the Tx's
	// store reads, however wrapped, answers 500 and is not recorded; so does
	// an *Error with a 5xx status, for a hook's own transient failure.
	BeforeWrite func(ctx context.Context, tx *Tx, w Write[T]) error
	// BeforeDelete, if set, runs inside the write transaction before an
	// entity is deleted (after the cascades its references declare). Its
	// errors are answered like BeforeWrite's.
	BeforeDelete func(ctx context.Context, tx *Tx, old T) error
	// Indexes are maintained on every write, besides those the entity's
	// Unique and Ref rules declare.
	Indexes []Index[T]
}

// Register serves the entity e on s: its create, update and delete, with
// e's forms and rules, and its topic. Call it before Handler: once the
// server serves, Register fails. It fails, naming the field, when e names
// a field T does not encode in JSON, or when a form field's getter points
// to another struct field than its name; and when T has no string "id".
//
// In one store transaction it creates the collection's topic log (and its
// epoch) on first start and brings the stored indexes up to date (see
// Index); it fails if a unique rule does not hold for the stored entities.
//
// The rules e declares are kept in every write:
//   - a Unique answers 422 with its message when another entity has the
//     same key; a Folded key is Unicode NFC, lower case and trimmed;
//   - a Ref answers 422 "must name an existing …" when the field does not
//     name a live entity of its collection (checked on create, and on an
//     update that changes it); deleting that entity deletes the referring
//     ones in the same mutation with Cascade, and is refused with 422 while
//     any refers to it without;
//   - a Stamp sets the field to the commit time on every create and update.
//
// hooks adds what a declaration cannot say; pass at most one.
func Register[T any](s *Server, e *form.Entity[T], hooks ...Hooks[T]) error {
	if e == nil {
		return fmt.Errorf("server: Register of a nil entity")
	}
	if len(hooks) > 1 {
		return fmt.Errorf("server: entity %q: pass at most one Hooks", e.Name())
	}
	var h Hooks[T]
	if len(hooks) == 1 {
		h = hooks[0]
	}
	layout, err := wire.LayoutOf[T]()
	if err != nil {
		return fmt.Errorf("server: entity %q: %w", e.Name(), err)
	}
	if err := layout.Check(e.Names(), e.Addr); err != nil {
		return fmt.Errorf("server: entity %q: %w", e.Name(), err)
	}
	if e.Create().Has("id") || (e.Update() != nil && e.Update().Has("id")) {
		return fmt.Errorf("server: entity %q: forms must not declare the id field", e.Name())
	}
	for _, name := range e.Stamps() {
		if layout.Type(name) != reflect.TypeFor[time.Time]() {
			return fmt.Errorf("server: entity %q: stamp %q must be a time.Time", e.Name(), name)
		}
		if e.Addr(new(T), name) != nil {
			return fmt.Errorf("server: entity %q: stamp %q is set by the server and belongs to no form", e.Name(), name)
		}
	}
	if part := e.PartitionField(); part != "" {
		if layout.Type(part) != reflect.TypeFor[string]() {
			return fmt.Errorf("server: entity %q: partition field %q must be a string", e.Name(), part)
		}
		if part != "id" && !e.Create().Has(part) {
			return fmt.Errorf("server: entity %q: partition field %q must be set by creates: add it to the create form", e.Name(), part)
		}
	}
	for _, r := range e.Refs() {
		if !wire.ValidCollection(r.To) {
			return fmt.Errorf("server: entity %q: ref %q to the invalid collection %q", e.Name(), r.Field, r.To)
		}
		h.Indexes = append(h.Indexes, Index[T]{Name: refIndex(r.Field), Key: keyOf(layout, []string{r.Field}, false)})
	}
	for _, u := range e.Uniques() {
		fields := append(slices.Clone(u.Within), u.Field)
		h.Indexes = append(h.Indexes, Index[T]{Name: uniqueIndex(fields, u.Folded), Unique: true, Field: u.Field,
			Message: u.Message, Key: keyOf(layout, fields, u.Folded)})
	}
	names := make(map[string]bool)
	for _, ix := range h.Indexes {
		if ix.Name == "" || ix.Key == nil {
			return fmt.Errorf("server: entity %q: an index needs Name and Key", e.Name())
		}
		if names[ix.Name] {
			return fmt.Errorf("server: entity %q: index %q declared twice", e.Name(), ix.Name)
		}
		names[ix.Name] = true
	}
	completeAuthorization(&h)
	en := &entity[T]{name: e.Name(), layout: layout, createForm: e.Create(), updateForm: e.Update(),
		Hooks: h, refs: e.Refs(), stamps: e.Stamps(), part: e.PartitionField()}
	if err := s.addEntity(en); err != nil {
		return err
	}
	s.addRefs(en.name, en.refs)
	return nil
}

// refIndex names the index a Ref keeps on its field.
func refIndex(field string) string { return "ref:" + field }

// uniqueIndex names the index of a Unique rule after its definition, so
// that a changed definition is a new index, rebuilt at Register.
func uniqueIndex(fields []string, folded bool) string {
	name := "unique:" + strings.Join(fields, "+")
	if folded {
		name += ":folded"
	}
	return name
}

// keyOf returns the index key function over the named fields of T: their
// values joined by NUL, the last one folded if asked (see Fold).
func keyOf[T any](l *wire.Layout[T], fields []string, folded bool) func(T) string {
	return func(v T) string {
		var b strings.Builder
		for i, f := range fields {
			if i > 0 {
				b.WriteByte(0)
			}
			s := fieldString(l.Field(&v, f))
			if folded && i == len(fields)-1 {
				s = Fold(s)
			}
			b.WriteString(s)
		}
		return b.String()
	}
}

// fieldString formats a field value for an index key.
func fieldString(p any) string {
	if s, ok := p.(*string); ok {
		return *s
	}
	return fmt.Sprint(reflect.ValueOf(p).Elem().Interface())
}

// Fold is how a Folded unique rule compares text: Unicode NFC, lower case,
// without surrounding white space, so that "Milk", "milk " and "milk" typed
// with a combining accent are one value.
func Fold(s string) string {
	return norm.NFC.String(strings.ToLower(norm.NFC.String(strings.TrimSpace(s))))
}

// completeAuthorization derives the missing half of an Authorize and
// AuthorizeTopic pair from the half that is set, so that REST and the
// stream never disagree on who may read a collection or a partition.
func completeAuthorization[T any](e *Hooks[T]) {
	switch {
	case e.Authorize != nil && e.AuthorizeTopic == nil:
		authorize := e.Authorize
		e.AuthorizeTopic = func(ctx context.Context, topic string) error {
			key, coll := wire.SplitTopic(topic)
			return authorize(ctx, Request{Op: OpList, Collection: coll, Partition: key})
		}
	case e.AuthorizeTopic != nil && e.Authorize == nil:
		authorizeTopic := e.AuthorizeTopic
		e.Authorize = func(ctx context.Context, r Request) error {
			if r.Op == OpList || r.Op == OpGet {
				topic := r.Collection
				if r.Partition != "" {
					topic = wire.PartitionTopic(r.Partition, r.Collection)
				}
				return authorizeTopic(ctx, topic)
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
	// checksTopics reports whether an AuthorizeTopic hook decides who may
	// subscribe (without one, everyone may, and no subscription is ever
	// checked again).
	checksTopics() bool
	updatable() bool
	// partition returns the partition field, "" for a collection synced
	// whole; createPartition the partition a parsed create puts its entity
	// in, and patchPartition the one a parsed PATCH moves it to ("" if it
	// sets no partition).
	partition() string
	createPartition(v any) string
	patchPartition(patch map[string]json.RawMessage) string
	// parseCreate and parsePatch check a body before the transaction.
	parseCreate(body []byte) (id string, v any, err error)
	parsePatch(body []byte) (patch map[string]json.RawMessage, keys []string, err error)
	// create, update and remove run inside the transaction and write.
	create(tx *Tx, id string, v any) (w written, data []byte, err error)
	update(tx *Tx, cur Record, patch map[string]json.RawMessage, keys []string) (w written, data []byte, err error)
	remove(tx *Tx, cur Record) (w written, err error)
	// syncIndexes rebuilds the indexes whose signature changed, at Register.
	syncIndexes(ctx context.Context, st WriteTx) error
}

// entity is a registered entity: its declaration, resolved against T's
// JSON layout, and its hooks.
type entity[T any] struct {
	Hooks[T]
	name                   string
	layout                 *wire.Layout[T]
	createForm, updateForm *form.Schema[T]
	refs                   []form.Ref
	stamps                 []string
	part                   string // the partition field, "" for none
}

func (e *entity[T]) collection() string { return e.name }
func (e *entity[T]) updatable() bool    { return e.updateForm != nil }
func (e *entity[T]) checksTopics() bool { return e.AuthorizeTopic != nil }
func (e *entity[T]) partition() string  { return e.part }

// partitionOf returns the partition key of v.
func (e *entity[T]) partitionOf(v *T) string {
	if e.part == "" {
		return ""
	}
	return *e.layout.Field(v, e.part).(*string)
}

func (e *entity[T]) createPartition(v any) string {
	t := v.(T)
	return e.partitionOf(&t)
}

func (e *entity[T]) patchPartition(patch map[string]json.RawMessage) string {
	raw, ok := patch[e.part]
	if e.part == "" || !ok {
		return ""
	}
	var key string
	if json.Unmarshal(raw, &key) != nil {
		return ""
	}
	return key
}

// checkPartition refuses a partition key that is not an id, naming the
// field: a topic is "key/collection".
func (e *entity[T]) checkPartition(v *T) error {
	if e.part == "" || e.part == "id" {
		return nil
	}
	switch key := e.partitionOf(v); {
	case key == "":
		return form.Invalid(e.part, "is required")
	case !wire.ValidID(key):
		return form.Invalid(e.part, fmt.Sprintf("must be 1 to %d of the characters A-Z a-z 0-9 - . _ ~", wire.MaxIDLen))
	}
	return nil
}

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
		if k != "id" && !e.createForm.Has(k) {
			return "", nil, errBadRequest("unknown field %s", quoteField(k))
		}
	}
	v, err := decodeStrict[T](body)
	if err != nil {
		return "", nil, err
	}
	id := *e.layout.ID(&v)
	if id == "" {
		return "", nil, errBadRequest("field \"id\" is required: creates carry a client-generated id")
	}
	if !wire.ValidID(id) {
		return "", nil, errBadRequest("field \"id\" must be 1 to %d of the characters A-Z a-z 0-9 - . _ ~", wire.MaxIDLen)
	}
	if err := e.createForm.Validate(v); err != nil {
		return "", nil, err
	}
	if err := e.checkPartition(&v); err != nil {
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
		case !e.updateForm.Has(k):
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

func (e *entity[T]) create(tx *Tx, id string, val any) (written, []byte, error) {
	cur, found, err := tx.st.Get(tx.ctx, e.name, id)
	if err != nil {
		return written{}, nil, err
	}
	if found {
		return written{}, nil, conflictWith(cur)
	}
	v := val.(T)
	if err := e.declared(tx, nil, &v); err != nil {
		return written{}, nil, err
	}
	if e.BeforeWrite != nil {
		if err := e.BeforeWrite(tx.ctx, tx, Write[T]{Op: OpCreate, New: &v}); err != nil {
			return written{}, nil, err
		}
	}
	*e.layout.ID(&v) = id
	if err := e.checkPartition(&v); err != nil {
		return written{}, nil, err
	}
	data, err := json.Marshal(v)
	if err != nil {
		return written{}, nil, fmt.Errorf("server: encode %s/%s: %w", e.name, id, err)
	}
	if err := e.index(tx, id, nil, &v); err != nil {
		return written{}, nil, err
	}
	w, err := tx.write(e.name, id, wire.OpCreate, data, e.part != "", "", e.partitionOf(&v))
	return w, data, err
}

func (e *entity[T]) update(tx *Tx, cur Record, patch map[string]json.RawMessage, keys []string) (written, []byte, error) {
	old, err := e.decodeRecord(cur)
	if err != nil {
		return written{}, nil, err
	}
	// Field-level merge at the JSON level: a present field replaces the
	// stored value whole (a nested object is not merged into).
	var m map[string]json.RawMessage
	if err := json.Unmarshal(cur.Data, &m); err != nil {
		return written{}, nil, fmt.Errorf("server: stored %s/%s is not an object: %w", cur.Collection, cur.ID, err)
	}
	for k, v := range patch {
		m[k] = v
	}
	merged, err := json.Marshal(m)
	if err != nil {
		return written{}, nil, err
	}
	var v T
	if err := json.Unmarshal(merged, &v); err != nil {
		return written{}, nil, jsonFieldError(err)
	}
	if err := e.updateForm.ValidateFields(v, keys...); err != nil {
		return written{}, nil, err
	}
	if err := e.declared(tx, &old, &v); err != nil {
		return written{}, nil, err
	}
	if e.BeforeWrite != nil {
		if err := e.BeforeWrite(tx.ctx, tx, Write[T]{Op: OpUpdate, Old: &old, New: &v, Changed: keys}); err != nil {
			return written{}, nil, err
		}
	}
	*e.layout.ID(&v) = cur.ID
	if err := e.checkPartition(&v); err != nil {
		return written{}, nil, err
	}
	data, err := json.Marshal(v)
	if err != nil {
		return written{}, nil, fmt.Errorf("server: encode %s/%s: %w", e.name, cur.ID, err)
	}
	if err := e.index(tx, cur.ID, &old, &v); err != nil {
		return written{}, nil, err
	}
	w, err := tx.write(e.name, cur.ID, wire.OpUpdate, data, e.part != "", cur.Partition, e.partitionOf(&v))
	return w, data, err
}

func (e *entity[T]) remove(tx *Tx, cur Record) (written, error) {
	old, err := e.decodeRecord(cur)
	if err != nil {
		return written{}, err
	}
	tx.startDelete(e.name, cur.ID)
	if err := tx.s.deleteReferrers(tx, e.name, cur.ID); err != nil {
		return written{}, err
	}
	if e.BeforeDelete != nil {
		if err := e.BeforeDelete(tx.ctx, tx, old); err != nil {
			return written{}, err
		}
	}
	if err := e.index(tx, cur.ID, &old, nil); err != nil {
		return written{}, err
	}
	return tx.write(e.name, cur.ID, wire.OpDelete, nil, e.part != "", cur.Partition, "")
}

// declared applies the entity's declared rules to a write from old (nil on
// create) to new: each Ref whose field is set (and changed) must name a live
// entity, and the stamps take the commit time.
func (e *entity[T]) declared(tx *Tx, old, new *T) error {
	for _, r := range e.refs {
		id := fieldString(e.layout.Field(new, r.Field))
		if id == "" || old != nil && fieldString(e.layout.Field(old, r.Field)) == id {
			continue
		}
		if _, ok, err := tx.Get(r.To, id); err != nil {
			return err
		} else if !ok {
			return form.Invalid(r.Field, "must name an existing "+singular(r.To))
		}
	}
	for _, name := range e.stamps {
		*e.layout.Field(new, name).(*time.Time) = tx.Now().UTC()
	}
	return nil
}

// singular names one entity of a collection in messages: "lists" → "list".
func singular(collection string) string {
	switch {
	case strings.HasSuffix(collection, "ies"):
		return strings.TrimSuffix(collection, "ies") + "y"
	case strings.HasSuffix(collection, "s"):
		return strings.TrimSuffix(collection, "s")
	}
	return collection
}

// A referrer is a Ref of another collection to a collection.
type referrer struct {
	collection string
	form.Ref
}

// addRefs records the Refs of collection coll, so that deleting what they
// refer to cascades or is refused.
func (s *Server) addRefs(coll string, refs []form.Ref) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range refs {
		s.referrers[r.To] = append(s.referrers[r.To], referrer{collection: coll, Ref: r})
	}
}

// deleteReferrers deletes, in tx, the entities whose cascading Refs name
// collection/id, and refuses the delete while a Ref without Cascade does.
func (s *Server) deleteReferrers(tx *Tx, collection, id string) error {
	s.mu.Lock()
	refs := s.referrers[collection]
	s.mu.Unlock()
	for _, r := range refs {
		ids, err := tx.Lookup(r.collection, refIndex(r.Field), id)
		if err != nil {
			return err
		}
		if !r.Cascade {
			if len(ids) > 0 {
				return fmt.Errorf("this %s is still used by %d of the %s", singular(collection), len(ids), r.collection)
			}
			continue
		}
		for _, child := range ids {
			if err := tx.Delete(r.collection, child); err != nil {
				return err
			}
		}
	}
	return nil
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
			ids, err := tx.st.Lookup(tx.ctx, e.name, ix.Name, newKey)
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
		if err := tx.st.SetIndex(tx.ctx, e.name, ix.Name, id, keys); err != nil {
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
		return &Error{Status: http.StatusConflict, Code: wire.CodeDeleted, Message: "id " + cur.ID + " was deleted; ids are never reused", Current: &it, readers: true, partition: cur.Partition}
	}
	return &Error{Status: http.StatusConflict, Code: wire.CodeConflict, Message: "id " + cur.ID + " already exists", Current: &it, readers: true, partition: cur.Partition}
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
	stored, err := st.IndexSignatures(ctx, e.name)
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
			if err := st.ResetIndex(ctx, e.name, name, ""); err != nil {
				return err
			}
		}
	}
	if len(stale) == 0 {
		return nil
	}
	for _, ix := range stale {
		if err := st.ResetIndex(ctx, e.name, ix.Name, ix.signature()); err != nil {
			return err
		}
	}
	owners := make([]map[string]string, len(stale)) // unique indexes: key -> id
	after := ""
	for {
		recs, err := st.List(ctx, e.name, after, 1000, false)
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
						return fmt.Errorf("server: unique index %q of %q does not hold: %s and %s have the same key %q", ix.Name, e.name, other, rec.ID, key)
					}
					owners[i][key] = rec.ID
				}
				if err := st.SetIndex(ctx, e.name, ix.Name, rec.ID, []string{key}); err != nil {
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
