"""Anvil from npm starts on a free loopback port, answers, and stops by PID."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from prover.toolchain.anvil import AnvilProcess, rpc_call, stop_detached
from prover.toolchain.errors import ToolchainError


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A reaped child is gone; an unreaped one shows as a zombie in /proc.
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "zombie" not in status.read_text()


def test_two_chains_take_different_free_ports_and_stop_by_pid() -> None:
    with AnvilProcess() as first, AnvilProcess() as second:
        assert first.rpc_url != second.rpc_url
        assert first.chain_id == second.chain_id == 31337
        assert rpc_call(first.rpc_url, "eth_blockNumber") == "0x0"
        pids = (first.pid, second.pid)
    assert not any(_alive(pid) for pid in pids)


def test_the_fixture_chain_mines_a_transaction(anvil: object, w3: object) -> None:
    from web3 import Web3

    assert isinstance(w3, Web3)
    sender, receiver = w3.eth.accounts[:2]
    before = w3.eth.get_balance(receiver)
    tx = w3.eth.send_transaction({"from": sender, "to": receiver, "value": 12345})
    assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
    assert w3.eth.get_balance(receiver) == before + 12345


def test_a_chain_that_cannot_start_raises_a_toolchain_error() -> None:
    with pytest.raises(ToolchainError, match="did not report a port"):
        AnvilProcess(extra_args=["--no-such-flag"], startup_timeout=10).start()


def _cli(args: list[str], state: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ZKCREDITS_CHAIN_STATE": str(state)}
    return subprocess.run(
        [sys.executable, "-m", "prover.cli.main", "chain", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_the_cli_starts_a_detached_chain_reports_it_and_stops_it_by_pid(tmp_path: Path) -> None:
    state = tmp_path / "anvil.json"
    up = _cli(["up", "--detach", "--json"], state)
    assert up.returncode == 0, up.stderr
    info = json.loads(up.stdout)
    try:
        assert _alive(info["pid"])
        assert rpc_call(info["rpc_url"], "eth_chainId") == "0x7a69"
        status = _cli(["status", "--json"], state)
        assert json.loads(status.stdout)["running"] is True
        again = _cli(["up", "--detach"], state)
        assert again.returncode == 1
        assert "already running" in again.stderr
        down = _cli(["down"], state)
        assert down.returncode == 0
        assert not _alive(info["pid"])
        assert not state.exists()
        assert _cli(["status"], state).returncode == 1
    finally:
        stop_detached(info["pid"])


def test_a_corrupt_chain_state_file_gives_a_clear_error(tmp_path: Path) -> None:
    state = tmp_path / "anvil.json"
    state.write_text("{not json")
    out = _cli(["status"], state)
    assert out.returncode == 1  # a domain error (prover.cli.errors); 2 is for usage errors
    assert "anvil.json is corrupt" in out.stderr
    assert "Traceback" not in out.stderr
