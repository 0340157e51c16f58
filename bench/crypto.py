"""Crypto hot paths, ours vs a reference in the same run: `.venv/bin/python bench/crypto.py`.

    .venv/bin/python bench/crypto.py [--budget 1.0]

References: circomlibjs (one warm Node process, bench/reference/circomlibjs_ops.mjs, timing each op
inside Node) for Poseidon, Baby Jubjub fixed- and variable-base multiplication and EdDSA-Poseidon
sign/verify; a naive Python path where circomlibjs has no counterpart (plain double-and-add for
the fixed-base table, recomputing the LeanIMT root from all leaves for an incremental insert).
Both sides run the same inputs under the same timing rule (bench/reference/timing.py), and their
outputs on those inputs are checked equal before anything is written; a mismatch exits non-zero.
EdDSA nonces differ by design (ours: D4's SHA-512 nonce of the scalar; circomlibjs: BLAKE-512 of
its 32-byte key), so signing is checked by cross-verification: same public keys, each side's
signatures accepted by the other's verifier. Writes bench/results/crypto.json.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reference.node_worker import NodeWorker
from reference.timing import Timed, measure, print_comparison, sig
from reference.versus import ROUNDS, Mismatch, Versus

from prover.crypto import (
    BASE8,
    L,
    LeanIMT,
    Opening,
    P,
    Point,
    Signature,
    base8_mul,
    commit,
    generate_secret_key,
    mul,
    next_commitment,
    poseidon,
    public_key,
    sign,
    verify,
)
from prover.crypto.babyjub import _EXT_IDENTITY, _ext_add, _ext_double, _to_affine, _to_ext
from prover.crypto.poseidon import poseidon_unchecked

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "crypto.json"
NODE_OPS = ROOT / "bench" / "reference" / "circomlibjs_ops.mjs"
CIRCOMLIBJS = "circomlibjs 0.1.7 (warm Node, timed inside Node)"
UNIT = "µs/op"


def naive_base8_mul(k: int) -> Point:
    """Plain MSB-first double-and-add in the same extended coordinates, no table, no window."""
    acc, base = _EXT_IDENTITY, _to_ext(BASE8)
    for bit in bin(k)[2:]:
        acc = _ext_double(acc)
        if bit == "1":
            acc = _ext_add(acc, base)
    return _to_affine(acc)


def naive_root(leaves: Sequence[int]) -> int:
    """LeanIMT root recomputed from every leaf (a lone left node moves up unhashed)."""
    level = list(leaves)
    while len(level) > 1:
        level = [
            poseidon_unchecked(level[i], level[i + 1]) if i + 1 < len(level) else level[i]
            for i in range(0, len(level), 2)
        ]
    return level[0]


def rand_field() -> int:
    return secrets.randbelow(P)


def eddsa(b: Versus, n: int) -> None:
    msgs = [rand_field() for _ in range(n)]
    inputs = [{"prv_hex": secrets.token_hex(32), "msg": str(m)} for m in msgs]
    signed = b.node_once("sign", inputs)
    keys = [(int(o["scalar"]) % L, Point.from_wire(o["A"])) for o in signed]
    if any(public_key(sk) != pk for sk, pk in keys):
        raise Mismatch("EdDSA public keys", "A = (scalar >> 3)·Base8 differs")
    node_sigs = [Signature.from_wire(o["sig"]) for o in signed]
    if not all(verify(pk, m, s) for (_, pk), m, s in zip(keys, msgs, node_sigs, strict=True)):
        raise Mismatch("EdDSA", "our verify refuses a circomlibjs signature")
    ours_in = [(sk, m, pk, i) for i, ((sk, pk), m) in enumerate(zip(keys, msgs, strict=True))]
    ours, ref, _ = b.versus(
        lambda x: sign(*x[:3]), b.node_ref("sign", lambda x: inputs[x[3]]), ours_in, one_pass=False
    )
    wire = [
        {"msg": str(m), "A": pk.to_wire(), "sig": s.to_wire()}
        for (_, pk), m, s in zip(keys, msgs, ours["outputs"], strict=True)
    ]
    if not all(b.node_once("verify", wire)):
        raise Mismatch("EdDSA", "circomlibjs refuses a signature of ours")
    b.add(
        "EdDSA-Poseidon sign (a new key each call)",
        ours,
        ref,
        CIRCOMLIBJS,
        f"same public keys for {n} keys; each side's {n} signatures accepted by the other's "
        "verifier (nonces differ by design: ours D4 SHA-512, circomlibjs BLAKE-512)",
    )

    def cases(sks: list[int]) -> list[tuple[Point, int, Signature]]:
        out = []
        for sk in sks:
            pk, m = public_key(sk), rand_field()
            out.append((pk, m, sign(sk, m, pk)))
        return out

    def to_wire(c: tuple[Point, int, Signature]) -> dict[str, Any]:
        return {"msg": str(c[1]), "A": c[0].to_wire(), "sig": c[2].to_wire()}

    same = cases([generate_secret_key()] * 64)
    pk, m, s = same[0]
    forged = [
        (pk, (m + 1) % P, s),
        (pk, m, Signature(s.R8, (s.S + 1) % L)),
        (public_key(generate_secret_key()), m, s),
        (pk, m, Signature(s.R8 + BASE8, s.S)),
    ]
    if any(verify(*c) for c in forged) or any(b.node_once("verify", [to_wire(c) for c in forged])):
        raise Mismatch("EdDSA", "a tampered signature was accepted")
    b.versus_node(
        "EdDSA-Poseidon verify (same key: ours tables it)",
        lambda c: verify(*c),
        same,
        "verify",
        to_wire,
        bool,
    )
    fresh = cases([generate_secret_key() for _ in range(400)])
    b.versus_node(
        "EdDSA-Poseidon verify (a new key each call)",
        lambda c: verify(*c),
        fresh,
        "verify",
        to_wire,
        bool,
        one_pass=True,
    )


def naive(b: Versus, ks: list[int]) -> None:
    def double_and_add(chunk: list[Any], opts: dict[str, Any]) -> Timed:
        return measure(naive_base8_mul, chunk, **opts, complete=False)

    ours, ref, theirs = b.versus(base8_mul, double_and_add, ks, one_pass=False)
    b.compare(
        "fixed-base mul k·Base8: table vs double-and-add",
        "naive Python: binary double-and-add, same field formulas",
        ours,
        ref,
        [p.to_wire() for p in ours["outputs"]],
        [p if p is None else p.to_wire() for p in theirs],
    )

    leaves = [secrets.randbelow(P - 1) + 1 for _ in range(1 << 16)]
    tree, flat = LeanIMT(leaves), list(leaves)
    new = [secrets.randbelow(P - 1) + 1 for _ in range(3000)]
    ours = measure(tree.insert, new, b.budget_s, max_iter=len(new) - 1)

    def recompute(leaf: int) -> int:
        flat.append(leaf)
        return naive_root(flat)

    ref = measure(recompute, new, b.budget_s, batches=3, warmup=0, max_iter=3, complete=False)
    if ours["outputs"][:3] != ref["outputs"]:
        raise Mismatch("LeanIMT roots", "incremental and recomputed roots differ")
    b.add(
        "LeanIMT append at 2^16 leaves",
        ours,
        ref,
        "naive Python: recompute the root from all leaves",
        "equal roots after each of the first 3 appends (the reference's 3 timed calls)",
    )


def ours_only(budget_s: float) -> list[dict[str, Any]]:
    e = commit(Opening(n=5, C=1000, P=0, ID=rand_field(), rho=secrets.randbelow(L)))
    openings = [Opening(1, 2, 3, rand_field(), secrets.randbelow(L)) for _ in range(32)]
    leaves = [secrets.randbelow(P - 1) + 1 for _ in range(1 << 16)]
    t0 = time.perf_counter()
    tree = LeanIMT(leaves)
    build_ms = (time.perf_counter() - t0) * 1e3
    ops = {
        "next_commitment (E_anon + G_n + c·G_C + p·G_P)": measure(
            lambda c: next_commitment(e, c, 0), list(range(1, 33)), budget_s
        )["ms"],
        "commit (five fixed-base terms)": measure(commit, openings, budget_s)["ms"],
        "LeanIMT insert_many 2^16 leaves (once)": build_ms,
        "LeanIMT proof (size 2^16)": measure(tree.proof, list(range(0, 1 << 16, 997)), budget_s)[
            "ms"
        ],
    }
    return [{"operation": k, "ms": sig(v)} for k, v in ops.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--budget", type=float, default=1.0, help="seconds per op and side")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    base8_mul(1)
    table_ms = (time.perf_counter() - t0) * 1e3
    with NodeWorker(NODE_OPS) as node:
        node.ready()
        b = Versus(node, CIRCOMLIBJS, UNIT, 1e3, args.budget)
        for arity in (2, 5):
            xs = [tuple(rand_field() for _ in range(arity)) for _ in range(64)]
            b.versus_node(
                f"Poseidon({arity})",
                lambda x: poseidon(*x),
                xs,
                "poseidon",
                lambda x: [str(v) for v in x],
                str,
            )
        ks = [secrets.randbelow(L) for _ in range(64)]
        b.versus_node("fixed-base mul k·Base8", base8_mul, ks, "fixed_base", str, Point.to_wire)
        pairs = [(base8_mul(secrets.randbelow(L)), secrets.randbelow(L)) for _ in range(64)]
        b.versus_node(
            "variable-base mul k·P (P in the subgroup)",
            lambda x: mul(*x),
            pairs,
            "variable_base",
            lambda x: {"p": x[0].to_wire(), "k": str(x[1])},
            Point.to_wire,
        )
        eddsa(b, 32)
        naive(b, ks)
    ops = [{"operation": "Base8 table build (lazy, once per process)", "ms": sig(table_ms)}]
    ops += ours_only(args.budget / 2)
    result = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "loadavg_1m_start_end": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        },
        "method": f"same inputs on both sides; {args.budget} s per op and side in {ROUNDS} "
        "rounds, each a batch of ours then a batch of the reference; value = median round mean "
        "(µs per call); outputs checked equal on every input the reference ran (the LeanIMT "
        "reference: 3 calls, no interleaving)",
        "comparison": b.rows,
        "measures": b.details,
        "ops": ops,
    }
    print_comparison(b.rows, "crypto: ours vs reference (ratio = reference / ours)")
    print(f"\n{'ours only':<52}{'ms':>10}")
    for op in ops:
        print(f"{op['operation']:<52}{op['ms']:>10}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
