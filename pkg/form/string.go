package form

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// A Matcher reports whether a string matches a pattern; *regexp.Regexp is
// one. Pattern takes this interface so that pkg/form does not link package
// regexp into every browser build that uses forms.
type Matcher interface {
	MatchString(s string) bool
}

// A StringField is a string field of T under construction; its methods add
// rules in order and return the field. The first failing rule's message is
// the field's message.
type StringField[T any] struct {
	name  string
	get   func(*T) *string
	rules rules[string]
}

// String declares a string field called name (its JSON name); get returns a
// pointer to the field inside a T.
func String[T any](name string, get func(*T) *string) *StringField[T] {
	return &StringField[T]{name: name, get: get}
}

func (f *StringField[T]) addTo(s *Schema[T]) { s.addField(f) }
func (f *StringField[T]) fieldName() string  { return f.name }
func (f *StringField[T]) check(v *T) string  { return f.rules.first(*f.get(v)) }
func (f *StringField[T]) addr(v *T) any      { return f.get(v) }
func (f *StringField[T]) copy(dst, src *T)   { *f.get(dst) = *f.get(src) }
func (f *StringField[T]) frozen() field[T] {
	return &StringField[T]{name: f.name, get: f.get, rules: f.rules.clone()}
}
func (f *StringField[T]) add(r rule[string]) *StringField[T] {
	f.rules = append(f.rules, r)
	return f
}

// Required rejects a value that is empty or only white space: "is required".
func (f *StringField[T]) Required() *StringField[T] {
	return f.add(test(func(s string) bool { return strings.TrimSpace(s) != "" }, "is required"))
}

// Length requires min to max characters (Unicode code points), bounds
// included: "must be 1 to 200 characters". A max below 0 means no maximum.
func (f *StringField[T]) Length(min, max int) *StringField[T] {
	var msg string
	switch {
	case max < 0:
		msg = "must be at least " + strconv.Itoa(min) + plural(min, " character", " characters")
	case min == max:
		msg = "must be exactly " + strconv.Itoa(min) + plural(min, " character", " characters")
	case min <= 0:
		msg = "must be at most " + strconv.Itoa(max) + plural(max, " character", " characters")
	default:
		msg = "must be " + strconv.Itoa(min) + " to " + strconv.Itoa(max) + " characters"
	}
	return f.add(test(func(s string) bool {
		n := utf8.RuneCountInString(s)
		return n >= min && (max < 0 || n <= max)
	}, msg))
}

// Pattern requires m to match the value: "has an invalid format".
func (f *StringField[T]) Pattern(m Matcher) *StringField[T] {
	return f.add(test(m.MatchString, "has an invalid format"))
}

// OneOf requires one of the listed values: "must be one of: a, b".
func (f *StringField[T]) OneOf(values ...string) *StringField[T] {
	return f.add(oneOf(values, func(s string) string { return `"` + s + `"` }))
}

// Func adds a custom rule: fn returns the message, or "" when valid.
func (f *StringField[T]) Func(fn func(string) string) *StringField[T] {
	return f.add(rule[string]{check: fn})
}

// Msg replaces the message of the rule added last.
func (f *StringField[T]) Msg(message string) *StringField[T] {
	f.rules.withMsg(message)
	return f
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
