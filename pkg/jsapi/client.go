//go:build js

package jsapi

import (
	"encoding/json"
	"errors"
	"syscall/js"

	"github.com/tandemkit/tandem/pkg/cache"
	"github.com/tandemkit/tandem/pkg/state"
	"github.com/tandemkit/tandem/pkg/store"
	"github.com/tandemkit/tandem/pkg/sync"
)

// client is one connection to a Tandem server: a store (the optimistic
// collections and their outbox), the realtime reconciler that keeps every
// collection in sync, and a query cache.
type client struct {
	r     *Runtime
	s     *store.Store
	rt    *sync.Client
	cc    *cache.Client
	colls map[string]*coll
	stops []func()
}

// newClient reads the options JavaScript passed to connect():
//
//	baseURL    the REST API's root, "/api" by default
//	wsURL      the WebSocket endpoint (required; the module derives it from
//	           baseURL and the page's location)
//	storage    where pending mutations wait across reloads: an object with
//	           getItem, setItem and removeItem (Web Storage's shape; the
//	           module passes sessionStorage by default in a browser, and for
//	           "session" and "local"), "memory", or null for none
//	storageKey the record's name in storage, "tandem.outbox" by default
//	clientID   this runtime's clientID, random by default
//	headers    the headers sent with every REST request, as a JSON object
//	           of strings
func (r *Runtime) newClient(o js.Value) (*client, error) {
	c := &client{r: r, colls: map[string]*coll{}}
	if err := c.open(o); err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

func (c *client) open(o js.Value) (err error) {
	r := c.r
	var online cache.OnlineSource
	var focus cache.FocusSource
	if m, stop, err := cache.BrowserOnline(); err == nil {
		online, c.stops = m, append(c.stops, stop)
	}
	if m, stop, err := cache.BrowserFocus(); err == nil {
		focus, c.stops = m, append(c.stops, stop)
	}
	c.cc = cache.NewClient(cache.ClientOptions{Scheduler: r.schedule, ReportError: r.reportLater, Online: online, Focus: focus})
	opts := store.Options{Graph: r.g, BaseURL: str(o, "baseURL"), StorageKey: str(o, "storageKey"), ClientID: str(o, "clientID"), OnError: r.report}
	if h := str(o, "headers"); h != "" {
		if err = json.Unmarshal([]byte(h), &opts.Header); err != nil {
			return errors.New("tandem: headers must be a JSON object of strings: " + err.Error())
		}
	}
	if opts.Storage, err = storageOf(o.Get("storage")); err != nil {
		return err
	}
	if c.s, err = store.New(opts); err != nil {
		return err
	}
	if c.rt, err = sync.New(sync.Options{Store: c.s, URL: str(o, "wsURL"), OnError: r.report, Online: online, Focus: focus}); err != nil {
		return err
	}
	c.rt.Start()
	return nil
}

// reportLater reports an error raised where the graph may not be (the
// cache's listeners), on the loop.
func (r *Runtime) reportLater(err error) { r.schedule(func() { r.report(err) }) }

// str returns o[name] if it is a string, else "".
func str(o js.Value, name string) string {
	if o.Type() != js.TypeObject {
		return ""
	}
	if v := o.Get(name); v.Type() == js.TypeString {
		return v.String()
	}
	return ""
}

// storageOf returns the Storage JavaScript passed: an object of Web
// Storage's shape (the module resolves "session" and "local" to the
// page's sessionStorage and localStorage), "memory", or null for none.
func storageOf(v js.Value) (cache.Storage, error) {
	switch {
	case v.IsNull():
		return nil, nil
	case v.Type() == js.TypeString && v.String() == "memory":
		return &cache.MemoryStorage{}, nil
	case v.Type() == js.TypeObject && v.Get("getItem").Type() == js.TypeFunction:
		return &jsStorage{v}, nil
	}
	return nil, errors.New(`tandem: storage must be "session", "local", "memory", "none" or an object with getItem, setItem and removeItem`)
}

// jsStorage is a cache.Storage over an object of Web Storage's shape; an
// exception it throws (a full quota) is an error.
type jsStorage struct{ v js.Value }

func (s *jsStorage) Get(key string) ([]byte, error) {
	v, err := s.call("getItem", key)
	if err == nil && v.Type() != js.TypeString {
		err = cache.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return []byte(v.String()), nil
}

func (s *jsStorage) Set(key string, value []byte) error {
	_, err := s.call("setItem", key, string(value))
	return err
}

func (s *jsStorage) Remove(key string) error {
	_, err := s.call("removeItem", key)
	return err
}

// call calls the storage's method, and returns an exception it throws as
// an error.
func (s *jsStorage) call(method string, args ...any) (v js.Value, err error) {
	err = catch(func() { v = s.v.Call(method, args...) })
	return v, err
}

// collection returns the client's collection called name: the Go-declared
// entity of that name, collected on first use.
func (c *client) collection(name string) (*coll, error) {
	if coll := c.colls[name]; coll != nil {
		return coll, nil
	}
	d := c.r.entities[name]
	if d == nil {
		return nil, errors.New("tandem: no entity " + name + " is declared in Go; use define() for a collection declared in JavaScript")
	}
	return c.define(collSpec{name: name, decl: d})
}

// define registers a collection: the realtime reconciler subscribes to it
// at once (sync follows every collection of the store).
func (c *client) define(spec collSpec) (*coll, error) {
	if c.colls[spec.name] != nil {
		return nil, errors.New("tandem: collection " + spec.name + " is defined already")
	}
	coll, err := c.r.newColl(c, spec)
	if err != nil {
		return nil, err
	}
	c.colls[spec.name] = coll
	return coll, nil
}

// status is a computed of the connection state's name.
func (c *client) status() *state.Computed[js.Value] {
	return state.NewComputedFunc(c.r.g, func() js.Value { return js.ValueOf(c.rt.State().String()) }, same)
}

// pending is a computed of how many mutations wait for the server.
func (c *client) pending() *state.Computed[js.Value] {
	return state.NewComputedFunc(c.r.g, func() js.Value { return js.ValueOf(c.s.PendingCount()) }, same)
}

func (c *client) close() {
	if c.rt != nil {
		c.rt.Stop()
	}
	if c.s != nil {
		c.s.Close()
	}
	for _, stop := range c.stops {
		stop()
	}
	c.stops = nil
	if c.cc != nil {
		c.cc.Close()
	}
}

// The calls exportClient exports, numbered as callClient gets them.
const (
	opConnect = iota
	opStatus
	opPending
	opReconnect
	opClose
	opClientID
	opCollection
	opDefine
)

func (r *Runtime) exportClient(api js.Value) {
	r.export(api, []string{opConnect: "connect", opStatus: "status", opPending: "pending", opReconnect: "reconnect", opClose: "close", opClientID: "clientID", opCollection: "collection", opDefine: "define"}, r.callClient)
}

// callClient runs call op of exportClient.
func (r *Runtime) callClient(op int, a []js.Value) any {
	if op == opConnect {
		c, err := r.newClient(a[0])
		if err != nil {
			panic(err)
		}
		r.clients = append(r.clients, c)
		return r.handle(c)
	}
	c := get[*client](r, a[0])
	switch op {
	case opStatus:
		return r.handle(c.status())
	case opPending:
		return r.handle(c.pending())
	case opReconnect:
		c.rt.Reconnect()
	case opClose:
		c.close()
		for i, x := range r.clients {
			if x == c {
				n := len(r.clients) - 1
				r.clients[i], r.clients[n] = r.clients[n], nil
				r.clients = r.clients[:n]
				break
			}
		}
		r.release(a[0].Int())
	case opClientID:
		return c.s.ClientID()
	case opCollection, opDefine:
		var coll *coll
		var err error
		if op == opCollection {
			coll, err = c.collection(a[1].String())
		} else {
			// define(client, name, idField, hasFromAPI, hasToAPI) declares a
			// collection from JavaScript.
			coll, err = c.define(collSpec{name: a[1].String(), idField: a[2].String(), fromAPI: a[3].Truthy(), toAPI: a[4].Truthy()})
		}
		if err != nil {
			panic(err)
		}
		return coll.h
	}
	return nil
}
