// Package form declares entities and the typed validation schemas of their
// mutations, and runs them in the browser (form state, inline errors) and on
// the server (422 with "fields"), so both sides say the same thing about the
// same input.
//
// # Entities
//
// Define declares an entity once, for both sides: its collection name, the
// fields its creates and updates may set with their rules, and the rules
// only a server can check (Unique, Ref, Stamp). store.Collect and
// server.Register take it:
//
//	var Todos = form.Define("todos",
//		form.String("listId", func(t *Todo) *string { return &t.ListID }).Required(),
//		form.String("title", func(t *Todo) *string { return &t.Title }).Required().Length(1, 200),
//		form.Bool("done", func(t *Todo) *bool { return &t.Done }),
//	).Ref("listId", Lists, form.Cascade).
//		Unique("title", form.Within("listId"), form.Folded).
//		Stamp("updatedAt")
//	var RenameTodo = Todos.Update().Pick("title")
//
// Partition("listId") scopes an entity's sync by a key (a board, a tenant,
// an owner): each key is a topic of its own, which a client opens as it
// needs it and which the server authorizes per principal (see
// Entity.Partition).
//
// # Schemas
//
// A schema is built from field builders, each taking the field's JSON name
// and a getter returning a pointer into the value; builder methods add rules
// in order, and Msg replaces the message of the rule added last:
//
//	var TodoForm = form.New(
//		form.String("listId", func(t *Todo) *string { return &t.ListID }).Required(),
//		form.String("title", func(t *Todo) *string { return &t.Title }).Required().Length(1, 200),
//		form.Float("position", func(t *Todo) *float64 { return &t.Position }).Min(0),
//		form.Check(func(t Todo) error { ... }), // cross-field rule
//	)
//
// Validate checks a whole value; ValidateFields checks only the fields a
// partial update sets (plus every Check, on the merged value); ValidateField
// returns one field's message for inline errors. Failures come back as
// *Errors (errors.As), a map from field name to its first failing message,
// which also matches ErrInvalid. The first failing rule of a field wins, and
// a Check never replaces a field's own message.
//
// # Partial updates
//
// An update form is a Schema over the entity type itself, not over a type
// of optional fields: the server merges a PATCH body into the current object
// field by field and calls ValidateFields(merged, namesInTheBody...). The
// fields an update schema declares are exactly the fields a PATCH may set;
// Pick derives narrower per-mutation forms (RenameTodo from the update
// form), keeping every Check, so that the browser runs exactly what the
// server runs for that mutation. So no pointer fields or Opt wrappers are
// needed, and the browser edits the same struct it displays.
//
// # Rules and messages
//
// String: Required (not empty after trimming white space; "is required"),
// Length (Unicode code points; "must be 1 to 200 characters"), Pattern
// (any Matcher such as *regexp.Regexp; "has an invalid format"), OneOf, Func.
// Numbers (Int, Float, Num for any numeric type): Required (non-zero), Min,
// Max, Range, OneOf, Func; float fields always reject NaN and infinities.
// Bool and Value (any type): Func. Rules always run, in order; an optional
// field with Length(1, n) therefore still rejects "".
//
// # Why builders and generics rather than struct tags
//
// The compiler checks every getter, every rule's argument type and every
// custom func; nothing is parsed at run time and nothing is looked up by
// reflection, so a typo in a rule is a build error, not a silent no-op.
// Pattern takes an interface so that package regexp is linked only by apps
// that use it. The package imports errors, math, strconv, strings and
// unicode/utf8 only (no fmt, no reflect, no sort).
//
// # WASM size (GOOS=js GOARCH=wasm, go1.26, -trimpath -ldflags="-s -w")
//
// A tiny main validating a 4-field Todo (required, length, min) three ways;
// bytes raw / brotli-11 (cmd/precompress). The second group's mains also
// encode the errors with encoding/json, as every Tandem browser app links it:
//
//	                                plain main            main + encoding/json
//	hand-written checks (baseline)  2,267,131 / 503,008   3,040,807 / 647,516
//	pkg/form                        2,389,214 / 525,013   3,158,488 / 668,320  (+21 KB br)
//	struct tags + reflect (mini)    2,402,878 / 533,026   3,084,793 / 656,167  (+9 KB br)
//	pkg/form, one more entity type                        3,191,460 / 669,526  (+1.2 KB br)
//
// Alone, pkg/form is smaller than a reflection validator, which drags in
// reflect. In an app that already links reflect through encoding/json, a
// deliberately minimal 60-line tag validator is about 12 KB (brotli) smaller
// than pkg/form, because the generic builders are instantiated per entity
// type; each further entity type then costs about 1 KB. A real tag library
// (go-playground/validator) is far larger than that minimal one. We keep
// the generic API for compile-time checking and accept the difference;
// moving rule construction into non-generic helpers is the known lever if
// size ever matters more.
package form
