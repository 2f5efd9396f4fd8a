import type { MaybeRefOrGetter, Ref, ShallowRef, WritableComputedRef } from "vue";
import type { Client, Collection, ConnectionStatus, QueryOptions, QueryResult, Signal, Source, ViewSpec } from "./index.js";

/** useValue returns a read-only ref of a Tandem source's value. */
export function useValue<T>(source: Source<T>): Readonly<ShallowRef<T>>;
/** useSignal returns a writable ref over a Tandem signal (v-model works on it). */
export function useSignal<T>(signal: Signal<T>): Ref<T>;
/** useView returns a ref of a collection's live list; spec may be a ref or a getter, followed. */
export function useView<T>(collection: Collection<T>, spec?: MaybeRefOrGetter<ViewSpec<T>>): Readonly<ShallowRef<readonly Readonly<T>[]>>;
/** useEntity returns a ref of one entity (undefined while absent). */
export function useEntity<T>(collection: Collection<T>, id: MaybeRefOrGetter<string>): Readonly<ShallowRef<Readonly<T> | undefined>>;
/** useQuery returns a ref of a query's result. */
export function useQuery<TData = unknown, TSelected = TData>(client: Client, options: QueryOptions<TData, TSelected>): Readonly<ShallowRef<QueryResult<TSelected>>>;
/** useStatus returns a ref of the client's connection status. */
export function useStatus(client: Client): Readonly<ShallowRef<ConnectionStatus>>;
