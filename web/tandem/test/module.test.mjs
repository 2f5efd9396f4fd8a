// The ES module against the real WebAssembly module and a real server:
// signals, collections with optimistic mutations, validation with the Go
// forms, realtime between two clients, views that cross by the entity, and
// queries.

import { test } from "node:test";
import assert from "node:assert/strict";
import { TandemError } from "../index.js";
import { next, runtime, server, until } from "./helpers.mjs";

const url = await server();
const t = await runtime();

function connect() {
  const c = t.connect({ baseURL: url + "/api", storage: "memory" });
  return c;
}

async function live(c) {
  await until(() => c.status.peek() === "live", 5000, "a live connection");
}

test("signals, computeds and effects run in the Go graph over JavaScript values", () => {
  const a = t.signal(1);
  const b = t.computed(() => a.get() * 2);
  const seen = [];
  const dispose = t.effect(() => {
    seen.push(b.get());
  });
  a.set(5);
  t.batch(() => {
    a.set(6);
    a.set(7);
  });
  dispose();
  a.set(9);
  assert.deepEqual(seen, [2, 10, 14], "one run per write, one per batch, none after dispose");
  assert.equal(b.get(), 18);
});

test("a signal holds any JavaScript value and notifies only a change (===)", () => {
  const o = { x: 1 };
  const s = t.signal(o);
  const got = [];
  const stop = s.subscribe((v) => got.push(v));
  s.set(o);
  s.set({ x: 1 });
  s.update((v) => ({ ...v, x: 2 }));
  stop();
  assert.equal(got.length, 3, "now, the new object, the update; not the same object again");
  assert.equal(got[0], o);
  assert.deepEqual(got[2], { x: 2 });
});

test("untracked reads do not subscribe, and an effect's cleanup runs before its next run", () => {
  const a = t.signal(1);
  const other = t.signal(1);
  const log = [];
  const dispose = t.effect(() => {
    const v = a.get();
    t.untracked(() => other.get());
    log.push(`run ${v}`);
    return () => log.push(`cleanup ${v}`);
  });
  other.set(2);
  a.set(2);
  dispose();
  assert.deepEqual(log, ["run 1", "cleanup 1", "run 2", "cleanup 2"]);
});

test("an exception thrown in a computed reaches its reader as the same exception", () => {
  const boom = new RangeError("boom");
  const c = t.computed(() => {
    throw boom;
  });
  assert.throws(() => c.get(), (e) => e === boom);
});

test("the entities declared in Go are listed with their forms", () => {
  const c = connect();
  assert.deepEqual(t.entities, ["lists", "todos"]);
  assert.deepEqual(c.collection("todos").forms, { create: ["listId", "title", "done", "position"], update: ["listId", "title", "done", "position"] });
  c.close();
});

test("validation runs the Go form and says what the server says", () => {
  const c = connect();
  const todos = c.collection("todos");
  assert.deepEqual(todos.validate({ listId: "l", title: " " }), { title: "is required" });
  assert.deepEqual(todos.validate({ listId: "l", title: "x".repeat(201) }), { title: "must be 1 to 200 characters" });
  assert.deepEqual(todos.validate({ title: "a" }), { listId: "is required" });
  assert.deepEqual(todos.validate({ listId: "l", title: 5 }), { title: "must be a string" });
  assert.equal(todos.validate({ listId: "l", title: "ok" }), null);
  c.close();
});

test("a create shows at once, resolves with the server's object, and an invalid one is refused before sending", async () => {
  const c = connect();
  await live(c);
  const lists = c.collection("lists");
  const todos = c.collection("todos");
  const list = await lists.create({ name: "Groceries" });
  assert.match(list.id, /^[0-9a-f-]{36}$/);
  const view = todos.view({ where: { listId: list.id }, orderBy: "position" });
  const shown = [];
  const stop = view.subscribe((items) => shown.push(items.map((i) => i.title)));
  const p = todos.create({ listId: list.id, title: "Milk", position: 1 });
  assert.deepEqual(view.get().map((i) => i.title), ["Milk"], "visible before the server answers");
  const milk = await p;
  assert.equal(milk.title, "Milk");
  assert.ok(milk.updatedAt, "the server stamped it");
  const err = await todos.create({ listId: list.id, title: "" }).catch((e) => e);
  assert.ok(err instanceof TandemError);
  assert.equal(err.kind, "invalid");
  assert.deepEqual(err.fields, { title: "is required" });
  assert.equal(c.pending.get(), 0, "nothing was sent");
  stop();
  assert.deepEqual(shown[0], []);
  assert.deepEqual(shown.at(-1), ["Milk"]);
  c.close();
});

test("a refused mutation rolls back and rejects with the server's field error", async () => {
  const c = connect();
  await live(c);
  const list = await c.collection("lists").create({ name: "Refusals" });
  const todos = c.collection("todos");
  await todos.create({ listId: list.id, title: "Milk", position: 1 });
  const view = todos.view({ where: { listId: list.id }, orderBy: ["position"] });
  const shown = [];
  const stop = view.subscribe((items) => shown.push(items.map((i) => i.title)));
  const err = await todos.create({ listId: list.id, title: " MILK", position: 2 }).catch((e) => e);
  assert.ok(err instanceof TandemError);
  assert.equal(err.kind, "rejected");
  assert.equal(err.status, 422);
  assert.deepEqual(err.fields, { title: "is already used in this list" });
  assert.deepEqual(shown, [["Milk"], ["Milk", " MILK"], ["Milk"]], "shown at once, then rolled back");
  stop();
  c.close();
});

test("updates and deletes are optimistic and confirmed", async () => {
  const c = connect();
  await live(c);
  const list = await c.collection("lists").create({ name: "Edits" });
  const todos = c.collection("todos");
  const milk = await todos.create({ listId: list.id, title: "Milk" });
  const entity = todos.entity(milk.id);
  const seen = [];
  const stop = entity.subscribe((v) => seen.push(v && `${v.title}${v.done ? " ✓" : ""}`));
  const p = todos.update(milk.id, { done: true, title: "Oat milk" });
  assert.equal(entity.get().title, "Oat milk", "visible at once");
  assert.equal(todos.isPending(milk.id), true);
  const done = await p;
  assert.equal(done.done, true);
  assert.equal(todos.isPending(milk.id), false);
  const rename = await todos.update(milk.id, { title: "x".repeat(201) }).catch((e) => e);
  assert.deepEqual(rename.fields, { title: "must be 1 to 200 characters" });
  const gone = todos.delete(milk.id);
  assert.equal(entity.get(), undefined, "hidden at once");
  await gone;
  stop();
  assert.deepEqual(seen, ["Milk", "Oat milk ✓", "Oat milk ✓", undefined]);
  c.close();
});

test("a change made by another client shows live, and crosses as that entity alone", async () => {
  const a = connect();
  const b = connect();
  await Promise.all([live(a), live(b)]);
  const list = await a.collection("lists").create({ name: "Shared" });
  const ta = a.collection("todos");
  const tb = b.collection("todos");
  for (let i = 0; i < 20; i++) await ta.create({ listId: list.id, title: `t${i}`, position: i });
  const view = tb.view({ where: { listId: list.id }, orderBy: "position" });
  const first = view.get().length === 20 ? view.get() : await new Promise((resolve) => {
    const stop = view.subscribe((items) => {
      if (items.length === 20) {
        queueMicrotask(() => stop());
        resolve(items);
      }
    });
  });
  assert.equal(first.length, 20);
  const changed = next(view);
  await ta.update(first[7].id, { title: "seven" });
  const after = await changed;
  assert.equal(after[7].title, "seven");
  for (let i = 0; i < 20; i++) if (i !== 7) assert.equal(after[i], first[i], `item ${i} is the same object`);
  assert.deepEqual(view.ids, first.map((x) => x.id), "ids unchanged");
  a.close();
  b.close();
});

test("a collection defined in JavaScript maps objects through its hooks and id field", async () => {
  const c = connect();
  await live(c);
  const lists = c.define({
    name: "lists",
    id: "key",
    fromAPI: (o) => ({ key: o.id, label: o.name.toUpperCase(), name: o.name }),
    toAPI: (u) => ({ id: u.key, name: u.name }),
  });
  const l = await lists.create({ name: "hooked" });
  assert.equal(l.label, "HOOKED");
  assert.ok(l.key);
  const v = lists.view({ orderBy: "label" });
  const items = v.get();
  assert.ok(items.some((x) => x.key === l.key && x.label === "HOOKED"));
  const renamed = await lists.update(l.key, { name: "renamed" });
  assert.equal(renamed.label, "RENAMED", "the patch was sent with the server's names");
  c.close();
});

test("queries: stale time, retry, select, placeholder and invalidate", async () => {
  const c = connect();
  let calls = 0;
  let fail = 2;
  const queryFn = async ({ queryKey, signal }) => {
    assert.ok(signal instanceof AbortSignal);
    assert.deepEqual(queryKey, ["numbers", { page: 1 }]);
    calls++;
    if (fail-- > 0) throw new Error("flaky");
    return { n: calls };
  };
  const q = c.query({
    queryKey: ["numbers", { page: 1 }],
    queryFn,
    retry: 3,
    retryDelay: 1,
    staleTime: Infinity,
    select: (d) => d.n * 10,
    placeholderData: { n: 0 },
  });
  const results = [];
  const stop = q.subscribe((r) => results.push(r));
  assert.equal(results[0].isPlaceholderData, true);
  assert.equal(results[0].data, 0, "the placeholder, selected too");
  assert.equal(results[0].status, "success", "a placeholder shows as success, as in TanStack");
  await until(() => !q.get().isPlaceholderData, 5000, "the query to succeed after retries");
  assert.equal(q.get().data, 30, "two failures retried, then selected");
  assert.equal(calls, 3);
  const again = c.query({ queryKey: ["numbers", { page: 1 }], queryFn, staleTime: Infinity });
  const stop2 = again.subscribe(() => {});
  assert.deepEqual(again.get().data, { n: 3 }, "fresh data is shared, not refetched");
  assert.equal(calls, 3);
  c.invalidate(["numbers"]);
  await until(() => calls === 4, 5000, "the refetch after invalidate");
  await until(() => q.get().data === 40, 5000, "the new data");
  c.setQueryData(["numbers", { page: 1 }], { n: 7 });
  assert.equal(q.get().data, 70);
  assert.deepEqual(c.getQueryData(["numbers", { page: 1 }]), { n: 7 });
  stop();
  stop2();
  q.dispose();
  again.dispose();
  c.close();
});

test("a query that keeps failing reports the function's own error", async () => {
  const c = connect();
  const boom = new Error("nope");
  const q = c.query({ queryKey: ["failing"], queryFn: () => Promise.reject(boom), retry: false });
  const stop = q.subscribe(() => {});
  await until(() => q.get().isError, 5000, "the error");
  assert.equal(q.get().error, boom);
  stop();
  q.dispose();
  c.close();
});

test("the connection status follows the realtime connection", async () => {
  const c = connect();
  const seen = [];
  const stop = c.status.subscribe((s) => seen.push(s));
  await live(c);
  assert.deepEqual([seen[0], seen.at(-1)], ["connecting", "live"]);
  c.close();
  stop();
  assert.equal(seen.at(-1), "offline");
});

test("a view read without subscribers still shows changes", async () => {
  const c = connect();
  await live(c);
  const list = await c.collection("lists").create({ name: "Unsubscribed" });
  const todos = c.collection("todos");
  const a = await todos.create({ listId: list.id, title: "a" });
  const view = todos.view({ where: { listId: list.id } });
  assert.deepEqual(view.get().map((x) => x.title), ["a"]);
  await todos.update(a.id, { title: "b" });
  assert.deepEqual(view.get().map((x) => x.title), ["b"]);
  c.close();
});
