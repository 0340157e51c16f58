"""Fixed outgoing headers (PROTOCOL §13), checked against what a real local server received."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from prover.client.transport.config import TransportSettings
from prover.client.transport.headers import ALLOWED_HEADERS, sanitize_headers
from prover.client.transport.private import AsyncPrivateTransport, PrivateTransport

LEAKY_HEADERS = {
    "User-Agent": "OpenAI/Python 1.99.0",
    "X-Stainless-Lang": "python",
    "X-Stainless-Arch": "x64",
    "X-Stainless-Runtime-Version": "3.11.2",
    "OpenAI-Organization": "org-123",
    "OpenAI-Project": "proj_456",
    "Cookie": "session=abc",
    "Authorization": "Bearer local-proxy-token",
    "X-Forwarded-For": "10.0.0.7",
    "Accept-Language": "fr-CH",
}
WANTED_HEADERS = {
    "Content-Type": "application/json",
    "Accept": "text/event-stream",
    "PAYMENT-SIGNATURE": "eyJzY2hlbWUiOiJ6ay1ybG4tY3JlZGl0In0=",
}
EXPECTED_NAMES = {
    "host",
    "content-type",
    "content-length",
    "accept",
    "payment-signature",
    "accept-encoding",
    "connection",
}


def _received(record: dict[str, Any]) -> dict[str, str]:
    pairs = record["headers"]
    assert len({name.lower() for name, _ in pairs}) == len(pairs), "a header was sent twice"
    return {name.lower(): value for name, value in pairs}


def _check(received: dict[str, str]) -> None:
    assert set(received) == EXPECTED_NAMES
    assert received["connection"] == "close"
    assert received["accept-encoding"] == "identity"
    assert received["accept"] == "text/event-stream"
    assert received["payment-signature"] == WANTED_HEADERS["PAYMENT-SIGNATURE"]


def test_a_direct_request_carries_only_allow_listed_headers(echo_server: Any) -> None:
    transport = PrivateTransport(TransportSettings(socks_proxy=None))
    reply = transport.request(
        "POST",
        f"{echo_server.url}/v1/chat",
        headers={**LEAKY_HEADERS, **WANTED_HEADERS},
        content=b'{"model":"m"}',
    )
    assert reply.status_code == 200
    (record,) = echo_server.requests
    _check(_received(record))
    assert record["body"] == '{"model":"m"}'


def test_httpx_default_user_agent_is_removed_even_when_the_caller_sets_no_header(
    echo_server: Any,
) -> None:
    PrivateTransport(TransportSettings()).request("GET", f"{echo_server.url}/state/1")
    received = _received(echo_server.requests[0])
    assert "user-agent" not in received
    assert set(received) == {"host", "accept", "accept-encoding", "connection"}


def test_a_request_through_socks_carries_only_allow_listed_headers(
    echo_server: Any, socks_server: Any
) -> None:
    transport = PrivateTransport(TransportSettings(socks_proxy=socks_server.url))
    transport.request(
        "POST",
        f"{echo_server.url}/v1/chat",
        headers={**LEAKY_HEADERS, **WANTED_HEADERS},
        content=b"{}",
    )
    _check(_received(echo_server.requests[0]))
    assert len(socks_server.connects) == 1


def test_the_async_transport_strips_the_same_headers(echo_server: Any, socks_server: Any) -> None:
    async def call() -> int:
        transport = AsyncPrivateTransport(TransportSettings(socks_proxy=socks_server.url))
        reply = await transport.request(
            "POST",
            f"{echo_server.url}/v1/chat",
            headers={**LEAKY_HEADERS, **WANTED_HEADERS},
            content=b"{}",
        )
        return reply.status_code

    assert asyncio.run(call()) == 200
    _check(_received(echo_server.requests[0]))
    assert len(socks_server.connects) == 1


def test_header_names_are_matched_case_insensitively_and_unknown_ones_dropped() -> None:
    cleaned = sanitize_headers(
        [
            ("content-TYPE", "text/plain"),
            ("x-stainless-os", "Linux"),
            ("Cookie", "a=b"),
            ("Connection", "keep-alive"),
            ("Accept-Encoding", "br"),
        ]
    )
    assert cleaned.multi_items() == [
        ("content-type", "text/plain"),
        ("accept-encoding", "identity"),
        ("connection", "close"),
    ]
    assert "connection" not in ALLOWED_HEADERS and "user-agent" not in ALLOWED_HEADERS


_NAMES = st.sampled_from(
    [
        "User-Agent",
        "Cookie",
        "X-Stainless-Lang",
        "OpenAI-Project",
        "Accept",
        "content-type",
        "Connection",
        "Accept-Encoding",
        "PAYMENT-SIGNATURE",
        "Authorization",
        "X-Anything",
    ]
)


@given(st.lists(st.tuples(_NAMES, st.text(alphabet="abcXYZ019 /=", max_size=12)), max_size=12))
def test_any_header_list_leaves_only_allowed_names_and_exactly_one_forced_pair(
    headers: list[tuple[str, str]],
) -> None:
    cleaned = sanitize_headers(headers).multi_items()
    names = [name for name, _ in cleaned]
    assert set(names) <= ALLOWED_HEADERS | {"accept-encoding", "connection"}
    assert names.count("connection") == 1 and names.count("accept-encoding") == 1
    assert cleaned[-2:] == [("accept-encoding", "identity"), ("connection", "close")]
    kept = [(n.lower(), v) for n, v in headers if n.lower() in ALLOWED_HEADERS]
    assert cleaned[:-2] == kept
