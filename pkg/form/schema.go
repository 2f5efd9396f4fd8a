package form

// A Schema validates values of type T: an ordered list of fields, each with
// rules, plus cross-field checks. Build one with New; a Schema is immutable
// and safe for concurrent use.
type Schema[T any] struct {
	fields []field[T]
	index  map[string]int
	checks []func(T) error
}

// A Part is a field (String, Int, Float, Num, Bool, Value) or a Check given
// to New.
type Part[T any] interface {
	addTo(s *Schema[T])
}

// field is the untyped view of a field builder.
type field[T any] interface {
	Part[T]
	fieldName() string
	check(v *T) string // "" when valid
	addr(v *T) any     // the field inside v: what the getter returns
	copy(dst, src *T)  // sets dst's field to src's
	// frozen returns a copy of the field with its own copy of the rules, so
	// that a builder used again after New cannot change the schema.
	frozen() field[T]
}

// New returns a schema of the given fields and checks, in order. Field names
// are the JSON names of the fields. The schema keeps a copy of each field's
// rules: calling Required or Msg on a builder after New changes only schemas
// built from it later.
//
// New panics if two fields share a name or a name is empty: that is a
// programming error found at start-up, never at run time with user input.
func New[T any](parts ...Part[T]) *Schema[T] {
	s := &Schema[T]{index: make(map[string]int)}
	for _, p := range parts {
		p.addTo(s)
	}
	return s
}

func (s *Schema[T]) addField(f field[T]) {
	name := f.fieldName()
	if name == "" {
		panic("form: a field has an empty name")
	}
	if _, dup := s.index[name]; dup {
		panic("form: duplicate field " + name)
	}
	s.index[name] = len(s.fields)
	s.fields = append(s.fields, f.frozen())
}

type checkPart[T any] func(T) error

func (c checkPart[T]) addTo(s *Schema[T]) { s.checks = append(s.checks, c) }

// Check adds a cross-field rule. fn returns nil when v is valid; an *Errors
// (see Invalid) to blame fields; or any other error, reported under FormKey.
// Checks run after the field rules, on every Validate, ValidateFields and
// ValidateField, and never replace a field's own message.
func Check[T any](fn func(v T) error) Part[T] { return checkPart[T](fn) }

// Names returns the field names in declaration order.
func (s *Schema[T]) Names() []string {
	out := make([]string, len(s.fields))
	for i, f := range s.fields {
		out[i] = f.fieldName()
	}
	return out
}

// Has reports whether the schema has a field called name.
func (s *Schema[T]) Has(name string) bool {
	_, ok := s.index[name]
	return ok
}

// Pick returns a schema with only the named fields, in the given order, and
// every check of s. Use it to derive a per-mutation form, e.g. RenameTodo
// from the entity's update form: the browser then runs exactly what the
// server runs for that mutation — the fields it sets, then every check on
// the whole value (for a patch, the visible entity with the change applied,
// as the server merges it). It panics on a name the schema does not have.
func (s *Schema[T]) Pick(names ...string) *Schema[T] {
	out := &Schema[T]{index: make(map[string]int), checks: s.checks}
	for _, n := range names {
		i, ok := s.index[n]
		if !ok {
			panic("form: Pick of unknown field " + n)
		}
		out.addField(s.fields[i])
	}
	return out
}

// Without returns s without the named fields, keeping its checks. It panics
// on a name the schema does not have.
func (s *Schema[T]) Without(names ...string) *Schema[T] {
	drop := make(map[string]bool, len(names))
	for _, n := range names {
		if !s.Has(n) {
			panic("form: Without of unknown field " + n)
		}
		drop[n] = true
	}
	keep := make([]string, 0, len(s.fields))
	for _, f := range s.fields {
		if !drop[f.fieldName()] {
			keep = append(keep, f.fieldName())
		}
	}
	return s.Pick(keep...)
}

// Addr returns the field called name inside v — the pointer its getter
// returns, as an any (a *string for a String field) — or nil when the schema
// has no such field. Registration uses it to check that every field's JSON
// name is the name of the struct field its getter points to.
func (s *Schema[T]) Addr(v *T, name string) any {
	if i, ok := s.index[name]; ok {
		return s.fields[i].addr(v)
	}
	return nil
}

// Copy sets every field of the schema in dst to its value in src: a patch
// of the fields a mutation's form sets, over the entity it changes.
func (s *Schema[T]) Copy(dst *T, src T) {
	for _, f := range s.fields {
		f.copy(dst, &src)
	}
}

// Validate checks every field and then every check. It returns nil or an
// *Errors with the first failing message of each invalid field.
func (s *Schema[T]) Validate(v T) error {
	var errs Errors
	for _, f := range s.fields {
		if msg := f.check(&v); msg != "" {
			errs.add(f.fieldName(), msg)
		}
	}
	s.runChecks(v, &errs)
	return errs.orNil()
}

// ValidateFields checks only the named fields, then every check: the
// validation of a partial update, where v is the merged object and names are
// the fields the update sets. A name the schema does not have is reported as
// "is not a field of this form".
func (s *Schema[T]) ValidateFields(v T, names ...string) error {
	var errs Errors
	for _, n := range names {
		i, ok := s.index[n]
		if !ok {
			errs.add(n, "is not a field of this form")
			continue
		}
		if msg := s.fields[i].check(&v); msg != "" {
			errs.add(n, msg)
		}
	}
	s.runChecks(v, &errs)
	return errs.orNil()
}

// ValidateField returns the message for one field of v, or "" if it is
// valid: the field's own rules first, then whatever the checks report for
// it. Browsers call it on input or blur for inline errors.
func (s *Schema[T]) ValidateField(v T, name string) string {
	i, ok := s.index[name]
	if !ok {
		return "is not a field of this form"
	}
	if msg := s.fields[i].check(&v); msg != "" {
		return msg
	}
	var errs Errors
	s.runChecks(v, &errs)
	return errs.Get(name)
}

func (s *Schema[T]) runChecks(v T, errs *Errors) {
	for _, c := range s.checks {
		if err := c(v); err != nil {
			errs.merge(err)
		}
	}
}
