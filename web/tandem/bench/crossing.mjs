// The cost of crossing between JavaScript and Go, and what batching does
// about it: one crossing; the first delivery of a 1,000-item view; one
// item's change in it; and, for comparison, reading the same 1,000 items one
// crossing each. The same code runs under Node (node.mjs) and in Chromium
// (index.html); bench/crossing runs both and reports.

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** seed creates a list with n todos through the REST API, as another client would. */
export async function seed(baseURL, n) {
  const post = (path, body) =>
    fetch(`${baseURL}/${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }).then((r) => {
      if (!r.ok) throw new Error(`POST ${path}: ${r.status}`);
    });
  const listId = crypto.randomUUID();
  await post("lists", { id: listId, name: `bench ${n}` });
  const all = [];
  for (let i = 0; i < n; i++) all.push(post("todos", { id: crypto.randomUUID(), listId, title: `todo ${i}`, position: i }));
  await Promise.all(all);
  return listId;
}

/** run measures with a started runtime, against a server holding list (n todos). */
export async function run(tandem, baseURL, listId, n) {
  const client = tandem.connect({ baseURL, storage: "memory" });
  const todos = client.collection("todos");
  await new Promise((resolve) => {
    const stop = client.status.subscribe((s) => {
      if (s === "live") {
        queueMicrotask(() => stop());
        resolve();
      }
    });
  });
  const out = { n };

  // One crossing: a JavaScript call into Go that reads a signal and returns
  // a number, and one into Go and back out (untracked calls a function).
  const s = tandem.signal(1);
  for (let i = 0; i < 20000; i++) s.peek(); // warm up
  const calls = 200000;
  let t0 = performance.now();
  for (let i = 0; i < calls; i++) s.peek();
  out.crossingNs = ((performance.now() - t0) / calls) * 1e6;
  const f = () => 0;
  t0 = performance.now();
  for (let i = 0; i < calls / 4; i++) tandem.untracked(f);
  out.roundTripNs = ((performance.now() - t0) / (calls / 4)) * 1e6;

  // The first delivery of a 1,000-item view: Go builds the view (filter,
  // sort), holds each member, and sends one batch; JavaScript parses it and
  // builds the array. Each round opens a fresh view once the last one has
  // closed (keepAlive 0: on the next task), so nothing is mirrored already.
  const spec = { where: { listId }, orderBy: ["position"], keepAlive: 0 };
  const firsts = [];
  let items;
  for (let round = 0; round < 9; round++) {
    const v = todos.view(spec);
    t0 = performance.now();
    const stop = v.subscribe((xs) => (items = xs));
    firsts.push(performance.now() - t0);
    if (items.length !== n) throw new Error(`the view has ${items.length} items, not ${n}`);
    stop();
    await new Promise((resolve) => setTimeout(resolve, 0)); // the view closes
  }
  out.firstDeliveryMs = median(firsts.slice(1)); // the first round also warms the code up
  out.firstDeliveryColdMs = firsts[0];

  // One item's change: an optimistic update of one row, timed from the
  // call to the subscriber holding the new array (it arrives before the
  // call returns), with the rows around it unchanged (===).
  const view = todos.view(spec);
  let latest;
  let deliveries = 0;
  const stop = view.subscribe((xs) => {
    latest = xs;
    deliveries++;
  });
  const changes = [];
  for (let i = 0; i < 40; i++) {
    const before = latest;
    const at = 100 + 20 * i;
    const d = deliveries;
    t0 = performance.now();
    const confirmed = todos.update(before[at].id, { title: `renamed ${i}` });
    changes.push(performance.now() - t0);
    if (deliveries !== d + 1 || latest[at].title !== `renamed ${i}`) throw new Error("the change did not arrive within the call");
    if (latest[at - 1] !== before[at - 1] || latest[at + 1] !== before[at + 1]) throw new Error("the other rows were not kept");
    await confirmed; // one pending mutation at a time, as a user makes them
  }
  out.oneChangeUs = median(changes) * 1000;
  stop();

  // For comparison: the same 1,000 entities read one crossing each.
  const ids = latest.map((x) => x.id);
  const naive = [];
  for (let round = 0; round < 7; round++) {
    t0 = performance.now();
    const got = ids.map((id) => todos.get(id));
    naive.push(performance.now() - t0);
    if (got.length !== n) throw new Error("short read");
  }
  out.oneByOneMs = median(naive);
  client.close();
  return out;
}
