// The React hooks, with React and react-dom from npm, in jsdom.
import "./dom.mjs";
import { test } from "node:test";
import assert from "node:assert/strict";
import { act, createElement as h, memo } from "react";
import { createRoot } from "react-dom/client";
import { useEntity, useQuery, useStatus, useValue, useView } from "../react.js";
import { mountPoint } from "./dom.mjs";
import { runtime, server, until } from "./helpers.mjs";

const url = await server();
const t = await runtime();
const client = t.connect({ baseURL: url + "/api", storage: "memory" });
const lists = client.collection("lists");
const todos = client.collection("todos");

async function render(element) {
  const root = createRoot(mountPoint());
  await act(async () => root.render(element));
  return root;
}

test("useValue re-renders when a signal changes, and only then", async () => {
  const count = t.signal(1);
  const double = t.computed(() => count.get() * 2);
  let renders = 0;
  let shown;
  function Counter() {
    renders++;
    shown = useValue(double);
    return h("p", null, shown);
  }
  const root = await render(h(Counter));
  assert.equal(shown, 2);
  await act(async () => count.set(2));
  assert.equal(shown, 4);
  const before = renders;
  await act(async () => count.set(2));
  assert.equal(renders, before, "the same value renders nothing");
  await act(async () => root.unmount());
});

test("useView shows a live list, and a change to one entity re-renders that row alone", async () => {
  const list = await lists.create({ name: "React" });
  for (let i = 0; i < 5; i++) await todos.create({ listId: list.id, title: `t${i}`, position: i });
  const rowRenders = new Map();
  const Row = memo(function Row({ todo }) {
    rowRenders.set(todo.id, (rowRenders.get(todo.id) ?? 0) + 1);
    return h("li", { "data-id": todo.id }, todo.title);
  });
  let items = [];
  function List() {
    items = useView(todos, { where: { listId: list.id }, orderBy: ["position"] });
    return h("ul", null, items.map((todo) => h(Row, { key: todo.id, todo })));
  }
  const root = await render(h(List));
  assert.deepEqual(items.map((x) => x.title), ["t0", "t1", "t2", "t3", "t4"]);
  const before = new Map(rowRenders);
  await act(async () => {
    await todos.update(items[2].id, { title: "two" });
  });
  assert.equal(items[2].title, "two");
  for (const [id, n] of rowRenders) {
    if (id === items[2].id) assert.ok(n > before.get(id), "the changed row rendered");
    else assert.equal(n, before.get(id), `row ${id} did not render again`);
  }
  await act(async () => root.unmount());
});

test("useEntity follows one entity and useStatus the connection", async () => {
  const list = await lists.create({ name: "Entity" });
  const milk = await todos.create({ listId: list.id, title: "Milk" });
  let shown;
  let status;
  function One() {
    shown = useEntity(todos, milk.id);
    status = useStatus(client);
    return h("span", null, shown?.title ?? "(gone)");
  }
  const root = await render(h(One));
  await act(async () => until(() => status === "live", 5000, "live"));
  assert.equal(shown.title, "Milk");
  await act(async () => {
    await todos.update(milk.id, { done: true });
  });
  assert.equal(shown.done, true);
  await act(async () => {
    await todos.delete(milk.id);
  });
  assert.equal(shown, undefined);
  await act(async () => root.unmount());
});

test("useQuery shows the query's result as it settles", async () => {
  let result;
  function Q() {
    result = useQuery(client, { queryKey: ["react", 1], queryFn: async () => ({ hello: "world" }), select: (d) => d.hello });
    return h("i", null, result.data ?? "…");
  }
  const root = await render(h(Q));
  await act(async () => until(() => result.isSuccess, 5000, "the query"));
  assert.equal(result.data, "world");
  await act(async () => root.unmount());
});
