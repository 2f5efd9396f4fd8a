// The package as users get it: npm pack, installed from the tarball into a
// fresh project, run there; and its .d.ts files, type-checked.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { server } from "./helpers.mjs";

const pkg = fileURLToPath(new URL("..", import.meta.url));

test("npm pack makes a tarball a project installs and runs against a server", async () => {
  const url = await server();
  const dir = mkdtempSync(join(tmpdir(), "tandem-pack-"));
  try {
    const packed = JSON.parse(execFileSync("npm", ["pack", "--json", "--pack-destination", dir], { cwd: pkg, encoding: "utf8" }));
    const files = packed[0].files.map((f) => f.path).sort();
    assert.deepEqual(files, ["README.md", "index.d.ts", "index.js", "package.json", "react.d.ts", "react.js", "svelte.d.ts", "svelte.js", "tandem.wasm", "vue.d.ts", "vue.js", "wasm_exec.js"]);
    const project = join(dir, "app");
    execFileSync("mkdir", ["-p", project]);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
    execFileSync("npm", ["install", "--offline", "--no-audit", "--no-fund", join(dir, packed[0].filename)], { cwd: project, stdio: "pipe" });
    assert.ok(existsSync(join(project, "node_modules/@tandemkit/tandem/tandem.wasm")));
    writeFileSync(
      join(project, "main.js"),
      `import { load } from "@tandemkit/tandem";
       import { readable } from "@tandemkit/tandem/svelte";
       const t = await load();
       const c = t.connect({ baseURL: process.argv[2] + "/api", storage: "memory" });
       const list = await c.collection("lists").create({ name: "from the tarball" });
       const s = t.signal(2);
       let seen; readable(s).subscribe((v) => (seen = v))();
       console.log(JSON.stringify({ name: list.name, seen, entities: t.entities }));
       await t.close();`,
    );
    const out = execFileSync("node", ["--experimental-websocket", "main.js", url], { cwd: project, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    assert.deepEqual(JSON.parse(out.trim().split("\n").at(-1)), { name: "from the tarball", seen: 2, entities: ["lists", "todos"] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the .d.ts files type-check a program that uses every part, strictly, with React's and Vue's own types", () => {
  const tsc = join(pkg, "node_modules/.bin/tsc");
  execFileSync(tsc, ["-p", join(pkg, "test/types/tsconfig.json")], { cwd: pkg, encoding: "utf8", stdio: "pipe" });
});
