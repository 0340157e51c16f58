"""`Guard`: the ASGI layer around the gateway's routes (header limit, sync gate, no 500s, and
counting error replies by code for the metrics)."""

from __future__ import annotations

import json

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from prover.gateway.app.metrics import GatewayMetrics
from prover.gateway.app.responses import JSON, error_response, unavailable
from prover.gateway.ports import ChainView
from prover.logs import get_logger
from prover.wire.errors import ErrorCode, WireError

log = get_logger("zkcredits.gateway")


class Guard:
    """ASGI layer around the routes: header size limit, the sync gate, the no-500 rule
    (anything unexpected becomes a 503 error shape: retry the same request), and counting
    error replies by code for the metrics (small JSON error bodies are peeked at)."""

    def __init__(
        self,
        app: ASGIApp,
        chain: ChainView,
        max_header_bytes: int,
        metrics: GatewayMetrics | None = None,
    ) -> None:
        self.app = app
        self.chain = chain
        self.max_header_bytes = max_header_bytes
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response = self._gate(scope)
        if response is not None:
            await response(scope, receive, send)
            self._count(bytes(response.body))
            return
        started = False
        peek: bytearray | None = None

        async def tracking_send(message: Message) -> None:
            nonlocal started, peek
            if message["type"] == "http.response.start":
                started = True
                headers = dict(message.get("headers", []))
                if message["status"] >= 400 and headers.get(b"content-type", b"").startswith(
                    JSON.encode()
                ):
                    peek = bytearray()
            elif message["type"] == "http.response.body" and peek is not None:
                peek += message.get("body", b"")[: _PEEK_BYTES - len(peek)]
                if not message.get("more_body", False):
                    self._count(bytes(peek))
                    peek = None
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unexpected_error", method=scope.get("method"), path=scope.get("path"))
            if not started:
                await unavailable("internal error; retry the same request")(scope, receive, send)

    def _gate(self, scope: Scope) -> Response | None:
        size = sum(len(k) + len(v) for k, v in scope.get("headers", []))
        if size > self.max_header_bytes:
            return error_response(
                WireError(
                    ErrorCode.BAD_REQUEST,
                    f"headers exceed {self.max_header_bytes} bytes",
                    field="headers",
                    unreserved=True,
                )
            )
        if scope.get("path") != "/healthz" and not self.chain.is_synced():
            return error_response(
                WireError(
                    ErrorCode.CHAIN_UNAVAILABLE,
                    "the gateway's view of the chain is not synced; retry later",
                    unreserved=True,
                ),
                headers={"Retry-After": "1"},
            )
        return None

    def _count(self, body: bytes) -> None:
        if self.metrics is None:
            return
        try:
            code = json.loads(body)["error"]["code"]
        except (ValueError, KeyError, TypeError):
            return
        if isinstance(code, str) and len(code) <= 40:
            self.metrics.refusal(code)


_PEEK_BYTES = 4096
