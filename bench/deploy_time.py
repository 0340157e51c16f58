"""Deploy time with the packaged bytecode against the old path that compiled with solcjs.

    .venv/bin/python bench/deploy_time.py [--runs 2] [--out bench/results/deploy_time.json]

Each run deploys the whole dev service (Poseidon libraries, verifiers, ERC-8004 registries, the
vault, the agent registration) on a fresh Anvil with `prover.chain.deploy.service.deploy`:
"packaged" as the code runs now (bytecode from `prover.artifacts`, no compiler), "compile (old
path)" with the vault and the verifiers compiled by solcjs in the process, as every deploying
process did before (the reference, same run, same chain). The registries come from the package in
both (the old path read them from a build cache too). Needs the circuits built
(`zkcredits circuits build`) and the package data (`scripts/build_artifacts.py`).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from zkcredits_testing.devprovider import deploy_dev_provider

import prover.chain.deploy.inputs as deploy_inputs
import prover.chain.deploy.service as deploy_service
from prover.chain.artifacts import compile_vault_artifacts, vault_artifacts
from prover.circuits.build import BuildDirs, build_all
from prover.circuits.verifier_code import compile_verifier
from prover.toolchain.anvil import AnvilProcess

SERVER_SK = 0x1D2C3B4A59687766554433221100FFEEDDCCBBAA99887766554433221100FF


def _deploy_once() -> float:
    with AnvilProcess() as chain, tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        deploy_dev_provider(chain.rpc_url, SERVER_SK, "http://127.0.0.1:9/", Path(out))
        return time.perf_counter() - started


def _packaged() -> float:
    return _deploy_once()


def _compiling() -> float:
    """The old path: the deploying process compiles the vault and the verifiers itself."""
    saved = (deploy_service.vault_artifacts, deploy_inputs.packaged_verifier)
    deploy_service.vault_artifacts = compile_vault_artifacts  # type: ignore[assignment]
    deploy_inputs.packaged_verifier = lambda circuit, source: None
    compile_verifier.cache_clear()
    try:
        return _deploy_once()
    finally:
        deploy_service.vault_artifacts, deploy_inputs.packaged_verifier = saved


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("bench/results/deploy_time.json"))
    args = parser.parse_args(argv)
    build_all(["request", "withdraw", "slash"], BuildDirs())  # cached: keys + verifiers
    vault_artifacts()  # load the package data once, outside the timings (a ~0.1 s read)
    rows: dict[str, list[float]] = {"packaged": [], "compile (old path)": []}
    for _ in range(args.runs):
        rows["packaged"].append(_packaged())
        rows["compile (old path)"].append(_compiling())
    table = Table(title="whole-service deploy on Anvil (seconds)")
    table.add_column("path")
    table.add_column("runs", justify="right")
    table.add_column("min", justify="right")
    table.add_column("mean", justify="right")
    summary: dict[str, Any] = {}
    for name, times in rows.items():
        mean = sum(times) / len(times)
        table.add_row(name, str(len(times)), f"{min(times):.2f}", f"{mean:.2f}")
        summary[name] = {"runs": times, "min": min(times), "mean": mean}
    saved = summary["compile (old path)"]["mean"] - summary["packaged"]["mean"]
    Console().print(table)
    print(f"saved per deploy: {saved:.2f} s")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {"machine": platform.machine(), "python": platform.python_version(),
             "results": summary, "saved_seconds": saved},
            indent=2,
        ) + "\n"
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
