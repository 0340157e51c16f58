"""Random paid chat requests through the real gateway app: the upstream never receives a request
whose worst case exceeds `c_max`, and every charge is ≤ its worst case ≤ `c_max`.

Everything is real (the FastAPI gateway, the SQLite store, `HttpUpstream`, the embedded upstream,
the signer) except the Groth16 verifier: hundreds of random requests cannot each get a real proof
(~1 s), so `create_app` gets a verifier that accepts any proof (`accept_any_proof`, named as
such). Every other payment check runs on real values: x bound to the request (D5), the vault's
public inputs, an accepted root, today, E_anon on the curve. Proof verification has its own tests.
"""

from __future__ import annotations

import json
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))

from gateway_world import SCHEDULE, SERVER_SK, SERVICE, TreeChainView, today, tree
from gateway_world import settings as gateway_settings

from prover.crypto import base8_mul
from prover.crypto.request_hash import RequestFields
from prover.crypto.ticket_key import TicketKey
from prover.gateway.app import create_app
from prover.gateway.embedded import create_embedded_upstream
from prover.gateway.policy import RulePolicy
from prover.gateway.ports import ForwardReply, ForwardRequest, ForwardStream
from prover.gateway.store import SqliteNullifierStore
from prover.gateway.upstream import HttpUpstream
from prover.pricing import PreflightRefused, preflight
from prover.wire import PaymentResponse, decode_header, signed_payment
from prover.wire import encode_header as encode
from prover.wire.payment import REQUEST_SIGNALS

CHAT = "/v1/chat/completions"
ROUTE = SCHEDULE.routes[0]


def accept_any_proof(proof: bytes, signals: object) -> bool:
    """Stand-in for Groth16 verification (see the module docstring)."""
    return True


class WorstCaseWatch:
    """Wraps the real upstream; records the worst case of every request that reaches it."""

    def __init__(self, inner: HttpUpstream) -> None:
        self.inner = inner
        self.worst: list[int] = []

    def _seen(self, request: ForwardRequest) -> None:
        self.worst.append(preflight.bound(SCHEDULE, request.route, request.body).worst_cost)

    async def forward(self, request: ForwardRequest) -> ForwardReply:
        self._seen(request)
        return await self.inner.forward(request)

    async def forward_stream(self, request: ForwardRequest) -> ForwardStream:
        self._seen(request)
        return await self.inner.forward_stream(request)


def _payment(body: bytes) -> str:
    day = today()
    key = TicketKey.generate()
    request = RequestFields.create(
        method="POST", path=CHAT, body=body, service_id=SERVICE.service_id, today=day,
        request_id=secrets.token_bytes(16),
    )  # fmt: skip
    e_anon = base8_mul(secrets.randbelow(1 << 200) + 1)
    values = {
        "y": secrets.randbelow(1 << 250), "nullifier": secrets.randbelow(1 << 250) + 1,
        "e_anon_x": e_anon.x, "e_anon_y": e_anon.y, "root": tree().root,
        "service_id": SERVICE.service_id, "x": key.x, "c_max": SERVICE.c_max,
        "reserve": SERVICE.reserve, "server_pk_x": SERVICE.server_pk.x,
        "server_pk_y": SERVICE.server_pk.y, "today": day,
    }  # fmt: skip
    return encode(
        signed_payment(
            network="eip155:31337",
            proof=bytes(256),
            public_signals=[values[name] for name in REQUEST_SIGNALS],
            key=key,
            request=request,
        )
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, WorstCaseWatch]]:
    from starlette.testclient import TestClient

    store = SqliteNullifierStore(tmp_path_factory.mktemp("prop") / "s.db")
    app_upstream = create_embedded_upstream()
    watch = WorstCaseWatch(
        HttpUpstream("http://e.test", transport=httpx.ASGITransport(app=app_upstream))
    )
    cfg = gateway_settings()
    app = create_app(
        cfg, chain=TreeChainView(), upstream=watch,
        policy=RulePolicy.from_config(None, penalty_max=cfg.penalty_max), store=store,
        keys=accept_any_proof, server_secret=SERVER_SK,
    )  # fmt: skip
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, watch
    store.close()


_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300)
_requests = st.fixed_dictionaries(
    {"model": st.sampled_from(["m", "m", "m", "m", "other"]),
     "messages": st.lists(st.fixed_dictionaries({"role": st.just("user"), "content": _text}),
                          min_size=1, max_size=3)},
    optional={"max_tokens": st.integers(1, 250), "max_completion_tokens": st.integers(1, 250),
              "n": st.integers(1, 2), "stream": st.booleans()},
)  # fmt: skip


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(_requests)
def test_no_request_over_c_max_reaches_the_upstream_and_no_charge_exceeds_its_worst_case(
    world: tuple[Any, WorstCaseWatch], request: dict[str, Any]
) -> None:
    client, watch = world
    if request.get("stream") and len(request["messages"]) > 1:  # most streams ask for usage
        request["stream_options"] = {"include_usage": True}
    body = json.dumps(request).encode()
    forwarded_before = len(watch.worst)
    resp = client.post(
        CHAT, content=body, headers={"PAYMENT-SIGNATURE": _payment(body),
                                     "content-type": "application/json"},
    )  # fmt: skip
    try:
        bound = preflight.check(SCHEDULE, ROUTE, body)
    except PreflightRefused as refused:
        event(f"refused: {refused.reason.value}")
        assert resp.status_code == 400 and resp.json()["error"]["code"] == refused.reason.value
        assert "PAYMENT-RESPONSE" not in resp.headers
        assert len(watch.worst) == forwarded_before  # never reached the upstream
        return
    event("served")
    assert bound.worst_cost <= SCHEDULE.c_max
    assert all(w <= SCHEDULE.c_max for w in watch.worst)
    if request.get("stream") is True:
        text = resp.text
        assert "event: payment-response" in text
        value = text.split("event: payment-response\ndata: ")[1].split("\n")[0]
    else:
        value = resp.headers["PAYMENT-RESPONSE"]
    reply = decode_header(value, PaymentResponse, "PAYMENT-RESPONSE")
    assert reply.cost <= bound.worst_cost <= SCHEDULE.c_max
    assert SCHEDULE.is_valid_cost(reply.cost)
