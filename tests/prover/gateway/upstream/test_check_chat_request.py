"""`check_request`: the upstream's last re-check of a chat work cap before anything is sent (the
pipeline's rule is the shared pre-flight, tested in `tests/prover/pricing/test_preflight.py`)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prover.gateway.upstream import RequestRefused, check_request, wants_stream
from prover.pricing.schedule import PriceRoute

from .conftest import CAP, chat_body


def test_a_request_within_the_cap_is_accepted(chat_route: PriceRoute) -> None:
    check_request(chat_body("hi", max_tokens=CAP), chat_route, CAP)
    check_request(chat_body("hi", max_tokens=1, max_completion_tokens=CAP), chat_route, CAP)


def test_the_larger_of_the_two_caps_times_n_must_fit(chat_route: PriceRoute) -> None:
    with pytest.raises(RequestRefused) as err:
        check_request(chat_body("hi", max_tokens=5, max_completion_tokens=CAP + 1), chat_route, CAP)
    assert err.value.field == "max_tokens"
    check_request(chat_body("hi", max_tokens=CAP // 2, n=2), chat_route, CAP)
    with pytest.raises(RequestRefused):
        check_request(chat_body("hi", max_tokens=CAP // 2 + 1, n=2), chat_route, CAP)


def test_a_request_without_any_token_limit_or_with_a_bad_n_is_refused(
    chat_route: PriceRoute,
) -> None:
    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "x"}]}).encode()
    with pytest.raises(RequestRefused) as err:
        check_request(body, chat_route, CAP)
    assert err.value.field == "max_tokens"
    with pytest.raises(RequestRefused) as err:
        check_request(chat_body("hi", n=0), chat_route, CAP)
    assert err.value.field == "n"


def test_an_ambiguous_body_is_refused(chat_route: PriceRoute) -> None:
    duplicate = b'{"max_tokens": 1, "messages": [], "max_tokens": 100000}'
    for body in (duplicate, b"\xef\xbb\xbf{}", b'{"max_tokens": NaN}', b"[]"):
        with pytest.raises(RequestRefused):
            check_request(body, chat_route, CAP)


def test_an_embeddings_body_needs_an_input(embeddings_route: PriceRoute) -> None:
    check_request(b'{"input": "x"}', embeddings_route, 0)
    with pytest.raises(RequestRefused) as err:
        check_request(b'{"model": "m"}', embeddings_route, 0)
    assert err.value.field == "input"


def test_wants_stream_reads_the_stream_flag() -> None:
    assert wants_stream(chat_body("hi", stream=True))
    assert not wants_stream(chat_body("hi"))
    assert not wants_stream(b"junk")


@given(st.integers(min_value=-(2**70), max_value=2**70))
def test_exactly_the_limits_in_one_to_cap_are_accepted(limit: int) -> None:
    from prover.pricing.schedule import ModelPrice, RouteKind

    route = PriceRoute(
        method="POST",
        path="/v1/chat/completions",
        kind=RouteKind.CHAT,
        models={"m": ModelPrice(max_output_tokens=CAP)},
    )
    body = chat_body("hi", max_tokens=limit)
    if 1 <= limit <= CAP:
        check_request(body, route, CAP)
    else:
        with pytest.raises(RequestRefused):
            check_request(body, route, CAP)
