//go:build js

package jsapi

import (
	"encoding/json"
	"errors"
	"strconv"
	gosync "sync"
	"syscall/js"

	"github.com/tandemkit/tandem/pkg/form"
	"github.com/tandemkit/tandem/pkg/state"
	"github.com/tandemkit/tandem/pkg/store"
)

// A Runtime is one instance of the JavaScript API: one signal graph, the
// handles JavaScript holds on Go objects, and the batch of changes waiting
// to cross to JavaScript. JavaScript calls reach it on the event loop's
// goroutine, and work handed over by other goroutines (network answers,
// timers) runs on its loop goroutine; under GOOS=js a single thread runs
// both and switches only where one blocks, and no Runtime method blocks, so
// each call and each piece of work runs alone.
type Runtime struct {
	g        *state.Graph
	host     js.Value // the JavaScript side: deliver, makeError, hook, onError, then, FAIL
	fail     js.Value // host.FAIL, the value a failed call returns
	entities map[string]*Declared

	objs []any // handles: index → object; nil slots are free
	free []int

	mu    gosync.Mutex
	queue []func()      // guarded by mu: work handed to the graph's goroutine
	wake  chan struct{} // signalled when queue grows
	depth int           // nested calls from JavaScript or loop work
	busy  bool          // flush is running
	// What crosses to JavaScript at the end of the outermost call (flush).
	dirty   []*coll   // collections with changes to send
	settles []byte    // settled mutations, as JSON array elements
	queries []*query  // queries whose result changed
	funcs   []js.Func // exported functions
	clients []*client // open clients, closed by Close
}

// New returns a Runtime exposing the given Go-declared entities. Attach
// connects it to its JavaScript host; Main does both for a browser main.
func New(entities ...*Declared) *Runtime {
	r := &Runtime{entities: map[string]*Declared{}, objs: make([]any, 1), wake: make(chan struct{}, 1)}
	for _, e := range entities {
		r.entities[e.name] = e
	}
	r.g = state.NewGraph(state.WithScheduler(r.schedule), state.WithErrorHandler(r.report))
	go r.run()
	return r
}

// Exports returns a new JavaScript object holding the API's functions:
// what the ES module in web/tandem wraps.
func (r *Runtime) Exports() js.Value {
	api := js.Global().Get("Object").New()
	r.exportSignals(api)
	r.exportClient(api)
	r.exportCollections(api)
	r.exportQueries(api)
	list := make([]any, 0, len(r.entities))
	for n := range r.entities {
		list = append(list, n) // in no order: the module sorts them
	}
	api.Set("entities", list)
	return api
}

// Close closes every client of r: realtime connections close, requests in
// flight are cancelled.
func (r *Runtime) Close() {
	for _, c := range r.clients {
		c.close()
	}
	r.clients = nil
}

// Attach connects r to the JavaScript host object: FAIL (the value a failed
// call returns, after setting host.error), deliver(batch), makeError(json),
// hook(collection, direction, json), onError(error) and then(promise,
// settled) (see Runtime.await).
func (r *Runtime) Attach(host js.Value) {
	r.host, r.fail = host, host.Get("FAIL")
}

// schedule hands fn to the loop goroutine, in call order; it may be called
// from any goroutine and never blocks.
func (r *Runtime) schedule(fn func()) {
	r.mu.Lock()
	r.queue = append(r.queue, fn)
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// run is the loop goroutine: it runs the queued work, each piece as one
// call. Under GOOS=js it runs before control returns to JavaScript, so work
// a JavaScript call set off (an effect's network answer already there, a
// notification) is done when the call returns.
func (r *Runtime) run() {
	for range r.wake {
		for {
			r.mu.Lock()
			if len(r.queue) == 0 {
				r.mu.Unlock()
				break
			}
			fn := r.queue[0]
			r.queue[0] = nil
			r.queue = r.queue[1:]
			r.mu.Unlock()
			r.call(fn)
		}
	}
}

// call runs fn as one call from outside: changes made inside it reach
// JavaScript when the outermost call ends.
func (r *Runtime) call(fn func()) {
	r.depth++
	defer func() {
		r.depth--
		if r.depth == 0 {
			r.flush()
		}
	}()
	fn()
}

// report hands an error no caller can receive (a failing effect, a store
// failure) to host.onError.
func (r *Runtime) report(err error) {
	if err == nil {
		return
	}
	r.host.Call("onError", r.jsError(err))
}

// handle stores v and returns its handle.
func (r *Runtime) handle(v any) int {
	if n := len(r.free); n > 0 {
		h := r.free[n-1]
		r.free = r.free[:n-1]
		r.objs[h] = v
		return h
	}
	r.objs = append(r.objs, v)
	return len(r.objs) - 1
}

// release forgets handle h.
func (r *Runtime) release(h int) {
	if h > 0 && h < len(r.objs) && r.objs[h] != nil {
		r.objs[h] = nil
		r.free = append(r.free, h)
	}
}

// errHandle is the error of a handle that names nothing of the right kind.
var errHandle = errors.New("tandem: unknown or released handle")

// get returns the object of handle h as a T.
func get[T any](r *Runtime, v js.Value) T {
	h := v.Int()
	if h <= 0 || h >= len(r.objs) {
		panic(errHandle)
	}
	o, ok := r.objs[h].(T)
	if !ok {
		panic(errHandle)
	}
	return o
}

// export registers on obj a JavaScript function under each of names, which
// runs fn with the name's index and the arguments: one function per file
// of the API rather than one closure per call keeps the module small. A call runs as
// one Runtime call; a panic (a JavaScript exception thrown by a callback,
// or a Go error) makes it return host.FAIL after setting host.error, which
// the module rethrows.
func (r *Runtime) export(obj js.Value, names []string, fn func(op int, args []js.Value) any) {
	for op, name := range names {
		f := js.FuncOf(func(_ js.Value, args []js.Value) (out any) {
			defer func() {
				if p := recover(); p != nil {
					r.host.Set("error", r.jsError(panicError(p)))
					out = r.fail
				}
			}()
			r.call(func() { out = fn(op, args) })
			return out
		})
		r.funcs = append(r.funcs, f)
		obj.Set(name, f)
	}
}

// panicError turns a recovered panic value into an error.
func panicError(p any) error {
	switch p := p.(type) {
	case error:
		return p
	case string:
		return errors.New(p)
	}
	return errors.New("tandem: panic")
}

// jsError converts err to the JavaScript value JavaScript should see: the
// original exception for one thrown by a JavaScript callback, otherwise a
// TandemError made by host.makeError from errorJSON.
func (r *Runtime) jsError(err error) js.Value {
	var je js.Error
	if errors.As(err, &je) {
		return je.Value
	}
	var thrown *thrownError
	if errors.As(err, &thrown) {
		return thrown.v
	}
	return r.host.Call("makeError", string(appendError(nil, err)))
}

// appendError appends err as the JSON a TandemError is made from: its
// kind — "invalid" for a form's errors (nothing was sent), "rejected" for
// a refusal by the server, "conflict" for a 409, "error" for anything
// else — its message, and for a refusal the HTTP status, the error code
// and the field messages of the same forms.
func appendError(b []byte, err error) []byte {
	e := struct {
		Kind    string            `json:"kind"`
		Message string            `json:"message"`
		Status  int               `json:"status"`
		Code    string            `json:"code"`
		Fields  map[string]string `json:"fields"`
	}{Kind: "error", Message: err.Error()}
	var fe *form.Errors
	var me *store.MutationError
	switch {
	case errors.As(err, &fe):
		e.Kind, e.Code, e.Fields = "invalid", "invalid", fe.Fields
	case errors.As(err, &me):
		e.Kind, e.Status, e.Code, e.Fields = "rejected", me.Status, me.Body.Code, me.Fields()
		if store.IsConflict(err) {
			e.Kind = "conflict"
		}
	}
	if e.Fields == nil {
		e.Fields = map[string]string{}
	}
	j, _ := json.Marshal(e) // strings and a map of strings: it cannot fail
	return append(b, j...)
}

// thrownError carries a JavaScript value a promise rejected with (a query
// function's failure) through Go's errors.
type thrownError struct {
	v   js.Value
	msg string
}

func (e *thrownError) Error() string { return e.msg }

// newThrown wraps a rejection reason.
func newThrown(v js.Value) *thrownError {
	msg := "rejected"
	switch v.Type() {
	case js.TypeObject:
		if m := v.Get("message"); m.Type() == js.TypeString {
			msg = m.String()
		}
	case js.TypeString:
		msg = v.String()
	case js.TypeNumber:
		msg = strconv.FormatFloat(v.Float(), 'g', -1, 64)
	}
	return &thrownError{v: v, msg: msg}
}
