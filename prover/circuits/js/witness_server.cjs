// Warm witness calculator: one JSON request per stdin line, one JSON reply per stdout line.
// Request: {"wasm": ".../x.wasm", "wcjs": ".../witness_calculator.js", "input": {...}, "out": "x.wtns"}
// Reply:   {"ok": true} or {"ok": false, "error": "..."}.  Calculators are cached per wasm path.
"use strict";
const fs = require("fs");
const readline = require("readline");

const calculators = new Map();

async function calculator(wasm, wcjs) {
  let calc = calculators.get(wasm);
  if (!calc) {
    const builder = require(wcjs);
    calc = await builder(fs.readFileSync(wasm), { logOutput: false });
    calculators.set(wasm, calc);
  }
  return calc;
}

async function handle(line) {
  const req = JSON.parse(line);
  const calc = await calculator(req.wasm, req.wcjs);
  const wtns = await calc.calculateWTNSBin(req.input, 1);
  const tmp = req.out + ".part";
  fs.writeFileSync(tmp, wtns);
  fs.renameSync(tmp, req.out);
}

const rl = readline.createInterface({ input: process.stdin, terminal: false });
let queue = Promise.resolve();
rl.on("line", (line) => {
  queue = queue.then(async () => {
    let reply;
    try {
      await handle(line);
      reply = { ok: true };
    } catch (err) {
      reply = { ok: false, error: String(err && err.message ? err.message : err) };
    }
    process.stdout.write(JSON.stringify(reply) + "\n");
  });
});
rl.on("close", () => queue.then(() => process.exit(0)));
process.stdout.write(JSON.stringify({ ready: true }) + "\n");
