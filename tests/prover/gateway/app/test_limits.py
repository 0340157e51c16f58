"""Hardening at the edge: body and header limits, the unpaid-request rate limit, paths that must
not pass as a sold route, and the error shape on everything refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gateway_harness import CHAT, Gateway, Payments, make_gateway
from gateway_world import settings

from prover.circuits.prover import CircuitKeys
from prover.gateway.app.ratelimit import TokenBucket
from prover.gateway.app.requests import safe_path


@pytest.fixture
def tight(request_keys: CircuitKeys, tmp_path: Path) -> Iterator[Gateway]:
    cfg = settings(
        max_body_bytes=256, max_header_bytes=4096, unpaid_rate_per_s=0.001, unpaid_burst=3
    )
    with make_gateway(request_keys, tmp_path / "s.db", cfg) as gw:
        yield gw


def _error(resp: object) -> tuple[int, str]:
    return resp.status_code, resp.json()["error"]["code"]  # type: ignore[attr-defined]


@pytest.mark.slow  # real proofs (session fixture)
def test_a_body_over_the_limit_is_refused_before_anything_is_reserved(
    tight: Gateway, payments: Payments
) -> None:
    resp = tight.client.post(CHAT, content=b"x" * 257, headers=payments.chat.headers())
    assert _error(resp) == (413, "bad_request") and resp.json()["error"]["field"] == "body"
    assert tight.store.stats().total == 0


def test_headers_over_the_limit_are_refused(tight: Gateway) -> None:
    resp = tight.client.get("/v1/data", headers={"x-pad": "a" * 5000})
    assert _error(resp) == (400, "bad_request")


def test_unpaid_requests_are_rate_limited_per_process(tight: Gateway) -> None:
    codes = [tight.client.post(CHAT, content=b"{}").status_code for _ in range(5)]
    assert codes == [402, 402, 402, 429, 429]
    limited = tight.client.get("/.well-known/zkcredits")
    assert _error(limited) == (429, "rate_limited")
    assert tight.client.get("/healthz").status_code == 200  # never limited


@pytest.mark.slow  # real proofs (session fixture)
def test_paid_calls_are_not_held_back_by_the_unpaid_limit(
    tight: Gateway, payments: Payments
) -> None:
    for _ in range(4):
        tight.client.post(CHAT, content=b"{}")
    paid = payments.chat
    assert tight.client.post(CHAT, content=paid.body, headers=paid.headers()).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/v1/chat/completions/../../admin",
        "/v1/chat/completions/%2e%2e/admin",
        "/v1/chat/completions/%2E./x",
        "/v1/chat/completions/a%2fb",
        "/v1/chat/completions//x",
        "/v1/data/.",
    ],
)
def test_dot_segments_and_encoded_separators_never_pass_as_a_sold_route(path: str) -> None:
    assert not safe_path(path)


def test_plain_sold_paths_pass_the_path_check() -> None:
    assert safe_path("/v1/chat/completions")
    assert safe_path("/v1/data/item?q=../x&r=%2F")


def test_an_unsold_route_gets_the_error_shape_and_no_terms(gateway: Gateway) -> None:
    for method in ("GET", "DELETE", "OPTIONS", "PATCH"):
        resp = gateway.client.request(method, "/admin/keys")
        assert _error(resp) == (400, "bad_request")
        assert "PAYMENT-REQUIRED" not in resp.headers
    assert gateway.upstream.seen == []


def test_the_token_bucket_refills_at_its_rate() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=2.0, burst=2, clock=lambda: now[0])
    assert [bucket.take() for _ in range(3)] == [True, True, False]
    now[0] = 0.5
    assert bucket.take() and not bucket.take()


@pytest.mark.slow  # real proofs (session fixture)
def test_an_unexpected_failure_inside_is_a_503_error_shape_never_a_500(
    gateway: Gateway, payments: Payments
) -> None:
    def broken(root: int, now: float) -> bool:
        raise RuntimeError("mirror database is locked")

    gateway.chain.is_accepted_root = broken  # type: ignore[method-assign]
    paid = payments.chat
    resp = gateway.client.post(CHAT, content=paid.body, headers=paid.headers())
    assert resp.status_code == 503 and resp.headers["retry-after"] == "1"
    assert resp.json()["error"]["code"] == "upstream_error"
    assert gateway.store.stats().total == 0


@pytest.mark.slow  # real proofs (session fixture)
def test_two_payment_headers_in_one_request_are_refused(
    gateway: Gateway, payments: Payments
) -> None:
    paid = payments.chat
    headers = [("PAYMENT-SIGNATURE", paid.header), ("PAYMENT-SIGNATURE", paid.header)]
    resp = gateway.client.post(CHAT, content=paid.body, headers=headers)
    assert resp.status_code == 400 and resp.json()["error"]["field"] == "header"
    assert gateway.store.stats().total == 0
