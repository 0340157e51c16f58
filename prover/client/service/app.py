"""`create_proxy_app`: the OpenAI-compatible local proxy (FastAPI), paying through a handler.

Every request first passes `ProxySecurity` (Host, Origin, bearer token) in an outer ASGI layer,
so a refused request never reaches a route, reads no body and touches no note. Then:
`POST /v1/chat/completions` (with `"stream": true` relayed as server-sent events),
`POST /v1/embeddings`, `GET /v1/models`, and any other path passed to the gateway (paid when
the price schedule sells it). Only the body and its content type go on; every incoming header
(the bearer token, `User-Agent`, `X-Stainless-*`, `OpenAI-*`, cookies) stays here.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Protocol

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from prover.client.client_errors import ClientError, RequestRefusedError
from prover.client.payer_models import PaidReply, StreamedReply
from prover.client.service.errors import error_response, sse_error
from prover.client.service.security import ProxySecurity
from prover.errors import ZkCreditsError
from prover.logs import get_logger

log = get_logger("zkcredits.client.proxy")
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
ADJUSTED_HEADER = "X-Zkcredits-Adjusted"
"""Set on a reply whose request the pre-flight changed before paying (e.g. `max_tokens=228`)."""


def _adjusted(note: str | None) -> dict[str, str]:
    return {} if note is None else {ADJUSTED_HEADER: note}


MAX_BODY_BYTES = 8 << 20


class CallHandler(Protocol):
    """What the proxy needs from the payer."""

    async def call(
        self, method: str, target: str, body: bytes, content_type: str | None
    ) -> PaidReply: ...

    async def call_stream(
        self, method: str, target: str, body: bytes, content_type: str | None
    ) -> StreamedReply: ...


def _target(request: Request) -> str:
    """The raw path with its query string, exactly as received (it is hashed into `x`)."""
    raw = request.scope.get("raw_path") or request.scope["path"].encode()
    query = request.scope.get("query_string") or b""
    path = raw.decode("latin-1")
    return f"{path}?{query.decode('latin-1')}" if query else path


def _wants_stream(body: bytes) -> bool:
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(parsed, dict) and parsed.get("stream") is True


async def _relay(events: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    try:
        async for event in events:
            yield event
    except Exception as exc:  # the stream started: the error goes in-band, OpenAI style
        if not isinstance(exc, ClientError):
            log.exception("stream_failed", error_type=type(exc).__name__)
        yield sse_error(exc)


def create_proxy_app(handler: CallHandler, security: ProxySecurity) -> Guarded:
    app = FastAPI(title="zkcredits prover service", docs_url=None, redoc_url=None, openapi_url=None)

    async def pay(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            raise RequestRefusedError(f"body larger than {MAX_BODY_BYTES} bytes", field="body")
        target = _target(request)
        ctype = request.headers.get("content-type")
        method = request.method
        if (
            method == "POST"
            and target.split("?")[0] == "/v1/chat/completions"
            and _wants_stream(body)
        ):
            streamed = await handler.call_stream(method, target, body, ctype)
            return StreamingResponse(
                _relay(streamed.events),
                status_code=streamed.status,
                media_type=streamed.content_type,
                headers={"Cache-Control": "no-cache", **_adjusted(streamed.adjusted)},
            )
        reply = await handler.call(method, target, body, ctype)
        return Response(
            reply.body,
            status_code=reply.status,
            media_type=reply.content_type,
            headers=_adjusted(reply.adjusted),
        )

    async def on_error(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, ClientError):
            log.error(  # the message is withheld: wallet errors name notes (PROTOCOL §13)
                "call_failed",
                method=request.method,
                path=request.url.path,
                error_type=type(exc).__name__,
            )
        return error_response(exc)

    app.add_exception_handler(ZkCreditsError, on_error)
    app.add_exception_handler(Exception, on_error)
    app.add_api_route("/v1/chat/completions", pay, methods=["POST"])
    app.add_api_route("/v1/embeddings", pay, methods=["POST"])
    app.add_api_route("/v1/models", pay, methods=["GET"])
    app.add_api_route("/{rest:path}", pay, methods=METHODS)
    return Guarded(app, security)


class Guarded:
    """Outer ASGI layer: the security checks, then the app; errors become OpenAI-shaped."""

    def __init__(self, app: FastAPI, security: ProxySecurity) -> None:
        self.app = app
        self.security = security

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":
            return  # no websockets
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            self.security.check(headers)
        except ClientError as exc:
            await error_response(exc)(scope, receive, send)
            return
        started = False

        async def tracking(message: dict[str, object]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking)  # type: ignore[arg-type]
        except Exception as exc:
            if not isinstance(exc, ClientError):
                log.exception("proxy_error", method=scope.get("method"), path=scope.get("path"))
            if not started:
                await error_response(exc)(scope, receive, send)
