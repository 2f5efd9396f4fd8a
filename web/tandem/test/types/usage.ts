// Compiled by package.test.mjs with tsc --strict: every part of the API as
// a TypeScript user writes it. A wrong type here is a failing test.
import { load, TandemError, type Collection, type QueryResult, type Source, type View } from "../../index.js";
import { useEntity, useQuery, useStatus, useValue, useView } from "../../react.js";
import * as vue from "../../vue.js";
import * as svelte from "../../svelte.js";

interface Todo {
  id: string;
  listId: string;
  title: string;
  done: boolean;
  position: number;
}

export async function main(): Promise<void> {
  const t = await load({ wasm: "/tandem.wasm", onError: (e) => console.error(e) });
  const count = t.signal(1);
  const double = t.computed(() => count.get() * 2);
  const n: number = double.value;
  count.update((v) => v + n);
  const stop: () => void = t.effect(() => {
    console.log(double.get());
    return () => {};
  });
  stop();
  t.batch(() => count.set(3));
  const peeked: number = t.untracked(() => count.peek());
  console.log(peeked);

  const client = t.connect({ baseURL: "/api", storage: "session" });
  const status: "offline" | "connecting" | "resyncing" | "live" | "unauthorized" = client.status.get();
  console.log(status, client.pending.get() + 1, client.clientID.length);
  const todos: Collection<Todo> = client.collection<Todo>("todos");
  const view: View<Todo> = todos.view({ where: { listId: "l1", done: false }, orderBy: ["position", "-title"] });
  const first: Readonly<Todo> | undefined = view.get()[0];
  console.log(first?.title, view.ids.length);
  try {
    const created: Readonly<Todo> = await todos.create({ listId: "l1", title: "Milk" });
    await todos.update(created.id, { done: true });
    await todos.delete(created.id);
  } catch (e) {
    if (e instanceof TandemError) console.log(e.kind, e.status, e.fields.title);
  }
  // @ts-expect-error: a patch of a Todo has no such field
  void todos.update("t1", { colour: "red" });
  // @ts-expect-error: orderBy names fields of the entity
  todos.view({ orderBy: "colour" });
  // @ts-expect-error: a computed cannot be written
  double.set(3);
  const errs: Record<string, string> | null = todos.validate({ title: "" });
  console.log(errs, todos.forms.create?.length);

  const notes = client.define<{ key: string; text: string }, { id: string; body: string }>({
    name: "notes",
    id: "key",
    fromAPI: (o) => ({ key: o.id, text: o.body }),
    toAPI: (u) => ({ id: u.key, body: u.text }),
  });
  const entity: Source<Readonly<{ key: string; text: string }> | undefined> = notes.entity("n1");
  entity.subscribe((v) => console.log(v?.text))();

  const q = client.query({
    queryKey: ["weather", { city: "Oslo" }],
    queryFn: async ({ signal }) => (await fetch("/weather", { signal })).json() as Promise<{ temp: number }>,
    select: (d) => d.temp,
    staleTime: 60_000,
    retry: (count, _e) => count < 2,
    placeholderData: { temp: 0 },
  });
  const r: QueryResult<number> = q.get();
  console.log(r.data, r.isPlaceholderData);
  client.invalidate(["weather"], { exact: false });
  client.setQueryData(["weather", { city: "Oslo" }], { temp: 3 });
  await t.close();
}

export function ReactComponent(c: Collection<Todo>, client: ReturnType<Awaited<ReturnType<typeof load>>["connect"]>): string {
  const items: readonly Readonly<Todo>[] = useView(c, { where: { listId: "l1" }, orderBy: "position" });
  const one: Readonly<Todo> | undefined = useEntity(c, "t1");
  const status = useStatus(client);
  const q = useQuery(client, { queryKey: ["x"], queryFn: () => 1 });
  const v: number = useValue({ get: () => 1, value: 1, subscribe: () => () => {} });
  return `${items.length} ${one?.title} ${status} ${q.data} ${v}`;
}

export function VueSetup(c: Collection<Todo>, client: ReturnType<Awaited<ReturnType<typeof load>>["connect"]>): void {
  const items = vue.useView(c, () => ({ where: { listId: "l1" } }));
  const first: Readonly<Todo> | undefined = items.value[0];
  const status = vue.useStatus(client);
  console.log(first, status.value);
}

export function SvelteStores(c: Collection<Todo>): void {
  const store: svelte.Readable<readonly Readonly<Todo>[]> = svelte.view(c, { orderBy: "-position" });
  store.subscribe((items) => console.log(items.length))();
}
