"""`zkcredits gateway attest` and `zkcredits validator run`: one error line on bad input; the
validator answers a real request on Anvil through the command line."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner
from web3 import Web3
from zkcredits_testing.devkeys import anvil_account

from prover.attest.evidence import evidence_hash
from prover.cli.main import app
from prover.toolchain.anvil import ChainInfo

from .documents import write_document
from .servers import TLS_CERT
from .test_validator import VALIDATOR, World, _data_uri
from .vectors import DIR

ONION = "2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion"
BINDING = ["--chain-id", "31337", "--vault", "0x" + "11" * 20, "--server-pk", "1,2"]


def _invoke(args: list[str], env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, args, env=env or {})
    return result.exit_code, result.stdout, result.stderr


def _one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_attest_outside_a_tdx_guest_says_configfs_tsm_is_missing(tmp_path: Path) -> None:
    code, _out, err = _invoke(
        [
            "gateway",
            "attest",
            "--image",
            "img",
            *BINDING,
            "--onion-address",
            ONION,
            "--collateral",
            str(DIR / "tdx_quote_collateral.json"),
            "--tsm-root",
            str(tmp_path / "absent"),
            "--out",
            str(tmp_path / "a.json"),
        ]
    )
    assert code == 2
    assert "not a confidential VM" in _one_error_line(err)
    assert not (tmp_path / "a.json").exists()


def test_attest_refuses_a_quote_that_does_not_carry_this_gateways_binding(tmp_path: Path) -> None:
    code, _out, err = _invoke(
        [
            "gateway",
            "attest",
            "--image",
            "img",
            *BINDING,
            "--tls-cert",
            str(TLS_CERT),
            "--collateral",
            str(DIR / "tdx_quote_collateral.json"),
            "--quote",
            str(DIR / "tdx_quote"),
            "--out",
            str(tmp_path / "a.json"),
        ]
    )
    assert code == 2
    assert "does not carry this gateway's binding" in _one_error_line(err)
    assert not (tmp_path / "a.json").exists()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--onion-address", ONION, "--tls-cert", str(TLS_CERT)], "exactly one of --tls-cert"),
        (["--onion-address", "nope.onion"], "onion address"),
        (["--onion-address", ONION], "exactly one of --collateral"),
        (["--onion-address", ONION, "--collateral", "/nonexistent.json"], "nonexistent"),
    ],
)
def test_attest_options_that_do_not_fit_are_one_error_line(args: list[str], needle: str) -> None:
    code, _out, err = _invoke(["gateway", "attest", "--image", "img", *BINDING, *args])
    assert code == 2
    assert needle in _one_error_line(err)


def test_validator_settings_that_are_malformed_are_one_error_line() -> None:
    code, _out, err = _invoke(
        [
            "validator",
            "run",
            "--rpc-url",
            "http://127.0.0.1:9",
            "--validation-registry",
            "0x12",
            "--identity-registry",
            "0x" + "22" * 20,
            "--once",
        ],
        env={"ZKCREDITS_VALIDATOR_KEY": ""},
    )
    assert code == 2
    assert "--validation-registry" in _one_error_line(err)


@pytest.mark.slow
def test_validator_run_once_answers_a_real_request_on_anvil(
    w3: Web3, anvil: ChainInfo, tmp_path: Path
) -> None:
    world = World(w3, tmp_path)
    body = write_document(tmp_path / "doc.json")
    world.request(_data_uri(body), evidence_hash(body))
    key = "0x" + anvil_account(VALIDATOR).key.hex().removeprefix("0x")
    code, out, err = _invoke(
        [
            "validator",
            "run",
            "--rpc-url",
            anvil.rpc_url,
            "--validation-registry",
            world.validation.address,
            "--identity-registry",
            world.identity,
            "--start-block",
            str(world.start),
            "--state-file",
            str(tmp_path / "state.json"),
            "--once",
        ],
        env={"ZKCREDITS_VALIDATOR_KEY": key},
    )
    assert code == 0, err
    (event,) = world.responses()
    assert event["response"] == 0
    # The command verifies at the real time: this 2025 collateral has expired by now.
    assert time.time() > 1752919235
    verdict = json.loads(base64.b64decode(str(event["responseURI"]).split(",")[1]))
    assert verdict["verdict"]["failed_check"] == "collateral_expired"
    assert "collateral_expired" in out
    assert json.loads((tmp_path / "state.json").read_text())["next_block"] > world.start
