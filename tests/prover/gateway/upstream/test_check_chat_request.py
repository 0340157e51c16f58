"""`check_chat_request`: the pre-proving refusal of chat requests whose output is not capped."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prover.gateway.upstream import RequestRefused, check_chat_request, check_request, wants_stream
from prover.pricing.schedule import PriceRoute

from .conftest import CAP, chat_body


def test_a_request_within_the_cap_is_accepted(chat_route: PriceRoute) -> None:
    check_chat_request(chat_body("hi", max_tokens=CAP), chat_route)
    check_chat_request(chat_body("hi", max_tokens=1, max_completion_tokens=CAP), chat_route)


def test_a_request_with_max_tokens_above_the_cap_is_refused(chat_route: PriceRoute) -> None:
    with pytest.raises(RequestRefused) as err:
        check_chat_request(chat_body("hi", max_tokens=CAP + 1), chat_route)
    assert err.value.field == "max_tokens"


def test_max_completion_tokens_above_the_cap_is_refused_even_with_a_small_max_tokens(
    chat_route: PriceRoute,
) -> None:
    with pytest.raises(RequestRefused) as err:
        check_chat_request(chat_body("hi", max_tokens=5, max_completion_tokens=CAP + 1), chat_route)
    assert err.value.field == "max_completion_tokens"


def test_a_request_without_any_token_limit_is_refused(chat_route: PriceRoute) -> None:
    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "x"}]}).encode()
    with pytest.raises(RequestRefused, match="required"):
        check_chat_request(body, chat_route)
    null_limit = json.dumps({"messages": [], "max_tokens": None}).encode()
    with pytest.raises(RequestRefused):
        check_chat_request(null_limit, chat_route)


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "10", [10]])
def test_a_token_limit_that_is_not_a_positive_int_is_refused(
    chat_route: PriceRoute, bad: object
) -> None:
    with pytest.raises(RequestRefused):
        check_chat_request(chat_body("hi", max_tokens=bad), chat_route)  # type: ignore[arg-type]


def test_a_duplicate_max_tokens_key_is_refused_because_upstreams_may_read_either(
    chat_route: PriceRoute,
) -> None:
    body = b'{"messages":[],"max_tokens":10,"max_tokens":100000}'
    with pytest.raises(RequestRefused, match="repeats"):
        check_chat_request(body, chat_route)


def test_more_than_one_choice_is_refused(chat_route: PriceRoute) -> None:
    with pytest.raises(RequestRefused) as err:
        check_chat_request(chat_body("hi", n=3), chat_route)
    assert err.value.field == "n"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"[]",
        b"\xff\xfe{}",
        '\ufeff{"messages":[],"max_tokens":1}'.encode(),
        b'{"messages":[],"max_tokens":NaN}',
        b'{"messages":"hi","max_tokens":1}',
        b'{"messages":[],"max_tokens":1,"stream":"yes"}',
        b"[" * 100_000,
    ],
)
def test_malformed_bodies_are_refused_not_crashed_on(chat_route: PriceRoute, body: bytes) -> None:
    with pytest.raises(RequestRefused):
        check_chat_request(body, chat_route)


def test_a_non_chat_route_is_not_checked_as_chat(
    search_route: PriceRoute, embeddings_route: PriceRoute
) -> None:
    with pytest.raises(RequestRefused, match="not chat"):
        check_chat_request(chat_body("hi"), search_route)
    check_request(b"", search_route)
    check_request(b'{"input": "a b"}', embeddings_route)
    with pytest.raises(RequestRefused):
        check_request(b'{"inputs": "a"}', embeddings_route)


def test_wants_stream_reads_the_stream_flag(chat_route: PriceRoute) -> None:
    assert wants_stream(chat_body("hi", stream=True))
    assert not wants_stream(chat_body("hi"))
    assert not wants_stream(b"junk")


@given(st.integers(min_value=-(2**70), max_value=2**70))
def test_exactly_the_limits_in_one_to_cap_are_accepted(limit: int) -> None:
    from prover.pricing.schedule import RouteKind

    route = PriceRoute(
        method="POST", path="/v1/chat/completions", kind=RouteKind.CHAT, max_output_tokens=CAP
    )
    body = chat_body("hi", max_tokens=limit)
    if 1 <= limit <= CAP:
        check_chat_request(body, route)
    else:
        with pytest.raises(RequestRefused):
            check_chat_request(body, route)
