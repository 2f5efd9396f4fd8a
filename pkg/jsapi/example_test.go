//go:build js

package jsapi_test

import (
	"fmt"
	"syscall/js"

	"github.com/tandemkit/tandem/examples/todo/model"
	"github.com/tandemkit/tandem/pkg/jsapi"
)

// The exports are what the ES module wraps; here they are called as it
// calls them, with a host that only needs FAIL.
func ExampleRuntime() {
	r := jsapi.New(jsapi.Entity(model.Lists), jsapi.Entity(model.Todos))
	api := r.Exports()
	r.Attach(js.Global().Get("Function").New(`return {FAIL: {}}`).Invoke())

	count := api.Call("signal", 1)
	double := api.Call("computed", js.FuncOf(func(js.Value, []js.Value) any {
		return api.Call("get", count).Int() * 2
	}))
	api.Call("set", count, 21)
	fmt.Println(api.Call("get", double).Int(), api.Get("entities").Length())
	// Output: 42 2
}
