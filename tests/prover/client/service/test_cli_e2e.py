"""`zkcredits client` end to end: init (discovery), deposit, balance, call, withdraw, recover."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner
from zkcredits_testing.devchain import DevChain
from zkcredits_testing.devkeys import anvil_account

from prover.cli.main import app
from prover.client.chain_abi import vault_abi
from prover.client.profile import load_profile
from prover.client.wallet import Wallet
from prover.gateway.embedded import CHAT_MODEL

from .conftest import World  # type: ignore[import-not-found]

pytestmark = pytest.mark.slow
PASS = "cli passphrase"


def _run(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    result = CliRunner().invoke(app, ["client", *args, "--json"], env=env)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


@pytest.fixture(scope="module")
def cli(world: World, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("cli")
    key = root / "key.hex"
    key.write_text(anvil_account(8).key.hex())
    key.chmod(0o600)
    wallet = root / "wallet.zkw"
    env = {
        "ZKCREDITS_WALLET_PASSPHRASE": PASS,
        "ZKCREDITS_WALLET": str(wallet),
        "ZKCREDITS_CONFIRMATIONS": "0",
        "ZKCREDITS_SEND_DELAY_MAX_S": "0.05",
    }
    rpc = world.w3.provider.endpoint_uri
    out = _run(
        ["init", "--rpc-url", str(rpc), "--identity-registry", world.deployment.registries.identity,
         "--agent-id", str(world.deployment.agent.agent_id), "--kdf-log2-n", "10"],
        env,
    )  # fmt: skip
    assert out["service_id"] == str(world.pin.service.service_id)
    env["ZKCREDITS_CLIENT_KEY_FILE"] = str(key)
    return wallet, env


def test_init_pins_the_discovered_provider_and_a_token(
    world: World, cli: tuple[Path, dict[str, str]]
) -> None:
    wallet, _ = cli
    profile = load_profile(wallet)
    assert profile.provider() == world.pin
    assert len(profile.token) >= 32
    assert (wallet.parent / (wallet.name + ".client.json")).stat().st_mode & 0o077 == 0


def test_deposit_call_balance_and_withdraw_with_wait(
    world: World, cli: tuple[Path, dict[str, str]]
) -> None:
    _, env = cli
    key = env["ZKCREDITS_CLIENT_KEY_FILE"]
    dep = _run(["deposit", "--amount", "20000", "--key-file", key], env)
    world.checkpoint()
    body = json.dumps({"model": CHAT_MODEL, "messages": [{"role": "user", "content": "cli"}],
                       "max_tokens": 8})  # fmt: skip
    called = _run(["call", "/v1/chat/completions", "--data", body], env)
    assert called["status"] == 200 and called["note"] == dep["note"]
    cost = int(called["cost"])
    bal = _run(["balance"], env)
    [row] = [r for r in bal["notes"] if r["note"] == dep["note"]]
    assert row["tickets"] == 1 and row["C"] == cost and row["balance"] == 20_000 - cost - 2000

    recipient = anvil_account(9).address
    dev = DevChain(world.w3)
    vault = world.w3.eth.contract(address=world.pin.service.vault_address, abi=vault_abi())

    def advance_once_the_exit_is_requested() -> None:
        # Advancing before `requestWithdrawal` is mined would start the window after the jump
        # (and `--wait` would then wait out a real exit_delay): wait for the event first.
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            logs = vault.events.WithdrawalRequested().get_logs(from_block=0)
            if any(int(log["args"]["id"]) == int(str(dep["note"])) for log in logs):
                break
            time.sleep(0.2)
        dev.advance(world.pin.exit_delay + 1)

    mover = threading.Thread(target=advance_once_the_exit_is_requested)
    mover.start()
    out = _run(["withdraw", "--note", str(dep["note"])[:10], "--recipient", recipient,
                "--key-file", key, "--wait", "--poll-seconds", "0.2"], env)  # fmt: skip
    mover.join()
    assert out["status"] == "closed" and out["charged"] == cost and out["penalties"] == 0
    unit = world.pin.service.unit
    assert vault.functions.owedOf(recipient).call() == (20_000 - cost) * unit
    # the payout went to the recipient's owed balance; the key's account pulled nothing of it
    assert out["pulled_wei"] == 0


def test_recover_resyncs_a_note_whose_reply_was_lost(
    world: World, cli: tuple[Path, dict[str, str]]
) -> None:
    wallet, env = cli
    key = env["ZKCREDITS_CLIENT_KEY_FILE"]
    dep = _run(["deposit", "--amount", "10000", "--key-file", key], env)
    world.checkpoint()
    body = json.dumps({"model": CHAT_MODEL, "messages": [{"role": "user", "content": "r"}],
                       "max_tokens": 4})  # fmt: skip
    _run(["call", "/v1/chat/completions", "--data", body], env)
    out = _run(["recover", "--note", str(dep["note"])[:10]], env)
    [row] = out["notes"]
    assert row["tickets"] == 1 and row["pending"] is False
    with Wallet.open(wallet, PASS) as opened:
        assert opened.note(int(str(dep["note"]))).state.n == 1


def test_serve_runs_the_proxy_that_pays_with_the_wallet(
    world: World, cli: tuple[Path, dict[str, str]]
) -> None:
    import os
    import signal
    import socket
    import subprocess
    import sys

    import httpx

    wallet, env = cli
    key = env["ZKCREDITS_CLIENT_KEY_FILE"]
    _run(["deposit", "--amount", "10000", "--key-file", key], env)
    world.checkpoint()
    with Wallet.open(wallet, PASS) as opened:
        tickets_before = sum(n.state.n for n in opened.notes())
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    proc = subprocess.Popen(
        [sys.executable, "-m", "prover.cli.main", "client", "serve", "--port", str(port)],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        token = load_profile(wallet).token
        url = f"http://127.0.0.1:{port}/v1/chat/completions"
        headers = {"Authorization": f"Bearer {token}"}
        body = {
            "model": CHAT_MODEL,
            "messages": [{"role": "user", "content": "s"}],
            "max_tokens": 4,
        }
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            try:
                reply = httpx.post(url, json=body, headers=headers, trust_env=False, timeout=120)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "serve did not start listening"
                time.sleep(0.2)
        assert reply.status_code == 200, reply.text
        assert reply.json()["object"] == "chat.completion"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    with Wallet.open(wallet, PASS) as opened:
        assert sum(n.state.n for n in opened.notes()) == tickets_before + 1
        assert all(n.in_flight is None for n in opened.notes())
