"""A malformed `ZKCREDITS_GATEWAY_*` variable is one line naming it and exit status 2 (a usage
error), through the real entry point; the shared finality values are accepted."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from prover.cli.main import main
from prover.gateway.config import load_serve_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("ZKCREDITS_GATEWAY_"):
            monkeypatch.delenv(name)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ZKCREDITS_GATEWAY_FINALITY", "soon"),
        ("ZKCREDITS_GATEWAY_PORT", "x"),
        ("ZKCREDITS_GATEWAY_STORE", "mysql://db/x"),
    ],
)
def test_a_malformed_gateway_variable_is_exit_2_naming_it(
    variable: str,
    value: str,
    bundle_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(variable, value)
    args = ["gateway", "serve", "--deployment", str(bundle_file), "--upstream", "embedded",
            "--data-dir", str(tmp_path / "data")]  # fmt: skip
    code = main(args)
    out = capsys.readouterr()
    lines = [line for line in out.err.splitlines() if line.strip()]
    assert "Traceback" not in out.err + out.out
    assert code == 2 and len(lines) == 1, out.err
    assert lines[0].startswith(f"error: {variable}:") and repr(value) in lines[0]


def test_the_same_bad_value_given_as_an_option_stays_a_usage_error_naming_the_option(
    bundle_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["gateway", "serve", "--deployment", str(bundle_file), "--upstream", "embedded",
            "--data-dir", str(tmp_path / "data"), "--finality", "soon"]  # fmt: skip
    code = main(args)
    err = capsys.readouterr().err
    assert code != 0 and "--finality" in err and "Traceback" not in err


@pytest.mark.parametrize(("value", "depth"), [("finalized", None), ("auto", 0), (" 5 ", 5)])
def test_the_gateway_reads_the_shared_finality_values_from_its_variable(
    value: str, depth: int | None, bundle_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZKCREDITS_GATEWAY_FINALITY", value)
    serve = load_serve_settings({"deployment": bundle_file, "upstream": "embedded"}, None)
    assert serve.confirmations(31337) == depth


def test_a_malformed_upstream_variable_is_exit_2_and_its_brackets_print_as_text(
    bundle_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("ZKCREDITS_UPSTREAM_BASE_URL", "ftp://x")
    args = ["gateway", "serve", "--deployment", str(bundle_file), "--data-dir",
            str(tmp_path / "data")]  # fmt: skip
    code = main(args)
    out = capsys.readouterr()
    lines = [line for line in out.err.splitlines() if line.strip()]
    assert "Traceback" not in out.err + out.out and len(lines) == 1, out.err
    assert code == 2
    assert lines[0].startswith("error: ZKCREDITS_UPSTREAM_BASE_URL:")
    assert "http(s)://host[:port][/prefix]" in lines[0]  # rich markup would have eaten it
