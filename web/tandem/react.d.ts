import type { Client, Collection, ConnectionStatus, QueryOptions, QueryResult, Source, ViewSpec } from "./index.js";

/** useValue returns the current value of a Tandem source and re-renders on its changes. */
export function useValue<T>(source: Source<T>): T;
/** useView returns a collection's live list for spec; a new spec (by value) opens a new view. */
export function useView<T>(collection: Collection<T>, spec?: ViewSpec<T>): readonly Readonly<T>[];
/** useEntity returns one entity of a collection, or undefined while it is absent. */
export function useEntity<T>(collection: Collection<T>, id: string): Readonly<T> | undefined;
/** useQuery returns a query's result; a new queryKey (by value) starts a new observer. */
export function useQuery<TData = unknown, TSelected = TData>(client: Client, options: QueryOptions<TData, TSelected>): QueryResult<TSelected>;
/** useStatus returns the client's connection status. */
export function useStatus(client: Client): ConnectionStatus;
