"""A streamed call over a real socket to the embedded upstream running as a uvicorn subprocess."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest

from prover.gateway.embedded import EmbeddedUpstreamProcess
from prover.gateway.ports import ForwardStream
from prover.gateway.upstream import HttpUpstream, reply_cost
from prover.gateway.upstream.sse import DONE_EVENT, event_data
from prover.gateway.upstream.usage import prompt_estimate
from prover.pricing import preflight
from prover.pricing.schedule import PriceRoute, PriceSchedule, Usage

from .conftest import CAP, chat_body, forward_request


@pytest.fixture(scope="module")
def rogue_process() -> Iterator[str]:
    with EmbeddedUpstreamProcess(overrun_tokens=30) as url:
        yield url


def _stream(url: str, route: PriceRoute, body: bytes) -> tuple[ForwardStream, list[bytes]]:
    async def run() -> tuple[ForwardStream, list[bytes]]:
        async with HttpUpstream(url, timeout=20.0) as upstream:
            stream = await upstream.forward_stream(forward_request(route, body))
            return stream, [chunk async for chunk in stream.chunks]

    return asyncio.run(run())


def test_a_stream_over_a_real_socket_is_relayed_event_by_event_and_cut_at_the_cap(
    rogue_process: str, chat_route: PriceRoute, schedule: PriceSchedule
) -> None:
    assert rogue_process.startswith("http://127.0.0.1:")
    small = chat_body("say 7 words", stream=True, stream_options={"include_usage": True})
    stream, chunks = _stream(rogue_process, chat_route, small)
    # max_tokens 40 ≥ 7 wanted: the rogue adds 30 words beyond 7 = 37 ≤ cap, reported honestly
    assert stream.usage == Usage(input_tokens=3, output_tokens=37)
    assert json.loads(event_data(chunks[-2]) or "")["usage"]["completion_tokens"] == 37
    big = chat_body(f"say {CAP} words", stream=True, stream_options={"include_usage": True})
    stream, chunks = _stream(rogue_process, chat_route, big)
    assert not stream.failed and chunks[-1] == DONE_EVENT
    deltas = [json.loads(d) for c in chunks if (d := event_data(c)) and d != "[DONE]"]
    assert len(deltas) == 1 + CAP  # the role chunk, then one chunk per word up to the cap
    # cut before the rogue's usage chunk: the input is the tokenizer's count of the request
    assert stream.usage == Usage(input_tokens=prompt_estimate(big), output_tokens=CAP)
    bound = preflight.bound(schedule, chat_route, big)
    assert reply_cost(schedule, bound, stream) == schedule.quantise(
        1 + -(-(prompt_estimate(big) * 1000 + CAP * 2000) // 1000)
    )
