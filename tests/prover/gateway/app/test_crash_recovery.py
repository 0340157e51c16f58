"""Exactly-once across crashes: a real uvicorn gateway on SQLite, killed with SIGKILL while the
upstream is running and right after persisting, restarted on the same store. The ticket is
neither lost nor charged twice."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from gateway_harness import CHAT, Payments
from gateway_world import Paid, check_reply

from prover.circuits.prover import CircuitKeys
from prover.gateway.store import SqliteNullifierStore, Status
from prover.wire import PaymentResponse, decode_header

pytestmark = pytest.mark.slow

SERVER = Path(__file__).with_name("crash_server.py")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(predicate: object, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@contextmanager
def gateway_process(db: Path, markers: Path, mode: str) -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, str(SERVER), str(db), str(port), str(markers), mode],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"gateway exited: {proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        try:
            return httpx.get(url + "/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        _wait_for(up, "the gateway to listen")
        yield url
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)  # the crash under test (or cleanup)
        proc.wait(timeout=10)
        if proc.stderr is not None:
            proc.stderr.close()


def _post(url: str, paid: Paid) -> httpx.Response:
    return httpx.post(url + CHAT, content=paid.body, headers=paid.headers(), timeout=30)


def _post_in_background(url: str, paid: Paid) -> threading.Thread:
    def run() -> None:
        with contextlib.suppress(httpx.HTTPError):  # the server is killed under this request
            _post(url, paid)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _upstream_calls(markers: Path) -> int:
    path = markers / "upstream-calls"
    return len(path.read_text().splitlines()) if path.exists() else 0


def _reply(resp: httpx.Response) -> PaymentResponse:
    return decode_header(resp.headers["PAYMENT-RESPONSE"], PaymentResponse, "PAYMENT-RESPONSE")


def test_a_gateway_killed_while_the_upstream_runs_completes_the_ticket_at_cost_zero_on_retry(
    request_keys: CircuitKeys, payments: Payments, tmp_path: Path
) -> None:
    db, markers, paid = tmp_path / "store.db", tmp_path / "m", payments.chat
    markers.mkdir()
    with gateway_process(db, markers, "block") as url:
        thread = _post_in_background(url, paid)
        _wait_for(lambda: (markers / "entered").exists(), "the upstream call")
        busy = _post(url, paid)  # the same ticket while the first attempt runs
        assert busy.status_code == 409 and busy.json()["error"]["code"] == "in_progress"
    thread.join(timeout=10)
    with SqliteNullifierStore(db) as store:
        record = store.get_record(paid.nullifier)
        assert record is not None and record.status is Status.IN_PROGRESS
    with gateway_process(db, markers, "normal") as url:
        retry = _post(url, paid)
        assert retry.status_code == 502 and retry.json()["error"]["code"] == "upstream_error"
        reply = _reply(retry)
        assert reply.cost == 0 and reply.p == 0
        check_reply(paid, reply)
        again = _post(url, paid)
        assert again.headers["PAYMENT-RESPONSE"] == retry.headers["PAYMENT-RESPONSE"]
    assert _upstream_calls(markers) == 1  # the restarted gateway never re-ran the call
    with SqliteNullifierStore(db) as store:
        stats = store.stats()
        assert (stats.calls_served, stats.calls_in_progress) == (1, 0)


def test_a_gateway_killed_right_after_persisting_replays_the_persisted_state(
    request_keys: CircuitKeys, payments: Payments, tmp_path: Path
) -> None:
    db, markers, paid = tmp_path / "store.db", tmp_path / "m", payments.spare
    markers.mkdir()
    with gateway_process(db, markers, "pause-after-persist") as url:
        thread = _post_in_background(url, paid)
        _wait_for(lambda: (markers / "persisted").exists(), "the durable complete")
    thread.join(timeout=10)
    with SqliteNullifierStore(db) as store:
        persisted = store.get_reply(paid.nullifier)
    assert persisted is not None and persisted.cost == "14"
    with gateway_process(db, markers, "normal") as url:
        retry = _post(url, paid)
        # the body was lost with the process; the signed state was not
        assert retry.status_code == 410 and retry.json()["error"]["code"] == "response_expired"
        reply = _reply(retry)
        assert reply.cost == 14
        check_reply(paid, reply)
        state = httpx.get(f"{url}/state/{paid.nullifier}", timeout=10)
        assert PaymentResponse.model_validate_json(state.content) == reply
    assert _upstream_calls(markers) == 1
    with SqliteNullifierStore(db) as store:
        assert store.stats().calls_served == 1


def test_a_gateway_killed_after_a_served_call_keeps_it_served_and_uncharged_again(
    request_keys: CircuitKeys, payments: Payments, tmp_path: Path
) -> None:
    db, markers, paid = tmp_path / "store.db", tmp_path / "m", payments.data
    markers.mkdir()
    with gateway_process(db, markers, "normal") as url:
        first = httpx.get(url + paid.path, headers=paid.headers(), timeout=30)
        assert first.status_code == 200
    with gateway_process(db, markers, "normal") as url:
        retry = httpx.get(url + paid.path, headers=paid.headers(), timeout=30)
        assert retry.status_code == 410
        assert retry.headers["PAYMENT-RESPONSE"] == first.headers["PAYMENT-RESPONSE"]
    assert _upstream_calls(markers) == 1
