//go:build js

package jsapi

import (
	"os"
	"syscall/js"
)

// Main runs the API for a browser main (cmd/tandemjs): it builds a Runtime
// exposing entities, hands its exports to the boot function the ES module
// named in the program's first argument (globalThis[os.Args[1]]), takes
// the host object that function returns, and serves calls until the page
// goes away or JavaScript calls exit.
func Main(entities ...*Declared) {
	if len(os.Args) < 2 {
		panic("tandem: started without the name of the module's boot function; load it with the tandem ES module")
	}
	boot := js.Global().Get(os.Args[1])
	if boot.Type() != js.TypeFunction {
		panic("tandem: no boot function " + os.Args[1])
	}
	r := New(entities...)
	api := r.Exports()
	done := make(chan struct{})
	// exit ends the program: the module's close() (a test, a page that
	// replaces the runtime), which calls it from a task of its own. It is
	// not an exported call: once done is closed, main returns as soon as
	// this call does, and no Go code may run after that.
	exit := js.FuncOf(func(js.Value, []js.Value) any {
		select {
		case <-done:
		default:
			r.call(r.Close)
			close(done)
		}
		return nil
	})
	api.Set("exit", exit)
	r.Attach(boot.Invoke(api))
	<-done
}
