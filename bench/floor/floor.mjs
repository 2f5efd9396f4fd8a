// The kernels of floor_test.go in JavaScript, written the same way, printed
// in Go's benchmark format: node floor.mjs
function list(n) {
  let head = null;
  for (let i = 0; i < n; i++) head = { flags: 0, ver: 0, next: head, val: i };
  return head;
}

function walk(head) {
  for (let c = head; c !== null; c = c.next) if ((c.flags & 3) === 0) c.flags |= 2;
  let s = 0;
  for (let c = head; c !== null; c = c.next) {
    if ((c.flags & 2) !== 0) {
      c.flags &= ~2;
      c.ver++;
      s += c.val;
    }
  }
  return s;
}

function bench(name, op) {
  for (let i = 0; i < 200000; i++) op(i); // let the JIT settle
  const n = 1000000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) op(i);
  const ns = Number(process.hrtime.bigint() - t0) / n;
  console.log(`Benchmark${name}\t${n}\t${ns.toFixed(2)} ns/op`);
}

function check(ok, what) {
  if (!ok) throw new Error(what);
}

const head = list(50);
bench('Walk50', () => check(walk(head) === (49 * 50) / 2, 'walk'));

let f = () => 0;
for (let i = 0; i < 50; i++) {
  const prev = f;
  f = () => prev() + 1;
}
bench('ClosureChain50', () => check(f() === 50, 'chain'));

const g = { cur: 0 };
const s = { run: 0, g, val: 1 };
function track(s) {
  s.run = s.g.cur;
}
function get(s) {
  if (s.run !== s.g.cur) track(s);
  return s.val;
}
bench('GuardedReads30', (i) => {
  g.cur = i + 1;
  let t = 0;
  for (let j = 0; j < 30; j++) t += get(s);
  check(t === 30 && s.run === g.cur, 'reads');
});
