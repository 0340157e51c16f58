"""Usage and cost of real calls to the embedded upstream, priced by `PriceSchedule.cost`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

from fastapi import FastAPI

from prover.gateway.ports import ForwardReply, ForwardStream
from prover.gateway.upstream import HttpUpstream
from prover.gateway.upstream.sse import DONE_EVENT, event_data
from prover.pricing.request_json import canonical_text
from prover.pricing.schedule import PriceRoute, PriceSchedule, Usage
from prover.pricing.tokens import count_tokens

from .conftest import CHAT_PRICE, EMBED_PRICE, chat_body, forward_request


def _forward(upstream: HttpUpstream, route: PriceRoute, body: bytes, **kw: str) -> ForwardReply:
    return asyncio.run(upstream.forward(forward_request(route, body, **kw)))


def _stream(
    upstream: HttpUpstream, route: PriceRoute, body: bytes
) -> tuple[ForwardStream, list[bytes]]:
    async def run() -> tuple[ForwardStream, list[bytes]]:
        stream = await upstream.forward_stream(forward_request(route, body))
        return stream, [chunk async for chunk in stream.chunks]

    return asyncio.run(run())


def _text(chunks: list[bytes]) -> str:
    parts = []
    for chunk in chunks:
        data = event_data(chunk)
        if data is None or data == "[DONE]":
            continue
        for choice in json.loads(data)["choices"]:
            parts.append(choice["delta"].get("content") or "")
    return "".join(parts)


def test_a_non_streamed_chat_call_is_priced_by_the_reported_usage(
    embedded: FastAPI,
    upstream_for: Callable[..., HttpUpstream],
    chat_route: PriceRoute,
    schedule: PriceSchedule,
) -> None:
    reply = _forward(upstream_for(embedded), chat_route, chat_body("answer in 12 words please"))
    assert not reply.failed and reply.status == 200
    body = json.loads(reply.body)
    assert reply.usage == Usage(input_tokens=5, output_tokens=12)
    assert body["usage"]["completion_tokens"] == 12
    assert len(body["choices"][0]["message"]["content"].split()) == 12
    # raw = 1 + ceil((5·1000 + 12·2000) / 1000) = 30 → quantum 5 → 30
    assert schedule.cost(CHAT_PRICE, reply.usage) == 30


def test_the_prompt_sets_the_reply_length_so_calls_vary_in_cost(
    embedded: FastAPI,
    upstream_for: Callable[..., HttpUpstream],
    chat_route: PriceRoute,
    schedule: PriceSchedule,
) -> None:
    upstream = upstream_for(embedded)
    costs = [
        schedule.cost(CHAT_PRICE, _forward(upstream, chat_route, chat_body(f"say {n} words")).usage)
        for n in (1, 10, 30)
    ]
    assert costs == [10, 25, 65]  # 1+ceil(3+2n) rounded up to 5: n=1 → 6→10, 10 → 24→25, 30 → 64→65


def test_a_streamed_chat_call_takes_usage_from_the_final_chunk(
    embedded: FastAPI,
    upstream_for: Callable[..., HttpUpstream],
    chat_route: PriceRoute,
    schedule: PriceSchedule,
) -> None:
    body = chat_body("stream 9 words", stream=True, stream_options={"include_usage": True})
    stream, chunks = _stream(upstream_for(embedded), chat_route, body)
    assert not stream.failed and stream.content_type.startswith("text/event-stream")
    assert chunks[-1] == DONE_EVENT
    assert all(c.endswith(b"\n\n") for c in chunks)
    usage_chunk = json.loads(event_data(chunks[-2]) or "")
    assert usage_chunk["usage"] == {"prompt_tokens": 3, "completion_tokens": 9, "total_tokens": 12}
    assert stream.usage == Usage(input_tokens=3, output_tokens=9)
    assert len(_text(chunks).split()) == 9
    assert schedule.cost(CHAT_PRICE, stream.usage) == 25  # 1 + 3 + 18 = 22 → 25


def test_a_streamed_chat_call_without_usage_is_counted(
    embedded: FastAPI, upstream_for: Callable[..., HttpUpstream], chat_route: PriceRoute
) -> None:
    stream, chunks = _stream(
        upstream_for(embedded), chat_route, chat_body("stream 6 words", stream=True)
    )
    assert not any(b'"usage":{' in c for c in chunks)
    # no usage from the upstream: the real tokenizer counts the request's text and the output
    text = "".join(
        json.loads(d)["choices"][0]["delta"].get("content") or ""
        for c in chunks
        if (d := event_data(c)) and d != "[DONE]" and json.loads(d)["choices"]
    )
    assert len(text.split()) == 6
    request = {"messages": [{"role": "user", "content": "stream 6 words"}]}
    assert stream.usage == Usage(
        input_tokens=count_tokens(canonical_text(request)), output_tokens=count_tokens(text)
    )
    assert chunks[-1] == DONE_EVENT


def test_a_streamed_body_sent_through_forward_is_metered_as_events(
    embedded: FastAPI, upstream_for: Callable[..., HttpUpstream], chat_route: PriceRoute
) -> None:
    body = chat_body("stream 4 words", stream=True, stream_options={"include_usage": True})
    reply = _forward(upstream_for(embedded), chat_route, body)
    assert reply.usage == Usage(input_tokens=3, output_tokens=4)
    assert reply.body.endswith(DONE_EVENT)


def test_embeddings_are_priced_by_prompt_tokens(
    embedded: FastAPI,
    upstream_for: Callable[..., HttpUpstream],
    embeddings_route: PriceRoute,
    schedule: PriceSchedule,
) -> None:
    body = json.dumps({"model": "zk-embedded-embed", "input": ["one two three", "four"]}).encode()
    reply = _forward(upstream_for(embedded), embeddings_route, body)
    assert not reply.failed
    assert len(json.loads(reply.body)["data"]) == 2
    assert reply.usage == Usage(input_tokens=4)
    assert schedule.cost(EMBED_PRICE, reply.usage) == 15  # ceil(4·3000/1000) = 12 → 15


def test_plain_http_is_flat(
    embedded: FastAPI,
    upstream_for: Callable[..., HttpUpstream],
    search_route: PriceRoute,
    schedule: PriceSchedule,
) -> None:
    reply = _forward(upstream_for(embedded), search_route, b"", path="/search?q=zk+proofs")
    assert reply.status == 200 and not reply.failed
    assert json.loads(reply.body)["query"] == "zk proofs"
    assert reply.usage == Usage()
    assert schedule.cost(search_route.price(None), reply.usage) == 10


def test_an_upstream_4xx_is_a_served_reply_without_tokens(
    embedded: FastAPI, upstream_for: Callable[..., HttpUpstream], search_route: PriceRoute
) -> None:
    reply = _forward(upstream_for(embedded), search_route, b"", path="/search")
    assert reply.status == 400 and not reply.failed
    assert json.loads(reply.body)["error"]["param"] == "q"


def test_an_upstream_refusal_of_a_chat_call_counts_no_tokens(
    embedded: FastAPI, upstream_for: Callable[..., HttpUpstream], chat_route: PriceRoute
) -> None:
    body = json.dumps({"model": "m", "messages": [], "max_tokens": 5}).encode()
    reply = _forward(upstream_for(embedded), chat_route, body)
    assert reply.status == 400 and not reply.failed
    assert reply.usage == Usage()


def test_a_chat_reply_without_usage_is_counted_by_the_real_tokenizer() -> None:
    from prover.gateway.upstream.usage import chat_usage

    reply = {"choices": [{"message": {"content": "one two three"}}, {"message": {"content": "x"}}]}
    messages = [{"role": "user", "content": [{"type": "text", "text": "a b"}]}]
    request = {"model": "m", "max_tokens": 9, "messages": messages}
    counted = count_tokens(canonical_text({"messages": request["messages"]}))
    usage = chat_usage(json.dumps(reply).encode(), json.dumps(request).encode(), cap=100)
    assert usage == Usage(input_tokens=counted, output_tokens=4)  # o200k: 3 + 1
    clamped = chat_usage(json.dumps(reply).encode(), json.dumps(request).encode(), cap=3)
    assert clamped.output_tokens == 3


def test_a_plain_http_reply_can_be_streamed_raw_at_the_flat_price(
    embedded: FastAPI, upstream_for: Callable[..., HttpUpstream], search_route: PriceRoute
) -> None:
    async def run() -> tuple[ForwardStream, bytes]:
        request = forward_request(search_route, b"", path="/search?q=abc")
        stream = await upstream_for(embedded).forward_stream(request)
        return stream, b"".join([c async for c in stream.chunks])

    stream, body = asyncio.run(run())
    assert not stream.failed and stream.usage == Usage()
    assert json.loads(body)["query"] == "abc"


def test_a_raw_stream_past_the_size_limit_is_over_the_limit(
    embedded: FastAPI, upstream_for: Callable[..., HttpUpstream], search_route: PriceRoute
) -> None:
    async def run() -> ForwardStream:
        request = forward_request(search_route, b"", path="/search?q=abc")
        stream = await upstream_for(embedded, max_response_bytes=50).forward_stream(request)
        assert [c async for c in stream.chunks] == []
        return stream

    stream = asyncio.run(run())
    assert stream.over_limit and not stream.failed and stream.usage == Usage()
