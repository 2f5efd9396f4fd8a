// Runs crossing.mjs under Node against the server at argv[2] and prints
// the results as JSON.
import { load } from "../index.js";
import { run, seed } from "./crossing.mjs";

const base = process.argv[2] + "/api";
const n = Number(process.argv[3] ?? 1000);
const listId = await seed(base, n);
const tandem = await load();
const out = await run(tandem, base, listId, n);
console.log(JSON.stringify({ host: `node ${process.version}`, ...out }));
await tandem.close();
