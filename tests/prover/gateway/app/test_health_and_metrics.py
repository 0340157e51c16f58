"""`/healthz`, the Prometheus metrics and fail-fast outages of the gateway app, with real proofs:
a dead or silent upstream refuses paid calls at once, before their ticket is reserved, and the
same ticket is served once the upstream answers; a stale chain view refuses everything by name."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from gateway_harness import CHAT, Payments
from gateway_world import SERVER_SK, FixedUpstream, NoPenalty, TreeChainView, settings

from prover.circuits.prover import CircuitKeys
from prover.gateway.app import create_app
from prover.gateway.app.health import UpstreamMonitor
from prover.gateway.app.metrics import GatewayMetrics
from prover.gateway.embedded import create_embedded_upstream
from prover.gateway.store import SqliteNullifierStore
from prover.plumbing.server import ThreadedServer
from prover.wire import PaymentResponse, decode_header


@contextmanager
def gateway(
    keys: CircuitKeys,
    db: Path,
    *,
    chain: TreeChainView | None = None,
    monitor: UpstreamMonitor | None = None,
    metrics: GatewayMetrics | None = None,
) -> Iterator[tuple[TestClient, SqliteNullifierStore]]:
    store = SqliteNullifierStore(db)
    app = create_app(
        settings(), chain=chain or TreeChainView(), upstream=FixedUpstream(), policy=NoPenalty(),
        store=store, keys=keys, server_secret=SERVER_SK, metrics=metrics,
        upstream_monitor=monitor,
    )  # fmt: skip
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, store
    store.close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_probed(monitor: UpstreamMonitor) -> None:
    """The app's first probe (started with the app) has finished."""
    deadline = time.monotonic() + 60
    while monitor.checked_at is None:
        assert time.monotonic() < deadline, "the upstream was never probed"
        time.sleep(0.01)


@contextmanager
def silent_server() -> Iterator[str]:
    """Accepts connections (the kernel's backlog) and never answers: a hung upstream."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_healthz_reports_the_chain_the_upstream_and_the_store(
    request_keys: CircuitKeys, tmp_path: Path
) -> None:
    with ThreadedServer(create_embedded_upstream()) as url:
        monitor = UpstreamMonitor(url, interval=3600, timeout=5)
        with gateway(request_keys, tmp_path / "s.db", monitor=monitor) as (client, store):
            wait_probed(monitor)
            ok = client.get("/healthz")
            assert ok.status_code == 200
            body = ok.json()
            assert body["status"] == "ok" and body["chain"] == {"synced": True}
            assert body["upstream"]["reachable"] is True and body["upstream"]["error"] is None
            assert body["store"]["ok"] is True and body["store"]["backend"] == "sqlite"
            store.close()  # the store fails from now on
            down = client.get("/healthz")
            assert down.status_code == 503 and down.json()["status"] == "unavailable"
            assert down.json()["store"]["ok"] is False


def test_a_stale_chain_view_makes_healthz_syncing_and_every_call_chain_unavailable(
    request_keys: CircuitKeys, payments: Payments, tmp_path: Path
) -> None:
    chain = TreeChainView(synced=False)
    with gateway(request_keys, tmp_path / "s.db", chain=chain) as (client, store):
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json()["status"] == "syncing"
        paid = payments.chat
        refused = client.post(CHAT, content=paid.body, headers=paid.headers())
        assert refused.status_code == 503
        assert refused.json()["error"]["code"] == "chain_unavailable"
        assert store.get_record(paid.nullifier) is None


@pytest.mark.slow
def test_a_dead_upstream_refuses_paid_calls_fast_and_keeps_the_ticket_for_later(
    request_keys: CircuitKeys, payments: Payments, tmp_path: Path
) -> None:
    monitor = UpstreamMonitor(f"http://127.0.0.1:{_closed_port()}", interval=3600, timeout=5)
    with gateway(request_keys, tmp_path / "s.db", monitor=monitor) as (client, store):
        wait_probed(monitor)
        health = client.get("/healthz")
        assert health.status_code == 200 and health.json()["status"] == "degraded"
        assert health.json()["upstream"]["reachable"] is False
        paid = payments.chat
        refused = client.post(CHAT, content=paid.body, headers=paid.headers())
        assert refused.status_code == 503 and "Retry-After" in refused.headers
        assert refused.json()["error"]["code"] == "upstream_unavailable"
        assert "PAYMENT-RESPONSE" not in refused.headers
        assert store.get_record(paid.nullifier) is None  # the ticket was not reserved
        assert client.post(CHAT, content=b"{}").status_code == 402  # terms are still offered
        with ThreadedServer(create_embedded_upstream()) as url:  # the upstream comes back
            monitor.base_url = url
            client.portal.call(monitor.probe)  # type: ignore[union-attr]
            served = client.post(CHAT, content=paid.body, headers=paid.headers())
        assert served.status_code == 200, served.text
        reply = decode_header(served.headers["PAYMENT-RESPONSE"], PaymentResponse, "h")
        assert reply.nullifier == paid.nullifier


@pytest.mark.slow
def test_a_silent_upstream_is_found_within_the_probe_timeout_and_calls_do_not_hang(
    request_keys: CircuitKeys, payments: Payments, tmp_path: Path
) -> None:
    with silent_server() as url:
        monitor = UpstreamMonitor(url, interval=3600, timeout=0.5)
        started = time.monotonic()
        with gateway(request_keys, tmp_path / "s.db", monitor=monitor) as (client, store):
            wait_probed(monitor)
            paid = payments.spare
            refused = client.post(CHAT, content=paid.body, headers=paid.headers())
            took = time.monotonic() - started
            assert store.get_record(paid.nullifier) is None
        assert refused.json()["error"]["code"] == "upstream_unavailable"
        assert monitor.error is not None and "Timeout" in monitor.error
        assert took < 60  # the probe's 0.5 s timeout, not an HTTP read timeout of minutes


@pytest.mark.slow
def test_metrics_count_paid_calls_charges_refusals_and_time_verify_store_and_sign(
    request_keys: CircuitKeys, payments: Payments, tmp_path: Path
) -> None:
    metrics = GatewayMetrics()
    with gateway(request_keys, tmp_path / "s.db", metrics=metrics) as (client, _store):
        paid = payments.chat
        first = client.post(CHAT, content=paid.body, headers=paid.headers())
        again = client.post(CHAT, content=paid.body, headers=paid.headers())
        other = payments.chat_other  # the same ticket on another request: a double spend
        client.post(CHAT, content=other.body, headers=other.headers())
        client.post(CHAT, content=b"{}")  # 402 with the terms
        client.post(CHAT, content=paid.body, headers={"PAYMENT-SIGNATURE": "not base64!"})
        gauges_while_running = (
            metrics.registry.get_sample_value("zkcredits_chain_synced"),
            metrics.registry.get_sample_value("zkcredits_store_ok"),
        )
    assert gauges_while_running == (1, 1)
    assert first.status_code == again.status_code == 200
    cost = decode_header(first.headers["PAYMENT-RESPONSE"], PaymentResponse, "h").cost
    value = metrics.registry.get_sample_value
    assert value("zkcredits_paid_calls_total", {"outcome": "reserved"}) == 1
    assert value("zkcredits_paid_calls_total", {"outcome": "retry"}) == 1
    assert value("zkcredits_paid_calls_total", {"outcome": "double_spend"}) == 1
    assert value("zkcredits_calls_settled_total", {"result": "charged"}) == 1
    assert value("zkcredits_charged_units_total") == cost > 0
    assert value("zkcredits_refusals_total", {"code": "double_spend"}) == 1
    assert value("zkcredits_refusals_total", {"code": "payment_required"}) == 1
    assert value("zkcredits_refusals_total", {"code": "bad_request"}) == 1
    assert value("zkcredits_verify_seconds_count") == 3  # bad header: refused before verifying
    assert value("zkcredits_sign_seconds_count") == 1
    assert value("zkcredits_store_seconds_count", {"op": "reserve"}) == 3
    assert value("zkcredits_store_seconds_count", {"op": "complete"}) == 1
    assert value("zkcredits_store_ok") == 0  # the store is closed now
    port = metrics.serve("127.0.0.1", 0)
    try:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    finally:
        metrics.close()
    assert 'zkcredits_paid_calls_total{outcome="reserved"} 1.0' in text
