package form_test

import (
	"errors"
	"math"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/form"
)

type event struct {
	Title    string
	Kind     string
	Code     string
	Seats    int
	Price    float64
	Start    int
	End      int
	Public   bool
	Tags     []string
	Priority uint8
}

var code = regexp.MustCompile(`^[A-Z]{3}$`)

func eventSchema() *form.Schema[event] {
	return form.New(
		form.String("title", func(e *event) *string { return &e.Title }).Required().Length(1, 20),
		form.String("kind", func(e *event) *string { return &e.Kind }).OneOf("talk", "workshop"),
		form.String("code", func(e *event) *string { return &e.Code }).Pattern(code).Msg("must be three capital letters"),
		form.Int("seats", func(e *event) *int { return &e.Seats }).Range(1, 500),
		form.Float("price", func(e *event) *float64 { return &e.Price }).Min(0),
		form.Int("start", func(e *event) *int { return &e.Start }),
		form.Int("end", func(e *event) *int { return &e.End }),
		form.Bool("public", func(e *event) *bool { return &e.Public }),
		form.Value("tags", func(e *event) *[]string { return &e.Tags }).Func(func(t []string) string {
			if len(t) > 3 {
				return "at most 3 tags"
			}
			return ""
		}),
		form.Num("priority", func(e *event) *uint8 { return &e.Priority }).OneOf(1, 2, 3),
		form.Check(func(e event) error {
			if e.End < e.Start {
				return form.Invalid("end", "must not be before start")
			}
			return nil
		}),
		form.Check(func(e event) error {
			if e.Public && e.Price > 0 {
				return errors.New("a public event is free")
			}
			return nil
		}),
	)
}

func good() event {
	return event{Title: "Go", Kind: "talk", Code: "GOL", Seats: 10, Price: 0, Start: 1, End: 2, Priority: 1}
}

func TestValidate(t *testing.T) {
	s := eventSchema()
	require.NoError(t, s.Validate(good()))

	cases := []struct {
		name   string
		edit   func(*event)
		fields map[string]string
	}{
		{"blank title is required", func(e *event) { e.Title = "  " }, map[string]string{"title": "is required"}},
		{"title over 20 characters", func(e *event) { e.Title = "abcdefghijklmnopqrstu" }, map[string]string{"title": "must be 1 to 20 characters"}},
		{"length counts runes not bytes", func(e *event) { e.Title = "ééééééééééééééééééé" }, nil},
		{"kind not in set", func(e *event) { e.Kind = "party" }, map[string]string{"kind": `must be one of: "talk", "workshop"`}},
		{"pattern with custom message", func(e *event) { e.Code = "go" }, map[string]string{"code": "must be three capital letters"}},
		{"int out of range", func(e *event) { e.Seats = 0 }, map[string]string{"seats": "must be between 1 and 500"}},
		{"negative price", func(e *event) { e.Price = -0.5 }, map[string]string{"price": "must be at least 0"}},
		{"NaN price", func(e *event) { e.Price = math.NaN() }, map[string]string{"price": "must be a finite number"}},
		{"custom func on a slice", func(e *event) { e.Tags = []string{"a", "b", "c", "d"} }, map[string]string{"tags": "at most 3 tags"}},
		{"uint8 one-of", func(e *event) { e.Priority = 4 }, map[string]string{"priority": "must be one of: 1, 2, 3"}},
		{"cross-field check blames a field", func(e *event) { e.End = 0 }, map[string]string{"end": "must not be before start"}},
		{"plain error from a check goes under FormKey", func(e *event) { e.Public = true; e.Price = 5 }, map[string]string{form.FormKey: "a public event is free"}},
		{"several fields at once", func(e *event) { e.Title = ""; e.Seats = 900 }, map[string]string{"title": "is required", "seats": "must be between 1 and 500"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := good()
			tc.edit(&e)
			err := s.Validate(e)
			if tc.fields == nil {
				require.NoError(t, err)
				return
			}
			var fe *form.Errors
			require.ErrorAs(t, err, &fe)
			assert.ErrorIs(t, err, form.ErrInvalid)
			assert.Equal(t, tc.fields, fe.Fields)
		})
	}
}

func TestValidate_firstFailingRuleWins(t *testing.T) {
	s := form.New(form.String("name", func(p *string) *string { return p }).Required().Length(3, 5))
	var fe *form.Errors
	require.ErrorAs(t, s.Validate(""), &fe)
	assert.Equal(t, "is required", fe.Get("name"))
	require.ErrorAs(t, s.Validate("ab"), &fe)
	assert.Equal(t, "must be 3 to 5 characters", fe.Get("name"))
}

func TestValidate_checkDoesNotReplaceFieldMessage(t *testing.T) {
	s := form.New(
		form.Int("n", func(p *int) *int { return p }).Min(5),
		form.Check(func(n int) error { return form.Invalid("n", "from check") }),
	)
	assert.Equal(t, "must be at least 5", s.ValidateField(1, "n"))
	assert.Equal(t, "from check", s.ValidateField(7, "n"))
}

func TestValidateFields_onlyNamedFieldsPlusChecks(t *testing.T) {
	s := eventSchema()
	e := good()
	e.Title = ""  // invalid but not named
	e.Seats = 900 // named
	e.End = 0     // check fails
	var fe *form.Errors
	require.ErrorAs(t, s.ValidateFields(e, "seats"), &fe)
	assert.Equal(t, map[string]string{"seats": "must be between 1 and 500", "end": "must not be before start"}, fe.Fields)

	require.ErrorAs(t, s.ValidateFields(good(), "nope"), &fe)
	assert.Equal(t, "is not a field of this form", fe.Get("nope"))
	assert.NoError(t, s.ValidateFields(good(), "title", "seats"))
}

func TestValidateField_forInlineErrors(t *testing.T) {
	s := eventSchema()
	e := good()
	e.Title = ""
	assert.Equal(t, "is required", s.ValidateField(e, "title"))
	assert.Equal(t, "", s.ValidateField(e, "seats"))
	assert.Equal(t, "is not a field of this form", s.ValidateField(e, "zzz"))
}

func TestNamesHasPick(t *testing.T) {
	s := eventSchema()
	assert.Equal(t, []string{"title", "kind", "code", "seats", "price", "start", "end", "public", "tags", "priority"}, s.Names())
	assert.True(t, s.Has("seats"))
	assert.False(t, s.Has("Seats"))

	p := s.Pick("seats", "title")
	assert.Equal(t, []string{"seats", "title"}, p.Names())
	e := good()
	e.Kind = "zzz" // a field the pick does not have
	assert.NoError(t, p.Validate(e))
	e.Seats = 0
	assert.Error(t, p.Validate(e))
	assert.Panics(t, func() { s.Pick("missing") })
}

// Issue 12: Pick dropped the cross-field checks, which the server runs on
// the merged object: a rename passed in the browser, showed, and was
// refused. A picked form runs the same checks as the form it comes from.
func TestPick_keepsTheChecks(t *testing.T) {
	s := eventSchema()
	e := good()
	e.End = -1 // a check of the whole form fails
	want := s.ValidateFields(e, "seats", "title")
	require.Error(t, want, "what the server runs for a PATCH of seats and title")
	got := s.Pick("seats", "title").Validate(e)
	assert.Equal(t, want, got, "the browser's picked form says the same")
	assert.Equal(t, want, s.Without("kind", "code", "price", "start", "end", "public", "tags", "priority").Validate(e))
}

func TestNew_panicsOnDuplicateOrEmptyName(t *testing.T) {
	get := func(p *string) *string { return p }
	assert.PanicsWithValue(t, "form: duplicate field a", func() { form.New(form.String("a", get), form.String("a", get)) })
	assert.PanicsWithValue(t, "form: a field has an empty name", func() { form.New(form.String("", get)) })
}

func TestMessages(t *testing.T) {
	get := func(p *string) *string { return p }
	for _, tc := range []struct {
		s    *form.Schema[string]
		in   string
		want string
	}{
		{form.New(form.String("x", get).Length(2, -1)), "a", "must be at least 2 characters"},
		{form.New(form.String("x", get).Length(0, 1)), "ab", "must be at most 1 character"},
		{form.New(form.String("x", get).Length(3, 3)), "ab", "must be exactly 3 characters"},
		{form.New(form.String("x", get).Func(func(s string) string { return "custom " + s })), "ab", "custom ab"},
		{form.New(form.String("x", get).Func(func(s string) string { return "custom" }).Msg("overridden")), "ab", "overridden"},
	} {
		assert.Equal(t, tc.want, tc.s.ValidateField(tc.in, "x"))
	}
	getF := func(p *float64) *float64 { return p }
	assert.Equal(t, "must be at most 1.5", form.New(form.Float("f", getF).Max(1.5)).ValidateField(2, "f"))
	assert.Equal(t, "is required", form.New(form.Float("f", getF).Required()).ValidateField(0, "f"))
	getI := func(p *int) *int { return p }
	assert.Equal(t, "must be at least -3", form.New(form.Int("i", getI).Min(-3)).ValidateField(-4, "i"))
}

func TestErrors(t *testing.T) {
	e := &form.Errors{Fields: map[string]string{"b": "two", "a": "one"}}
	assert.Equal(t, "form: a: one; b: two", e.Error())
	var nilErrs *form.Errors
	assert.Equal(t, "", nilErrs.Get("a"))
	assert.Equal(t, 0, nilErrs.Len())
	wrapped := errors.Join(errors.New("ctx"), form.Invalid("a", "bad"))
	var fe *form.Errors
	require.ErrorAs(t, wrapped, &fe)
	assert.Equal(t, "bad", fe.Get("a"))
}

func TestValidate_returnsUntypedNil(t *testing.T) {
	s := eventSchema()
	err := s.Validate(good())
	assert.True(t, err == nil, "a valid value must give a nil error interface")
}

func TestNew_schemaKeepsItsOwnCopyOfTheRules(t *testing.T) {
	get := func(p *string) *string { return p }
	str := form.String("x", get).Length(1, 5)
	s := form.New(str)
	str.Msg("changed after New") // replaces the message of Length in the builder only
	str.Func(func(string) string { return "added after New" })
	assert.Equal(t, "must be 1 to 5 characters", s.ValidateField("", "x"), "Msg after New does not reach the schema")
	assert.Equal(t, "", s.ValidateField("ok", "x"), "a rule added after New does not reach the schema")
	later := form.New(str)
	assert.Equal(t, "changed after New", later.ValidateField("", "x"), "a schema built later sees the builder's rules")
	assert.Equal(t, "added after New", later.ValidateField("ok", "x"))

	getI := func(p *int) *int { return p }
	num := form.Int("n", getI).Min(1)
	ns := form.New(num)
	num.Msg("changed").Max(0)
	assert.Equal(t, "must be at least 1", ns.ValidateField(0, "n"))
	assert.Equal(t, "", ns.ValidateField(3, "n"))

	val := form.Value("v", get).Func(func(s string) string {
		if s == "" {
			return "empty"
		}
		return ""
	})
	vs := form.New(val)
	val.Msg("changed")
	assert.Equal(t, "empty", vs.ValidateField("", "v"))

	picked := s.Pick("x")
	str.Func(func(string) string { return "again" })
	assert.Equal(t, "", picked.ValidateField("ok", "x"), "Pick copies the schema's frozen fields")
}
