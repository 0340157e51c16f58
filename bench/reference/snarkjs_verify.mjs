// snarkjs reference for bench/gateway.py: Groth16 verification in one warm Node process.
//
//   {"op": "load", "vk": <snarkjs verification_key.json>}       -> {"loaded": true}
//   {"op": "batch", "items": [{"public": [...], "proof": {...}}], "passes": 1}
//       -> {"outputs": [bool per item, first pass], "ms": [ms per call, timed inside Node]}
//   {"op": "verify", "public": [...], "proof": {...}}            -> {"ok": bool, "ms": inside}
//
// `verify` is one call per request, for the caller to time the round trip around it.
// snarkjs.groth16.verify is called as a service would call it: vk, signals, proof as JSON objects.

import * as snarkjs from "snarkjs";
import { serve } from "./harness.mjs";

let vk = null;

async function timedVerify(pub, proof) {
  const start = process.hrtime.bigint();
  const ok = await snarkjs.groth16.verify(vk, pub, proof);
  return { ok, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

serve(async (request) => {
  if (request.op === "load") {
    vk = request.vk;
    return { loaded: true };
  }
  if (vk === null) throw new Error("send {op: load, vk} first");
  if (request.op === "verify") return timedVerify(request.public, request.proof);
  if (request.op === "batch") {
    const outputs = [];
    const ms = [];
    for (let pass = 0; pass < (request.passes ?? 1); pass++) {
      for (const item of request.items) {
        const r = await timedVerify(item.public, item.proof);
        if (pass === 0) outputs.push(r.ok);
        ms.push(r.ms);
      }
    }
    return { outputs, ms };
  }
  throw new Error(`unknown op ${request.op}`);
});
