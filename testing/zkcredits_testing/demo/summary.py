"""The closing summary of the story: calls and costs, proof times, money, slashes, gas, timings."""

from __future__ import annotations

import statistics
from collections import Counter

from rich.console import Console
from rich.table import Table

from zkcredits_testing.demo.agent import ON_PATH, READY
from zkcredits_testing.demo.story import StoryResult


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in [0, 100]); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def _eth(wei: int) -> str:
    return f"{wei / 10**18:.9f} ETH"


def calls_table(r: StoryResult) -> Table:
    t = Table(
        title="paid calls with ready proofs (official openai client → prover service → gateway)"
    )
    for col in ("kind", "calls", "total cost (units)", "min", "max", "p50 latency s"):
        t.add_column(col, justify="right" if col != "kind" else "left")
    ready = [c for c in r.calls if c.mode == READY]
    kinds = Counter(c.kind for c in ready)
    for kind in sorted(kinds):
        rows = [c for c in ready if c.kind == kind]
        costs = [c.cost for c in rows]
        t.add_row(kind, str(len(rows)), str(sum(costs)), str(min(costs)), str(max(costs)),
                  f"{statistics.median(c.seconds for c in rows):.2f}")  # fmt: skip
    total = [c.cost for c in ready]
    t.add_row("all", str(len(ready)), str(sum(total)), str(min(total)), str(max(total)),
              f"{statistics.median(c.seconds for c in ready):.2f}", style="bold")  # fmt: skip
    return t


def latency_table(r: StoryResult) -> Table:
    """Both latencies of the same run: ready proofs against proving on the call's path."""
    t = Table(title="paid-call latency seen by the agent (random pre-send delay set to 0)")
    for col in ("proof", "calls", "p50 ms", "p95 ms"):
        t.add_column(col, justify="left" if col == "proof" else "right")
    for mode in (READY, ON_PATH):
        lat = [c.seconds * 1000 for c in r.calls if c.mode == mode]
        if lat:
            t.add_row(mode, str(len(lat)), f"{percentile(lat, 50):.1f}",
                      f"{percentile(lat, 95):.1f}")  # fmt: skip
    return t


def money_table(r: StoryResult) -> Table:
    w, c = r.withdrawal, r.cheat
    t = Table(title=f"money (accounting unit = {r.unit} wei)")
    t.add_column("what")
    t.add_column("units", justify="right")
    t.add_column("wei / ETH", justify="right")
    t.add_row(f"agent deposited (notes: {', '.join(map(str, r.deposits))})",
              str(w.deposited), _eth(w.deposited * r.unit))  # fmt: skip
    t.add_row("charged by the gateway (Σ cost)", str(w.charged), _eth(w.charged * r.unit))
    t.add_row("penalties", str(w.penalties), _eth(w.penalties * r.unit))
    t.add_row("refund expected (D − C − P)", str(w.expected_wei // r.unit), str(w.expected_wei))
    t.add_row("agent payout received", str(w.pulled_wei // r.unit), str(w.pulled_wei),
              style="bold green" if w.pulled_wei == w.expected_wei else "bold red")  # fmt: skip
    t.add_row("cheater slashed (deposit → treasury)", str(c.slashed_units),
              _eth(c.treasury_gain_wei))  # fmt: skip
    t.add_row("treasury owedOf at the end", str(r.treasury_owed_wei // r.unit),
              _eth(r.treasury_owed_wei))  # fmt: skip
    return t


def proofs_table(r: StoryResult) -> Table:
    t = Table(title="proofs and the double spend")
    t.add_column("measure")
    t.add_column("value", justify="right")
    p = r.prove_seconds
    t.add_row("request proofs made by the agent (ahead of time or on path)", str(len(p)))
    t.add_row("proof time p50 / p95", f"{percentile(p, 50):.2f} s / {percentile(p, 95):.2f} s")
    t.add_row("agent think time waiting for ready proofs", f"{r.think_seconds:.1f} s")
    c = r.cheat
    t.add_row("double spend: replies", f"{c.first_status}, then {c.second_status} {c.second_code}")
    slash_gas = sum(line.total for line in r.gas if "slash" in line.step.lower())
    t.add_row("slashes (watcher → slash tx)", f"1 in {c.seconds_to_slash:.1f} s, {slash_gas} gas")
    return t


def gas_table(r: StoryResult) -> Table:
    t = Table(title="gas per step (read back from the chain)")
    for col in ("step", "txs", "total gas", "gas per tx"):
        t.add_column(col, justify="left" if col == "step" else "right")
    for line in r.gas:
        t.add_row(line.step, str(line.count), f"{line.total:,}", f"{line.mean:,}")
    return t


def timings_table(r: StoryResult) -> Table:
    t = Table(title="wall time per stage")
    t.add_column("stage")
    t.add_column("seconds", justify="right")
    for name, seconds in r.timings.items():
        t.add_row(name, f"{seconds:.1f}")
    return t


def print_summary(r: StoryResult, console: Console) -> None:
    tables = (calls_table(r), latency_table(r), proofs_table(r), money_table(r), gas_table(r),
              timings_table(r))  # fmt: skip
    for table in tables:
        console.print(table)
    console.print("stopped: " + "; ".join(r.stopped))
