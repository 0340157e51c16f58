"""`zkcredits` starts light: `--help` and `client balance` import neither web3 nor the prover nor
the web stack (each test runs the CLI in a fresh interpreter and lists what it imported). The
wall time is printed for the notes, never asserted (a loaded machine is slow, not wrong)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from prover.client.profile import ClientProfile, new_token, save_profile
from prover.client.wallet import KdfParams, Wallet

HEAVY = ("web3", "eth_account", "groth16py", "fastapi", "uvicorn", "starlette", "openai",
         "prover.client.session", "prover.circuits.prover", "prover.chain.mirror")  # fmt: skip
PASS = "startup passphrase"

PROBE = """
import json, sys, time
started = time.perf_counter()
from typer.testing import CliRunner
from prover.cli.main import app
result = CliRunner().invoke(app, sys.argv[1:])
elapsed = time.perf_counter() - started
print(json.dumps({"code": result.exit_code, "output": result.output, "seconds": elapsed,
                  "modules": sorted(sys.modules)}))
"""


def _run(args: list[str], env: dict[str, str] | None = None) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
        check=True,
    )
    data: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return data


def _heavy(data: dict[str, object]) -> list[str]:
    modules = set(data["modules"])  # type: ignore[call-overload]
    return [m for m in HEAVY if m in modules]


@pytest.mark.parametrize(
    "args", [["--help"], ["client", "--help"], ["client", "balance", "--help"], ["chain", "--help"]]
)
def test_help_imports_no_heavy_module(args: list[str]) -> None:
    data = _run(args)
    assert data["code"] == 0, data["output"]
    assert _heavy(data) == []
    print(f"zkcredits {' '.join(args)}: {float(data['seconds']):.2f} s")  # type: ignore[arg-type]


def test_client_balance_on_a_real_wallet_imports_no_heavy_module(tmp_path: Path) -> None:
    wallet = tmp_path / "w.zkw"
    Wallet.create(wallet, PASS, kdf=KdfParams(log2_n=10, r=8, p=1)).close()
    save_profile(wallet, ClientProfile(token=new_token()))
    data = _run(
        ["client", "balance", "--wallet", str(wallet), "--json"],
        {"ZKCREDITS_WALLET_PASSPHRASE": PASS},
    )
    assert data["code"] == 0, data["output"]
    assert json.loads(str(data["output"]).strip())["spendable"] == 0
    assert _heavy(data) == []
    print(f"zkcredits client balance: {float(data['seconds']):.2f} s")  # type: ignore[arg-type]


def test_the_root_help_lists_every_group_without_loading_one() -> None:
    data = _run(["--help"])
    output = str(data["output"])
    for group in ("demo", "chain", "circuits", "deploy", "gateway", "client"):
        assert group in output
    modules = set(data["modules"])  # type: ignore[call-overload]
    assert not {"prover.cli.client", "zkcredits_testing.demo.cli", "prover.cli.circuits"} & modules
