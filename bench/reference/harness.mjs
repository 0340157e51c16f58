// Shared by the bench's Node reference helpers: a line protocol and an in-process timer.
//
// serve(handler): reads one JSON request per stdin line, answers one JSON line on stdout
// ({"error": message} if the handler throws), requests handled one at a time, in order. The
// process stays warm between requests and exits when stdin closes.
//
// measure(fn, inputs, opts): the same timing rule as bench/reference/timing.py, so both sides of a
// comparison are timed alike: `warmup` untimed calls, then calls cycling over `inputs` in
// `batches` batches of at least budget_ms / batches each (or until `max_iter` calls in all);
// returns the outputs of the first pass over the inputs (`complete: false`: of the calls made only)
// and the median, min and max batch mean. A request {"ping": true} is answered {"ready": true}
// once the helper has loaded (so start-up never overlaps a measurement).

import { createInterface } from "node:readline";

export function measure(
  fn,
  inputs,
  { budget_ms = 1000, batches = 5, warmup = 1, max_iter = null, complete = true } = {},
) {
  const n = inputs.length;
  if (n === 0) throw new Error("measure needs at least one input");
  const outputs = [];
  let i = 0;
  const call = () => {
    const out = fn(inputs[i % n]);
    if (i < n) outputs.push(out);
    i += 1;
  };
  for (let w = 0; w < warmup; w++) call();
  const limit = max_iter === null ? Infinity : warmup + max_iter;
  const means = [];
  const batchNs = BigInt(Math.round((budget_ms / batches) * 1e6));
  while (means.length < batches && i < limit) {
    let count = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0n;
    while (elapsed < batchNs && i < limit) {
      call();
      count += 1;
      elapsed = process.hrtime.bigint() - start;
    }
    means.push(Number(elapsed) / 1e6 / count);
  }
  while (complete && i < n) call(); // outputs for every input, even past the timed calls
  const sorted = [...means].sort((a, b) => a - b);
  return {
    outputs,
    ms: sorted[Math.floor((sorted.length - 1) / 2)],
    min_ms: sorted[0],
    max_ms: sorted[sorted.length - 1],
    iterations: i - warmup,
    batches: means.length,
  };
}

export function serve(handler) {
  const lines = createInterface({ input: process.stdin, terminal: false });
  let queue = Promise.resolve();
  lines.on("line", (line) => {
    if (!line.trim()) return;
    queue = queue.then(async () => {
      let answer;
      try {
        const request = JSON.parse(line);
        answer = request.ping ? { ready: true } : await handler(request);
      } catch (err) {
        answer = { error: String(err && err.stack ? err.stack : err) };
      }
      await new Promise((resolve) => process.stdout.write(JSON.stringify(answer) + "\n", resolve));
    });
  });
  // ffjavascript keeps worker threads alive: exit explicitly once every answer is written.
  lines.on("close", () => queue.then(() => process.exit(0)));
}
