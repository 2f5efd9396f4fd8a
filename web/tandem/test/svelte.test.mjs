// The Svelte store contract, with Svelte from npm: a component compiled by
// svelte/compiler reads Tandem sources as $stores, in jsdom. Run with
// --conditions=browser (npm test does), so that svelte resolves to its
// client runtime.
import "./dom.mjs";
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, mkdirSync, writeFileSync } from "node:fs";
import { compile } from "svelte/compiler";
import { flushSync, mount, unmount } from "svelte";
import { get } from "svelte/store";
import { status, view, writable } from "../svelte.js";
import { mountPoint } from "./dom.mjs";
import { runtime, server, until } from "./helpers.mjs";

const url = await server();
const t = await runtime();
const client = t.connect({ baseURL: url + "/api", storage: "memory" });
const lists = client.collection("lists");
const todos = client.collection("todos");

async function component(name) {
  const src = readFileSync(new URL(`./svelte/${name}.svelte`, import.meta.url), "utf8");
  const { js } = compile(src, { generate: "client", filename: `${name}.svelte` });
  const dir = new URL("../node_modules/.cache/tandem-svelte/", import.meta.url); // resolves svelte from node_modules
  mkdirSync(dir, { recursive: true });
  const file = new URL(`${name}.mjs`, dir);
  writeFileSync(file, js.code);
  return (await import(file.href)).default;
}

test("Tandem sources keep Svelte's store contract: get() and $store read them", async () => {
  const count = t.signal(3);
  assert.equal(get(count), 3, "svelte/store's get subscribes and unsubscribes");
  const store = writable(count);
  store.update((n) => n + 1);
  assert.equal(count.peek(), 4);
  assert.equal(get(status(client)), client.status.peek());
});

test("a compiled component shows a live view and writes a signal", async () => {
  const list = await lists.create({ name: "Svelte" });
  await todos.create({ listId: list.id, title: "first", position: 1 });
  const count = t.signal(0);
  const items = view(todos, { where: { listId: list.id }, orderBy: "position" });
  const List = await component("List");
  const el = mountPoint();
  const app = mount(List, { target: el, props: { items, count } });
  flushSync();
  const titles = () => [...el.querySelectorAll("li")].map((x) => x.textContent);
  await until(() => titles().length === 1, 5000, "the first render");
  assert.deepEqual(titles(), ["first"]);
  await todos.create({ listId: list.id, title: "second", position: 2 });
  flushSync();
  assert.deepEqual(titles(), ["first", "second"]);
  el.querySelector("button").click();
  flushSync();
  assert.equal(count.peek(), 1);
  assert.equal(el.querySelector(".count").textContent, "1");
  unmount(app);
});
