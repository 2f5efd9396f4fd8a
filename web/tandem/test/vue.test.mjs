// The Vue composables, with Vue from npm, in jsdom.
import "./dom.mjs";
import { test } from "node:test";
import assert from "node:assert/strict";
import { createApp, defineComponent, effectScope, h, nextTick, ref } from "vue";
import { useEntity, useSignal, useStatus, useValue, useView } from "../vue.js";
import { mountPoint } from "./dom.mjs";
import { runtime, server, until } from "./helpers.mjs";

const url = await server();
const t = await runtime();
const client = t.connect({ baseURL: url + "/api", storage: "memory" });
const lists = client.collection("lists");
const todos = client.collection("todos");

test("useValue and useSignal bind signals both ways, and stop with their scope", async () => {
  const name = t.signal("Ada");
  const greeting = t.computed(() => `Hello, ${name.get()}`);
  const scope = effectScope();
  const [shown, model] = scope.run(() => [useValue(greeting), useSignal(name)]);
  assert.equal(shown.value, "Hello, Ada");
  model.value = "Grace";
  assert.equal(name.peek(), "Grace", "writing the ref writes the signal");
  assert.equal(shown.value, "Hello, Grace");
  scope.stop();
  name.set("Linus");
  assert.equal(shown.value, "Hello, Grace", "stopped with the scope");
});

test("useView renders a live list in a component and follows a reactive spec", async () => {
  const a = await lists.create({ name: "Vue A" });
  const b = await lists.create({ name: "Vue B" });
  await todos.create({ listId: a.id, title: "in A", position: 1 });
  await todos.create({ listId: b.id, title: "in B", position: 1 });
  const listId = ref(a.id);
  const App = defineComponent({
    setup() {
      const items = useView(todos, () => ({ where: { listId: listId.value }, orderBy: ["position"] }));
      const status = useStatus(client);
      return () => h("div", [h("b", status.value), h("ul", items.value.map((x) => h("li", { key: x.id }, x.title)))]);
    },
  });
  const el = mountPoint();
  const app = createApp(App);
  app.mount(el);
  await nextTick();
  assert.deepEqual([...el.querySelectorAll("li")].map((x) => x.textContent), ["in A"]);
  await todos.create({ listId: a.id, title: "also in A", position: 2 });
  await nextTick();
  assert.deepEqual([...el.querySelectorAll("li")].map((x) => x.textContent), ["in A", "also in A"]);
  listId.value = b.id;
  await nextTick();
  await nextTick();
  assert.deepEqual([...el.querySelectorAll("li")].map((x) => x.textContent), ["in B"]);
  await until(() => el.querySelector("b").textContent === "live", 5000, "live");
  app.unmount();
});

test("useEntity follows one entity", async () => {
  const l = await lists.create({ name: "Vue entity" });
  const milk = await todos.create({ listId: l.id, title: "Milk" });
  const scope = effectScope();
  const one = scope.run(() => useEntity(todos, milk.id));
  assert.equal(one.value.title, "Milk");
  await todos.update(milk.id, { title: "Oat milk" });
  assert.equal(one.value.title, "Oat milk");
  scope.stop();
});
