"""One report of every benchmark: bench/results/report.md (markdown tables) and report.json.

    .venv/bin/python bench/report.py [--reuse] [--only prove --only gas ...]

Without `--reuse` each benchmark runs as a subprocess and writes bench/results/<name>.json; with
`--reuse` an existing result is read as it is and only missing ones are run. A benchmark that
fails is reported as failed (with its exit status and the tail of its output), never filled in.
Every result with a `comparison` list (ours vs a reference measured in the same run) gets a
side-by-side table first; a row that is malformed or whose ratio is not reference / ours is shown
as such, never silently dropped.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
BENCHES = ("prove", "gateway", "gas", "crypto")
TIMEOUT_S = 3600
COMPARISON_KEYS = ("measure", "unit", "ours", "reference", "reference_name", "ratio")


def run_bench(name: str) -> dict[str, Any]:
    """Run one benchmark as a subprocess; returns its result or a failure record."""
    t0 = time.monotonic()
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / f"{name}.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    elapsed = round(time.monotonic() - t0, 1)
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-15:]
        return {"failed": True, "exit_status": proc.returncode, "output_tail": tail}
    path = RESULTS / f"{name}.json"
    if not path.is_file():
        return {"failed": True, "exit_status": 0, "output_tail": [f"{path} was not written"]}
    data: dict[str, Any] = json.loads(path.read_text())
    data["_report"] = {"ran": True, "wall_s": elapsed}
    return data


def load_or_run(name: str, reuse: bool) -> dict[str, Any]:
    path = RESULTS / f"{name}.json"
    if reuse and path.is_file():
        data: dict[str, Any] = json.loads(path.read_text())
        data["_report"] = {"ran": False, "reused": str(path.relative_to(ROOT))}
        return data
    return run_bench(name)


def _get(data: dict[str, Any], *keys: str) -> Any:
    cur: Any = data
    for key in keys:
        if not isinstance(cur, dict) or key not in cur:
            return None
        cur = cur[key]
    return cur


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in rows]
    return [*out, ""]


def _failed(name: str, data: dict[str, Any]) -> list[str]:
    lines = [f"**{name} failed** (exit status {data.get('exit_status')}):", "", "```"]
    return lines + list(data.get("output_tail", [])) + ["```", ""]


def prove_section(d: dict[str, Any]) -> list[str]:
    rows = [
        ["our prover: prove p50 / p95 (ms)", _get(d, "ours", "prove_ms", "p50"),
         _get(d, "ours", "prove_ms", "p95"), "p50 ≤ 800", _get(d, "targets", "prove_p50_le_800ms")],
        ["our verifier: verify p50 / p95 (ms)", _get(d, "ours", "verify_ms", "p50"),
         _get(d, "ours", "verify_ms", "p95"), "p50 ≤ 5", _get(d, "targets", "verify_p50_le_5ms")],
        ["snarkjs fullprove p50 / p95 (ms)", _get(d, "snarkjs", "prove_ms", "p50"),
         _get(d, "snarkjs", "prove_ms", "p95"), "", ""],
        ["speed-up over snarkjs (p50)", _get(d, "speedup_prove_p50"), "", "≥ 3×",
         _get(d, "targets", "prove_ge_3x_snarkjs")],
    ]  # fmt: skip
    circuits = [[n, _get(c, "constraints"), _get(c, "public_signals")]
                for n, c in sorted((d.get("circuits") or {}).items())]  # fmt: skip
    return [
        f"Circuit `{d.get('circuit')}`, keys {_get(d, 'ours', 'keys')}, {d.get('when')}.",
        "",
        *_table(["measure", "p50", "p95", "target", "met"], rows),
        *_table(["circuit", "constraints", "public signals"], circuits),
    ]


def gateway_section(d: dict[str, Any]) -> list[str]:
    rows = [
        ["paid calls / s", d.get("paid_calls_per_s"), d.get("target_paid_calls_per_s"),
         d.get("throughput_meets_target")],
        ["gateway overhead p50 (ms)",
         _get(d, "latency_sequential", "gateway overhead (server time − upstream)", "p50_ms"),
         d.get("target_overhead_p50_ms"), d.get("overhead_p50_meets_target")],
        ["pre-flight checks added to overhead p50 (ms, on − off)",
         d.get("preflight_added_overhead_p50_ms"), d.get("target_preflight_added_p50_ms"),
         d.get("preflight_meets_target")],
    ]  # fmt: skip
    latency = d.get("latency_sequential") or {}
    stages = [[name, v.get("p50_ms"), v.get("p99_ms"), v.get("n")]
              for name, v in latency.items() if isinstance(v, dict)]  # fmt: skip
    per_round = d.get("paid_calls_per_s_per_round") or {}
    if per_round:
        spread = f"median {per_round.get('median')}, {per_round.get('min')}–{per_round.get('max')}"
        rows.insert(1, ["paid calls / s per round", spread, "", ""])
    head = (
        f"{d.get('paid_calls')} paid calls in {d.get('rounds')} rounds ({d.get('timed_s')} s "
        f"timed), {d.get('served_ok')} served, {d.get('machine')}."
    )
    checked = _get(d, "verify_reference", "checked")
    return [
        head,
        "",
        *([f"Verifier check in the same run: {checked}.", ""] if checked else []),
        *_table(["measure", "value", "target", "met"], rows),
        *_table(["stage", "p50 ms", "p99 ms", "n"], stages),
    ]


def gas_section(d: dict[str, Any]) -> list[str]:
    rows = [[r.get("operation"), r.get("case"), r.get("gas"), r.get("target") or "", r.get("note")]
            for r in d.get("rows") or []]  # fmt: skip
    return _table(["operation", "case", "gas", "target", "note"], rows)


def crypto_section(d: dict[str, Any]) -> list[str]:
    checked = [[name, m.get("checked")] for name, m in (d.get("measures") or {}).items()]
    return [
        *_table(["measure", "what was checked equal in the same run"], checked),
        "Ours only (no reference):",
        "",
        *_table(["operation", "ms"], [[o["operation"], o["ms"]] for o in d.get("ops") or []]),
    ]


def comparison_problem(row: object) -> str | None:
    """Why a `comparison` row cannot be shown as a comparison (None if it can)."""
    if not isinstance(row, dict) or any(k not in row for k in COMPARISON_KEYS):
        return f"missing keys: {sorted(set(COMPARISON_KEYS) - set(row or {}))}"
    ours, ref, ratio = row["ours"], row["reference"], row["ratio"]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (ours, ref, ratio)):
        return "ours, reference and ratio must be numbers"
    if ours <= 0 or ref <= 0:
        return "ours and reference must be positive"
    if abs(ratio - ref / ours) > 0.01 * ref / ours + 0.01:
        return f"ratio {ratio} is not reference / ours = {ref / ours:.3g}"
    return None


def comparison_section(rows: list[Any]) -> list[str]:
    """Side by side: measure (unit) | ours | reference (name) | ratio (reference / ours)."""
    table = []
    for row in rows:
        problem = comparison_problem(row)
        if problem:
            table.append(
                [f"**malformed comparison row** ({problem}): `{json.dumps(row)}`", "", "", ""]
            )
            continue
        reference = f"{row['reference']} ({row['reference_name']})"
        table.append(
            [f"{row['measure']} ({row['unit']})", row["ours"], reference, f"{row['ratio']}×"]
        )
    header = ["measure", "ours", "reference (name)", "ratio (reference / ours; > 1: ours wins)"]
    return ["Ours vs reference, same run:", "", *_table(header, table)]


SECTIONS = {
    "prove": ("Proving (bench/prove.py)", prove_section),
    "gateway": ("Gateway (bench/gateway.py)", gateway_section),
    "gas": ("Gas (bench/gas.py)", gas_section),
    "crypto": ("Crypto hot paths (bench/crypto.py)", crypto_section),
}


def markdown(results: dict[str, dict[str, Any]]) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = ["# zkcredits benchmark report", "", f"Generated {now} by `bench/report.py`.", ""]
    for name, data in results.items():
        title, section = SECTIONS[name]
        lines += [f"## {title}", ""]
        source = data.get("_report", {})
        if source.get("reused"):
            lines += [f"_Reused `{source['reused']}`._", ""]
        if data.get("failed"):
            lines += _failed(name, data)
            continue
        if isinstance(data.get("comparison"), list):
            lines += comparison_section(data["comparison"])
        lines += section(data)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--reuse", action="store_true", help="read existing results as they are")
    parser.add_argument("--only", action="append", choices=BENCHES, help="benchmarks to include")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    results = {name: load_or_run(name, args.reuse) for name in (args.only or BENCHES)}
    (RESULTS / "report.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    (RESULTS / "report.md").write_text(markdown(results))
    failed = [n for n, d in results.items() if d.get("failed")]
    print(f"wrote {RESULTS / 'report.md'} and report.json; failed: {', '.join(failed) or 'none'}")
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
