"""`zkcredits gateway serve` as a real process: terms, a paid call, `/healthz`, key-file rules."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from bundle_world import bundle_for
from gateway_harness import CHAT, Payments
from gateway_world import SERVER_SK, SERVICE, check_reply

from prover.circuits.prover import CircuitKeys
from prover.cli.gateway import read_server_key
from prover.crypto.eddsa import secret_key_to_bytes
from prover.gateway.app.errors import GatewayConfigError
from prover.gateway.app.wiring import load_factory
from prover.wire import PaymentRequired, PaymentResponse, decode_header

HERE = Path(__file__).parent
ZKCREDITS = Path(sys.executable).with_name("zkcredits")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_server_key_file_is_read_raw_or_hex_and_anything_else_is_refused(tmp_path: Path) -> None:
    raw, hexed, bad = tmp_path / "raw", tmp_path / "hex", tmp_path / "bad"
    raw.write_bytes(secret_key_to_bytes(SERVER_SK))
    hexed.write_text("0x" + secret_key_to_bytes(SERVER_SK).hex() + "\n")
    bad.write_bytes(b"\x01" * 31)
    for path in (raw, hexed, bad):
        path.chmod(0o600)  # key files are the owner's alone
    assert read_server_key(raw) == read_server_key(hexed) == SERVER_SK
    with pytest.raises(GatewayConfigError):
        read_server_key(bad)


def test_a_bad_components_spec_is_named() -> None:
    for spec in ("nocolon", "prover.nothing_here:f", "json:no_such_function"):
        with pytest.raises(GatewayConfigError):
            load_factory(spec)


@pytest.mark.slow
def test_the_serve_command_runs_a_gateway_from_a_bundle_that_takes_a_real_payment(
    request_keys: CircuitKeys, payments: Payments, tmp_path: Path
) -> None:
    bundle, data = tmp_path / "31337.gateway.json", tmp_path / "data"
    bundle.write_text(bundle_for().model_dump_json())
    data.mkdir(mode=0o700)
    (data / "server.key").write_bytes(secret_key_to_bytes(SERVER_SK))
    (data / "server.key").chmod(0o600)
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(HERE)}
    cmd = [
        str(ZKCREDITS), "gateway", "serve", "--deployment", str(bundle),
        "--data-dir", str(data), "--components", "cli_components:components",
        "--upstream", "embedded", "--port", str(port),
    ]  # fmt: skip
    proc = subprocess.Popen(
        cmd, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]  # type: ignore[union-attr]
            try:
                health = httpx.get(url + "/healthz", timeout=1)
                if health.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "gateway did not start"
            time.sleep(0.1)
        assert health.json()["status"] == "ok"
        assert health.json()["store"]["backend"] == "sqlite"
        unpaid = httpx.post(url + CHAT, content=b"{}", timeout=10)
        assert unpaid.status_code == 402
        terms = decode_header(unpaid.headers["PAYMENT-REQUIRED"], PaymentRequired, "h")
        assert terms.accepts[0].extra.server_pk == SERVICE.server_pk
        paid = payments.chat
        resp = httpx.post(url + CHAT, content=paid.body, headers=paid.headers(), timeout=30)
        assert resp.status_code == 200, resp.text
        reply = decode_header(resp.headers["PAYMENT-RESPONSE"], PaymentResponse, "h")
        check_reply(paid, reply)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()
    # All state went to the data directory, none to the working directory.
    stores = list(data.glob("31337-*/nullifiers.sqlite"))
    assert len(stores) == 1 and stores[0].stat().st_size > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["31337.gateway.json", "data"]
