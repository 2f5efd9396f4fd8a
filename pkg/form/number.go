package form

import (
	"math"
	"strconv"
)

// Number is the set of numeric field types.
type Number interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 |
		~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 |
		~float32 | ~float64
}

// A NumberField is a numeric field of T under construction; its methods add
// rules in order and return the field. Float fields always reject NaN and
// infinities ("must be a finite number"), which JSON cannot carry.
type NumberField[T any, N Number] struct {
	name  string
	get   func(*T) *N
	rules rules[N]
}

// Num declares a numeric field of any Number type called name.
func Num[T any, N Number](name string, get func(*T) *N) *NumberField[T, N] {
	f := &NumberField[T, N]{name: name, get: get}
	if isFloat[N]() {
		f.rules = append(f.rules, test(func(v N) bool {
			x := float64(v)
			return !math.IsNaN(x) && !math.IsInf(x, 0)
		}, "must be a finite number"))
	}
	return f
}

// Int declares an int field called name.
func Int[T any](name string, get func(*T) *int) *NumberField[T, int] { return Num(name, get) }

// Float declares a float64 field called name.
func Float[T any](name string, get func(*T) *float64) *NumberField[T, float64] {
	return Num(name, get)
}

func (f *NumberField[T, N]) addTo(s *Schema[T]) { s.addField(f) }
func (f *NumberField[T, N]) fieldName() string  { return f.name }
func (f *NumberField[T, N]) check(v *T) string  { return f.rules.first(*f.get(v)) }
func (f *NumberField[T, N]) addr(v *T) any      { return f.get(v) }
func (f *NumberField[T, N]) copy(dst, src *T)   { *f.get(dst) = *f.get(src) }
func (f *NumberField[T, N]) frozen() field[T] {
	return &NumberField[T, N]{name: f.name, get: f.get, rules: f.rules.clone()}
}
func (f *NumberField[T, N]) add(r rule[N]) *NumberField[T, N] {
	f.rules = append(f.rules, r)
	return f
}

// Required rejects zero: "is required".
func (f *NumberField[T, N]) Required() *NumberField[T, N] {
	return f.add(test(func(v N) bool { return v != 0 }, "is required"))
}

// Min requires v >= min: "must be at least 1".
func (f *NumberField[T, N]) Min(min N) *NumberField[T, N] {
	return f.add(test(func(v N) bool { return v >= min }, "must be at least "+formatNum(min)))
}

// Max requires v <= max: "must be at most 9".
func (f *NumberField[T, N]) Max(max N) *NumberField[T, N] {
	return f.add(test(func(v N) bool { return v <= max }, "must be at most "+formatNum(max)))
}

// Range requires min <= v <= max: "must be between 1 and 9".
func (f *NumberField[T, N]) Range(min, max N) *NumberField[T, N] {
	return f.add(test(func(v N) bool { return v >= min && v <= max },
		"must be between "+formatNum(min)+" and "+formatNum(max)))
}

// OneOf requires one of the listed values.
func (f *NumberField[T, N]) OneOf(values ...N) *NumberField[T, N] {
	return f.add(oneOf(values, formatNum[N]))
}

// Func adds a custom rule: fn returns the message, or "" when valid.
func (f *NumberField[T, N]) Func(fn func(N) string) *NumberField[T, N] {
	return f.add(rule[N]{check: fn})
}

// Msg replaces the message of the rule added last.
func (f *NumberField[T, N]) Msg(message string) *NumberField[T, N] {
	f.rules.withMsg(message)
	return f
}

func isFloat[N Number]() bool {
	one, two := N(1), N(2)
	return one/two != 0
}

func formatNum[N Number](v N) string {
	switch {
	case isFloat[N]():
		return strconv.FormatFloat(float64(v), 'g', -1, 64)
	case v < 0:
		return strconv.FormatInt(int64(v), 10)
	default:
		return strconv.FormatUint(uint64(v), 10)
	}
}
