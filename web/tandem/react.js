// React bindings of @tandemkit/tandem, on useSyncExternalStore: a component
// re-renders when, and only when, the value it reads changes. Every Tandem
// source (signals, views, entities, queries, a client's status) keeps the
// same value (===) until it changes, as useSyncExternalStore requires.

import { useCallback, useMemo, useSyncExternalStore } from "react";

/** useValue returns the current value of a Tandem source and re-renders on its changes. */
export function useValue(source) {
  const subscribe = useCallback(
    (onChange) => {
      let first = true; // subscribe calls at once with the current value: React has it already
      return source.subscribe(() => {
        if (first) first = false;
        else onChange();
      });
    },
    [source],
  );
  const get = useCallback(() => source.get(), [source]);
  return useSyncExternalStore(subscribe, get, get);
}

/** useView returns a collection's live list for spec ({where, orderBy}); a new spec (by value) opens a new view. */
export function useView(collection, spec) {
  const key = JSON.stringify(spec ?? {});
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const view = useMemo(() => collection.view(spec ?? {}), [collection, key]);
  return useValue(view);
}

/** useEntity returns one entity of a collection, or undefined while it is absent. */
export function useEntity(collection, id) {
  const source = useMemo(() => collection.entity(id), [collection, id]);
  return useValue(source);
}

/** useQuery returns a query's result; a new queryKey (by value) starts a new observer. */
export function useQuery(client, options) {
  const key = JSON.stringify(options.queryKey);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const query = useMemo(() => client.query(options), [client, key]);
  return useValue(query);
}

/** useStatus returns the client's connection status. */
export function useStatus(client) {
  return useValue(client.status);
}
