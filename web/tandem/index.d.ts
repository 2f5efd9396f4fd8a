// Types of @tandemkit/tandem. See the README for a tour.

/** Options of load(). */
export interface LoadOptions {
  /** The WebAssembly module: a URL (tandem.wasm next to index.js by default), its bytes, a Response or a compiled Module. */
  wasm?: string | URL | ArrayBuffer | ArrayBufferView | Response | WebAssembly.Module;
  /** Receives what no caller can: a failing effect, a listener that threw, a store failure. console.error by default. */
  onError?: (error: unknown) => void;
}

/** load starts a Tandem runtime and resolves once Go is ready. */
export function load(options?: LoadOptions): Promise<Tandem>;

/** What every reactive thing of Tandem is: a value you can read and follow. Also Svelte's store contract. */
export interface Source<T> {
  /** The current value. */
  get(): T;
  /** The current value, as a property. */
  readonly value: T;
  /** subscribe calls fn with the value now and after every change, and returns the function that stops it. */
  subscribe(fn: (value: T) => void): () => void;
}

/** A value of the signal graph. get() inside computed() or effect() is tracked. */
export declare class ReadonlySignal<T> implements Source<T> {
  /** Signals come from Tandem.signal and Tandem.computed. */
  protected constructor();
  get(): T;
  /** peek reads without tracking. */
  peek(): T;
  readonly value: T;
  subscribe(fn: (value: T) => void): () => void;
}

/** A writable signal. A write of the same value (===) notifies nobody. */
export declare class Signal<T> extends ReadonlySignal<T> {
  set(value: T): void;
  update(fn: (value: T) => T): void;
  value: T;
}

/** A started runtime. */
export interface Tandem {
  signal<T>(value: T): Signal<T>;
  computed<T>(fn: () => T): ReadonlySignal<T>;
  /** effect runs fn now and whenever what it read changes; a function fn returns is its cleanup. It returns dispose. */
  effect(fn: () => void | (() => void)): () => void;
  /** batch runs fn; effects run once, when it returns. */
  batch<T>(fn: () => T): T;
  /** untracked runs fn without recording what it reads. */
  untracked<T>(fn: () => T): T;
  /** connect opens a client of a Tandem server. */
  connect(options?: ClientOptions): Client;
  /** The names of the entities declared in Go, for Client.collection. */
  readonly entities: readonly string[];
  readonly TandemError: typeof TandemError;
  /** close ends the runtime: its clients close and its Go program exits; later calls throw. */
  close(): Promise<void>;
}

/** Where pending mutations wait across reloads. */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface ClientOptions {
  /** The REST API's root: "/api" by default. */
  baseURL?: string;
  /** The WebSocket endpoint: baseURL + "/ws" with ws: or wss: by default. */
  wsURL?: string;
  /** The offline queue's storage: "session" (default in a browser; memory elsewhere), "local", "memory", "none", or a Web Storage. */
  storage?: "session" | "local" | "memory" | "none" | StorageLike;
  /** The record's name in storage: "tandem.outbox" by default. */
  storageKey?: string;
  /** This runtime's clientID: 32 hex digits or a UUID; random by default. */
  clientID?: string;
  /** Headers sent with every REST request (authorization, say). */
  headers?: Record<string, string>;
}

export type ConnectionStatus = "offline" | "connecting" | "resyncing" | "live" | "unauthorized";

/** A connection to a Tandem server. */
export interface Client {
  /** Where the realtime connection stands. */
  readonly status: ReadonlySignal<ConnectionStatus>;
  /** How many mutations wait for the server. */
  readonly pending: ReadonlySignal<number>;
  readonly clientID: string;
  /** The collection of an entity declared in Go: its forms validate creates and updates. */
  collection<T extends object = Entity>(name: string): Collection<T>;
  /** A collection declared from JavaScript. */
  define<T extends object = Entity, API extends object = Entity>(spec: DefineSpec<T, API>): Collection<T>;
  /** An observer of a query of the cache. */
  query<TData = unknown, TSelected = TData>(options: QueryOptions<TData, TSelected>): Query<TSelected>;
  /** invalidate marks the queries under key (a prefix, unless exact) stale and refetches the active ones. */
  invalidate(key: QueryKey, options?: { exact?: boolean }): void;
  setQueryData<T>(key: QueryKey, data: T): void;
  getQueryData<T>(key: QueryKey): T | undefined;
  /** reconnect drops the realtime connection and connects again at once. */
  reconnect(): void;
  close(): void;
}

/** An entity as the protocol carries it. */
export interface Entity {
  id: string;
  [field: string]: unknown;
}

export interface DefineSpec<T, API> {
  /** The collection's name in URLs and topics. */
  name: string;
  /** The property of the UI objects holding the id; "id" by default. */
  id?: string;
  /** Turns a server object into what the UI shows. */
  fromAPI?: (o: API) => T;
  /** Turns a UI object into the server object sent. */
  toAPI?: (o: T) => API;
}

/** The fields of an entity's forms (null for a collection defined in JavaScript). */
export interface Forms {
  create: string[] | null;
  update: string[] | null;
}

/** The spec of a view: equality filters on top-level fields, and sort keys ("-field" descending). */
export interface ViewSpec<T> {
  where?: Partial<{ [K in keyof T]: T[K] }>;
  orderBy?: (keyof T & string) | `-${keyof T & string}` | Array<(keyof T & string) | `-${keyof T & string}`>;
  /** How long the view keeps following the collection after its last subscriber left, in ms; 1000 by default. */
  keepAlive?: number;
}

/** The optimistic, realtime set of one entity. */
export interface Collection<T> {
  readonly name: string;
  /** get returns the entity as the user sees it, or undefined; inside computed() or effect() it is tracked. */
  get(id: string): Readonly<T> | undefined;
  /** isPending reports (tracked) whether the entity has mutations waiting for the server. */
  isPending(id: string): boolean;
  /** create shows the entity at once (an id is generated when it has none) and resolves with what the server confirmed; a refusal rolls it back and rejects with a TandemError. */
  create(value: Partial<T>): Promise<Readonly<T>>;
  /** update shows the patch at once and resolves with what the server confirmed; a refusal rolls it back and rejects with a TandemError. */
  update(id: string, patch: Partial<T>): Promise<Readonly<T>>;
  /** delete hides the entity at once and resolves once the server deleted it. */
  delete(id: string): Promise<void>;
  /** validate runs the entity's form on a create (or an update of id) and returns a message per invalid field, or null. */
  validate(value: Partial<T>, op?: "create" | "update", id?: string): Record<string, string> | null;
  readonly forms: Forms;
  /** view returns a live list, filtered and ordered in Go. */
  view(spec?: ViewSpec<T>): View<T>;
  /** entity returns a source of one entity: undefined while absent. */
  entity(id: string): Source<Readonly<T> | undefined>;
}

/** A live list of a collection's entities. A change to one entity crosses alone and keeps the other objects as they were (===). */
export interface View<T> extends Source<readonly Readonly<T>[]> {
  /** The ids of the entities, in order. */
  readonly ids: readonly string[];
  keepAlive: number;
}

export type QueryKey = readonly unknown[];

export interface QueryFunctionContext {
  queryKey: QueryKey;
  /** Aborted when the fetch is cancelled. */
  signal: AbortSignal;
}

/** TanStack Query's observer options. Durations are in ms; Infinity never expires. */
export interface QueryOptions<TData, TSelected = TData> {
  queryKey: QueryKey;
  queryFn?: (context: QueryFunctionContext) => TData | Promise<TData>;
  /** How long data stays fresh: 0 by default; Infinity until invalidated; "static" for ever. */
  staleTime?: number | "static";
  /** How long an unobserved query stays cached: 5 minutes by default. */
  gcTime?: number;
  /** Retries: 3 by default; false for none; true for ever; or a decision per failure. */
  retry?: boolean | number | ((failureCount: number, error: unknown) => boolean);
  /** The pause before a retry, in ms: exponential from 1 s by default. */
  retryDelay?: number | ((failureCount: number, error: unknown) => number);
  /** Shown while the query is pending without data; never cached. */
  placeholderData?: TData | ((previous: TData | undefined) => TData | undefined);
  /** Derives what the result shows from the data; it runs again only when the data changes. It must not call Tandem. */
  select?: (data: TData) => TSelected;
  /** false keeps the query from fetching by itself. */
  enabled?: boolean;
  /** Polling interval in ms while subscribed. */
  refetchInterval?: number;
  refetchOnWindowFocus?: boolean | "always";
  refetchOnReconnect?: boolean | "always";
  refetchOnMount?: boolean | "always";
  /** "always" fetches even offline. */
  networkMode?: "online" | "always";
}

export interface QueryResult<T> {
  status: "pending" | "error" | "success";
  fetchStatus: "fetching" | "paused" | "idle";
  data: T | undefined;
  error: unknown;
  isPending: boolean;
  isSuccess: boolean;
  isError: boolean;
  isFetching: boolean;
  isLoading: boolean;
  isPaused: boolean;
  isStale: boolean;
  isPlaceholderData: boolean;
  isFetchedAfterMount: boolean;
  /** ms since the epoch; 0 when never. */
  dataUpdatedAt: number;
  errorUpdatedAt: number;
  failureCount: number;
}

/** An observer of one query: it fetches while subscribed, when the data is missing or stale. */
export interface Query<T> extends Source<QueryResult<T>> {
  refetch(): void;
  /** dispose stops the query for good. */
  dispose(): void;
}

/** A mutation's or a validation's failure. */
export declare class TandemError extends Error {
  /** "invalid": the form refused it, nothing was sent; "rejected": the server refused it; "conflict": 409; "error": anything else. */
  kind: "invalid" | "rejected" | "conflict" | "error";
  /** The HTTP status of a refusal, else 0. */
  status: number;
  /** The protocol's error code, or "". */
  code: string;
  /** A message per field, the same on both sides. */
  fields: Record<string, string>;
}
