// circomlibjs reference for bench/crypto.py: one warm process times each op on the inputs it is
// sent and returns the outputs, so Python can check both sides computed the same thing.
//
//   request:  {"op": "poseidon"|"fixed_base"|"variable_base"|"sign"|"verify", "inputs": [...],
//              "budget_ms": 1000, "batches": 5, "warmup": 1, "max_iter": null}
//   answer:   {"outputs": [...], "ms", "min_ms", "max_ms", "iterations", "batches"}
//
// Numbers cross as decimal strings, points as [x, y]. Inputs are parsed into circomlibjs's own
// forms before the clock starts; each timed call returns circomlibjs's native result (a bigint
// hash, an affine point, a signature, a verdict), as the Python side returns its own.

import { buildBabyjub, buildEddsa, buildPoseidon } from "circomlibjs";
import createBlakeHash from "blake-hash";
import { measure, serve } from "./harness.mjs";

const poseidon = await buildPoseidon();
const babyJub = await buildBabyjub();
const eddsa = await buildEddsa();
const F = babyJub.F;

const big = (s) => BigInt(s);
const str = (v) => v.toString();
const toPoint = ([x, y]) => [F.e(big(x)), F.e(big(y))];
const fromPoint = (p) => [str(F.toObject(p[0])), str(F.toObject(p[1]))];

// circomlibjs's secret scalar for a 32-byte key: prune(blake512(prv))[0..32] (LE) >> 3.
function secretScalar(prv) {
  const s = eddsa.pruneBuffer(createBlakeHash("blake512").update(prv).digest());
  return BigInt("0x" + Buffer.from(s.subarray(0, 32)).reverse().toString("hex")) >> 3n;
}

const OPS = {
  poseidon: {
    parse: (xs) => xs.map(big),
    run: (xs) => F.toObject(poseidon(xs)),
    show: (h) => str(h),
  },
  fixed_base: {
    parse: (k) => big(k),
    run: (k) => babyJub.mulPointEscalar(babyJub.Base8, k),
    show: fromPoint,
  },
  variable_base: {
    parse: ({ p, k }) => [toPoint(p), big(k)],
    run: ([p, k]) => babyJub.mulPointEscalar(p, k),
    show: fromPoint,
  },
  sign: {
    parse: ({ prv_hex, msg }) => [Buffer.from(prv_hex, "hex"), F.e(big(msg))],
    run: ([prv, msg]) => eddsa.signPoseidon(prv, msg),
    show: (sig, [prv]) => ({
      A: fromPoint(eddsa.prv2pub(prv)),
      scalar: str(secretScalar(prv)),
      sig: { R8: fromPoint(sig.R8), S: str(sig.S) },
    }),
  },
  verify: {
    parse: ({ msg, A, sig }) => [F.e(big(msg)), { R8: toPoint(sig.R8), S: big(sig.S) }, toPoint(A)],
    run: ([msg, sig, A]) => eddsa.verifyPoseidon(msg, sig, A),
    show: (ok) => ok,
  },
};

serve(({ op, inputs, ...opts }) => {
  const spec = OPS[op];
  if (spec === undefined) throw new Error(`unknown op ${op}`);
  const parsed = inputs.map(spec.parse);
  const result = measure(spec.run, parsed, opts);
  result.outputs = result.outputs.map((out, i) => spec.show(out, parsed[i]));
  return result;
});

