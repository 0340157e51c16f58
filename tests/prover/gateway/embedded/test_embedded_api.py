"""The embedded upstream speaks enough of the OpenAI API, deterministically and honestly."""

from __future__ import annotations

import asyncio
import base64
import json
import math
import struct
from typing import Any

import httpx
import pytest

from prover.gateway.embedded import CHAT_MODEL, create_embedded_upstream
from prover.gateway.embedded.text import MAX_REPLY_WORDS, reply_length
from prover.gateway.upstream.sse import EventSplitter, event_data


def _call(method: str, path: str, body: Any = None, **kw: Any) -> httpx.Response:
    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_embedded_upstream(**kw))
        async with httpx.AsyncClient(transport=transport, base_url="http://e") as client:
            content = None if body is None else json.dumps(body).encode()
            return await client.request(method, path, content=content)

    return asyncio.run(run())


def _chat(prompt: str, **extra: Any) -> dict[str, Any]:
    return {"model": CHAT_MODEL, "messages": [{"role": "user", "content": prompt}], **extra}


def _events(response: httpx.Response) -> list[Any]:
    splitter = EventSplitter()
    events = splitter.feed(response.content)
    assert splitter.rest() == b""
    out: list[Any] = []
    for event in events:
        data = event_data(event)
        out.append(data if data == "[DONE]" else json.loads(data or ""))
    return out


def test_models_are_listed() -> None:
    body = _call("GET", "/v1/models").json()
    assert body["object"] == "list"
    assert CHAT_MODEL in [m["id"] for m in body["data"]]
    assert _call("GET", f"/v1/models/{CHAT_MODEL}").json()["id"] == CHAT_MODEL
    assert _call("GET", "/v1/models/nope").status_code == 404


def test_a_chat_completion_has_the_openai_shape_and_honest_counts() -> None:
    body = _call("POST", "/v1/chat/completions", _chat("please write 11 words")).json()
    assert body["object"] == "chat.completion"
    choice = body["choices"][0]
    assert choice["message"]["role"] == "assistant"
    assert choice["finish_reason"] == "stop"
    assert len(choice["message"]["content"].split()) == 11
    assert body["usage"] == {"prompt_tokens": 4, "completion_tokens": 11, "total_tokens": 15}


def test_the_same_prompt_gets_the_same_reply_and_another_prompt_another() -> None:
    a = _call("POST", "/v1/chat/completions", _chat("write 9 words")).json()
    b = _call("POST", "/v1/chat/completions", _chat("write 9 words")).json()
    c = _call("POST", "/v1/chat/completions", _chat("write 9 words, differently")).json()
    assert a == b
    assert a["choices"][0]["message"]["content"] != c["choices"][0]["message"]["content"]


def test_max_tokens_truncates_with_finish_reason_length() -> None:
    body = _call("POST", "/v1/chat/completions", _chat("write 50 words", max_tokens=6)).json()
    assert len(body["choices"][0]["message"]["content"].split()) == 6
    assert body["choices"][0]["finish_reason"] == "length"
    assert body["usage"]["completion_tokens"] == 6


def test_reply_length_follows_the_first_number_of_the_last_user_message() -> None:
    messages = [
        {"role": "system", "content": "answer in 3 words"},
        {"role": "user", "content": "give me 17 words then 4"},
    ]
    assert reply_length(messages) == 17
    assert reply_length([{"role": "user", "content": "99999999 words"}]) == MAX_REPLY_WORDS
    assert 8 <= reply_length([{"role": "user", "content": "no number"}]) < 32


def test_a_streamed_completion_ends_with_done_and_reports_usage_only_when_asked() -> None:
    plain = _events(_call("POST", "/v1/chat/completions", _chat("write 5 words", stream=True)))
    assert plain[-1] == "[DONE]"
    assert all("usage" not in e for e in plain[:-1])
    assert plain[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert plain[-2]["choices"][0]["finish_reason"] == "stop"
    text = "".join(e["choices"][0]["delta"].get("content", "") for e in plain[:-1])
    assert len(text.split()) == 5

    opts = {"include_usage": True}
    body = _chat("write 5 words", stream=True, stream_options=opts, max_tokens=3)
    asked = _events(_call("POST", "/v1/chat/completions", body))
    assert [e["usage"] for e in asked[:-2]] == [None] * (len(asked) - 2)
    assert asked[-2]["choices"] == []
    assert asked[-2]["usage"] == {"prompt_tokens": 3, "completion_tokens": 3, "total_tokens": 6}
    assert asked[-3]["choices"][0]["finish_reason"] == "length"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "m"}, "messages"),
        (_chat("x", max_tokens=0), "max_tokens"),
        (_chat("x", max_tokens="5"), "max_tokens"),
        (_chat("x", n=2), "n"),
    ],
)
def test_bad_chat_requests_get_an_openai_error(body: dict[str, Any], param: str) -> None:
    response = _call("POST", "/v1/chat/completions", body)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param


def test_embeddings_are_deterministic_unit_vectors_in_float_or_base64() -> None:
    req = {"model": "e", "input": ["alpha beta", "gamma"], "dimensions": 8}
    floats = _call("POST", "/v1/embeddings", req).json()
    packed = _call("POST", "/v1/embeddings", {**req, "encoding_format": "base64"}).json()
    assert [d["index"] for d in floats["data"]] == [0, 1]
    assert floats["usage"] == {"prompt_tokens": 3, "total_tokens": 3}
    for plain, b64 in zip(floats["data"], packed["data"], strict=True):
        vector = plain["embedding"]
        assert len(vector) == 8
        assert math.isclose(math.fsum(v * v for v in vector), 1.0, rel_tol=1e-5)
        assert list(struct.unpack("<8f", base64.b64decode(b64["embedding"]))) == vector
    assert floats["data"][0]["embedding"] != floats["data"][1]["embedding"]
    assert _call("POST", "/v1/embeddings", req).json() == floats


def test_embeddings_refuse_bad_input() -> None:
    assert _call("POST", "/v1/embeddings", {"input": {"a": 1}}).status_code == 400
    assert _call("POST", "/v1/embeddings", {"input": "a", "dimensions": 0}).status_code == 400
    assert (
        _call("POST", "/v1/embeddings", {"input": "a", "encoding_format": "x"}).status_code == 400
    )


def test_search_returns_json_results_for_the_query() -> None:
    body = _call("GET", "/search?q=zero%20knowledge").json()
    assert body["query"] == "zero knowledge"
    assert len(body["results"]) == 3
    assert all(r["url"].startswith("https://search.invalid/") for r in body["results"])
    assert _call("GET", "/search").status_code == 400
