"""Upstream down, 5xx, timeouts, oversize and broken streams: a failed reply costing 0, no raise."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse, StreamingResponse

from prover.gateway.ports import ForwardReply, ForwardStream
from prover.gateway.upstream import HttpUpstream, reply_cost
from prover.plumbing.server import ThreadedServer
from prover.pricing import preflight
from prover.pricing.schedule import PriceRoute, PriceSchedule, Usage

from .conftest import CHAT_PRICE, chat_body, forward_request


def _troubled_upstream() -> FastAPI:
    """A real (tiny) upstream that fails in each way the gateway must survive."""
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat(mode: str = "") -> object:
        if mode == "500":
            return JSONResponse({"error": "boom"}, status_code=500)
        if mode == "503":
            return JSONResponse({"error": "busy"}, status_code=503)
        if mode == "slow":
            await asyncio.sleep(30)
        if mode == "huge":
            return JSONResponse({"pad": "x" * 5000})
        if mode == "broken":
            return StreamingResponse(_broken(), media_type="text/event-stream")
        if mode == "stall":
            return StreamingResponse(_stall(), media_type="text/event-stream")
        return JSONResponse({"choices": []})

    return app


async def _broken() -> AsyncIterator[bytes]:
    yield b'data: {"choices":[{"index":0,"delta":{"content":"one"}}]}\n\n'
    raise RuntimeError("upstream crashed mid-stream")


async def _stall() -> AsyncIterator[bytes]:
    yield b'data: {"choices":[{"index":0,"delta":{"content":"one"}}]}\n\n'
    await asyncio.sleep(30)
    yield b"data: [DONE]\n\n"


def _call(upstream: HttpUpstream, route: PriceRoute, mode: str) -> ForwardReply:
    path = f"/v1/chat/completions?mode={mode}"
    return asyncio.run(upstream.forward(forward_request(route, chat_body("hi"), path=path)))


def _stream(
    upstream: HttpUpstream, route: PriceRoute, mode: str
) -> tuple[ForwardStream, list[bytes]]:
    async def run() -> tuple[ForwardStream, list[bytes]]:
        request = forward_request(
            route, chat_body("hi", stream=True), path=f"/v1/chat/completions?mode={mode}"
        )
        stream = await upstream.forward_stream(request)
        return stream, [c async for c in stream.chunks]

    return asyncio.run(run())


def _assert_costs_nothing(reply: ForwardReply | ForwardStream, schedule: PriceSchedule) -> None:
    route = schedule.route_for("POST", "/v1/chat/completions")
    assert route is not None
    assert reply.failed
    assert reply.usage == Usage()
    bound = preflight.bound(schedule, route, chat_body("hi"))
    assert reply_cost(schedule, bound, reply) == 0
    assert schedule.cost(CHAT_PRICE, reply.usage) == 5  # the flat price: why `reply_cost` exists


@pytest.fixture(scope="module")
def troubled_url() -> Iterator[str]:
    """The troubled upstream behind real uvicorn (ASGI in-process buffers whole replies)."""
    with ThreadedServer(_troubled_upstream()) as url:
        yield url


def test_an_unreachable_upstream_is_a_failed_reply(
    chat_route: PriceRoute, schedule: PriceSchedule
) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens on it
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    upstream = HttpUpstream(f"http://127.0.0.1:{port}", timeout=5.0)
    reply = _call(upstream, chat_route, "")
    assert reply.status == 502
    _assert_costs_nothing(reply, schedule)
    stream, chunks = _stream(upstream, chat_route, "")
    assert chunks == []
    _assert_costs_nothing(stream, schedule)


def test_an_upstream_5xx_is_a_failed_reply(
    upstream_for: Callable[..., HttpUpstream], chat_route: PriceRoute, schedule: PriceSchedule
) -> None:
    upstream = upstream_for(_troubled_upstream())
    for mode, status in (("500", 500), ("503", 503)):
        reply = _call(upstream, chat_route, mode)
        assert reply.status == status
        _assert_costs_nothing(reply, schedule)
        stream, chunks = _stream(upstream, chat_route, mode)
        assert stream.status == status and chunks == []
        _assert_costs_nothing(stream, schedule)


def test_an_upstream_that_answers_too_late_is_a_failed_reply(
    troubled_url: str, chat_route: PriceRoute, schedule: PriceSchedule
) -> None:
    upstream = HttpUpstream(troubled_url, timeout=0.3)
    reply = _call(upstream, chat_route, "slow")
    assert reply.status == 504
    _assert_costs_nothing(reply, schedule)
    stream, _ = _stream(upstream, chat_route, "slow")
    _assert_costs_nothing(stream, schedule)


def test_a_reply_above_the_size_limit_is_the_callers_and_costs_its_worst_case(
    upstream_for: Callable[..., HttpUpstream], chat_route: PriceRoute, schedule: PriceSchedule
) -> None:
    reply = _call(upstream_for(_troubled_upstream(), max_response_bytes=4096), chat_route, "huge")
    assert reply.body == b"" and reply.over_limit and not reply.failed
    bound = preflight.bound(schedule, chat_route, chat_body("hi"))
    assert reply_cost(schedule, bound, reply) == bound.worst_cost <= schedule.c_max


def test_a_stream_that_breaks_midway_is_marked_failed_and_costs_nothing(
    troubled_url: str, chat_route: PriceRoute, schedule: PriceSchedule
) -> None:
    stream, chunks = _stream(HttpUpstream(troubled_url), chat_route, "broken")
    assert chunks[0].startswith(b"data: ")
    assert chunks[-1] == b"data: [DONE]\n\n"
    _assert_costs_nothing(stream, schedule)


def test_a_stream_that_stalls_past_its_deadline_is_marked_failed(
    troubled_url: str, chat_route: PriceRoute, schedule: PriceSchedule
) -> None:
    upstream = HttpUpstream(troubled_url, max_stream_seconds=0.5)
    stream, chunks = _stream(upstream, chat_route, "stall")
    assert len(chunks) == 2 and chunks[-1] == b"data: [DONE]\n\n"
    _assert_costs_nothing(stream, schedule)
