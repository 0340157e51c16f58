"""The canonical bytes arrive upstream byte-identical, with a fixed header set and nothing else."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from prover.gateway.embedded import DIGEST_HEADER, request_sha256
from prover.gateway.ports import ForwardRequest
from prover.gateway.upstream import HttpUpstream, UpstreamConfigError
from prover.pricing.schedule import PriceRoute

from .conftest import forward_request

# Odd-but-valid JSON: key order, spacing, escapes and a float a re-serialiser would change.
ODD_BODY = (
    b'{ "messages" :[{"content":"caf\\u00e9 \\ud83d\\ude00 \xc3\xa9","role":"user"}],'
    b'\n\t"max_tokens": 7, "model":"zk-embedded-chat", "temperature": 1.0e0 }'
)


def _sent(upstream: HttpUpstream, request: ForwardRequest) -> None:
    reply = asyncio.run(upstream.forward(request))
    assert not reply.failed, reply


def test_a_chat_body_arrives_byte_identical(
    embedded: FastAPI, upstream_for: Callable[..., HttpUpstream], chat_route: PriceRoute
) -> None:
    _sent(upstream_for(embedded), forward_request(chat_route, ODD_BODY))
    got = embedded.state.received[-1]
    assert got.method == "POST"
    assert got.target == b"/v1/chat/completions"
    assert got.body == ODD_BODY
    assert got.digest() == request_sha256("POST", b"/v1/chat/completions", ODD_BODY)


def test_the_raw_path_and_query_are_not_re_encoded(
    embedded: FastAPI, upstream_for: Callable[..., HttpUpstream], search_route: PriceRoute
) -> None:
    path = "/search?q=caf%C3%A9+au%20lait&x=%7e&y=a/b&empty=&q=2"
    _sent(upstream_for(embedded), forward_request(search_route, b"", path=path))
    got = embedded.state.received[-1]
    assert got.target == path.encode()
    assert got.body == b""


def test_a_base_url_prefix_is_prepended_to_the_exact_path(
    upstream_for: Callable[..., HttpUpstream], search_route: PriceRoute
) -> None:
    seen: list[bytes] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["raw_path"] + b"?" + scope["query_string"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    upstream = HttpUpstream("http://h.test/api/v2/", transport=httpx.ASGITransport(app=app))
    _sent(upstream, forward_request(search_route, b"", path="/search?q=%2F"))
    assert seen == [b"/api/v2/search?q=%2F"]


def test_only_the_fixed_headers_and_configured_ones_are_sent(
    embedded: FastAPI, upstream_for: Callable[..., HttpUpstream], chat_route: PriceRoute
) -> None:
    upstream = upstream_for(embedded, headers={"Authorization": "Bearer upstream-key"})
    request = forward_request(chat_route, ODD_BODY)
    request = ForwardRequest(
        request.method,
        request.path,
        request.body,
        "application/json; charset=utf-8",
        request.route,
        request.max_output_tokens,
    )
    _sent(upstream, request)
    headers = {k.decode().lower(): v.decode() for k, v in embedded.state.received[-1].headers}
    assert headers.pop("content-length") == str(len(ODD_BODY))
    assert headers == {
        "host": "upstream.test",
        "accept": "*/*",
        "accept-encoding": "identity",
        "authorization": "Bearer upstream-key",
        "content-type": "application/json; charset=utf-8",
    }


@pytest.mark.parametrize(
    "name", ["User-Agent", "Cookie", "X-Stainless-Os", "OpenAI-Organization", "Connection", "Host"]
)
def test_identifying_or_hop_by_hop_headers_cannot_be_configured(name: str) -> None:
    with pytest.raises(UpstreamConfigError) as err:
        HttpUpstream("http://h.test", headers={name: "x"})
    assert err.value.field == "headers"


@pytest.mark.parametrize("url", ["ftp://h/", "http://h/?q=1", "h.test", "http://h/#f"])
def test_an_unusable_base_url_is_refused(url: str) -> None:
    with pytest.raises(UpstreamConfigError) as err:
        HttpUpstream(url)
    assert err.value.field == "base_url"


def test_the_reply_digest_header_matches_what_the_embedded_app_recorded(
    embedded: FastAPI, chat_route: PriceRoute
) -> None:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=embedded)
        async with httpx.AsyncClient(transport=transport, base_url="http://u") as client:
            return await client.post("/v1/chat/completions", content=ODD_BODY)

    response = asyncio.run(call())
    framed = b"\x00\x00\x00\x04POST\x00\x00\x00\x14/v1/chat/completions" + ODD_BODY
    assert response.headers[DIGEST_HEADER] == hashlib.sha256(framed).hexdigest()


@pytest.mark.parametrize(
    "path", ["/search?q=a b", "/search#frag", "/search?q=\x00", "search", "/é"]
)
def test_a_path_that_could_not_be_sent_byte_identical_is_refused_unsent(
    embedded: FastAPI,
    upstream_for: Callable[..., HttpUpstream],
    search_route: PriceRoute,
    path: str,
) -> None:
    reply = asyncio.run(
        upstream_for(embedded).forward(forward_request(search_route, b"", path=path))
    )
    assert reply.failed and reply.status == 400
    assert len(embedded.state.received) == 0
