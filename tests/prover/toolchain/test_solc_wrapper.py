"""The solc wrapper (solcjs speaking the native CLI) compiles contracts that run on Anvil."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from web3 import Web3

from prover.toolchain.errors import ToolchainError
from prover.toolchain.paths import SOLC_VERSION, solc_binary
from prover.toolchain.solc import compile_files

FIXTURES = Path(__file__).parent / "fixtures"


def test_the_wrapper_reports_its_version_like_native_solc() -> None:
    out = subprocess.run([solc_binary(), "--version"], capture_output=True, text=True, check=True)
    assert f"Version: {SOLC_VERSION}+commit." in out.stdout


def test_a_contract_compiled_through_the_wrapper_deploys_and_runs_on_anvil(w3: Web3) -> None:
    counter = compile_files([FIXTURES / "Counter.sol"])["Counter"]
    sender = w3.eth.accounts[0]
    contract = w3.eth.contract(abi=counter.abi, bytecode=counter.bytecode)
    receipt = w3.eth.wait_for_transaction_receipt(contract.constructor().transact({"from": sender}))
    assert receipt["status"] == 1
    deployed = w3.eth.contract(address=receipt["contractAddress"], abi=counter.abi)
    assert w3.eth.get_code(deployed.address).hex() == counter.deployed_bytecode.removeprefix("0x")

    tx = deployed.functions.increment(41).transact({"from": sender})
    w3.eth.wait_for_transaction_receipt(tx)
    tx = deployed.functions.increment(1).transact({"from": sender})
    logs = deployed.events.Incremented().process_receipt(w3.eth.wait_for_transaction_receipt(tx))

    assert deployed.functions.count().call() == 42
    assert logs[0]["args"]["count"] == 42


def test_combined_json_mode_emits_abi_and_bytecode(tmp_path: Path) -> None:
    source = tmp_path / "Counter.sol"
    source.write_text((FIXTURES / "Counter.sol").read_text())
    out = subprocess.run(
        [solc_binary(), "--combined-json", "abi,bin", "--optimize", "Counter.sol"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    entry = json.loads(out.stdout)["contracts"]["Counter.sol:Counter"]
    assert {item.get("name") for item in entry["abi"]} >= {"count", "increment", "Incremented"}
    assert len(entry["bin"]) > 100


def test_a_syntax_error_is_reported_with_the_compiler_message(tmp_path: Path) -> None:
    broken = tmp_path / "Broken.sol"
    broken.write_text("pragma solidity ^0.8.37; contract Broken { function f( }")
    # compile_files only takes repository files; feed the source directly instead.
    with pytest.raises(ToolchainError, match="ParserError"):
        compile_files([], extra_sources={"Broken.sol": broken.read_text()})


def test_an_unknown_cli_option_fails_loudly() -> None:
    out = subprocess.run([solc_binary(), "--frobnicate"], capture_output=True, text=True)
    assert out.returncode != 0
    assert "unsupported option --frobnicate" in out.stderr
