// @tandemkit/tandem — Tandem's Go runtime (signals, a query cache,
// optimistic collections and realtime) for JavaScript, in one WebAssembly
// module. load() starts it; everything else hangs off what it returns.
//
// Values cross between JavaScript and Go as plain objects: entities as JSON
// text parsed once here, JavaScript values as themselves. Every crossing
// costs about half a microsecond, so what a view or a subscription shows
// crosses in batches, once per operation, and a change to one entity of a
// list crosses as that entity alone (see the README's "Crossing the
// boundary").

import "./wasm_exec.js";

// FAIL is what a Go function returns when it failed; the error waits in
// host.error.
const FAIL = Object.freeze({ tandemFail: true });

/** A TandemError is a mutation's or a validation's failure. */
export class TandemError extends Error {
  constructor(p) {
    super(p.message);
    this.name = "TandemError";
    /** "invalid" (the form refused it; nothing was sent), "rejected" (the
     * server refused it), "conflict" (409) or "error". */
    this.kind = p.kind;
    /** The HTTP status of a refusal, else 0. */
    this.status = p.status;
    /** The protocol's error code ("validation", "conflict", …), or "". */
    this.code = p.code;
    /** A message per field, from the same forms on both sides. */
    this.fields = p.fields ?? {};
  }
}

let boots = 0;

/**
 * load starts a Tandem runtime: it loads Go's WebAssembly support
 * (wasm_exec.js), instantiates the module (tandem.wasm next to this file
 * unless options.wasm says otherwise) and resolves once Go is ready.
 */
export async function load(options = {}) {
  const go = new globalThis.Go();
  const name = `__tandemBoot${++boots}_${Math.random().toString(36).slice(2)}`;
  go.argv = ["tandem", name];
  let runtime;
  const ready = new Promise((resolve) => {
    globalThis[name] = (api) => {
      delete globalThis[name];
      runtime = new Runtime(api, options);
      resolve(runtime.tandem);
      return runtime.host;
    };
  });
  const { instance } = await instantiate(options.wasm ?? new URL("./tandem.wasm", import.meta.url), go.importObject);
  const exited = go.run(instance);
  exited.then(() => runtime?.exited(go));
  return Promise.race([
    ready,
    exited.then(() => {
      throw new Error("tandem: the Go program exited before it was ready");
    }),
  ]);
}

async function instantiate(src, imports) {
  if (src instanceof WebAssembly.Module) return { instance: await WebAssembly.instantiate(src, imports) };
  if (src instanceof ArrayBuffer || ArrayBuffer.isView(src)) return WebAssembly.instantiate(src, imports);
  if (typeof Response !== "undefined" && src instanceof Response) return streaming(Promise.resolve(src), imports);
  const url = new URL(String(src), globalThis.location?.href);
  if (url.protocol === "file:") {
    const fs = "node:fs/promises"; // hidden from bundlers: only Node reads files
    const { readFile } = await import(/* @vite-ignore */ fs);
    return WebAssembly.instantiate(await readFile(url), imports);
  }
  return streaming(fetch(url), imports);
}

async function streaming(res, imports) {
  if (WebAssembly.instantiateStreaming) {
    try {
      return await WebAssembly.instantiateStreaming(res, imports);
    } catch (e) {
      // a server that does not say application/wasm: compile the bytes
      if (!(e instanceof TypeError)) throw e;
    }
  }
  const r = await res;
  if (!r.ok) throw new Error(`tandem: fetching ${r.url}: ${r.status}`);
  return WebAssembly.instantiate(await r.clone().arrayBuffer(), imports);
}

const defaultOnError = (e) => console.error("tandem:", e);

// Runtime is one started module: the Go API object, the host Go calls back,
// and the JavaScript side of collections, views and queries.
class Runtime {
  constructor(api, options) {
    this.api = api;
    this.onError = options.onError ?? defaultOnError;
    this.colls = new Map(); // Go handle → Collection
    this.views = new Map(); // view id → View
    this.queries = new Map(); // Go handle → Query with subscribers
    this.settling = new Map(); // token → {resolve, reject}
    this.token = 0;
    this.viewID = 0;
    this.freed = new FinalizationRegistry((h) => this.closed || api.free(h));
    this.freedQueries = new FinalizationRegistry((h) => this.closed || api.qfree(h));
    this.host = {
      FAIL,
      error: undefined,
      deliver: (text) => this.deliver(text),
      makeError: (json) => new TandemError(JSON.parse(json)),
      hook: (h, dir, json) => JSON.stringify(this.colls.get(h).hooks[dir](JSON.parse(json))),
      onError: (e) => this.onError(e),
      then: (p, settled) => p.then((v) => settled(true, v), (e) => settled(false, e)),
    };
    this.tandem = new Tandem(this);
  }

  // exited quiets what may still call into the Go program after it ended:
  // its timers, and events (a late network answer) of functions it had
  // handed out, which wasm_exec.js would otherwise answer with a throw.
  exited(go) {
    this.closed = true;
    for (const t of go._scheduledTimeouts?.values() ?? []) clearTimeout(t);
    go._scheduledTimeouts?.clear();
    go._resume = () => {};
  }

  // call returns r, or throws the error of a failed Go call.
  call(r) {
    if (this.closed) throw new Error("tandem: the runtime is closed");
    if (r === FAIL) {
      const e = this.host.error;
      this.host.error = undefined;
      throw e;
    }
    return r;
  }

  // settle registers a promise for the next mutation's outcome.
  settle() {
    const token = ++this.token;
    const promise = new Promise((resolve, reject) => this.settling.set(token, { resolve, reject }));
    return [token, promise];
  }

  // deliver applies a batch from Go: collections' changes first, then the
  // settled mutations, then queries, then every source whose value changed
  // hears of it, each once.
  deliver(text) {
    const b = JSON.parse(text);
    const touched = new Set();
    for (const [h, changed, dropped, splices] of b.c) {
      const coll = this.colls.get(h);
      if (coll) coll.apply(changed, dropped, splices, touched);
    }
    for (const [token, ok, value] of b.s) {
      const s = this.settling.get(token);
      if (!s) continue;
      this.settling.delete(token);
      if (ok) s.resolve(value ?? undefined);
      else s.reject(new TandemError(value));
    }
    for (const h of b.q) {
      const q = this.queries.get(h);
      if (q) {
        q.stale = true;
        touched.add(q);
      }
    }
    for (const source of touched) source.emit();
  }

  emit(listeners, value) {
    for (const fn of [...listeners]) {
      try {
        fn(value);
      } catch (e) {
        this.onError(e);
      }
    }
  }
}

/** Tandem is a started runtime: signals and connections to servers. */
class Tandem {
  #rt;
  constructor(rt) {
    this.#rt = rt;
    /** The names of the entities declared in Go (client.collection(name)). */
    this.entities = [...rt.api.entities].sort();
    this.TandemError = TandemError;
  }
  /** signal returns a writable signal holding value. */
  signal(value) {
    const rt = this.#rt;
    return new Signal(rt, rt.call(rt.api.signal(value)));
  }
  /** computed returns a signal of fn's result, recomputed when what fn read changes. */
  computed(fn) {
    const rt = this.#rt;
    return new ReadonlySignal(rt, rt.call(rt.api.computed(fn)));
  }
  /** effect runs fn now and whenever what it read changes; it returns dispose. */
  effect(fn) {
    const rt = this.#rt;
    return disposer(rt, rt.call(rt.api.effect(fn)));
  }
  /** batch runs fn and holds effects until it returns. */
  batch(fn) {
    const rt = this.#rt;
    return rt.call(rt.api.batch(fn));
  }
  /** untracked runs fn without recording what it reads. */
  untracked(fn) {
    const rt = this.#rt;
    return rt.call(rt.api.untracked(fn));
  }
  /** connect opens a client of a Tandem server. */
  connect(options = {}) {
    return new Client(this.#rt, options);
  }
  /** close ends the runtime: its clients close and its Go program exits; later calls throw. */
  close() {
    const rt = this.#rt;
    rt.closing ??= new Promise((resolve) => {
      // from a task of its own: never from inside a call into Go
      setTimeout(() => {
        if (!rt.closed) rt.api.exit();
        resolve();
      }, 0);
    });
    return rt.closing;
  }
}

function disposer(rt, h) {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    rt.call(rt.api.dispose(h));
  };
}

/** A ReadonlySignal is a value of the signal graph: get() is tracked inside computeds and effects. */
export class ReadonlySignal {
  #rt;
  #h;
  constructor(rt, h) {
    this.#rt = rt;
    this.#h = h;
    rt.freed.register(this, h);
  }
  get() {
    return this.#rt.call(this.#rt.api.get(this.#h));
  }
  peek() {
    return this.#rt.call(this.#rt.api.peek(this.#h));
  }
  get value() {
    return this.get();
  }
  /** subscribe calls fn with the value now and after every change; it returns unsubscribe. */
  subscribe(fn) {
    const rt = this.#rt;
    fn(this.peek());
    return disposer(rt, rt.call(rt.api.watch(this.#h, fn)));
  }
  toJSON() {
    return this.peek();
  }
}

/** A Signal is a ReadonlySignal that can be written. */
export class Signal extends ReadonlySignal {
  #rt;
  #h;
  constructor(rt, h) {
    super(rt, h);
    this.#rt = rt;
    this.#h = h;
  }
  set(value) {
    this.#rt.call(this.#rt.api.set(this.#h, value));
  }
  update(fn) {
    this.set(fn(this.peek()));
  }
  get value() {
    return this.get();
  }
  set value(v) {
    this.set(v);
  }
}

// storageOf resolves the storage option for Go: "session" and "local" to
// the page's Web Storage (by default sessionStorage, or memory where there
// is none, as in Node), "none" to null.
function storageOf(s) {
  if (s === "none") return null;
  if (s != null && s !== "session" && s !== "local") return s;
  const name = s === "local" ? "localStorage" : "sessionStorage";
  try {
    const w = globalThis[name]; // a private mode may throw
    if (typeof w?.getItem === "function") return w;
  } catch {}
  if (s == null) return "memory";
  throw new TandemError({ kind: "error", message: `tandem: ${name} is not available here`, status: 0, code: "" });
}

/** A Client is a connection to a Tandem server: collections, queries, status. */
class Client {
  #rt;
  #h;
  #colls = new Map();
  constructor(rt, options) {
    this.#rt = rt;
    const base = (options.baseURL ?? "/api").replace(/\/$/, "");
    let wsURL = options.wsURL;
    if (!wsURL) {
      const u = new URL(base + "/ws", globalThis.location?.href);
      u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
      wsURL = u.href;
    }
    const h = options.headers && Object.entries(options.headers).map(([k, v]) => [k, String(v)]);
    const headers = h && JSON.stringify(Object.fromEntries(h));
    this.#h = rt.call(rt.api.connect({ ...options, baseURL: base, wsURL, storage: storageOf(options.storage), headers }));
    /** The realtime connection: "offline", "connecting", "resyncing", "live" or "unauthorized". */
    this.status = new ReadonlySignal(rt, rt.call(rt.api.status(this.#h)));
    /** How many mutations wait for the server. */
    this.pending = new ReadonlySignal(rt, rt.call(rt.api.pending(this.#h)));
  }
  get clientID() {
    return this.#rt.call(this.#rt.api.clientID(this.#h));
  }
  /** collection returns the collection of an entity declared in Go. */
  collection(name) {
    let c = this.#colls.get(name);
    if (!c) {
      const rt = this.#rt;
      c = new Collection(rt, rt.call(rt.api.collection(this.#h, name)), name, "id", {});
      this.#colls.set(name, c);
    }
    return c;
  }
  /** define declares a collection from JavaScript: its name, id field and optional hooks. */
  define({ name, id = "id", fromAPI, toAPI }) {
    if (this.#colls.has(name)) throw new Error(`tandem: collection ${name} is defined already`);
    const rt = this.#rt;
    const c = new Collection(rt, rt.call(rt.api.define(this.#h, name, id, !!fromAPI, !!toAPI)), name, id, { fromAPI, toAPI });
    this.#colls.set(name, c);
    return c;
  }
  /** query returns an observer of a query: TanStack Query's options. */
  query(options) {
    return new Query(this.#rt, this.#h, options);
  }
  /** invalidate marks the queries under key stale and refetches the active ones. */
  invalidate(key, { exact = false } = {}) {
    this.#rt.call(this.#rt.api.invalidate(this.#h, JSON.stringify(key), exact));
  }
  setQueryData(key, data) {
    this.#rt.call(this.#rt.api.setData(this.#h, JSON.stringify(key), data));
  }
  getQueryData(key) {
    return this.#rt.call(this.#rt.api.getData(this.#h, JSON.stringify(key)));
  }
  /** reconnect drops the realtime connection and connects again at once. */
  reconnect() {
    this.#rt.call(this.#rt.api.reconnect(this.#h));
  }
  close() {
    this.#rt.call(this.#rt.api.close(this.#h));
  }
}

/** A Collection is the optimistic, realtime set of one entity. */
class Collection {
  constructor(rt, h, name, idField, hooks) {
    this.rt = rt;
    this.h = h;
    this.name = name;
    this.idField = idField;
    this.hooks = hooks;
    this.items = new Map(); // the mirror: id → object, for held ids
    this.holds = new Map(); // id → JavaScript holders
    this.entities = new Map(); // id → the Entity source with subscribers
    this.open = new Set(); // views following the collection
    this.parsed = new Map(); // get()'s cache: id → [json, object]
    rt.colls.set(h, this);
  }
  /** get returns entity id as the user sees it; inside a computed or effect the read is tracked. */
  get(id) {
    const json = this.rt.call(this.rt.api.cget(this.h, id));
    if (json === null) {
      this.parsed.delete(id);
      return undefined;
    }
    const hit = this.parsed.get(id);
    if (hit && hit[0] === json) return hit[1];
    const o = Object.freeze(JSON.parse(json));
    this.parsed.set(id, [json, o]);
    return o;
  }
  /** isPending reports (tracked) whether id has mutations waiting for the server. */
  isPending(id) {
    return this.rt.call(this.rt.api.cpending(this.h, id));
  }
  /** create shows value at once and resolves with the object the server confirmed. */
  create(value) {
    const [token, p] = this.rt.settle();
    this.rt.call(this.rt.api.create(this.h, token, JSON.stringify(value)));
    return p;
  }
  /** update shows the patch at once and resolves with the object the server confirmed. */
  update(id, patch) {
    const [token, p] = this.rt.settle();
    this.rt.call(this.rt.api.update(this.h, token, id, JSON.stringify(patch)));
    return p;
  }
  /** delete hides the entity at once and resolves once the server deleted it. */
  delete(id) {
    const [token, p] = this.rt.settle();
    this.rt.call(this.rt.api.remove(this.h, token, id));
    return p;
  }
  /** validate returns the form's message per field for a create (or an update of id), or null. */
  validate(value, op = "create", id = "") {
    const r = this.rt.call(this.rt.api.validate(this.h, op, JSON.stringify(value), id));
    return r ? new TandemError(JSON.parse(r)).fields : null;
  }
  /** The fields of the entity's create and update forms (null for a collection defined in JavaScript). */
  get forms() {
    return JSON.parse(this.rt.call(this.rt.api.forms(this.h)));
  }
  /** view returns a live, ordered list: {where: {field: value}, orderBy: ["field", "-field"]}. */
  view(spec = {}) {
    return new View(this, spec);
  }
  /** entity returns a subscribable source of one entity. */
  entity(id) {
    return this.entities.get(id) ?? new Entity(this, id);
  }
  hold(id) {
    const n = this.holds.get(id) ?? 0;
    this.holds.set(id, n + 1);
    if (n === 0) this.rt.call(this.rt.api.hold(this.h, id));
  }
  unhold(id) {
    const n = this.holds.get(id) ?? 0;
    if (n <= 1) {
      this.holds.delete(id);
      if (n === 1) this.rt.call(this.rt.api.unhold(this.h, id));
    } else this.holds.set(id, n - 1);
  }
  // apply takes one collection's part of a batch.
  apply(changed, dropped, splices, touched) {
    for (const id of dropped) this.items.delete(id);
    const ids = [];
    for (const [id, o] of changed) {
      if (o === null) this.items.delete(id);
      else this.items.set(id, Object.freeze(o));
      ids.push(id);
      const e = this.entities.get(id);
      if (e) touched.add(e);
    }
    for (const [vid, start, del, add] of splices) {
      const v = this.rt.views.get(vid);
      if (v) {
        v.splice(start, del, add);
        touched.add(v);
      }
    }
    if (ids.length) for (const v of this.open) if (v.changed(ids)) touched.add(v);
  }
}

const EMPTY = Object.freeze([]);

/**
 * A View is a live list of a collection's entities, filtered and ordered in
 * Go. It follows the collection while it has subscribers (and for
 * keepAlive ms after the last one leaves, 1 s by default).
 */
class View {
  #coll;
  #spec;
  #id;
  #h = 0;
  #ids = [];
  #index = null; // id → position, rebuilt after a splice
  #items = EMPTY;
  #stale = null; // null: #items is current; true: rebuild; else the ids whose content changed
  #subs = new Set();
  #timer;
  constructor(coll, spec) {
    this.#coll = coll;
    this.#spec = JSON.stringify({ where: spec.where, orderBy: typeof spec.orderBy === "string" ? [spec.orderBy] : spec.orderBy });
    this.keepAlive = spec.keepAlive ?? 1000;
    this.#id = ++coll.rt.viewID;
  }
  /** get returns the entities in order (the same array until something changes). */
  get() {
    this.#open();
    if (this.#subs.size === 0) this.#idle();
    const stale = this.#stale;
    if (stale !== null) {
      const items = this.#coll.items;
      if (stale === true) {
        this.#items = Object.freeze(this.#ids.map((id) => items.get(id)));
      } else {
        // only some entities changed: a copy with those replaced, the
        // other objects kept (===)
        const next = this.#items.slice();
        const index = this.#positions();
        for (const id of stale) next[index.get(id)] = items.get(id);
        this.#items = Object.freeze(next);
      }
      this.#stale = null;
    }
    return this.#items;
  }
  get value() {
    return this.get();
  }
  /** The ids of the entities in order. */
  get ids() {
    this.get();
    return this.#ids;
  }
  /** subscribe calls fn with the entities now and after every change; it returns unsubscribe. */
  subscribe(fn) {
    this.#open();
    clearTimeout(this.#timer);
    this.#subs.add(fn);
    fn(this.get());
    return () => {
      if (this.#subs.delete(fn) && this.#subs.size === 0) this.#idle();
    };
  }
  #open() {
    if (this.#h) return;
    const rt = this.#coll.rt;
    rt.views.set(this.#id, this);
    this.#coll.open.add(this);
    this.#h = rt.call(rt.api.vopen(this.#coll.h, this.#id, this.#spec));
  }
  #idle() {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#close(), this.keepAlive);
    this.#timer.unref?.();
  }
  #close() {
    const rt = this.#coll.rt;
    if (!this.#h || this.#subs.size || rt.closed) return;
    rt.call(rt.api.vclose(this.#coll.h, this.#h));
    rt.views.delete(this.#id);
    this.#coll.open.delete(this);
    this.#h = 0;
    this.#ids = [];
    this.#index = null;
    this.#items = EMPTY;
    this.#stale = null;
  }
  #positions() {
    if (!this.#index) this.#index = new Map(this.#ids.map((id, i) => [id, i]));
    return this.#index;
  }
  splice(start, del, add) {
    const ids = this.#ids.slice();
    ids.splice(start, del, ...add);
    this.#ids = ids;
    this.#index = null;
    this.#stale = true;
  }
  // changed notes the entities of ids that are members, and reports
  // whether there were any.
  changed(ids) {
    if (this.#stale === true) return true;
    const index = this.#positions();
    let any = false;
    for (const id of ids) {
      if (index.has(id)) {
        (this.#stale ??= new Set()).add(id);
        any = true;
      }
    }
    return any;
  }
  emit() {
    if (this.#subs.size) this.#coll.rt.emit(this.#subs, this.get());
  }
}

/** An Entity is a subscribable source of one entity: undefined while absent. */
class Entity {
  #coll;
  #id;
  #subs = new Set();
  constructor(coll, id) {
    this.#coll = coll;
    this.#id = id;
  }
  get() {
    if (this.#subs.size) return this.#coll.items.get(this.#id);
    return this.#coll.get(this.#id);
  }
  get value() {
    return this.get();
  }
  subscribe(fn) {
    if (this.#subs.size === 0) {
      this.#coll.entities.set(this.#id, this);
      this.#coll.hold(this.#id);
    }
    this.#subs.add(fn);
    fn(this.get());
    return () => {
      if (this.#subs.delete(fn) && this.#subs.size === 0) {
        this.#coll.unhold(this.#id);
        if (this.#coll.entities.get(this.#id) === this) this.#coll.entities.delete(this.#id);
      }
    };
  }
  emit() {
    if (this.#subs.size) this.#coll.rt.emit(this.#subs, this.get());
  }
}

const STATUS = ["pending", "error", "success"];

// queryOptions is what Go reads of query()'s options: the key's JSON, and
// each option narrowed to one kind (see queryOptions in pkg/jsapi).
function queryOptions(o) {
  const { queryKey, queryFn, retry, retryDelay, placeholderData } = o;
  const refetch = (v) => (v === false ? 2 : v === "always" ? 1 : 0); // cache.Refetch
  return {
    ...o,
    keyJSON: JSON.stringify(queryKey),
    queryFn: typeof queryFn === "function" ? (signal) => queryFn({ queryKey, signal }) : undefined,
    retry: retry === true ? Number.MAX_SAFE_INTEGER : retry === false ? 0 : retry,
    retryDelay: typeof retryDelay === "number" ? () => retryDelay : retryDelay,
    placeholderData: typeof placeholderData === "function" || placeholderData === undefined ? placeholderData : () => placeholderData,
    refetchOnWindowFocus: refetch(o.refetchOnWindowFocus),
    refetchOnReconnect: refetch(o.refetchOnReconnect),
    refetchOnMount: refetch(o.refetchOnMount),
  };
}

/** A Query observes one query of the cache (TanStack Query's observer). */
class Query {
  #rt;
  #h;
  #subs = new Set();
  #result;
  constructor(rt, client, options) {
    this.#rt = rt;
    this.#h = rt.call(rt.api.query(client, queryOptions(options)));
    rt.freedQueries.register(this, this.#h, this);
    this.stale = true;
  }
  /** get returns the current result: status, data, error and the rest. */
  get() {
    if (this.stale || !this.#subs.size) {
      const [status, fetchStatus, data, error, flags, dataUpdatedAt, errorUpdatedAt, failureCount] = this.#rt.call(this.#rt.api.qresult(this.#h));
      const r = this.#result;
      if (!r || r.status !== status || r.fetchStatus !== fetchStatus || r.data !== data || r.error !== error || r.flags !== flags || r.failureCount !== failureCount) {
        this.#result = Object.freeze({
          status, fetchStatus, data, error, flags, dataUpdatedAt, errorUpdatedAt, failureCount,
          isPending: status === STATUS[0], isError: status === STATUS[1], isSuccess: status === STATUS[2],
          isFetching: fetchStatus === "fetching", isLoading: status === STATUS[0] && fetchStatus === "fetching",
          isPaused: fetchStatus === "paused", isStale: (flags & 2) !== 0, isPlaceholderData: (flags & 4) !== 0,
          isFetchedAfterMount: (flags & 8) !== 0,
        });
      }
      this.stale = false;
    }
    return this.#result;
  }
  get value() {
    return this.get();
  }
  /** subscribe activates the query (it fetches when stale) and calls fn with each result. */
  subscribe(fn) {
    if (this.#subs.size === 0) {
      this.#rt.queries.set(this.#h, this);
      this.#rt.call(this.#rt.api.qsub(this.#h));
    }
    this.#subs.add(fn);
    fn(this.get());
    return () => {
      if (this.#subs.delete(fn) && this.#subs.size === 0) {
        this.#rt.queries.delete(this.#h);
        if (!this.#rt.closed) this.#rt.call(this.#rt.api.qunsub(this.#h));
      }
    };
  }
  /** refetch fetches now. */
  refetch() {
    this.#rt.call(this.#rt.api.qrefetch(this.#h));
  }
  /** dispose stops the query for good. */
  dispose() {
    this.#subs.clear();
    this.#rt.queries.delete(this.#h);
    this.#rt.freedQueries.unregister(this);
    this.#rt.call(this.#rt.api.qfree(this.#h));
  }
  emit() {
    if (this.#subs.size) this.#rt.emit(this.#subs, this.get());
  }
}
