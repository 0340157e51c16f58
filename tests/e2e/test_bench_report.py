"""`bench/report.py`: one markdown + JSON report over the benchmarks' own result files."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"


def _report() -> ModuleType:
    if "zkc_bench_report" in sys.modules:
        return sys.modules["zkc_bench_report"]
    spec = importlib.util.spec_from_file_location("zkc_bench_report", ROOT / "bench" / "report.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["zkc_bench_report"] = module
    spec.loader.exec_module(module)
    return module


def _results() -> dict[str, dict[str, Any]]:
    out = {}
    for name in ("prove", "gateway", "gas", "crypto"):
        path = RESULTS / f"{name}.json"
        if path.is_file():
            out[name] = json.loads(path.read_text())
    return out


ROW = {"measure": "verify p50", "unit": "ms", "ours": 2.25, "reference": 16.23,
       "reference_name": "snarkjs", "ratio": 7.21}  # fmt: skip


def test_a_comparison_is_rendered_side_by_side_before_the_bench_own_tables() -> None:
    report = _report()
    text = report.markdown({"gas": {"comparison": [ROW], "rows": []}})
    line = "| verify p50 (ms) | 2.25 | 16.23 (snarkjs) | 7.21× |"
    assert line in text
    assert text.index(line) < text.index("| operation | case | gas |")
    assert "malformed" not in text


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ({**ROW, "ratio": 0.14}, "not reference / ours"),
        ({k: v for k, v in ROW.items() if k != "reference_name"}, "missing keys"),
        ({**ROW, "ours": "fast"}, "must be numbers"),
        ({**ROW, "ours": 0, "ratio": 0}, "positive"),
    ],
)
def test_a_comparison_row_that_is_malformed_or_miscomputed_is_shown_as_such(
    row: dict[str, Any], problem: str
) -> None:
    report = _report()
    assert problem in (report.comparison_problem(row) or "")
    text = report.markdown({"gas": {"comparison": [row], "rows": []}})
    assert "**malformed comparison row**" in text and problem in text


def test_the_markdown_shows_the_numbers_of_the_result_files() -> None:
    results = _results()
    text = _report().markdown(results)
    for data in results.values():
        for row in data.get("comparison") or []:
            assert (
                f"| {row['measure']} ({row['unit']}) | {row['ours']} | {row['reference']} (" in text
            )
    if "crypto" in results:
        op = results["crypto"]["ops"][0]
        assert f"| {op['operation']} | {op['ms']} |" in text
    if "prove" in results:
        p50 = results["prove"]["ours"]["prove_ms"]["p50"]
        assert f"| our prover: prove p50 / p95 (ms) | {p50} |" in text
    if "gas" in results:
        row = results["gas"]["rows"][0]
        assert f"| {row['operation']} | {row['case']} | {row['gas']} |" in text


@pytest.mark.parametrize("name", ["prove", "gateway", "crypto"])
def test_each_result_file_compares_ours_with_a_reference_measured_in_the_same_run(
    name: str,
) -> None:
    path = RESULTS / f"{name}.json"
    assert path.is_file(), f"run .venv/bin/python bench/{name}.py"
    rows = json.loads(path.read_text()).get("comparison")
    assert rows, f"{path} has no comparison"
    report = _report()
    assert [report.comparison_problem(r) for r in rows] == [None] * len(rows)
    assert all(r["reference_name"] and r["ours"] > 0 for r in rows)


def test_a_benchmark_that_fails_is_reported_as_failed_not_filled_in() -> None:
    report = _report()
    data = report.run_bench("no_such_benchmark")
    assert data["failed"] is True and data["exit_status"] != 0
    text = report.markdown({"gas": {**data, "comparison": [ROW]}})
    assert "**gas failed**" in text and "| operation |" not in text and "16.23" not in text


@pytest.mark.parametrize("name", ["prove", "gateway", "gas", "crypto"])
def test_every_benchmark_has_a_report_section(name: str) -> None:
    assert name in _report().SECTIONS and (ROOT / "bench" / f"{name}.py").is_file()
