"""The embedded offline upstream: a small real OpenAI-compatible service (and a search API).

`create_embedded_upstream()` returns a FastAPI app serving `GET /v1/models`,
`POST /v1/chat/completions` (JSON or SSE with `data: [DONE]`, usage in a final chunk when
`stream_options.include_usage`), `POST /v1/embeddings` (float or base64) and `GET /search?q=`.
Replies and token counts are deterministic (`text.py`, `vectors.py`). The gateway forwards to it
exactly as to a remote provider; it knows nothing of payments.

`overrun_tokens` makes it misbehave on purpose (emit that many words beyond `max_tokens`), so the
gateway's own cap can be tested against a real server.
"""

from __future__ import annotations

import hashlib
import json
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from prover.gateway.embedded.record import Received, RecordRequests
from prover.gateway.embedded.text import prompt_of, reply_length, reply_words
from prover.gateway.embedded.vectors import DEFAULT_DIMENSIONS, MAX_DIMENSIONS, embed, to_base64
from prover.gateway.upstream.tokens import input_words, prompt_words

CHAT_MODEL = "zk-embedded-chat"
EMBED_MODEL = "zk-embedded-embed"
CREATED = 1_767_225_600  # fixed model/completion timestamp: replies are fully deterministic


def _error(status: int, message: str, param: str | None = None) -> JSONResponse:
    body = {"error": {"message": message, "type": "invalid_request_error", "param": param}}
    return JSONResponse(body, status_code=status)


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


async def _json_body(request: Request) -> dict[str, Any] | JSONResponse:
    try:
        body = json.loads(await request.body())
    except ValueError:
        return _error(400, "body is not valid JSON")
    if not isinstance(body, dict):
        return _error(400, "body must be a JSON object")
    return body


def _sse(obj: object) -> bytes:
    return b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n"


def create_embedded_upstream(*, overrun_tokens: int = 0) -> FastAPI:
    received: deque[Received] = deque(maxlen=64)
    app = FastAPI(title="zkcredits embedded upstream", docs_url=None, redoc_url=None)
    app.state.received = received

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        data = [
            {"id": m, "object": "model", "created": CREATED, "owned_by": "zkcredits"}
            for m in (CHAT_MODEL, EMBED_MODEL)
        ]
        return {"object": "list", "data": data}

    @app.get("/v1/models/{model}", response_model=None)
    async def model(model: str) -> dict[str, Any] | JSONResponse:
        if model not in (CHAT_MODEL, EMBED_MODEL):
            return _error(404, f"model {model!r} does not exist", "model")
        return {"id": model, "object": "model", "created": CREATED, "owned_by": "zkcredits"}

    @app.post("/v1/chat/completions", response_model=None)
    async def chat(request: Request) -> Response:
        body = await _json_body(request)
        if isinstance(body, JSONResponse):
            return body
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return _error(400, "messages must be a non-empty list", "messages")
        given: list[Any] = [
            body[k] for k in ("max_tokens", "max_completion_tokens") if body.get(k) is not None
        ]
        if any(not _int(v) or v < 1 for v in given):
            return _error(400, "max_tokens must be a positive integer", "max_tokens")
        limits: list[int] = [int(v) for v in given]
        if body.get("n", 1) != 1:
            return _error(400, "only n=1 is supported", "n")
        wanted = reply_length(messages)
        limit = min(limits, default=wanted)
        finish = "length" if wanted > limit else "stop"
        words = reply_words(messages, min(wanted, limit) + (overrun_tokens if limits else 0))
        usage = {
            "prompt_tokens": prompt_words(messages),
            "completion_tokens": len(words),
            "total_tokens": prompt_words(messages) + len(words),
        }
        model_name = body["model"] if isinstance(body.get("model"), str) else CHAT_MODEL
        digest = hashlib.sha256(prompt_of(messages).encode()).hexdigest()[:24]
        head = {"id": f"chatcmpl-{digest}", "created": CREATED, "model": model_name}
        if body.get("stream") is not True:
            message = {"role": "assistant", "content": " ".join(words), "refusal": None}
            choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
            return JSONResponse(
                {**head, "object": "chat.completion", "choices": [choice], "usage": usage}
            )
        options = body.get("stream_options")
        include_usage = isinstance(options, dict) and options.get("include_usage") is True
        return StreamingResponse(
            _chat_events(head, words, finish, usage if include_usage else None),
            media_type="text/event-stream",
        )

    @app.post("/v1/embeddings", response_model=None)
    async def embeddings(request: Request) -> Response:
        body = await _json_body(request)
        if isinstance(body, JSONResponse):
            return body
        inputs = _inputs(body.get("input"))
        if inputs is None:
            return _error(400, "input must be a string, a list of strings or token arrays", "input")
        dims = body.get("dimensions", DEFAULT_DIMENSIONS)
        if not _int(dims) or not 1 <= dims <= MAX_DIMENSIONS:
            return _error(400, f"dimensions must be in [1, {MAX_DIMENSIONS}]", "dimensions")
        fmt = body.get("encoding_format", "float")
        if fmt not in ("float", "base64"):
            return _error(400, "encoding_format must be float or base64", "encoding_format")
        model_name = body["model"] if isinstance(body.get("model"), str) else EMBED_MODEL
        data = []
        for i, text in enumerate(inputs):
            vector = embed(text, model_name, dims)
            encoded: object = to_base64(vector) if fmt == "base64" else vector
            data.append({"object": "embedding", "index": i, "embedding": encoded})
        tokens = input_words(body.get("input"))
        usage = {"prompt_tokens": tokens, "total_tokens": tokens}
        return JSONResponse({"object": "list", "data": data, "model": model_name, "usage": usage})

    @app.get("/search", response_model=None)
    async def search(q: str | None = None) -> dict[str, Any] | JSONResponse:
        if not q:
            return _error(400, "q is required", "q")
        seed = hashlib.sha256(b"zkcredits/embedded/search\x00" + q.encode()).hexdigest()
        words = reply_words([{"role": "user", "content": q}], 12)
        results = [
            {
                "title": f"{q} — result {i + 1}",
                "url": f"https://search.invalid/{seed[i * 8 : i * 8 + 8]}",
                "snippet": " ".join(words[i * 4 : i * 4 + 4]),
            }
            for i in range(3)
        ]
        return {"query": q, "results": results}

    app.add_middleware(RecordRequests, log=received)
    return app


def _inputs(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value:
        if all(isinstance(v, str) for v in value):
            return list(value)
        if all(_int(v) for v in value):
            return [json.dumps(value)]
        if all(isinstance(v, list) and all(_int(t) for t in v) for v in value):
            return [json.dumps(v) for v in value]
    return None


async def _chat_events(
    head: dict[str, Any], words: list[str], finish: str, usage: dict[str, int] | None
) -> AsyncIterator[bytes]:
    base = {**head, "object": "chat.completion.chunk"}
    if usage is not None:
        base["usage"] = None

    def chunk(delta: dict[str, Any], reason: str | None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": reason}
        return _sse({**base, "choices": [choice]})

    yield chunk({"role": "assistant", "content": ""}, None)
    for i, word in enumerate(words):
        yield chunk({"content": word if i == 0 else " " + word}, None)
    yield chunk({}, finish)
    if usage is not None:
        yield _sse({**base, "choices": [], "usage": usage})
    yield b"data: [DONE]\n\n"
