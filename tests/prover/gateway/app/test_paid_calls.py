"""The paid-call pipeline end to end with real proofs, through the FastAPI app on SQLite."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from gateway_harness import CHAT, Gateway, Payments, chat_body, make_gateway
from gateway_world import SCHEDULE, SERVICE, check_reply, settings

from prover.circuits.prover import CircuitKeys
from prover.crypto import note_id
from prover.gateway.app import SSE_PAYMENT_EVENT
from prover.wire import PaymentRequired, PaymentResponse, decode_header

pytestmark = pytest.mark.slow


def _response(headers: object) -> PaymentResponse:
    value = headers["PAYMENT-RESPONSE"]  # type: ignore[index]
    return decode_header(value, PaymentResponse, "PAYMENT-RESPONSE")


def _code(resp: object) -> str:
    return str(resp.json()["error"]["code"])  # type: ignore[attr-defined]


def test_an_unpaid_call_to_a_sold_route_gets_402_terms_and_reaches_no_upstream(
    gateway: Gateway,
) -> None:
    resp = gateway.client.post(CHAT, content=chat_body("x"))
    assert resp.status_code == 402
    assert _code(resp) == "payment_required"
    terms = decode_header(resp.headers["PAYMENT-REQUIRED"], PaymentRequired, "PAYMENT-REQUIRED")
    extra = terms.accepts[0].extra
    assert extra.service_id == SERVICE.service_id
    assert extra.server_pk == SERVICE.server_pk
    assert extra.price_schedule_hash == SCHEDULE.schedule_hash()
    assert terms.accepts[0].amount == str(50 * 10**9)
    assert gateway.upstream.seen == []
    well_known = gateway.client.get("/.well-known/zkcredits").json()
    assert well_known == terms.model_dump(mode="json", by_alias=True)


def test_a_paid_chat_call_is_forwarded_verbatim_priced_signed_and_stored(
    gateway: Gateway, payments: Payments
) -> None:
    paid = payments.chat
    resp = gateway.client.post(CHAT, content=paid.body, headers=paid.headers())
    assert resp.status_code == 200, resp.text
    assert resp.content == gateway.upstream.body
    reply = _response(resp.headers)
    # 2 flat + ceil((30·100 + 40·200)/1000) = 2 + 11 = 13 → rounded up to the quantum 2: 14
    assert reply.cost == 14 and reply.p == 0
    check_reply(paid, reply)
    (forwarded,) = gateway.upstream.seen
    assert (forwarded.method, forwarded.path, forwarded.body) == ("POST", CHAT, paid.body)
    assert forwarded.max_output_tokens == 50  # the request's own cap (its pre-flight bound)
    state = gateway.client.get(f"/state/{paid.nullifier}")
    assert state.status_code == 200
    assert PaymentResponse.model_validate_json(state.content) == reply
    assert gateway.store.stats().calls_served == 1


def test_a_get_with_a_query_string_binds_and_forwards_the_raw_target(
    gateway: Gateway, payments: Payments
) -> None:
    paid = payments.data
    resp = gateway.client.get(paid.path, headers=paid.headers())
    assert resp.status_code == 200, resp.text
    assert _response(resp.headers).cost == 4
    assert gateway.upstream.seen[0].path == "/v1/data/item?q=1&r=%20x"


def test_a_retry_gets_the_stored_reply_and_is_never_charged_twice(
    gateway: Gateway, payments: Payments
) -> None:
    paid = payments.chat
    first = gateway.client.post(CHAT, content=paid.body, headers=paid.headers())
    again = gateway.client.post(CHAT, content=paid.body, headers=paid.headers())
    assert again.status_code == 200 and again.content == first.content
    assert again.headers["PAYMENT-RESPONSE"] == first.headers["PAYMENT-RESPONSE"]
    assert len(gateway.upstream.seen) == 1
    assert gateway.store.stats().calls_served == 1


def test_a_retry_after_the_body_cache_expired_gets_410_with_the_signed_state(
    request_keys: CircuitKeys, payments: Payments, tmp_path: Path
) -> None:
    with make_gateway(request_keys, tmp_path / "s.db", settings(body_cache_seconds=0)) as gw:
        paid = payments.chat
        first = gw.client.post(CHAT, content=paid.body, headers=paid.headers())
        again = gw.client.post(CHAT, content=paid.body, headers=paid.headers())
        assert again.status_code == 410 and _code(again) == "response_expired"
        assert again.headers["PAYMENT-RESPONSE"] == first.headers["PAYMENT-RESPONSE"]
        assert len(gw.upstream.seen) == 1


def test_a_second_request_on_a_spent_ticket_is_a_double_spend_that_reveals_k(
    gateway: Gateway, payments: Payments
) -> None:
    first = gateway.client.post(CHAT, content=payments.chat.body, headers=payments.chat.headers())
    assert first.status_code == 200
    other = payments.chat_other
    resp = gateway.client.post(CHAT, content=other.body, headers=other.headers())
    assert resp.status_code == 409 and _code(resp) == "double_spend"
    assert "PAYMENT-RESPONSE" not in resp.headers
    (evidence,) = gateway.slashed
    assert evidence.note_id == note_id(evidence.k) and evidence.deposited
    assert evidence.nullifier == other.nullifier
    assert len(gateway.upstream.seen) == 1


@pytest.mark.parametrize("mode", ["fail", "raise_error"])
def test_an_upstream_failure_costs_zero_but_still_carries_a_signed_state(
    request_keys: CircuitKeys, payments: Payments, tmp_path: Path, mode: str
) -> None:
    with make_gateway(
        request_keys, tmp_path / "s.db", fail=mode == "fail", raise_error=mode == "raise_error"
    ) as gw:
        paid = payments.chat
        resp = gw.client.post(CHAT, content=paid.body, headers=paid.headers())
        assert resp.status_code == 502 and _code(resp) == "upstream_error"
        reply = _response(resp.headers)
        assert reply.cost == 0
        check_reply(paid, reply)
        assert gw.store.get_reply(paid.nullifier) is not None


def test_a_streamed_chat_relays_events_then_a_final_payment_event(
    gateway: Gateway, payments: Payments
) -> None:
    paid = payments.stream
    resp = gateway.client.post(CHAT, content=paid.body, headers=paid.headers())
    assert resp.status_code == 200
    text = resp.text
    relayed = b"".join(gateway.upstream.chunks).decode()
    assert text.startswith(relayed)
    tail = text[len(relayed) :]
    assert tail.startswith(f"event: {SSE_PAYMENT_EVENT}\ndata: ")
    value = tail.split("data: ", 1)[1].strip()
    reply = decode_header(value, PaymentResponse, "event")
    assert reply.cost == 14
    check_reply(paid, reply)
    stored = gateway.store.get_reply(paid.nullifier)
    assert stored is not None and int(stored.cost) == 14
    again = gateway.client.post(CHAT, content=paid.body, headers=paid.headers())
    assert again.text == text  # the retry replays the relayed events and the same final event
    assert len(gateway.upstream.seen) == 1


def test_nothing_but_healthz_is_served_before_the_chain_view_is_synced(
    gateway: Gateway, payments: Payments
) -> None:
    gateway.chain.synced = False
    paid = payments.chat
    resp = gateway.client.post(CHAT, content=paid.body, headers=paid.headers())
    assert resp.status_code == 503 and resp.json()["error"]["ticket"] == "unreserved"
    assert gateway.client.get("/healthz").json()["status"] == "syncing"
    assert gateway.store.stats().total == 0
    gateway.chain.synced = True
    assert gateway.client.post(CHAT, content=paid.body, headers=paid.headers()).status_code == 200


def test_a_root_the_chain_view_does_not_accept_is_stale_and_not_echoed(
    gateway: Gateway, payments: Payments
) -> None:
    gateway.chain.roots = set()
    paid = payments.chat
    resp = gateway.client.post(CHAT, content=paid.body, headers=paid.headers())
    assert resp.status_code == 402 and _code(resp) == "stale_root"
    assert resp.json()["error"]["ticket"] == "unreserved"
    assert str(paid.payment.payload.signal("root")) not in resp.text
    assert gateway.store.stats().total == 0


def test_a_body_or_target_changed_after_signing_is_refused_and_reserves_nothing(
    gateway: Gateway, payments: Payments
) -> None:
    paid = payments.chat
    for target, body in ((CHAT, chat_body("hellO")), (CHAT + "?a=1", paid.body)):
        resp = gateway.client.post(target, content=body, headers=paid.headers())
        assert resp.status_code == 402 and _code(resp) == "invalid_signature"
        assert resp.json()["error"]["ticket"] == "unreserved"
    assert gateway.store.stats().total == 0 and gateway.upstream.seen == []


def test_a_proof_made_for_yesterday_is_refused_outside_the_grace_unless_a_retry(
    request_keys: CircuitKeys, payments: Payments, tmp_path: Path
) -> None:
    paid = payments.chat
    day = paid.payment.payload.today
    late = (day + 1) * 86_400 + 3600.0  # one hour into the next day: beyond the 15 minutes
    with make_gateway(request_keys, tmp_path / "s.db") as gw:
        pipeline = gw.client.app.state.pipeline  # type: ignore[attr-defined]
        pipeline.clock = lambda: late
        resp = gw.client.post(CHAT, content=paid.body, headers=paid.headers())
        assert resp.status_code == 400 and resp.json()["error"]["field"] == "today"
        assert resp.json()["error"]["ticket"] == "unreserved"
        pipeline.clock = lambda: (day + 1) * 86_400 + 60.0
        assert gw.client.post(CHAT, content=paid.body, headers=paid.headers()).status_code == 200
        pipeline.clock = lambda: late
        retry = gw.client.post(CHAT, content=paid.body, headers=paid.headers())
        assert retry.status_code == 200  # a retry of the reserved ticket skips the day rule
        assert len(gw.upstream.seen) == 1


def test_state_of_an_unknown_nullifier_is_404_and_malformed_ones_are_400(
    gateway: Gateway,
) -> None:
    assert gateway.client.get("/state/12345").status_code == 404
    for bad in ("0x", "-1", "01", str(2**255), "abc"):
        resp = gateway.client.get(f"/state/{bad}")
        assert resp.status_code == 400 and _code(resp) == "bad_request"


def test_a_header_for_another_network_is_refused_before_the_proof(
    gateway: Gateway, payments: Payments
) -> None:
    paid = payments.chat
    raw = json.loads(base64.b64decode(paid.header))
    raw["network"] = "eip155:1"
    header = base64.b64encode(json.dumps(raw, separators=(",", ":")).encode()).decode()
    resp = gateway.client.post(CHAT, content=paid.body, headers={"PAYMENT-SIGNATURE": header})
    assert resp.status_code == 400 and resp.json()["error"]["field"] == "network"
