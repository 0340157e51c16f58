// Independent JavaScript reference for prover/crypto (circomlibjs, @zk-kit/lean-imt, ethers,
// @noble/curves for the one-time Ed25519 ticket keys).
//
//   node tests/vectors/crypto_reference.mjs generate > tests/vectors/crypto_vectors.json
//   echo '{"ops": [...]}' | node tests/vectors/crypto_reference.mjs eval
//
// Every op is {"op": name, ...args}; every number crosses the boundary as a decimal string and
// every point as [x, y]. `generate` writes {"ops": [...], "results": [...]} for a fixed,
// deterministic set of inputs; `eval` answers the ops read from stdin, in order.
// Formulas follow docs/protocol-decisions.md (D1-D5, D7), written here independently of Python.

import { createHash } from "node:crypto";
import { buildBabyjub, buildEddsa, buildPoseidon } from "circomlibjs";
import { LeanIMT } from "@zk-kit/lean-imt";
import { AbiCoder, getAddress, keccak256 } from "ethers";
import createBlakeHash from "blake-hash";
import { ed25519 } from "@noble/curves/ed25519";

const P = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const TAG = { ID: 1n, LEAF: 2n, SLOPE: 3n, NULL: 4n, STATE: 5n, MSG: 6n, WD: 7n, ETA: 8n };
const GENERATOR_NAMES = ["G_n", "G_C", "G_P", "G_ID", "G_H"];

const poseidon = await buildPoseidon();
const babyJub = await buildBabyjub();
const eddsa = await buildEddsa();
const F = babyJub.F;
const L = babyJub.subOrder;

const big = (s) => BigInt(s);
const str = (v) => v.toString();
const H = (...xs) => F.toObject(poseidon(xs.map(big)));
const toPoint = ([x, y]) => [F.e(big(x)), F.e(big(y))];
const fromPoint = (p) => [str(F.toObject(p[0])), str(F.toObject(p[1]))];
const isIdentity = (p) => F.isZero(p[0]) && F.eq(p[1], F.one);

function modPow(b, e) {
  let result = 1n;
  let base = b % P;
  for (let k = e; k > 0n; k >>= 1n) {
    if (k & 1n) result = (result * base) % P;
    base = (base * base) % P;
  }
  return result;
}

function hashToCurve(seed) {
  const a = F.e(168700n);
  const d = F.e(168696n);
  for (let ctr = 0; ctr < 65536; ctr++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(ctr);
    const digest = createHash("sha256").update(Buffer.concat([Buffer.from(seed, "ascii"), c])).digest();
    const y = F.e(BigInt("0x" + digest.toString("hex")) % P);
    const y2 = F.square(y);
    const den = F.sub(a, F.mul(d, y2));
    if (F.isZero(den)) continue;
    const x2 = F.div(F.sub(F.one, y2), den);
    // Euler's criterion first: circomlibjs's wasm F.sqrt does not terminate on a non-residue.
    if (modPow(F.toObject(x2), (P - 1n) / 2n) !== 1n) continue;
    const r = F.sqrt(x2);
    if (!F.eq(F.square(r), x2)) throw new Error("sqrt failed");
    let x = F.toObject(r);
    if (x === 0n) continue;
    if (x > (P - 1n) / 2n) x = P - x;
    const g = babyJub.mulPointEscalar([F.e(x), y], 8n);
    if (isIdentity(g) || !babyJub.inSubgroup(g)) continue;
    return { point: fromPoint(g), ctr: String(ctr) };
  }
  throw new Error(`no point for seed ${seed}`);
}

let generators = null;
function gens() {
  if (generators === null) {
    generators = Object.fromEntries(
      GENERATOR_NAMES.map((n) => [n, toPoint(hashToCurve(`zkcredits/v1/${n}`).point)]),
    );
  }
  return generators;
}

function commit({ n, C, P: pen, ID, rho }) {
  const g = gens();
  const terms = [
    [g.G_n, n],
    [g.G_C, C],
    [g.G_P, pen],
    [g.G_ID, ID],
    [g.G_H, rho],
  ];
  let acc = [F.zero, F.one];
  for (const [base, k] of terms) acc = babyJub.addPoint(acc, babyJub.mulPointEscalar(base, big(k)));
  return acc;
}

function u32(n) {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function signedRequest({ method, path, body_hex, service_id, today, request_id_hex }) {
  const m = Buffer.from(method, "ascii");
  const p = Buffer.from(path, "ascii");
  const body = Buffer.from(body_hex, "hex");
  const sid = Buffer.from(big(service_id).toString(16).padStart(64, "0"), "hex");
  const day = Buffer.from(big(today).toString(16).padStart(16, "0"), "hex");
  const rid = Buffer.from(request_id_hex, "hex");
  if (rid.length !== 16) throw new Error("request id must be 16 bytes");
  const canonical = Buffer.concat([
    Buffer.from("zkcredits/signed-request/v1", "ascii"),
    u32(m.length), m, u32(p.length), p, u32(body.length), body, sid, day, rid,
  ]);
  const h = BigInt(keccak256(canonical)) % P;
  return { canonical_hex: canonical.toString("hex"), h: str(h) };
}

// One-time ticket keys (D5): strict RFC 8032 decoding by @noble/curves (zip215 off), small
// order by the curve's own arithmetic, x = H(TAG_MSG, keccak256(DOMAIN_KEY ‖ pk) mod p).
function ticketKey({ pk_hex }) {
  let point = null;
  try {
    point = ed25519.ExtendedPoint.fromHex(pk_hex, false);
  } catch {
    return { canonical: false, small_order: false, x: null };
  }
  const small = point.isSmallOrder();
  const pk = Buffer.from(pk_hex, "hex");
  const h = BigInt(keccak256(Buffer.concat([Buffer.from("zkcredits/ticket-key/v1", "ascii"), pk]))) % P;
  return { canonical: true, small_order: small, x: small ? null : str(H(TAG.MSG, h)) };
}

function ed25519Sign({ seed_hex, msg_hex }) {
  const pk = Buffer.from(ed25519.getPublicKey(seed_hex)).toString("hex");
  const sig = Buffer.from(ed25519.sign(msg_hex, seed_hex)).toString("hex");
  return { pk_hex: pk, sig_hex: sig };
}

function ed25519Verify({ pk_hex, sig_hex, msg_hex }) {
  try {
    return ed25519.verify(sig_hex, msg_hex, pk_hex, { zip215: false });
  } catch {
    return false;
  }
}

function note({ k, n, service_id, D, expiry, x, eta_index }) {
  const id = H(TAG.ID, k);
  const a = H(TAG.SLOPE, k, n, service_id);
  return {
    ID: str(id),
    leaf: str(H(TAG.LEAF, id, D, expiry)),
    a: str(a),
    nullifier: str(H(TAG.NULL, a)),
    y: str((big(k) + a * big(x)) % P),
    x_w: str(H(TAG.WD, service_id)),
    eta: str(H(TAG.ETA, k, eta_index, service_id) % L),
    rho0: str(H(TAG.ETA, k, 1n << 32n, service_id) % L),
  };
}

function leanimt({ leaves, incremental }) {
  const hash = (a, b) => F.toObject(poseidon([a, b]));
  const tree = new LeanIMT(hash);
  const values = leaves.map(big);
  if (incremental) for (const v of values) tree.insert(v);
  else if (values.length > 0) tree.insertMany(values);
  const proofs = values.map((_, i) => {
    const pr = tree.generateProof(i);
    return { leaf: str(pr.leaf), root: str(pr.root), index: String(pr.index), siblings: pr.siblings.map(str) };
  });
  return { root: values.length ? str(tree.root) : "0", depth: String(tree.depth), size: String(tree.size), proofs };
}

const OPS = {
  poseidon: ({ inputs }) => str(H(...inputs)),
  add: ({ p, q }) => fromPoint(babyJub.addPoint(toPoint(p), toPoint(q))),
  mul: ({ p, k }) => fromPoint(babyJub.mulPointEscalar(toPoint(p), big(k))),
  in_curve: ({ p }) => babyJub.inCurve(toPoint(p)),
  in_subgroup: ({ p }) => babyJub.inSubgroup(toPoint(p)),
  hash_to_curve: ({ seed }) => hashToCurve(seed),
  eddsa_sign: ({ prv_hex, msg }) => {
    const prv = Buffer.from(prv_hex, "hex");
    const sig = eddsa.signPoseidon(prv, F.e(big(msg)));
    // circomlibjs's secret scalar: s = prune(blake512(prv))[0..32] (LE); A = (s >> 3)·Base8.
    const s = eddsa.pruneBuffer(createBlakeHash("blake512").update(prv).digest());
    const scalar = BigInt("0x" + Buffer.from(s.subarray(0, 32)).reverse().toString("hex")) >> 3n;
    return {
      A: fromPoint(eddsa.prv2pub(prv)),
      scalar: str(scalar),
      sig: { R8: fromPoint(sig.R8), S: str(sig.S) },
    };
  },
  eddsa_verify: ({ msg, A, sig }) =>
    eddsa.verifyPoseidon(F.e(big(msg)), { R8: toPoint(sig.R8), S: big(sig.S) }, toPoint(A)),
  leanimt,
  commit: (o) => fromPoint(commit(o)),
  state_msg: ({ service_id, E }) => str(H(TAG.STATE, service_id, E[0], E[1])),
  next_commitment: ({ E_anon, cost, p }) => {
    const g = gens();
    let acc = babyJub.addPoint(toPoint(E_anon), g.G_n);
    acc = babyJub.addPoint(acc, babyJub.mulPointEscalar(g.G_C, big(cost)));
    acc = babyJub.addPoint(acc, babyJub.mulPointEscalar(g.G_P, big(p)));
    return fromPoint(acc);
  },
  note,
  signed_request: signedRequest,
  ticket_key: ticketKey,
  ed25519_sign: ed25519Sign,
  ed25519_verify: ed25519Verify,
  service_id: ({ chain_id, address }) => {
    const enc = AbiCoder.defaultAbiCoder().encode(["uint256", "address"], [big(chain_id), getAddress(address)]);
    return str(BigInt(keccak256(enc)) % P);
  },
  checksum_address: ({ address }) => getAddress(address),
};

function evaluate(op) {
  const fn = OPS[op.op];
  if (fn === undefined) throw new Error(`unknown op ${op.op}`);
  return fn(op);
}

// ------------------------------------------------------------- deterministic generation

function rng(label) {
  let i = 0;
  return (bound = P) => {
    const d = createHash("sha256").update(`zkcredits/vectors/${label}/${i++}`).digest("hex");
    return str(BigInt("0x" + d + d) % bound);
  };
}

function generateOps() {
  const r = rng("v1");
  const ops = [];
  const nearP = [str(P - 1n), str(P - 2n), str(P - 12345678901234567890n), "0", "1", str(1n << 253n)];
  for (let arity = 1; arity <= 12; arity++) {
    ops.push({ op: "poseidon", inputs: Array.from({ length: arity }, () => r()) });
    ops.push({ op: "poseidon", inputs: Array.from({ length: arity }, (_, j) => nearP[(j + arity) % nearP.length]) });
  }
  const base8 = fromPoint(babyJub.Base8);
  const pts = [base8];
  for (let i = 0; i < 4; i++) pts.push(fromPoint(babyJub.mulPointEscalar(babyJub.Base8, big(r(L)))));
  for (let i = 0; i < pts.length; i++) {
    ops.push({ op: "add", p: pts[i], q: pts[(i + 1) % pts.length] });
    ops.push({ op: "add", p: pts[i], q: pts[i] });
    ops.push({ op: "mul", p: pts[i], k: r(L) });
    ops.push({ op: "mul", p: pts[i], k: str(L - 1n) });
  }
  ops.push({ op: "mul", p: base8, k: "0" });
  for (const n of GENERATOR_NAMES) ops.push({ op: "hash_to_curve", seed: `zkcredits/v1/${n}` });
  for (let i = 0; i < 4; i++) {
    const prv_hex = createHash("sha256").update(`zkcredits/vectors/eddsa/${i}`).digest("hex");
    ops.push({ op: "eddsa_sign", prv_hex, msg: i === 0 ? str(P - 1n) : r() });
  }
  for (const size of [1, 2, 3, 5, 8, 13, 100]) {
    ops.push({ op: "leanimt", leaves: Array.from({ length: size }, () => r()), incremental: size % 2 === 1 });
  }
  for (let i = 0; i < 3; i++) {
    const o = { n: r(1n << 32n), C: r(1n << 64n), P: i === 0 ? "0" : r(1n << 64n), ID: r(), rho: r(L) };
    ops.push({ op: "commit", ...o });
    ops.push({ op: "next_commitment", E_anon: pts[i + 1], cost: r(1n << 64n), p: i === 2 ? r(1n << 64n) : "0" });
    ops.push({ op: "state_msg", service_id: r(), E: pts[i] });
  }
  for (let i = 0; i < 3; i++) {
    ops.push({
      op: "note", k: r(), n: r(1n << 32n), service_id: r(), D: r(1n << 64n), expiry: r(1n << 64n),
      x: r(), eta_index: r(1n << 32n),
    });
  }
  ops.push({
    op: "signed_request", method: "POST", path: "/v1/chat/completions?stream=true",
    body_hex: Buffer.from('{"model":"m","messages":[]}').toString("hex"), service_id: r(), today: "20416",
    request_id_hex: "00112233445566778899aabbccddeeff",
  });
  ops.push({ op: "signed_request", method: "GET", path: "/", body_hex: "", service_id: "0", today: "0", request_id_hex: "ff".repeat(16) });
  for (let i = 0; i < 3; i++) {
    const seed_hex = createHash("sha256").update(`zkcredits/vectors/ticket-key/${i}`).digest("hex");
    const msg_hex = createHash("sha256").update(`zkcredits/vectors/ticket-msg/${i}`).digest("hex").repeat(i + 1);
    ops.push({ op: "ed25519_sign", seed_hex, msg_hex });
    ops.push({ op: "ticket_key", pk_hex: Buffer.from(ed25519.getPublicKey(seed_hex)).toString("hex") });
  }
  ops.push({ op: "service_id", chain_id: "31337", address: "0x5fbdb2315678afecb367f032d93f642f64180aa3" });
  ops.push({ op: "service_id", chain_id: "1", address: "0x000000000000000000000000000000000000dEaD" });
  return ops;
}

async function readStdin() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  return Buffer.concat(chunks).toString("utf8");
}

// ffjavascript keeps worker threads alive, so exit explicitly, but only once stdout is flushed
// (a pipe write is asynchronous; exiting early truncates the output).
function finish(text) {
  process.stdout.write(text, () => process.exit(0));
}

const mode = process.argv[2];
if (mode === "generate") {
  const ops = generateOps();
  const results = ops.map(evaluate);
  const doc = { version: 1, generator: "tests/vectors/crypto_reference.mjs", ops, results };
  finish(JSON.stringify(doc, null, 1) + "\n");
} else if (mode === "eval") {
  const { ops } = JSON.parse(await readStdin());
  finish(JSON.stringify({ results: ops.map(evaluate) }) + "\n");
} else {
  process.stderr.write("usage: crypto_reference.mjs generate | eval < ops.json\n");
  process.exit(2);
}
