"""Groth16 verification, ours (groth16py's prepared verifier) vs snarkjs, on the same proofs and vk.

snarkjs runs in one warm Node process (`snarkjs_verify.mjs`); each call is timed inside Node, and
separately as a round trip from Python (one JSON line each way), which is what a Python service
substituting snarkjs would pay. Ours and snarkjs alternate by pass over the proofs, so both see
the same load. Every proof must verify on both sides and a tampered one must fail on both.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from prover.circuits.proof import P, calldata_to_snarkjs
from prover.circuits.prover import CircuitKeys
from reference.node_worker import NodeWorker
from reference.timing import comparison_row, sig
from reference.versus import Mismatch

SCRIPT = Path(__file__).resolve().parent / "snarkjs_verify.mjs"
SNARKJS = "snarkjs 0.7.6 groth16.verify"


def stats(ms: Sequence[float]) -> dict[str, float]:
    ordered = sorted(ms)
    at = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"p50_ms": sig(at(0.5)), "p99_ms": sig(at(0.99)), "min_ms": sig(ordered[0]),
            "n": len(ordered)}  # fmt: skip


def compare_verify(
    keys: CircuitKeys, proofs: Sequence[tuple[bytes, Sequence[int]]], passes: int = 5
) -> dict[str, Any]:
    """p50/p99 per verify call: ours, snarkjs timed in Node, snarkjs with the round trip."""
    items = [{"public": [str(s) for s in signals], "proof": calldata_to_snarkjs(blob)}
             for blob, signals in proofs]  # fmt: skip
    ours_ms: list[float] = []
    node_ms: list[float] = []
    trip_ms: list[float] = []
    with NodeWorker(SCRIPT) as node:
        node.ready()
        node.call({"op": "load", "vk": json.loads(keys.vk.canonical_json())})
        node.call({"op": "batch", "items": items[:2]})  # warm snarkjs (curve, wasm) first
        for blob, signals in proofs[:2]:
            keys.verify(blob, list(signals))
        for _ in range(passes):
            for blob, signals in proofs:
                t = time.perf_counter()
                ok = keys.verify(blob, list(signals))
                ours_ms.append((time.perf_counter() - t) * 1e3)
                if not ok:
                    raise Mismatch("a gateway proof", "our verifier refuses it")
            answer = node.call({"op": "batch", "items": items})
            if not all(answer["outputs"]):
                raise Mismatch("a gateway proof", "snarkjs refuses it")
            node_ms += answer["ms"]
        for item in items:
            t = time.perf_counter()
            answer = node.call({"op": "verify", **item})
            trip_ms.append((time.perf_counter() - t) * 1e3)
            if answer["ok"] is not True:
                raise Mismatch("a gateway proof", "snarkjs refuses it (round trip)")
        blob, signals = proofs[0]
        bad = [(signals[0] + 1) % P, *signals[1:]]
        tampered = {"public": [str(s) for s in bad], "proof": items[0]["proof"]}
        if keys.verify(blob, bad) or node.call({"op": "verify", **tampered})["ok"] is not False:
            raise Mismatch("a tampered proof", "accepted by one side")
    return {
        "proofs": len(proofs),
        "passes": passes,
        "ours": stats(ours_ms),
        "snarkjs_in_node": stats(node_ms),
        "snarkjs_round_trip": stats(trip_ms),
        "checked": f"all {len(proofs)} proofs accepted by both verifiers with the same vk; "
        "a proof with a changed public signal refused by both",
    }


def gateway_comparison(
    verify: dict[str, Any], verify_stage_p50: float, overhead_p50: float
) -> list[Any]:
    """Ours vs snarkjs per verify call, and the overhead p50 with snarkjs substituted (derived:
    our overhead p50 − our in-gateway verify p50 + the snarkjs p50)."""
    ours = verify["ours"]["p50_ms"]
    in_node = verify["snarkjs_in_node"]["p50_ms"]
    trip = verify["snarkjs_round_trip"]["p50_ms"]
    swap = overhead_p50 - verify_stage_p50
    via = f"{SNARKJS} in a warm Node process"
    return [
        comparison_row("Groth16 verify p50, same proofs and vk", "ms", ours, in_node,
                       f"{via}, timed inside Node"),
        comparison_row("Groth16 verify p50, reference timed from Python", "ms", ours, trip,
                       f"{via}, round trip of one JSON line each way"),
        comparison_row("gateway overhead p50 (reference derived)", "ms", overhead_p50,
                       swap + in_node, "derived: ours − our verify + snarkjs verify (in Node)"),
        comparison_row("gateway overhead p50 (reference derived, round trip)", "ms",
                       overhead_p50, swap + trip,
                       "derived: ours − our verify + snarkjs verify (round trip)"),
    ]  # fmt: skip
