"""The pipeline with the colleagues' real components: `HttpUpstream` forwarding to the embedded
offline upstream (in process, over an ASGI transport) and the rule policy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from gateway_harness import CHAT, Gateway, Payments, make_gateway
from gateway_world import CHAT_PRICE, SCHEDULE, check_reply

from prover.circuits.prover import CircuitKeys
from prover.gateway.app import SSE_PAYMENT_EVENT
from prover.gateway.embedded import create_embedded_upstream
from prover.gateway.upstream import HttpUpstream
from prover.pricing.schedule import Usage
from prover.wire import PaymentResponse, decode_header

pytestmark = pytest.mark.slow


@pytest.fixture
def embedded(request_keys: CircuitKeys, tmp_path: Path) -> Iterator[tuple[Gateway, object]]:
    upstream_app = create_embedded_upstream()
    real = HttpUpstream("http://embedded.test", transport=httpx.ASGITransport(app=upstream_app))
    with make_gateway(request_keys, tmp_path / "s.db", real=real) as gw:
        yield gw, upstream_app


def test_a_paid_chat_reaches_the_embedded_upstream_byte_for_byte_and_is_priced_by_its_usage(
    embedded: tuple[Gateway, object], payments: Payments
) -> None:
    gw, upstream_app = embedded
    paid = payments.chat
    resp = gw.client.post(CHAT, content=paid.body, headers=paid.headers())
    assert resp.status_code == 200, resp.text
    (received,) = upstream_app.state.received  # type: ignore[attr-defined]
    assert (received.method, received.target, received.body) == ("POST", CHAT.encode(), paid.body)
    usage = resp.json()["usage"]
    expected = SCHEDULE.cost(
        CHAT_PRICE,
        Usage(input_tokens=usage["prompt_tokens"], output_tokens=usage["completion_tokens"]),
    )
    reply = decode_header(resp.headers["PAYMENT-RESPONSE"], PaymentResponse, "PAYMENT-RESPONSE")
    assert reply.cost == expected and expected > 0
    check_reply(paid, reply)


def test_a_streamed_chat_through_the_real_upstream_ends_with_a_persisted_payment_event(
    embedded: tuple[Gateway, object], payments: Payments
) -> None:
    gw, _ = embedded
    paid = payments.stream
    resp = gw.client.post(CHAT, content=paid.body, headers=paid.headers())
    assert resp.status_code == 200
    events = resp.text.strip().split("\n\n")
    assert events[-2] == "data: [DONE]"
    name, data = events[-1].split("\n")
    assert name == f"event: {SSE_PAYMENT_EVENT}"
    reply = decode_header(data.removeprefix("data: "), PaymentResponse, "event")
    check_reply(paid, reply)
    stored = gw.store.get_reply(paid.nullifier)
    assert stored is not None and int(stored.cost) == reply.cost
    relayed = [json.loads(e.removeprefix("data: ")) for e in events[:-2]]
    assert relayed and all("choices" in chunk for chunk in relayed)


def test_an_unreachable_upstream_costs_zero_with_a_signed_state(
    request_keys: CircuitKeys, payments: Payments, tmp_path: Path
) -> None:
    real = HttpUpstream("http://127.0.0.1:9", timeout=5)  # discard port: connection refused
    with make_gateway(request_keys, tmp_path / "s.db", real=real) as gw:
        paid = payments.spare
        resp = gw.client.post(CHAT, content=paid.body, headers=paid.headers())
        assert resp.status_code == 502 and resp.json()["error"]["code"] == "upstream_error"
        reply = decode_header(resp.headers["PAYMENT-RESPONSE"], PaymentResponse, "PAYMENT-RESPONSE")
        assert reply.cost == 0
        check_reply(paid, reply)
