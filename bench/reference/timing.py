"""One timing rule and one comparison-row shape for every benchmark.

`measure` times Python exactly as `harness.mjs` times Node: `warmup` untimed calls, then calls
cycling over the inputs in `batches` batches of at least budget / batches each (or until
`max_iter` calls in all); it returns the outputs of the first pass over the inputs and the median,
min and max batch mean (ms per call). `complete=False` keeps only the outputs of the calls made
(for a slow reference timed on a few of the inputs).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, TypedDict


class Timed(TypedDict):
    outputs: list[Any]
    ms: float
    min_ms: float
    max_ms: float
    iterations: int
    batches: int


def measure(
    fn: Callable[[Any], Any],
    inputs: Sequence[Any],
    budget_s: float = 1.0,
    batches: int = 5,
    warmup: int = 1,
    max_iter: int | None = None,
    complete: bool = True,
) -> Timed:
    n = len(inputs)
    if n == 0:
        raise ValueError("measure needs at least one input")
    outputs: list[Any] = []
    i = 0

    def call() -> None:
        nonlocal i
        out = fn(inputs[i % n])
        if i < n:
            outputs.append(out)
        i += 1

    for _ in range(warmup):
        call()
    limit = warmup + max_iter if max_iter is not None else float("inf")
    means: list[float] = []
    batch_s = budget_s / batches
    clock = time.perf_counter
    while len(means) < batches and i < limit:
        count, start, elapsed = 0, clock(), 0.0
        while elapsed < batch_s and i < limit:
            call()
            count += 1
            elapsed = clock() - start
        means.append(elapsed * 1e3 / count)
    while complete and i < n:  # outputs for every input, even past the timed calls
        call()
    ordered = sorted(means)
    return {
        "outputs": outputs,
        "ms": ordered[(len(ordered) - 1) // 2],
        "min_ms": ordered[0],
        "max_ms": ordered[-1],
        "iterations": i - warmup,
        "batches": len(means),
    }


def interleave(sides: Sequence[Callable[[int], Timed]], rounds: int = 5) -> list[Timed]:
    """Run one batch of each side per round (A, B, A, B, …), so every side sees the same load on
    a shared machine; each side's result is the median, min and max of its round means and the
    outputs its rounds returned, in order."""
    runs: list[list[Timed]] = [[] for _ in sides]
    for r in range(rounds):
        for side, acc in zip(sides, runs, strict=True):
            acc.append(side(r))
    out: list[Timed] = []
    for acc in runs:
        means = sorted(t["ms"] for t in acc)
        out.append({
            "outputs": [o for t in acc for o in t["outputs"]],
            "ms": means[(len(means) - 1) // 2],
            "min_ms": means[0],
            "max_ms": means[-1],
            "iterations": sum(t["iterations"] for t in acc),
            "batches": len(acc),
        })  # fmt: skip
    return out


def sig(value: float, digits: int = 4) -> float:
    """`value` rounded to `digits` significant digits (results stay readable at any scale)."""
    return float(f"{value:.{digits}g}")


def comparison_row(
    measure_name: str, unit: str, ours: float, reference: float, reference_name: str
) -> dict[str, Any]:
    """The shared `comparison` entry: ratio = reference / ours (> 1: ours is faster/cheaper)."""
    if ours <= 0 or reference <= 0:
        raise ValueError(f"{measure_name}: both sides must be positive ({ours}, {reference})")
    return {
        "measure": measure_name,
        "unit": unit,
        "ours": sig(ours),
        "reference": sig(reference),
        "reference_name": reference_name,
        "ratio": round(reference / ours, 2),
    }


def print_comparison(rows: Sequence[dict[str, Any]], title: str) -> None:
    """The side-by-side table on stdout (ratio = reference / ours; > 1: ours is faster)."""
    table = [["measure", "unit", "ours", "reference", "ratio", "reference is"]]
    table += [[r["measure"], r["unit"], f"{r['ours']:g}", f"{r['reference']:g}",
               f"{r['ratio']:g}×", r["reference_name"]] for r in rows]  # fmt: skip
    widths = [max(len(row[c]) for row in table) for c in range(len(table[0]))]
    print(f"\n{title}")
    for row in table:
        cells = [
            cell.rjust(w) if 2 <= c <= 4 else cell.ljust(w)
            for c, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(cells).rstrip())
