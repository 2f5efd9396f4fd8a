//go:build js

package ui

import (
	"syscall/js"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// fakeDOM is a small document for Node, which has none: enough of the DOM for
// go-app to mount, update and dismount elements, for events to reach their
// listeners, and for tests to read what a browser would show. Installed once
// per test binary, before any engine exists.
const fakeDOM = `
class Node {
  constructor(type) { this.nodeType = type; this.parentNode = null; this.childNodes = []; this.listeners = {}; }
  get firstChild() { return this.childNodes[0] || null; }
  get children() { return this.childNodes.filter(n => n.nodeType === 1); }
  get firstElementChild() { return this.children[0] || null; }
  get nextElementSibling() {
    if (!this.parentNode) return null;
    const s = this.parentNode.childNodes;
    for (let i = s.indexOf(this) + 1; i < s.length; i++) if (s[i].nodeType === 1) return s[i];
    return null;
  }
  get textContent() { return this.childNodes.map(c => c.textContent).join(""); }
  detach(c) { const i = this.childNodes.indexOf(c); if (i < 0) throw new Error("not a child"); this.childNodes.splice(i, 1); c.parentNode = null; }
  get lastChild() { return this.childNodes[this.childNodes.length - 1] || null; }
  appendChild(c) { return this.insertBefore(c, null); }
  insertBefore(c, ref) {
    if (c.nodeType === 11) { for (const k of c.childNodes.slice()) this.insertBefore(k, ref); return c; }
    if (c.parentNode) c.parentNode.detach(c);
    const i = ref === null ? this.childNodes.length : this.childNodes.indexOf(ref);
    if (i < 0) throw new Error("insertBefore: reference is not a child");
    this.childNodes.splice(i, 0, c); c.parentNode = this; globalThis.domWrites++; return c;
  }
  removeChild(c) { this.detach(c); globalThis.domWrites++; return c; }
  replaceChild(n, o) {
    if (n.nodeType === 11) { for (const k of n.childNodes.slice()) this.insertBefore(k, o); this.removeChild(o); return o; }
    if (n.parentNode) n.parentNode.detach(n);
    const i = this.childNodes.indexOf(o);
    if (i < 0) throw new Error("replaceChild: not a child");
    this.childNodes[i] = n; n.parentNode = this; o.parentNode = null; globalThis.domWrites++; return o;
  }
  addEventListener(type, fn) { (this.listeners[type] = this.listeners[type] || []).push(fn); }
  removeEventListener(type, fn) { const l = this.listeners[type] || []; const i = l.indexOf(fn); if (i >= 0) l.splice(i, 1); }
  dispatchEvent(ev) {
    ev.target = ev.target || this;
    for (let n = this; n; n = n.parentNode) for (const fn of (n.listeners[ev.type] || []).slice()) fn.call(n, ev);
    return true;
  }
}
class Element extends Node {
  constructor(tag) {
    super(1); this.tagName = tag.toUpperCase(); this.attrs = {}; this.value = ""; this.checked = false;
    if (tag === "template") this.content = new Node(11);
  }
  // innerHTML parses the HTML package dom writes: no comments, quoted
  // attributes, escaped text, void elements without an end tag.
  set innerHTML(html) {
    const into = this.content || this;
    for (const c of into.childNodes.slice()) into.detach(c);
    const esc = s => s.replace(/&#34;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
    const voids = new Set(["input", "br", "img", "hr", "meta", "link"]);
    const stack = [into];
    const re = /<\/([a-z0-9]+)>|<([a-z0-9]+)((?:\s[\w-]+="[^"]*")*)>|([^<]+)/g;
    let m;
    while ((m = re.exec(html))) {
      const top = stack[stack.length - 1];
      if (m[1]) { stack.pop(); continue; }
      if (m[4]) { top.appendChild(new Text(esc(m[4]))); continue; }
      const el = new Element(m[2]);
      for (const a of m[3].matchAll(/([\w-]+)="([^"]*)"/g)) el.attrs[a[1]] = esc(a[2]);
      if (m[2] === "input") { el.value = el.attrs.value || ""; el.checked = "checked" in el.attrs; }
      top.appendChild(el);
      if (!voids.has(m[2])) stack.push(el);
    }
    globalThis.domWrites++;
  }
  setAttribute(k, v) { this.attrs[k] = String(v); globalThis.domWrites++; }
  getAttribute(k) { return k in this.attrs ? this.attrs[k] : null; }
  removeAttribute(k) { delete this.attrs[k]; globalThis.domWrites++; }
  querySelectorAll(sel) {
    const m = /^\[([\w-]+)="([^"]*)"\]$/.exec(sel); const out = [];
    const walk = n => { for (const c of n.children) { if (c.attrs[m[1]] === m[2]) out.push(c); walk(c); } };
    walk(this); return out;
  }
  querySelector(sel) { return this.querySelectorAll(sel)[0] || null; }
}
class Text extends Node {
  constructor(v) { super(3); this.v = String(v); }
  get nodeValue() { return this.v; }
  set nodeValue(v) { this.v = String(v); globalThis.domWrites++; }
  get textContent() { return this.v; }
}
globalThis.domWrites = 0;
globalThis.document = {
  createElement: tag => new Element(tag),
  createElementNS: (ns, tag) => new Element(tag),
  createTextNode: v => new Text(v),
};
globalThis.resetDOM = () => {
  document.body = new Element("body");
  document.body.appendChild(new Element("div"));
};
resetDOM();
globalThis.domHTML = n => {
  if (n.nodeType === 3) return n.v;
  const tag = n.tagName.toLowerCase();
  let a = Object.keys(n.attrs).sort().map(k => " " + k + '="' + n.attrs[k] + '"').join("");
  if (tag === "input") a += ' .value="' + n.value + '"' + (n.checked ? " .checked" : "");
  return "<" + tag + a + ">" + n.childNodes.map(domHTML).join("") + "</" + tag + ">";
};
globalThis.fireEvent = (target, type, props) => {
  Object.assign(target, props || {});
  target.dispatchEvent({type});
};
`

func TestMain(m *testing.M) {
	js.Global().Get("Function").New(fakeDOM).Invoke()
	m.Run()
}

// hasDOM reports whether tests run with a DOM (the fake one, under GOOS=js).
const hasDOM = true

// resetDOM gives the next engine an empty body.
func resetDOM() { js.Global().Call("resetDOM") }

// domHTML serializes a DOM node: attributes sorted, an input's value and
// checked properties shown as .value and .checked.
func domHTML(v app.Value) string { return app.Window().Call("domHTML", v).String() }

// dispatchEvent sets props on target, then dispatches an event of type typ
// to it, as a browser does when the user types or clicks.
func dispatchEvent(target app.Value, typ string, props map[string]any) {
	app.Window().Call("fireEvent", target, typ, props)
}

// domWrites counts the DOM's mutations: inserts, removals, replacements,
// attribute and text writes.
func domWrites() int { return js.Global().Get("domWrites").Int() }
