// Vue bindings of @tandemkit/tandem: composables returning refs that follow
// Tandem sources, unsubscribed when the calling component's (or effect
// scope's) scope ends.

import { customRef, getCurrentScope, onScopeDispose, shallowRef, toValue, watch } from "vue";

function follow(source, target) {
  return source.subscribe((v) => {
    target.value = v;
  });
}

/** useValue returns a read-only ref of a Tandem source's value. */
export function useValue(source) {
  const r = shallowRef();
  const stop = follow(source, r);
  if (getCurrentScope()) onScopeDispose(stop);
  return r;
}

/** useSignal returns a writable ref over a Tandem signal (v-model works on it). */
export function useSignal(signal) {
  let trigger;
  const stop = signal.subscribe(() => trigger?.());
  if (getCurrentScope()) onScopeDispose(stop);
  return customRef((track, t) => {
    trigger = t;
    return {
      get() {
        track();
        return signal.peek();
      },
      set(v) {
        signal.set(v);
      },
    };
  });
}

/** useView returns a ref of a collection's live list; spec may be a ref or a getter, followed. */
export function useView(collection, spec) {
  const r = shallowRef([]);
  let stop;
  watch(
    () => JSON.stringify(toValue(spec) ?? {}),
    (key) => {
      stop?.();
      stop = follow(collection.view(JSON.parse(key)), r);
    },
    { immediate: true },
  );
  if (getCurrentScope()) onScopeDispose(() => stop?.());
  return r;
}

/** useEntity returns a ref of one entity (undefined while absent); id may be a ref or a getter. */
export function useEntity(collection, id) {
  const r = shallowRef();
  let stop;
  watch(
    () => toValue(id),
    (v) => {
      stop?.();
      stop = follow(collection.entity(v), r);
    },
    { immediate: true },
  );
  if (getCurrentScope()) onScopeDispose(() => stop?.());
  return r;
}

/** useQuery returns a ref of a query's result. */
export function useQuery(client, options) {
  return useValue(client.query(options));
}

/** useStatus returns a ref of the client's connection status. */
export function useStatus(client) {
  return useValue(client.status);
}
