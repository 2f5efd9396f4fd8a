//go:build js

package cache

import (
	"fmt"
	"syscall/js"
)

// BrowserFocus returns a FocusManager following document.visibilityState
// (focused unless "hidden", QB-35) through the visibilitychange event, and
// the function that removes the event listener. Without a document it
// returns an error wrapping ErrUnavailable.
func BrowserFocus() (*FocusManager, func(), error) {
	doc := js.Global().Get("document")
	if doc.Type() != js.TypeObject || doc.Get("addEventListener").Type() != js.TypeFunction {
		return nil, nil, fmt.Errorf("%w: document", ErrUnavailable)
	}
	m := NewFocusManager(func() bool { return doc.Get("visibilityState").String() != "hidden" })
	h := js.FuncOf(func(js.Value, []js.Value) any {
		m.Changed()
		return nil
	})
	doc.Call("addEventListener", "visibilitychange", h)
	return m, func() {
		doc.Call("removeEventListener", "visibilitychange", h)
		h.Release()
	}, nil
}

// BrowserOnline returns an OnlineManager following the window's online and
// offline events (starting online, as TanStack does), and the function that
// removes the listeners. Without window.addEventListener it returns an
// error wrapping ErrUnavailable.
func BrowserOnline() (*OnlineManager, func(), error) {
	win := js.Global()
	if win.Get("addEventListener").Type() != js.TypeFunction || win.Get("window").Type() != js.TypeObject {
		return nil, nil, fmt.Errorf("%w: window", ErrUnavailable)
	}
	m := NewOnlineManager()
	on := js.FuncOf(func(js.Value, []js.Value) any { m.SetOnline(true); return nil })
	off := js.FuncOf(func(js.Value, []js.Value) any { m.SetOnline(false); return nil })
	win.Call("addEventListener", "online", on)
	win.Call("addEventListener", "offline", off)
	return m, func() {
		win.Call("removeEventListener", "online", on)
		win.Call("removeEventListener", "offline", off)
		on.Release()
		off.Release()
	}, nil
}

// WebStorage is a Storage over one of the browser's Web Storage areas:
// localStorage (NewLocalStorage) or sessionStorage (NewSessionStorage).
// Values are stored as strings (the JSON snapshot).
type WebStorage struct {
	name string
	ls   js.Value
}

// NewLocalStorage returns the browser's localStorage as a Storage, or an
// error wrapping ErrUnavailable when the host has none (Node, private
// modes that throw). Every tab of the site shares it, and it survives closing
// them.
func NewLocalStorage() (*WebStorage, error) { return newWebStorage("localStorage") }

// NewSessionStorage returns the browser's sessionStorage as a Storage: it
// survives a reload but belongs to one tab, which suits what belongs to one
// runtime, such as a store's queue of pending mutations.
func NewSessionStorage() (*WebStorage, error) { return newWebStorage("sessionStorage") }

func newWebStorage(name string) (*WebStorage, error) {
	var ls js.Value
	if err := jsTry(func() { ls = js.Global().Get(name) }); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrUnavailable, name, err)
	}
	if ls.Type() != js.TypeObject || ls.Get("getItem").Type() != js.TypeFunction {
		return nil, fmt.Errorf("%w: %s", ErrUnavailable, name)
	}
	return &WebStorage{name: name, ls: ls}, nil
}

// Get implements Storage.
func (s *WebStorage) Get(key string) ([]byte, error) {
	var v js.Value
	if err := jsTry(func() { v = s.ls.Call("getItem", key) }); err != nil {
		return nil, fmt.Errorf("cache: %s get: %w", s.name, err)
	}
	if v.Type() != js.TypeString {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, key)
	}
	return []byte(v.String()), nil
}

// Set implements Storage; a full quota is an error.
func (s *WebStorage) Set(key string, value []byte) error {
	if err := jsTry(func() { s.ls.Call("setItem", key, string(value)) }); err != nil {
		return fmt.Errorf("cache: %s set: %w", s.name, err)
	}
	return nil
}

// Remove implements Storage.
func (s *WebStorage) Remove(key string) error {
	if err := jsTry(func() { s.ls.Call("removeItem", key) }); err != nil {
		return fmt.Errorf("cache: %s remove: %w", s.name, err)
	}
	return nil
}
