"""Proving benchmark: our path (groth16py, keys kept loaded, warm Node witness) vs snarkjs.

    .venv/bin/python bench/prove.py [--runs 20] [--circuit request] [--ours-only]

For the circuit (default `request`, compiled by `zkcredits circuits build` into build/circuits):
witness + proof time (p50/p95 over --runs calls) for our `Prover.prove` and for
`snarkjs groth16 fullprove` (one CLI call per proof, as a service would shell out), verify time
for both, and constraints of every compiled circuit. Writes bench/results/prove.json.
`--ours-only` times only our path (a microbenchmark) and writes nothing.

snarkjs needs a zkey: the ceremony's (build/ceremony/<circuit>/final.zkey) when it matches the
r1cs, else `snarkjs zkey new` over the cached ptau (build/ptau). FIRST RUN COST: if no ptau of the
needed power is cached, one is generated (power 14: ~8-10 minutes on 2 cores), then reused forever.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import groth16py
from reference.timing import comparison_row
from rich.console import Console
from rich.table import Table

from prover.circuits.artifacts import (
    CEREMONY_DIR,
    CIRCUIT_NAMES,
    CIRCUITS_BUILD_DIR,
    KEYS_DIR,
    PTAU_DIR,
    CircuitArtifacts,
)
from prover.circuits.ceremony import load_transcript
from prover.circuits.examples import example_inputs
from prover.circuits.keys import ensure_dev_keys
from prover.circuits.node_witness import normalize_inputs
from prover.circuits.prover import CircuitKeys, Prover
from prover.circuits.ptau import ensure_ptau, power_for, ptau_path
from prover.circuits.r1cs import read_r1cs_header
from prover.circuits.snarkjs import (
    export_verification_key,
    groth16_fullprove,
    groth16_verify,
    run,
)
from prover.plumbing.atomic import atomic_write_text
from prover.plumbing.digest import sha256_file
from prover.toolchain.paths import BUILD_DIR, REPO_ROOT

RESULTS = REPO_ROOT / "bench" / "results" / "prove.json"
console = Console()


def percentiles(samples_s: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in samples_s)
    p95 = ms[min(len(ms) - 1, max(0, round(0.95 * len(ms)) - 1))]
    return {
        "p50": round(statistics.median(ms), 2),
        "p95": round(p95, 2),
        "min": round(ms[0], 2),
        "max": round(ms[-1], 2),
        "runs": len(ms),
    }


def timed(fn: Callable[[], object], runs: int, warmup: int = 1) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def timed_interleaved(
    fns: Sequence[Callable[[], object]], runs: int, warmup: int = 1
) -> list[list[float]]:
    """`timed` for several callables, one call of each per round (interleaved)."""
    for _ in range(warmup):
        for fn in fns:
            fn()
    out: list[list[float]] = [[] for _ in fns]
    for _ in range(runs):
        for fn, samples in zip(fns, out, strict=True):
            start = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - start)
    return out


def snarkjs_zkey(artifacts: CircuitArtifacts) -> tuple[Path, str]:
    """The ceremony zkey if it matches the r1cs, else a cached `zkey new` over the cached ptau."""
    transcript = CEREMONY_DIR / artifacts.name / "transcript.json"
    r1cs_hash = sha256_file(artifacts.r1cs)
    if transcript.is_file() and load_transcript(transcript).r1cs_sha256 == r1cs_hash:
        return CEREMONY_DIR / artifacts.name / "final.zkey", "ceremony"
    zkey = BUILD_DIR / "bench" / f"{artifacts.name}-{r1cs_hash[:16]}.zkey"
    if zkey.is_file():
        return zkey, "bench zkey new (cached)"
    power = power_for(read_r1cs_header(artifacts.r1cs))
    console.print(f"[yellow]no zkey for {artifacts.name}: ptau power {power} (cached or built)…")
    # purpose="benchmark": the ceremony never takes this phase 1 for one of its own.
    record = ensure_ptau(power, ["bench-1", "bench-2"], progress=console.print, purpose="benchmark")
    zkey.parent.mkdir(parents=True, exist_ok=True)
    tmp = zkey.with_suffix(".tmp")
    run(["zkey", "new", artifacts.r1cs, ptau_path(record, PTAU_DIR), tmp])
    tmp.replace(zkey)
    return zkey, "bench zkey new"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--circuit", default="request")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--build-dir", type=Path, default=CIRCUITS_BUILD_DIR)
    parser.add_argument("--inputs", type=Path, help="JSON inputs (default: prover.circuits.inputs)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--ours-only", action="store_true", help="time our path only; write no results"
    )
    args = parser.parse_args(argv)
    load_before = os.getloadavg()[0]

    circuits = {}
    for name in sorted({*CIRCUIT_NAMES, args.circuit}):
        r1cs = args.build_dir / name / f"{name}.r1cs"
        if r1cs.is_file():
            header = read_r1cs_header(r1cs)
            circuits[name] = {
                "constraints": header.n_constraints,
                "public_signals": header.n_public,
                "wires": header.n_wires,
                "ptau_power_needed": power_for(header),
            }
    artifacts = CircuitArtifacts.in_dir(args.circuit, args.build_dir / args.circuit)
    inputs: Mapping[str, Any] = (
        json.loads(args.inputs.read_text()) if args.inputs else example_inputs(args.circuit)
    )
    setup = ensure_dev_keys(
        artifacts,
        KEYS_DIR if args.build_dir == CIRCUITS_BUILD_DIR else args.build_dir.parent / "keys",
    )
    zkey, zkey_source = snarkjs_zkey(artifacts)
    load_start = time.perf_counter()
    keys = CircuitKeys.load_from(setup.directory, artifacts)
    load_s = time.perf_counter() - load_start
    str_inputs = normalize_inputs(inputs)  # decimal strings: JSON numbers lose precision in JS
    proof_box: dict[str, Any] = {}

    def snark_prove() -> None:
        proof_box["proof"], proof_box["public"] = groth16_fullprove(
            str_inputs, artifacts.wasm, zkey
        )

    with Prover(keys) as prover:
        first_start = time.perf_counter()
        proof = prover.prove(inputs)
        first_s = time.perf_counter() - first_start
        stages: dict[str, list[float]] = {}

        def ours() -> None:
            prover.prove(inputs)
            for stage, seconds in prover.last_timings.items():
                stages.setdefault(stage, []).append(seconds)

        # Runs interleaved (ours, snarkjs, ours, …): both see the same load on a shared machine.
        calls = [ours] if args.ours_only else [ours, snark_prove]
        samples = timed_interleaved(calls, args.runs, warmup=0 if args.ours_only else 1)
        ours_prove = samples[0]
        ours_verify = timed(lambda: keys.verify(proof), max(200, args.runs), warmup=5)
    stages_p50 = {stage: round(statistics.median(v) * 1000, 1) for stage, v in stages.items()}
    if args.ours_only:
        p, v = percentiles(ours_prove), percentiles(ours_verify)
        console.print(f"ours: prove {p}; stages p50 (ms) {stages_p50}; verify p50 {v['p50']} ms")
        return 0

    snark_prove_s = samples[1]
    if proof_box["public"] != proof.public_signals:
        raise SystemExit("snarkjs and groth16py disagree on the public signals")
    vk_json = export_verification_key(zkey)

    def snark_verify() -> None:
        if not groth16_verify(vk_json, proof_box["public"], proof_box["proof"]):
            raise SystemExit("snarkjs refused its own proof")

    snark_verify_s = timed(snark_verify, args.runs, warmup=1)

    ours_p, snark_p = percentiles(ours_prove), percentiles(snark_prove_s)
    ours_v, snark_v = percentiles(ours_verify), percentiles(snark_verify_s)
    speedup = round(snark_p["p50"] / ours_p["p50"], 2)
    comparison = [  # the standard side-by-side rows (warm snarkjs verify: bench/gateway.py)
        comparison_row(f"{args.circuit}: {what} p50", "ms", ours["p50"], ref["p50"], name)
        for what, ours, ref, name in (
            ("witness + proof", ours_p, snark_p, "snarkjs `groth16 fullprove` CLI, a process each"),
            ("verify", ours_v, snark_v, "snarkjs `groth16 verify` CLI, a process each (cold)"),
        )
    ]
    result = {
        "circuit": args.circuit,
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "node": subprocess.run(
                ["node", "--version"], capture_output=True, text=True
            ).stdout.strip(),
            "groth16py": groth16py.__version__,
            "snarkjs": "0.7.6",
            "note": "shared 2-core machine; other jobs may run concurrently (snarkjs uses both "
            "cores, so load slows it more than ours: check the load averages)",
            "loadavg_1m_start_end": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        },
        "circuits": circuits,
        "ours": {
            "path": "groth16py prove_wtns, keys kept loaded, witness by circom wasm in a warm Node "
            "process, full R1CS check of the witness (on a second thread, overlapping the proof) "
            "and self-verify included",
            "key_load_ms": round(load_s * 1000, 1),
            "first_proof_ms": round(first_s * 1000, 1),
            "prove_ms": ours_p,
            "prove_stages_p50_ms": stages_p50,
            "verify_ms": ours_v,
            "keys": setup.manifest.setup,
        },
        "snarkjs": {
            "path": "`snarkjs groth16 fullprove` / `groth16 verify` CLI, one process per call; "
            "proofs timed interleaved with ours",
            "zkey": zkey_source,
            "prove_ms": snark_p,
            "verify_ms": snark_v,
        },
        "speedup_prove_p50": speedup,
        # groth16py's single-threaded prove_wtns alone bounds the speedup, even with a free
        # witness, check and verify:
        "speedup_bound_prove_only": round(snark_p["p50"] / stages_p50["prove"], 2),
        "comparison": comparison,
        "targets": {
            "prove_p50_le_800ms": ours_p["p50"] <= 800,
            "prove_ge_3x_snarkjs": speedup >= 3,
            "verify_p50_le_5ms": ours_v["p50"] <= 5,
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out, json.dumps(result, indent=2) + "\n")

    table = Table(title=f"{args.circuit}: witness + proof, verify ({args.runs} runs)")
    for col in ("path", "prove p50", "prove p95", "verify p50", "verify p95"):
        table.add_column(col)
    table.add_row(
        "groth16py (ours)",
        f"{ours_p['p50']:.0f} ms",
        f"{ours_p['p95']:.0f} ms",
        f"{ours_v['p50']:.2f} ms",
        f"{ours_v['p95']:.2f} ms",
    )
    table.add_row(
        "snarkjs CLI",
        f"{snark_p['p50']:.0f} ms",
        f"{snark_p['p95']:.0f} ms",
        f"{snark_v['p50']:.0f} ms",
        f"{snark_v['p95']:.0f} ms",
    )
    console.print(table)
    sizes = Table(title="circuits")
    for col in ("circuit", "constraints", "public", "ptau power"):
        sizes.add_column(col)
    for name, info in circuits.items():
        sizes.add_row(
            name,
            str(info["constraints"]),
            str(info["public_signals"]),
            str(info["ptau_power_needed"]),
        )
    console.print(sizes)
    console.print(f"speedup (p50): {speedup}×; targets: {result['targets']}; wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
