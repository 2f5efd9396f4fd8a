import type { Client, Collection, ConnectionStatus, QueryOptions, QueryResult, Signal, Source, ViewSpec } from "./index.js";

/** Svelte's store contract. */
export interface Readable<T> {
  subscribe(run: (value: T) => void): () => void;
}
export interface Writable<T> extends Readable<T> {
  set(value: T): void;
  update(fn: (value: T) => T): void;
}

/** readable returns a Svelte readable store of a Tandem source. */
export function readable<T>(source: Source<T>): Readable<T>;
/** writable returns a Svelte writable store over a Tandem signal. */
export function writable<T>(signal: Signal<T>): Writable<T>;
/** view returns a readable store of a collection's live list. */
export function view<T>(collection: Collection<T>, spec?: ViewSpec<T>): Readable<readonly Readonly<T>[]>;
/** entity returns a readable store of one entity (undefined while absent). */
export function entity<T>(collection: Collection<T>, id: string): Readable<Readonly<T> | undefined>;
/** query returns a readable store of a query's result. */
export function query<TData = unknown, TSelected = TData>(client: Client, options: QueryOptions<TData, TSelected>): Readable<QueryResult<TSelected>>;
/** status returns a readable store of the client's connection status. */
export function status(client: Client): Readable<ConnectionStatus>;
