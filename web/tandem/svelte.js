// Svelte bindings of @tandemkit/tandem. Every Tandem source already keeps
// Svelte's store contract — subscribe(fn) calls fn with the current value
// at once and after every change, and returns the function that stops it —
// and a Signal has set and update, so $source works in a component as it
// is. These helpers name the common cases and hide what a store does not
// need.

/** readable returns a Svelte readable store of a Tandem source. */
export function readable(source) {
  return { subscribe: (fn) => source.subscribe(fn) };
}

/** writable returns a Svelte writable store over a Tandem signal. */
export function writable(signal) {
  return {
    subscribe: (fn) => signal.subscribe(fn),
    set: (v) => signal.set(v),
    update: (fn) => signal.update(fn),
  };
}

/** view returns a readable store of a collection's live list. */
export function view(collection, spec) {
  return readable(collection.view(spec ?? {}));
}

/** entity returns a readable store of one entity (undefined while absent). */
export function entity(collection, id) {
  return readable(collection.entity(id));
}

/** query returns a readable store of a query's result. */
export function query(client, options) {
  return readable(client.query(options));
}

/** status returns a readable store of the client's connection status. */
export function status(client) {
  return readable(client.status);
}
