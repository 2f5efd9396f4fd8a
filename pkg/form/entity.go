package form

// An Entity describes one collection of T, once, for both sides: its name
// (the URL segment and the topic), the fields its creates and updates may
// set with their rules, and the rules only a server can check — unique
// keys, references to other entities, fields stamped with the time of each
// write. Declare it in a package the browser and the server both import;
// store.Collect turns it into a client collection with optimistic create,
// update and delete, server.Register into a CRUD API with the same
// validation:
//
//	var Todos = form.Define("todos",
//		form.String("listId", func(t *Todo) *string { return &t.ListID }).Required(),
//		form.String("title", func(t *Todo) *string { return &t.Title }).Required().Length(1, 200),
//		form.Bool("done", func(t *Todo) *bool { return &t.Done }),
//	).Ref("listId", Lists, form.Cascade).
//		Unique("title", form.Within("listId"), form.Folded).
//		Stamp("updatedAt")
//
// T must encode to a JSON object with a string "id" field (PROTOCOL.md: ids
// are client-generated strings). Every name an Entity mentions is a JSON
// name of T; store.Collect and server.Register refuse an entity that names
// a field T does not have.
//
// An Entity is built at start-up by Define and its methods, then only read;
// reading it is safe for concurrent use.
type Entity[T any] struct {
	name    string
	create  *Schema[T]
	update  *Schema[T]
	uniques []Unique
	refs    []Ref
	stamps  []string
	part    string // the partition field, "" for none
}

// Define returns the entity called name whose creates and updates may set
// the given fields, with their rules, and pass the given checks (Check).
// Narrow either side with CreateOnly, UpdateOnly or ReadOnly.
//
// Define panics on an invalid name and, as New, on duplicate fields:
// programming errors found at start-up.
func Define[T any](name string, parts ...Part[T]) *Entity[T] {
	if !validName(name) {
		panic("form: invalid collection name " + quote(name))
	}
	s := New(parts...)
	return &Entity[T]{name: name, create: s, update: s}
}

// validName is wire.ValidCollection (form imports nothing of ours): a URL
// segment of lower-case letters, digits, '-' and '_', starting with a letter.
func validName(s string) bool {
	if s == "" || len(s) > 64 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func quote(s string) string { return `"` + s + `"` }

// Name returns the collection's name: its URL segment and topic.
func (e *Entity[T]) Name() string { return e.name }

// Create returns the form of a create: the fields a create body may carry
// besides "id".
func (e *Entity[T]) Create() *Schema[T] { return e.create }

// Update returns the form of an update: the fields a PATCH may set. Derive
// per-mutation forms from it with Pick (a rename sets only the name). It is
// nil for a ReadOnly entity.
func (e *Entity[T]) Update() *Schema[T] { return e.update }

// CreateOnly makes the named fields settable by a create only: an update
// may not change them.
func (e *Entity[T]) CreateOnly(names ...string) *Entity[T] {
	if e.update != nil {
		e.update = e.update.Without(names...)
	}
	return e
}

// UpdateOnly makes the named fields settable by an update only: a create
// leaves them at their zero value.
func (e *Entity[T]) UpdateOnly(names ...string) *Entity[T] {
	e.create = e.create.Without(names...)
	return e
}

// ReadOnly makes the entity unchangeable after its create (no update form;
// a PATCH is refused).
func (e *Entity[T]) ReadOnly() *Entity[T] {
	e.update = nil
	return e
}

// A Unique is a server rule: no two entities share the key made of the
// Within fields and the field Field. Violations answer 422 with Message on
// Field.
type Unique struct {
	Field   string
	Within  []string
	Folded  bool // compare Field case-folded, Unicode-normalized and trimmed
	Message string
}

// A UniqueOption refines a Unique.
type UniqueOption func(*Unique)

// Within scopes a Unique: the field must be unique among entities with the
// same values of the given fields (a title unique within its list).
func Within(fields ...string) UniqueOption {
	return func(u *Unique) { u.Within = append(u.Within, fields...) }
}

// Folded compares the field as people read it: Unicode NFC, lower case,
// without surrounding white space, so "Milk", "milk " and "milk" with a
// decomposed accent are one value.
func Folded(u *Unique) { u.Folded = true }

// Says replaces a rule's message.
func Says(message string) UniqueOption { return func(u *Unique) { u.Message = message } }

// Unique adds a uniqueness rule on field (see Unique); its default message
// is "is already used".
func (e *Entity[T]) Unique(field string, opts ...UniqueOption) *Entity[T] {
	u := Unique{Field: field, Message: "is already used"}
	for _, o := range opts {
		o(&u)
	}
	e.uniques = append(e.uniques, u)
	return e
}

// Uniques returns the entity's uniqueness rules.
func (e *Entity[T]) Uniques() []Unique { return e.uniques }

// A Ref is a server rule: Field holds the id of an entity of collection To,
// which must exist when an entity is created or the field changes ("must
// name an existing …"). Deleting that entity deletes the referring ones in
// the same mutation when Cascade is set, and is refused while any refers to
// it otherwise.
type Ref struct {
	Field   string
	To      string
	Cascade bool
}

// A RefOption refines a Ref.
type RefOption func(*Ref)

// Cascade deletes the referring entities with the entity they refer to.
func Cascade(r *Ref) { r.Cascade = true }

// Named is anything with a collection name, such as an Entity.
type Named interface{ Name() string }

// Ref adds a reference rule (see Ref): field holds the id of an entity of to.
func (e *Entity[T]) Ref(field string, to Named, opts ...RefOption) *Entity[T] {
	r := Ref{Field: field, To: to.Name()}
	for _, o := range opts {
		o(&r)
	}
	e.refs = append(e.refs, r)
	return e
}

// Refs returns the entity's reference rules.
func (e *Entity[T]) Refs() []Ref { return e.refs }

// Stamp makes the server set the named time field (a time.Time) to the time
// of every create and update, such as "updatedAt". A stamped field is set by
// the server only: it belongs to no form.
func (e *Entity[T]) Stamp(field string) *Entity[T] {
	e.stamps = append(e.stamps, field)
	return e
}

// Stamps returns the fields the server stamps.
func (e *Entity[T]) Stamps() []string { return e.stamps }

// Partition scopes the entity's sync by the value of field, its partition
// key: a board's todos by "listId", a tenant's records by "tenant", a
// user's by "owner", or an entity by its own "id". Each key is a partition
// with a topic of its own ("<key>/<name>"), with its own seq, cursor,
// epoch history and retention, so a client follows only the partitions it
// opens (store.Collection.Open) and resumes each from its own cursor, and
// one write costs only the subscribers of its partition.
//
// The server authorizes reads and writes per partition: its Authorize
// hook sees the key in server.Request.Partition, a subscription to a
// partition it refuses is refused, and a write into one is 403. An update
// that changes the field moves the entity: a delete in the old partition
// and a create in the new one, each to its own subscribers.
//
// field must be a string field that creates set ("id", or a field of the
// create form); a create without a key is refused. The key is a valid
// entity id (PROTOCOL.md §1), so that a topic is "<key>/<name>".
func (e *Entity[T]) Partition(field string) *Entity[T] {
	e.part = field
	return e
}

// PartitionField returns the field Partition declared, or "" for an entity
// synced whole.
func (e *Entity[T]) PartitionField() string { return e.part }

// Names returns every JSON name the entity mentions — form fields, rule
// fields and stamps — once each, for registration to check against T.
func (e *Entity[T]) Names() []string {
	seen := map[string]bool{}
	var out []string
	add := func(names ...string) {
		for _, n := range names {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	add(e.create.Names()...)
	if e.update != nil {
		add(e.update.Names()...)
	}
	for _, u := range e.uniques {
		add(u.Field)
		add(u.Within...)
	}
	for _, r := range e.refs {
		add(r.Field)
	}
	add(e.stamps...)
	if e.part != "" {
		add(e.part)
	}
	return out
}

// Addr returns the field called name inside v, as the forms' getters point
// to it, or nil when no form has that field (a stamp, a field no form sets).
func (e *Entity[T]) Addr(v *T, name string) any {
	if p := e.create.Addr(v, name); p != nil {
		return p
	}
	if e.update != nil {
		return e.update.Addr(v, name)
	}
	return nil
}
