"""One test per row of `docs/failure-costs.md`: who pays for each failure of a paid call.

The upstream is a real OpenAI-compatible HTTP app of this test's own (`Troubled`), reached
through the real `HttpUpstream`; the gateway, the proofs, the store and the policy are real.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

sys.path.insert(0, str(Path(__file__).parent))

from gateway_harness import CHAT, Gateway, Payments, make_gateway
from gateway_world import CHAT_PRICE, SCHEDULE, check_reply, make_paid, settings

from prover.circuits.prover import CircuitKeys, Prover
from prover.gateway.policy import PolicyConfig, RulePolicy
from prover.gateway.policy.rules import PatternRuleConfig
from prover.gateway.upstream import HttpUpstream
from prover.pricing import preflight
from prover.pricing.schedule import ModelPrice, PriceRoute, PriceSchedule, RouteKind, Usage
from prover.wire import PaymentResponse, decode_header

pytestmark = pytest.mark.slow  # real proofs (session fixture)

USAGE = {"prompt_tokens": 30, "completion_tokens": 40, "total_tokens": 70}


class Troubled:
    """The test's own upstream: answers every chat call as `mode` says, recording what came."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.received: list[bytes] = []
        self.app = FastAPI()

        @self.app.post("/v1/chat/completions", response_model=None)
        async def chat(request: Request) -> Response:
            self.received.append(await request.body())
            if self.mode == "ok":
                message = {"role": "assistant", "content": "fine"}
                return JSONResponse({"choices": [{"message": message}], "usage": USAGE})
            if self.mode == "no-usage":
                return JSONResponse({"choices": [{"message": {"content": "one two three"}}]})
            if self.mode == "huge":
                return JSONResponse({"choices": [{"message": {"content": "x" * 20_000}}]})
            if self.mode == "slow":
                await asyncio.sleep(5)
                return JSONResponse({})
            status = int(self.mode)
            return JSONResponse({"error": {"message": f"status {status}"}}, status_code=status)


@pytest.fixture
def troubled() -> Troubled:
    return Troubled()


@pytest.fixture
def gw(request_keys: CircuitKeys, tmp_path: Path, troubled: Troubled) -> Iterator[Gateway]:
    real = HttpUpstream(
        "http://troubled.test", timeout=1.0, transport=httpx.ASGITransport(app=troubled.app)
    )
    with make_gateway(request_keys, tmp_path / "s.db", real=real) as gw:
        yield gw


def _paid(gw: Gateway, payments: Payments) -> tuple[httpx.Response, PaymentResponse]:
    paid = payments.chat
    resp = gw.client.post(CHAT, content=paid.body, headers=paid.headers())
    reply = decode_header(resp.headers["PAYMENT-RESPONSE"], PaymentResponse, "PAYMENT-RESPONSE")
    check_reply(paid, reply)
    return resp, reply


def _worst(payments: Payments) -> int:
    route = SCHEDULE.route_for("POST", CHAT)
    assert route is not None
    return preflight.check(SCHEDULE, route, payments.chat.body).worst_cost


@pytest.mark.parametrize(
    "mode", ["500", "502", "503", "401", "403", "407", "408", "429", "404", "405"]
)
def test_the_providers_failure_costs_nothing(
    gw: Gateway, troubled: Troubled, payments: Payments, mode: str
) -> None:
    troubled.mode = mode
    resp, reply = _paid(gw, payments)
    assert resp.status_code == 502 and resp.json()["error"]["code"] == "upstream_error"
    assert (reply.cost, reply.p) == (0, 0)
    assert len(troubled.received) == 1


def test_an_upstream_timeout_costs_nothing(
    gw: Gateway, troubled: Troubled, payments: Payments
) -> None:
    troubled.mode = "slow"
    resp, reply = _paid(gw, payments)
    assert resp.status_code == 502 and (reply.cost, reply.p) == (0, 0)


def test_an_unreachable_upstream_costs_nothing(
    request_keys: CircuitKeys, tmp_path: Path, payments: Payments
) -> None:
    dead = HttpUpstream("http://127.0.0.1:9", timeout=2.0)
    with make_gateway(request_keys, tmp_path / "s.db", real=dead) as gw:
        resp, reply = _paid(gw, payments)
    assert resp.status_code == 502 and (reply.cost, reply.p) == (0, 0)


@pytest.mark.parametrize("mode", ["400", "413", "422"])
def test_an_upstream_4xx_about_the_callers_request_is_charged_the_work_done(
    gw: Gateway, troubled: Troubled, payments: Payments, mode: str
) -> None:
    troubled.mode = mode
    resp, reply = _paid(gw, payments)
    assert resp.status_code == int(mode)  # the upstream's own answer is relayed
    assert reply.cost == SCHEDULE.cost(CHAT_PRICE, Usage()) > 0  # the model's flat price


def test_a_served_call_is_charged_its_reported_usage(
    gw: Gateway, troubled: Troubled, payments: Payments
) -> None:
    resp, reply = _paid(gw, payments)
    assert resp.status_code == 200
    expected = SCHEDULE.cost(CHAT_PRICE, Usage(input_tokens=30, output_tokens=40))
    assert reply.cost == expected <= _worst(payments)


def test_a_reply_without_usage_is_charged_by_the_real_tokenizer(
    gw: Gateway, troubled: Troubled, payments: Payments
) -> None:
    from prover.gateway.upstream.usage import prompt_estimate

    troubled.mode = "no-usage"
    resp, reply = _paid(gw, payments)
    counted = Usage(input_tokens=prompt_estimate(payments.chat.body), output_tokens=3)
    assert resp.status_code == 200 and reply.cost == SCHEDULE.cost(CHAT_PRICE, counted)


def test_a_reply_over_the_size_limit_is_the_callers_and_costs_the_worst_case(
    request_keys: CircuitKeys, tmp_path: Path, troubled: Troubled, payments: Payments
) -> None:
    # a limit the request's reply bound fits (2 KiB + 512 + 50 × 64 B = 5 760 B) but the reply
    # (20 kB) does not
    schedule = SCHEDULE.model_copy(update={"max_reply_bytes": 8192})
    troubled.mode = "huge"
    cfg = settings(price_schedule=schedule)
    with make_gateway(
        request_keys,
        tmp_path / "s.db",
        cfg,
        HttpUpstream("http://t.test", transport=httpx.ASGITransport(app=troubled.app)),
    ) as gw:
        resp, reply = _paid(gw, payments)
    assert resp.status_code == 502 and resp.json()["error"]["code"] == "reply_over_limit"
    assert reply.cost == _worst(payments) <= SCHEDULE.c_max and reply.p == 0


def test_a_penalised_request_is_never_forwarded_and_carries_the_penalty(
    request_keys: CircuitKeys, tmp_path: Path, troubled: Troubled, payments: Payments
) -> None:
    rule = PatternRuleConfig(id="no-hello", pattern="hello")  # the payment's prompt
    policy = RulePolicy.from_config(PolicyConfig(rules=(rule,)), penalty_max=25)
    real = HttpUpstream("http://t.test", transport=httpx.ASGITransport(app=troubled.app))
    with make_gateway(request_keys, tmp_path / "s.db", real=real, policy=policy) as gw:
        resp, reply = _paid(gw, payments)
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "policy_violation"
    assert (reply.cost, reply.p) == (0, 25) and any(reply.evidence_hash)
    assert troubled.received == []


def test_a_penalty_marker_written_with_json_escapes_is_still_penalised(
    request_keys: CircuitKeys, tmp_path: Path, troubled: Troubled
) -> None:
    """Attack 4: `\\u` escapes (and full-width letters) used to slip past byte rules."""
    escaped = "".join(f"\\u{ord(c):04x}" for c in "ZKC-FORBIDDEN-DEMO")
    head = '{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"'
    body = head + escaped + '"}]}'
    with Prover(request_keys) as prover:
        paid = make_paid(prover, 4, "POST", CHAT, body.encode(), b"\x51" * 16)
    policy = RulePolicy.from_config(None, penalty_max=25)
    real = HttpUpstream("http://t.test", transport=httpx.ASGITransport(app=troubled.app))
    with make_gateway(request_keys, tmp_path / "s.db", real=real, policy=policy) as gw:
        resp = gw.client.post(CHAT, content=paid.body, headers=paid.headers())
    reply = decode_header(resp.headers["PAYMENT-RESPONSE"], PaymentResponse, "PAYMENT-RESPONSE")
    assert resp.status_code == 403 and reply.p == 25 and troubled.received == []


def test_a_900_kb_prompt_is_refused_before_reservation(
    request_keys: CircuitKeys, tmp_path: Path, troubled: Troubled
) -> None:
    """Attack 2: a prompt whose worst case is 60× c_max used to be served at c_max."""
    body = json.dumps(
        {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "w " * 450_000}]}
    ).encode()
    with Prover(request_keys) as prover:
        paid = make_paid(prover, 5, "POST", CHAT, body, b"\x61" * 16)
    real = HttpUpstream("http://t.test", transport=httpx.ASGITransport(app=troubled.app))
    with make_gateway(request_keys, tmp_path / "s.db", real=real) as gw:
        resp = gw.client.post(CHAT, content=paid.body, headers=paid.headers())
        assert resp.status_code == 400 and resp.json()["error"]["code"] == "cost_exceeds_c_max"
        assert "PAYMENT-RESPONSE" not in resp.headers
        assert gw.store.get_record(paid.nullifier) is None  # nothing reserved: the ticket is free
    assert troubled.received == []


def test_an_embeddings_call_asking_for_a_reply_larger_than_relayed_is_refused_unreserved(
    request_keys: CircuitKeys, tmp_path: Path
) -> None:
    """Attack 1: a reply the gateway cannot relay used to be free work on every ticket."""
    embed = PriceRoute(
        method="POST", path="/v1/embeddings", kind=RouteKind.EMBEDDINGS,
        models={"e": ModelPrice(flat=2, dimensions=32, max_dimensions=4096)},
    )  # fmt: skip
    schedule = PriceSchedule(quantum=2, c_max=50, routes=(*SCHEDULE.routes, embed))
    body = json.dumps({"model": "e", "input": ["a"] * 200, "dimensions": 4096}).encode()
    with Prover(request_keys) as prover:
        paid = make_paid(prover, 6, "POST", "/v1/embeddings", body, b"\x71" * 16)
    with make_gateway(request_keys, tmp_path / "s.db", settings(price_schedule=schedule)) as gw:
        resp = gw.client.post("/v1/embeddings", content=paid.body, headers=paid.headers())
        assert resp.status_code == 400 and resp.json()["error"]["code"] == "reply_too_large"
        assert gw.store.get_record(paid.nullifier) is None
        assert gw.upstream.seen == []
