"""`bench/report.py`: one markdown + JSON report over the benchmarks' own result files."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _report() -> ModuleType:
    if "zkc_bench_report" in sys.modules:
        return sys.modules["zkc_bench_report"]
    spec = importlib.util.spec_from_file_location("zkc_bench_report", ROOT / "bench" / "report.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["zkc_bench_report"] = module
    spec.loader.exec_module(module)
    return module


def test_crypto_output_lines_are_parsed_into_operations_and_other_lines_are_ignored() -> None:
    out = "poseidon(5)                                     0.051 ms\nwarming up\nsign   1.5 ms\n"
    parsed = _report().parse_crypto(out)
    assert parsed == {"ops": [{"operation": "poseidon(5)", "ms": 0.051},
                              {"operation": "sign", "ms": 1.5}]}  # fmt: skip


def test_the_markdown_shows_the_numbers_of_the_result_files() -> None:
    report = _report()
    results = {}
    for name in ("prove", "gateway", "gas"):
        path = ROOT / "bench" / "results" / f"{name}.json"
        if path.is_file():
            results[name] = json.loads(path.read_text())
    results["crypto"] = {"ops": [{"operation": "poseidon(5)", "ms": 0.051}]}
    text = report.markdown(results)
    assert "| poseidon(5) | 0.051 |" in text
    if "prove" in results:
        p50 = results["prove"]["ours"]["prove_ms"]["p50"]
        assert f"| our prover: prove p50 / p95 (ms) | {p50} |" in text
    if "gas" in results:
        row = results["gas"]["rows"][0]
        assert f"| {row['operation']} | {row['case']} | {row['gas']} |" in text


def test_a_benchmark_that_fails_is_reported_as_failed_not_filled_in() -> None:
    report = _report()
    data = report.run_bench("no_such_benchmark")
    assert data["failed"] is True and data["exit_status"] != 0
    text = report.markdown({"gas": data})
    assert "**gas failed**" in text and "| operation |" not in text


@pytest.mark.parametrize("name", ["prove", "gateway", "gas", "crypto"])
def test_every_benchmark_has_a_report_section(name: str) -> None:
    assert name in _report().SECTIONS and (ROOT / "bench" / f"{name}.py").is_file()
