"""The cap holds upstream-side too: over-cap bodies are never sent, over-long output is cut."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

from fastapi import FastAPI

from prover.gateway.embedded import create_embedded_upstream
from prover.gateway.ports import ForwardRequest, ForwardStream
from prover.gateway.upstream import HttpUpstream
from prover.gateway.upstream.sse import DONE_EVENT, event_data
from prover.pricing.schedule import PriceRoute, PriceSchedule, Usage

from .conftest import CAP, CHAT_PRICE, chat_body, forward_request


def _stream(upstream: HttpUpstream, request: ForwardRequest) -> tuple[ForwardStream, list[bytes]]:
    async def run() -> tuple[ForwardStream, list[bytes]]:
        stream = await upstream.forward_stream(request)
        return stream, [chunk async for chunk in stream.chunks]

    return asyncio.run(run())


def _words(chunks: list[bytes]) -> int:
    text = ""
    for chunk in chunks:
        data = event_data(chunk)
        if data and data != "[DONE]":
            for choice in json.loads(data)["choices"]:
                text += choice["delta"].get("content") or ""
    return len(text.split())


def test_an_over_cap_body_is_never_forwarded_and_costs_nothing(
    embedded: FastAPI, upstream_for: Callable[..., HttpUpstream], chat_route: PriceRoute
) -> None:
    upstream = upstream_for(embedded)
    request = forward_request(chat_route, chat_body("say 5 words", max_tokens=CAP + 1))
    reply = asyncio.run(upstream.forward(request))
    stream, chunks = _stream(upstream, request)
    assert reply.failed and reply.status == 400 and reply.usage == Usage()
    assert stream.failed and stream.status == 400 and chunks == []
    assert len(embedded.state.received) == 0


def test_a_smaller_cap_on_the_request_is_the_one_enforced(
    embedded: FastAPI, upstream_for: Callable[..., HttpUpstream], chat_route: PriceRoute
) -> None:
    base = forward_request(chat_route, chat_body("say 5 words", max_tokens=20))
    tighter = ForwardRequest(base.method, base.path, base.body, base.content_type, base.route, 10)
    reply = asyncio.run(upstream_for(embedded).forward(tighter))
    assert reply.failed and reply.status == 400


def test_a_misbehaving_upstream_streaming_past_the_cap_is_cut_at_the_cap(
    upstream_for: Callable[..., HttpUpstream], chat_route: PriceRoute, schedule: PriceSchedule
) -> None:
    rogue = create_embedded_upstream(overrun_tokens=25)
    body = chat_body(
        f"say {CAP} words", max_tokens=CAP, stream=True, stream_options={"include_usage": True}
    )
    stream, chunks = _stream(upstream_for(rogue), forward_request(chat_route, body))
    assert not stream.failed
    assert _words(chunks) == CAP
    assert chunks[-1] == DONE_EVENT
    assert not any(b'"usage":{' in c for c in chunks)  # the rogue's usage chunk never came through
    assert stream.usage.output_tokens == CAP
    assert schedule.cost(CHAT_PRICE, stream.usage) <= schedule.c_max


def test_an_honest_stream_at_exactly_the_cap_is_not_cut(
    embedded: FastAPI, upstream_for: Callable[..., HttpUpstream], chat_route: PriceRoute
) -> None:
    body = chat_body(f"say {CAP} words", stream=True, stream_options={"include_usage": True})
    stream, chunks = _stream(upstream_for(embedded), forward_request(chat_route, body))
    assert _words(chunks) == CAP
    assert b'"usage":{' in chunks[-2]
    assert stream.usage == Usage(input_tokens=3, output_tokens=CAP)


def test_a_misbehaving_non_streamed_reply_is_billed_at_most_the_cap(
    upstream_for: Callable[..., HttpUpstream], chat_route: PriceRoute
) -> None:
    rogue = create_embedded_upstream(overrun_tokens=25)
    body = chat_body(f"say {CAP} words", max_tokens=CAP)
    reply = asyncio.run(upstream_for(rogue).forward(forward_request(chat_route, body)))
    assert json.loads(reply.body)["usage"]["completion_tokens"] == CAP + 25
    assert reply.usage.output_tokens == CAP


def test_a_stream_past_the_size_limit_is_cut(
    embedded: FastAPI, upstream_for: Callable[..., HttpUpstream], chat_route: PriceRoute
) -> None:
    body = chat_body(f"say {CAP} words", stream=True)
    stream, chunks = _stream(
        upstream_for(embedded, max_response_bytes=1500), forward_request(chat_route, body)
    )
    assert sum(len(c) for c in chunks[:-1]) <= 1500
    assert chunks[-1] == DONE_EVENT
    assert stream.over_limit and not stream.failed  # the caller's: charged its worst case
    assert 0 < _words(chunks) < CAP
