"""`create_proxy_app`: the OpenAI-compatible local proxy (FastAPI), paying through a handler.

Every request first passes `ProxySecurity` (Host, Origin, bearer token) in an outer ASGI layer,
so a refused request never reaches a route, reads no body and touches no note. Then:
`POST /v1/chat/completions` (with `"stream": true` relayed as server-sent events),
`POST /v1/embeddings`, `GET /v1/models`, `GET /v1/zkcredits/balance` (the wallet's balance
report, answered here), and any other path passed to the gateway (paid when the price schedule
sells it). Only the body and its content type go on; every incoming header (the bearer token,
`User-Agent`, `X-Stainless-*`, `OpenAI-*`, cookies) stays here.

With a `ProxyLedger`, replies carry their cost and the balance left (`money_headers`); with a
`GatewayGate`, a paid call fails at once while the gateway is known to be down; with a `TeeGate`
(`--require-tee`), it fails at once (`tee_refused`) unless the provider's TEE attestation passes
(`tee_gate.py`). The outer layer
writes one `proxy_call` log line per request: method, path (no query), status, duration, cost,
balance and error code; never a body, a header value, a note ID or an exception message.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import Message, Receive, Scope, Send

from prover.client.balance import BalanceReport
from prover.client.errors import ClientError, RequestRefusedError
from prover.client.payer.models import PaidReply, StreamedReply
from prover.client.payer.sse import is_done_event
from prover.client.service.errors import error_response, explain, sse_error
from prover.client.service.ledger import ProxyLedger
from prover.client.service.money_headers import money_comment, money_headers
from prover.client.service.reachability import GatewayGate
from prover.client.service.security import ProxySecurity
from prover.client.service.tee_gate import TeeGate
from prover.errors import ZkCreditsError
from prover.logs import get_logger

log = get_logger("zkcredits.client.proxy")
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
ADJUSTED_HEADER = "X-Zkcredits-Adjusted"
"""Set on a reply whose request the pre-flight changed before paying (e.g. `max_tokens=228`)."""


def _adjusted(note: str | None) -> dict[str, str]:
    return {} if note is None else {ADJUSTED_HEADER: note}


MAX_BODY_BYTES = 8 << 20
BALANCE_PATH = "/v1/zkcredits/balance"
CALL_KEY = "zkcredits.call"  # per-request facts for the log line, in the ASGI scope


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


def _facts(request: Request) -> dict[str, Any]:
    facts: dict[str, Any] = request.scope.setdefault(CALL_KEY, {})
    return facts


def _money(facts: dict[str, Any], cost: int | None, report: BalanceReport | None) -> None:
    facts["cost"] = cost
    if report is not None:
        facts["balance"] = report.spendable
        facts["calls_left"] = report.calls_left
        facts["report"] = report


async def _relay(
    events: AsyncIterator[bytes],
    at_done: Callable[[], bytes],
    failed: Callable[[BaseException], None],
) -> AsyncIterator[bytes]:
    try:
        async for event in events:
            if is_done_event(event):  # the payment is committed: say what it cost, then [DONE]
                extra = at_done()
                if extra:
                    yield extra
            yield event
    except Exception as exc:  # the stream started: the error goes in-band, OpenAI style
        failed(exc)
        if not isinstance(exc, ClientError):
            log.error("stream_failed", error_type=type(exc).__name__)
        yield sse_error(exc)


def create_proxy_app(
    handler: CallHandler,
    security: ProxySecurity,
    *,
    ledger: ProxyLedger | None = None,
    gate: GatewayGate | None = None,
    tee: TeeGate | None = None,
) -> Guarded:
    app = FastAPI(title="zkcredits prover service", docs_url=None, redoc_url=None, openapi_url=None)

    def report() -> BalanceReport | None:
        return ledger.report() if ledger is not None else None

    def failed(facts: dict[str, Any]) -> Callable[[BaseException], None]:
        def note_failure(exc: BaseException) -> None:
            facts["error"] = getattr(exc, "code", type(exc).__name__)
            if gate is not None:
                gate.failed(exc)

        return note_failure

    async def stream(request: Request, method: str, target: str, body: bytes) -> Response:
        facts = _facts(request)
        streamed = await handler.call_stream(
            method, target, body, request.headers.get("content-type")
        )

        def at_done() -> bytes:
            if ledger is None:
                return b""
            try:
                charge = ledger.last_charge(streamed.note_id)
                money = report()
            except ZkCreditsError as exc:  # never break a stream over its receipt
                facts["error"] = type(exc).__name__
                return b""
            cost, penalty = charge if charge is not None else (None, 0)
            _money(facts, cost, money)
            return money_comment(cost, money, penalty)

        return StreamingResponse(
            _relay(streamed.events, at_done, failed(facts)),
            status_code=streamed.status,
            media_type=streamed.content_type,
            headers={"Cache-Control": "no-cache", **_adjusted(streamed.adjusted)},
        )

    async def pay(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            raise RequestRefusedError(f"body larger than {MAX_BODY_BYTES} bytes", field="body")
        target = _target(request)
        method = request.method
        facts = _facts(request)
        if gate is not None:
            await gate.check()
        if tee is not None:
            await tee.check()
        try:
            if (
                method == "POST"
                and target.split("?")[0] == "/v1/chat/completions"
                and _wants_stream(body)
            ):
                return await stream(request, method, target, body)
            reply = await handler.call(method, target, body, request.headers.get("content-type"))
        except Exception as exc:
            failed(facts)(exc)
            raise
        cost = reply.cost if reply.note_id is not None else 0  # an unsold route is not paid
        money = report()
        _money(facts, cost, money)
        return Response(
            reply.body,
            status_code=reply.status,
            media_type=reply.content_type,
            headers={**money_headers(cost, money), **_adjusted(reply.adjusted)},
        )

    async def balance(request: Request) -> Response:
        if ledger is None:
            raise RequestRefusedError("this proxy has no wallet to report on", field="path")
        return JSONResponse(ledger.report().model_dump(mode="json"))

    async def on_error(request: Request, exc: Exception) -> Response:
        named = explain(exc, ledger)
        facts = _facts(request)
        facts["error"] = getattr(named, "code", type(named).__name__)
        if not isinstance(named, ClientError):
            facts["error_type"] = type(exc).__name__  # the message is withheld (PROTOCOL §13)
        return error_response(named)

    app.add_exception_handler(ZkCreditsError, on_error)
    app.add_exception_handler(Exception, on_error)
    app.add_api_route(BALANCE_PATH, balance, methods=["GET"])
    app.add_api_route("/v1/chat/completions", pay, methods=["POST"])
    app.add_api_route("/v1/embeddings", pay, methods=["POST"])
    app.add_api_route("/v1/models", pay, methods=["GET"])
    app.add_api_route("/{rest:path}", pay, methods=METHODS)
    return Guarded(app, security, ledger)


class Guarded:
    """Outer ASGI layer: the security checks, then the app; errors become OpenAI-shaped; one
    log line per request."""

    def __init__(
        self, app: FastAPI, security: ProxySecurity, ledger: ProxyLedger | None = None
    ) -> None:
        self.app = app
        self.security = security
        self.ledger = ledger

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":
            return  # no websockets
        started_at = time.monotonic()
        facts: dict[str, Any] = scope.setdefault(CALL_KEY, {})
        status = 0

        async def tracking(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            try:
                self.security.check(headers)
            except ClientError as exc:
                facts["error"] = exc.code
                await error_response(exc)(scope, receive, tracking)
                return
            try:
                await self.app(scope, receive, tracking)
            except Exception as exc:
                facts.setdefault("error_type", type(exc).__name__)
                if not isinstance(exc, ClientError):
                    log.error("proxy_error", error_type=type(exc).__name__)
                if not status:
                    await error_response(exc)(scope, receive, tracking)
        finally:
            self._log(scope, status, started_at, facts)

    def _log(self, scope: Scope, status: int, started_at: float, facts: dict[str, Any]) -> None:
        fields: dict[str, Any] = {
            "method": scope.get("method"),
            "path": scope.get("path"),
            "status": status,
            "duration_ms": round((time.monotonic() - started_at) * 1000, 1),
        }
        for key in ("cost", "balance", "calls_left", "error", "error_type"):
            if facts.get(key) is not None:
                fields[key] = facts[key]
        log.info("proxy_call", **fields)
        report = facts.get("report")
        if self.ledger is not None and isinstance(report, BalanceReport):
            for warning in self.ledger.fresh_warnings(report):
                log.warning("balance_warning", **warning.loggable())
