// Helpers of the module's tests: a todoserver (internal/todoserver: the
// demo's API on a memory store) per test file, and the runtime under test.

import { spawn, execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { after } from "node:test";
import { load } from "../index.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));

/** server starts a todoserver (built into bin/ when missing) and returns its URL; it stops when the tests end. */
export async function server() {
  const bin = process.env.TANDEM_TODOSERVER ?? `${root}bin/todoserver`;
  if (!existsSync(bin)) execFileSync("go", ["build", "-o", bin, "./internal/todoserver/cmd/todoserver"], { cwd: root, stdio: "inherit" });
  const p = spawn(bin, [], { stdio: ["pipe", "pipe", "inherit"] });
  after(() => p.kill());
  const line = await new Promise((resolve, reject) => {
    p.once("error", reject);
    p.stdout.once("data", (d) => resolve(String(d)));
  });
  return line.trim().split(" ")[1];
}

/** runtime loads the module; it closes when the tests end. */
export async function runtime(options = {}) {
  const errors = [];
  const t = await load({ onError: (e) => errors.push(e), ...options });
  t.errors = errors;
  after(() => t.close());
  return t;
}

/** until resolves once pred() holds, checking after every macrotask (events, network) for up to ms. */
export async function until(pred, ms = 5000, what = "condition") {
  const end = Date.now() + ms;
  for (;;) {
    if (pred()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

/** next resolves with the next value source delivers after now. */
export function next(source) {
  return new Promise((resolve) => {
    let first = true;
    const stop = source.subscribe((v) => {
      if (first) {
        first = false;
        return;
      }
      stop?.();
      resolve(v);
    });
  });
}
