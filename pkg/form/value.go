package form

// A ValueField is a field of any type V; its rules are custom funcs. Use it
// for booleans, times, slices and other types without built-in rules.
type ValueField[T any, V any] struct {
	name  string
	get   func(*T) *V
	rules rules[V]
}

// Value declares a field of type V called name.
func Value[T any, V any](name string, get func(*T) *V) *ValueField[T, V] {
	return &ValueField[T, V]{name: name, get: get}
}

// Bool declares a bool field called name.
func Bool[T any](name string, get func(*T) *bool) *ValueField[T, bool] {
	return Value(name, get)
}

func (f *ValueField[T, V]) addTo(s *Schema[T]) { s.addField(f) }
func (f *ValueField[T, V]) fieldName() string  { return f.name }
func (f *ValueField[T, V]) check(v *T) string  { return f.rules.first(*f.get(v)) }
func (f *ValueField[T, V]) addr(v *T) any      { return f.get(v) }
func (f *ValueField[T, V]) copy(dst, src *T)   { *f.get(dst) = *f.get(src) }
func (f *ValueField[T, V]) frozen() field[T] {
	return &ValueField[T, V]{name: f.name, get: f.get, rules: f.rules.clone()}
}

// Func adds a custom rule: fn returns the message, or "" when valid.
func (f *ValueField[T, V]) Func(fn func(V) string) *ValueField[T, V] {
	f.rules = append(f.rules, rule[V]{check: fn})
	return f
}

// Msg replaces the message of the rule added last.
func (f *ValueField[T, V]) Msg(message string) *ValueField[T, V] {
	f.rules.withMsg(message)
	return f
}
