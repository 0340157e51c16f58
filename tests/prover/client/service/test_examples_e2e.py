"""The agent scripts of `examples/` against the real `zkcredits client serve` (a subprocess, bound
beyond 127.0.0.1 with `--host`, as for agents in containers) on the real stack. Each script runs
in its own interpreter with an audit hook that refuses and records any connection or name lookup
that is not a loopback address: nothing phones home (LangSmith, tiktoken downloads)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from prover.client.profile import load_profile
from prover.client.wallet import Wallet

from .cli_kit import PASS, _deposit, _user  # type: ignore[import-not-found]
from .conftest import World  # type: ignore[import-not-found]

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[4]
HOST = "127.0.0.2"  # a loopback address, but not 127.0.0.1: the `--host` path of the proxy
AUDIT = """
import ipaddress, os, sys
def _loopback(host):
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"
def _hook(event, args):
    if event in ("socket.connect", "socket.getaddrinfo"):
        target = args[1] if event == "socket.connect" else args
        host = target[0] if isinstance(target, tuple) and target else None
        if isinstance(host, bytes):
            host = host.decode()
        if isinstance(host, str) and not _loopback(host):
            with open(os.environ["ZK_AUDIT_LOG"], "a") as log:
                log.write(f"{event} {host}\\n")
            raise PermissionError(f"the test refuses a connection to {host}")
sys.addaudithook(_hook)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def served(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    root = tmp_path_factory.mktemp("examples")
    env = _user(world, root, "agent")
    _deposit(world, env, 30_000)
    port = _free_port()
    log_path = root / "serve.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "prover.cli.main", "client", "serve", "--host", HOST,
             "--port", str(port), "--log-format", "json"],
            env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=log,
        )  # fmt: skip
    token = load_profile(Path(env["ZKCREDITS_WALLET"])).token
    url = f"http://{HOST}:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, log_path.read_text()
            try:
                reply = httpx.get(f"{url}/zkcredits/balance", trust_env=False,
                                  headers={"Authorization": f"Bearer {token}"})  # fmt: skip
                if reply.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "serve did not start"
            time.sleep(0.2)
        yield {**env, "ZKCREDITS_PROXY_URL": url, "ZKCREDITS_PROXY_TOKEN": token,
               "SERVE_LOG": str(log_path), "AUDIT_DIR": str(root)}  # fmt: skip
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _tickets(env: dict[str, str]) -> int:
    with Wallet.open(env["ZKCREDITS_WALLET"], PASS) as opened:
        return sum(n.state.n for n in opened.notes())


def _run_example(name: str, env: dict[str, str]) -> tuple[str, list[str]]:
    audit_dir = Path(env["AUDIT_DIR"]) / f"audit-{name}"
    audit_dir.mkdir()
    (audit_dir / "sitecustomize.py").write_text(AUDIT)
    audit_log = audit_dir / "connections.log"
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("LANGSMITH", "LANGCHAIN"))}
    run_env = {
        **keep,
        "PYTHONPATH": str(audit_dir),
        "ZK_AUDIT_LOG": str(audit_log),
        "ZKCREDITS_PROXY_URL": env["ZKCREDITS_PROXY_URL"],
        "ZKCREDITS_PROXY_TOKEN": env["ZKCREDITS_PROXY_TOKEN"],
    }
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / name), "rate-limiting nullifiers"],
        env=run_env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    refused = audit_log.read_text().splitlines() if audit_log.exists() else []
    return done.stdout, refused


def test_the_openai_sdk_agent_pays_and_sees_its_costs(served: dict[str, str]) -> None:
    before = _tickets(served)
    out, refused = _run_example("openai_agent.py", served)
    assert refused == []
    assert "answer: " in out and "streamed: " in out
    paid = next(line for line in out.splitlines() if line.startswith("paid: "))
    assert int(paid.split()[1]) > 0  # the X-Zkcredits-Cost header of a real paid call
    assert "units spendable" in out
    assert _tickets(served) == before + 2  # one plain and one streamed call


def test_the_langchain_agent_pays_and_sees_its_costs(served: dict[str, str]) -> None:
    before = _tickets(served)
    out, refused = _run_example("langchain_agent.py", served)
    assert refused == []
    assert "outline: " in out and "summary: " in out
    paid = next(line for line in out.splitlines() if line.startswith("paid: "))
    assert int(paid.split()[1]) > 0
    assert _tickets(served) == before + 2  # the outline and the summary


def test_the_exposed_proxy_warned_and_logged_one_line_per_call(served: dict[str, str]) -> None:
    text = Path(served["SERVE_LOG"]).read_text()
    assert f"the proxy listens on {HOST}" in text  # the warning, on stderr
    events = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    calls = [e for e in events if e["event"] == "proxy_call"]
    paid = [e for e in calls if e["path"] == "/v1/chat/completions" and e["status"] == 200]
    assert paid and all(e["cost"] > 0 and "balance" in e for e in paid)
    assert any(e["event"] == "proxy_exposed" for e in events)
    assert served["ZKCREDITS_PROXY_TOKEN"] not in text
